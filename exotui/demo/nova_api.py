"""Nova v2.1's HTTP API in the demo cloud: servers and their actions, flavors, keypairs, limits, quotas."""

from __future__ import annotations

import base64
import binascii
import json
import re

from aiohttp import web

from . import cinder, glance, neutron, nova
from . import nova_flavors_admin as flavors_admin
from . import nova_hosts_admin as hosts_admin
from .common import (
    ApiError,
    json_response,
    negotiate_microversion,
    no_content,
    parse_time,
    raw_json_response,
    read_json,
)
from .nova_rules import check
from .service import ctx_of, service_app, world_of
from .world import World

MV = web.AppKey("mv", tuple)
TRUE_WORDS = ("1", "t", "true", "on", "y", "yes")  # oslo_utils.strutils.TRUE_STRINGS
MAX_LIMIT = 1000  # Nova's default [api]max_limit: longer lists come in pages with a "next" link
REBOOT_TYPES = ["HARD", "Hard", "hard", "SOFT", "Soft", "soft"]
CREATE_KEYS = {"name", "imageRef", "flavorRef", "networks", "metadata", "key_name", "security_groups",
               "availability_zone", "user_data", "adminPass", "description", "hostname", "block_device_mapping_v2",
               "config_drive", "min_count", "max_count", "return_reservation_id", "tags", "accessIPv4",
               "accessIPv6", "OS-DCF:diskConfig", "personality", "trusted_image_certificates", "host",
               "hypervisor_hostname"}


def _mv(request: web.Request) -> tuple[int, int]:
    return request["mv"]


@web.middleware
async def microversions(request: web.Request, handler):
    """Negotiate the compute microversion and echo it in the answer's headers, as Nova does."""
    version = negotiate_microversion(request, "compute", "X-OpenStack-Nova-API-Version",
                                     nova.MIN_VERSION, nova.MAX_VERSION)
    request["mv"] = version
    response = await handler(request)
    text = f"{version[0]}.{version[1]}"
    response.headers["OpenStack-API-Version"] = f"compute {text}"
    response.headers["X-OpenStack-Nova-API-Version"] = text
    response.headers["Vary"] = "OpenStack-API-Version, X-OpenStack-Nova-API-Version"
    return response


def _bad_input(field: str, value, reason: str) -> ApiError:
    return ApiError(400, f"Invalid input for field/attribute {field}. Value: {value!r}. {reason}")


# nova/api/validation/parameter_types.py: `hostname` from 2.90, `fqdn` from 2.94
HOSTNAME_PATTERN = "^[a-zA-Z0-9]+[a-zA-Z0-9-]*[a-zA-Z0-9]+$"
FQDN_PATTERN = "^[a-zA-Z0-9-._]*$"


def _check_hostname(container: str, spec: dict, mv: tuple[int, int]) -> None:
    """Nova's schema for `hostname` in create and update (and rebuild, which the demo lacks): unknown before
    2.90, then a hostname of 2-63 letters, digits and dashes, and from 2.94 an FQDN of up to 255 characters."""
    if "hostname" not in spec:
        return
    if mv < (2, 90):
        raise _bad_input(container, spec, "Additional properties are not allowed ('hostname' was unexpected)")
    value = spec["hostname"]
    pattern, shortest, longest = (FQDN_PATTERN, 1, 255) if mv >= (2, 94) else (HOSTNAME_PATTERN, 2, 63)
    reason = (f"{value!r} is not of type 'string'" if not isinstance(value, str)
              else f"{value!r} is too short" if len(value) < shortest
              else f"{value!r} is too long" if len(value) > longest
              else None if re.match(pattern, value) else f"{value!r} does not match {pattern!r}")
    if reason:  # Nova prints a string's value as it is (validators.py: "Value: %(value)s")
        raise ApiError(400, f"Invalid input for field/attribute hostname. Value: {value}. {reason}")


def _is_admin(request: web.Request) -> bool:
    return any(r.get("name") == "admin" for r in ctx_of(request).get("roles", ()))


def _server(request: web.Request, include_deleted: bool = False, *, admin_reads: bool = False) -> dict:
    """The server of the URL, in the caller's project (`admin_reads`: any project's, for an admin, as Nova's
    default policy lets an admin show any server)."""
    world = world_of(request)
    sid = request.match_info["server_id"]
    server = world.servers.get(sid)
    if (server is None or (server["_deleted"] and not include_deleted)
            or (server["tenant_id"] != ctx_of(request)["project_id"]
                and not (admin_reads and _is_admin(request)))):
        raise ApiError(404, f"Instance {sid} could not be found.")
    return server


# --- versions --------------------------------------------------------------------------------

def _version_doc(world: World) -> dict:
    return {"id": "v2.1", "status": "CURRENT", "version": nova.MAX_VERSION, "min_version": nova.MIN_VERSION,
            "updated": "2013-07-23T11:33:21Z",
            "links": [{"rel": "self", "href": world.base_url + "/compute/v2.1/"},
                      {"rel": "describedby", "type": "text/html", "href": "http://docs.openstack.org/"}],
            "media-types": [{"base": "application/json",
                             "type": "application/vnd.openstack.compute+json;version=2.1"}]}


async def versions(request: web.Request) -> web.Response:
    world = world_of(request)
    return json_response({"versions": [
        {"id": "v2.0", "status": "DEPRECATED", "version": "", "min_version": "", "updated": "2025-07-04T12:00:00Z",
         "links": [{"rel": "self", "href": world.base_url + "/compute/v2/"}]},
        {"id": "v2.1", "status": "CURRENT", "version": nova.MAX_VERSION, "min_version": nova.MIN_VERSION,
         "updated": "2013-07-23T11:33:21Z", "links": [{"rel": "self", "href": world.base_url + "/compute/v2.1/"}]},
    ]})


async def version(request: web.Request) -> web.Response:
    return json_response({"version": _version_doc(world_of(request))})


# --- servers -----------------------------------------------------------------------------------

def _filtered_servers(request: web.Request) -> list[dict]:
    world = world_of(request)
    q = request.query
    project_id = ctx_of(request)["project_id"]
    since = before = None
    try:
        if "changes-since" in q:
            since = parse_time(q["changes-since"])
        if "changes-before" in q:
            before = parse_time(q["changes-before"])
    except ValueError:
        key = "changes-since" if "changes-since" in q else "changes-before"
        raise _bad_input(key, q[key], f"'{q[key]}' is not a 'date-time'") from None
    # Nova returns deleted servers only when asked for what changed, or to an admin who asks for them
    # (`deleted` is an admin's filter: a member's is dropped; its value read as oslo's bool_from_string)
    deleted = q["deleted"].strip().lower() in TRUE_WORDS if "deleted" in q and _is_admin(request) else None
    servers = [s for s in world.servers.values() if s["tenant_id"] == project_id
               and (s["_deleted"] == deleted if deleted is not None
                    else not s["_deleted"] or since is not None or before is not None)]
    if since is not None:
        servers = [s for s in servers if s["_updated"].replace(microsecond=0) >= since]
    if before is not None:
        servers = [s for s in servers if s["_updated"].replace(microsecond=0) <= before]
    if "status" in q:
        wanted = {v.upper() for v in q.getall("status")}
        servers = [s for s in servers if s["status"] in wanted]
    if "name" in q:
        try:
            pattern = re.compile(q["name"])
        except re.error:
            raise _bad_input("name", q["name"], "is not a valid regular expression") from None
        servers = [s for s in servers if pattern.search(s["name"])]
    for key, get in (("image", lambda s: s["image"]["id"] if s["image"] else ""),
                     ("flavor", lambda s: s["_flavor_id"]),
                     ("key_name", lambda s: s["key_name"]),
                     ("locked", lambda s: str(s["locked"]).lower())):
        if key in q:
            servers = [s for s in servers if get(s) == q[key]]
    if "ip" in q:
        pattern = re.compile(re.escape(q["ip"]))
        servers = [s for s in servers if any(
            pattern.search(a["addr"]) for net in neutron.server_addresses(world, s["id"], cached=True).values()
            for a in net)]
    key, newest_first = _sort_key(request)
    servers.sort(key=key, reverse=newest_first)
    return servers


def _sort_key(request: web.Request):
    """The order _filtered_servers lists in: (key of a server, newest first?)."""
    q = request.query
    if q.get("sort_key") in ("display_name", "name"):
        return (lambda s: (s["name"], s["_created"], s["id"])), q.get("sort_dir", "desc") != "asc"
    return (lambda s: (s["_created"], s["id"])), q.get("sort_dir", "desc") != "asc"


def _page(request: web.Request, items: list[dict], collection: str) -> tuple[list[dict], list[dict] | None]:
    q = request.query
    if "marker" in q:
        index = next((i for i, s in enumerate(items) if s["id"] == q["marker"]), None)
        if index is not None:
            items = items[index + 1:]
        else:  # Nova reads the marker with read_deleted="yes": a deleted server marks the place too
            marker = world_of(request).servers.get(q["marker"])
            if marker is None:
                raise ApiError(400, f"marker [{q['marker']}] not found")
            key, newest_first = _sort_key(request)
            items = [s for s in items if (key(s) < key(marker) if newest_first else key(s) > key(marker))]
    try:
        limit = min(int(q.get("limit", MAX_LIMIT)), MAX_LIMIT)
    except ValueError:
        raise _bad_input("limit", q["limit"], f"'{q['limit']}' is not a 'integer'") from None
    if limit < 0:
        raise _bad_input("limit", q["limit"], "must be >= 0")
    page = items[:limit]
    links = None
    if page and len(page) == limit:
        params = [(k, v) for k, v in q.items() if k not in ("marker", "limit")]
        params += [("limit", str(limit)), ("marker", page[-1]["id"])]
        url = request.url.with_query(params)
        next_url = world_of(request).base_url + url.path_qs
        links = [{"rel": "next", "href": next_url}]
    return page, links


async def list_servers(request: web.Request) -> web.Response:
    world = world_of(request)
    page, links = _page(request, _filtered_servers(request), "servers")
    body: dict = {"servers": [{"id": s["id"], "name": s["name"], "links": nova.links(world, "servers", s["id"])}
                              for s in page]}
    if links:
        body["servers_links"] = links
    return json_response(body)


async def list_servers_detail(request: web.Request) -> web.Response:
    world = world_of(request)
    mv = _mv(request)
    page, links = _page(request, _filtered_servers(request), "servers")
    body: dict = {"servers": [nova.server_view(world, s, mv) for s in page]}
    if links:
        body["servers_links"] = links
    return raw_json_response(json.dumps(body, separators=(",", ":")).encode())


async def show_server(request: web.Request) -> web.Response:
    server = _server(request, admin_reads=True)
    return json_response({"server": nova.server_view(world_of(request), server, _mv(request), show=True,
                                                     admin=_is_admin(request))})


def _validate_create(spec, mv: tuple[int, int]) -> dict:
    if not isinstance(spec, dict) or not isinstance(spec.get("server"), dict):
        raise _bad_input("server", spec, "'server' is a required property")
    server = spec["server"]
    extra = [k for k in server if k not in CREATE_KEYS]
    if extra:
        raise _bad_input("server", server, f"Additional properties are not allowed ('{extra[0]}' was unexpected)")
    required = ["name", "flavorRef"] + (["networks"] if mv >= (2, 37) else [])
    for key in required:
        if key not in server:
            raise _bad_input("server", server, f"'{key}' is a required property")
    _check_hostname("server", server, mv)
    if not isinstance(server["name"], str) or not server["name"].strip() or len(server["name"]) > 255:
        raise _bad_input("name", server["name"], "is not a valid name")
    networks = server.get("networks", "auto")
    if not (networks in ("auto", "none") or (isinstance(networks, list)
                                              and all(isinstance(n, dict) for n in networks))):
        raise _bad_input("networks", networks, "is not valid under any of the given schemas")
    for key in ("min_count", "max_count"):
        if key in server and (not isinstance(server[key], int) or server[key] < 1):
            raise _bad_input(key, server[key], "is less than the minimum of 1")
    if server.get("min_count", 1) > server.get("max_count", server.get("min_count", 1)):
        raise ApiError(400, "min_count must be <= max_count")  # nova/api/openstack/compute/servers.py
    if "user_data" in server:
        _check_user_data(server["user_data"])
    if "metadata" in server and not (isinstance(server["metadata"], dict)
                                     and all(isinstance(v, str) for v in server["metadata"].values())):
        raise _bad_input("metadata", server["metadata"], "is not of type 'object'")
    return server


USER_DATA_MAX = 65535  # nova/api/openstack/compute/schemas/servers.py: base64 text, maxLength 65535


def _check_user_data(value) -> None:
    """Nova's schema: a string, base64 as `base64.decodebytes` reads it (its format checker), at most
    65535 characters of it; otherwise 400 naming user_data."""
    if not isinstance(value, str):
        raise _bad_input("user_data", value, f"{value!r} is not of type 'string'")
    if len(value) > USER_DATA_MAX:
        raise _bad_input("user_data", value, f"{value!r} is too long")
    try:
        base64.decodebytes(value.encode())
    except binascii.Error:
        raise _bad_input("user_data", value, f"{value!r} is not a 'base64'") from None


def _networks_for(world: World, project_id: str, networks, *, admin: bool = False) -> list[str]:
    """The networks a new server gets ports on (an admin's token shows Nova every project's networks)."""
    if networks == "none":
        return []
    if networks == "auto":
        own = [n for n in world.networks.values() if n.get("project_id") == project_id
               and not n.get("router:external")]
        if not own:
            raise ApiError(400, "Unable to automatically allocate a network for project " + project_id)
        return [own[0]["id"]]
    ids = []
    for entry in networks:
        network_id = entry.get("uuid")
        if entry.get("port"):
            port = world.ports.get(entry["port"])
            if port is None:
                raise ApiError(400, f"Port id {entry['port']} could not be found.")
            network_id = port["network_id"]
        network = world.networks.get(network_id or "")
        if network is None or (network.get("project_id") != project_id and not network.get("shared")
                               and not network.get("router:external") and not admin):
            raise ApiError(400, f"Network {network_id} could not be found.")
        ids.append(network_id)
    return ids


async def create_server(request: web.Request) -> web.Response:
    world = world_of(request)
    ctx = ctx_of(request)
    mv = _mv(request)
    from . import nova_groups  # it imports this module

    body = await read_json(request)
    spec = _validate_create(body, mv)
    hints = body.get("os:scheduler_hints") or body.get("OS-SCH-HNT:scheduler_hints") or {}
    group_id = hints.get("group") if isinstance(hints, dict) else None
    project_id, user_id = ctx["project_id"], ctx["user_id"]
    flavor = flavors_admin.lookup(request, str(spec["flavorRef"]).rsplit("/", 1)[-1])
    if flavor is None:
        raise ApiError(400, f"Flavor {spec['flavorRef']} could not be found.")
    image_id = spec.get("imageRef") or None
    if image_id is not None:
        image_id = str(image_id).rsplit("/", 1)[-1]
        image = world.images.get(image_id)
        if image is None or (image.get("visibility") != "public" and image.get("owner") != project_id):
            raise ApiError(400, "Can not find requested image")
        if image.get("status") != "active":
            raise ApiError(400, f"Image {image_id} is not active.")
    elif not spec.get("block_device_mapping_v2"):
        raise ApiError(400, "Can not find requested image")
    key_name = spec.get("key_name")
    if key_name is not None and (user_id, key_name) not in world.keypairs:
        raise ApiError(400, "Invalid key_name provided.")
    bdms = _block_device_mappings(world, project_id, spec.get("block_device_mapping_v2") or [])
    if bdms and spec.get("max_count", spec.get("min_count", 1)) != 1 and any(b["source"] == "volume" for b in bdms):
        raise ApiError(400, "Block Device Mapping is Invalid: Boot sequence for the instance and image/block "
                            "device mapping combination is not valid.")
    groups = [g.get("name") for g in spec.get("security_groups", [{"name": "default"}]) if isinstance(g, dict)]
    network_ids = _networks_for(world, project_id, spec.get("networks", "auto"), admin=_is_admin(request))
    least = spec.get("min_count", 1)
    count = nova.check_quota(world, project_id, flavor, spec.get("max_count", least), least=least)
    if group_id is not None:
        nova_groups.check_hint(world, project_id, str(group_id), count)
    first = None
    reservation = ""  # Nova's "r-" and 8 characters, one for the whole request
    for index in range(count):
        name = spec["name"] if count == 1 else f"{spec['name']}-{index + 1}"
        server = nova._new_server(world, project_id, user_id, name, flavor["id"], image_id, key_name,
                                  spec.get("metadata"), spec.get("description"))
        if spec.get("hostname"):
            server["hostname"] = spec["hostname"]
        server["tags"] = list(spec.get("tags", []))
        server["_user_data"] = spec.get("user_data")  # stored; Nova shows it to admins only (2.3+)
        reservation = reservation or "r-" + server["id"][:8]
        server["_reservation_id"], server["_launch_index"] = reservation, index
        first = first or server
        if group_id is not None and not nova_groups.join(world, server, str(group_id)):
            nova.fail_build(world, server, request.get("request_id", ""), user_id)  # no host left for it
            continue
        _attach_block_devices(world, server, bdms, user_id)
        nova.plug_networks(world, server, network_ids, groups or ["default"])
        nova.record_action(world, server, "create", request.get("request_id", ""), user_id)
        nova.start_build(world, server)
    body = {"server": {"id": first["id"], "links": nova.links(world, "servers", first["id"]),
                       "OS-DCF:diskConfig": "MANUAL",
                       "security_groups": [{"name": g} for g in (groups or ["default"])],
                       "adminPass": spec.get("adminPass") or nova.admin_pass()}}
    return json_response(body, 202, headers={"Location": nova.links(world, "servers", first["id"])[0]["href"]})


def _block_device_mappings(world: World, project_id: str, bdms) -> list[dict]:
    """Check block_device_mapping_v2 as Nova does before building; return what to create or attach."""
    if not isinstance(bdms, list) or not all(isinstance(b, dict) for b in bdms):
        raise _bad_input("block_device_mapping_v2", bdms, "is not of type 'array'")
    out = []
    for bdm in bdms:
        source, dest = bdm.get("source_type"), bdm.get("destination_type", "volume")
        if dest != "volume":
            continue  # local disks (image, blank ephemeral, swap) are the hypervisor's: nothing to show
        size, uuid = bdm.get("volume_size"), bdm.get("uuid")
        if source == "image":
            image = world.images.get(str(uuid or ""))
            if image is None or (image.get("visibility") != "public" and image.get("owner") != project_id):
                raise ApiError(400, f"Block Device Mapping is Invalid: failed to get image {uuid}.")
            if not size or int(size) <= 0:
                raise ApiError(400, "Block Device Mapping is Invalid: Images with destination_type 'volume' need "
                                    "to have a non-zero size specified")
            if int(size) < int(image.get("min_disk") or 0):  # nova.exception.VolumeSmallerThanMinDisk
                raise ApiError(400, "Volume is smaller than the minimum size specified in image metadata. Volume "
                                    f"size is {int(size) * 1024 ** 3} bytes, minimum size is "
                                    f"{int(image['min_disk']) * 1024 ** 3} bytes.")
        elif source == "volume":
            volume = world.volumes.get(str(uuid or ""))
            if volume is None or volume.get("os-vol-tenant-attr:tenant_id") != project_id:
                raise ApiError(400, f"Block Device Mapping is Invalid: failed to get volume {uuid}.")
            if volume["status"] != "available":
                raise ApiError(400, f"Invalid volume: volume {uuid} status must be available or downloading to "
                                    f"reserve, but the current status is {volume['status']}.")
        elif source == "snapshot":
            snapshot = world.snapshots.get(str(uuid or ""))
            if snapshot is None:
                raise ApiError(400, f"Block Device Mapping is Invalid: failed to get snapshot {uuid}.")
        elif source == "blank":
            if not size or int(size) <= 0:
                raise ApiError(400, "Block Device Mapping is Invalid: Blank volumes need a non-zero size")
        else:
            raise _bad_input("source_type", source, "is not one of ['volume', 'image', 'snapshot', 'blank']")
        boot_index = bdm.get("boot_index")
        out.append({"source": source, "uuid": uuid, "size": int(size) if size else None,
                    "boot_index": None if boot_index in (None, "none") else int(boot_index),
                    "device": bdm.get("device_name"),
                    "delete_on_termination": bool(bdm.get("delete_on_termination", False))})
    return out


def _attach_block_devices(world: World, server: dict, bdms: list[dict], user_id: str) -> None:
    """Create the volumes a mapping asks for (image, snapshot, blank) and attach them all, root first."""
    for bdm in sorted(bdms, key=lambda b: (b["boot_index"] is None, b["boot_index"] or 0)):
        if bdm["source"] == "volume":
            volume_id = bdm["uuid"]
        else:
            snapshot = world.snapshots.get(bdm["uuid"]) if bdm["source"] == "snapshot" else None
            size = bdm["size"] or (snapshot or {}).get("size", 1)
            volume = cinder.create_volume(world, server["tenant_id"], "", size,
                                          image_id=bdm["uuid"] if bdm["source"] == "image" else None,
                                          snapshot_id=snapshot["id"] if snapshot else None,
                                          user_id=user_id, instant=True)
            volume_id = volume["id"]
        device = bdm["device"] or ("/dev/vda" if bdm["boot_index"] == 0 else None)
        if device:
            cinder.attach(world, volume_id, server["id"], device, instant=True)
        else:
            nova.attach_volume(world, server, volume_id, instant=True)
        cinder.set_delete_on_termination(world, volume_id, server["id"], bdm["delete_on_termination"])


async def update_server(request: web.Request) -> web.Response:
    world = world_of(request)
    server = _server(request)
    body = await read_json(request)
    spec = body.get("server") if isinstance(body, dict) else None
    if not isinstance(spec, dict):
        raise _bad_input("server", body, "'server' is a required property")
    for key in spec:
        if key not in ("name", "description", "hostname", "accessIPv4", "accessIPv6", "OS-DCF:diskConfig"):
            raise _bad_input("server", spec, f"Additional properties are not allowed ('{key}' was unexpected)")
    _check_hostname("server", spec, _mv(request))
    if "name" in spec:
        if not isinstance(spec["name"], str) or not spec["name"].strip():
            raise _bad_input("name", spec["name"], "is not a valid name")
        server["name"] = spec["name"]
    if "description" in spec:
        server["description"] = spec["description"]
    if "hostname" in spec:
        server["hostname"] = spec["hostname"]
    server["_updated"] = world.now()
    world.changed("server", server["id"])
    return json_response({"server": nova.server_view(world, server, _mv(request), show=True)})


async def delete_server(request: web.Request) -> web.Response:
    world = world_of(request)
    server = _server(request)
    check("delete", server)
    nova.record_action(world, server, "delete", request.get("request_id", ""), ctx_of(request)["user_id"])
    nova.delete(world, server)
    return no_content()


# --- actions -------------------------------------------------------------------------------------

async def server_action(request: web.Request) -> web.Response:
    world = world_of(request)
    ctx = ctx_of(request)
    mv = _mv(request)
    body = await read_json(request)
    if not isinstance(body, dict) or len(body) != 1:
        raise ApiError(400, "Malformed request body")
    name, args = next(iter(body.items()))
    server = _server(request)
    handler = _ACTIONS.get(name)
    if handler is None:
        raise ApiError(400, f"There is no such action: {name}")
    return await handler(world, server, args, mv, ctx, request)


def _args(args, action: str) -> dict:
    if args is None:
        return {}
    if not isinstance(args, dict):
        raise _bad_input(action, args, "is not of type 'object', 'null'")
    return args


async def _simple(world, server, args, mv, ctx, request, action: str) -> web.Response:
    rule = check(action, server)
    nova.record_action(world, server, rule.instance_action or action, request.get("request_id", ""), ctx["user_id"])
    nova.run_rule(world, server, action, rule)
    return no_content(204 if action == "confirmResize" else 202)


def _plain(action: str):
    async def handler(world, server, args, mv, ctx, request):
        return await _simple(world, server, args, mv, ctx, request, action)
    return handler


async def _reboot(world, server, args, mv, ctx, request):
    args = _args(args, "reboot")
    kind = args.get("type")
    if kind not in REBOOT_TYPES:
        if "type" not in args:
            raise _bad_input("reboot", args, "'type' is a required property")
        raise _bad_input("type", kind, f"'{kind}' is not one of {REBOOT_TYPES}")
    return await _simple(world, server, args, mv, ctx, request, f"reboot {kind.upper()}")


async def _resize(world, server, args, mv, ctx, request):
    args = _args(args, "resize")
    if "flavorRef" not in args:
        raise _bad_input("resize", args, "'flavorRef' is a required property")
    rule = check("resize", server)
    flavor_id = str(args["flavorRef"]).rsplit("/", 1)[-1]
    flavor = flavors_admin.lookup(request, flavor_id)
    if flavor is None:
        raise ApiError(400, f"Unable to find flavor {flavor_id}")
    if flavor_id == server["_flavor_id"]:
        raise ApiError(400, "When resizing, instances must change flavor!")
    current = nova.instance_flavor(world, server)
    if flavor["disk"] < current["disk"]:
        raise ApiError(400, "Resize error: Unable to resize disk down.")
    nova.check_quota(world, server["tenant_id"], flavor, replacing=current)
    nova.record_action(world, server, "resize", request.get("request_id", ""), ctx["user_id"])
    server["_old_flavor_id"], server["_flavor_id"] = server["_flavor_id"], flavor_id
    nova.run_rule(world, server, "resize", rule)
    return no_content(202)


async def _lock(world, server, args, mv, ctx, request):
    args = _args(args, "lock")
    check("lock", server)
    if not server["locked"]:
        nova.record_action(world, server, "lock", request.get("request_id", ""), ctx["user_id"])
    server["locked"] = True
    if mv >= (2, 73):
        server["locked_reason"] = args.get("locked_reason")
    server["_updated"] = world.now()
    nova._record(server)
    world.changed("server", server["id"])
    return no_content(202)


async def _unlock(world, server, args, mv, ctx, request):
    check("unlock", server)
    nova.record_action(world, server, "unlock", request.get("request_id", ""), ctx["user_id"])
    server["locked"], server["locked_reason"] = False, None
    server["_updated"] = world.now()
    nova._record(server)
    world.changed("server", server["id"])
    return no_content(202)


async def _create_image(world, server, args, mv, ctx, request):
    args = _args(args, "createImage")
    if not isinstance(args.get("name"), str) or not args["name"].strip():
        raise _bad_input("createImage", args, "'name' is a required property")
    rule = check("createImage", server)
    image = glance.create_server_snapshot(world, server, args["name"], args.get("metadata"))
    nova.record_action(world, server, "createImage", request.get("request_id", ""), ctx["user_id"])
    nova.run_rule(world, server, "createImage", rule)
    location = f"{world.base_url}/image/v2/images/{image['id']}"
    if mv >= (2, 45):
        return json_response({"image_id": image["id"]}, 202)
    return no_content(202, headers={"Location": location})


async def _console(world, server, args, mv, ctx, request):
    args = _args(args, "os-getConsoleOutput")
    length = args.get("length")
    if length is not None:
        try:
            length = int(length)
        except (TypeError, ValueError):
            raise _bad_input("length", length, "is not valid under any of the given schemas") from None
        if length < -1:
            raise _bad_input("length", length, "is less than the minimum of -1")
        if length == -1:
            length = None
    check("os-getConsoleOutput", server)
    from . import console

    return json_response({"output": console.console_output(world, server, length)})


async def _rescue(world, server, args, mv, ctx, request):
    rule = check("rescue", server)
    nova.record_action(world, server, "rescue", request.get("request_id", ""), ctx["user_id"])
    nova.run_rule(world, server, "rescue", rule)
    return json_response({"adminPass": nova.admin_pass()})


def _group_for(world: World, server: dict, args, action: str) -> dict:
    args = _args(args, action)
    name = args.get("name")
    if not isinstance(name, str) or not name:
        raise _bad_input(action, args, "'name' is a required property")
    group = neutron.find_security_group(world, server["tenant_id"], name)
    if group is None:
        raise ApiError(404, f"Security group {name} is not found for project {server['tenant_id']}")
    return group


async def _add_group(world, server, args, mv, ctx, request):
    group = _group_for(world, server, args, "addSecurityGroup")
    check("addSecurityGroup", server)
    ports = neutron.device_ports(world, server["id"])
    if not ports:
        raise ApiError(400, f"Unable to add security group {group['name']} to an instance without ports.")
    for port in ports:
        if group["id"] in port["security_groups"]:
            raise ApiError(400, "Invalid input for security_groups. Reason: Duplicate items in the list: "
                                f"'{group['id']}'.")
    for port in ports:
        port["security_groups"] = port["security_groups"] + [group["id"]]
    world.changed("server", server["id"])
    return no_content(202)


async def _remove_group(world, server, args, mv, ctx, request):
    group = _group_for(world, server, args, "removeSecurityGroup")
    check("removeSecurityGroup", server)
    ports = [p for p in neutron.device_ports(world, server["id"]) if group["id"] in p["security_groups"]]
    if not ports:
        raise ApiError(404, f"Security group {group['name']} not associated with the instance {server['id']}")
    for port in ports:
        port["security_groups"] = [g for g in port["security_groups"] if g != group["id"]]
    world.changed("server", server["id"])
    return no_content(202)


async def _floating(world, server, args, mv, ctx, request, add: bool):
    action = "addFloatingIp" if add else "removeFloatingIp"
    if mv >= (2, 44):  # removed from the API in 2.44: Neutron does it now
        raise ApiError(404, f"There is no such action: {action}")
    args = _args(args, action)
    address = args.get("address")
    fip = next((f for f in world.floatingips.values() if f["floating_ip_address"] == address
                and f["project_id"] == server["tenant_id"]), None)
    if fip is None:
        raise ApiError(404, "floating IP not found")
    check(action, server)
    if add:
        ports = neutron.device_ports(world, server["id"])
        if not ports:
            raise ApiError(400, "No nw_info cache associated with instance")
        neutron.associate_floating_ip(world, fip["id"], ports[0]["id"], args.get("fixed_address"))
    else:
        if fip.get("port_id") not in {p["id"] for p in neutron.device_ports(world, server["id"])}:
            raise ApiError(409, f"Floating IP {address} is not associated with instance {server['id']}.")
        neutron.associate_floating_ip(world, fip["id"], None)
    return no_content(202)


async def _add_fip(*a):
    return await _floating(*a, add=True)


async def _remove_fip(*a):
    return await _floating(*a, add=False)


def _forbidden(policy: str):
    async def handler(world, server, args, mv, ctx, request):
        raise ApiError(403, f"Policy doesn't allow {policy} to be performed.")
    return handler


_ACTIONS = {
    "os-start": _plain("os-start"), "os-stop": _plain("os-stop"), "reboot": _reboot,
    "pause": _plain("pause"), "unpause": _plain("unpause"), "suspend": _plain("suspend"),
    "resume": _plain("resume"), "shelve": _plain("shelve"), "shelveOffload": _plain("shelveOffload"),
    "unshelve": _plain("unshelve"), "resize": _resize, "confirmResize": _plain("confirmResize"),
    "revertResize": _plain("revertResize"), "lock": _lock, "unlock": _unlock, "createImage": _create_image,
    "os-getConsoleOutput": _console, "rescue": _rescue, "unrescue": _plain("unrescue"),
    "addSecurityGroup": _add_group, "removeSecurityGroup": _remove_group,
    "addFloatingIp": _add_fip, "removeFloatingIp": _remove_fip,
    "os-resetState": _forbidden("os_compute_api:os-admin-actions:reset_state"),
    "os-migrateLive": _forbidden("os_compute_api:os-migrate-server:migrate_live"),
    "migrate": _forbidden("os_compute_api:os-migrate-server:migrate"),
}


# --- server sub-resources ----------------------------------------------------------------------

async def server_ips(request: web.Request) -> web.Response:
    server = _server(request)
    addresses = neutron.server_addresses(world_of(request), server["id"], cached=True)
    return json_response({"addresses": {net: [{"version": a["version"], "addr": a["addr"]} for a in entries]
                                        for net, entries in addresses.items()}})


async def server_metadata(request: web.Request) -> web.Response:
    server = _server(request)
    if request.method in ("PUT", "POST"):
        body = await read_json(request)
        meta = body.get("metadata") if isinstance(body, dict) else None
        if not isinstance(meta, dict) or not all(isinstance(v, str) for v in meta.values()):
            raise _bad_input("metadata", body, "'metadata' is a required property")
        if server["locked"]:
            raise ApiError(409, f"Instance {server['id']} is locked")
        server["metadata"] = dict(meta) if request.method == "PUT" else {**server["metadata"], **meta}
        server["_updated"] = world_of(request).now()
    return json_response({"metadata": dict(server["metadata"])})


async def server_metadata_item(request: web.Request) -> web.Response:
    server = _server(request)
    key = request.match_info["key"]
    if request.method == "GET":
        if key not in server["metadata"]:
            raise ApiError(404, "Metadata item was not found")
        return json_response({"meta": {key: server["metadata"][key]}})
    if server["locked"]:
        raise ApiError(409, f"Instance {server['id']} is locked")
    if request.method == "DELETE":
        if key not in server["metadata"]:
            raise ApiError(404, "Metadata item was not found")
        del server["metadata"][key]
        return no_content()
    body = await read_json(request)
    meta = body.get("meta") if isinstance(body, dict) else None
    if not isinstance(meta, dict) or list(meta) != [key] or not isinstance(meta[key], str):
        raise ApiError(400, "Request body and URI mismatch")
    server["metadata"][key] = meta[key]
    server["_updated"] = world_of(request).now()
    return json_response({"meta": meta})


async def server_security_groups(request: web.Request) -> web.Response:
    world = world_of(request)
    server = _server(request)
    groups = []
    for name in nova.security_group_names(world, server):
        group = neutron.find_security_group(world, server["tenant_id"], name)
        rules = [r for r in world.security_group_rules.values()
                 if r["security_group_id"] == group["id"] and r["direction"] == "ingress"]
        groups.append({"id": group["id"], "description": group.get("description", ""), "name": group["name"],
                       "tenant_id": group.get("project_id"), "rules": [_legacy_rule(world, r) for r in rules]})
    return json_response({"security_groups": groups})


def _legacy_rule(world: World, rule: dict) -> dict:
    remote = world.security_groups.get(rule.get("remote_group_id") or "")
    return {"id": rule["id"], "parent_group_id": rule["security_group_id"], "ip_protocol": rule.get("protocol"),
            "from_port": rule.get("port_range_min"), "to_port": rule.get("port_range_max"),
            "group": {"name": remote["name"], "tenant_id": remote.get("project_id")} if remote else {},
            "ip_range": {"cidr": rule["remote_ip_prefix"]} if rule.get("remote_ip_prefix") else {}}


async def server_password(request: web.Request) -> web.Response:
    server = _server(request)
    if request.method == "DELETE":
        server["_password"] = ""
        return no_content()
    return json_response({"password": server["_password"]})


async def server_tags(request: web.Request) -> web.Response:
    server = _server(request)
    return json_response({"tags": list(server["tags"])})


async def server_tag(request: web.Request) -> web.Response:
    """PUT adds one tag (Exosphere's `exoPw:` passphrase goes this way), DELETE removes it; from 2.26."""
    if _mv(request) < (2, 26):
        raise ApiError(404, "The resource could not be found.")
    server = _server(request)
    tag = request.match_info["tag"]
    if request.method == "DELETE":
        if tag not in server["tags"]:
            raise ApiError(404, f"Tag {tag} could not be found.")
        server["tags"].remove(tag)
        return no_content()
    if not 1 <= len(tag) <= 60 or "," in tag or "/" in tag:
        raise _bad_input("tag", tag, "is not a valid tag (1 to 60 characters, no ',' or '/')")
    if tag in server["tags"]:
        return no_content()
    if len(server["tags"]) >= 50:
        raise ApiError(400, "The number of tags exceeded the per-server limit 50")
    server["tags"].append(tag)
    server["_updated"] = world_of(request).now()
    return no_content(201, headers={"Location": str(request.url)})


async def instance_actions(request: web.Request) -> web.Response:
    server = _server(request, include_deleted=True)
    mv = _mv(request)
    entries = world_of(request).instance_actions.get(server["id"], [])
    keep = ("action", "instance_uuid", "request_id", "user_id", "project_id", "start_time", "message")
    keys = keep + (("updated_at",) if mv >= (2, 58) else ())
    return json_response({"instanceActions": [{k: e[k] for k in keys} for e in entries]})


async def instance_action(request: web.Request) -> web.Response:
    server = _server(request, include_deleted=True)
    mv = _mv(request)
    rid = request.match_info["request_id"]
    entry = next((e for e in world_of(request).instance_actions.get(server["id"], []) if e["request_id"] == rid),
                 None)
    if entry is None:
        raise ApiError(404, f"Action {rid} not found")
    view = {k: v for k, v in entry.items() if k != "events" and (k != "updated_at" or mv >= (2, 58))}
    # before 2.51 only admins see the events (Nova's os-instance-actions:events policy; the oracle's mv2.1 answer to
    # a member has none, and OSC's `server event show` as an admin at 2.21 reads them)
    if mv >= (2, 51) or _is_admin(request):
        view["events"] = [{k: v for k, v in ev.items() if k != "hostId" or mv >= (2, 62)} for ev in entry["events"]]
    return json_response({"instanceAction": view})


def _attachment_view(server: dict, attachment: dict, mv: tuple[int, int]) -> dict:
    view = {"volumeId": attachment["volume_id"], "serverId": server["id"], "device": attachment["device"]}
    if mv < (2, 89):
        view = {"id": attachment["volume_id"], **view}
    if mv >= (2, 70):
        view["tag"] = None
    if mv >= (2, 79):
        view["delete_on_termination"] = attachment.get("delete_on_termination", False)
    if mv >= (2, 89):
        view["attachment_id"] = attachment.get("attachment_id")
        view["bdm_uuid"] = attachment.get("bdm_uuid") or attachment.get("attachment_id")
    return view


async def volume_attachments(request: web.Request) -> web.Response:
    world = world_of(request)
    server = _server(request)
    mv = _mv(request)
    if request.method == "GET":
        return json_response({"volumeAttachments": [_attachment_view(server, a, mv)
                                                    for a in cinder.attachments_of(world, server["id"])]})
    body = await read_json(request)
    spec = body.get("volumeAttachment") if isinstance(body, dict) else None
    if not isinstance(spec, dict) or not isinstance(spec.get("volumeId"), str):
        raise _bad_input("volumeAttachment", body, "'volumeId' is a required property")
    volume = world.volumes.get(spec["volumeId"])
    owner = volume.get("os-vol-tenant-attr:tenant_id", volume.get("project_id")) if volume is not None else None
    if volume is None or volume.get("_deleted") or owner not in (None, server["tenant_id"]):
        raise ApiError(404, f"Volume {spec['volumeId']} could not be found.")
    check("attach_volume", server)
    delete_on_termination = spec.get("delete_on_termination", False)
    if "delete_on_termination" in spec and (mv < (2, 79) or not isinstance(delete_on_termination, bool)):
        raise _bad_input("volumeAttachment", spec, "Additional properties are not allowed "
                         "('delete_on_termination' was unexpected)" if mv < (2, 79) else "is not of type 'boolean'")
    attachment = nova.attach_volume(world, server, spec["volumeId"])
    nova.record_action(world, server, "attach_volume", request.get("request_id", ""), ctx_of(request)["user_id"])
    cinder.set_delete_on_termination(world, spec["volumeId"], server["id"], delete_on_termination)
    attachment["delete_on_termination"] = delete_on_termination
    return json_response({"volumeAttachment": _attachment_view(server, attachment, mv)})


def _attachment(request: web.Request, server: dict) -> dict:
    volume_id = request.match_info["volume_id"]
    for attachment in cinder.attachments_of(world_of(request), server["id"]):
        if attachment["volume_id"] == volume_id:
            return attachment
    raise ApiError(404, f"Volume {volume_id} is not attached to instance {server['id']}")


async def volume_attachment(request: web.Request) -> web.Response:
    world = world_of(request)
    server = _server(request)
    attachment = _attachment(request, server)
    if request.method == "GET":
        return json_response({"volumeAttachment": _attachment_view(server, attachment, _mv(request))})
    if request.method == "PUT":
        return await _update_attachment(request, server, attachment)
    check("detach_volume", server)
    cinder.detach(world, attachment["volume_id"], server["id"])
    nova.record_action(world, server, "detach_volume", request.get("request_id", ""), ctx_of(request)["user_id"])
    return no_content(202)


async def _update_attachment(request: web.Request, server: dict, attachment: dict) -> web.Response:
    """PUT os-volume_attachments/{volume_id}: swapping the volume is admin-only (Nova's policy); from 2.85
    a member may change delete_on_termination (and nothing else) when the volumeId stays the same."""
    mv = _mv(request)
    body = await read_json(request)
    spec = body.get("volumeAttachment") if isinstance(body, dict) else None
    if not isinstance(spec, dict) or not isinstance(spec.get("volumeId"), str):
        raise _bad_input("volumeAttachment", body, "'volumeId' is a required property")
    if spec["volumeId"] != attachment["volume_id"] or mv < (2, 85):
        raise ApiError(403, "Policy doesn't allow os_compute_api:os-volumes-attachments:swap to be performed.")
    for key in spec:
        if key not in ("volumeId", "delete_on_termination", "id", "serverId", "device", "tag", "attachment_id",
                       "bdm_uuid"):
            raise _bad_input("volumeAttachment", spec,
                             f"Additional properties are not allowed ('{key}' was unexpected)")
    if "delete_on_termination" in spec:
        if not isinstance(spec["delete_on_termination"], bool):
            raise _bad_input("delete_on_termination", spec["delete_on_termination"], "is not of type 'boolean'")
        cinder.set_delete_on_termination(world_of(request), attachment["volume_id"], server["id"],
                                         spec["delete_on_termination"])
    return no_content(202)


def make_app(world: World) -> web.Application:
    from . import nova_catalog as catalog  # they import this module
    from . import nova_consoles, nova_groups, nova_interfaces, nova_server_admin

    app = service_app(world, "nova", public={"/", "/v2.1", "/v2.1/"})
    app.middlewares.append(microversions)
    r = app.router
    r.add_get("/", versions)
    r.add_get("/v2.1", version)
    r.add_get("/v2.1/", version)
    v = "/v2.1"
    r.add_get(f"{v}/servers", list_servers)
    r.add_post(f"{v}/servers", create_server)
    r.add_get(f"{v}/servers/detail", list_servers_detail)
    r.add_get(f"{v}/servers/{{server_id}}", show_server)
    r.add_put(f"{v}/servers/{{server_id}}", update_server)
    r.add_delete(f"{v}/servers/{{server_id}}", delete_server)
    r.add_post(f"{v}/servers/{{server_id}}/action", server_action)
    r.add_get(f"{v}/servers/{{server_id}}/ips", server_ips)
    for method in ("GET", "PUT", "POST"):
        r.add_route(method, f"{v}/servers/{{server_id}}/metadata", server_metadata)
    for method in ("GET", "PUT", "DELETE"):
        r.add_route(method, f"{v}/servers/{{server_id}}/metadata/{{key}}", server_metadata_item)
    r.add_get(f"{v}/servers/{{server_id}}/os-security-groups", server_security_groups)
    r.add_get(f"{v}/servers/{{server_id}}/os-server-password", server_password)
    r.add_delete(f"{v}/servers/{{server_id}}/os-server-password", server_password)
    r.add_get(f"{v}/servers/{{server_id}}/tags", server_tags)
    r.add_put(f"{v}/servers/{{server_id}}/tags/{{tag}}", server_tag)
    r.add_delete(f"{v}/servers/{{server_id}}/tags/{{tag}}", server_tag)
    r.add_get(f"{v}/servers/{{server_id}}/os-instance-actions", instance_actions)
    r.add_get(f"{v}/servers/{{server_id}}/os-instance-actions/{{request_id}}", instance_action)
    r.add_get(f"{v}/servers/{{server_id}}/os-volume_attachments", volume_attachments)
    r.add_post(f"{v}/servers/{{server_id}}/os-volume_attachments", volume_attachments)
    r.add_get(f"{v}/servers/{{server_id}}/os-volume_attachments/{{volume_id}}", volume_attachment)
    r.add_delete(f"{v}/servers/{{server_id}}/os-volume_attachments/{{volume_id}}", volume_attachment)
    r.add_put(f"{v}/servers/{{server_id}}/os-volume_attachments/{{volume_id}}", volume_attachment)
    r.add_get(f"{v}/flavors", catalog.list_flavors)
    r.add_get(f"{v}/flavors/detail", catalog.list_flavors_detail)
    r.add_get(f"{v}/flavors/{{flavor_id}}", catalog.show_flavor)
    r.add_get(f"{v}/flavors/{{flavor_id}}/os-extra_specs", catalog.flavor_extra_specs)
    r.add_get(f"{v}/flavors/{{flavor_id}}/os-extra_specs/{{key}}", catalog.flavor_extra_spec)
    r.add_get(f"{v}/os-keypairs", catalog.list_keypairs)
    r.add_post(f"{v}/os-keypairs", catalog.create_keypair)
    r.add_get(f"{v}/os-keypairs/{{name}}", catalog.show_keypair)
    r.add_delete(f"{v}/os-keypairs/{{name}}", catalog.delete_keypair)
    r.add_get(f"{v}/limits", catalog.limits)
    r.add_get(f"{v}/os-quota-sets/{{project_id}}", catalog.quota_set)
    r.add_put(f"{v}/os-quota-sets/{{project_id}}", catalog.quota_set)
    r.add_get(f"{v}/os-quota-sets/{{project_id}}/detail", catalog.quota_set)
    r.add_get(f"{v}/os-quota-sets/{{project_id}}/defaults", catalog.quota_defaults)
    r.add_get(f"{v}/os-availability-zone", catalog.availability_zones)
    nova_groups.add_routes(r, v)
    nova_interfaces.add_routes(r, v)
    nova_server_admin.add_routes(r, v)
    flavors_admin.add_routes(r, v)
    hosts_admin.add_routes(r, v)
    nova_consoles.add_routes(r, v)
    _ACTIONS.update(nova_consoles.ACTIONS)
    return app

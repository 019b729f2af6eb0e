"""Cinder v3 of the demo cloud: volumes, attachments as Nova drives them, snapshots, quotas.

Volumes live in `world.volumes` shaped as Cinder 3.71 shows them to a project member (the
widest view); `volume_body` trims them to the asked microversion. Private fields start "_".
"""

from __future__ import annotations

import itertools
from urllib.parse import urlencode

from aiohttp import web

from . import cinder_admin_actions as admin_actions
from . import cinder_groups as groups
from . import cinder_metadata as meta_routes
from . import cinder_qos as qos
from . import cinder_transfers as transfers
from . import cinder_types_admin as types_admin
from .common import (
    ApiError,
    as_bool,
    iso_micro,
    json_response,
    negotiate_microversion,
    new_id,
    no_content,
    parse_time,
    read_json,
    require_dict,
)
from .glance import CORE as IMAGE_CORE  # fields Glance defines; the rest are properties volumes copy
from .service import ctx_of, service_app, world_of
from .world import World

MIN_VERSION, MAX_VERSION = "3.0", "3.71"
SERVICE_UUID = "9fd6eb18-a8a8-4d00-9838-5b2e58bc2ca5"  # the (one) cinder-volume service
ATTACH_SECONDS, DETACH_SECONDS, CREATE_SECONDS, DELETE_SECONDS, EXTEND_SECONDS = 1.5, 1.5, 2.0, 1.0, 1.0
# Cinder's configured defaults, which the oracle's project also had
DEFAULT_QUOTA = {"volumes": 10, "per_volume_gigabytes": -1, "snapshots": 10, "gigabytes": 1000, "backups": 10,
                 "backup_gigabytes": 1000, "volumes___DEFAULT__": -1, "gigabytes___DEFAULT__": -1,
                 "snapshots___DEFAULT__": -1, "groups": 10}
# fields later microversions add (cinder-170 vs 171, 249 vs 250)
VOLUME_FIELDS_SINCE = {"group_id": (3, 13), "shared_targets": (3, 48), "service_uuid": (3, 48),
                       "volume_type_id": (3, 63), "consumes_quota": (3, 65)}
SNAPSHOT_FIELDS_SINCE = {"group_snapshot_id": (3, 14), "user_id": (3, 41), "consumes_quota": (3, 65)}
DELETABLE = ("available", "error", "error_restoring", "error_extending", "error_managing")
IN_USE_MESSAGE = ("Invalid volume: Volume status must be available or error or error_restoring or error_extending "
                  "or error_managing and must not be migrating, attached, belong to a group, have snapshots, "
                  "awaiting a transfer, or be disassociated from snapshots after volume transfer.")

_attach_order = itertools.count()  # Nova lists a server's attachments in the order they were made


def _when(world: World, seconds: float, fn, instant: bool) -> None:
    fn() if instant else world.later(seconds, fn)


def _stamp(world: World) -> str:
    # Cinder's database keeps whole seconds
    return iso_micro(world.now().replace(microsecond=0))


# --- functions other services and the seed call (the contract) ---------------------------------

def create_volume(world: World, project_id: str, name: str | None, size: int, *, description: str | None = None,
                  image_id: str | None = None, volume_type: str | None = None, user_id: str = "",
                  bootable: bool = False, instant: bool = False, snapshot_id: str | None = None,
                  metadata: dict | None = None) -> dict:
    """Add a volume: `creating` then `available` after a short delay (at once if `instant`)."""
    vtype = (volume_type and types_admin.by_name_or_id(world, volume_type)) or types_admin.default_type(world)
    volume = {
        "id": new_id(world), "status": "creating", "size": size, "availability_zone": "nova",
        "created_at": _stamp(world), "updated_at": None, "name": name, "description": description,
        "volume_type": vtype["name"], "snapshot_id": snapshot_id, "source_volid": None,
        "metadata": dict(metadata or {}), "user_id": user_id,
        "bootable": "true" if bootable or image_id else "false", "encrypted": False,
        "replication_status": None, "consistencygroup_id": None, "multiattach": False, "attachments": [],
        "group_id": None, "shared_targets": False, "service_uuid": SERVICE_UUID, "volume_type_id": vtype["id"],
        "consumes_quota": True, "os-vol-tenant-attr:tenant_id": project_id,
    }
    image = world.images.get(image_id or "")
    if image is not None:
        # what Cinder copies from the image, as strings
        keep = ("checksum", "container_format", "disk_format", "min_disk", "min_ram", "size")
        meta = {k: str(image[k]) for k in keep if image.get(k) is not None}
        meta.update(image_id=image["id"], image_name=image["name"] or "")
        meta.update({k: str(v) for k, v in image.items()
                     if k not in IMAGE_CORE and k != "stores" and not k.startswith("_")})
        volume["volume_image_metadata"] = meta
    world.volumes[volume["id"]] = volume

    def done() -> None:
        if volume["status"] == "creating":
            volume["status"], volume["updated_at"] = "available", _stamp(world)

    _when(world, CREATE_SECONDS, done, instant)
    return volume


def attach(world: World, volume_id: str, server_id: str, device: str, *, instant: bool = False) -> dict:
    """Nova attaches: available -> attaching -> in-use, with an attachment {id, server_id,
    attachment_id, volume_id, device, host_name, attached_at}. Raises ApiError(400) unless available.
    Returns the attachment."""
    volume = _volume(world, volume_id)
    if volume["status"] == "in-use" and not volume["multiattach"] or volume["status"] == "attaching":
        servers = ",".join(a["server_id"] for a in volume["attachments"])
        raise ApiError(400, f"Invalid volume: volume {volume_id} is already attached to instances: {servers}")
    if volume["status"] not in ("available", "in-use"):
        raise ApiError(400, f"Invalid volume: Volume {volume_id} status must be available or downloading to "
                            f"reserve, but the current status is {volume['status']}.")
    attachment = {"id": volume_id, "attachment_id": new_id(world), "volume_id": volume_id, "server_id": server_id,
                  "host_name": None, "device": device, "attached_at": _stamp(world),
                  "_attached": False, "_order": next(_attach_order)}
    volume["attachments"].append(attachment)
    volume["status"], volume["updated_at"] = "attaching", _stamp(world)

    def done() -> None:
        if attachment in volume["attachments"]:
            attachment["_attached"] = True
            volume["status"], volume["updated_at"] = "in-use", _stamp(world)

    _when(world, ATTACH_SECONDS, done, instant)
    return _public(attachment)


def detach(world: World, volume_id: str, server_id: str, *, instant: bool = False) -> None:
    """Nova detaches: in-use -> detaching -> available, the attachment removed."""
    volume = _volume(world, volume_id)
    attachment = next((a for a in volume["attachments"] if a["server_id"] == server_id), None)
    if attachment is None:
        raise ApiError(404, f"No volume Block Device Mapping with id {volume_id}.")
    volume["status"], volume["updated_at"] = "detaching", _stamp(world)

    def done() -> None:
        if attachment in volume["attachments"]:
            volume["attachments"].remove(attachment)
        volume["status"] = "in-use" if volume["attachments"] else "available"
        volume["updated_at"] = _stamp(world)

    _when(world, DETACH_SECONDS, done, instant)


def attachments_of(world: World, server_id: str) -> list[dict]:
    """The server's attachments (each with volume_id, device and Nova's delete_on_termination), in attach order."""
    found = [a for v in world.volumes.values() for a in v["attachments"] if a["server_id"] == server_id]
    return [{**_public(a), "delete_on_termination": a.get("_delete_on_termination", False)}
            for a in sorted(found, key=lambda a: a["_order"])]


def set_delete_on_termination(world: World, volume_id: str, server_id: str, value: bool) -> None:
    """Nova's block device mapping flag: the volume is deleted with the server."""
    for attachment in _volume(world, volume_id)["attachments"]:
        if attachment["server_id"] == server_id:
            attachment["_delete_on_termination"] = bool(value)


def delete_with_server(world: World, volume_id: str) -> None:
    """Nova deletes a delete_on_termination volume once it is detached: deleting, then gone."""
    volume = world.volumes.get(volume_id)
    if volume is None:
        return
    volume["status"], volume["updated_at"] = "deleting", _stamp(world)
    world.later(DELETE_SECONDS, lambda: world.volumes.pop(volume_id, None))


def _volume(world: World, volume_id: str) -> dict:
    volume = world.volumes.get(volume_id)
    if volume is None:
        raise ApiError(404, f"Volume {volume_id} could not be found.")
    return volume


def _public(item: dict) -> dict:
    return {k: v for k, v in item.items() if not k.startswith("_")}




def create_snapshot(world: World, volume: dict, name: str | None, *, description: str | None = None,
                    user_id: str = "", metadata: dict | None = None) -> dict:
    """Snapshot a volume: `creating` then `available`."""
    snapshot = {
        "id": new_id(world), "created_at": _stamp(world), "updated_at": None, "name": name, "description": description,
        "volume_id": volume["id"], "status": "creating", "size": volume["size"], "metadata": dict(metadata or {}),
        "os-extended-snapshot-attributes:project_id": volume["os-vol-tenant-attr:tenant_id"],
        "os-extended-snapshot-attributes:progress": "0%",
        "group_snapshot_id": None, "user_id": user_id, "consumes_quota": True,
    }
    world.snapshots[snapshot["id"]] = snapshot

    def done() -> None:
        if snapshot["status"] == "creating":
            snapshot.update({"status": "available", "updated_at": _stamp(world),
                             "os-extended-snapshot-attributes:progress": "100%"})

    world.later(CREATE_SECONDS, done)
    return snapshot


def usage(world: World, project_id: str) -> dict[str, int]:
    """What a project's volumes and snapshots consume, per quota resource."""
    volumes = [v for v in world.volumes.values() if v["os-vol-tenant-attr:tenant_id"] == project_id]
    snapshots = [s for s in world.snapshots.values()
                 if s["os-extended-snapshot-attributes:project_id"] == project_id]
    gigabytes = sum(v["size"] for v in volumes) + sum(s["size"] for s in snapshots)
    used = {k: 0 for k in DEFAULT_QUOTA}
    used.update(volumes=len(volumes), snapshots=len(snapshots), gigabytes=gigabytes)
    used.update({"volumes___DEFAULT__": len(volumes), "snapshots___DEFAULT__": len(snapshots),
                 "gigabytes___DEFAULT__": gigabytes})
    return used


def _limit(world: World, project_id: str, resource: str) -> int:
    return world.quota(project_id, "volume", resource, DEFAULT_QUOTA[resource])


def _check_quota(world: World, project_id: str, *, volumes: int = 0, snapshots: int = 0, gigabytes: int = 0) -> None:
    used = usage(world, project_id)
    allowed = _limit(world, project_id, "gigabytes")
    if gigabytes and allowed >= 0 and used["gigabytes"] + gigabytes > allowed:
        raise ApiError(413, "VolumeSizeExceedsAvailableQuota: Requested volume or snapshot exceeds allowed "
                            f"gigabytes quota. Requested {gigabytes}G, quota is {allowed}G and "
                            f"{used['gigabytes']}G has been consumed.")
    for resource, wanted, error in (("volumes", volumes, "VolumeLimitExceeded"),
                                    ("snapshots", snapshots, "SnapshotLimitExceeded")):
        allowed = _limit(world, project_id, resource)
        if wanted and allowed >= 0 and used[resource] + wanted > allowed:
            raise ApiError(413, f"{error}: Maximum number of {resource} allowed ({allowed}) exceeded for "
                                f"quota '{resource}'.")


# --- the HTTP API ---------------------------------------------------------------------------

def _version_doc(base: str) -> dict:
    return {"id": "v3.0", "status": "CURRENT", "version": MAX_VERSION, "min_version": MIN_VERSION,
            "updated": "2023-08-31T00:00:00Z",
            "links": [{"rel": "describedby", "type": "text/html", "href": "https://docs.openstack.org/"},
                      {"rel": "self", "href": base + "/v3/"}],
            "media-types": [{"base": "application/json", "type": "application/vnd.openstack.volume+json;version=3"}]}


async def versions(request: web.Request) -> web.Response:
    """The root answers 300 Multiple Choices; /v3/ (behind a token) the same document with 200."""
    status = 200 if "/v3" in request.path else 300
    return json_response({"versions": [_version_doc(world_of(request).base_url + "/volume")]}, status)


@web.middleware
async def _microversion(request: web.Request, handler) -> web.StreamResponse:
    """Negotiate `OpenStack-API-Version: volume X.Y` and echo it on every answer, errors included."""
    try:
        mv = negotiate_microversion(request, "volume", None, MIN_VERSION, MAX_VERSION)
    except ApiError as err:
        asked = request.headers.get("OpenStack-API-Version", "").split()[-1:] or [MIN_VERSION]
        err.headers.update({"OpenStack-API-Version": f"volume {asked[0]}", "Vary": "OpenStack-API-Version"})
        raise
    request["mv"] = mv
    headers = {"OpenStack-API-Version": f"volume {mv[0]}.{mv[1]}", "Vary": "OpenStack-API-Version"}
    try:
        response = await handler(request)
    except ApiError as err:
        err.headers = {**headers, **err.headers}
        raise
    for key, value in headers.items():
        response.headers.setdefault(key, value)
    return response


def _mv(request: web.Request) -> tuple[int, int]:
    return request.get("mv", (3, 0))


def _project(request: web.Request) -> str:
    return ctx_of(request)["project_id"]


def _links(request: web.Request, kind: str, ident: str) -> list[dict]:
    """Self and bookmark links, keeping the project id if the URL had one (cinder-251)."""
    base = world_of(request).base_url + "/volume"
    pid = request.match_info.get("project_id")
    scope = f"/{pid}" if pid else ""
    return [{"rel": "self", "href": f"{base}/v3{scope}/{kind}/{ident}"},
            {"rel": "bookmark", "href": f"{base}{scope}/{kind}/{ident}"}]


def volume_body(request: web.Request, volume: dict, *, tenant: bool = True) -> dict:
    """The volume as Cinder shows it at the request's microversion (creates and updates omit the tenant)."""
    mv = _mv(request)
    out: dict = {}
    for key, value in volume.items():
        if key.startswith("_") or mv < VOLUME_FIELDS_SINCE.get(key, (3, 0)):
            continue
        if key == "os-vol-tenant-attr:tenant_id" and not tenant:
            continue
        if key == "attachments":  # only finished attachments show; Nova's pending ones don't yet
            value = [_public(a) for a in value if a["_attached"]]
        out[key] = value
        if key == "metadata":
            out["links"] = _links(request, "volumes", volume["id"])
    return out


def snapshot_body(request: web.Request, snapshot: dict, *, extended: bool = True) -> dict:
    mv = _mv(request)
    return {k: v for k, v in snapshot.items()
            if mv >= SNAPSHOT_FIELDS_SINCE.get(k, (3, 0))
            and (extended or not k.startswith("os-extended-snapshot-attributes:"))}


def _owned_volume(request: web.Request, volume_id: str) -> dict:
    volume = world_of(request).volumes.get(volume_id)
    if volume is None or volume["os-vol-tenant-attr:tenant_id"] != _project(request):
        raise ApiError(404, f"Volume {volume_id} could not be found.")
    return volume


def _owned_snapshot(request: web.Request, snapshot_id: str) -> dict:
    snapshot = world_of(request).snapshots.get(snapshot_id)
    if snapshot is None or snapshot["os-extended-snapshot-attributes:project_id"] != _project(request):
        raise ApiError(404, f"Snapshot {snapshot_id} could not be found.")
    return snapshot


TIME_FILTERS_SINCE = (3, 60)  # created_at / updated_at with operators: Cinder's "changes-since"
_COMPARE = {"gt": lambda a, b: a > b, "gte": lambda a, b: a >= b, "eq": lambda a, b: a == b,
            "neq": lambda a, b: a != b, "lt": lambda a, b: a < b, "lte": lambda a, b: a <= b}


def _compare_times(request: web.Request, items: list[dict]) -> list[dict]:
    """`updated_at=gte:2026-12-06T10:00:00Z` (several joined by commas), from 3.60 on; an item whose time is
    null (a volume never updated) matches no comparison, as in Cinder's database. Before 3.60 the filter
    keys are refused as unknown."""
    q = request.query
    for key in ("created_at", "updated_at"):
        if key not in q:
            continue
        if _mv(request) < TIME_FILTERS_SINCE:
            raise ApiError(400, f"Invalid input received: Invalid filters {key} are found in query options.")
        for unit in q[key].split(","):
            operator, _, text = unit.partition(":")
            if operator not in _COMPARE:
                raise ApiError(400, "Time comparison operators must be in (gt, gte, eq, neq, lt, lte)")
            try:
                when = parse_time(text)
            except ValueError:
                raise ApiError(400, f"Invalid input received: Invalid time format for {key}: {text}") from None
            items = [i for i in items if i.get(key) and _COMPARE[operator](parse_time(i[key]), when)]
    return items


def _listing(request: web.Request, kind: str, items: list[dict], render) -> web.Response:
    """Filter, sort and page a collection the way Cinder does, with a `<kind>_links` next link."""
    q = request.query
    if kind == "volumes":
        items = _compare_times(request, items)
    for key in ("name", "status", "volume_id", "availability_zone"):
        if key in q:
            items = [i for i in items if str(i.get(key)) == q[key]]
    if "bootable" in q:
        items = [i for i in items if i.get("bootable") == str(as_bool(q["bootable"])).lower()]
    if "sort" in q:
        sorts = [(s.split(":") + ["desc"])[:2] for s in q["sort"].split(",")]
    else:
        keys, dirs = q.getall("sort_key", ["created_at"]), q.getall("sort_dir", [])
        sorts = [[k, dirs[n] if n < len(dirs) else "desc"] for n, k in enumerate(keys)]
    for key, direction in reversed(sorts + [["id", "desc"]]):  # stable sorts, least significant first
        if direction not in ("asc", "desc"):
            raise ApiError(400, "Invalid input received: Unknown sort direction, must be 'desc' or 'asc'")
        items.sort(key=lambda i: (i.get(key) is not None, i.get(key) if isinstance(i.get(key), int)
                                  else str(i.get(key) or "")), reverse=direction == "desc")
    if "marker" in q:
        ids = [i["id"] for i in items]
        if q["marker"] not in ids:
            raise ApiError(404, f"Marker {q['marker']} could not be found.")
        items = items[ids.index(q["marker"]) + 1:]
    body: dict = {kind: items}
    if "limit" in q:
        if not q["limit"].isdigit():
            raise ApiError(400, "limit param must be an integer")
        if len(items) > int(q["limit"]):
            items = body[kind] = items[:int(q["limit"])]
            query = [(k, v) for k, v in q.items() if k != "marker"] + [("marker", items[-1]["id"])]
            href = f"{world_of(request).base_url}{request.path}?{urlencode(query)}"
            body[f"{kind}_links"] = [{"href": href, "rel": "next"}]
    body[kind] = [render(i) for i in body[kind]]
    return json_response(body)


# --- volumes ---

def _project_volumes(request: web.Request) -> list[dict]:
    pid = _project(request)
    return [v for v in world_of(request).volumes.values() if v["os-vol-tenant-attr:tenant_id"] == pid]


async def list_volumes(request: web.Request) -> web.Response:
    if request.path.endswith("/detail"):
        return _listing(request, "volumes", _project_volumes(request), lambda v: volume_body(request, v))
    return _listing(request, "volumes", _project_volumes(request),
                    lambda v: {"id": v["id"], "name": v["name"], "links": _links(request, "volumes", v["id"])})


async def volumes_summary(request: web.Request) -> web.Response:
    volumes = _project_volumes(request)
    if _mv(request) < (3, 12):
        raise ApiError(404, "The resource could not be found.")
    summary: dict = {"total_size": sum(v["size"] for v in volumes), "total_count": len(volumes)}
    if _mv(request) >= (3, 36):
        summary["metadata"] = {k: [v] for vol in volumes for k, v in vol["metadata"].items()}
    return json_response({"volume-summary": summary})


async def show_volume(request: web.Request) -> web.Response:
    return json_response({"volume": volume_body(request, _owned_volume(request, request.match_info["volume_id"]))})


def _size(value) -> int:
    """The requested size, refused with Cinder's jsonschema wording (cinder-256)."""
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ApiError(400, f"Invalid input for field/attribute size. Value: {value}. "
                            f"{value!r} is not of type 'integer', 'string', 'null'")
    if value < 1:
        raise ApiError(400, f"Invalid input for field/attribute size. Value: {value}. "
                            f"{value} is less than the minimum of 1")
    return value


async def create_volume_api(request: web.Request) -> web.Response:
    world, ctx = world_of(request), ctx_of(request)
    spec = require_dict(await read_json(request), "volume")
    image_id = spec.get("imageRef") or spec.get("image_id")
    snapshot = _owned_snapshot(request, spec["snapshot_id"]) if spec.get("snapshot_id") else None
    if image_id:
        image = world.images.get(image_id)
        if image is None or not (image["visibility"] in ("public", "community") or image["owner"] == ctx["project_id"]):
            raise ApiError(400, "Invalid input received: Invalid image identifier or unable to access "
                                "requested image.")
    if spec.get("size") is None and snapshot is None:
        raise ApiError(400, "Invalid input received: Volume size 'None' must be an integer and greater than 0")
    size = _size(spec["size"]) if spec.get("size") is not None else snapshot["size"]
    if spec.get("availability_zone") not in (None, "nova"):
        raise ApiError(400, f"Invalid input received: Availability zone '{spec['availability_zone']}' is invalid.")
    vtype = spec.get("volume_type") or types_admin.default_type(world)["name"]
    if types_admin.by_name_or_id(world, vtype) is None:
        raise ApiError(404, f"Volume type with name {vtype} could not be found.")
    _check_quota(world, ctx["project_id"], volumes=1, gigabytes=size)
    volume = create_volume(world, ctx["project_id"], spec.get("name"), size, description=spec.get("description"),
                           image_id=image_id, user_id=ctx["user_id"], metadata=spec.get("metadata"),
                           snapshot_id=snapshot["id"] if snapshot else None, volume_type=vtype)
    volume["multiattach"] = bool(spec.get("multiattach"))
    # the answer shows the volume as it was created, even when the demo's transitions are instant
    body = {**volume_body(request, volume, tenant=False), "status": "creating", "updated_at": None}
    return json_response({"volume": body}, 202)


async def update_volume(request: web.Request) -> web.Response:
    volume = _owned_volume(request, request.match_info["volume_id"])
    spec = require_dict(await read_json(request), "volume")
    for key, legacy in (("name", "display_name"), ("description", "display_description")):
        if key in spec or legacy in spec:
            volume[key] = spec.get(key, spec.get(legacy))
    if isinstance(spec.get("metadata"), dict):
        volume["metadata"] = {str(k): str(v) for k, v in spec["metadata"].items()}
    volume["updated_at"] = _stamp(world_of(request))
    return json_response({"volume": volume_body(request, volume, tenant=False)})


async def delete_volume(request: web.Request) -> web.Response:
    world = world_of(request)
    volume = _owned_volume(request, request.match_info["volume_id"])
    has_snapshots = any(s["volume_id"] == volume["id"] for s in world.snapshots.values())
    cascade = as_bool(request.query.get("cascade"))
    if volume["status"] not in DELETABLE or volume["attachments"] or (has_snapshots and not cascade):
        raise ApiError(400, IN_USE_MESSAGE)
    volume["status"], volume["updated_at"] = "deleting", _stamp(world)
    for snapshot in [s for s in world.snapshots.values() if s["volume_id"] == volume["id"]]:
        snapshot["status"] = "deleting"
        world.later(DELETE_SECONDS, lambda sid=snapshot["id"]: world.snapshots.pop(sid, None))
    world.later(DELETE_SECONDS, lambda: world.volumes.pop(volume["id"], None))
    return no_content(202)


async def _action_of(request: web.Request) -> tuple[str, object]:
    """An action body's one key and its arguments."""
    body = await read_json(request)
    if not isinstance(body, dict) or len(body) != 1:
        raise ApiError(400, "Malformed request body")
    action, args = next(iter(body.items()))
    return action, args


async def volume_action(request: web.Request) -> web.Response:
    world, ctx = world_of(request), ctx_of(request)
    volume = _owned_volume(request, request.match_info["volume_id"])
    action, args = await _action_of(request)
    if action == "os-extend":
        if not isinstance(args, dict) or "new_size" not in args:
            raise ApiError(400, "Invalid input for field/attribute os-extend. 'new_size' is a required property")
        new_size = _size(args["new_size"])
        allowed = ("available", "in-use") if _mv(request) >= (3, 42) else ("available",)
        if volume["status"] not in allowed:
            raise ApiError(400, f"Invalid volume: Volume {volume['id']} status must be "
                                f"{' or '.join(allowed)} to extend, but current status is: {volume['status']}.")
        if new_size <= volume["size"]:
            raise ApiError(400, "Invalid input received: New size for extend must be greater than current size. "
                                f"(current: {volume['size']}, extended: {new_size}).")
        _check_quota(world, ctx["project_id"], gigabytes=new_size - volume["size"])
        before = volume["status"]
        volume["status"], volume["updated_at"] = "extending", _stamp(world)

        def extended() -> None:
            volume.update(size=new_size, status=before, updated_at=_stamp(world))

        world.later(EXTEND_SECONDS, extended)
        return no_content(202)
    if action == "os-set_bootable":
        flag = args.get("bootable") if isinstance(args, dict) else None
        volume["bootable"] = "true" if as_bool(str(flag)) else "false"
        return web.Response(status=200)
    if action == "os-reset_status":
        return admin_actions.reset_volume_status(request, volume, args)
    if action == "os-set_image_metadata":
        return meta_routes.set_image_metadata(volume, args)
    if action == "os-unset_image_metadata":
        return meta_routes.unset_image_metadata(volume, args)
    if action == "os-show_image_metadata":
        return meta_routes.show_image_metadata(volume)
    if action in ("os-force_delete", "os-migrate_volume", "os-retype"):
        raise ApiError(403, f"Policy doesn't allow volume_extension:volume_admin_actions:"
                            f"{action[3:]} to be performed.")
    raise ApiError(400, f"There is no such action: {action}")


# --- snapshots ---

def _project_snapshots(request: web.Request) -> list[dict]:
    pid = _project(request)
    return [s for s in world_of(request).snapshots.values() if s["os-extended-snapshot-attributes:project_id"] == pid]


async def list_snapshots(request: web.Request) -> web.Response:
    detail = request.path.endswith("/detail")
    return _listing(request, "snapshots", _project_snapshots(request),
                    lambda s: snapshot_body(request, s, extended=detail))


async def show_snapshot(request: web.Request) -> web.Response:
    snapshot = _owned_snapshot(request, request.match_info["snapshot_id"])
    return json_response({"snapshot": snapshot_body(request, snapshot)})


async def create_snapshot_api(request: web.Request) -> web.Response:
    world, ctx = world_of(request), ctx_of(request)
    spec = require_dict(await read_json(request), "snapshot")
    if not spec.get("volume_id"):
        raise ApiError(400, "Invalid input for field/attribute snapshot. 'volume_id' is a required property")
    volume = _owned_volume(request, spec["volume_id"])
    # before 3.66 an in-use volume needs force=True
    ok = ("available", "in-use") if as_bool(str(spec.get("force"))) or _mv(request) >= (3, 66) else ("available",)
    if volume["status"] not in ok:
        raise ApiError(400, f"Invalid volume: Volume {volume['id']} status must be available, but current "
                            f"status is: {volume['status']}.")
    _check_quota(world, ctx["project_id"], snapshots=1, gigabytes=volume["size"])
    snapshot = create_snapshot(world, volume, spec.get("name") or spec.get("display_name"),
                               description=spec.get("description"), user_id=ctx["user_id"],
                               metadata=spec.get("metadata"))
    body = {**snapshot_body(request, snapshot, extended=False), "status": "creating", "updated_at": None}
    return json_response({"snapshot": body}, 202)


async def update_snapshot(request: web.Request) -> web.Response:
    snapshot = _owned_snapshot(request, request.match_info["snapshot_id"])
    spec = require_dict(await read_json(request), "snapshot")
    for key in ("name", "description"):
        if key in spec:
            snapshot[key] = spec[key]
    snapshot["updated_at"] = _stamp(world_of(request))
    return json_response({"snapshot": snapshot_body(request, snapshot, extended=False)})


async def snapshot_action(request: web.Request) -> web.Response:
    snapshot = _owned_snapshot(request, request.match_info["snapshot_id"])
    action, args = await _action_of(request)
    if action == "os-reset_status":
        return admin_actions.reset_snapshot_status(request, snapshot, args)
    raise ApiError(400, f"There is no such action: {action}")


async def delete_snapshot(request: web.Request) -> web.Response:
    world = world_of(request)
    snapshot = _owned_snapshot(request, request.match_info["snapshot_id"])
    if snapshot["status"] not in ("available", "error"):
        raise ApiError(400, "Invalid snapshot: Volume Snapshot status must be available or error and must not "
                            "be part of a group.")
    snapshot["status"] = "deleting"
    world.later(DELETE_SECONDS, lambda: world.snapshots.pop(snapshot["id"], None))
    return no_content(202)


# --- limits, quotas, zones (volume types: cinder_types_admin) ---

async def limits(request: web.Request) -> web.Response:
    world, pid = world_of(request), _project(request)
    used = usage(world, pid)
    absolute = {"maxTotalVolumes": _limit(world, pid, "volumes"), "maxTotalSnapshots": _limit(world, pid, "snapshots"),
                "maxTotalVolumeGigabytes": _limit(world, pid, "gigabytes"),
                "maxTotalBackups": _limit(world, pid, "backups"),
                "maxTotalBackupGigabytes": _limit(world, pid, "backup_gigabytes"),
                "totalVolumesUsed": used["volumes"], "totalGigabytesUsed": used["gigabytes"],
                "totalSnapshotsUsed": used["snapshots"], "totalBackupsUsed": 0, "totalBackupGigabytesUsed": 0}
    return json_response({"limits": {"rate": [], "absolute": absolute}})


def _quota_target(request: web.Request) -> str:
    target = request.match_info["target"]
    if target != _project(request):
        raise ApiError(403, "Policy doesn't allow volume_extension:quotas:show to be performed.")
    return target


async def show_quota(request: web.Request) -> web.Response:
    world, pid = world_of(request), _quota_target(request)
    body: dict = {k: _limit(world, pid, k) for k in DEFAULT_QUOTA}
    if as_bool(request.query.get("usage")):
        used = usage(world, pid)
        body = {k: {"limit": v, "in_use": used[k], "reserved": 0} for k, v in body.items()}
    body["id"] = pid
    return json_response({"quota_set": body})


async def quota_defaults(request: web.Request) -> web.Response:
    return json_response({"quota_set": {**DEFAULT_QUOTA, "id": _quota_target(request)}})


async def update_quota(request: web.Request) -> web.Response:
    raise ApiError(403, "Policy doesn't allow volume_extension:quotas:update to be performed.")


async def availability_zones(request: web.Request) -> web.Response:
    return json_response({"availabilityZoneInfo": [{"zoneName": "nova", "zoneState": {"available": True}}]})


async def empty_backups(request: web.Request) -> web.Response:
    return json_response({"backups": []})


ROUTES = [
    ("GET", "/volumes", list_volumes), ("GET", "/volumes/detail", list_volumes),
    ("GET", "/volumes/summary", volumes_summary), ("POST", "/volumes", create_volume_api),
    ("GET", "/volumes/{volume_id}", show_volume), ("PUT", "/volumes/{volume_id}", update_volume),
    ("DELETE", "/volumes/{volume_id}", delete_volume), ("POST", "/volumes/{volume_id}/action", volume_action),
    ("GET", "/snapshots", list_snapshots), ("GET", "/snapshots/detail", list_snapshots),
    ("POST", "/snapshots", create_snapshot_api), ("GET", "/snapshots/{snapshot_id}", show_snapshot),
    ("PUT", "/snapshots/{snapshot_id}", update_snapshot), ("DELETE", "/snapshots/{snapshot_id}", delete_snapshot),
    ("POST", "/snapshots/{snapshot_id}/action", snapshot_action),
    *meta_routes.routes("volumes", _owned_volume, "volume_id", "Volume"),
    *meta_routes.routes("snapshots", _owned_snapshot, "snapshot_id", "Snapshot"),
    *types_admin.ROUTES, *transfers.ROUTES, *qos.ROUTES, *groups.ROUTES,
    ("GET", "/limits", limits),
    ("GET", "/os-quota-sets/{target}", show_quota), ("PUT", "/os-quota-sets/{target}", update_quota),
    ("GET", "/os-quota-sets/{target}/defaults", quota_defaults),
    ("GET", "/os-availability-zone", availability_zones), ("GET", "/os-services", admin_actions.list_services),
    ("GET", "/backups", empty_backups), ("GET", "/backups/detail", empty_backups),
]


def make_app(world: World) -> web.Application:
    app = service_app(world, "cinder", public={"/"})
    app.middlewares.append(_microversion)
    app.router.add_get("/", versions)
    app.router.add_get("/v3", versions)
    app.router.add_get("/v3/", versions)
    # both URL forms: /v3/volumes and the legacy /v3/{project_id}/volumes (cinder-251)
    for prefix in ("/v3", "/v3/{project_id}"):
        for method, path, handler in ROUTES:
            app.router.add_route(method, prefix + path, handler)
    return app

"""Manila (shared-file-system v2) of the demo cloud: shares, their access rules and export locations, share
types, quota sets with usage and limits, as Manila's API answers them (manila/api/v2, manila/share/api.py):
microversions from X-OpenStack-Manila-API-Version (2.0 without it, 406 out of range), errors in Manila's
Fault shape (`itemNotFound`, `badRequest`, ...), creates answered 200, deletes and actions 202. Shares move
creating -> available, extending -> available, deleting -> gone on the demo's timers; a cephx rule gets its
access key when it turns active. The backend is Jetstream2's: CephFS through the `cephfsnativetype` type."""

from __future__ import annotations

import hashlib
import ipaddress
import random
import string
import uuid
from typing import Any, Callable

from aiohttp import web

from .common import ApiError, iso_micro, json_response, new_id, parse_version, read_json
from .service import ctx_of, service_app, world_of
from .world import World

MIN_VERSION, MAX_VERSION = "2.0", "2.65"
HEADER = "X-OpenStack-Manila-API-Version"
DEFAULT_TYPE = "cephfsnativetype"  # Jetstream2's one share type
PROTOCOLS = ("NFS", "CIFS", "CEPHFS")  # the demo's enabled_share_protocols
CEPH_MONITORS = "10.0.0.1:6789,10.0.0.2:6789,10.0.0.3:6789"  # where a CephFS export's path says to mount from
NAME_MAX = 255  # constants.DB_DISPLAY_FIELDS_MAX_LENGTH
# Manila's default quotas (manila/quota.py), what the demo's projects get
QUOTA_DEFAULTS = {"shares": 50, "gigabytes": 1000, "snapshots": 50, "snapshot_gigabytes": 1000,
                  "share_networks": 10, "share_groups": 50, "share_group_snapshots": 50, "share_replicas": 100,
                  "replica_gigabytes": 1000, "per_share_gigabytes": -1}
CREATE_SECONDS, EXTEND_SECONDS, DELETE_SECONDS, ACCESS_SECONDS = 3.0, 2.0, 2.0, 1.5
_FAULTS = {400: "badRequest", 401: "unauthorized", 403: "forbidden", 404: "itemNotFound", 405: "badMethod",
           409: "conflictingRequest", 413: "overLimit", 415: "badMediaType", 501: "notImplemented",
           503: "serviceUnavailable"}
NOT_FOUND = "The resource could not be found."  # webob's HTTPNotFound() explanation, which Manila often sends


def fault(status: int, message: str) -> dict:
    """Manila's Fault body (manila/api/openstack/wsgi.py)."""
    body: dict[str, Any] = {"code": status, "message": message}
    if status == 413:
        body["retryAfter"] = "0"
    return {_FAULTS.get(status, "computeFault"): body}


class ManilaError(ApiError):
    def __init__(self, status: int, message: str):
        super().__init__(status, message, headers={"Retry-After": "0"} if status == 413 else None)


# --- the world's tables --------------------------------------------------------------------------------

def _tables(world: World) -> dict:
    return world.shares


def share_types(world: World) -> list[dict]:
    return list(_tables(world)["types"].values())


def _ensure(world: World) -> dict:
    tables = world.shares
    if not tables:
        tables.update({"shares": {}, "rules": {}, "types": {}, "exports": {}})
        # one ID of its own, as Cinder's default type has: drawn from the world's seeded stream it shifted every
        # ID seeded after it (the frozen screenshots' server groups and instances)
        tid = str(uuid.uuid5(uuid.NAMESPACE_URL, f"exotui-demo/manila/types/{DEFAULT_TYPE}"))
        tables["types"][tid] = {
            "id": tid, "name": DEFAULT_TYPE, "description": "CephFS, mounted with the kernel client and a cephx key",
            "extra_specs": {"driver_handles_share_servers": "False", "snapshot_support": "False",
                            "create_share_from_snapshot_support": "False"}, "is_public": True}
    return tables


def _quota(world: World, pid: str, resource: str) -> int:
    return world.quota(pid, "share", resource, QUOTA_DEFAULTS.get(resource, -1))


def _usage(world: World, pid: str) -> dict[str, int]:
    mine = [s for s in _ensure(world)["shares"].values() if s["project_id"] == pid]
    return {"shares": len(mine), "gigabytes": sum(s["size"] for s in mine)}


IdMaker = Callable[[], str]


def add_share(world: World, pid: str, user_id: str, name: str | None, size: int, proto: str = "CEPHFS",
              share_type: dict | None = None, description: str | None = None, status: str = "available",
              ids: IdMaker | None = None) -> dict:
    """A share as Manila keeps it, with its CephFS export when available (seed and create). `ids`: where its
    IDs come from (the seed's own stream, so seeded shares and their paths are the same every run)."""
    ids = ids or (lambda: new_id(world))
    tables = _ensure(world)
    share_type = share_type or next(t for t in tables["types"].values() if t["name"] == DEFAULT_TYPE)
    sid = ids()
    share = {"id": sid, "name": name, "description": description, "size": size, "share_proto": proto,
             "status": status, "project_id": pid, "user_id": user_id, "type_id": share_type["id"],
             "type_name": share_type["name"], "created_at": world.now(), "metadata": {}, "is_public": False,
             "availability_zone": "nova", "task_state": None, "rules_status": "active", "progress": "100%"}
    tables["shares"][sid] = share
    if status == "available":
        _export(world, share, ids)
    return share


def _export(world: World, share: dict, ids: IdMaker | None = None) -> None:
    if share["id"] in _tables(world)["exports"]:
        return
    ids = ids or (lambda: new_id(world))
    sub = ids()
    path = (f"{CEPH_MONITORS}:/volumes/_nogroup/{sub}/{ids()}" if share["share_proto"] == "CEPHFS"
            else f"10.0.0.10:/volumes/_nogroup/{sub}")
    _tables(world)["exports"][share["id"]] = [{"id": ids(), "path": path, "preferred": True,
                                               "created_at": world.now(), "updated_at": world.now()}]


def add_rule(world: World, share: dict, access_type: str, access_to: str, level: str = "rw",
             state: str = "queued_to_apply", ids: IdMaker | None = None) -> dict:
    rid = (ids or (lambda: new_id(world)))()
    rule = {"id": rid, "share_id": share["id"], "access_type": access_type, "access_to": access_to,
            "access_level": level, "state": state, "access_key": None, "created_at": world.now(),
            "updated_at": None, "metadata": {}}
    _tables(world)["rules"][rid] = rule
    if state == "active":
        _activate(world, rule)
    return rule


def _activate(world: World, rule: dict) -> None:
    rule["state"] = "active"
    rule["updated_at"] = world.now()
    if rule["access_type"] == "cephx" and not rule["access_key"]:
        # a cephx key is 40 base64 characters (a 16-byte secret with its header), made by Ceph on apply
        import base64

        digest = hashlib.sha256(f"{rule['id']}-{world.knobs.seed}".encode()).digest()
        rule["access_key"] = base64.b64encode(b"\x01\x00" + digest[:10] + b"\x10\x00" + digest[10:26]).decode()


def seed(world: World) -> None:
    """A scratch share with a cephx rule in the first project, a workshop share in the second."""
    from .seed import DEMO_PROJECTS, DEMO_USER

    _ensure(world)
    user = next((u for u in world.users.values() if u["name"] == DEMO_USER), None)
    projects = {p["name"]: p["id"] for p in world.projects.values()}
    if user is None:
        return
    first, second = (projects.get(name) for name, _ in DEMO_PROJECTS)
    rng = random.Random(f"manila-{world.knobs.seed}")

    def ids() -> str:
        return str(uuid.UUID(int=rng.getrandbits(128), version=4))

    if first:
        share = add_share(world, first, user["id"], "genomics-scratch", 500,
                          description="shared reads and references for the assembly runs", ids=ids)
        add_rule(world, share, "cephx", "genomics-scratch-rw", state="active", ids=ids)
        add_share(world, first, user["id"], "reference-db", 100, description="read-mostly reference genomes",
                  ids=ids)
    if second:
        share = add_share(world, second, user["id"], "workshop-home", 50,
                          description="workshop participants' files", ids=ids)
        add_rule(world, share, "cephx", "workshop", state="active", ids=ids)


# --- views ---------------------------------------------------------------------------------------------

def _mv(request: web.Request) -> tuple[int, int]:
    return request["manila_mv"]


def _base(request: web.Request) -> str:
    return f"{world_of(request).base_url}/share/v2/{request.match_info['project_id']}"


def _share_view(request: web.Request, share: dict) -> dict:
    world, mv = world_of(request), _mv(request)
    links = [{"href": f"{_base(request)}/shares/{share['id']}", "rel": "self"},
             {"href": f"{world.base_url}/share/{request.match_info['project_id']}/shares/{share['id']}",
              "rel": "bookmark"}]
    body: dict[str, Any] = {
        "id": share["id"], "size": share["size"], "availability_zone": share["availability_zone"],
        "created_at": iso_micro(share["created_at"]), "status": share["status"], "name": share["name"],
        "description": share["description"], "project_id": share["project_id"], "snapshot_id": None,
        "share_network_id": None, "share_proto": share["share_proto"], "metadata": dict(share["metadata"]),
        "share_type": share["type_name"], "volume_type": share["type_name"], "links": links,
        "is_public": share["is_public"]}
    if mv < (2, 9):
        exports = [e["path"] for e in _tables(world)["exports"].get(share["id"], [])]
        body["export_location"] = exports[0] if exports else None
        body["export_locations"] = exports
    if mv >= (2, 2):
        body["snapshot_support"] = False
    if mv >= (2, 5):
        body["task_state"] = share["task_state"]
    if mv >= (2, 6):
        body["share_type"] = share["type_id"]
        body["share_type_name"] = share["type_name"]
    if mv >= (2, 10):
        status = share["rules_status"]
        body["access_rules_status"] = "out_of_sync" if status == "syncing" and mv <= (2, 27) else status
    if mv >= (2, 11):
        body["replication_type"] = None
        body["has_replicas"] = False
    if mv >= (2, 16):
        body["user_id"] = share["user_id"]
    if mv >= (2, 24):
        body["create_share_from_snapshot_support"] = False
    if mv >= (2, 27):
        body["revert_to_snapshot_support"] = False
    if mv >= (2, 31):
        body["share_group_id"] = None
        body["source_share_group_snapshot_member_id"] = None
    if mv >= (2, 32):
        body["mount_snapshot_support"] = False
    if mv >= (2, 54):
        body["progress"] = share["progress"]
    return body


def _rule_view(request: web.Request, rule: dict, *, with_share: bool = True) -> dict:
    mv = _mv(request)
    body: dict[str, Any] = {"id": rule["id"], "access_level": rule["access_level"], "access_to": rule["access_to"],
                            "access_type": rule["access_type"], "state": rule["state"]}
    if with_share:
        body = {"share_id": rule["share_id"], **body}
    if mv >= (2, 21):
        body["access_key"] = rule["access_key"]
    if mv < (2, 28):  # per-rule states came back in 2.28; before, the share's own
        share = _tables(world_of(request))["shares"].get(rule["share_id"], {})
        body["state"] = "new" if share.get("rules_status") == "syncing" else share.get("rules_status", "active")
    if mv >= (2, 33):
        body["created_at"] = iso_micro(rule["created_at"])
        body["updated_at"] = iso_micro(rule["updated_at"]) if rule["updated_at"] else None
    if mv >= (2, 45):
        body["metadata"] = dict(rule["metadata"])
    return body


def _type_view(request: web.Request, share_type: dict) -> dict:
    mv = _mv(request)
    specs = dict(share_type["extra_specs"])
    if mv >= (2, 24):
        for key in ("snapshot_support", "create_share_from_snapshot_support", "revert_to_snapshot_support",
                    "mount_snapshot_support"):
            specs.setdefault(key, False)
    body: dict[str, Any] = {"id": share_type["id"], "name": share_type["name"], "extra_specs": specs,
                            "required_extra_specs": {"driver_handles_share_servers":
                                                     share_type["extra_specs"]["driver_handles_share_servers"]}}
    body["share_type_access:is_public" if mv >= (2, 7) else "os-share-type-access:is_public"] = share_type["is_public"]
    if mv >= (2, 41):
        body["description"] = share_type["description"]
    if mv >= (2, 46):
        body["is_default"] = share_type["name"] == DEFAULT_TYPE
    return body


# --- middleware: microversions and Manila's faults ------------------------------------------------------

@web.middleware
async def _manila(request: web.Request, handler) -> web.StreamResponse:
    """Negotiate X-OpenStack-Manila-API-Version below /v2 (Manila ignores it elsewhere), echo it on every
    answer, and render errors as Manila's Fault."""
    asked = request.headers.get(HEADER)
    versioned = "/v2" in request.path
    mv: tuple[int, int] | None = None
    try:
        if versioned:
            mv = parse_version(MIN_VERSION)
            if asked:
                try:
                    mv = parse_version(asked)
                    if asked.strip() != f"{mv[0]}.{mv[1]}" or mv[0] < 1:
                        raise ValueError(asked)
                except ValueError:
                    raise ManilaError(400, f"API Version String {asked} is of invalid format. Must be of format "
                                           "MajorNum.MinorNum.") from None
                if not parse_version(MIN_VERSION) <= mv <= parse_version(MAX_VERSION):
                    shown = f"{mv[0]}.{mv[1]}"
                    mv = None
                    raise ManilaError(406, f"Version {shown} is not supported by the API. Minimum is "
                                           f"{MIN_VERSION} and maximum is {MAX_VERSION}.")
        request["manila_mv"] = mv or (2, 0)
        response = await handler(request)
    except ApiError as err:
        response = json_response(fault(err.status, err.message), err.status, headers=err.headers)
    if mv is not None:
        response.headers[HEADER] = f"{mv[0]}.{mv[1]}"
        response.headers["Vary"] = HEADER
    return response


def _check_project(request: web.Request) -> str:
    pid = ctx_of(request)["project_id"]
    if request.match_info["project_id"] != pid:
        raise ManilaError(400, "Malformed request url")
    return pid


def _share(request: web.Request, sid: str, message: str = NOT_FOUND, status: int = 404) -> dict:
    pid = _check_project(request)
    share = _ensure(world_of(request))["shares"].get(sid)
    if share is None or share["project_id"] != pid:
        raise ManilaError(status, message)
    return share


async def _body(request: web.Request) -> Any:
    return await read_json(request, malformed="Malformed request body")


def _display(value: Any, field: str) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        value = str(value)
    if len(value) > NAME_MAX:
        raise ManilaError(400, f"Invalid input received: {field} can only be {NAME_MAX} characters long.")
    return value


# --- handlers ------------------------------------------------------------------------------------------

def _versions_doc(request: web.Request) -> dict:
    base = world_of(request).base_url
    return {"versions": [{
        "id": "v2.0", "status": "CURRENT", "version": MAX_VERSION, "min_version": MIN_VERSION,
        "updated": "2015-08-27T11:33:21Z",
        "links": [{"rel": "describedby", "type": "text/html", "href": "http://docs.openstack.org/"},
                  {"rel": "self", "href": f"{base}/share/v2/"}],
        "media-types": [{"base": "application/json", "type": "application/vnd.openstack.share+json;version=1"}]}]}


async def versions(request: web.Request) -> web.Response:
    return json_response(_versions_doc(request), 300)


async def version_v2(request: web.Request) -> web.Response:
    return json_response(_versions_doc(request))


def _visible(request: web.Request) -> list[dict]:
    pid = _check_project(request)
    shares = [s for s in _ensure(world_of(request))["shares"].values() if s["project_id"] == pid]
    query = request.query
    for key, field in (("name", "name"), ("status", "status"), ("share_proto", "share_proto")):
        if key in query:
            shares = [s for s in shares if s[field] == query[key]]
    if "name~" in query:
        shares = [s for s in shares if query["name~"] in (s["name"] or "")]
    key = query.get("sort_key", "created_at")
    key = {"name": "name"}.get(key, key)
    reverse = query.get("sort_dir", "desc") == "desc"
    shares.sort(key=lambda s: (str(s.get(key) or ""), s["id"]), reverse=reverse)
    try:
        offset = int(query.get("offset", 0))
        if "limit" in query:
            shares = shares[offset:offset + int(query["limit"])]
        else:
            shares = shares[offset:]
    except ValueError:
        raise ManilaError(400, "limit param must be an integer") from None
    return shares


async def list_shares(request: web.Request) -> web.Response:
    links_base = _base(request)
    return json_response({"shares": [{"id": s["id"], "name": s["name"], "links": [
        {"href": f"{links_base}/shares/{s['id']}", "rel": "self"}]} for s in _visible(request)]})


async def list_shares_detail(request: web.Request) -> web.Response:
    return json_response({"shares": [_share_view(request, s) for s in _visible(request)]})


async def show_share(request: web.Request) -> web.Response:
    return json_response({"share": _share_view(request, _share(request, request.match_info["share_id"]))})


async def create_share(request: web.Request) -> web.Response:
    world, ctx = world_of(request), ctx_of(request)
    pid = _check_project(request)
    body = await _body(request)
    if not isinstance(body, dict) or not isinstance(body.get("share"), dict):
        raise ManilaError(422, "Unable to process the contained instructions")
    spec = body["share"]
    for required in ("size", "share_proto"):
        if required not in spec:  # Manila reads both as keys: a KeyError, which wsgi answers 400
            raise ManilaError(400, "The server could not comply with the request since it is either malformed or "
                                   "otherwise incorrect.")
    name = _display(spec.get("name") or spec.get("display_name"), "name")
    description = _display(spec.get("description") or spec.get("display_description"), "description")
    if "share_type" in spec and "volume_type" in spec:
        raise ManilaError(400, "Cannot specify both share_type and volume_type")
    tables = _ensure(world)
    wanted = spec.get("share_type", spec.get("volume_type"))
    if wanted:
        share_type = next((t for t in tables["types"].values() if wanted in (t["id"], t["name"])), None)
        if share_type is None:
            raise ManilaError(404, "Share type not found.")
    else:
        share_type = next(t for t in tables["types"].values() if t["name"] == DEFAULT_TYPE)
    size = spec["size"]
    if isinstance(size, bool) or not (isinstance(size, int) or (isinstance(size, str) and size.strip().isdigit())) \
            or int(size) <= 0:
        raise ManilaError(400, f"Invalid input received: Share size '{size}' must be an integer and greater than 0.")
    size = int(size)
    proto = spec["share_proto"]
    if not isinstance(proto, str) or proto.upper() not in PROTOCOLS:
        raise ManilaError(400, f"Invalid input received: Invalid share protocol provided: {proto}. It is either "
                               f"disabled or unsupported. Available protocols: {list(PROTOCOLS)}.")
    usage = _usage(world, pid)
    gigabytes, shares = _quota(world, pid, "gigabytes"), _quota(world, pid, "shares")
    if gigabytes >= 0 and usage["gigabytes"] + size > gigabytes:
        raise ManilaError(413, "ShareSizeExceedsAvailableQuota: Requested share exceeds allowed project/user or "
                               "share type gigabytes quota.")
    if shares >= 0 and usage["shares"] + 1 > shares:
        raise ManilaError(413, f"ShareLimitExceeded: Maximum number of shares allowed ({shares}) either per "
                               "project/user or share type quota is exceeded.")
    share = add_share(world, pid, ctx["user_id"], name, size, proto.upper(), share_type, description,
                      status="creating")
    share["progress"] = "0%"
    if isinstance(spec.get("metadata"), dict):
        share["metadata"] = {str(k): str(v) for k, v in spec["metadata"].items()}

    def created() -> None:
        if share["status"] == "creating":
            share["status"], share["progress"] = "available", "100%"
            _export(world, share)

    world.later(CREATE_SECONDS, created)
    return json_response({"share": _share_view(request, share)})


async def update_share(request: web.Request) -> web.Response:
    body = await _body(request)
    if not isinstance(body, dict) or "share" not in body or not isinstance(body["share"], dict):
        raise ManilaError(422, "Unable to process the contained instructions")
    share = _share(request, request.match_info["share_id"])
    data = body["share"]
    for key, field in (("display_name", "name"), ("display_description", "description")):
        if key in data:
            share[field] = _display(data[key], key)
    if "is_public" in data:
        share["is_public"] = bool(data["is_public"])
    return json_response({"share": _share_view(request, share)})


async def delete_share(request: web.Request) -> web.Response:
    world = world_of(request)
    share = _share(request, request.match_info["share_id"])
    if share["status"] not in ("available", "error", "inactive"):
        raise ManilaError(403, "Invalid share: Share status must be one of ('available', 'error', 'inactive').")
    share["status"] = "deleting"

    def gone() -> None:
        tables = _tables(world)
        tables["shares"].pop(share["id"], None)
        tables["exports"].pop(share["id"], None)
        for rid in [r["id"] for r in tables["rules"].values() if r["share_id"] == share["id"]]:
            tables["rules"].pop(rid, None)

    world.later(DELETE_SECONDS, gone)
    return web.Response(status=202)


async def share_action(request: web.Request) -> web.Response:
    world = world_of(request)
    body = await _body(request)
    if not isinstance(body, dict) or len(body) != 1:
        raise ManilaError(400, "Malformed request body")
    action, args = next(iter(body.items()))
    mv = _mv(request)
    handlers = {"extend": ((2, 7), _extend), "os-extend": ((2, 0), _extend),
                "allow_access": ((2, 7), _allow), "os-allow_access": ((2, 0), _allow),
                "deny_access": ((2, 7), _deny), "os-deny_access": ((2, 0), _deny),
                "access_list": ((2, 7), _access_list), "os-access_list": ((2, 0), _access_list)}
    entry = handlers.get(action)
    legacy = action.startswith("os-")
    if entry is None or mv < entry[0] or (legacy and mv > (2, 6)) or (action == "access_list" and mv > (2, 44)):
        raise ManilaError(404, NOT_FOUND)  # Manila: no such action at this version
    share = _share(request, request.match_info["share_id"])
    return await entry[1](request, world, share, args if isinstance(args, dict) else {})


async def _extend(request: web.Request, world: World, share: dict, args: dict) -> web.Response:
    try:
        new_size = int(args["new_size"])
    except (KeyError, ValueError, TypeError):
        raise ManilaError(400, "New share size must be specified as an integer.") from None
    if share["status"] != "available":
        raise ManilaError(400, f"Invalid share: Share {share['id']} status must be 'available' to extend, but "
                               f"current status is: {share['status']}.")
    if new_size <= share["size"]:
        raise ManilaError(400, "Invalid input received: New size for extend must be greater than current size. "
                               f"(current: {share['size']}, extended: {new_size}).")
    gigabytes = _quota(world, share["project_id"], "gigabytes")
    if gigabytes >= 0 and _usage(world, share["project_id"])["gigabytes"] + new_size - share["size"] > gigabytes:
        raise ManilaError(403, "Requested share exceeds allowed project/user or share type gigabytes quota.")
    share["status"] = "extending"

    def extended() -> None:
        if share["status"] == "extending":
            share["size"], share["status"] = new_size, "available"

    world.later(EXTEND_SECONDS, extended)
    return web.Response(status=202)


def _validate_access(access_type: Any, access_to: Any, mv: tuple[int, int]) -> None:
    ceph = mv >= (2, 13)
    if access_type == "ip":
        try:
            (ipaddress.ip_network if mv >= (2, 38) else ipaddress.IPv4Network)(str(access_to))
        except ValueError as err:
            raise ManilaError(400, str(err)) from None
    elif access_type == "cephx" and ceph:
        if not access_to:
            raise ManilaError(400, "Ceph IDs may not be empty.")
        if not set(str(access_to)) <= set(string.printable):
            raise ManilaError(400, "Ceph IDs must consist of ASCII printable characters.")
        if "." in str(access_to):
            raise ManilaError(400, "Ceph IDs may not contain periods.")
    elif access_type in ("user", "cert"):
        if not isinstance(access_to, str) or not 4 <= len(access_to) <= 255:
            raise ManilaError(400, "Invalid user or group name. Must be 4-255 characters and consist of "
                                   "alphanumeric characters and exclude special characters \"/\\[]:;|=,+*?<>")
    else:
        raise ManilaError(400, "Only 'ip', 'user', 'cert' or 'cephx' access types are supported." if ceph
                          else "Only 'ip', 'user' or 'cert' access types are supported.")


async def _allow(request: web.Request, world: World, share: dict, args: dict) -> web.Response:
    mv = _mv(request)
    if "access_type" not in args or "access_to" not in args:
        raise ManilaError(400, "The server could not comply with the request since it is either malformed or "
                               "otherwise incorrect.")
    access_type, access_to = args["access_type"], args["access_to"]
    level = args.get("access_level")
    if share["rules_status"] == "error" and mv < (2, 28):
        raise ManilaError(400, "Access rules cannot be added while the share or any of its replicas or migration "
                               "copies has its access_rules_status set to error. Deny any rules in error state and "
                               "try again.")
    _validate_access(access_type, access_to, mv)
    if level not in ("rw", "ro", None):
        raise ManilaError(400, f"Invalid access rule: Invalid share access level: {level}.")
    rules = _tables(world)["rules"]
    if any(r["share_id"] == share["id"] and r["access_type"] == access_type and r["access_to"] == access_to
           for r in rules.values()):
        raise ManilaError(400, f"Share access {access_type}:{access_to} exists.")
    if share["status"] != "available":
        raise ManilaError(400, "New access rules cannot be applied while the share or any of its replicas or "
                               "migration copies lacks a valid host or is in an invalid state.")
    rule = add_rule(world, share, access_type, str(access_to), level or "rw")
    if mv >= (2, 45) and isinstance(args.get("metadata"), dict):
        rule["metadata"] = {str(k): str(v) for k, v in args["metadata"].items()}
    share["rules_status"] = "syncing"

    def applied() -> None:
        if rule["id"] in rules and rule["state"] == "queued_to_apply":
            _activate(world, rule)
        _settle(world, share)

    world.later(ACCESS_SECONDS, applied)
    return json_response({"access": _rule_view(request, rule)})


def _settle(world: World, share: dict) -> None:
    pending = [r for r in _tables(world)["rules"].values()
               if r["share_id"] == share["id"] and r["state"] not in ("active", "error")]
    if not pending:
        share["rules_status"] = "active"


async def _deny(request: web.Request, world: World, share: dict, args: dict) -> web.Response:
    rules = _tables(world)["rules"]
    rid = args.get("access_id")
    rule = rules.get(rid) if isinstance(rid, str) else None
    if rule is None or rule["share_id"] != share["id"]:
        raise ManilaError(404, "Resource could not be found.")  # share_access_get's NotFound()
    if share["status"] != "available":
        raise ManilaError(400, "Access rules cannot be denied while the share, any of its replicas or migration "
                               "copies lacks a valid host or is in an invalid state.")
    rule["state"] = "queued_to_deny"
    share["rules_status"] = "syncing"

    def denied() -> None:
        rules.pop(rule["id"], None)
        _settle(world, share)

    world.later(ACCESS_SECONDS, denied)
    return web.Response(status=202)


async def _access_list(request: web.Request, world: World, share: dict, args: dict) -> web.Response:
    rules = [r for r in _tables(world)["rules"].values() if r["share_id"] == share["id"]]
    return json_response({"access_list": [_rule_view(request, r, with_share=False) for r in rules]})


async def list_access_rules(request: web.Request) -> web.Response:
    if _mv(request) < (2, 45):
        raise ManilaError(404, NOT_FOUND)
    sid = request.query.get("share_id")
    if sid is None:
        raise ManilaError(400, "The field 'share_id' has to be specified.")
    share = _share(request, sid, f"Share {sid} not found.", 400)
    rules = [r for r in _tables(world_of(request))["rules"].values() if r["share_id"] == share["id"]]
    for key in ("access_type", "access_to", "access_level", "state"):
        if key in request.query:
            rules = [r for r in rules if r[key] == request.query[key]]
    return json_response({"access_list": [_rule_view(request, r, with_share=False) for r in rules]})


async def show_access_rule(request: web.Request) -> web.Response:
    if _mv(request) < (2, 45):
        raise ManilaError(404, NOT_FOUND)
    pid = _check_project(request)
    world = world_of(request)
    rid = request.match_info["access_id"]
    rule = _tables(world)["rules"].get(rid) if _ensure(world) else None
    share = _tables(world)["shares"].get(rule["share_id"]) if rule else None
    if rule is None or share is None or share["project_id"] != pid:
        raise ManilaError(404, f"Share access rule {rid} not found.")
    return json_response({"access": _rule_view(request, rule)})


def _export_view(request: web.Request, export: dict, detail: bool) -> dict:
    body: dict[str, Any] = {"id": export["id"], "path": export["path"]}
    if _mv(request) >= (2, 14):
        body["preferred"] = export["preferred"]
    if detail:
        body["created_at"] = iso_micro(export["created_at"])
        body["updated_at"] = iso_micro(export["updated_at"])
    return body


async def list_exports(request: web.Request) -> web.Response:
    if _mv(request) < (2, 9):
        raise ManilaError(404, NOT_FOUND)
    sid = request.match_info["share_id"]
    share = _share(request, sid, f"Share '{sid}' not found.")
    exports = _tables(world_of(request))["exports"].get(share["id"], [])
    return json_response({"export_locations": [_export_view(request, e, False) for e in exports]})


async def show_export(request: web.Request) -> web.Response:
    if _mv(request) < (2, 9):
        raise ManilaError(404, NOT_FOUND)
    sid, eid = request.match_info["share_id"], request.match_info["export_id"]
    share = _share(request, sid, f"Share '{sid}' not found.")
    for export in _tables(world_of(request))["exports"].get(share["id"], []):
        if export["id"] == eid:
            return json_response({"export_location": _export_view(request, export, True)})
    raise ManilaError(404, f"Export location '{eid}' not found.")


async def list_types(request: web.Request) -> web.Response:
    _check_project(request)
    types = [_type_view(request, t) for t in share_types(world_of(request)) if t["is_public"]]
    return json_response({"volume_types": types, "share_types": types})


async def default_type(request: web.Request) -> web.Response:
    _check_project(request)
    share_type = next(t for t in share_types(world_of(request)) if t["name"] == DEFAULT_TYPE)
    view = _type_view(request, share_type)
    return json_response({"volume_type": view, "share_type": view})


def _quota_view(request: web.Request, world: World, pid: str, detail: bool) -> dict:
    mv = _mv(request)
    usage = _usage(world, pid)
    keys = ["shares", "gigabytes", "snapshots", "snapshot_gigabytes", "share_networks"]
    if mv >= (2, 40):
        keys += ["share_groups", "share_group_snapshots"]
    if mv >= (2, 53):
        keys += ["share_replicas", "replica_gigabytes"]
    if mv >= (2, 62):
        keys += ["per_share_gigabytes"]
    view: dict[str, Any] = {"id": pid}
    for key in keys:
        limit = _quota(world, pid, key)
        view[key] = {"limit": limit, "in_use": usage.get(key, 0), "reserved": 0} if detail else limit
    return {"quota_set": view}


async def show_quotas(request: web.Request) -> web.Response:
    pid = _check_project(request)
    detail = request.path.endswith("/detail")
    if _mv(request) < ((2, 25) if detail else (2, 7)):
        raise ManilaError(404, NOT_FOUND)
    target = request.match_info["target"]
    if target != pid:
        raise ManilaError(403, "Policy doesn't allow quota_set:show to be performed.")
    return json_response(_quota_view(request, world_of(request), pid, detail))


async def limits(request: web.Request) -> web.Response:
    pid = _check_project(request)
    world = world_of(request)
    usage = _usage(world, pid)
    absolute = {"maxTotalShareGigabytes": _quota(world, pid, "gigabytes"),
                "maxTotalSnapshotGigabytes": _quota(world, pid, "snapshot_gigabytes"),
                "maxTotalShares": _quota(world, pid, "shares"),
                "maxTotalShareSnapshots": _quota(world, pid, "snapshots"),
                "maxTotalShareNetworks": _quota(world, pid, "share_networks"),
                "totalSharesUsed": usage["shares"], "totalShareSnapshotsUsed": 0, "totalShareNetworksUsed": 0,
                "totalShareGigabytesUsed": usage["gigabytes"], "totalSnapshotGigabytesUsed": 0}
    if _mv(request) >= (2, 40):
        absolute.update({"maxTotalShareGroups": _quota(world, pid, "share_groups"),
                         "maxTotalShareGroupSnapshots": _quota(world, pid, "share_group_snapshots"),
                         "totalShareGroupsUsed": 0, "totalShareGroupSnapshotsUsed": 0})
    if _mv(request) >= (2, 53):
        absolute.update({"maxTotalShareReplicas": _quota(world, pid, "share_replicas"),
                         "maxTotalReplicaGigabytes": _quota(world, pid, "replica_gigabytes"),
                         "totalShareReplicasUsed": 0, "totalReplicaGigabytesUsed": 0})
    return json_response({"limits": {"rate": [], "absolute": absolute}})


def make_app(world: World) -> web.Application:
    _ensure(world)
    app = service_app(world, "nova", public=("/", "/v2", "/v2/"))
    app.middlewares.append(_manila)
    r = app.router
    r.add_get("/", versions)
    r.add_get("/v2", version_v2)
    r.add_get("/v2/", version_v2)
    p = "/v2/{project_id}"
    r.add_get(p + "/shares", list_shares)
    r.add_post(p + "/shares", create_share)
    r.add_get(p + "/shares/detail", list_shares_detail)
    r.add_get(p + "/shares/{share_id}", show_share)
    r.add_put(p + "/shares/{share_id}", update_share)
    r.add_delete(p + "/shares/{share_id}", delete_share)
    r.add_post(p + "/shares/{share_id}/action", share_action)
    r.add_get(p + "/shares/{share_id}/export_locations", list_exports)
    r.add_get(p + "/shares/{share_id}/export_locations/{export_id}", show_export)
    r.add_get(p + "/share-access-rules", list_access_rules)
    r.add_get(p + "/share-access-rules/{access_id}", show_access_rule)
    r.add_get(p + "/types", list_types)
    r.add_get(p + "/types/default", default_type)
    r.add_get(p + "/quota-sets/{target}", show_quotas)
    r.add_get(p + "/quota-sets/{target}/detail", show_quotas)
    r.add_get(p + "/limits", limits)
    return app

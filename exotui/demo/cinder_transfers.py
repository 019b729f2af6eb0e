"""Cinder's volume transfers: `/volume-transfers` (3.55+) and the older `/os-volume-transfer` extension.

Held against Cinder 29's code: cinder/api/v3/volume_transfer.py and api/contrib/volume_transfer.py (the
controllers), api/views/transfers.py (summary, detail and create views; `no_snapshots` from 3.55, the history
fields from 3.57), api/schemas/volume_transfer.py, cinder/transfer/api.py and the transfer_* functions of
cinder/db/api.py, policies/volume_transfer.py (every call a project member's).
- Create (202) needs an `available` volume of the caller's project, and snapshots all `available` unless
  `no_snapshots`; it answers the `auth_key` once (only a salted hash is kept) and the volume waits in
  `awaiting-transfer`.
- List and show are the donor project's (an admin's `all_tenants` lists every project's); another project
  gets 404 for a transfer it has not been given the ID of, as Cinder's query joins the volume's project.
- Accept (202) by any project holding the ID and the key: the volume (and its snapshots unless `no_snapshots`)
  moves to the acceptor's project and is `available` again; the transfer is then gone from the lists.
- Delete (202) puts the volume back to `available`.
Transfers live in `world.volume_transfers` (id -> record); fields starting "_" are the demo's own.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re

from aiohttp import web

from . import cinder_types_admin as types_admin
from .common import ApiError, as_bool, iso_micro, json_response, new_id, no_content, read_json, schema_error
from .service import ctx_of, is_admin, world_of
from .world import World

SALT_LENGTH, KEY_LENGTH = 8, 16  # cinder.conf's volume_transfer_salt_length, volume_transfer_key_length
WITH_SNAPSHOTS, WITH_HISTORY, PAGINATION = (3, 55), (3, 57), (3, 59)
COLLECTION = "os-volume-transfer"  # the view builder's collection name, whichever URL was asked
UUID = re.compile(r"^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$")


def _random_hex(length: int) -> str:
    """transfer/api.py `_get_random_string`: hex digits a recipient can type."""
    out = ""
    while len(out) < length:
        out += hashlib.sha224(os.urandom(255)).hexdigest()
    return out[:length]


def _crypt_hash(salt: str, auth_key) -> str:
    return hmac.new(salt.encode(), str(auth_key).encode(), hashlib.sha1).hexdigest()


def _mv(request: web.Request) -> tuple[int, int]:
    return request.get("mv", (3, 0))


def _stamp(world: World) -> str:
    return iso_micro(world.now().replace(microsecond=0))


def _links(request: web.Request, ident: str) -> list[dict]:
    from . import cinder  # it imports this module

    return cinder._links(request, COLLECTION, ident)


def _view(request: web.Request, transfer: dict, *, auth_key: str | None = None) -> dict:
    """views/transfers.py `detail` (and `create` with the key)."""
    body = {"id": transfer["id"], "created_at": transfer["created_at"], "name": transfer["name"],
            "volume_id": transfer["volume_id"]}
    if auth_key is not None:
        body["auth_key"] = auth_key
    body["links"] = _links(request, transfer["id"])
    if _mv(request) >= WITH_SNAPSHOTS:
        body["no_snapshots"] = transfer["no_snapshots"]
    if _mv(request) >= WITH_HISTORY:
        body.update({k: transfer[k] for k in ("destination_project_id", "source_project_id", "accepted")})
    return body


def _summary(request: web.Request, transfer: dict) -> dict:
    return {"id": transfer["id"], "volume_id": transfer["volume_id"], "name": transfer["name"],
            "links": _links(request, transfer["id"])}


def _find(request: web.Request, *, any_project: bool = False) -> dict:
    """db `_transfer_get`: an admin (or an acceptor, with an elevated context) finds any open transfer; a member
    only those of volumes its project owns."""
    world, transfer_id = world_of(request), request.match_info["transfer_id"]
    transfer = world.volume_transfers.get(transfer_id)
    volume = world.volumes.get(transfer["volume_id"]) if transfer else None
    mine = volume is not None and volume["os-vol-tenant-attr:tenant_id"] == ctx_of(request)["project_id"]
    if transfer is None or not (mine or any_project or is_admin(request)):
        raise ApiError(404, f"Transfer {transfer_id} could not be found.")
    return transfer


# --- the routes --------------------------------------------------------------------------------

async def create_transfer(request: web.Request) -> web.Response:
    world, ctx = world_of(request), ctx_of(request)
    spec = types_admin.body_object(await read_json(request), "transfer")
    allowed = {"volume_id", "name"} | ({"no_snapshots"} if _mv(request) >= WITH_SNAPSHOTS else set())
    extra = sorted(set(spec) - allowed)
    if extra:
        raise schema_error("transfer", spec, f"Additional properties are not allowed ({', '.join(map(repr, extra))} "
                           f"{'was' if len(extra) == 1 else 'were'} unexpected)")
    if "volume_id" not in spec:
        raise schema_error("transfer", spec, "'volume_id' is a required property")
    volume_id = spec["volume_id"]
    if not isinstance(volume_id, str) or not UUID.match(volume_id):
        raise schema_error("volume_id", volume_id, f"{volume_id!r} is not a 'uuid'")
    name = spec.get("name")
    if name is not None and not isinstance(name, str):
        raise schema_error("name", name, f"{name!r} is not valid under any of the given schemas")
    no_snapshots = as_bool(str(spec.get("no_snapshots", False)))
    volume = world.volumes.get(volume_id)
    if volume is None or volume["os-vol-tenant-attr:tenant_id"] != ctx["project_id"]:
        raise ApiError(404, f"Volume {volume_id} could not be found.")
    if volume["status"] != "available":
        raise ApiError(400, "Invalid volume: status must be available")
    if not no_snapshots:
        for snapshot in world.snapshots.values():
            if snapshot["volume_id"] == volume_id and snapshot["status"] != "available":
                raise ApiError(400, f"Invalid snapshot: snapshot: {snapshot['id']} status must be available")
    salt, auth_key = _random_hex(SALT_LENGTH), _random_hex(KEY_LENGTH)
    transfer = {"id": new_id(world), "volume_id": volume_id,
                "name": name.strip() if name is not None else None, "created_at": _stamp(world),
                "no_snapshots": no_snapshots, "source_project_id": ctx["project_id"],
                "destination_project_id": None, "accepted": False, "_salt": salt,
                "_crypt_hash": _crypt_hash(salt, auth_key)}
    world.volume_transfers[transfer["id"]] = transfer
    volume["status"], volume["updated_at"] = "awaiting-transfer", _stamp(world)
    return json_response({"transfer": _view(request, transfer, auth_key=auth_key)}, 202)


async def list_transfers(request: web.Request) -> web.Response:
    world, pid = world_of(request), ctx_of(request)["project_id"]
    q = request.query
    every = is_admin(request) and as_bool(q.get("all_tenants", "false"))
    found = [t for t in world.volume_transfers.values()
             if every or world.volumes.get(t["volume_id"], {}).get("os-vol-tenant-attr:tenant_id") == pid]
    if "name" in q:
        found = [t for t in found if t["name"] == q["name"]]
    if "volume_id" in q:
        found = [t for t in found if t["volume_id"] == q["volume_id"]]
    newest_first = _mv(request) >= PAGINATION and q.get("sort_dir", "desc") == "desc"
    found.sort(key=lambda t: (t["created_at"], t["id"]), reverse=newest_first)
    if _mv(request) >= PAGINATION and "marker" in q:
        ids = [t["id"] for t in found]
        if q["marker"] not in ids:
            raise ApiError(404, f"Transfer {q['marker']} could not be found.")
        found = found[ids.index(q["marker"]) + 1:]
    if "limit" in q and q["limit"].isdigit():
        found = found[:int(q["limit"])]
    detail = request.path.endswith("/detail")
    return json_response({"transfers": [_view(request, t) if detail else _summary(request, t) for t in found]})


async def show_transfer(request: web.Request) -> web.Response:
    return json_response({"transfer": _view(request, _find(request))})


async def accept_transfer(request: web.Request) -> web.Response:
    from . import cinder  # it imports this module

    world, ctx = world_of(request), ctx_of(request)
    body = await read_json(request)
    if not isinstance(body, dict) or "accept" not in body:
        raise schema_error("body", body, "'accept' is a required property")
    args = body["accept"]
    if not isinstance(args, dict) or "auth_key" not in args:
        raise schema_error("accept", args, "'auth_key' is a required property")
    transfer = _find(request, any_project=True)
    if not hmac.compare_digest(_crypt_hash(transfer["_salt"], args["auth_key"]), transfer["_crypt_hash"]):
        raise ApiError(400, f"Invalid auth key: Attempt to transfer {transfer['id']} with invalid auth key.")
    volume = world.volumes[transfer["volume_id"]]
    snapshots = [] if transfer["no_snapshots"] else [s for s in world.snapshots.values()
                                                     if s["volume_id"] == volume["id"]]
    cinder._check_quota(world, ctx["project_id"], volumes=1, gigabytes=volume["size"])
    volume.update({"os-vol-tenant-attr:tenant_id": ctx["project_id"], "user_id": ctx["user_id"],
                   "status": "available", "updated_at": _stamp(world)})
    for snapshot in snapshots:
        snapshot.update({"os-extended-snapshot-attributes:project_id": ctx["project_id"], "user_id": ctx["user_id"]})
    del world.volume_transfers[transfer["id"]]  # Cinder marks it deleted and accepted: no list shows it again
    return json_response({"transfer": _summary(request, transfer)}, 202)


async def delete_transfer(request: web.Request) -> web.Response:
    world = world_of(request)
    transfer = _find(request)
    volume = world.volumes.get(transfer["volume_id"])
    if volume is not None and volume["status"] == "awaiting-transfer":
        volume["status"], volume["updated_at"] = "available", _stamp(world)
    del world.volume_transfers[transfer["id"]]
    return no_content(202)


ROUTES = [
    (method, f"/{collection}{path}", handler)
    for collection in ("volume-transfers", "os-volume-transfer")
    for method, path, handler in (
        ("GET", "", list_transfers), ("GET", "/detail", list_transfers), ("POST", "", create_transfer),
        ("GET", "/{transfer_id}", show_transfer), ("DELETE", "/{transfer_id}", delete_transfer),
        ("POST", "/{transfer_id}/accept", accept_transfer))
]

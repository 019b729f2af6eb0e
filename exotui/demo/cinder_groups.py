"""Cinder's generic volume groups: group types (3.11+, written by an admin) and groups (3.13+, a project's).

Held against Cinder 29's code: cinder/api/v3/group_types.py and views/group_types.py, api/v3/groups.py and
views/groups.py, api/schemas/group_types.py and groups.py, cinder/group/api.py, policies/group_types.py
(create, update, delete `rule:admin_api`; a type's `group_specs` shown to an admin only), policies/groups.py
(a project member's), and the initial migration, which makes the public group type `default_cgsnapshot_type`
(reserved: no group may use it). The real stack's one backend (Cinder's FakeLoggingVolumeDriver) creates a
group with the generic implementation: `creating`, then `available`; a delete is `deleting`, then gone.
Below 3.11 (types) or 3.13 (groups) the routes are 404, as Cinder's versioned methods answer.
Types live in `world.group_types`, groups in `world.volume_groups` (id -> record; "_" fields the demo's own).
"""

from __future__ import annotations

import uuid
from typing import Any

from aiohttp import web

from . import cinder_types_admin as types_admin
from .common import (
    FALSE_WORDS,
    TRUE_WORDS,
    ApiError,
    as_bool,
    iso_micro,
    json_response,
    new_id,
    no_content,
    policy_refused,
    read_json,
    schema_error,
)
from .service import ctx_of, is_admin, world_of
from .world import World

GROUP_TYPE, GROUP_VOLUME, GROUP_SNAPSHOTS, GROUP_REPLICATION = (3, 11), (3, 13), (3, 14), (3, 38)
CGSNAPSHOT_TYPE = "default_cgsnapshot_type"
CREATE_SECONDS, DELETE_SECONDS = 1.0, 1.0
DEFAULT_GROUPS_QUOTA = 10


def _stamp(world: World) -> str:
    return iso_micro(world.now().replace(microsecond=0))


def _since(request: web.Request, version: tuple[int, int]) -> None:
    if request.get("mv", (3, 0)) < version:
        raise ApiError(404, "The resource could not be found.")


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def group_types(world: World) -> dict[str, dict]:
    """The world's group types, with the one Cinder's first migration makes."""
    if not world.group_types:
        record: dict[str, Any] = {"id": new_id(world), "name": CGSNAPSHOT_TYPE, "is_public": True,
                  "description": "Default group type for migrating cgsnapshot",
                  "group_specs": {"consistent_group_snapshot_enabled": "<is> True"}, "_created_at": _stamp(world)}
        world.group_types[record["id"]] = record
    return world.group_types


def _type_view(request: web.Request, gtype: dict) -> dict:
    body = {k: gtype[k] for k in ("id", "name", "description", "is_public")}
    if is_admin(request):  # group:access_group_types_specs
        body["group_specs"] = dict(gtype["group_specs"])
    return body


def _find_type(request: web.Request, ident: str) -> dict:
    gtype = group_types(world_of(request)).get(ident)
    if gtype is None or not (gtype["is_public"] or is_admin(request)):
        raise ApiError(404, f"Group type {ident} could not be found.")
    return gtype


def _text(field: str, value, *, shortest: int = 0, nullable: bool = True) -> str | None:
    if value is None and nullable:
        return None
    if not isinstance(value, str):
        raise schema_error(field, value, f"{value!r} is not of type 'string'{', ' + repr('null') if nullable else ''}")
    if len(value) < shortest or len(value) > 255:
        raise schema_error(field, value, f"{value!r} is too {'short' if len(value) < shortest else 'long'}")
    return value


def _object(body, key: str, allowed: set[str]) -> dict:
    spec = types_admin.body_object(body, key)
    extra = sorted(set(spec) - allowed)
    if extra:
        raise schema_error(key, spec, f"Additional properties are not allowed ({', '.join(map(repr, extra))} "
                           f"{'was' if len(extra) == 1 else 'were'} unexpected)")
    return spec


def _boolean(field: str, value) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in TRUE_WORDS | FALSE_WORDS:
        return value.strip().lower() in TRUE_WORDS
    raise schema_error(field, value, f"{value!r} is not a boolean")


# --- group types -------------------------------------------------------------------------------

async def list_group_types(request: web.Request) -> web.Response:
    _since(request, GROUP_TYPE)
    shown = [t for t in group_types(world_of(request)).values() if t["is_public"] or is_admin(request)]
    shown.sort(key=lambda t: (t["_created_at"], t["id"]), reverse=True)
    return json_response({"group_types": [_type_view(request, t) for t in shown]})


async def show_group_type(request: web.Request) -> web.Response:
    _since(request, GROUP_TYPE)
    ident = request.match_info["group_type_id"]
    if ident == "default":  # no default_group_type configured
        raise ApiError(404, "Default group type can not be found.")
    return json_response({"group_type": _type_view(request, _find_type(request, ident))})


async def create_group_type(request: web.Request) -> web.Response:
    _since(request, GROUP_TYPE)
    world = world_of(request)
    spec = _object(await read_json(request), "group_type", {"name", "description", "is_public", "group_specs"})
    if "name" not in spec:
        raise schema_error("group_type", spec, "'name' is a required property")
    name = _text("name", spec["name"], shortest=1, nullable=False)
    description = _text("description", spec.get("description"))
    is_public = _boolean("is_public", spec.get("is_public", True))
    specs = spec.get("group_specs") or {}
    if not isinstance(specs, dict) or not all(isinstance(v, str) for v in specs.values()):
        raise schema_error("group_specs", specs, f"{specs!r} is not of type 'object', 'null'")
    if not is_admin(request):
        raise policy_refused("group:group_types:create")
    if any(t["name"] == name for t in group_types(world).values()):
        raise ApiError(409, f"Group Type {name} already exists.")
    record: dict[str, Any] = {"id": new_id(world), "name": name, "is_public": is_public, "description": description,
              "group_specs": dict(specs), "_created_at": _stamp(world)}
    world.group_types[record["id"]] = record
    return json_response({"group_type": _type_view(request, record)}, 202)


async def update_group_type(request: web.Request) -> web.Response:
    _since(request, GROUP_TYPE)
    world = world_of(request)
    spec = _object(await read_json(request), "group_type", {"name", "description", "is_public"})
    name = _text("name", spec.get("name"))
    description = _text("description", spec.get("description"))
    is_public = _boolean("is_public", spec["is_public"]) if spec.get("is_public") is not None else None
    if not is_admin(request):
        raise policy_refused("group:group_types:update")
    if name is not None and not name.strip():
        raise ApiError(400, "Group type name can not be empty.")
    if name is None and description is None and is_public is None:
        raise ApiError(400, "Specify group type name, description or a combination thereof.")
    gtype = _find_type(request, request.match_info["group_type_id"])
    types_admin.apply_update(group_types(world).values(), gtype, "Group Type", name=name, description=description,
                             is_public=is_public)
    return json_response({"group_type": _type_view(request, gtype)})


async def delete_group_type(request: web.Request) -> web.Response:
    _since(request, GROUP_TYPE)
    if not is_admin(request):
        raise policy_refused("group:group_types:delete")
    world = world_of(request)
    gtype = _find_type(request, request.match_info["group_type_id"])
    if any(g["group_type"] == gtype["id"] for g in world.volume_groups.values()):
        raise ApiError(400, "Target group type is still in use.")
    del world.group_types[gtype["id"]]
    return no_content(202)


# --- groups ------------------------------------------------------------------------------------

def _group_view(request: web.Request, group: dict) -> dict:
    mv = request.get("mv", (3, 0))
    body = {k: group[k] for k in ("id", "status", "availability_zone", "created_at", "name", "description",
                                  "group_type")}
    body["volume_types"] = list(group["volume_types"])
    if mv >= GROUP_SNAPSHOTS:
        body.update(group_snapshot_id=None, source_group_id=None)
    if mv >= (3, 25) and as_bool(request.query.get("list_volume", "false")):
        body["volumes"] = [v["id"] for v in world_of(request).volumes.values() if v.get("group_id") == group["id"]]
    if mv >= GROUP_REPLICATION:
        body["replication_status"] = "disabled"
    if mv >= (3, 58) and is_admin(request):  # group:group_project_attribute
        body["project_id"] = group["_project_id"]
    return body


def _find_group(request: web.Request) -> dict:
    ident = request.match_info["group_id"]
    group = world_of(request).volume_groups.get(ident)
    if group is None or not (is_admin(request) or group["_project_id"] == ctx_of(request)["project_id"]):
        raise ApiError(404, f"Group {ident} could not be found.")
    return group


def _reserved(gtype: dict) -> None:
    if gtype["name"] == CGSNAPSHOT_TYPE:
        raise ApiError(400, f"Group_type {gtype['id']} is reserved for migrating CGs to groups. Migrated group can "
                            "only be operated by CG APIs.")


async def list_groups(request: web.Request) -> web.Response:
    _since(request, GROUP_VOLUME)
    world, pid, q = world_of(request), ctx_of(request)["project_id"], request.query
    every = is_admin(request) and as_bool(q.get("all_tenants", "false"))
    found = [g for g in world.volume_groups.values() if every or g["_project_id"] == pid]
    for key in ("name", "status", "group_type"):
        if key in q:
            found = [g for g in found if g[key] == q[key]]
    found.sort(key=lambda g: (g["created_at"], g["id"]), reverse=True)
    if request.path.endswith("/detail"):
        return json_response({"groups": [_group_view(request, g) for g in found]})
    return json_response({"groups": [{"id": g["id"], "name": g["name"]} for g in found]})


async def show_group(request: web.Request) -> web.Response:
    _since(request, GROUP_VOLUME)
    return json_response({"group": _group_view(request, _find_group(request))})


async def create_group(request: web.Request) -> web.Response:
    _since(request, GROUP_VOLUME)
    world, ctx = world_of(request), ctx_of(request)
    spec = _object(await read_json(request), "group",
                   {"description", "group_type", "name", "volume_types", "availability_zone"})
    for key in ("group_type", "volume_types"):
        if key not in spec:
            raise schema_error("group", spec, f"'{key}' is a required property")
    name = _text("name", spec.get("name"))
    description = _text("description", spec.get("description"))
    wanted_type = _text("group_type", spec["group_type"], shortest=1, nullable=False) or ""
    wanted = spec["volume_types"]
    if not isinstance(wanted, list) or not wanted or not all(isinstance(v, str) for v in wanted):
        raise schema_error("volume_types", wanted, f"{wanted!r} is not a non-empty array of strings")
    if len(set(wanted)) != len(wanted):
        raise schema_error("volume_types", wanted, f"{wanted!r} has non-unique elements")
    types = group_types(world)
    if _is_uuid(wanted_type):
        gtype = types.get(wanted_type) or next((t for t in types.values() if t["name"] == wanted_type), None)
        if gtype is None:
            raise ApiError(404, f"Group type {wanted_type} could not be found.")
    else:
        gtype = next((t for t in types.values() if t["name"] == wanted_type), None)
        if gtype is None:
            raise ApiError(404, f"Group type with name {wanted_type} could not be found.")
    _reserved(gtype)
    volume_types = []
    for ident in wanted:
        vtype = types_admin.by_name_or_id(world, ident)
        if vtype is None:
            message = (f"Volume type {ident} could not be found." if _is_uuid(ident)
                       else f"Volume type with name {ident} could not be found.")
            raise ApiError(404, message)
        volume_types.append(vtype["id"])
    zone = spec.get("availability_zone") or "nova"
    if zone != "nova":
        raise ApiError(400, f"Invalid input received: Availability zone '{zone}' is invalid.")
    mine = sum(1 for g in world.volume_groups.values() if g["_project_id"] == ctx["project_id"])
    allowed = world.quota(ctx["project_id"], "volume", "groups", DEFAULT_GROUPS_QUOTA)
    if 0 <= allowed <= mine:
        raise ApiError(413, f"GroupLimitExceeded: Maximum number of groups allowed ({allowed}) exceeded")
    group = {"id": new_id(world), "status": "creating", "availability_zone": zone, "created_at": _stamp(world),
             "name": name.strip() if name else name, "description": description.strip() if description else description,
             "group_type": gtype["id"], "volume_types": volume_types, "_project_id": ctx["project_id"]}
    world.volume_groups[group["id"]] = group

    def created() -> None:
        if group["status"] == "creating":
            group["status"] = "available"

    world.later(CREATE_SECONDS, created)
    return json_response({"group": {"id": group["id"], "name": group["name"]}}, 202)


async def update_group(request: web.Request) -> web.Response:
    _since(request, GROUP_VOLUME)
    world = world_of(request)
    spec = _object(await read_json(request), "group", {"name", "description", "add_volumes", "remove_volumes"})
    name, description = _text("name", spec.get("name")), _text("description", spec.get("description"))
    for key in ("add_volumes", "remove_volumes"):
        _text(key, spec.get(key))
    group = _find_group(request)
    gtype = world.group_types.get(group["group_type"])
    if gtype is not None:
        _reserved(gtype)
    name = name.strip() if name else name
    description = description.strip() if description else description
    name = None if name == group["name"] else name
    description = None if description == group["description"] else description
    adding = [v for v in (spec.get("add_volumes") or "").strip(",").split(",") if v]
    removing = [v for v in (spec.get("remove_volumes") or "").strip(",").split(",") if v]
    both = [v for v in adding if v in removing]
    if both:
        raise ApiError(400, f"Invalid volume: UUIDs {both} are in both add and remove volume list.")
    for volume_id in adding:
        volume = world.volumes.get(volume_id)
        if volume is None or volume["os-vol-tenant-attr:tenant_id"] != group["_project_id"]:
            raise ApiError(400, f"Invalid volume: Cannot add volume {volume_id} to group {group['id']} because "
                                "volume cannot be found.")
        if volume["volume_type_id"] not in group["volume_types"]:
            raise ApiError(400, f"Invalid volume: Cannot add volume {volume_id} to group {group['id']} because "
                                f"volume type {volume['volume_type_id']} is not supported by the group.")
    members = [v for v in world.volumes.values() if v.get("group_id") == group["id"]]
    removing = [v for v in removing if any(m["id"] == v for m in members)]
    if name is None and description is None and not adding and not removing:
        raise ApiError(400, f"Invalid Group: Cannot update group {group['id']} because no valid name, description, "
                            "add_volumes, or remove_volumes were provided.")
    if group["status"] != "available":
        raise ApiError(400, "Invalid Group: Group status must be available.")
    for key, value in (("name", name), ("description", description)):
        if value is not None:
            group[key] = value
    for volume_id in adding:
        world.volumes[volume_id]["group_id"] = group["id"]
    for volume_id in removing:
        world.volumes[volume_id]["group_id"] = None
    return no_content(202)


async def group_action(request: web.Request) -> web.Response:
    _since(request, GROUP_VOLUME)
    world = world_of(request)
    body = await read_json(request)
    if not isinstance(body, dict) or "delete" not in body:
        action = next(iter(body), None) if isinstance(body, dict) else None
        raise ApiError(400, f"There is no such action: {action}")
    spec = _object(body, "delete", {"delete-volumes"})
    delete_volumes = _boolean("delete-volumes", spec.get("delete-volumes", False))
    group = _find_group(request)
    gtype = world.group_types.get(group["group_type"])
    if gtype is not None:
        _reserved(gtype)
    if not delete_volumes and group["status"] not in ("available", "error"):
        raise ApiError(400, f"Invalid Group: Group status must be available or error, but current status is: "
                            f"{group['status']}")
    members = [v for v in world.volumes.values() if v.get("group_id") == group["id"]]
    if members and not delete_volumes:
        raise ApiError(400, f"Invalid Group: Group {group['id']} still contains volumes. The delete-volumes flag is "
                            "required to delete it.")
    if any(v["attachments"] for v in members):
        raise ApiError(400, f"Invalid Group: Volume in group {group['id']} is attached. Need to detach first.")
    if any(s["volume_id"] == v["id"] for v in members for s in world.snapshots.values()):
        raise ApiError(400, "Invalid Group: Volume in group still has dependent snapshots.")
    group["status"] = "deleting"
    for volume in members:
        volume["status"] = "deleting"

    def deleted() -> None:
        for volume in members:
            world.volumes.pop(volume["id"], None)
        world.volume_groups.pop(group["id"], None)

    world.later(DELETE_SECONDS, deleted)
    return no_content(202)


ROUTES = [
    ("GET", "/group_types", list_group_types), ("POST", "/group_types", create_group_type),
    ("GET", "/group_types/{group_type_id}", show_group_type),
    ("PUT", "/group_types/{group_type_id}", update_group_type),
    ("DELETE", "/group_types/{group_type_id}", delete_group_type),
    ("GET", "/groups", list_groups), ("GET", "/groups/detail", list_groups), ("POST", "/groups", create_group),
    ("GET", "/groups/{group_id}", show_group), ("PUT", "/groups/{group_id}", update_group),
    ("POST", "/groups/{group_id}/action", group_action),
]

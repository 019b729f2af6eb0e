"""Cinder's volume types as an admin and a member meet them: types-manage, extra specs, type access, encryption.

Held against Cinder's code (cinder/api/v3/types.py and views/types.py, api/contrib/types_manage.py,
types_extra_specs.py, volume_type_access.py, volume_type_encryption.py, their schemas, cinder/policies/
volume_type.py, type_extra_specs.py, volume_access.py, cinder/exception.py) and the oracle (cinder-260).
Cinder's context is an admin's when the token holds the `admin` role (`context_is_admin`); `admin_api` is then
true for a project-scoped admin too.
- Writes (create, update, delete, extra specs, access, encryption) are admin only: a member gets 403 with
  Cinder's policy line, after the body's schema (the `validation.schema` decorator runs first).
- Reads: a member lists public types and the private ones shared with its project (`is_public` is an admin's
  filter only), sees only the user-visible extra specs and never `qos_specs_id`; a private type not shared
  with it answers 404. Both see `os-volume-type-access:is_public` (policy: project member).
- `GET /types/default` is the configured default type (`__DEFAULT__`, or devstack's `lvmdriver-1` where the
  launcher marks it), which cannot be deleted; a type some volume uses cannot be deleted either.
Types live in `world.volume_types` (id -> record); a private type's projects in its `_projects`.
"""

from __future__ import annotations

from aiohttp import web

from .cinder_metadata import pairs
from .common import (
    FALSE_WORDS,
    TRUE_WORDS,
    ApiError,
    iso_micro,
    json_response,
    new_id,
    no_content,
    policy_refused,
    read_json,
    schema_error,
)
from .service import ctx_of, is_admin, is_public_filter, world_of
from .world import World

DEFAULT_TYPE_ID, DEFAULT_TYPE_NAME = "519201be-3df7-4cd8-8309-ca6122f9458d", "__DEFAULT__"  # cinder-260
USER_VISIBLE_EXTRA_SPECS = ("RESKEY:availability_zones", "multiattach", "replication_enabled")  # policies
CREATE_KEYS = {"name", "description", "extra_specs", "os-volume-type-access:is_public"}
UPDATE_KEYS = {"name", "description", "is_public"}
ENCRYPTION_KEYS = ("provider", "cipher", "key_size", "control_location")
CONTROL_LOCATIONS = ("front-end", "back-end")
_TRUE, _FALSE = TRUE_WORDS, FALSE_WORDS


# --- the table (other modules call these) ------------------------------------------------------

def table(world: World) -> dict[str, dict]:
    """The world's volume types, the default one made on first use (Cinder's database always holds it)."""
    if not world.volume_types:
        world.volume_types[DEFAULT_TYPE_ID] = _record(world, DEFAULT_TYPE_NAME, "Default Volume Type", True, {},
                                                      type_id=DEFAULT_TYPE_ID, default=True)
    return world.volume_types


def _record(world: World, name: str, description: str | None, is_public: bool, extra_specs: dict,
            *, type_id: str | None = None, default: bool = False) -> dict:
    return {"id": type_id or new_id(world), "name": name, "is_public": is_public, "description": description,
            "extra_specs": dict(extra_specs), "qos_specs_id": None, "_projects": [], "_encryption": None,
            "_default": default, "_created_at": iso_micro(world.now().replace(microsecond=0))}


def add_type(world: World, name: str, *, description: str | None = None, default: bool = False) -> dict:
    """A public type (a launcher's fixture: devstack's `lvmdriver-1`); `default` makes it the configured one."""
    types = table(world)
    record = _record(world, name, description, True, {}, default=default)
    if default:
        for other in types.values():
            other["_default"] = False
    types[record["id"]] = record
    return record


def default_type(world: World) -> dict:
    return next(t for t in table(world).values() if t["_default"])


def by_name_or_id(world: World, ident: str) -> dict | None:
    """A volume's type as a create names it: its name or its ID (cinder/volume/api.py looks up both)."""
    types = table(world)
    return types.get(ident) or next((t for t in types.values() if t["name"] == ident), None)


# --- policy and schema -------------------------------------------------------------------------

def _require_admin(request: web.Request, policy: str) -> None:
    if not is_admin(request):
        raise policy_refused(f"volume_extension:{policy}")


_invalid = schema_error


def _unexpected(container: str, spec: dict, allowed: set[str]) -> None:
    extra = sorted(set(spec) - allowed)
    if extra:
        raise _invalid(container, spec, f"Additional properties are not allowed ({', '.join(map(repr, extra))} "
                       f"{'was' if len(extra) == 1 else 'were'} unexpected)")


def _boolean(field: str, value) -> bool:
    """parameter_types.boolean, then strutils.bool_from_string(strict=True)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
        return value.strip().lower() in _TRUE
    raise _invalid(field, value, f"{value!r} is not one of [True, 'True', 'TRUE', 'true', '1', 'ON', 'On', 'on', "
                   "'YES', 'Yes', 'yes', 'y', 't', False, 'False', 'FALSE', 'false', '0', 'OFF', 'Off', 'off', "
                   "'NO', 'No', 'no', 'n', 'f']")


def _text(field: str, value, *, shortest: int, nullable: bool = False) -> str | None:
    if value is None and nullable:
        return None
    if not isinstance(value, str):
        kinds = "'string', 'null'" if nullable else "'string'"
        raise _invalid(field, value, f"{value!r} is not of type {kinds}")
    if len(value) < shortest or len(value) > 255:
        raise _invalid(field, value, f"{value!r} is too {'short' if len(value) < shortest else 'long'}")
    return value


_specs = pairs  # parameter_types.extra_specs: the same shape as metadata


def body_object(request_body, key: str) -> dict:
    """The body's one required object (Cinder's schemas: `{key: {...}}`), or its schema's 400."""
    if not isinstance(request_body, dict) or key not in request_body:
        raise _invalid("body", request_body, f"'{key}' is a required property")
    spec = request_body[key]
    if not isinstance(spec, dict):
        raise _invalid(key, spec, f"{spec!r} is not of type 'object'")
    return spec


# --- reads -------------------------------------------------------------------------------------

def _visible(request: web.Request, vtype: dict) -> bool:
    """db `_volume_type_get_query`: an admin sees every type, a member public ones and those shared with it."""
    return vtype["is_public"] or is_admin(request) or ctx_of(request).get("project_id") in vtype["_projects"]


def find(request: web.Request, type_id: str | None = None) -> dict:
    ident = type_id or request.match_info["type_id"]
    vtype = table(world_of(request)).get(ident)
    if vtype is None or not _visible(request, vtype):
        raise ApiError(404, f"Volume type {ident} could not be found.")
    return vtype


def view(request: web.Request, vtype: dict) -> dict:
    """views/types.py show, with the type-access extension's field; specs trimmed for a member."""
    admin = is_admin(request)
    specs = vtype["extra_specs"] if admin else {k: v for k, v in vtype["extra_specs"].items()
                                                if k in USER_VISIBLE_EXTRA_SPECS}
    body = {"id": vtype["id"], "name": vtype["name"], "is_public": vtype["is_public"],
            "description": vtype["description"], "extra_specs": dict(specs)}
    if admin:
        body["qos_specs_id"] = vtype["qos_specs_id"]
    body["os-volume-type-access:is_public"] = vtype["is_public"]
    return body


async def list_types(request: web.Request) -> web.Response:
    wanted = is_public_filter(request)
    project_id = ctx_of(request).get("project_id")
    listed = [t for t in table(world_of(request)).values()
              if wanted is None or t["is_public"] == wanted or (wanted and project_id in t["_projects"])]
    return json_response({"volume_types": [view(request, t) for t in listed]})


async def show_type(request: web.Request) -> web.Response:
    if request.match_info["type_id"] == "default":
        return json_response({"volume_type": view(request, default_type(world_of(request)))})
    return json_response({"volume_type": view(request, find(request))})


# --- types-manage ------------------------------------------------------------------------------

async def create_type(request: web.Request) -> web.Response:
    world = world_of(request)
    spec = body_object(await read_json(request), "volume_type")
    _unexpected("volume_type", spec, CREATE_KEYS)
    if "name" not in spec:
        raise _invalid("volume_type", spec, "'name' is a required property")
    name = _text("name", spec["name"], shortest=1)
    description = _text("description", spec.get("description"), shortest=0, nullable=True)
    specs = _specs("extra_specs", spec.get("extra_specs") or {})
    is_public = _boolean("os-volume-type-access:is_public", spec.get("os-volume-type-access:is_public", True))
    _require_admin(request, "type_create")
    if any(t["name"] == name for t in table(world).values()):
        raise ApiError(409, f"Volume Type {name} already exists.")
    record = _record(world, str(name), description, is_public, specs)
    table(world)[record["id"]] = record
    return json_response({"volume_type": view(request, record)})


async def update_type(request: web.Request) -> web.Response:
    world = world_of(request)
    spec = body_object(await read_json(request), "volume_type")
    _unexpected("volume_type", spec, UPDATE_KEYS)
    name = _text("name", spec["name"], shortest=0, nullable=True) if "name" in spec else None
    description = _text("description", spec.get("description"), shortest=0, nullable=True)
    _require_admin(request, "type_update")
    is_public = _boolean("is_public", spec["is_public"]) if spec.get("is_public") is not None else None
    if name is not None and not name.strip():
        raise ApiError(400, "Volume type name can not be empty.")
    if name is None and description is None and is_public is None:
        raise ApiError(400, "Specify volume type name, description, is_public or a combination thereof.")
    vtype = find(request)
    apply_update(table(world).values(), vtype, "Volume Type", name=name, description=description,
                 is_public=is_public)
    return json_response({"volume_type": view(request, vtype)})


def apply_update(others, record: dict, kind: str, **values) -> None:
    """A type's update (volume or group type): a name another one has is a 409; the values given are set."""
    name = values.get("name")
    if name and any(t["name"] == name and t is not record for t in others):
        raise ApiError(409, f"{kind} {name} already exists.")
    record.update({k: v for k, v in values.items() if v is not None})


async def delete_type(request: web.Request) -> web.Response:
    _require_admin(request, "type_delete")
    world = world_of(request)
    vtype = find(request)
    if vtype["_default"]:
        raise ApiError(400, f"The volume type {vtype['id']} is a default volume type and cannot be deleted.")
    if any(v["volume_type_id"] == vtype["id"] and v["status"] != "deleting" for v in world.volumes.values()):
        raise ApiError(400, "Target volume type is still in use.")
    del table(world)[vtype["id"]]
    return no_content(202)


# --- extra specs -------------------------------------------------------------------------------

def _readable_specs(request: web.Request, vtype: dict) -> dict[str, str]:
    """`_get_extra_specs`: all for an admin (read_sensitive), the user-visible ones for a member."""
    if is_admin(request):
        return dict(vtype["extra_specs"])
    return {k: v for k, v in vtype["extra_specs"].items() if k in USER_VISIBLE_EXTRA_SPECS}


def _in_use(world: World, vtype: dict) -> None:
    """`_allow_update`: a type some volume uses keeps its extra specs."""
    if any(v["volume_type_id"] == vtype["id"] for v in world.volumes.values()):
        raise ApiError(400, "Volume Type is currently in use.")


async def list_specs(request: web.Request) -> web.Response:
    return json_response({"extra_specs": _readable_specs(request, find(request))})


async def show_spec(request: web.Request) -> web.Response:
    vtype, key = find(request), request.match_info["key"]
    specs = _readable_specs(request, vtype)
    if key not in specs:
        raise ApiError(404, f"Volume Type {vtype['id']} has no extra specs with key {key}.")
    return json_response({key: specs[key]})


async def create_specs(request: web.Request) -> web.Response:
    body = await read_json(request)
    if not isinstance(body, dict) or "extra_specs" not in body:
        raise _invalid("body", body, "'extra_specs' is a required property")
    specs = _specs("extra_specs", body["extra_specs"])
    _require_admin(request, "types_extra_specs:create")
    world = world_of(request)
    vtype = table(world).get(request.match_info["type_id"])
    if vtype is not None:
        _in_use(world, vtype)
    vtype = find(request)
    vtype["extra_specs"].update(specs)
    return json_response(body)


async def update_spec(request: web.Request) -> web.Response:
    body = await read_json(request)
    specs = _specs("body", body)
    if len(specs) != 1:
        raise _invalid("body", body, f"{body!r} {'has too many' if specs else 'does not have enough'} properties")
    _require_admin(request, "types_extra_specs:update")
    world = world_of(request)
    vtype = find(request)
    _in_use(world, vtype)
    key = request.match_info["key"]
    if key not in specs:
        raise ApiError(400, "Request body and URI mismatch")
    vtype["extra_specs"].update(specs)
    return json_response(body)


async def delete_spec(request: web.Request) -> web.Response:
    vtype = find(request)  # Cinder checks the type before the policy here
    _require_admin(request, "types_extra_specs:delete")
    _in_use(world_of(request), vtype)
    key = request.match_info["key"]
    if key not in vtype["extra_specs"]:
        raise ApiError(404, f"Volume Type {vtype['id']} has no extra specs with key {key}.")
    del vtype["extra_specs"][key]
    return no_content(202)


# --- type access -------------------------------------------------------------------------------

async def list_access(request: web.Request) -> web.Response:
    _require_admin(request, "volume_type_access:get_all_for_type")
    vtype = find(request)
    if vtype["is_public"]:
        raise ApiError(404, "Access list not available for public volume types.")
    return json_response({"volume_type_access": [{"volume_type_id": vtype["id"], "project_id": p}
                                                 for p in vtype["_projects"]]})


async def type_action(request: web.Request) -> web.Response:
    """POST /types/{id}/action: addProjectAccess and removeProjectAccess (volume_type_access.py)."""
    body = await read_json(request)
    action = next(iter(body), None) if isinstance(body, dict) and len(body) == 1 else None
    if action not in ("addProjectAccess", "removeProjectAccess"):
        raise ApiError(400, "There is no such action: %s" % (action,))
    args = body[action]
    if not isinstance(args, dict) or "project" not in args:
        raise _invalid(action, args, "'project' is a required property")
    project = _text("project", args["project"], shortest=1)
    _require_admin(request, f"volume_type_access:{action}")
    vtype = find(request)
    if vtype["is_public"]:  # volume_types.add_volume_type_access
        raise ApiError(400, "Invalid volume type: Type access modification is not applicable to public volume "
                            "type.")
    projects = vtype["_projects"]
    if action == "addProjectAccess":
        if project in projects:
            raise ApiError(409, f"Volume type access for {vtype['id']} / {project} combination already exists.")
        projects.append(project)
    else:
        if project not in projects:
            raise ApiError(404, f"Volume type access not found for {vtype['id']} / {project} combination.")
        projects.remove(project)
    return no_content(202)


# --- encryption --------------------------------------------------------------------------------

def _encryption_spec(body, *, creating: bool) -> dict:
    """schemas/volume_type_encryption.py: provider and control_location required on create; key_size an
    integer (or its digits) of at least 0; other keys pass (additionalProperties: True)."""
    spec = body_object(body, "encryption")
    for key in ("provider", "control_location") if creating else ():
        if key not in spec:
            raise _invalid("encryption", spec, f"'{key}' is a required property")
    if "provider" in spec:
        _text("provider", spec["provider"], shortest=0)
    if "cipher" in spec:
        _text("cipher", spec["cipher"], shortest=0, nullable=True)
    if "control_location" in spec and spec["control_location"] not in CONTROL_LOCATIONS:
        raise _invalid("control_location", spec["control_location"],
                       f"{spec['control_location']!r} is not one of {list(CONTROL_LOCATIONS)!r}")
    if spec.get("key_size") is not None:
        size = spec["key_size"]
        if isinstance(size, bool) or not (isinstance(size, int) or (isinstance(size, str) and size.isdigit())):
            raise _invalid("key_size", size, f"{size!r} is not of type 'integer', 'string', 'null'")
        spec["key_size"] = int(size)
    return spec


def _encryption_in_use(world: World, vtype: dict, verb: str) -> None:
    if any(v["volume_type_id"] == vtype["id"] for v in world.volumes.values()):
        raise ApiError(400, f"Cannot {verb} encryption specs. Volume type in use.")


async def show_encryption(request: web.Request) -> web.Response:
    _require_admin(request, "volume_type_encryption:get")
    return json_response(find(request)["_encryption"] or {})


async def show_encryption_key(request: web.Request) -> web.Response:
    _require_admin(request, "volume_type_encryption:get")
    vtype, key = find(request), request.match_info["key"]
    if key not in (vtype["_encryption"] or {}):
        raise ApiError(404, f"Volume type encryption for type {vtype['id']} does not exist.")
    return json_response({key: vtype["_encryption"][key]})


async def create_encryption(request: web.Request) -> web.Response:
    body = await read_json(request)
    spec = _encryption_spec(body, creating=True)
    _require_admin(request, "volume_type_encryption:create")
    world = world_of(request)
    vtype = table(world).get(request.match_info["type_id"])
    if vtype is not None:
        _encryption_in_use(world, vtype, "create")
    vtype = find(request)
    if vtype["_encryption"]:
        raise ApiError(400, f"Volume type encryption for type {vtype['id']} already exists.")
    stamp = iso_micro(world.now().replace(microsecond=0))
    vtype["_encryption"] = {"volume_type_id": vtype["id"], "encryption_id": new_id(world), "cipher": None,
                            "key_size": None, "created_at": stamp, "updated_at": None, "deleted_at": None,
                            "deleted": False, **spec}
    return json_response(body)


async def update_encryption(request: web.Request) -> web.Response:
    body = await read_json(request)
    spec = _encryption_spec(body, creating=False)
    _require_admin(request, "volume_type_encryption:update")
    world = world_of(request)
    vtype = find(request)
    _encryption_in_use(world, vtype, "update")
    if not vtype["_encryption"]:  # db.volume_type_encryption_update
        raise ApiError(404, f"Volume type encryption for type {vtype['id']} does not exist.")
    vtype["_encryption"].update(spec, updated_at=iso_micro(world.now().replace(microsecond=0)))
    return json_response(body)


async def delete_encryption(request: web.Request) -> web.Response:
    _require_admin(request, "volume_type_encryption:delete")
    world = world_of(request)
    type_id = request.match_info["type_id"]
    vtype = table(world).get(type_id)
    if vtype is not None:
        _encryption_in_use(world, vtype, "delete")
    if vtype is None or not vtype["_encryption"]:
        raise ApiError(404, f"Volume type encryption for type {type_id} does not exist.")
    vtype["_encryption"] = None
    return no_content(202)


ROUTES = [
    ("GET", "/types", list_types), ("POST", "/types", create_type), ("GET", "/types/{type_id}", show_type),
    ("PUT", "/types/{type_id}", update_type), ("DELETE", "/types/{type_id}", delete_type),
    ("POST", "/types/{type_id}/action", type_action),
    ("GET", "/types/{type_id}/extra_specs", list_specs), ("POST", "/types/{type_id}/extra_specs", create_specs),
    ("GET", "/types/{type_id}/extra_specs/{key}", show_spec),
    ("PUT", "/types/{type_id}/extra_specs/{key}", update_spec),
    ("DELETE", "/types/{type_id}/extra_specs/{key}", delete_spec),
    ("GET", "/types/{type_id}/os-volume-type-access", list_access),
    ("GET", "/types/{type_id}/encryption", show_encryption), ("POST", "/types/{type_id}/encryption", create_encryption),
    ("GET", "/types/{type_id}/encryption/{key}", show_encryption_key),
    ("PUT", "/types/{type_id}/encryption/{key}", update_encryption),
    ("DELETE", "/types/{type_id}/encryption/{key}", delete_encryption),
]

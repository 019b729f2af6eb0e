"""Nova's flavor API as an admin and a member meet it: flavor-manage, extra specs, flavor access, is_public.

Held against Nova's code and api-ref (nova/api/openstack/compute/flavors.py, flavor_manage.py,
flavors_extraspecs.py, flavor_access.py, their schemas, nova/db/api/api.py `_flavor_get_all_from_db`) and the
oracle (tests/oracle: nova-046..055). Nova's context is an admin's when the token holds the `admin` role in any
scope (policy `context_is_admin`); its project is the token's (none for a system-scoped token).
- Writes (create, delete, description, extra specs, access) are admin only; a member gets 403 with Nova's
  policy line, checked after the body's schema (the `validation.schema` decorator runs first) and before
  the flavor is looked up (`context.can(...)` opens each method).
- Reads: a member sees public flavors and the private ones shared with its project; `is_public` is an
  admin's filter only (absent = public plus shared, `false` = private, `none` = all); showing a private
  flavor not shared with the project answers 404 to a member.
- Status codes: create 200, delete 202, extra specs 200 (delete too), access 200.
A private flavor's projects live in its `_projects` (world.flavors records; views copy named fields only).
"""

from __future__ import annotations

import re
import uuid

from aiohttp import web

from . import nova
from .common import (
    FALSE_WORDS,
    TRUE_WORDS,
    ApiError,
    json_response,
    no_content,
    policy_refused,
    read_json,
    schema_error,
)
from .service import ctx_of, is_admin, world_of

MAX_INT = 2147483647  # nova/db/constants.py MAX_INT: the schemas' maximum for ram, vcpus, disk, ...
FLAVOR_ID_PATTERN = "^(?! )[a-zA-Z0-9. _-]+(?<! )$"  # nova/api/openstack/compute/schemas/flavor_manage.py
SQL_SP_FLOAT_MAX = 3.40282e+038  # nova/db/constants.py: rxtx_factor's maximum
RXTX_PATTERN = r"^[0-9]+(\.[0-9]+)?$"  # schemas/flavor_manage.py rxtx_factor as a string
EXTRA_SPEC_KEY_PATTERN = "^[a-zA-Z0-9-_:. ]{1,255}$"  # schemas/flavors_extraspecs.py
CREATE_KEYS = {"name", "id", "ram", "vcpus", "disk", "OS-FLV-EXT-DATA:ephemeral", "swap", "rxtx_factor",
               "os-flavor-access:is_public"}
_TRUE, _FALSE = TRUE_WORDS, FALSE_WORDS


def _mv(request: web.Request) -> tuple[int, int]:
    return request["mv"]


def _require_admin(request: web.Request, action: str) -> None:
    if not is_admin(request):
        raise policy_refused(f"os_compute_api:{action}")


_invalid = schema_error


def visible_to(flavor: dict, project_id: str | None, admin: bool) -> bool:
    """Whether a context sees the flavor without an is_public filter: public, shared with its project, or an
    admin's (nova/db/api/api.py `_flavor_get_query_from_db`)."""
    return flavor["is_public"] or admin or (project_id is not None and project_id in flavor.get("_projects", ()))


def visible(request: web.Request, flavor: dict) -> bool:
    return visible_to(flavor, ctx_of(request).get("project_id"), is_admin(request))


def listed(request: web.Request, flavor: dict, wanted: bool | None) -> bool:
    """nova/db/api/api.py `_flavor_get_all_from_db`: is_public True also lists the flavors shared with the
    caller's project; False lists the private ones only; None lists all."""
    if wanted is None:
        return True
    if flavor["is_public"] == wanted:
        return True
    project_id = ctx_of(request).get("project_id")
    return bool(wanted and project_id and project_id in flavor.get("_projects", ()))


def lookup(request: web.Request, flavor_id: str) -> dict | None:
    """The flavor as the caller's context finds it (a server's create or resize): None when not visible."""
    flavor = world_of(request).flavors.get(flavor_id)
    return flavor if flavor is not None and visible(request, flavor) else None


def find(request: web.Request) -> dict:
    flavor_id = request.match_info["flavor_id"]
    flavor = world_of(request).flavors.get(flavor_id)
    if flavor is None or not visible(request, flavor):
        raise ApiError(404, f"Flavor {flavor_id} could not be found.")
    return flavor


def _count(spec: dict, key: str, least: int, default: int | None = None) -> int:
    """A flavor_param_positive / _non_negative field: an integer, or a string of digits (parameter_types), held
    to the bounds as a number (nova/api/validation/validators.py `_validate_minimum`, `_number_from_str`)."""
    if key not in spec:
        if default is None:
            raise _invalid("flavor", spec, f"'{key}' is a required property")
        return default
    value = spec[key]
    field = key
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise _invalid(field, value, f"{value!r} is not of type 'integer', 'string'")
    if isinstance(value, str):
        if not re.match("^[0-9]+$", value):
            raise _invalid(field, value, f"{value!r} does not match '^[0-9]+$'")
        value = int(value)  # Nova's validator reads a string as a number for minimum and maximum
    if value < least:
        raise _invalid(field, value, f"{value} is less than the minimum of {least}")
    if value > MAX_INT:
        raise _invalid(field, value, f"{value} is greater than the maximum of {MAX_INT}")
    return value


def _boolean(field: str, value) -> bool:
    """parameter_types.boolean: true/false, or one of oslo's boolean strings."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in _TRUE | _FALSE:
        return value.lower() in _TRUE
    raise _invalid(field, value, f"{value!r} is not one of [True, 'True', 'TRUE', 'true', '1', 'ON', 'On', 'on', "
                   "'YES', 'Yes', 'yes', 'y', 't', False, 'False', 'FALSE', 'false', '0', 'OFF', 'Off', 'off', "
                   "'NO', 'No', 'no', 'n', 'f']")


def _rxtx_factor(value) -> float:
    """schemas: a number or a string of digits (with a fraction), above 0."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise _invalid("rxtx_factor", value, f"{value!r} is not of type 'number', 'string'")
    if isinstance(value, str):
        if not re.match(RXTX_PATTERN, value):
            raise _invalid("rxtx_factor", value, f"{value!r} does not match {RXTX_PATTERN!r}")
        value = float(value) if "." in value else int(value)
    if value <= 0:
        raise _invalid("rxtx_factor", value, f"{value} is less than or equal to the minimum of 0")
    if value > SQL_SP_FLOAT_MAX:
        raise _invalid("rxtx_factor", value, f"{value} is greater than the maximum of {SQL_SP_FLOAT_MAX}")
    return float(value)


def _name_and_id(spec: dict) -> tuple[str, str | None]:
    name = spec.get("name")
    if "name" not in spec:
        raise _invalid("flavor", spec, "'name' is a required property")
    if not isinstance(name, str):
        raise _invalid("name", name, f"{name!r} is not of type 'string'")
    if not name or len(name) > 255:
        raise _invalid("name", name, f"{name!r} is too {'short' if not name else 'long'}")
    if name != name.strip() or not name.isprintable():
        raise ApiError(400, "An invalid 'name' value was provided. The name must be: printable characters. "
                            "Can not start or end with whitespace.")
    flavor_id = spec.get("id")
    if isinstance(flavor_id, (int, float)) and not isinstance(flavor_id, bool):
        return name, str(flavor_id)  # the schema takes a number (no pattern); flavors.create keeps str(id)
    if flavor_id is not None:
        if not isinstance(flavor_id, str):
            raise _invalid("id", flavor_id, f"{flavor_id!r} is not of type 'string', 'number', 'null'")
        if not flavor_id or len(flavor_id) > 255 or not re.match(FLAVOR_ID_PATTERN, flavor_id):
            raise _invalid("id", flavor_id, f"{flavor_id!r} does not match {FLAVOR_ID_PATTERN!r}")
    return name, flavor_id


async def create_flavor(request: web.Request) -> web.Response:
    """flavor_manage._create: the body's schema first, then the policy, then the database's uniqueness."""
    world, mv = world_of(request), _mv(request)
    body = await read_json(request)
    spec = body.get("flavor") if isinstance(body, dict) else None
    if not isinstance(spec, dict):
        raise _invalid("flavor" if isinstance(body, dict) and "flavor" in body else "body", body,
                       "'flavor' is a required property")
    allowed = CREATE_KEYS | ({"description"} if mv >= (2, 55) else set())
    extra = sorted(set(spec) - allowed)
    if extra:
        listed_keys = ", ".join(repr(k) for k in extra)
        raise _invalid("flavor", spec, f"Additional properties are not allowed ({listed_keys} "
                       f"{'was' if len(extra) == 1 else 'were'} unexpected)")
    name, flavor_id = _name_and_id(spec)
    ram = _count(spec, "ram", 1)
    vcpus = _count(spec, "vcpus", 1)
    disk = _count(spec, "disk", 0)
    ephemeral = _count(spec, "OS-FLV-EXT-DATA:ephemeral", 0, default=0)
    swap = _count(spec, "swap", 0, default=0)
    rxtx = _rxtx_factor(spec.get("rxtx_factor", 1.0))
    is_public = _boolean("os-flavor-access:is_public", spec.get("os-flavor-access:is_public", True))
    description = spec.get("description")
    if description is not None and (not isinstance(description, str) or len(description) > 65535):
        raise _invalid("description", description, f"{description!r} is not of type 'string', 'null'")
    _require_admin(request, "os-flavor-manage:create")
    if flavor_id is not None and flavor_id in world.flavors:
        raise ApiError(409, f"Flavor with ID {flavor_id} already exists.")
    if any(f["name"] == name for f in world.flavors.values()):
        raise ApiError(409, f"Flavor with name {name} already exists.")
    flavor = nova.add_flavor(world, flavor_id or str(uuid.uuid4()), name, vcpus, ram, disk, {})
    flavor.update({"ephemeral": ephemeral, "swap": swap, "is_public": is_public, "description": description,
                   "rxtx_factor": rxtx, "_projects": []})
    return json_response({"flavor": nova.flavor_view(world, flavor, mv)})


async def delete_flavor(request: web.Request) -> web.Response:
    _require_admin(request, "os-flavor-manage:delete")
    flavor = find(request)
    world = world_of(request)
    for server in world.servers.values():  # Nova keeps the flavor on the instance (nova.instance_flavor)
        for fid in (server["_flavor_id"], server.get("_old_flavor_id")):
            if fid == flavor["id"]:
                server.setdefault("_flavor_copies", {})[fid] = dict(flavor, extra_specs=dict(flavor["extra_specs"]))
    del world.flavors[flavor["id"]]
    return no_content(202)


async def update_flavor(request: web.Request) -> web.Response:
    """PUT /flavors/{id}: the description only, from 2.55 (before, the route does not exist: 404)."""
    mv = _mv(request)
    if mv < (2, 55):
        raise ApiError(404, "The resource could not be found.")
    body = await read_json(request)
    spec = body.get("flavor") if isinstance(body, dict) else None
    if not isinstance(spec, dict):
        raise _invalid("body" if not isinstance(body, dict) else "flavor", body, "'flavor' is a required property")
    if "description" not in spec:
        raise _invalid("flavor", spec, "'description' is a required property")
    extra = sorted(set(spec) - {"description"})
    if extra:
        raise _invalid("flavor", spec, f"Additional properties are not allowed ({', '.join(map(repr, extra))} "
                       f"{'was' if len(extra) == 1 else 'were'} unexpected)")
    description = spec["description"]
    if description is not None and (not isinstance(description, str) or len(description) > 65535):
        raise _invalid("description", description, f"{description!r} is not of type 'string', 'null'")
    _require_admin(request, "os-flavor-manage:update")
    flavor = find(request)
    flavor["description"] = description
    return json_response({"flavor": nova.flavor_view(world_of(request), flavor, mv)})


# --- extra specs ---------------------------------------------------------------------------------------

def _spec_values(specs, container: str) -> dict[str, str]:
    """schemas/flavors_extraspecs.py: keys of 1-255 of [a-zA-Z0-9-_:. ], values strings (up to 255) or numbers,
    stored as text; the answer is the request's own body, numbers left as numbers."""
    if not isinstance(specs, dict):
        raise _invalid(container, specs, f"{specs!r} is not of type 'object'")
    out = {}
    for key, value in specs.items():
        if not re.match(EXTRA_SPEC_KEY_PATTERN, key):
            raise _invalid(container, specs, f"Additional properties are not allowed ({key!r} was unexpected)")
        if isinstance(value, bool) or not isinstance(value, (int, float, str)):
            raise _invalid(key, value, f"{value!r} is not of type 'string', 'number'")
        if len(str(value)) > 255:
            raise _invalid(key, value, f"{value!r} is too long")
        out[key] = str(value)
    return out


async def create_extra_specs(request: web.Request) -> web.Response:
    body = await read_json(request)
    if not isinstance(body, dict) or "extra_specs" not in body:
        raise _invalid("body", body, "'extra_specs' is a required property")
    specs = _spec_values(body["extra_specs"], "extra_specs")
    _require_admin(request, "os-flavor-extra-specs:create")
    flavor = find(request)
    flavor["extra_specs"].update(specs)
    return json_response({"extra_specs": body["extra_specs"]})


async def update_extra_spec(request: web.Request) -> web.Response:
    key = request.match_info["key"]
    body = await read_json(request)
    specs = _spec_values(body, "body")
    if len(specs) != 1:
        raise _invalid("body", body, f"{body!r} {'has too many' if specs else 'does not have enough'} properties")
    _require_admin(request, "os-flavor-extra-specs:update")
    flavor = find(request)
    if key not in specs:
        raise ApiError(400, "Request body and URI mismatch")
    flavor["extra_specs"][key] = specs[key]
    return json_response(body)


async def delete_extra_spec(request: web.Request) -> web.Response:
    _require_admin(request, "os-flavor-extra-specs:delete")
    flavor = find(request)
    key = request.match_info["key"]
    if key not in flavor["extra_specs"]:
        raise ApiError(404, f"Flavor {flavor['id']} has no extra specs with key {key}.")
    del flavor["extra_specs"][key]
    return no_content(200)


# --- flavor access -------------------------------------------------------------------------------------

def _access_body(flavor: dict) -> dict:
    return {"flavor_access": [{"flavor_id": flavor["id"], "tenant_id": p} for p in flavor.get("_projects", ())]}


async def list_access(request: web.Request) -> web.Response:
    _require_admin(request, "os-flavor-access")
    flavor = find(request)
    if flavor["is_public"]:
        raise ApiError(404, "Access list not available for public flavors.")
    return json_response(_access_body(flavor))


async def flavor_action(request: web.Request) -> web.Response:
    """POST /flavors/{id}/action: addTenantAccess and removeTenantAccess (flavor_access.py)."""
    body = await read_json(request)
    action = next(iter(body), None) if isinstance(body, dict) and len(body) == 1 else None
    if action not in ("addTenantAccess", "removeTenantAccess"):
        raise ApiError(400, f"There is no such action: {action}")
    verb = "add" if action == "addTenantAccess" else "remove"
    args = body[action]
    if not isinstance(args, dict) or "tenant" not in args:
        raise _invalid(action, args, "'tenant' is a required property")
    tenant = args["tenant"]
    if not isinstance(tenant, str) or not tenant or len(tenant) > 255:
        raise _invalid("tenant", tenant, f"{tenant!r} is not of type 'string'")
    _require_admin(request, f"os-flavor-access:{verb}_tenant_access")
    if tenant not in world_of(request).projects:  # identity.verify_project_id, before the flavor's lookup
        raise ApiError(400, f"Project ID {tenant} is not a valid project.")
    flavor = find(request)
    projects = flavor.setdefault("_projects", [])
    if verb == "add":
        if flavor["is_public"] and _mv(request) >= (2, 7):
            raise ApiError(409, "Can not add access to a public flavor.")
        if tenant in projects:
            raise ApiError(409, f"Flavor access already exists for flavor {flavor['id']} and project {tenant} "
                                "combination.")
        projects.append(tenant)
    else:
        if tenant not in projects:
            raise ApiError(404, f"Flavor access not found for {flavor['id']} / {tenant} combination.")
        projects.remove(tenant)
    return json_response(_access_body(flavor))


def add_routes(r: web.UrlDispatcher, v: str) -> None:
    r.add_post(f"{v}/flavors", create_flavor)
    r.add_delete(f"{v}/flavors/{{flavor_id}}", delete_flavor)
    r.add_put(f"{v}/flavors/{{flavor_id}}", update_flavor)
    r.add_post(f"{v}/flavors/{{flavor_id}}/os-extra_specs", create_extra_specs)
    r.add_put(f"{v}/flavors/{{flavor_id}}/os-extra_specs/{{key}}", update_extra_spec)
    r.add_delete(f"{v}/flavors/{{flavor_id}}/os-extra_specs/{{key}}", delete_extra_spec)
    r.add_get(f"{v}/flavors/{{flavor_id}}/os-flavor-access", list_access)
    r.add_post(f"{v}/flavors/{{flavor_id}}/action", flavor_action)

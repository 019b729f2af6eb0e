"""Cinder's QoS specs (`/qos-specs`): an admin's create, list, show, set and unset keys, delete, and their
association with volume types.

Held against Cinder 29's code: cinder/api/contrib/qos_specs_manage.py, api/views/qos_specs.py,
api/schemas/qos_specs.py, cinder/volume/qos_specs.py, objects/qos_specs.py (consumer `back-end` unless given,
one of back-end, front-end, both), policies/qos_specs.py (every call `rule:admin_api`: a member gets 403 with the
policy's name, after the body's schema on create, set and unset), cinder/exception.py for the wording.
- Show and create answer `{"qos_specs": {id, name, consumer, specs}, "links": [...]}` (the links beside, not
  inside); set answers its body; unset, delete and the association calls 202 with no body.
- A type takes one QoS specs: associating another is a 400; deleting specs still associated is a 400 unless
  `force`. The type's `qos_specs_id` (an admin's view of the type) follows.
Specs live in `world.qos_specs` (id -> record).
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from . import cinder_types_admin as types_admin
from .common import (
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
from .service import is_admin, world_of

CONSUMERS = ("back-end", "front-end", "both")
CONSUMER_ERROR = ("Invalid qos specs: Valid consumer of QoS specs are: QoSConsumerValues(default=<class "
                  "'oslo_versionedobjects.fields.UnspecifiedDefault'>,nullable=False,valid_values=('back-end', "
                  "'front-end', 'both'))")


def _require_admin(request: web.Request, action: str) -> None:
    if not is_admin(request):
        raise policy_refused(f"volume_extension:qos_specs_manage:{action}")


def _links(request: web.Request, ident: str) -> list[dict]:
    from . import cinder  # it imports this module

    return cinder._links(request, "qos-specs", ident)


def _view(specs: dict) -> dict:
    return {k: specs[k] for k in ("id", "name", "consumer", "specs")}


def _find(request: web.Request) -> dict:
    ident = request.match_info["qos_id"]
    specs = world_of(request).qos_specs.get(ident)
    if specs is None:
        raise ApiError(404, f"No such QoS spec {ident}.")
    return specs


def _types_of(request: web.Request, specs: dict) -> list[dict]:
    return [t for t in types_admin.table(world_of(request)).values() if t["qos_specs_id"] == specs["id"]]


def _string_pairs(field: str, pairs: dict, *, nullable: bool) -> dict:
    """parameter_types.extra_specs(_with_null): keys of 1 to 255 characters, string values up to 255."""
    for key, value in pairs.items():
        if not 1 <= len(key) <= 255:
            raise schema_error(field, pairs,
                               f"{key!r} does not match any of the regexes: '^[a-zA-Z0-9-_:. /]{{1,255}}$'")
        if not (isinstance(value, str) or (nullable and value is None)):
            kinds = "'string', 'null'" if nullable else "'string'"
            raise schema_error(key, value, f"{value!r} is not of type {kinds}")
        if isinstance(value, str) and len(value) > 255:
            raise schema_error(key, value, f"{value!r} is too long")
    return pairs


async def list_specs(request: web.Request) -> web.Response:
    _require_admin(request, "get_all")
    found = list(world_of(request).qos_specs.values())
    for key in ("id", "name", "consumer"):
        if key in request.query:
            found = [s for s in found if s[key] == request.query[key]]
    found.sort(key=lambda s: (s["_created_at"], s["id"]), reverse=True)  # get_sort_params: created_at desc
    return json_response({"qos_specs": [_view(s) for s in found]})


async def show_specs(request: web.Request) -> web.Response:
    _require_admin(request, "get")
    specs = _find(request)
    return json_response({"qos_specs": _view(specs), "links": _links(request, specs["id"])})


async def create_specs(request: web.Request) -> web.Response:
    world = world_of(request)
    spec = types_admin.body_object(await read_json(request), "qos_specs")
    if "name" not in spec:
        raise schema_error("qos_specs", spec, "'name' is a required property")
    if not isinstance(spec["name"], str):
        raise schema_error("name", spec["name"], f"{spec['name']!r} is not of type 'string'")
    _require_admin(request, "create")
    pairs = {k: v for k, v in spec.items() if k != "name"}
    name = spec["name"].strip()
    for key, value in pairs.items():
        if not isinstance(value, str) or len(value) > 255 or not 1 <= len(key) <= 255:
            raise ApiError(400, f"Invalid qos specs: {key} has to be a string of at most 255 characters.")
    consumer = pairs.pop("consumer", None) or "back-end"
    if consumer not in CONSUMERS:
        raise ApiError(400, CONSUMER_ERROR)
    if any(s["name"] == name for s in world.qos_specs.values()):
        raise ApiError(409, f"QoS Specs {name} already exists.")
    record: dict[str, Any] = {"id": new_id(world), "name": name, "consumer": consumer, "specs": pairs,
              "_created_at": iso_micro(world.now())}
    world.qos_specs[record["id"]] = record
    return json_response({"qos_specs": _view(record), "links": _links(request, record["id"])})


async def set_keys(request: web.Request) -> web.Response:
    body = await read_json(request)
    if not isinstance(body, dict) or "qos_specs" not in body:
        raise schema_error("body", body, "'qos_specs' is a required property")
    if not isinstance(body["qos_specs"], dict):
        raise schema_error("qos_specs", body["qos_specs"], f"{body['qos_specs']!r} is not of type 'object'")
    pairs = _string_pairs("qos_specs", body["qos_specs"], nullable=True)
    _require_admin(request, "update")
    specs = _find(request)
    pairs = dict(pairs)
    if "consumer" in pairs:
        if pairs["consumer"] not in CONSUMERS:
            raise ApiError(400, CONSUMER_ERROR)
        specs["consumer"] = pairs.pop("consumer")
    specs["specs"].update(pairs)
    return json_response(body)


async def unset_keys(request: web.Request) -> web.Response:
    body = await read_json(request)
    keys = body.get("keys") if isinstance(body, dict) else None
    if not isinstance(body, dict) or "keys" not in body:
        raise schema_error("body", body, "'keys' is a required property")
    if not isinstance(keys, list) or not all(isinstance(k, str) and 1 <= len(k) <= 255 for k in keys):
        raise schema_error("keys", keys, f"{keys!r} is not of type 'array' of strings of 1 to 255 characters")
    if len(set(keys)) != len(keys):
        raise schema_error("keys", keys, f"{keys!r} has non-unique elements")
    _require_admin(request, "delete")
    specs = _find(request)
    for key in keys:  # qos_specs.delete_keys: the keys before a missing one stay deleted
        if key not in specs["specs"]:
            raise ApiError(404, f"QoS spec {specs['id']} has no spec with key {key}.")
        del specs["specs"][key]
    return no_content(202)


async def delete_specs(request: web.Request) -> web.Response:
    _require_admin(request, "delete")
    specs = _find(request)
    associated = _types_of(request, specs)
    if associated and not as_bool(request.query.get("force", "false")):
        raise ApiError(400, "Qos specs still in use.")
    for vtype in associated:
        vtype["qos_specs_id"] = None
    del world_of(request).qos_specs[specs["id"]]
    return no_content(202)


async def associations(request: web.Request) -> web.Response:
    _require_admin(request, "get_all")
    specs = _find(request)
    return json_response({"qos_associations": [{"association_type": "volume_type", "name": t["name"], "id": t["id"]}
                                               for t in _types_of(request, specs)]})


def _type_of(request: web.Request) -> dict:
    type_id = request.query.get("vol_type_id")
    if not type_id:
        raise ApiError(400, "Volume Type id must not be None.")
    vtype = types_admin.table(world_of(request)).get(type_id)
    if vtype is None:
        raise ApiError(404, f"Volume type {type_id} could not be found.")
    return vtype


async def associate(request: web.Request) -> web.Response:
    _require_admin(request, "update")
    specs = _find(request)
    vtype = _type_of(request)
    if vtype["qos_specs_id"] not in (None, specs["id"]):
        raise ApiError(400, f"Invalid volume type: Type {vtype['id']} is already associated with another qos "
                            f"specs: {vtype['qos_specs_id']}")
    vtype["qos_specs_id"] = specs["id"]
    return no_content(202)


async def disassociate(request: web.Request) -> web.Response:
    _require_admin(request, "update")
    specs = _find(request)
    vtype = _type_of(request)
    if vtype["qos_specs_id"] == specs["id"]:
        vtype["qos_specs_id"] = None
    return no_content(202)


async def disassociate_all(request: web.Request) -> web.Response:
    _require_admin(request, "update")
    for vtype in _types_of(request, _find(request)):
        vtype["qos_specs_id"] = None
    return no_content(202)


ROUTES = [
    ("GET", "/qos-specs", list_specs), ("POST", "/qos-specs", create_specs),
    ("GET", "/qos-specs/{qos_id}", show_specs), ("PUT", "/qos-specs/{qos_id}", set_keys),
    ("DELETE", "/qos-specs/{qos_id}", delete_specs), ("PUT", "/qos-specs/{qos_id}/delete_keys", unset_keys),
    ("GET", "/qos-specs/{qos_id}/associations", associations), ("GET", "/qos-specs/{qos_id}/associate", associate),
    ("GET", "/qos-specs/{qos_id}/disassociate", disassociate),
    ("GET", "/qos-specs/{qos_id}/disassociate_all", disassociate_all),
]

"""Glance's metadata definitions (`/v2/metadefs`): namespaces, their objects, resource types and their
associations with namespaces.

Held against Glance 33's code: glance/api/v2/metadef_namespaces.py, metadef_objects.py,
metadef_resource_types.py and their models, glance/db/sqlalchemy/metadef_api (an association with a resource
type not yet known makes it), glance/common/exception.py for the wording, and glance/policies/metadef.py: every
write is `metadef_admin` (the admin's), a read the admin's or a reader's of the owning project or of a public
namespace. The real stack's Glance has the metadef tables (glance-manage db_sync) but never ran
`db_load_metadefs`, so it starts with no namespaces and no resource types, as the demo does.
Namespaces live in `world.metadef_namespaces` (name -> record, its objects and associations in "_" fields),
resource types in `world.metadef_resource_types` (name -> record).
"""

from __future__ import annotations

from aiohttp import web

from .common import ApiError, iso_z, json_response, read_json
from .service import ctx_of, is_admin, world_of
from .world import World

NS_SCHEMA, OBJ_SCHEMA = "/v2/schemas/metadefs/namespace", "/v2/schemas/metadefs/object"
NS_FIELDS = ("namespace", "display_name", "description", "visibility", "protected", "owner")
OBJ_FIELDS = ("name", "description", "required", "properties")


def _no_content() -> web.Response:
    return web.Response(status=204, content_type="text/html", charset="UTF-8")


def _refused(action: str) -> ApiError:
    return ApiError(403, f"You are not authorized to complete {action} action.")


def _admin(request: web.Request, action: str) -> None:
    if not is_admin(request):
        raise _refused(action)


def _now(world: World) -> str:
    return iso_z(world.now())


def _readable(request: web.Request, namespace: dict) -> bool:
    return is_admin(request) or namespace["visibility"] == "public" or namespace["owner"] == ctx_of(request)[
        "project_id"]


def _namespace(request: web.Request) -> dict:
    name = request.match_info["namespace"]
    namespace = world_of(request).metadef_namespaces.get(name)
    if namespace is None or not _readable(request, namespace):
        raise ApiError(404, f"Metadata definition namespace={name} was not found.")
    return namespace


def _association_view(association: dict) -> dict:
    return {k: v for k, v in association.items() if v is not None}


def _namespace_view(namespace: dict, *, detail: bool = False) -> dict:
    body = {k: namespace[k] for k in NS_FIELDS if namespace.get(k) is not None}
    body.update(created_at=namespace["created_at"], updated_at=namespace["updated_at"])
    if namespace["_associations"]:
        body["resource_type_associations"] = [_association_view(a) for a in namespace["_associations"].values()]
    if detail and namespace["_objects"]:
        body["objects"] = [_object_view(namespace, o, linked=False) for o in namespace["_objects"].values()]
    body.update({"self": f"/v2/metadefs/namespaces/{namespace['namespace']}", "schema": NS_SCHEMA})
    return body


def _object_view(namespace: dict, obj: dict, *, linked: bool = True) -> dict:
    body = {k: obj[k] for k in OBJ_FIELDS if obj.get(k) not in (None, [], {})}
    body.update(created_at=obj["created_at"], updated_at=obj["updated_at"])
    if linked:
        body.update({"self": f"/v2/metadefs/namespaces/{namespace['namespace']}/objects/{obj['name']}",
                     "schema": OBJ_SCHEMA})
    return body


def _schema_error(kind: str, message: str) -> ApiError:
    return ApiError(400, f"Provided object does not match schema '{kind}': {message}")


async def _body(request: web.Request) -> dict:
    body = await read_json(request, malformed="Malformed JSON in request body.")
    if not isinstance(body, dict):
        raise ApiError(400, "Malformed JSON in request body.")
    return body


def _namespace_fields(body: dict, *, defaults: dict) -> dict:
    name = body.get("namespace")
    if not isinstance(name, str) or not 1 <= len(name) <= 80:
        raise _schema_error("namespace", "'namespace' is a required property" if name is None
                            else f"{name!r} is not a valid namespace name")
    visibility = body.get("visibility") or defaults["visibility"]
    if visibility not in ("public", "private"):
        raise _schema_error("namespace", f"{visibility!r} is not one of ['public', 'private']")
    protected = body.get("protected", defaults["protected"])
    if not isinstance(protected, bool):
        raise _schema_error("namespace", f"{protected!r} is not of type 'boolean'")
    return {"namespace": name, "display_name": body.get("display_name"), "description": body.get("description"),
            "visibility": visibility, "protected": protected, "owner": body.get("owner") or defaults["owner"]}


# --- namespaces --------------------------------------------------------------------------------

async def list_namespaces(request: web.Request) -> web.Response:
    world, q = world_of(request), request.query
    shown = [n for n in world.metadef_namespaces.values() if _readable(request, n)]
    if "visibility" in q:
        shown = [n for n in shown if n["visibility"] == q["visibility"]]
    if "resource_types" in q:
        wanted = set(q["resource_types"].split(","))
        shown = [n for n in shown if wanted & set(n["_associations"])]
    shown.sort(key=lambda n: (n["created_at"], n["namespace"]), reverse=q.get("sort_dir", "desc") == "desc")
    return json_response({"namespaces": [_namespace_view(n) for n in shown], "first": "/v2/metadefs/namespaces",
                          "schema": "/v2/schemas/metadefs/namespaces"})


async def create_namespace(request: web.Request) -> web.Response:
    world = world_of(request)
    body = await _body(request)
    fields = _namespace_fields(body, defaults={"visibility": "private", "protected": False,
                                               "owner": ctx_of(request)["project_id"]})
    for key in ("resource_type_associations", "objects"):
        given = body.get(key) or []
        if not isinstance(given, list) or not all(isinstance(item, dict) for item in given):
            raise _schema_error("namespace", f"{given!r} is not of type 'array' of objects")
    _admin(request, "add_metadef_namespace")  # after the body's schema, as Glance's deserializer runs first
    if fields["namespace"] in world.metadef_namespaces:
        raise ApiError(409, f"The metadata definition namespace={fields['namespace']} already exists.")
    now = _now(world)
    namespace = {**fields, "created_at": now, "updated_at": now, "_objects": {}, "_associations": {}}
    world.metadef_namespaces[fields["namespace"]] = namespace
    for association in body.get("resource_type_associations") or []:
        _associate(world, namespace, association)
    for obj in body.get("objects") or []:
        _add_object(world, namespace, obj)
    return json_response(_namespace_view(namespace, detail=True), 201)


async def show_namespace(request: web.Request) -> web.Response:
    return json_response(_namespace_view(_namespace(request), detail=True))


async def update_namespace(request: web.Request) -> web.Response:
    world = world_of(request)
    namespace = _namespace(request)
    body = await _body(request)
    _admin(request, "modify_metadef_namespace")
    # Glance's update: visibility, protected and owner fall back to their defaults when left out
    fields = _namespace_fields(body, defaults={"visibility": "private", "protected": False,
                                               "owner": ctx_of(request)["project_id"]})
    if fields["namespace"] != namespace["namespace"]:
        if fields["namespace"] in world.metadef_namespaces:
            raise ApiError(409, f"The metadata definition namespace={fields['namespace']} already exists.")
        del world.metadef_namespaces[namespace["namespace"]]
        world.metadef_namespaces[fields["namespace"]] = namespace
    namespace.update(fields, updated_at=_now(world))
    return json_response(_namespace_view(namespace))


async def delete_namespace(request: web.Request) -> web.Response:
    namespace = _namespace(request)
    _admin(request, "delete_metadef_namespace")
    if namespace["protected"]:
        raise ApiError(403, f"Namespace {namespace['namespace']} is protected and cannot be deleted.")
    del world_of(request).metadef_namespaces[namespace["namespace"]]
    return _no_content()


# --- objects -----------------------------------------------------------------------------------

def _object_fields(body: dict) -> dict:
    name = body.get("name")
    if not isinstance(name, str) or not 1 <= len(name) <= 80:
        raise _schema_error("object", "'name' is a required property" if name is None else f"{name!r} is too long")
    required, properties = body.get("required") or [], body.get("properties") or {}
    if not isinstance(required, list) or not isinstance(properties, dict):
        raise _schema_error("object", "'required' is an array and 'properties' an object")
    return {"name": name, "description": body.get("description"), "required": required, "properties": properties}


def _add_object(world: World, namespace: dict, body: dict) -> dict:
    fields = _object_fields(body)
    if fields["name"] in namespace["_objects"]:
        raise ApiError(409, f"A metadata definition object with name={fields['name']} already exists in "
                            f"namespace={namespace['namespace']}.")
    now = _now(world)
    obj = {**fields, "created_at": now, "updated_at": now}
    namespace["_objects"][fields["name"]] = obj
    return obj


def _object(request: web.Request, namespace: dict) -> dict:
    name = request.match_info["object_name"]
    obj = namespace["_objects"].get(name)
    if obj is None:
        raise ApiError(404, f"The metadata definition object with name={name} was not found in "
                            f"namespace={namespace['namespace']}.")
    return obj


async def list_objects(request: web.Request) -> web.Response:
    namespace = _namespace(request)
    return json_response({"objects": [_object_view(namespace, o) for o in namespace["_objects"].values()],
                          "schema": "v2/schemas/metadefs/objects"})


async def create_object(request: web.Request) -> web.Response:
    namespace = _namespace(request)
    body = await _body(request)
    _object_fields(body)
    _admin(request, "add_metadef_object")
    return json_response(_object_view(namespace, _add_object(world_of(request), namespace, body)), 201)


async def show_object(request: web.Request) -> web.Response:
    namespace = _namespace(request)
    return json_response(_object_view(namespace, _object(request, namespace)))


async def update_object(request: web.Request) -> web.Response:
    namespace = _namespace(request)
    body = await _body(request)
    _admin(request, "modify_metadef_object")
    obj = _object(request, namespace)
    fields = _object_fields(body)
    if fields["name"] != obj["name"]:
        if fields["name"] in namespace["_objects"]:
            raise ApiError(409, f"A metadata definition object with name={fields['name']} already exists in "
                                f"namespace={namespace['namespace']}.")
        del namespace["_objects"][obj["name"]]
        namespace["_objects"][fields["name"]] = obj
    obj.update(fields, updated_at=_now(world_of(request)))
    return json_response(_object_view(namespace, obj))


async def delete_object(request: web.Request) -> web.Response:
    namespace = _namespace(request)
    _admin(request, "delete_metadef_object")
    del namespace["_objects"][_object(request, namespace)["name"]]
    return _no_content()


# --- resource types ----------------------------------------------------------------------------

def _associate(world: World, namespace: dict, body) -> dict:
    name = body.get("name") if isinstance(body, dict) else None
    if not isinstance(name, str) or not 1 <= len(name) <= 80:
        raise _schema_error("resource_type_association", "'name' is a required property")
    if name in namespace["_associations"]:
        raise ApiError(409, f"The metadata definition resource-type association of resource-type={name} to "
                            f"namespace={namespace['namespace']} already exists.")
    now = _now(world)
    world.metadef_resource_types.setdefault(name, {"name": name, "created_at": now, "updated_at": now})
    association = {"name": name, "prefix": body.get("prefix"), "properties_target": body.get("properties_target"),
                   "created_at": now, "updated_at": now}
    namespace["_associations"][name] = association
    return association


async def list_resource_types(request: web.Request) -> web.Response:
    return json_response({"resource_types": list(world_of(request).metadef_resource_types.values())})


async def list_associations(request: web.Request) -> web.Response:
    namespace = _namespace(request)
    return json_response({"resource_type_associations": [_association_view(a)
                                                         for a in namespace["_associations"].values()]})


async def create_association(request: web.Request) -> web.Response:
    namespace = _namespace(request)
    body = await _body(request)
    _admin(request, "add_metadef_resource_type_association")
    return json_response(_association_view(_associate(world_of(request), namespace, body)), 201)


async def delete_association(request: web.Request) -> web.Response:
    namespace = _namespace(request)
    _admin(request, "remove_metadef_resource_type_association")
    name = request.match_info["resource_type"]
    if name not in namespace["_associations"]:
        raise ApiError(404, f"The metadata definition resource-type association of resource-type={name} to "
                            f"namespace={namespace['namespace']}, was not found.")
    del namespace["_associations"][name]
    return _no_content()


NS = "/v2/metadefs/namespaces/{namespace}"
ROUTES = [
    ("GET", "/v2/metadefs/namespaces", list_namespaces), ("POST", "/v2/metadefs/namespaces", create_namespace),
    ("GET", NS, show_namespace), ("PUT", NS, update_namespace), ("DELETE", NS, delete_namespace),
    ("GET", NS + "/objects", list_objects), ("POST", NS + "/objects", create_object),
    ("GET", NS + "/objects/{object_name}", show_object), ("PUT", NS + "/objects/{object_name}", update_object),
    ("DELETE", NS + "/objects/{object_name}", delete_object),
    ("GET", "/v2/metadefs/resource_types", list_resource_types),
    ("GET", NS + "/resource_types", list_associations), ("POST", NS + "/resource_types", create_association),
    ("DELETE", NS + "/resource_types/{resource_type}", delete_association),
]

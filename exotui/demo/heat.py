"""Heat (orchestration v1) of the demo cloud: stacks, their resources, events, outputs and templates, as
Heat's API answers them (heat/api/openstack/v1: a stack named without its ID is looked up and redirected,
302, to /stacks/{name}/{id}; statuses are ACTION_STATUS; times end in Z). The engine is heat_engine.py."""

from __future__ import annotations

from aiohttp import web

from . import heat_engine as engine
from .common import ApiError, json_response, no_content, read_json
from .service import ctx_of, service_app, world_of
from .world import World

SUBPATHS = ("resources", "events", "template", "environment", "files", "outputs")


def _base(request: web.Request) -> str:
    world = world_of(request)
    return f"{world.base_url}/orchestration/v1/{request.match_info['tenant_id']}"


def _link(request: web.Request, stack: dict) -> dict:
    return {"href": f"{_base(request)}/stacks/{stack['name']}/{stack['id']}", "rel": "self"}


def _check_tenant(request: web.Request) -> str:
    pid = ctx_of(request)["project_id"]
    if request.match_info["tenant_id"] != pid:
        raise ApiError(403, "Access was denied to this resource.", "Forbidden")
    return pid


def _visible(world: World, pid: str) -> list[dict]:
    return [s for s in world.stacks.values() if s["project_id"] == pid and not s["deleted"]]


def _lookup(request: web.Request, ref: str, *, deleted: bool = False) -> dict:
    world, pid = world_of(request), _check_tenant(request)
    stack = world.stacks.get(ref)
    if stack is None or stack["project_id"] != pid or (stack["deleted"] and not deleted):
        stack = next((s for s in _visible(world, pid) if s["name"] == ref), None)
    if stack is None:
        raise ApiError(404, f"The Stack ({ref}) could not be found.", "EntityNotFound")
    return stack


def _canonical(request: web.Request) -> dict:
    stack = _lookup(request, request.match_info["stack_id"], deleted=True)
    if request.match_info["stack_name"] not in (stack["name"], stack["id"]):
        raise ApiError(404, f"The Stack ({request.match_info['stack_name']}) could not be found.", "EntityNotFound")
    return stack


def _summary(request: web.Request, stack: dict) -> dict:
    return {
        "id": stack["id"], "links": [_link(request, stack)], "stack_name": stack["name"],
        "description": stack["description"], "stack_status": f"{stack['action']}_{stack['status']}",
        "stack_status_reason": stack["reason"], "creation_time": engine.timestamp(stack["created"]),
        "updated_time": engine.timestamp(stack["updated"]), "deletion_time": engine.timestamp(stack["deleted"]),
        "stack_owner": stack["owner"] or None, "parent": None, "stack_user_project_id": None,
        "tags": stack["tags"] or None,
    }


def _detail(request: web.Request, stack: dict, resolve_outputs: bool = True) -> dict:
    world = world_of(request)
    body = _summary(request, stack)
    params = {k: (",".join(map(str, v)) if isinstance(v, list) else str(v)) for k, v in stack["values"].items()}
    hidden = {k for k, spec in (stack["template"].get("parameters") or {}).items()
              if isinstance(spec, dict) and spec.get("hidden")}
    params = {k: "******" if k in hidden else v for k, v in params.items()}
    params.update({"OS::stack_name": stack["name"], "OS::stack_id": stack["id"], "OS::project_id": stack["project_id"]})
    body.update({"parameters": params, "template_description": stack["description"], "capabilities": [],
                 "notification_topics": [], "timeout_mins": stack["timeout_mins"],
                 "disable_rollback": stack["disable_rollback"]})
    if resolve_outputs:
        body["outputs"] = engine.outputs(world, stack)
    return body


def _resource_view(request: web.Request, stack: dict, res: dict, *, show: bool = False) -> dict:
    base = f"{_base(request)}/stacks/{stack['name']}/{stack['id']}"
    body = {
        "resource_name": res["name"], "logical_resource_id": res["name"], "physical_resource_id": res["physical_id"],
        "resource_type": res["type"], "resource_status": f"{res['action']}_{res['status']}",
        "resource_status_reason": res["reason"], "creation_time": engine.timestamp(res["created"]),
        "updated_time": engine.timestamp(res["updated"]), "required_by": res["required_by"],
        "links": [{"href": f"{base}/resources/{res['name']}", "rel": "self"}, {"href": base, "rel": "stack"}],
    }
    if show:
        body["description"] = ""
        body["attributes"] = {}
        body["parent_resource"] = None
    return body


def _event_view(request: web.Request, stack: dict, event: dict) -> dict:
    base = f"{_base(request)}/stacks/{stack['name']}/{stack['id']}"
    return {
        "id": event["id"], "event_time": engine.timestamp(event["time"]), "resource_name": event["resource"],
        "logical_resource_id": event["resource"], "physical_resource_id": event["physical_id"],
        "resource_status": event["status"], "resource_status_reason": event["reason"],
        "links": [{"href": f"{base}/resources/{event['resource']}/events/{event['id']}", "rel": "self"},
                  {"href": f"{base}/resources/{event['resource']}", "rel": "resource"},
                  {"href": base, "rel": "stack"}],
    }


# --- handlers -------------------------------------------------------------------------------------------

async def versions(request: web.Request) -> web.Response:
    world = world_of(request)
    return json_response({"versions": [{"id": "v1.0", "status": "CURRENT", "links": [
        {"rel": "self", "href": f"{world.base_url}/orchestration/v1/"}]}]}, 300)


async def list_stacks(request: web.Request) -> web.Response:
    world, pid = world_of(request), _check_tenant(request)
    stacks = sorted(_visible(world, pid), key=lambda s: s["created"], reverse=True)
    query = request.query
    if "name" in query:
        stacks = [s for s in stacks if s["name"] in query.getall("name")]
    if "status" in query:
        stacks = [s for s in stacks if s["status"] in query.getall("status")]
    return json_response({"stacks": [_summary(request, s) for s in stacks]})


async def create_stack(request: web.Request) -> web.Response:
    world, ctx = world_of(request), ctx_of(request)
    _check_tenant(request)
    body = await read_json(request, malformed="The server could not comply with the request since it is either "
                                              "malformed or otherwise incorrect.")
    if not isinstance(body, dict):
        raise ApiError(400, "The server could not comply with the request since it is either malformed or "
                            "otherwise incorrect.", "HTTPBadRequest")
    user = world.users.get(ctx["user_id"], {})
    stack = engine.new_stack(world, {**ctx, "user_name": user.get("name", "")}, body)
    return json_response({"stack": {"id": stack["id"], "links": [_link(request, stack)]}}, 201)


async def lookup(request: web.Request) -> web.Response:
    """Heat's `lookup`: a stack named (or ID'd) alone is redirected to its canonical URL, same method."""
    stack = _lookup(request, request.match_info["stack_name"], deleted=True)
    tail = request.match_info.get("path", "")
    location = _link(request, stack)["href"] + (f"/{tail}" if tail else "")
    if request.query_string:
        location += "?" + request.query_string
    raise web.HTTPFound(location)


async def show_stack(request: web.Request) -> web.Response:
    stack = _canonical(request)
    resolve = request.query.get("resolve_outputs", "true").lower() not in ("false", "0", "no")
    return json_response({"stack": _detail(request, stack, resolve)})


async def delete_stack(request: web.Request) -> web.Response:
    stack = _canonical(request)
    if stack["deleted"]:
        raise ApiError(404, f"The Stack ({stack['name']}) could not be found.", "EntityNotFound")
    if stack["action"] == "DELETE" and stack["status"] == "IN_PROGRESS":
        raise ApiError(409, f"Stack {stack['name']} already has an action (DELETE) in progress.", "ActionInProgress")
    engine.delete_stack(world_of(request), stack)
    return no_content(204)


async def template(request: web.Request) -> web.Response:
    return json_response(_canonical(request)["template"])


async def environment(request: web.Request) -> web.Response:
    stack = _canonical(request)
    return json_response({"parameters": stack["given"], "resource_registry": {"resources": {}},
                          "parameter_defaults": {}, "encrypted_param_names": [], "event_sinks": []})


async def files(request: web.Request) -> web.Response:
    _canonical(request)
    return json_response({})


async def list_outputs(request: web.Request) -> web.Response:
    stack = _canonical(request)
    return json_response({"outputs": [{"output_key": o["output_key"], "description": o["description"]}
                                      for o in engine.outputs(world_of(request), stack)]})


async def show_output(request: web.Request) -> web.Response:
    stack = _canonical(request)
    key = request.match_info["output_key"]
    for output in engine.outputs(world_of(request), stack):
        if output["output_key"] == key:
            return json_response({"output": output})
    raise ApiError(404, f"Specified output key {key} not found.", "NotFound")


async def list_resources(request: web.Request) -> web.Response:
    stack = _canonical(request)
    return json_response({"resources": [_resource_view(request, stack, stack["resources"][n])
                                        for n in stack["order"]]})


async def show_resource(request: web.Request) -> web.Response:
    stack = _canonical(request)
    name = request.match_info["resource_name"]
    res = stack["resources"].get(name)
    if res is None:
        raise ApiError(404, f"The Resource ({name}) could not be found.", "EntityNotFound")
    return json_response({"resource": _resource_view(request, stack, res, show=True)})


async def list_events(request: web.Request) -> web.Response:
    stack = _canonical(request)
    events = list(stack["events"])
    name = request.match_info.get("resource_name")
    if name is not None:
        if name not in stack["resources"]:
            raise ApiError(404, f"The Resource ({name}) could not be found.", "EntityNotFound")
        events = [e for e in events if e["resource"] == name]
    query = request.query
    if "resource_status" in query:
        wanted = query.getall("resource_status")
        events = [e for e in events if e["status"].split("_", 1)[-1] in wanted or e["status"] in wanted]
    if "resource_action" in query:
        events = [e for e in events if e["status"].split("_", 1)[0] in query.getall("resource_action")]
    # Heat's pagination: newest first unless the client names a sort key or a direction (then oldest first
    # unless it asks for desc), as heat-engine 27 answers on the real tier
    if query.get("sort_dir") == "desc" or not (query.get("sort_keys") or query.get("sort_dir")):
        events.reverse()
    marker = query.get("marker")
    if marker:
        ids = [e["id"] for e in events]
        if marker not in ids:
            raise ApiError(404, f"The Event ({marker}) could not be found.", "EntityNotFound")
        events = events[ids.index(marker) + 1:]
    limit = query.get("limit")
    if limit is not None:
        try:
            events = events[:max(0, int(limit))]
        except ValueError:
            raise ApiError(400, "Only integer is acceptable by 'limit'.", "HTTPBadRequest") from None
    return json_response({"events": [_event_view(request, stack, e) for e in events]})


def make_app(world: World) -> web.Application:
    app = service_app(world, "heat", public=("/", "/v1", "/v1/"))
    r = app.router
    r.add_get("/", versions)
    stacks = "/v1/{tenant_id}/stacks"
    r.add_get(stacks, list_stacks)
    r.add_post(stacks, create_stack)
    # a stack named alone, then one of its subpaths: Heat redirects both (registered first: they would
    # otherwise read as /stacks/{name}/{id})
    r.add_get(stacks + "/{stack_name}/{path:" + "|".join(SUBPATHS) + "}", lookup)
    full = stacks + "/{stack_name}/{stack_id}"
    for path, handler in (("", show_stack), ("/template", template), ("/environment", environment),
                          ("/files", files), ("/outputs", list_outputs), ("/outputs/{output_key}", show_output),
                          ("/resources", list_resources), ("/resources/{resource_name}", show_resource),
                          ("/events", list_events), ("/resources/{resource_name}/events", list_events)):
        r.add_get(full + path, handler)
    r.add_delete(full, delete_stack)
    r.add_route("*", stacks + "/{stack_name}", lookup)
    return app

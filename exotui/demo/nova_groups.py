"""Nova's server groups in the demo cloud: create, list, show, delete; members join through the
`group` scheduler hint at boot. The demo has one compute host, so a hard anti-affinity group holds one
running member: the next is scheduled nowhere and goes to ERROR with No valid host, as on a real one-host
cloud (and its `create` action is recorded as a failure).

Shapes (Nova API reference, os-server-groups): below 2.64 `policies: [..]` and `metadata`; from 2.64
`policy` and `rules`; from 2.13 `project_id` and `user_id`. Soft policies from 2.15.
"""

from __future__ import annotations

from aiohttp import web

from .common import ApiError, json_response, new_id, no_content, read_json
from .nova_api import _bad_input, _mv
from .service import ctx_of, world_of
from .world import World

HARD = ("affinity", "anti-affinity")
SOFT = ("soft-affinity", "soft-anti-affinity")


def create_group(world: World, project_id: str, user_id: str, name: str, policy: str,
                 rules: dict | None = None) -> dict:
    group: dict = {"id": new_id(world), "name": name, "policy": policy, "rules": dict(rules or {}), "members": [],
                   "project_id": project_id, "user_id": user_id, "metadata": {}}
    world.server_groups[group["id"]] = group
    return group


def group_view(group: dict, mv: tuple[int, int]) -> dict:
    view: dict = {"id": group["id"], "name": group["name"]}
    if mv >= (2, 64):
        view.update(policy=group["policy"], rules=dict(group["rules"]))
    else:
        view["policies"] = [group["policy"]]
    view["members"] = list(group["members"])
    if mv < (2, 64):
        view["metadata"] = dict(group["metadata"])
    if mv >= (2, 13):
        view.update(project_id=group["project_id"], user_id=group["user_id"])
    return view


def groups_of(world: World, server_id: str) -> list[str]:
    return [g["id"] for g in world.server_groups.values() if server_id in g["members"]]


def check_hint(world: World, project_id: str, group_id: str, count: int) -> None:
    """Before anything is made: the hinted group exists in the project and has room for `count` more."""
    group = world.server_groups.get(group_id)
    if group is None or group["project_id"] != project_id:
        raise ApiError(400, f"Instance group {group_id} could not be found.")
    limit = world.quota(project_id, "compute", "server_group_members", 10)
    if 0 <= limit < len(group["members"]) + count:
        raise ApiError(403, "Quota exceeded, too many servers in group")


def join(world: World, server: dict, group_id: str) -> bool:
    """Add a booting server to its group (checked by `check_hint`); False when the group's policy leaves it
    no host: the demo has one, so a hard anti-affinity group fits one placed member."""
    group = world.server_groups[group_id]
    placed = [sid for sid in group["members"] if sid in world.servers and not world.servers[sid].get("_deleted")
              and world.servers[sid].get("_host")]
    group["members"].append(server["id"])
    return not (group["policy"] == "anti-affinity" and placed)


def _group(request: web.Request) -> dict:
    group = world_of(request).server_groups.get(request.match_info["group_id"])
    if group is None or group["project_id"] != ctx_of(request)["project_id"]:
        raise ApiError(404, f"Server group {request.match_info['group_id']} could not be found.")
    return group


async def list_groups(request: web.Request) -> web.Response:
    world, mv, project_id = world_of(request), _mv(request), ctx_of(request)["project_id"]
    return json_response({"server_groups": [group_view(g, mv) for g in world.server_groups.values()
                                            if g["project_id"] == project_id]})


async def show_group(request: web.Request) -> web.Response:
    return json_response({"server_group": group_view(_group(request), _mv(request))})


async def delete_group(request: web.Request) -> web.Response:
    group = _group(request)
    del world_of(request).server_groups[group["id"]]
    return no_content()


async def create(request: web.Request) -> web.Response:
    world, mv, ctx = world_of(request), _mv(request), ctx_of(request)
    body = await read_json(request)
    spec = body.get("server_group") if isinstance(body, dict) else None
    if not isinstance(spec, dict):
        raise _bad_input("server_group", body, "'server_group' is a required property")
    name = spec.get("name")
    if not isinstance(name, str) or not name.strip() or len(name) > 255:
        raise _bad_input("name", name, "is not a valid name")
    allowed = HARD + (SOFT if mv >= (2, 15) else ())
    if mv >= (2, 64):
        if "policies" in spec:
            raise _bad_input("server_group", spec, "Additional properties are not allowed ('policies' was unexpected)")
        policy, rules = spec.get("policy"), spec.get("rules") or {}
        if policy not in allowed:
            raise _bad_input("policy", policy, f"is not one of {list(allowed)}")
        if rules and (policy != "anti-affinity" or set(rules) - {"max_server_per_host"}):
            raise ApiError(400, "Only anti-affinity policy supports the max_server_per_host rule.")
    else:
        policies = spec.get("policies")
        if not (isinstance(policies, list) and len(policies) == 1 and policies[0] in allowed):
            raise _bad_input("policies", policies, f"is not valid: one of {list(allowed)}")
        policy, rules = policies[0], {}
    limit = world.quota(ctx["project_id"], "compute", "server_groups", 10)
    used = sum(1 for g in world.server_groups.values() if g["project_id"] == ctx["project_id"])
    if 0 <= limit <= used:
        raise ApiError(403, "Quota exceeded, too many server groups.")
    group = create_group(world, ctx["project_id"], ctx["user_id"], name, policy, rules)
    return json_response({"server_group": group_view(group, mv)})


def add_routes(router: web.UrlDispatcher, prefix: str) -> None:
    router.add_get(f"{prefix}/os-server-groups", list_groups)
    router.add_post(f"{prefix}/os-server-groups", create)
    router.add_get(f"{prefix}/os-server-groups/{{group_id}}", show_group)
    router.add_delete(f"{prefix}/os-server-groups/{{group_id}}", delete_group)

"""Keystone's identity and catalog APIs beyond tokens: users, groups, roles and grants, projects, domains,
services, endpoints, regions, limits, policies, endpoint groups, federation records, access rules.

Who may do what follows Keystone's default policy (keystone/common/policies/*.py): the admin role in any
scope may do everything; a system-scoped reader may read the catalog and the identity tables; a project
member may read itself, its projects, its project's domain, regions and limits, and is answered 403 with
"identity:ACTION" elsewhere. Messages are Keystone's (keystone/exception.py).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any, Callable

from aiohttp import web

from .common import ApiError, json_response, new_hex_id, no_content, read_json
from .service import ctx_of, world_of
from .world import World

MALFORMED = "Expecting to find valid JSON in request body."
READER_ROLES = ("reader", "member", "manager", "admin")


# --- tables -------------------------------------------------------------------------------------

def tables(world: World) -> dict[str, Any]:
    """world.identity, made on first use: the catalog's services and endpoints from keystone.SERVICES,
    and Keystone's bootstrap inferences (admin implies manager implies member implies reader)."""
    t = world.identity
    if t:
        return t
    from . import keystone

    t.update({name: {} for name in ("groups", "services", "endpoints", "regions", "limits", "registered_limits",
                                     "policies", "endpoint_groups", "identity_providers", "mappings",
                                     "service_providers", "access_rules")})
    t.update(members=set(), implies=set(), grants=[], project_endpoints=set(), endpoint_group_projects=set())
    t["regions"][keystone.REGION] = {"id": keystone.REGION, "description": "", "parent_region_id": None}
    for kind, name, path in keystone.SERVICES:
        sid = hashlib.md5(kind.encode()).hexdigest()
        t["services"][sid] = {"id": sid, "type": kind, "name": name, "enabled": True, "description": ""}
        for iface in ("public", "internal", "admin"):
            eid = hashlib.md5(f"{kind}{iface}".encode()).hexdigest()
            t["endpoints"][eid] = {"id": eid, "interface": iface, "region_id": keystone.REGION,
                                   "service_id": sid, "enabled": True, "_path": path}
    _bootstrap_inferences(world)
    return t


def _bootstrap_inferences(world: World) -> None:
    by_name = {r["name"]: r["id"] for r in world.roles.values()}
    chain = [n for n in ("admin", "manager", "member", "reader") if n in by_name]
    world.identity["implies"].update((by_name[a], by_name[b]) for a, b in zip(chain, chain[1:]))


def stable_id(*parts: str) -> str:
    """An ID that draws nothing from the world's seeded streams (the seed's other IDs stay as they were)."""
    return hashlib.md5("/".join(parts).encode()).hexdigest()


def endpoint_url(world: World, rec: dict) -> str:
    return world.base_url + rec["_path"] if "_path" in rec else rec.get("url", "")


# --- roles a subject holds ------------------------------------------------------------------------

def user_groups(world: World, user_id: str) -> set[str]:
    return {g for (g, u) in tables(world)["members"] if u == user_id}


def direct_role_ids(world: World, user_id: str, target: str, target_id: str | None) -> set[str]:
    """Roles granted to the user, directly or through a group, on a project, domain or the system."""
    t = tables(world)
    ids: set[str] = set()
    if target == "project":
        ids |= {r for (u, p, r) in world.assignments if u == user_id and p == target_id}
    groups = user_groups(world, user_id)
    for g in t["grants"]:
        if g["target"] != (target, target_id) or g["inherited"]:
            continue
        if g["actor"] == ("user", user_id) or (g["actor"][0] == "group" and g["actor"][1] in groups):
            ids.add(g["role"])
    if target == "project" and target_id in world.projects:  # inherited from the project's domain
        domain_id = world.projects[target_id]["domain_id"]
        for g in t["grants"]:
            if g["inherited"] and g["target"] == ("domain", domain_id) and (
                    g["actor"] == ("user", user_id) or (g["actor"][0] == "group" and g["actor"][1] in groups)):
                ids.add(g["role"])
    return {r for r in ids if r in world.roles}


def expand_implied(world: World, role_ids: set[str]) -> set[str]:
    implies = tables(world)["implies"]
    out, todo = set(role_ids), list(role_ids)
    while todo:
        prior = todo.pop()
        for a, b in implies:
            if a == prior and b not in out and b in world.roles:
                out.add(b)
                todo.append(b)
    return out


def effective_roles(world: World, user_id: str, target: str, target_id: str | None) -> list[dict]:
    ids = expand_implied(world, direct_role_ids(world, user_id, target, target_id))
    return [{"id": rid, "name": world.roles[rid]["name"]} for rid in sorted(ids, key=lambda r: world.roles[r]["name"])]


# --- policy -------------------------------------------------------------------------------------------

def is_admin(ctx: dict) -> bool:
    return any(r["name"] == "admin" for r in ctx.get("roles", ()))


def is_system_reader(ctx: dict) -> bool:
    return bool(ctx.get("system")) and any(r["name"] in READER_ROLES for r in ctx.get("roles", ()))


def forbidden(action: str) -> ApiError:
    return ApiError(403, f"You are not authorized to perform the requested action: identity:{action}.")


def enforce(ctx: dict, action: str, rule: str, owner: bool = False) -> None:
    """rule: "any" (everyone with a token), "reader" (admin or system reader), "admin", "system_reader",
    "system_admin" (system scope only: a project's admin is not enough); `owner` lets the request through
    for rules of the form "... or the user itself / its project"."""
    if rule == "any" or owner:
        return
    if rule.startswith("system_"):
        if is_system_reader(ctx) and (rule == "system_reader" or is_admin(ctx)):
            return
    elif is_admin(ctx) or (rule == "reader" and is_system_reader(ctx)):
        return
    raise forbidden(action)


# --- generic collections --------------------------------------------------------------------------------

@dataclass(frozen=True)
class Kind:
    plural: str  # the URL's collection (and the list's JSON key)
    singular: str  # the JSON key of one
    label: str  # "Could not find {label}: {id}."
    defaults: dict = field(default_factory=dict)  # fields every body carries
    required: tuple[str, ...] = ("name",)
    read: str = "reader"  # policy for get and list
    unique: tuple[str, ...] = ()  # fields that together must be unique (a 409 otherwise)
    prefix: str = ""  # "/OS-EP-FILTER", "/OS-FEDERATION"
    action: str = ""  # the policy noun if not the singular
    put_id: bool = False  # created by PUT /plural/{id} (regions may be either)
    world_table: str = ""  # the World attribute holding it, if not world.identity

    @property
    def noun(self) -> str:
        return self.action or self.singular

    def table(self, world: World) -> dict[str, dict]:
        return getattr(world, self.world_table) if self.world_table else tables(world)[self.plural]


KINDS = {k.plural: k for k in [
    Kind("domains", "domain", "domain", {"description": "", "enabled": True, "tags": [], "options": {}},
         unique=("name",), world_table="domains"),
    Kind("projects", "project", "project", {"description": "", "enabled": True, "is_domain": False, "tags": [],
                                            "options": {}}, unique=("name", "domain_id"), world_table="projects"),
    Kind("users", "user", "user", {"enabled": True, "password_expires_at": None, "options": {}},
         unique=("name", "domain_id"), world_table="users"),
    Kind("groups", "group", "group", {"description": ""}, unique=("name", "domain_id")),
    Kind("roles", "role", "role", {"domain_id": None, "description": None, "options": {}},
         unique=("name", "domain_id"), world_table="roles"),
    Kind("services", "service", "service", {"enabled": True}, required=("type",)),
    Kind("endpoints", "endpoint", "endpoint", {"enabled": True, "region_id": None},
         required=("interface", "service_id", "url")),
    Kind("regions", "region", "region", {"description": "", "parent_region_id": None}, required=(),
         read="any", put_id=True),
    Kind("registered_limits", "registered_limit", "registered limit for",
         {"region_id": None, "description": None}, required=("service_id", "resource_name", "default_limit"),
         read="any"),
    Kind("limits", "limit", "limit for", {"region_id": None, "description": None, "project_id": None,
                                          "domain_id": None},
         required=("service_id", "resource_name", "resource_limit"), read="any"),
    Kind("policies", "policy", "policy", {}, required=("blob", "type")),
    Kind("endpoint_groups", "endpoint_group", "Endpoint Group", {"description": ""},
         required=("name", "filters"), prefix="/OS-EP-FILTER"),
    Kind("identity_providers", "identity_provider", "Identity Provider",
         {"description": None, "enabled": False, "remote_ids": [], "authorization_ttl": None},
         required=(), prefix="/OS-FEDERATION", put_id=True, action="identity_provider", read="admin"),
    Kind("mappings", "mapping", "mapping", {"schema_version": "1.0"}, required=("rules",),
         prefix="/OS-FEDERATION", put_id=True, read="admin"),
    Kind("service_providers", "service_provider", "Service Provider",
         {"description": None, "enabled": False, "relay_state_prefix": "ss:mem:"}, required=("auth_url", "sp_url"),
         prefix="/OS-FEDERATION", put_id=True, read="admin"),
]}


def base(world: World) -> str:
    from .keystone import auth_url

    return auth_url(world)


def body_of(world: World, kind: Kind, rec: dict) -> dict:
    out = dict(kind.defaults)
    out.update({k: v for k, v in rec.items() if not k.startswith("_") and k != "password"})
    out["links"] = {"self": f"{base(world)}{kind.prefix}/{kind.plural}/{rec['id']}"}
    if kind.plural == "projects":
        out.setdefault("parent_id", rec["domain_id"])
    elif kind.plural == "endpoints":
        out["url"] = endpoint_url(world, rec)
        out["region"] = rec.get("region_id")
    elif kind.plural == "users" and rec.get("default_project_id") is None:
        out.pop("default_project_id", None)
    elif kind.plural == "identity_providers":
        out["protocols"] = f"{out['links']['self']}/protocols"
    return out


def not_found(kind: Kind, ident: str) -> ApiError:
    return ApiError(404, f"Could not find {kind.label}: {ident}.")


def get_rec(world: World, kind: Kind, ident: str) -> dict:
    rec = kind.table(world).get(ident)
    if rec is None:
        raise not_found(kind, ident)
    return rec


def list_links(request: web.Request) -> dict:
    return {"next": None, "self": str(request.url), "previous": None}


def _matches(rec_body: dict, query: Any) -> bool:
    for key, want in query.items():
        if key not in rec_body or isinstance(rec_body[key], (dict, list)):
            continue
        have = rec_body[key]
        have_s = ("true" if have else "false") if isinstance(have, bool) else ("" if have is None else str(have))
        if isinstance(have, bool):
            want = want.lower()
        if have_s != want:
            return False
    return True


def _visible(world: World, kind: Kind, ctx: dict, rec: dict) -> bool:
    """What a project member's list of a public collection holds (limits: its own project's only)."""
    if kind.plural == "limits" and not (is_admin(ctx) or is_system_reader(ctx)):
        return rec.get("project_id") == ctx.get("project_id")
    return True


async def list_kind(request: web.Request, kind: Kind) -> web.Response:
    world, ctx = world_of(request), ctx_of(request)
    enforce(ctx, f"list_{kind.noun}s" if kind.noun != "policy" else "list_policies", kind.read)
    bodies = [body_of(world, kind, r) for r in kind.table(world).values() if _visible(world, kind, ctx, r)]
    bodies = [b for b in bodies if _matches(b, request.query)]
    return json_response({kind.plural: bodies, "links": list_links(request)})


def _get_allowed(world: World, kind: Kind, ctx: dict, ident: str) -> bool:
    """The 'or the subject itself' parts of Keystone's get_* rules."""
    if kind.plural == "users":
        return ident == ctx["user_id"]
    if kind.plural == "projects":
        return ident == ctx.get("project_id")
    if kind.plural == "domains":
        project = world.projects.get(ctx.get("project_id") or "")
        return (project is not None and project["domain_id"] == ident) or ctx.get("domain_id") == ident
    if kind.plural == "limits":
        rec = kind.table(world).get(ident)
        return rec is not None and rec.get("project_id") == ctx.get("project_id")
    return False


async def show_kind(request: web.Request, kind: Kind) -> web.Response:
    world, ctx = world_of(request), ctx_of(request)
    ident = request.match_info["ident"]
    enforce(ctx, f"get_{kind.noun}", kind.read, owner=_get_allowed(world, kind, ctx, ident))
    body = body_of(world, kind, get_rec(world, kind, ident))
    if kind.plural == "projects":
        body.update(_hierarchy(world, ident, request.query))
    return json_response({kind.singular: body})


def _ancestors(world: World, project_id: str) -> list[str]:
    """The project's parent projects, nearest first (its domain not included)."""
    chain: list[str] = []
    parent = world.projects[project_id].get("parent_id")
    while parent in world.projects and parent not in chain:
        chain.append(parent)
        parent = world.projects[parent].get("parent_id")
    return chain


def _hierarchy(world: World, project_id: str, query: Any) -> dict:
    """?parents_as_list / ?subtree_as_list (keystone/api/projects.py): the project's ancestors and
    descendants below its domain, each wrapped as {"project": ...}."""
    def asked(name: str) -> bool:
        return name in query and query[name].lower() not in ("0", "false")
    out: dict[str, Any] = {}
    if asked("parents_as_list"):
        out["parents"] = [{"project": body_of(world, KINDS["projects"], world.projects[p])}
                          for p in _ancestors(world, project_id)]
    if asked("parents_as_ids"):  # {parent: {grandparent: ... {domain: None}}}, what OSC's --parents asks
        ids: dict | None = None
        for ancestor in reversed(_ancestors(world, project_id) + [world.projects[project_id]["domain_id"]]):
            ids = {ancestor: ids}
        out["parents"] = ids
    if asked("subtree_as_ids"):  # {child: {grandchild: None}}, or None without children (OSC's --children)
        def subtree(pid: str) -> dict | None:
            children = [p["id"] for p in world.projects.values() if p.get("parent_id") == pid]
            return {c: subtree(c) for c in children} or None
        out["subtree"] = subtree(project_id)
    if asked("subtree_as_list"):
        below, todo = [], [project_id]
        while todo:
            current = todo.pop(0)
            children = [p for p in world.projects.values() if p.get("parent_id") == current and p["id"] not in below]
            below += [c["id"] for c in children]
            todo += [c["id"] for c in children]
        out["subtree"] = [{"project": body_of(world, KINDS["projects"], world.projects[p])} for p in below]
    return out


def _check_unique(world: World, kind: Kind, rec: dict, ignore: str | None = None) -> None:
    if not kind.unique:
        return
    for other in kind.table(world).values():
        if other["id"] != ignore and all(other.get(f) == rec.get(f) for f in kind.unique):
            detail = f"Duplicate entry found with name {rec.get('name')}"
            if "domain_id" in kind.unique and rec.get("domain_id"):
                detail += f" at domain ID {rec['domain_id']}"
            raise ApiError(409, f"Conflict occurred attempting to store {kind.singular} - {detail}.")


def _spec(body: Any, key: str) -> dict:
    spec = body.get(key) if isinstance(body, dict) else None
    if not isinstance(spec, dict):
        raise ApiError(400, f"'{key}' is a required property")
    return spec


def _prepare(world: World, kind: Kind, spec: dict, ctx: dict) -> dict:
    """Fill what Keystone fills and refuse what it refuses before a record is stored."""
    rec = {k: v for k, v in spec.items() if k not in ("links", "id")}
    if kind.plural in ("projects", "users", "groups"):
        domain_id = rec.get("domain_id") or "default"
        if domain_id not in world.domains:  # keystone's DomainNotFound, a 404 whatever is being made
            raise ApiError(404, f"Could not find domain: {domain_id}.")
        rec["domain_id"] = domain_id
    if kind.plural == "projects":
        parent = rec.get("parent_id")
        if parent and parent not in world.projects and parent not in world.domains:
            raise ApiError(404, f"Could not find project: {parent}.")
        rec["parent_id"] = parent or rec["domain_id"]
    if kind.plural == "endpoints":
        if rec["service_id"] not in tables(world)["services"]:
            raise ApiError(400, f"Could not find service: {rec['service_id']}.")
        region = rec.get("region_id") or rec.pop("region", None)
        if region and region not in tables(world)["regions"]:
            raise ApiError(400, f"Could not find region: {region}.")
        rec["region_id"] = region
        if rec["interface"] not in ("public", "internal", "admin"):
            raise ApiError(400, f"Invalid input for field 'interface': '{rec['interface']}' does not match "
                                "'^(public|internal|admin)$'")
    if kind.plural == "regions" and rec.get("parent_region_id"):
        if rec["parent_region_id"] not in tables(world)["regions"]:
            raise ApiError(404, f"Could not find region: {rec['parent_region_id']}.")
    if kind.plural in ("limits", "registered_limits"):
        if rec["service_id"] not in tables(world)["services"]:
            raise ApiError(400, f"Could not find service: {rec['service_id']}.")
        if rec.get("region_id") and rec["region_id"] not in tables(world)["regions"]:
            raise ApiError(400, f"Could not find region: {rec['region_id']}.")
    if kind.plural == "limits":
        if not rec.get("project_id") and not rec.get("domain_id"):
            raise ApiError(400, "Invalid input for field 'project_id': None is not of type 'string'")
        if not any(_same_limit(r, rec) for r in tables(world)["registered_limits"].values()):
            raise ApiError(403, "The service, resource name or region combination is invalid. There is no "
                                "registered limit for it.")
        rec.setdefault("domain_id", None)
    if kind.plural == "identity_providers" and not rec.get("domain_id"):
        rec["domain_id"] = _idp_domain(world)
    return rec


def _same_limit(a: dict, b: dict) -> bool:
    return all(a.get(f) == b.get(f) for f in ("service_id", "resource_name")) and \
        (a.get("region_id") or None) == (b.get("region_id") or None)


def _idp_domain(world: World) -> str:
    did = new_hex_id()
    world.domains[did] = {"id": did, "name": did, "description": "Auto generated federated domain",
                          "enabled": True}
    return did


async def create_kind(request: web.Request, kind: Kind, ident: str | None = None) -> web.Response:
    world, ctx = world_of(request), ctx_of(request)
    action = f"create_{kind.noun}"
    if kind.plural in ("limits", "registered_limits"):
        action += "s"
    enforce(ctx, action, "admin")
    body = await read_json(request, malformed=MALFORMED)
    if kind.plural in ("limits", "registered_limits"):
        specs = body.get(kind.plural) if isinstance(body, dict) else None
        if not isinstance(specs, list) or not specs:
            raise ApiError(400, f"'{kind.plural}' is a required property")
    else:
        specs = [_spec(body, kind.singular)]
    made = []
    for spec in specs:
        for key in kind.required:
            if spec.get(key) in (None, ""):
                raise ApiError(400, f"'{key}' is a required property")
        rec = _prepare(world, kind, spec, ctx)
        rec["id"] = ident or (spec.get("id") if kind.put_id and spec.get("id") else new_hex_id())
        if rec["id"] in kind.table(world):
            raise ApiError(409, f"Conflict occurred attempting to store {kind.singular} - Duplicate ID, "
                                f"{rec['id']}.")
        if kind.plural == "registered_limits" and any(_same_limit(r, rec)
                                                      for r in kind.table(world).values()):
            raise ApiError(409, "Conflict occurred attempting to store registered_limit - Duplicate entry.")
        if kind.plural == "limits" and any(_same_limit(r, rec) and r.get("project_id") == rec.get("project_id")
                                           for r in kind.table(world).values()):
            raise ApiError(409, "Conflict occurred attempting to store limit - Duplicate entry.")
        _check_unique(world, kind, rec)
        kind.table(world)[rec["id"]] = rec
        made.append(body_of(world, kind, rec))
    if kind.plural in ("limits", "registered_limits"):
        return json_response({kind.plural: made}, 201)
    return json_response({kind.singular: made[0]}, 201)


async def update_kind(request: web.Request, kind: Kind) -> web.Response:
    world, ctx = world_of(request), ctx_of(request)
    ident = request.match_info["ident"]
    enforce(ctx, f"update_{kind.noun}", "admin")
    rec = get_rec(world, kind, ident)
    spec = _spec(await read_json(request, malformed=MALFORMED), kind.singular)
    if "id" in spec and spec["id"] != ident:
        raise ApiError(400, "Cannot change ID")
    new = dict(rec)
    new.update({k: v for k, v in spec.items() if k not in ("links", "id")})
    if kind.plural == "endpoints" and "region" in spec:
        new["region_id"] = new.pop("region")
    if kind.plural == "endpoints" and "url" in spec:
        new.pop("_path", None)
    _check_unique(world, kind, new, ignore=ident)
    rec.clear()
    rec.update(new)
    if kind.plural == "users" and "password" in spec:
        _revoke_user_tokens(world, ident)
    return json_response({kind.singular: body_of(world, kind, rec)})


def _revoke_user_tokens(world: World, user_id: str) -> None:
    for token in world.tokens.values():
        if token["user_id"] == user_id:
            token["revoked"] = True


async def delete_kind(request: web.Request, kind: Kind) -> web.Response:
    world, ctx = world_of(request), ctx_of(request)
    ident = request.match_info["ident"]
    enforce(ctx, f"delete_{kind.noun}", "admin")
    rec = get_rec(world, kind, ident)
    if kind.plural == "domains":
        if rec.get("enabled", True):
            raise ApiError(403, "Cannot delete a domain that is enabled, please disable it first.")
        for table in (world.projects, world.users, tables(world)["groups"]):
            for other in [r for r in table.values() if r.get("domain_id") == ident]:
                _forget(world, other["id"])
                del table[other["id"]]
    if kind.plural == "regions" and any(r.get("parent_region_id") == ident
                                        for r in tables(world)["regions"].values()):
        raise ApiError(403, "Unable to delete region %s because it or its child regions have associated "
                            "endpoints." % ident)
    if kind.plural == "services":
        for eid in [e for e, r in tables(world)["endpoints"].items() if r["service_id"] == ident]:
            del tables(world)["endpoints"][eid]
    del kind.table(world)[ident]
    _forget(world, ident)
    if kind.plural == "users":
        _revoke_user_tokens(world, ident)
    return no_content()


def _forget(world: World, ident: str) -> None:
    """Drop every grant, membership and association that names a deleted thing."""
    t = tables(world)
    world.assignments[:] = [a for a in world.assignments if ident not in a]
    t["grants"][:] = [g for g in t["grants"] if ident not in (g["actor"][1], g["target"][1], g["role"])]
    t["members"] -= {m for m in t["members"] if ident in m}
    t["implies"] -= {m for m in t["implies"] if ident in m}
    t["project_endpoints"] -= {m for m in t["project_endpoints"] if ident in m}
    t["endpoint_group_projects"] -= {m for m in t["endpoint_group_projects"] if ident in m}


# --- grants (role assignments) -------------------------------------------------------------------------

def _actor(world: World, kind: str, ident: str) -> None:
    table = world.users if kind == "users" else tables(world)["groups"]
    if ident not in table:
        raise ApiError(404, f"Could not find {kind[:-1]}: {ident}.")


def _target(world: World, kind: str, ident: str) -> None:
    table = world.projects if kind == "projects" else world.domains
    if kind != "system" and ident not in table:
        raise ApiError(404, f"Could not find {kind[:-1]}: {ident}.")


def _role(world: World, role_id: str) -> None:
    if role_id not in world.roles:
        raise ApiError(404, f"Could not find role: {role_id}.")


def _has_grant(world: World, actor: tuple, target: tuple, role_id: str, inherited: bool) -> bool:
    if actor[0] == "user" and target[0] == "project" and not inherited:
        if (actor[1], target[1], role_id) in world.assignments:
            return True
    return any(g == {"actor": actor, "target": target, "role": role_id, "inherited": inherited}
               for g in tables(world)["grants"])


def _grant_args(request: web.Request) -> tuple[tuple, tuple, bool]:
    m = request.match_info
    target_kind = m.get("target_kind", "system")
    target = ("system", "all") if target_kind == "system" else (target_kind[:-1], m["target_id"])
    actor = (m["actor_kind"][:-1], m["actor_id"])
    return actor, target, request.path.endswith("inherited_to_projects")


async def grant(request: web.Request) -> web.Response:
    world, ctx = world_of(request), ctx_of(request)
    actor, target, inherited = _grant_args(request)
    role_id = request.match_info["role_id"]
    verb = {"PUT": "create", "DELETE": "revoke", "HEAD": "check", "GET": "check"}[request.method]
    action = f"{verb}_grant" if target[0] != "system" else \
        f"{verb}_system_grant_for_{actor[0]}" if verb != "revoke" else f"revoke_system_grant_for_{actor[0]}"
    enforce(ctx, action, "admin" if verb != "check" else "reader")
    _actor(world, actor[0] + "s", actor[1])
    _target(world, target[0] + "s", target[1])
    _role(world, role_id)
    exists = _has_grant(world, actor, target, role_id, inherited)
    if request.method == "PUT":
        if not exists:
            if actor[0] == "user" and target[0] == "project" and not inherited:
                world.assignments.append((actor[1], target[1], role_id))
            else:
                tables(world)["grants"].append({"actor": actor, "target": target, "role": role_id,
                                                "inherited": inherited})
        return no_content()
    if not exists:
        raise ApiError(404, f"Could not find role assignment with role: {role_id}, "
                            f"{actor[0]}: {actor[1]}, {target[0]}: {target[1]}.")
    if request.method == "DELETE":
        world.assignments[:] = [a for a in world.assignments if a != (actor[1], target[1], role_id)]
        tables(world)["grants"][:] = [g for g in tables(world)["grants"] if g != {
            "actor": actor, "target": target, "role": role_id, "inherited": inherited}]
    return no_content()


def _all_grants(world: World) -> list[dict]:
    out = [{"actor": ("user", u), "target": ("project", p), "role": r, "inherited": False}
           for (u, p, r) in world.assignments]
    return out + list(tables(world)["grants"])


async def list_grants(request: web.Request) -> web.Response:
    world, ctx = world_of(request), ctx_of(request)
    actor, target, inherited = _grant_args(request)
    enforce(ctx, "list_grants" if target[0] != "system" else f"list_system_grants_for_{actor[0]}", "reader")
    _actor(world, actor[0] + "s", actor[1])
    _target(world, target[0] + "s", target[1])
    roles = [g["role"] for g in _all_grants(world)
             if g["actor"] == actor and g["target"] == target and g["inherited"] == inherited]
    return json_response({"roles": [body_of(world, KINDS["roles"], world.roles[r]) for r in roles],
                          "links": list_links(request)})


def _assignment(world: World, g: dict, names: bool, indirect: dict | None = None) -> dict:
    actor_kind, actor_id = g["actor"]
    target_kind, target_id = g["target"]
    out: dict[str, Any] = {"role": {"id": g["role"]}, actor_kind: {"id": actor_id}}
    scope: dict[str, Any] = {"system": {"all": True}} if target_kind == "system" else {target_kind: {"id": target_id}}
    if g["inherited"]:
        scope["OS-INHERIT:inherited_to"] = "projects"
    out["scope"] = scope
    if names:
        role = world.roles.get(g["role"], {})
        out["role"]["name"] = role.get("name")
        if role.get("domain_id"):
            out["role"]["domain"] = {"id": role["domain_id"]}
        rec = (world.users if actor_kind == "user" else tables(world)["groups"]).get(actor_id, {})
        out[actor_kind].update(name=rec.get("name"), domain=_domain_ref(world, rec.get("domain_id")))
        if target_kind != "system":
            trec = (world.projects if target_kind == "project" else world.domains).get(target_id, {})
            scope[target_kind]["name"] = trec.get("name")
            if target_kind == "project":
                scope[target_kind]["domain"] = _domain_ref(world, trec.get("domain_id"))
    path = ("/system" if target_kind == "system" else f"/{target_kind}s/{target_id}") + \
        f"/{actor_kind}s/{actor_id}/roles/{g['role']}"
    if g["inherited"]:
        path = "/OS-INHERIT" + path + "/inherited_to_projects"
    out["links"] = {"assignment": base(world) + path}
    if indirect:
        out["links"]["membership"] = base(world) + f"/groups/{indirect['group_id']}/users/{actor_id}"
    return out


def _domain_ref(world: World, domain_id: str | None) -> dict:
    d = world.domains.get(domain_id or "")
    return {"id": domain_id, "name": d["name"] if d else None}


async def role_assignments(request: web.Request) -> web.Response:
    world, ctx = world_of(request), ctx_of(request)
    enforce(ctx, "list_role_assignments", "reader")
    q = request.query
    names = q.get("include_names", "").lower() in ("", "true", "1") and "include_names" in q
    effective = "effective" in q and q.get("effective", "").lower() in ("", "true", "1")
    rows: list[tuple[dict, dict | None]] = []
    for g in _all_grants(world):
        if effective and g["actor"][0] == "group":
            for (gid, uid) in sorted(tables(world)["members"]):
                if gid == g["actor"][1]:
                    rows.append((dict(g, actor=("user", uid)), {"group_id": gid}))
        else:
            rows.append((g, None))
    out = []
    for g, indirect in rows:
        actor_kind, actor_id = g["actor"]
        target_kind, target_id = g["target"]
        if q.get("user.id") and (actor_kind, actor_id) != ("user", q["user.id"]):
            continue
        if q.get("group.id") and (actor_kind, actor_id) != ("group", q["group.id"]):
            continue
        if q.get("role.id") and g["role"] != q["role.id"]:
            continue
        if q.get("scope.project.id") and (target_kind, target_id) != ("project", q["scope.project.id"]):
            continue
        if q.get("scope.domain.id") and (target_kind, target_id) != ("domain", q["scope.domain.id"]):
            continue
        if "scope.system" in q and target_kind != "system":
            continue
        if "scope.OS-INHERIT:inherited_to" in q and not g["inherited"]:
            continue
        out.append(_assignment(world, g, names, indirect))
    return json_response({"role_assignments": out, "links": list_links(request)})


# --- group membership, implied roles ----------------------------------------------------------------

async def membership(request: web.Request) -> web.Response:
    world, ctx = world_of(request), ctx_of(request)
    gid, uid = request.match_info["group_id"], request.match_info["user_id"]
    action = {"PUT": "add_user_to_group", "DELETE": "remove_user_from_group"}.get(request.method,
                                                                                   "check_user_in_group")
    enforce(ctx, action, "admin" if request.method in ("PUT", "DELETE") else "reader")
    get_rec(world, KINDS["groups"], gid)
    get_rec(world, KINDS["users"], uid)
    return _associate(request, tables(world)["members"], (gid, uid),
                      f"User '{uid}' not found in group '{gid}'") or no_content()


def _associate(request: web.Request, links: set, pair: tuple, missing: str) -> web.Response | None:
    """Keystone's association routes: PUT links the pair, DELETE unlinks it, HEAD checks it (404 `missing`
    where it is not linked). None for a GET that found it: the caller answers that."""
    if request.method == "PUT":
        links.add(pair)
        return no_content()
    if pair not in links:
        raise ApiError(404, missing)
    if request.method == "DELETE":
        links.discard(pair)
    return None if request.method == "GET" else no_content()


async def users_in_group(request: web.Request) -> web.Response:
    world, ctx = world_of(request), ctx_of(request)
    gid = request.match_info["group_id"]
    enforce(ctx, "list_users_in_group", "reader")
    get_rec(world, KINDS["groups"], gid)
    users = [body_of(world, KINDS["users"], world.users[u]) for (g, u) in sorted(tables(world)["members"])
             if g == gid and u in world.users]
    return json_response({"users": [u for u in users if _matches(u, request.query)], "links": list_links(request)})


async def groups_for_user(request: web.Request) -> web.Response:
    world, ctx = world_of(request), ctx_of(request)
    uid = request.match_info["user_id"]
    enforce(ctx, "list_groups_for_user", "reader", owner=uid == ctx["user_id"])
    get_rec(world, KINDS["users"], uid)
    groups = tables(world)["groups"]
    return json_response({"groups": [body_of(world, KINDS["groups"], groups[g]) for g in sorted(user_groups(world, uid))
                                     if g in groups], "links": list_links(request)})


def _inference(world: World, prior: str, implied: str) -> dict:
    def ref(rid: str) -> dict:
        return {"id": rid, "name": world.roles[rid]["name"],
                "links": {"self": f"{base(world)}/roles/{rid}"}}
    return {"prior_role": ref(prior), "implies": ref(implied)}


async def implied_role(request: web.Request) -> web.Response:
    world, ctx = world_of(request), ctx_of(request)
    prior, implied = request.match_info["prior"], request.match_info["implied"]
    verb = {"PUT": "create", "DELETE": "delete"}.get(request.method, "get")
    enforce(ctx, f"{verb}_implied_role", "admin" if verb != "get" else "reader")
    _role(world, prior)
    _role(world, implied)
    implies = tables(world)["implies"]
    if request.method == "PUT":
        if world.roles[implied]["name"] == "admin":
            raise ApiError(403, f"{implied} cannot be an implied roles.")
        implies.add((prior, implied))
        return json_response({"role_inference": _inference(world, prior, implied),
                              "links": {"self": f"{base(world)}/roles/{prior}/implies/{implied}"}}, 201)
    if (prior, implied) not in implies:
        raise ApiError(404, f"{prior} does not imply {implied}.")
    if request.method == "DELETE":
        implies.discard((prior, implied))
        return no_content()
    if request.method == "HEAD":
        return no_content()
    return json_response({"role_inference": _inference(world, prior, implied),
                          "links": {"self": f"{base(world)}/roles/{prior}/implies/{implied}"}})


async def list_implied(request: web.Request) -> web.Response:
    world, ctx = world_of(request), ctx_of(request)
    prior = request.match_info["prior"]
    enforce(ctx, "list_implied_roles", "reader")
    _role(world, prior)
    implied = [_inference(world, a, b)["implies"] for (a, b) in sorted(tables(world)["implies"]) if a == prior]
    return json_response({"role_inference": {"prior_role": _inference(world, prior, prior)["prior_role"],
                                             "implies": implied},
                          "links": {"self": f"{base(world)}/roles/{prior}/implies"}})


async def role_inferences(request: web.Request) -> web.Response:
    world, ctx = world_of(request), ctx_of(request)
    enforce(ctx, "list_role_inference_rules", "reader")
    by_prior: dict[str, list] = {}
    for a, b in sorted(tables(world)["implies"]):
        if a in world.roles and b in world.roles:
            by_prior.setdefault(a, []).append(_inference(world, a, b)["implies"])
    rules = [{"prior_role": _inference(world, a, a)["prior_role"], "implies": imp} for a, imp in by_prior.items()]
    return json_response({"role_inferences": rules, "links": {"self": f"{base(world)}/role_inferences"}})


# --- users: own projects and password, access rules ------------------------------------------------------

async def user_projects(request: web.Request) -> web.Response:
    from .keystone import user_projects as projects_of

    world, ctx = world_of(request), ctx_of(request)
    uid = request.match_info["user_id"]
    enforce(ctx, "list_user_projects", "reader", owner=uid == ctx["user_id"])
    get_rec(world, KINDS["users"], uid)
    ids = {p["id"] for p in projects_of(world, uid)} | {
        g["target"][1] for g in _all_grants(world) if g["target"][0] == "project" and not g["inherited"]
        and (g["actor"] == ("user", uid) or (g["actor"][0] == "group" and g["actor"][1] in user_groups(world, uid)))}
    projects = [body_of(world, KINDS["projects"], world.projects[p]) for p in sorted(ids) if p in world.projects]
    return json_response({"projects": projects, "links": list_links(request)})


async def change_password(request: web.Request) -> web.Response:
    world = world_of(request)
    uid = request.match_info["user_id"]
    if uid != ctx_of(request)["user_id"]:
        raise forbidden("change_password")
    spec = _spec(await read_json(request, malformed=MALFORMED), "user")
    user = get_rec(world, KINDS["users"], uid)
    if spec.get("original_password") != user.get("password"):
        raise ApiError(401, "The request you have made requires authentication.")
    if not isinstance(spec.get("password"), str):
        raise ApiError(400, "'password' is a required property")
    user["password"] = spec["password"]
    _revoke_user_tokens(world, uid)
    return no_content()


def access_rule_body(world: World, rule: dict) -> dict:
    return {"id": rule["id"], "service": rule["service"], "path": rule["path"], "method": rule["method"],
            "links": {"self": f"{base(world)}/users/{rule['user_id']}/access_rules/{rule['id']}"}}


def store_access_rules(world: World, user_id: str, rules: Any) -> list[dict]:
    """An application credential's access rules: reuse the user's identical rule (as Keystone does)."""
    if rules is None:
        return []
    if not isinstance(rules, list):
        raise ApiError(400, f"Invalid input for field 'access_rules': {rules!r} is not of type 'array'")
    table = tables(world)["access_rules"]
    out = []
    for spec in rules:
        if not isinstance(spec, dict) or not all(isinstance(spec.get(k), str) for k in ("service", "path", "method")):
            raise ApiError(400, "Invalid input for field 'access_rules/0': 'service' is a required property")
        rule = next((r for r in table.values() if r["user_id"] == user_id and all(
            r[k] == spec[k] for k in ("service", "path", "method"))), None)
        if rule is None:
            rule = {"id": spec.get("id") or new_hex_id(), "user_id": user_id,
                    **{k: spec[k] for k in ("service", "path", "method")}}
            table[rule["id"]] = rule
        out.append(rule)
    return out


def _own_rules_user(request: web.Request, verb: str) -> str:
    uid = request.match_info["user_id"]
    ctx = ctx_of(request)
    enforce(ctx, f"{verb}_access_rule{'s' if verb == 'list' else ''}",
            "system_reader" if verb != "delete" else "system_admin", owner=uid == ctx["user_id"])
    return uid


async def list_access_rules(request: web.Request) -> web.Response:
    world = world_of(request)
    uid = _own_rules_user(request, "list")
    rules = [access_rule_body(world, r) for r in tables(world)["access_rules"].values() if r["user_id"] == uid]
    return json_response({"access_rules": [r for r in rules if _matches(r, request.query)],
                          "links": list_links(request)})


def _own_rule(request: web.Request, verb: str) -> dict:
    world = world_of(request)
    uid = _own_rules_user(request, verb)
    rule = tables(world)["access_rules"].get(request.match_info["rule_id"])
    if rule is None or rule["user_id"] != uid:
        raise ApiError(404, f"Could not find Access Rule: {request.match_info['rule_id']}.")
    return rule


async def show_access_rule(request: web.Request) -> web.Response:
    return json_response({"access_rule": access_rule_body(world_of(request), _own_rule(request, "get"))})


async def delete_access_rule(request: web.Request) -> web.Response:
    world = world_of(request)
    rule = _own_rule(request, "delete")
    if any(rule["id"] in c.get("access_rule_ids", ()) for c in world.app_creds.values()):
        raise ApiError(403, f"Cannot delete access rule {rule['id']} because it is used by an application "
                            "credential.")
    del tables(world)["access_rules"][rule["id"]]
    return no_content()


# --- OS-EP-FILTER: endpoints for projects, endpoint groups for projects -------------------------------------

async def project_endpoint(request: web.Request) -> web.Response:
    world, ctx = world_of(request), ctx_of(request)
    pid, eid = request.match_info["project_id"], request.match_info["endpoint_id"]
    verb = {"PUT": "add", "DELETE": "remove"}.get(request.method, "check")
    enforce(ctx, f"{verb}_endpoint_{'to' if verb == 'add' else 'from'}_project" if verb != "check"
            else "check_endpoint_in_project", "admin" if verb != "check" else "reader")
    get_rec(world, KINDS["projects"], pid)
    get_rec(world, KINDS["endpoints"], eid)
    return _associate(request, tables(world)["project_endpoints"], (pid, eid),
                      f"Could not find endpoint: {eid}.") or no_content()


async def endpoints_for_project(request: web.Request) -> web.Response:
    world, ctx = world_of(request), ctx_of(request)
    pid = request.match_info["project_id"]
    enforce(ctx, "list_endpoints_for_project", "reader")
    get_rec(world, KINDS["projects"], pid)
    endpoints = tables(world)["endpoints"]
    ids = {e for (p, e) in tables(world)["project_endpoints"] if p == pid}
    for (gid, p) in tables(world)["endpoint_group_projects"]:
        if p == pid and gid in tables(world)["endpoint_groups"]:
            ids |= _endpoints_in_group(world, tables(world)["endpoint_groups"][gid])
    return json_response({"endpoints": [body_of(world, KINDS["endpoints"], endpoints[e]) for e in sorted(ids)
                                        if e in endpoints], "links": list_links(request)})


def _endpoints_in_group(world: World, group: dict) -> set[str]:
    filters = group.get("filters") or {}
    return {e["id"] for e in tables(world)["endpoints"].values()
            if all(str(e.get(k)) == str(v) for k, v in filters.items())}


async def projects_for_endpoint(request: web.Request) -> web.Response:
    return _linked_projects(request, "list_projects_for_endpoint", "endpoints", request.match_info["endpoint_id"],
                            {(e, p) for (p, e) in tables(world_of(request))["project_endpoints"]})


def _linked_projects(request: web.Request, action: str, kind: str, ident: str, links: set) -> web.Response:
    """The projects associated with an endpoint or an endpoint group (`links` holds (that, project))."""
    world = world_of(request)
    enforce(ctx_of(request), action, "reader")
    get_rec(world, KINDS[kind], ident)
    ids = sorted({p for (other, p) in links if other == ident})
    return json_response({"projects": [body_of(world, KINDS["projects"], world.projects[p]) for p in ids
                                       if p in world.projects], "links": list_links(request)})


async def endpoint_group_project(request: web.Request) -> web.Response:
    world, ctx = world_of(request), ctx_of(request)
    gid, pid = request.match_info["ident"], request.match_info["project_id"]
    verb = {"PUT": "add_endpoint_group_to_project", "DELETE": "remove_endpoint_group_from_project"}.get(
        request.method, "get_endpoint_group_in_project")
    enforce(ctx, verb, "admin" if request.method in ("PUT", "DELETE") else "reader")
    get_rec(world, KINDS["endpoint_groups"], gid)
    get_rec(world, KINDS["projects"], pid)
    return _associate(request, tables(world)["endpoint_group_projects"], (gid, pid),
                      f"Could not find Endpoint Group Project Association: {gid}, {pid}.") or \
        json_response({"project": body_of(world, KINDS["projects"], world.projects[pid])})


async def projects_for_endpoint_group(request: web.Request) -> web.Response:
    return _linked_projects(request, "list_projects_associated_with_endpoint_group", "endpoint_groups",
                            request.match_info["ident"], tables(world_of(request))["endpoint_group_projects"])


async def endpoint_groups_for_project(request: web.Request) -> web.Response:
    world, ctx = world_of(request), ctx_of(request)
    pid = request.match_info["project_id"]
    enforce(ctx, "list_endpoint_groups_for_project", "reader")
    get_rec(world, KINDS["projects"], pid)
    groups = tables(world)["endpoint_groups"]
    ids = sorted({g for (g, p) in tables(world)["endpoint_group_projects"] if p == pid})
    return json_response({"endpoint_groups": [body_of(world, KINDS["endpoint_groups"], groups[g]) for g in ids
                                              if g in groups], "links": list_links(request)})


async def limit_model(request: web.Request) -> web.Response:
    return json_response({"model": {"name": "flat", "description": "Limit enforcement and validation does not "
                                    "take project hierarchy into consideration."}})


# --- routes ---------------------------------------------------------------------------------------------

def _bind(fn: Callable, kind: Kind) -> Callable:
    async def handler(request: web.Request) -> web.Response:
        return await fn(request, kind)
    return handler


def _methods(r: web.UrlDispatcher, path: str, handler: Callable, *methods: str) -> None:
    for method in methods:
        r.add_route(method, path, handler)


def add_routes(r: web.UrlDispatcher) -> None:
    r.add_get("/v3/limits/model", limit_model)
    for kind in KINDS.values():
        coll = f"/v3{kind.prefix}/{kind.plural}"
        item = coll + "/{ident}"
        r.add_get(coll, _bind(list_kind, kind))
        r.add_post(coll, _bind(create_kind, kind))
        r.add_get(item, _bind(show_kind, kind))
        r.add_patch(item, _bind(update_kind, kind))
        r.add_delete(item, _bind(delete_kind, kind))
        if kind.put_id:
            async def put(request: web.Request, kind: Kind = kind) -> web.Response:
                return await create_kind(request, kind, request.match_info["ident"])
            r.add_put(item, put)
    grants = "/{actor_kind:users|groups}/{actor_id}/roles"
    for target in ("/v3/{target_kind:projects|domains}/{target_id}", "/v3/system"):
        r.add_get(target + grants, list_grants)
        _methods(r, target + grants + "/{role_id}", grant, "GET", "HEAD", "PUT", "DELETE")
    inherited = "/v3/OS-INHERIT/{target_kind:domains|projects}/{target_id}" + grants
    _methods(r, inherited + "/{role_id}/inherited_to_projects", grant, "GET", "HEAD", "PUT", "DELETE")
    r.add_get("/v3/role_assignments", role_assignments)
    _methods(r, "/v3/groups/{group_id}/users/{user_id}", membership, "HEAD", "PUT", "DELETE")
    r.add_get("/v3/groups/{group_id}/users", users_in_group)
    r.add_get("/v3/users/{user_id}/groups", groups_for_user)
    r.add_get("/v3/users/{user_id}/projects", user_projects)
    r.add_post("/v3/users/{user_id}/password", change_password)
    r.add_get("/v3/users/{user_id}/access_rules", list_access_rules)
    r.add_get("/v3/users/{user_id}/access_rules/{rule_id}", show_access_rule)
    r.add_delete("/v3/users/{user_id}/access_rules/{rule_id}", delete_access_rule)
    r.add_get("/v3/roles/{prior}/implies", list_implied)
    _methods(r, "/v3/roles/{prior}/implies/{implied}", implied_role, "GET", "HEAD", "PUT", "DELETE")
    r.add_get("/v3/role_inferences", role_inferences)
    _methods(r, "/v3/OS-EP-FILTER/projects/{project_id}/endpoints/{endpoint_id}", project_endpoint,
             "GET", "HEAD", "PUT", "DELETE")
    r.add_get("/v3/OS-EP-FILTER/projects/{project_id}/endpoints", endpoints_for_project)
    r.add_get("/v3/OS-EP-FILTER/endpoints/{endpoint_id}/projects", projects_for_endpoint)
    r.add_get("/v3/OS-EP-FILTER/projects/{project_id}/endpoint_groups", endpoint_groups_for_project)
    r.add_get("/v3/OS-EP-FILTER/endpoint_groups/{ident}/projects", projects_for_endpoint_group)
    _methods(r, "/v3/OS-EP-FILTER/endpoint_groups/{ident}/projects/{project_id}", endpoint_group_project,
             "GET", "HEAD", "PUT", "DELETE")

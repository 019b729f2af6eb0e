"""Keystone v3 of the demo cloud: tokens (password, application credential, token; project, domain and system
scope), the catalog, application credentials; the identity tables' APIs live in keystone_admin."""

from __future__ import annotations

import base64
import datetime as dt
import secrets

from aiohttp import web

from . import keystone_admin as ka
from .common import ApiError, iso_micro_z, json_response, new_hex_id, no_content, parse_time, read_json
from .service import UNAUTHORIZED, ctx_of, service_app, world_of
from .world import World

IDENTITY_VERSION = {
    "id": "v3.14",
    "status": "stable",
    "updated": "2020-04-07T00:00:00Z",
    "media-types": [{"base": "application/json", "type": "application/vnd.openstack.identity-v3+json"}],
}
REGION = "RegionOne"

# (catalog type, name, path below the base URL). Cinder is listed under both of its types, as
# deployments do, so clients asking for either find it.
SERVICES = [
    ("identity", "keystone", "/identity/v3/"),
    ("compute", "nova", "/compute/v2.1"),
    ("network", "neutron", "/network"),
    ("block-storage", "cinder", "/volume/v3"),
    ("volumev3", "cinderv3", "/volume/v3"),
    ("image", "glance", "/image"),
    ("accounting", "accounting", "/accounting"),
    ("orchestration", "heat", "/orchestration/v1/$(project_id)s"),  # Keystone fills in the token's project
    ("object-store", "swift", "/swift/v1/AUTH_$(project_id)s"),  # RadosGW's path
    # Manila under both of its types, as devstack registers it (manilaclient asks for the new one first)
    ("shared-file-system", "manila", "/share/v2/$(project_id)s"),
    ("sharev2", "manilav2", "/share/v2/$(project_id)s"),
    ("container-infra", "magnum", "/container-infra/v1"),  # Magnum, as Jetstream2's catalog types it
]


def auth_url(world: World) -> str:
    return world.base_url + "/identity/v3"


def catalog(world: World, project_id: str = "") -> list[dict]:
    """The enabled services with their enabled endpoints (keystone.SERVICES at start; admins may add).
    As Keystone does, `$(project_id)s` in a URL is the token's project; an endpoint whose URL cannot be
    filled in (a token with no project) is left out, and a service with no endpoint is listed all the same."""
    tables = ka.tables(world)

    def url(e: dict) -> str | None:
        u = ka.endpoint_url(world, e)
        if "$(project_id)s" in u:
            return u.replace("$(project_id)s", project_id) if project_id else None
        return u

    entries = []
    for service in tables["services"].values():
        if not service.get("enabled", True):
            continue
        endpoints = [(e, u) for e in tables["endpoints"].values()
                     if e["service_id"] == service["id"] and e.get("enabled", True) and (u := url(e)) is not None]
        entries.append({
            "endpoints": [
                {"id": e["id"], "interface": e["interface"], "region_id": e.get("region_id"),
                 "url": u, "region": e.get("region_id")}
                for e, u in endpoints
            ],
            "id": service["id"],
            "type": service["type"],
            "name": service.get("name", ""),
        })
    return entries


# --- tokens ------------------------------------------------------------------------------

def validate_token(world: World, token_id: str | None, style: str = "keystone") -> dict:
    """The auth context of a valid project-scoped token, else ApiError(401)."""
    token = world.tokens.get(token_id or "")
    if token is None or token["revoked"] or token["expires"] <= world.now():
        raise ApiError(401, UNAUTHORIZED if style != "glance" else
                       "This server could not verify that you are authorized to access the document you "
                       "requested. Either you supplied the wrong credentials (e.g., bad password), or your "
                       "browser does not understand how to supply the credentials required.")
    return token


def _role_names(world: World, user_id: str, project_id: str) -> list[dict]:
    """The user's effective roles on a project: direct, through groups, from its domain, and implied."""
    return ka.effective_roles(world, user_id, "project", project_id)


def _domain_ref(world: World, domain_id: str) -> dict:
    return {"id": domain_id, "name": world.domains[domain_id]["name"]}


def token_body(world: World, token: dict, with_catalog: bool = True) -> dict:
    user = world.users[token["user_id"]]
    body = {
        "methods": token["methods"],
        "user": {"domain": _domain_ref(world, user["domain_id"]), "id": user["id"], "name": user["name"],
                 "password_expires_at": None},
        "audit_ids": token["audit_ids"],
        "expires_at": iso_micro_z(token["expires"]),
        "issued_at": iso_micro_z(token["issued"]),
    }
    if token["project_id"]:
        project = world.projects[token["project_id"]]
        body["project"] = {"domain": _domain_ref(world, project["domain_id"]), "id": project["id"],
                           "name": project["name"]}
        body["is_domain"] = False
        body["roles"] = token["roles"]
        if with_catalog:
            body["catalog"] = catalog(world, token["project_id"])
    elif token.get("system") or token.get("domain_id"):
        if token.get("system"):
            body["system"] = {"all": True}
        else:
            body["domain"] = _domain_ref(world, token["domain_id"])
        body["roles"] = token["roles"]
        if with_catalog:
            body["catalog"] = catalog(world)
    if token.get("app_cred_id"):
        cred = world.app_creds[token["app_cred_id"]]
        body["application_credential"] = {"id": cred["id"], "name": cred["name"],
                                          "restricted": not cred["unrestricted"]}
    return body


def _audit_id() -> str:
    return base64.urlsafe_b64encode(secrets.token_bytes(16)).decode().rstrip("=")


def issue_token(world: World, user_id: str, project_id: str | None, methods: list[str],
                app_cred_id: str | None = None, audit_ids: list[str] | None = None,
                expires: dt.datetime | None = None, system: bool = False, domain_id: str | None = None) -> str:
    token_id = "gAAAAA" + secrets.token_urlsafe(96)
    now = world.now()
    lifetime = now + dt.timedelta(seconds=world.knobs.token_lifetime)
    world.tokens[token_id] = {
        "id": token_id,
        "user_id": user_id,
        "project_id": project_id,
        "roles": (_role_names(world, user_id, project_id) if project_id
                  else ka.effective_roles(world, user_id, "system", "all") if system
                  else ka.effective_roles(world, user_id, "domain", domain_id) if domain_id else []),
        "system": system,
        "domain_id": domain_id,
        "methods": methods,
        "app_cred_id": app_cred_id,
        "audit_ids": [_audit_id()] + (audit_ids or []),
        "issued": now,
        "expires": min(lifetime, expires) if expires else lifetime,
        "revoked": False,
    }
    return token_id


def _find_domain(world: World, ref: dict | None) -> str | None:
    if not isinstance(ref, dict):
        return None
    if "id" in ref:
        return ref["id"] if ref["id"] in world.domains else None
    for d in world.domains.values():
        if d["name"] == ref.get("name"):
            return d["id"]
    return None


def _find_user(world: World, ref: dict) -> dict | None:
    if not isinstance(ref, dict):
        return None
    if "id" in ref:
        return world.users.get(ref["id"])
    domain_id = _find_domain(world, ref.get("domain"))
    for user in world.users.values():
        if user["name"] == ref.get("name") and user["domain_id"] == domain_id:
            return user
    return None


def _find_project(world: World, ref: dict) -> dict | None:
    if not isinstance(ref, dict):
        return None
    if "id" in ref:
        return world.projects.get(ref["id"])
    domain_id = _find_domain(world, ref.get("domain"))
    for project in world.projects.values():
        if project["name"] == ref.get("name") and project["domain_id"] == domain_id:
            return project
    return None


def _unauthorized() -> ApiError:
    return ApiError(401, UNAUTHORIZED)


def _schema_error(message: str) -> ApiError:
    return ApiError(400, message)


async def create_token(request: web.Request) -> web.Response:
    world = world_of(request)
    body = await read_json(request, malformed="Expecting to find valid JSON in request body.")
    auth = body.get("auth") if isinstance(body, dict) else None
    if not isinstance(auth, dict):
        raise _schema_error("'auth' is a required property")
    identity = auth.get("identity")
    if not isinstance(identity, dict):
        raise _schema_error("'identity' is a required property")
    methods = identity.get("methods")
    if not isinstance(methods, list) or not methods or not all(isinstance(m, str) for m in methods):
        raise _schema_error("'methods' is a required property")
    scope = auth.get("scope")
    project_id: str | None = None
    system = False
    domain_id: str | None = None
    app_cred_id = None
    audit_ids: list[str] = []
    expires = None
    out_methods = list(methods)

    if "password" in methods:
        password = identity.get("password")
        user_ref = password.get("user") if isinstance(password, dict) else None
        user = _find_user(world, user_ref) if isinstance(user_ref, dict) else None
        if user is None or not user.get("enabled", True) or not secrets.compare_digest(
                str(user_ref.get("password", "")), user["password"]):
            raise _unauthorized()
        user_id = user["id"]
    elif "application_credential" in methods:
        ref = identity.get("application_credential")
        if not isinstance(ref, dict) or not isinstance(ref.get("secret"), str):
            raise _schema_error("'secret' is a required property")
        cred = None
        if "id" in ref:
            cred = world.app_creds.get(ref["id"])
        elif "name" in ref:
            user = _find_user(world, ref.get("user") or {})
            cred = next((c for c in world.app_creds.values()
                         if user and c["user_id"] == user["id"] and c["name"] == ref["name"]), None)
        if cred is None or not secrets.compare_digest(ref["secret"], cred["secret"]):
            raise _unauthorized()
        if cred["expires_at"] and parse_time(cred["expires_at"]) <= world.now():
            raise _unauthorized()
        if scope:
            raise ApiError(401, "Application credentials cannot request a scope.")
        user_id, project_id, app_cred_id = cred["user_id"], cred["project_id"], cred["id"]
        expires = parse_time(cred["expires_at"]) if cred["expires_at"] else None
    elif "token" in methods:
        ref = identity.get("token")
        old = world.tokens.get(ref.get("id", "")) if isinstance(ref, dict) else None
        if old is None or old["revoked"] or old["expires"] <= world.now():
            raise ApiError(404, "Failed to validate token") if old is None else _unauthorized()
        user_id = old["user_id"]
        audit_ids = old["audit_ids"][:1]
        out_methods = ["token"] + [m for m in old["methods"] if m != "token"]
        expires = old["expires"]
        if old["app_cred_id"]:
            raise ApiError(401, "Application credentials cannot request a scope.") if scope else _unauthorized()
        if not scope and old["project_id"]:
            project_id = old["project_id"]
    else:
        raise ApiError(401, "Attempted to authenticate with an unsupported method.")

    if scope is not None and app_cred_id is None:
        if scope == "system" or (isinstance(scope, dict) and "system" in scope):
            if not ka.direct_role_ids(world, user_id, "system", "all"):
                raise ApiError(401, "User does not have access to the system.")
            system, project_id = True, None
            scope = None
        elif isinstance(scope, dict) and "domain" in scope:
            domain_id = _find_domain(world, scope["domain"])
            if domain_id is None:
                raise ApiError(401, "Could not find domain.")
            if not ka.direct_role_ids(world, user_id, "domain", domain_id):
                raise ApiError(401, f"User {user_id} has no access to domain {domain_id}.")
            project_id = None
            scope = None
    if scope is not None and app_cred_id is None:
        project = _find_project(world, scope.get("project")) if isinstance(scope, dict) else None
        if project is None:
            raise ApiError(401, "Could not find project." if isinstance(scope, dict) and "project" in scope
                           else UNAUTHORIZED)
        if not _role_names(world, user_id, project["id"]):
            raise ApiError(401, f"User {user_id} has no access to project {project['id']}.")
        project_id = project["id"]

    if "token" in methods and not auth.get("scope"):
        old = world.tokens[identity["token"]["id"]]
        system, domain_id = bool(old.get("system")), old.get("domain_id")
    token_id = issue_token(world, user_id, project_id, out_methods, app_cred_id, audit_ids, expires,
                           system=system, domain_id=domain_id)
    nocatalog = "nocatalog" in request.query
    return json_response({"token": token_body(world, world.tokens[token_id], not nocatalog)}, 201,
                         headers={"X-Subject-Token": token_id, "Vary": "X-Auth-Token"})


def _subject(request: web.Request) -> dict:
    world = world_of(request)
    token = world.tokens.get(request.headers.get("X-Subject-Token", ""))
    if token is None or token["revoked"] or token["expires"] <= world.now():
        raise ApiError(404, "Failed to validate token")
    return token


async def check_token(request: web.Request) -> web.Response:
    token = _subject(request)
    nocatalog = "nocatalog" in request.query
    if request.method == "HEAD":
        return web.Response(status=200, headers={"X-Subject-Token": token["id"]})
    return json_response({"token": token_body(world_of(request), token, not nocatalog)},
                         headers={"X-Subject-Token": token["id"]})


async def revoke_token(request: web.Request) -> web.Response:
    _subject(request)["revoked"] = True
    return no_content()


# --- projects, users, catalog ------------------------------------------------------------

def project_body(world: World, project: dict) -> dict:
    return ka.body_of(world, ka.KINDS["projects"], project)


def user_projects(world: World, user_id: str) -> list[dict]:
    """The projects the user holds a role on (directly, through a group or from the project's domain)."""
    ids = sorted({p for (u, p, _r) in world.assignments if u == user_id} | {
        p for p in world.projects if ka.direct_role_ids(world, user_id, "project", p)})
    return [world.projects[p] for p in ids if p in world.projects]


def _list_links(request: web.Request) -> dict:
    return {"next": None, "self": str(request.url), "previous": None}


async def auth_projects(request: web.Request) -> web.Response:
    world = world_of(request)
    ctx = ctx_of(request)
    projects = [project_body(world, p) for p in user_projects(world, ctx["user_id"])]
    if ctx.get("app_cred_id"):
        projects = [p for p in projects if p["id"] == ctx["project_id"]]
    return json_response({"projects": projects, "links": _list_links(request)})


async def auth_domains(request: web.Request) -> web.Response:
    world, ctx = world_of(request), ctx_of(request)
    domains = [ka.body_of(world, ka.KINDS["domains"], d) for d in world.domains.values()
               if ka.direct_role_ids(world, ctx["user_id"], "domain", d["id"])]
    return json_response({"domains": domains, "links": _list_links(request)})


async def auth_system(request: web.Request) -> web.Response:
    world, ctx = world_of(request), ctx_of(request)
    system = [{"all": True}] if ka.direct_role_ids(world, ctx["user_id"], "system", "all") else []
    return json_response({"system": system, "links": {"self": str(request.url)}})


async def auth_catalog(request: web.Request) -> web.Response:
    project_id = ctx_of(request).get("project_id") or ""
    return json_response({"catalog": catalog(world_of(request), project_id), "links": {"self": str(request.url)}})


def _self_only(request: web.Request, action: str, readers: bool = True) -> str:
    """The user in the path, if the policy lets this token act for it: the user itself, or an admin (or a
    system reader, for reads)."""
    user_id = request.match_info["user_id"]
    ctx = ctx_of(request)
    ka.enforce(ctx, action, "reader" if readers else "admin", owner=user_id == ctx["user_id"])
    if user_id not in world_of(request).users:
        raise ApiError(404, f"Could not find user: {user_id}.")
    return user_id


# --- application credentials ---------------------------------------------------------------

def app_cred_body(world: World, cred: dict) -> dict:
    return {
        "id": cred["id"], "name": cred["name"], "description": cred.get("description"),
        "user_id": cred["user_id"], "project_id": cred["project_id"], "system": None,
        "expires_at": cred["expires_at"], "unrestricted": cred["unrestricted"] or None,
        "roles": [{"id": r["id"], "name": r["name"], "domain_id": None, "description": None,
                   "options": {"immutable": True}} for r in cred["roles"]],
        "links": {"self": f"{auth_url(world)}/application_credentials/{cred['id']}"},
    } | ({"access_rules": [{k: r[k] for k in ("id", "service", "path", "method")}
                           for r in ka.tables(world)["access_rules"].values() if r["id"] in cred["access_rule_ids"]]}
         if cred.get("access_rule_ids") else {})


def create_app_cred(world: World, user_id: str, project_id: str, name: str, *, secret: str | None = None,
                    expires_at: str | None = None, description: str | None = None,
                    unrestricted: bool = False, cred_id: str | None = None, roles: list | None = None,
                    access_rules: list | None = None) -> dict:
    if any(c["user_id"] == user_id and c["name"] == name for c in world.app_creds.values()):
        raise ApiError(409, "Conflict occurred attempting to store application_credential - "
                            f"Duplicate entry found with name {name}.")
    cred = {
        "id": cred_id or new_hex_id(world), "name": name, "description": description, "user_id": user_id,
        "project_id": project_id, "expires_at": expires_at, "unrestricted": unrestricted,
        "roles": _chosen_roles(_role_names(world, user_id, project_id), roles),
        "secret": secret or secrets.token_urlsafe(64),
        "access_rule_ids": [r["id"] for r in ka.store_access_rules(world, user_id, access_rules)],
    }
    world.app_creds[cred["id"]] = cred
    return cred


def _chosen_roles(held: list[dict], asked: list | None) -> list[dict]:
    """The roles asked for (by id or name), which must be among those the user holds on the project."""
    if not asked:
        return held
    chosen = []
    for ref in asked:
        match = next((r for r in held if isinstance(ref, dict) and (r["id"] == ref.get("id")
                                                                   or r["name"] == ref.get("name"))), None)
        if match is None:
            raise ApiError(400, "Application credential could not be created: a role requested is not held "
                                "by the user on the project.")
        chosen.append(match)
    return chosen


async def post_app_cred(request: web.Request) -> web.Response:
    world = world_of(request)
    ctx = ctx_of(request)
    user_id = request.match_info["user_id"]
    if user_id != ctx["user_id"]:  # Keystone's rule is the owner's alone: admins may not make one for another
        raise ka.forbidden("create_application_credential")
    if ctx.get("app_cred_id"):
        cred = world.app_creds[ctx["app_cred_id"]]
        if not cred["unrestricted"]:
            raise ApiError(403, "You are not authorized to perform the requested action: "
                                "identity:create_application_credential.")
    body = await read_json(request, malformed="Expecting to find valid JSON in request body.")
    spec = body.get("application_credential") if isinstance(body, dict) else None
    if not isinstance(spec, dict) or not isinstance(spec.get("name"), str) or not spec["name"]:
        raise ApiError(400, "'name' is a required property")
    expires_at = spec.get("expires_at")
    if expires_at is not None:
        try:
            when = parse_time(str(expires_at))
        except ValueError:
            raise ApiError(400, f"Invalid input for field 'expires_at': {expires_at!r}") from None
        if when <= world.now():
            raise ApiError(400, "The 'expires_at' must not be before now.")
        expires_at = when.strftime("%Y-%m-%dT%H:%M:%S.%f")
    cred = create_app_cred(world, user_id, ctx["project_id"], spec["name"], secret=spec.get("secret"),
                           expires_at=expires_at, description=spec.get("description"),
                           unrestricted=bool(spec.get("unrestricted")), roles=spec.get("roles"),
                           access_rules=spec.get("access_rules"))
    out = app_cred_body(world, cred)
    out["secret"] = cred["secret"]
    return json_response({"application_credential": out}, 201)


async def list_app_creds(request: web.Request) -> web.Response:
    world = world_of(request)
    user_id = _self_only(request, "list_application_credentials")
    name = request.query.get("name")
    creds = [app_cred_body(world, c) for c in world.app_creds.values()
             if c["user_id"] == user_id and (name is None or c["name"] == name)]
    return json_response({"application_credentials": creds, "links": _list_links(request)})


def _own_cred(request: web.Request, action: str) -> dict:
    world = world_of(request)
    user_id = _self_only(request, action, readers=action.startswith("get"))
    cred = world.app_creds.get(request.match_info["cred_id"])
    if cred is None or cred["user_id"] != user_id:
        raise ApiError(404, f"Could not find application credential: {request.match_info['cred_id']}.")
    return cred


async def show_app_cred(request: web.Request) -> web.Response:
    cred = _own_cred(request, "get_application_credential")
    return json_response({"application_credential": app_cred_body(world_of(request), cred)})


async def delete_app_cred(request: web.Request) -> web.Response:
    cred = _own_cred(request, "delete_application_credential")
    world = world_of(request)
    del world.app_creds[cred["id"]]
    for token in world.tokens.values():
        if token["app_cred_id"] == cred["id"]:
            token["revoked"] = True
    return no_content()


# --- version documents ----------------------------------------------------------------------

async def versions(request: web.Request) -> web.Response:
    world = world_of(request)
    doc = dict(IDENTITY_VERSION, links=[{"rel": "self", "href": auth_url(world) + "/"}])
    return json_response({"versions": {"values": [doc]}}, 300,
                         headers={"Location": auth_url(world) + "/", "Vary": "X-Auth-Token"})


async def version(request: web.Request) -> web.Response:
    world = world_of(request)
    doc = dict(IDENTITY_VERSION, links=[{"rel": "self", "href": auth_url(world) + "/"}])
    return json_response({"version": doc}, headers={"Vary": "X-Auth-Token"})


def make_app(world: World) -> web.Application:
    app = service_app(world, "keystone", public={"/", "/v3", "/v3/", "/v3/auth/tokens"})
    r = app.router
    r.add_get("/", versions)
    r.add_get("/v3", version)
    r.add_get("/v3/", version)
    r.add_post("/v3/auth/tokens", create_token)
    r.add_get("/v3/auth/tokens", check_token, allow_head=False)
    r.add_route("HEAD", "/v3/auth/tokens", check_token)
    r.add_delete("/v3/auth/tokens", revoke_token)
    r.add_get("/v3/auth/projects", auth_projects)
    r.add_get("/v3/auth/domains", auth_domains)
    r.add_get("/v3/auth/system", auth_system)
    r.add_get("/v3/auth/catalog", auth_catalog)
    from . import keystone_creds  # EC2 credentials; the roles an application credential may hold

    keystone_creds.add_routes(r)
    r.add_get("/v3/users/{user_id}/application_credentials", list_app_creds)
    r.add_get("/v3/users/{user_id}/application_credentials/{cred_id}", show_app_cred)
    r.add_delete("/v3/users/{user_id}/application_credentials/{cred_id}", delete_app_cred)
    ka.add_routes(r)
    return app

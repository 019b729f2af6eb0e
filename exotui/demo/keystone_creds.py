"""Keystone's credentials for other tools: EC2 (S3) access/secret pairs and application credentials with
roles and access rules, as keystone/api/users.py answers them. Kept apart from keystone.py, which holds
tokens, the catalog and projects."""

from __future__ import annotations

import hashlib
import json
import uuid
from typing import Any

from aiohttp import web

from .common import ApiError, json_response, no_content, read_json
from .keystone import app_cred_body, auth_url
from .service import ctx_of, world_of
from .world import World

ACCESS_RULE_METHODS = ("DELETE", "GET", "HEAD", "PATCH", "POST", "PUT")


def _forbidden(action: str) -> ApiError:
    return ApiError(403, f"You are not authorized to perform the requested action: {action}.")


def _self(request: web.Request, action: str) -> str:
    user_id = request.match_info["user_id"]
    if user_id != ctx_of(request)["user_id"]:
        raise _forbidden(f"identity:{action}")
    return user_id


def _restricted_app_cred(request: web.Request) -> None:
    """A token from a restricted application credential may not mint more credentials (Keystone's
    _check_unrestricted_application_credential)."""
    ctx = ctx_of(request)
    cred = world_of(request).app_creds.get(ctx.get("app_cred_id") or "")
    if cred is not None and not cred["unrestricted"]:
        raise _forbidden("Using method 'application_credential' is not allowed for managing additional "
                         "application credentials.")


# --- EC2 ------------------------------------------------------------------------------------------

def _ec2_body(world: World, cred: dict) -> dict:
    return {"user_id": cred["user_id"], "tenant_id": cred["project_id"], "access": cred["access"],
            "secret": cred["secret"], "trust_id": None,
            "links": {"self": f"{auth_url(world)}/users/{cred['user_id']}/credentials/OS-EC2/{cred['access']}"}}


def _visible_to(request: web.Request, cred: dict) -> bool:
    """A delegated token (an application credential's) sees only its own project's pairs."""
    ctx = ctx_of(request)
    return not ctx.get("app_cred_id") or cred["project_id"] == ctx.get("project_id")


async def list_ec2(request: web.Request) -> web.Response:
    world = world_of(request)
    user_id = _self(request, "ec2_list_credentials")
    creds = [_ec2_body(world, c) for c in world.ec2_creds.values()
             if c["user_id"] == user_id and _visible_to(request, c)]
    return json_response({"credentials": creds,
                          "links": {"next": None, "self": str(request.url), "previous": None}})


async def create_ec2(request: web.Request) -> web.Response:
    world = world_of(request)
    user_id = _self(request, "ec2_create_credential")
    _restricted_app_cred(request)
    body = await read_json(request, malformed="Expecting to find valid JSON in request body.")
    project_id = body.get("tenant_id") if isinstance(body, dict) else None
    if not isinstance(project_id, str) or project_id not in world.projects:
        raise ApiError(404, f"Could not find project: {project_id}.")
    if ctx_of(request).get("app_cred_id") and project_id != ctx_of(request).get("project_id"):
        raise _forbidden("EC2 credential project does not match the project scope of the delegated token")
    if not any(u == user_id and p == project_id for (u, p, _r) in world.assignments):
        raise _forbidden("identity:ec2_create_credential")
    cred = {"user_id": user_id, "project_id": project_id, "access": uuid.uuid4().hex, "secret": uuid.uuid4().hex}
    world.ec2_creds[hashlib.sha256(cred["access"].encode()).hexdigest()] = cred
    return json_response({"credential": _ec2_body(world, cred)}, 201)


def _own_ec2(request: web.Request, action: str) -> tuple[str, dict]:
    world = world_of(request)
    _self(request, action)
    key = hashlib.sha256(request.match_info["access"].encode()).hexdigest()
    cred = world.ec2_creds.get(key)
    if cred is None:
        raise ApiError(404, f"Could not find credential: {key}.")
    if cred["user_id"] != ctx_of(request)["user_id"] or not _visible_to(request, cred):
        raise _forbidden(f"identity:{action}")
    return key, cred


async def show_ec2(request: web.Request) -> web.Response:
    _key, cred = _own_ec2(request, "ec2_get_credential")
    return json_response({"credential": _ec2_body(world_of(request), cred)})


async def delete_ec2(request: web.Request) -> web.Response:
    key, _cred = _own_ec2(request, "ec2_delete_credential")
    del world_of(request).ec2_creds[key]
    return no_content()


# --- application credentials with roles and access rules --------------------------------------------

def _invalid(detail: str) -> ApiError:
    return ApiError(400, f"Invalid application credential: {detail}")


def _roles(world: World, ctx: dict, asked: Any) -> list[dict] | None:
    """The roles asked for, each one the token holds (by id or name); None: all of the token's."""
    if not asked:
        return None
    if not isinstance(asked, list):
        raise ApiError(400, f"Invalid input for field 'roles': {asked!r} is not of type 'array'")
    held = {r["id"]: r for r in ctx["roles"]}
    out = []
    for ref in asked:
        role = None
        if isinstance(ref, dict) and ref.get("id"):
            role = held.get(ref["id"])
            if role is None and ref["id"] not in world.roles:
                raise ApiError(404, f"Could not find role: {ref['id']}.")
        elif isinstance(ref, dict) and ref.get("name"):
            known = [r for r in world.roles.values() if r["name"] == ref["name"]]
            if not known:
                raise ApiError(404, f"Could not find role: {ref['name']}.")
            role = held.get(known[0]["id"])
        else:
            raise ApiError(400, f"Invalid input for field 'roles': {ref!r}")
        if role is None:
            raise _invalid("Cannot create an application credential with unassigned role")
        if role not in out:
            out.append(role)
    return out


def _access_rules(asked: Any) -> list[dict]:
    if not asked:
        return []
    if not isinstance(asked, list):
        raise ApiError(400, f"Invalid input for field 'access_rules': {asked!r} is not of type 'array'")
    out = []
    for rule in asked:
        if not isinstance(rule, dict) or set(rule) - {"id", "path", "method", "service"}:
            raise ApiError(400, f"Invalid input for field 'access_rules': {rule!r}")
        path, method, service = rule.get("path"), rule.get("method"), rule.get("service")
        if not isinstance(path, str) or not path.startswith("/") or len(path) > 225:
            raise ApiError(400, f"Invalid input for field 'path': {path!r} does not match '^/.*'")
        if method not in ACCESS_RULE_METHODS:
            raise ApiError(400, f"Invalid input for field 'method': {method!r} is not one of "
                                f"{list(ACCESS_RULE_METHODS)!r}")
        if not isinstance(service, str) or not service:
            raise ApiError(400, "Invalid input for field 'service': 'service' is a required property")
        out.append({"id": rule.get("id") or uuid.uuid4().hex, "path": path, "method": method, "service": service})
    return out


async def post_app_cred(request: web.Request) -> web.Response:
    """keystone.post_app_cred, with the roles and access rules it leaves out checked first and kept after."""
    from . import keystone

    world = world_of(request)
    body = await read_json(request, malformed="Expecting to find valid JSON in request body.")
    spec = body.get("application_credential") if isinstance(body, dict) else None
    roles = rules = None
    if isinstance(spec, dict):
        _restricted_app_cred(request)
        roles = _roles(world, ctx_of(request), spec.get("roles"))
        rules = _access_rules(spec.get("access_rules"))
    response = await keystone.post_app_cred(request)  # aiohttp keeps the body: it reads it again
    if response.status != 201 or not (roles or rules):
        return response
    made = json.loads(response.text or "{}")["application_credential"]
    cred = world.app_creds[made["id"]]
    if roles:
        cred["roles"] = roles  # the access rules are keystone.create_app_cred's (keystone_admin's table)
    out = app_cred_body(world, cred)
    out["secret"] = cred["secret"]
    return json_response({"application_credential": out}, 201)


def add_routes(r: web.UrlDispatcher) -> None:
    """Keystone's make_app calls this in place of its own application-credential POST."""
    r.add_post("/v3/users/{user_id}/application_credentials", post_app_cred)
    r.add_get("/v3/users/{user_id}/credentials/OS-EC2", list_ec2)
    r.add_post("/v3/users/{user_id}/credentials/OS-EC2", create_ec2)
    r.add_get("/v3/users/{user_id}/credentials/OS-EC2/{access}", show_ec2)
    r.add_delete("/v3/users/{user_id}/credentials/OS-EC2/{access}", delete_ec2)

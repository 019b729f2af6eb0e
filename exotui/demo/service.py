"""What every demo service shares: one middleware for knobs, auth, and errors in the service's style."""

from __future__ import annotations

import asyncio
import logging
from typing import Awaitable, Callable, Iterable

from aiohttp import web

from .common import FALSE_WORDS, TRUE_WORDS, ApiError, error_body, json_response, new_hex_id
from .world import World

log = logging.getLogger("exotui.demo")

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

WORLD = web.AppKey("world", World)

UNAUTHORIZED = "The request you have made requires authentication."


def service_app(world: World, style: str, *, public: Iterable[str] = (), auth: bool = True,
                not_found: str = "The resource could not be found.") -> web.Application:
    """An aiohttp sub-application for one OpenStack service.

    `style` picks the error body shape (nova, neutron, cinder, glance, keystone); paths in
    `public` (relative to the service root, e.g. "/" or "/v2.1") answer without a token.
    The request's auth context lands in `request["ctx"]` (see keystone.validate_token).
    """
    public_paths = set(public)

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        request_id = "req-" + _uuid()
        request["request_id"] = request_id
        world.asked.append((request.method, request.path_qs))  # what clients asked, for tests that count
        headers = {"x-openstack-request-id": request_id}
        try:
            knobs = world.knobs
            if knobs.latency_ms:
                await asyncio.sleep(knobs.latency_ms / 1000.0)
            rel = _relative_path(request)
            is_public = rel in public_paths or rel.rstrip("/") in public_paths
            if auth and not is_public:
                from .keystone import validate_token  # keystone imports this module

                request["ctx"] = validate_token(world, request.headers.get("X-Auth-Token"), style)
            if knobs.error_rate and not is_public and world.rng.random() < knobs.error_rate:
                raise ApiError(503, "The server is currently unavailable. Please try again at a later time.")
            response = await handler(request)
        except ApiError as err:
            # tokens are checked by keystonemiddleware in front of Nova/Neutron/Cinder: its body style
            body_style = "keystone" if err.status == 401 and style != "glance" else style
            response = json_response(error_body(body_style, err.status, err.message, err.kind), err.status,
                                     headers=err.headers)
        except web.HTTPNotFound:
            response = json_response(error_body(style, 404, not_found), 404)
        except web.HTTPMethodNotAllowed:
            response = json_response(error_body(style, 405, "The method is not allowed for the requested URL."), 405)
        except web.HTTPException:
            raise
        except asyncio.CancelledError:
            raise
        except Exception:  # the server stays up whatever a request does
            log.exception("demo cloud: unhandled error in %s %s", request.method, request.path)
            response = json_response(
                error_body(style, 500, "An unknown exception occurred."), 500)
        world.handled.append((request.method, request.path_qs))  # done: only its answer may still be on the way
        if world.knobs.answer_latency_ms:  # done (or refused) already: a client that gives up loses the answer only
            await asyncio.sleep(world.knobs.answer_latency_ms / 1000.0)
        world.answered.append((request.method, request.path_qs))
        for key, value in headers.items():
            response.headers.setdefault(key, value)
        return response

    app = web.Application(middlewares=[middleware])
    app[WORLD] = world
    return app


def _relative_path(request: web.Request) -> str:
    """The request path below the service's mount point ("/compute/v2.1/x" -> "/v2.1/x")."""
    prefix = request.match_info.apps[-1].get(_PREFIX_KEY, "") if request.match_info.apps else ""
    path = request.path
    return path[len(prefix):] or "/" if prefix and path.startswith(prefix) else path


_PREFIX_KEY = web.AppKey("prefix", str)


def mount(root: web.Application, prefix: str, app: web.Application) -> None:
    """Serve `app` below `prefix`; the bare prefix ("/image", as catalogs list it) answers like "/"."""
    app[_PREFIX_KEY] = prefix
    for route in list(app.router.routes()):
        if route.resource is not None and route.resource.canonical == "/" and route.method != "HEAD":
            app.router.add_route(route.method, "", route.handler)
    root.add_subapp(prefix, app)


def _uuid() -> str:
    h = new_hex_id()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def world_of(request: web.Request) -> World:
    return request.app[WORLD]


def ctx_of(request: web.Request) -> dict:
    return request["ctx"]


def is_admin(request: web.Request) -> bool:
    """Every service's default `context_is_admin` (`role:admin`): the admin role, project- or system-scoped."""
    return any(r.get("name") == "admin" for r in ctx_of(request).get("roles", ()))


def is_public_filter(request: web.Request) -> bool | None:
    """The is_public filter of Nova's flavor and Cinder's volume type lists (each project's `_parse_is_public`):
    True for a member whatever it asks; an admin's absent means True, `none` all, else a strict boolean."""
    if not is_admin(request):
        return True
    raw = request.query.get("is_public")
    if raw is None:
        return True
    if raw.lower() == "none":
        return None
    if raw.lower() in TRUE_WORDS | FALSE_WORDS:
        return raw.lower() in TRUE_WORDS
    raise ApiError(400, f"Invalid is_public filter [{raw}]")

"""Nova's remote consoles in the demo cloud: `POST /servers/{id}/remote-consoles` (2.6+) and the os-getVNCConsole
action before it answer a noVNC URL with a one-time token, and the demo serves that URL on loopback (`/novnc`, in
place of nova-novncproxy on 6080): a page with the instance's console while the token lives.

As Nova 34 does it (nova/api/openstack/compute/remote_consoles.py and its schema, compute/api.py,
compute/manager.py, objects/console_auth_token.py) with VNC enabled as on Jetstream2 and SPICE, serial and MKS
consoles not: an instance without a host (shelved offloaded, never scheduled) is "not ready" (409); a type its
protocol does not serve is invalid, a protocol not enabled is unavailable (400). Tokens live 600 s
(`[consoleauth] token_ttl`).
"""

from __future__ import annotations

import html
import uuid
from urllib.parse import parse_qs, urlencode

from aiohttp import web

from .common import ApiError, json_response, read_json
from .nova_api import _mv, _server
from .service import service_app, world_of
from .world import World

TOKEN_TTL = 600.0
PROTOCOLS = ["vnc", "spice", "serial", "rdp"]  # create_v26; mks from 2.8
TYPES = ["novnc", "xvpvnc", "spice-html5", "serial", "rdp-html5"]  # webmks from 2.8, spice-direct from 2.99
NOVNC_PAGE = "/novnc/vnc_auto.html"  # below the demo's root, as nova.conf's [vnc] novncproxy_base_url names it


def _invalid(path: str, value, message: str) -> ApiError:
    """Nova's schema error: the failing property's name, its value as %s prints it, jsonschema's message."""
    return ApiError(400, f"Invalid input for field/attribute {path}. Value: {value}. {message}")


def _unexpected(extra: list[str]) -> str:
    return (f"Additional properties are not allowed ({', '.join(repr(k) for k in extra)} "
            f"{'was' if len(extra) == 1 else 'were'} unexpected)")


def _check_body(body, mv: tuple[int, int]) -> tuple[str, str]:
    """The body checked against Nova's schema for the microversion, the first error jsonschema meets (its keywords
    in the schema's order: type, properties, required, additionalProperties) in Nova's words."""
    protocols, types = list(PROTOCOLS), list(TYPES)
    if mv >= (2, 8):
        protocols.append("mks")
        types.append("webmks")
    if mv >= (2, 99):
        types.append("spice-direct")
    if not isinstance(body, dict):
        raise ApiError(400, f"{body!r} is not of type 'object'")
    console = body.get("remote_console", {})
    if "remote_console" in body:
        if not isinstance(console, dict):
            raise _invalid("remote_console", console, f"{console!r} is not of type 'object'")
        for key, allowed in (("protocol", protocols), ("type", types)):
            if key in console and console[key] not in allowed:
                raise _invalid(key, console[key], f"{console[key]!r} is not one of {allowed}")
        for key in ("protocol", "type"):
            if key not in console:
                raise _invalid("remote_console", console, f"{key!r} is a required property")
        extra = [k for k in console if k not in ("protocol", "type")]
        if extra:
            raise _invalid("remote_console", console, _unexpected(extra))
    if "remote_console" not in body:
        raise ApiError(400, "'remote_console' is a required property")
    extra = [k for k in body if k != "remote_console"]
    if extra:
        raise ApiError(400, _unexpected(extra))
    return str(console["protocol"]), str(console["type"])


def console_url(world: World, server: dict, protocol: str, console_type: str) -> str:
    """compute API then manager: the instance must have a host; only noVNC is enabled."""
    if not server["_host"]:
        raise ApiError(409, f"Instance {server['id']} is not ready")
    if protocol != "vnc":
        raise ApiError(400, f"Unavailable console type {console_type}.")
    if console_type != "novnc":
        raise ApiError(400, f"Invalid console type {console_type}")
    token = str(uuid.uuid4())
    tokens = world.console_tokens
    now = world.now().timestamp()
    for old in [t for t, grant in tokens.items() if grant["expires"] <= now]:
        del tokens[old]
    tokens[token] = {"server_id": server["id"], "expires": now + TOKEN_TTL}
    # ConsoleAuthToken.access_url for novnc: the token inside the `path` query parameter
    return f"{world.base_url}{NOVNC_PAGE}?{urlencode({'path': f'?token={token}'})}"


async def create_remote_console(request: web.Request) -> web.Response:
    mv = _mv(request)
    if mv < (2, 6):
        raise web.HTTPNotFound()
    server = _server(request)
    protocol, console_type = _check_body(await read_json(request), mv)
    if protocol == "rdp":
        raise ApiError(400, "Unavailable console type rdp.")
    url = console_url(world_of(request), server, protocol, console_type)
    return json_response({"remote_console": {"protocol": protocol, "type": console_type, "url": url}})


async def get_vnc_console(world, server, args, mv, ctx, request):
    """The os-getVNCConsole action (2.1 to 2.5): {"console": {"type", "url"}}."""
    if mv >= (2, 6):
        raise ApiError(404, "The resource could not be found.")
    console_type = args.get("type") if isinstance(args, dict) else None
    if console_type not in ("novnc", "xvpvnc"):
        raise _invalid("type", console_type, f"{console_type!r} is not one of ['novnc', 'xvpvnc']")
    return json_response({"console": {"type": console_type, "url": console_url(world, server, "vnc", console_type)}})


ACTIONS = {"os-getVNCConsole": get_vnc_console}


def add_routes(r: web.UrlDispatcher, v: str) -> None:
    r.add_post(f"{v}/servers/{{server_id}}/remote-consoles", create_remote_console)


async def novnc_page(request: web.Request) -> web.Response:
    """What the console URL answers: the instance's console while its token lives; an unknown or expired token
    is refused in the words of Nova's InvalidToken (in Nova's error body, as every error of the demo is JSON)."""
    from . import console

    world = world_of(request)
    token = parse_qs(request.query.get("path", "").lstrip("?")).get("token", [""])[0]
    grant = world.console_tokens.get(token)
    server = world.servers.get(grant["server_id"]) if grant else None
    if grant is None or grant["expires"] <= world.now().timestamp() or server is None or server["_deleted"]:
        raise ApiError(404, "The token '***' is invalid or has expired")
    log = html.escape(console.console_output(world, server, 50))
    page = (f"<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>{html.escape(server['name'])} - noVNC"
            f"</title></head>\n<body><pre id=\"console\">{log}</pre></body></html>\n")
    return web.Response(text=page, content_type="text/html")


def make_proxy_app(world: World) -> web.Application:
    """The console proxy: no token of Keystone's, only the console's own."""
    app = service_app(world, "nova", auth=False)
    app.router.add_get("/vnc_auto.html", novnc_page)
    return app

"""Shared helpers of the demo cloud's services: JSON answers, error bodies, ids, times, microversions."""

from __future__ import annotations

import datetime as _dt
import json
import uuid
from typing import Any

from aiohttp import web

JSON = "application/json"


class ApiError(Exception):
    """An error answer. Each service renders it in its own body style (see `error_body`)."""

    def __init__(self, status: int, message: str, kind: str | None = None, headers: dict | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.kind = kind  # Neutron's "type" (NetworkNotFound), Nova's key override, ...
        self.headers = headers or {}


# Nova and Cinder name the error by its HTTP status.
_NOVA_KEYS = {
    400: "badRequest",
    401: "unauthorized",
    403: "forbidden",
    404: "itemNotFound",
    405: "HTTPMethodNotAllowed",
    406: "computeFault",
    409: "conflictingRequest",
    413: "overLimit",
    500: "computeFault",
    503: "serviceUnavailable",
}
_TITLES = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    406: "Not Acceptable",
    409: "Conflict",
    413: "Request Entity Too Large",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
}
_NEUTRON_TYPES = {
    400: "HTTPBadRequest",
    403: "HTTPForbidden",
    404: "HTTPNotFound",
    405: "HTTPMethodNotAllowed",
    409: "HTTPConflict",
    500: "HTTPInternalServerError",
    503: "HTTPServiceUnavailable",
}


_HEAT_EXPLANATIONS = {
    400: "The server could not comply with the request since it is either malformed or otherwise incorrect.",
    403: "Access was denied to this resource.", 404: "The resource could not be found.",
    409: "There was a conflict when trying to complete your request.",
}


def error_body(style: str, status: int, message: str, kind: str | None = None) -> dict:
    """The body a real service sends for an error, in that service's style."""
    if style in ("nova", "cinder"):
        return {kind or _NOVA_KEYS.get(status, "computeFault"): {"code": status, "message": message}}
    if style == "neutron":
        return {"NeutronError": {"type": kind or _NEUTRON_TYPES.get(status, "HTTPError"), "message": message,
                                 "detail": ""}}
    if style == "glance":
        return {
            "message": f"{message}<br /><br />\n\n\n",
            "code": f"{status} {_TITLES.get(status, 'Error')}",
            "title": _TITLES.get(status, "Error"),
        }
    if style == "heat":  # heat/common/wsgi.py + heat/api/middleware/fault.py
        return {"explanation": _HEAT_EXPLANATIONS.get(status, ""), "code": status,
                "error": {"message": message, "traceback": None, "type": kind or _TITLES.get(status, "Error")},
                "title": _TITLES.get(status, "Error")}
    if style == "magnum":  # magnum/api/middleware/parsable_error.py: the faultstring, its first sentence the title
        code = kind or ("client" if status < 500 else "server")
        return {"errors": [{"request_id": "", "code": code, "status": status, "title": message.split(".", 1)[0],
                            "detail": message, "links": []}]}
    # keystone and keystonemiddleware
    return {"error": {"code": status, "message": message, "title": _TITLES.get(status, "Error")}}


def json_response(body: Any, status: int = 200, headers: dict | None = None) -> web.Response:
    return web.Response(
        body=json.dumps(body, separators=(",", ":")).encode(),
        status=status,
        content_type=JSON,
        headers=headers,
    )


def raw_json_response(payload: bytes, status: int = 200, headers: dict | None = None) -> web.Response:
    return web.Response(body=payload, status=status, content_type=JSON, headers=headers)


def no_content(status: int = 204, headers: dict | None = None) -> web.Response:
    return web.Response(status=status, headers=headers)


async def read_json(request: web.Request, *, malformed: str = "Malformed request body") -> Any:
    """The request's JSON body, or ApiError(400) naming the problem the way the service does."""
    raw = await request.read()
    try:
        return json.loads(raw.decode("utf-8")) if raw else None
    except (UnicodeDecodeError, ValueError):
        raise ApiError(400, malformed) from None


# oslo_utils.strutils' boolean words (bool_from_string, strict)
TRUE_WORDS = frozenset({"1", "t", "true", "on", "y", "yes"})
FALSE_WORDS = frozenset({"0", "f", "false", "off", "n", "no"})


def schema_error(field: str, value: Any, reason: str) -> ApiError:
    """The 400 line of Nova's and Cinder's JSON-schema validators (api/validation/validators.py): the value
    printed with %s."""
    return ApiError(400, f"Invalid input for field/attribute {field}. Value: {value}. {reason}")


def policy_refused(rule: str) -> ApiError:
    """Nova's and Cinder's 403 for a policy rule the caller does not pass."""
    return ApiError(403, f"Policy doesn't allow {rule} to be performed.")


def require_dict(value: Any, key: str, message: str | None = None) -> dict:
    """`value[key]` if value is a dict holding a dict there, else ApiError(400)."""
    if not isinstance(value, dict) or not isinstance(value.get(key), dict):
        raise ApiError(400, message or f"Invalid input for field/attribute {key}. Value: {value!r}. "
                       f"'{key}' is a required property")
    return value[key]


def new_id(world=None) -> str:
    """A random UUID, as a real cloud makes them: a restarted demo cloud holds new instances, and the host
    keys pinned for the old ones do not meet them. With its clock frozen (screenshots), a world draws them
    from its own seeded stream instead, so the same seed gives the same IDs."""
    if world is None or not world.knobs.frozen_at:
        return str(uuid.uuid4())
    return str(uuid.UUID(int=world.ids.getrandbits(128), version=4))


def new_hex_id(world=None) -> str:
    return new_id(world).replace("-", "")


def utcnow() -> _dt.datetime:
    return _dt.datetime.now(_dt.timezone.utc)


def iso_z(t: _dt.datetime) -> str:
    """2026-11-21T23:20:14Z (Nova, Neutron)."""
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def iso_micro(t: _dt.datetime) -> str:
    """2026-11-21T23:20:14.000000 (Nova's launched_at, Cinder's created_at)."""
    return t.strftime("%Y-%m-%dT%H:%M:%S.%f")


def iso_micro_z(t: _dt.datetime) -> str:
    """2026-11-22T23:20:07.000000Z (Keystone token times)."""
    return t.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_time(text: str) -> _dt.datetime:
    """Parse an ISO 8601 time as the APIs accept it (Z, offset, or naive meaning UTC)."""
    s = text.strip().replace(" ", "T")
    if s.endswith("Z"):
        s = s[:-1] + "+00:00"
    t = _dt.datetime.fromisoformat(s)
    if t.tzinfo is None:
        t = t.replace(tzinfo=_dt.timezone.utc)
    return t


def parse_version(text: str) -> tuple[int, int]:
    major, minor = text.strip().split(".")
    return int(major), int(minor)


def negotiate_microversion(
    request: web.Request, service: str, legacy_header: str | None, minimum: str, maximum: str
) -> tuple[int, int]:
    """The microversion a request asks for, as Nova and Cinder negotiate it.

    Reads `OpenStack-API-Version: <service> X.Y` (and the legacy header), accepts `latest`,
    answers 400 for a malformed one and 406 for one out of range.
    """
    asked = None
    header = request.headers.get("OpenStack-API-Version")
    if header:
        for part in header.split(","):
            words = part.strip().split()
            if len(words) == 2 and words[0].lower() == service:
                asked = words[1]
    if asked is None and legacy_header:
        asked = request.headers.get(legacy_header)
    lo, hi = parse_version(minimum), parse_version(maximum)
    if asked is None:
        return lo
    if asked.strip().lower() == "latest":
        return hi
    try:
        version = parse_version(asked)
    except ValueError:
        raise ApiError(400, f"API Version String {asked} is of invalid format. "
                            "Must be of format MajorNum.MinorNum.") from None
    if not lo <= version <= hi:
        raise ApiError(
            406,
            f"Version {asked} is not supported by the API. Minimum is {minimum} and maximum is {maximum}.",
        )
    return version


def as_bool(text: str | None) -> bool | None:
    if text is None:
        return None
    return text.strip().lower() in ("1", "true", "yes", "on")

"""Object storage (the Swift API) of the demo cloud: accounts, containers, objects, large objects, temp URLs.

Answers as Swift's proxy with keystoneauth, tempurl, slo and dlo in its pipeline answers (read from
openstack/swift: swift/proxy, swift/container/server.py, common/middleware/{tempurl,slo,dlo}.py): the
account is AUTH_<project_id>, errors are swob's short HTML pages, listings are plain text or JSON with
prefix, delimiter, marker, end_marker and limit. Data lives in memory under a size cap
(`Knobs.object_store_cap`); going over it answers 413 as an account quota would.
"""

from __future__ import annotations

import base64
import binascii
import bisect
import calendar
import email.utils
import hashlib
import hmac
import ipaddress
import json
import mimetypes
import os
import re
import time
import urllib.parse
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from . import keystone_admin
from .common import ApiError
from .service import WORLD, world_of
from .world import World

MAX_FILE_SIZE = 5368709122
LISTING_LIMIT = 10000
MAX_OBJECT_NAME = 1024
MAX_CONTAINER_NAME = 256
MAX_META_NAME = 128
MAX_META_VALUE = 256
SLO_MAX_SEGMENTS = 1000
MAX_BULK_DELETES = 10000
TEMPURL_METHODS = ("GET", "HEAD", "PUT", "POST", "DELETE")
DIGESTS = {40: "sha1", 64: "sha256", 128: "sha512"}
EMPTY_MD5 = hashlib.md5(b"").hexdigest()

# swob's reasons: the body of every error Swift sends is <html><h1>TITLE</h1><p>TEXT</p></html>
REASONS = {
    202: ("Accepted", "The request is accepted for processing."),
    400: ("Bad Request", "The server could not comply with the request since it is either malformed or "
          "otherwise incorrect."),
    401: ("Unauthorized", "This server could not verify that you are authorized to access the document you "
          "requested."),
    403: ("Forbidden", "Access was denied to this resource."),
    404: ("Not Found", "The resource could not be found."),
    405: ("Method Not Allowed", "The method is not allowed for this resource."),
    409: ("Conflict", "There was a conflict when trying to complete your request."),
    411: ("Length Required", "Content-Length header required."),
    412: ("Precondition Failed", "A precondition for this request was not met."),
    413: ("Request Entity Too Large", "The body of your request was too large for this server."),
    416: ("Requested Range Not Satisfiable", "The Range requested is not available."),
    422: ("Unprocessable Entity", "Unable to process the contained instructions"),
    503: ("Service Unavailable", "The server is currently unavailable. Please try again at a later time."),
}

INFO = {
    "swift": {"version": "2.35.0", "max_file_size": MAX_FILE_SIZE, "max_meta_name_length": MAX_META_NAME,
              "max_meta_value_length": MAX_META_VALUE, "max_meta_count": 90, "max_meta_overall_size": 4096,
              "max_header_size": 8192, "max_object_name_length": MAX_OBJECT_NAME,
              "container_listing_limit": LISTING_LIMIT, "account_listing_limit": LISTING_LIMIT,
              "max_account_name_length": 256, "max_container_name_length": MAX_CONTAINER_NAME,
              "extra_header_count": 0, "valid_api_versions": ["v1", "v1.0"], "strict_cors_mode": True,
              "policies": [{"name": "Policy-0", "aliases": "Policy-0", "default": True}],
              "allow_account_management": False, "account_autocreate": True},
    "slo": {"max_manifest_segments": SLO_MAX_SEGMENTS, "max_manifest_size": 8388608, "yield_frequency": 10,
            "min_segment_size": 1, "allow_async_delete": True},
    "dlo": {"max_segments": 10000},
    "tempurl": {"methods": list(TEMPURL_METHODS), "allowed_digests": ["sha1", "sha256", "sha512"],
                "deprecated_digests": ["sha1"], "incoming_remove_headers": ["x-timestamp"],
                "incoming_allow_headers": [], "outgoing_remove_headers": ["x-object-meta-*"],
                "outgoing_allow_headers": ["x-object-meta-public-*"]},
    "bulk_delete": {"max_deletes_per_request": MAX_BULK_DELETES, "max_failed_deletes": 1000},
    "account_quotas": {}, "container_quotas": {},
}


class SwiftError(Exception):
    def __init__(self, status: int, body: str | None = None, headers: dict | None = None):
        super().__init__(status)
        self.status = status
        self.body = body
        self.headers = headers or {}


@dataclass
class StoredObject:
    data: bytes
    etag: str  # md5 of the data; for a static large object, md5 of its segments' etags
    content_type: str
    timestamp: float
    meta: dict[str, str] = field(default_factory=dict)  # lower-cased header -> value (x-object-meta-*, ...)
    slo: list[dict] | None = None  # the manifest's segments: {"name": "/c/o", "hash", "bytes", ...}
    dlo: str | None = None  # X-Object-Manifest: "container/prefix"
    delete_at: int | None = None

    @property
    def size(self) -> int:
        return sum(s["bytes"] for s in self.slo) if self.slo is not None else len(self.data)


@dataclass
class Container:
    name: str
    created: float
    meta: dict[str, str] = field(default_factory=dict)  # x-container-meta-*, x-container-read/write
    objects: dict[str, StoredObject] = field(default_factory=dict)
    names: list[str] = field(default_factory=list)  # sorted, for listings by marker
    bytes_used: int = 0


@dataclass
class Account:
    name: str
    created: float
    meta: dict[str, str] = field(default_factory=dict)
    containers: dict[str, Container] = field(default_factory=dict)
    names: list[str] = field(default_factory=list)


@dataclass
class ObjectStore:
    """Every account's containers and objects, and the bytes they hold against the cap."""

    cap: int
    accounts: dict[str, Account] = field(default_factory=dict)
    used: int = 0

    def account(self, name: str, now: float) -> Account:
        if name not in self.accounts:
            self.accounts[name] = Account(name, now)
        return self.accounts[name]

    def put(self, container: Container, name: str, obj: StoredObject) -> None:
        old = container.objects.get(name)
        grow = len(obj.data) - (len(old.data) if old else 0)
        if grow > 0 and self.used + grow > self.cap:
            raise SwiftError(413, "Upload exceeds quota.")
        if old is None:
            bisect.insort(container.names, name)
        container.objects[name] = obj
        container.bytes_used += grow
        self.used += grow

    def delete(self, container: Container, name: str) -> StoredObject:
        obj = container.objects.pop(name)
        del container.names[bisect.bisect_left(container.names, name)]
        container.bytes_used -= len(obj.data)
        self.used -= len(obj.data)
        return obj


def store_of(world: World) -> ObjectStore:
    if world.object_store is None:
        world.object_store = ObjectStore(world.knobs.object_store_cap)
    return world.object_store


# --- answers ---------------------------------------------------------------------------------

def _trans_id() -> str:
    return f"tx{binascii.hexlify(os.urandom(11)).decode()[:21]}-{int(time.time()):010x}"


def swob(status: int, body: str | bytes | None = None, headers: dict | None = None,
         content_type: str = "text/html; charset=UTF-8", head: bool = False) -> web.Response:
    """An answer as swob writes it: errors and 202 get their short HTML page unless a body is given."""
    if body is None and status in REASONS:
        title, text = REASONS[status]
        body = f"<html><h1>{title}</h1><p>{text}</p></html>"
    raw = body.encode() if isinstance(body, str) else (body or b"")
    out = dict(headers or {})
    out.setdefault("Content-Type", content_type)
    if head:
        out.setdefault("Content-Length", str(len(raw)))
        return web.Response(status=status, headers=out)
    return web.Response(status=status, body=raw, headers=out)


def _http_date(t: float) -> str:
    return email.utils.formatdate(t, usegmt=True)


def _iso(t: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + f".{int((t % 1) * 1e6):06d}"


def _normal(t: float) -> str:
    return f"{t:016.5f}"


# --- auth: a token of the account's project, a temp URL, or the container's read ACL ------------

def _token_ctx(request: web.Request, world: World) -> dict | None:
    from .keystone import validate_token

    token = request.headers.get("X-Auth-Token")
    if not token:
        return None
    try:
        return validate_token(world, token)
    except ApiError:
        raise SwiftError(401, headers={"Www-Authenticate": f"Keystone uri='{world.base_url}/identity'"}) from None


def _acl_allows_read(container: Container | None, listing: bool) -> bool:
    if container is None:
        return False
    items = {x.strip() for x in container.meta.get("x-container-read", "").split(",")}
    if ".r:*" not in items and not any(x.startswith(".r:") and x != ".r:-*" for x in items):
        return False
    return not listing or ".rlistings" in items


def _tempurl_ok(request: web.Request, world: World, account: Account | None, container: Container | None,
                path_parts: tuple[str, str, str]) -> bool:
    """Swift's tempurl: HMAC over "METHOD\\nEXPIRES\\nPATH" (or "ip=RANGE\\n..." first) with the account's or
    the container's Temp-URL-Key(-2), hex by length or "<digest>:<base64>"; expired or wrong is 401."""
    q = request.query
    sig, expires_text, prefix = q.get("temp_url_sig"), q.get("temp_url_expires"), q.get("temp_url_prefix")
    ip_range = q.get("temp_url_ip_range")
    if request.method not in TEMPURL_METHODS or not sig or not expires_text:
        return False
    try:
        expires = int(expires_text)
    except ValueError:
        try:
            expires = calendar.timegm(time.strptime(expires_text, "%Y-%m-%dT%H:%M:%SZ"))
        except ValueError:
            return False
    if expires < world.now().timestamp():
        return False
    try:
        if ":" in sig:
            algo, b64 = sig.split(":", 1)
            b64 = b64.replace("-", "+").replace("_", "/")
            given = base64.b64decode(b64 + "==").hex()
        else:
            bytes.fromhex(sig)
            algo, given = DIGESTS.get(len(sig), ""), sig
    except (ValueError, binascii.Error):
        return False
    if algo not in ("sha1", "sha256", "sha512"):
        return False
    acct, cont, obj = path_parts
    if not obj:
        return False
    if ip_range:
        try:
            if ipaddress.ip_address(request.remote or "") not in ipaddress.ip_network(ip_range):
                return False
        except ValueError:
            return False
    if prefix is None:
        signed_path = f"/v1/{acct}/{cont}/{obj}"
    else:
        if not obj.startswith(prefix):
            return False
        signed_path = f"prefix:/v1/{acct}/{cont}/{prefix}"
    keys = [m.get(k) for m in ((account.meta if account else {}), (container.meta if container else {}))
            for k in ("x-account-meta-temp-url-key", "x-account-meta-temp-url-key-2",
                      "x-container-meta-temp-url-key", "x-container-meta-temp-url-key-2")]
    methods = ("HEAD", "GET", "POST", "PUT") if request.method == "HEAD" else (request.method,)
    for key in filter(None, keys):
        for method in methods:
            body = f"{method}\n{expires}\n{signed_path}"
            if ip_range:
                body = f"ip={ip_range}\n{body}"
            want = hmac.new(key.encode(), body.encode(), algo).hexdigest()
            if hmac.compare_digest(want, given):
                return True
    return False


def _invalid_tempurl(request: web.Request) -> web.Response:
    return swob(401, None if request.method == "HEAD" else "401 Unauthorized: Temp URL invalid\n",
                head=request.method == "HEAD")


# --- listings ----------------------------------------------------------------------------------

def _params(request: web.Request) -> dict[str, Any]:
    q = request.query
    limit_text = q.get("limit")
    limit = LISTING_LIMIT
    if limit_text is not None:
        try:
            limit = int(limit_text)
        except ValueError:
            raise SwiftError(412, "Value of limit must be a positive integer") from None
        if limit < 0:
            raise SwiftError(412, "Value of limit must be a positive integer")
        if limit > LISTING_LIMIT:
            raise SwiftError(412, f"Maximum limit is {LISTING_LIMIT}")
    delimiter = q.get("delimiter", "")
    return {"limit": limit, "marker": q.get("marker", ""), "end_marker": q.get("end_marker", ""),
            "prefix": q.get("prefix", ""), "delimiter": delimiter, "reverse": q.get("reverse", "").lower()
            in ("1", "true", "yes", "on")}


def list_names(names: list[str], p: dict[str, Any]) -> list[tuple[str, bool]]:
    """(name, is_subdir) in Swift's order: names above the marker and below the end marker that start with
    the prefix, each run sharing a part up to the delimiter folded into one subdir."""
    prefix, delim, marker, end, limit = p["prefix"], p["delimiter"], p["marker"], p["end_marker"], p["limit"]
    out: list[tuple[str, bool]] = []
    if p["reverse"]:
        selected = [n for n in names if n.startswith(prefix) and (not marker or n < marker) and n > end]
        for name in reversed(selected):
            sub = _subdir(name, prefix, delim)
            if sub is not None:
                if not out or out[-1][0] != sub:
                    out.append((sub, True))
            else:
                out.append((name, False))
            if len(out) >= limit:
                break
        return out
    i = bisect.bisect_right(names, marker) if marker else 0
    if prefix and (not marker or marker < prefix):
        i = max(i, bisect.bisect_left(names, prefix))
    while i < len(names) and len(out) < limit:
        name = names[i]
        if end and name >= end or not name.startswith(prefix):
            break
        sub = _subdir(name, prefix, delim)
        if sub is not None:
            if sub != marker:
                out.append((sub, True))
            # skip every name inside this subdir: the next one sorts after the subdir with its last char bumped
            i = bisect.bisect_left(names, sub[:-1] + chr(ord(sub[-1]) + 1), i + 1)
            continue
        out.append((name, False))
        i += 1
    return out


def _subdir(name: str, prefix: str, delim: str) -> str | None:
    if not delim:
        return None
    at = name.find(delim, len(prefix))
    return name[:at + len(delim)] if at >= 0 else None


def _wants_json(request: web.Request) -> bool:
    fmt = request.query.get("format", "").lower()
    if fmt:
        return fmt == "json"
    return "application/json" in request.headers.get("Accept", "")


def _listing(request: web.Request, rows: list[dict], text_names: list[str], headers: dict) -> web.Response:
    head = request.method == "HEAD"
    if _wants_json(request):
        return swob(200, json.dumps(rows), headers, "application/json; charset=utf-8", head=head)
    if not text_names:
        return swob(204, b"", headers, "text/plain; charset=utf-8", head=head)
    return swob(200, "".join(n + "\n" for n in text_names), headers, "text/plain; charset=utf-8", head=head)


# --- request plumbing --------------------------------------------------------------------------

def _meta_updates(request: web.Request, kind: str) -> dict[str, str | None]:
    """The metadata a request sets (lower-cased header -> value, None: remove)."""
    out: dict[str, str | None] = {}
    for key, value in request.headers.items():
        low = key.lower()
        if low.startswith(f"x-remove-{kind}-meta-"):
            out[f"x-{kind}-meta-" + low[len(f"x-remove-{kind}-meta-"):]] = None
        elif low.startswith(f"x-{kind}-meta-"):
            name = low[len(f"x-{kind}-meta-"):]
            if len(name) > MAX_META_NAME:
                raise SwiftError(400, f"Metadata name too long: {key}")
            if len(value) > MAX_META_VALUE:
                raise SwiftError(400, f"Metadata value longer than {MAX_META_VALUE}: {key}")
            out[low] = value or None
        elif kind == "container" and low in ("x-container-read", "x-container-write"):
            out[low] = value or None
        elif kind == "container" and low in ("x-remove-container-read", "x-remove-container-write"):
            out[low.replace("remove-", "")] = None
    return out


def _apply(meta: dict[str, str], updates: dict[str, str | None]) -> None:
    for key, value in updates.items():
        if value is None:
            meta.pop(key, None)
        else:
            meta[key] = value


def _now(world: World) -> float:
    return world.now().timestamp()


def _split(request: web.Request) -> tuple[str, str, str]:
    info = request.match_info
    return info.get("account", ""), info.get("container", ""), info.get("obj", "")


class _Ctx:
    """What one request may do: its store, account, and whether it is the account's owner."""

    def __init__(self, request: web.Request):
        self.request = request
        self.world = world_of(request)
        self.store = store_of(self.world)
        self.account_name, self.container_name, self.object_name = _split(request)
        self.owner = False
        self.tempurl = False

    def account(self) -> Account:
        return self.store.account(self.account_name, _now(self.world))

    def container(self, must: bool = True) -> Container | None:
        acct = self.store.accounts.get(self.account_name)
        cont = acct.containers.get(self.container_name) if acct else None
        if cont is None and must:
            raise SwiftError(404)
        return cont

    def authorize(self, *, listing: bool = False, read: bool = False) -> None:
        request = self.request
        if not self.account_name.startswith("AUTH_"):
            raise SwiftError(404)
        if "temp_url_sig" in request.query or "temp_url_expires" in request.query:
            acct = self.store.accounts.get(self.account_name)
            cont = acct.containers.get(self.container_name) if acct else None
            if not _tempurl_ok(request, self.world, acct, cont,
                               (self.account_name, self.container_name, self.object_name)):
                raise _TempURLInvalid()
            self.tempurl = True
            return
        ctx = _token_ctx(request, self.world)
        if ctx is not None and not _access_rules_allow(self.world, ctx, request):
            raise SwiftError(401, headers={"Www-Authenticate": f"Keystone uri='{self.world.base_url}/identity'"})
        if ctx is not None and ctx.get("project_id") and f"AUTH_{ctx['project_id']}" == self.account_name:
            self.owner = True
            return
        if read and _acl_allows_read(self.container(must=False), listing):
            return
        if ctx is None:
            raise SwiftError(401, headers={"Www-Authenticate": f"Keystone uri='{self.world.base_url}/identity'"})
        raise SwiftError(403)


def _access_rules_allow(world: World, ctx: dict, request: web.Request) -> bool:
    """An application credential with access rules reaches only what they name (keystonemiddleware's
    check): service `object-store`, the method, and the path below the endpoint's host, where `*` is one
    segment and `**` any number."""
    cred = world.app_creds.get(ctx.get("app_cred_id") or "")
    ids = (cred or {}).get("access_rule_ids") or []
    rules = [r for r in keystone_admin.tables(world)["access_rules"].values() if r["id"] in ids]
    if not rules:
        return True
    path = request.path[len("/swift"):] if request.path.startswith("/swift/") else request.path
    for rule in rules:
        if rule["service"] != "object-store" or rule["method"] != request.method:
            continue
        pattern = "^" + "/".join(".*" if part == "**" else "[^/]*" if part == "*" else re.escape(part)
                                 for part in rule["path"].split("/")) + "$"
        if re.match(pattern, path):
            return True
    return False


class _TempURLInvalid(Exception):
    pass


def _common_headers(request: web.Request) -> dict[str, str]:
    tid = request.get("swift_trans_id") or _trans_id()
    return {"X-Trans-Id": tid, "X-Openstack-Request-Id": tid}


# --- account -----------------------------------------------------------------------------------

def _account_headers(acct: Account) -> dict[str, str]:
    objects = sum(len(c.objects) for c in acct.containers.values())
    used = sum(c.bytes_used for c in acct.containers.values())
    headers = {"X-Account-Container-Count": str(len(acct.containers)), "X-Account-Object-Count": str(objects),
               "X-Account-Bytes-Used": str(used), "X-Timestamp": _normal(acct.created),
               "X-Put-Timestamp": _normal(acct.created),
               "X-Account-Storage-Policy-Policy-0-Container-Count": str(len(acct.containers)),
               "X-Account-Storage-Policy-Policy-0-Object-Count": str(objects),
               "X-Account-Storage-Policy-Policy-0-Bytes-Used": str(used)}
    headers.update({_title(k): v for k, v in acct.meta.items()})
    return headers


def _title(header: str) -> str:
    return "-".join(part.capitalize() for part in header.split("-"))


async def account_get(request: web.Request) -> web.Response:
    c = _Ctx(request)
    c.authorize()
    acct = c.account()
    p = _params(request)
    rows: list[dict[str, Any]] = []
    names: list[str] = []
    for name, is_sub in list_names(acct.names, p):
        names.append(name)
        if is_sub:
            rows.append({"subdir": name})
        else:
            cont = acct.containers[name]
            rows.append({"name": name, "count": len(cont.objects), "bytes": cont.bytes_used,
                         "last_modified": _iso(cont.created), "storage_policy": "Policy-0"})
    return _listing(request, rows, names, _account_headers(acct))


async def account_head(request: web.Request) -> web.Response:
    c = _Ctx(request)
    c.authorize()
    return swob(204, b"", _account_headers(c.account()), "text/plain; charset=utf-8", head=True)


async def account_post(request: web.Request) -> web.Response:
    c = _Ctx(request)
    c.authorize()
    if not c.owner:
        raise SwiftError(403)
    if "bulk-delete" in request.query:
        return await _bulk_delete(c, request)
    _apply(c.account().meta, _meta_updates(request, "account"))
    return swob(204, b"", content_type="text/html; charset=UTF-8")


async def _bulk_delete(c: _Ctx, request: web.Request) -> web.Response:
    """Swift's bulk middleware: a body of URL-quoted /container[/object] lines, each deleted (containers
    after their objects); the tally as JSON when asked, else as text."""
    lines = [urllib.parse.unquote(x.strip()) for x in (await request.text()).splitlines() if x.strip()]
    if len(lines) > MAX_BULK_DELETES:
        raise SwiftError(413, "Max delete failures exceeded")
    acct = c.account()
    deleted, missing, errors = 0, 0, []
    for line in lines:
        cname, _, oname = line.lstrip("/").partition("/")
        cont = acct.containers.get(cname)
        if cont is None or (oname and oname not in cont.objects):
            missing += 1
        elif oname:
            c.store.delete(cont, oname)
            deleted += 1
        elif cont.objects:
            errors.append([urllib.parse.quote(line), "409 Conflict"])
        else:
            del acct.containers[cname]
            del acct.names[bisect.bisect_left(acct.names, cname)]
            deleted += 1
    status = "400 Bad Request" if errors else "200 OK"
    result = {"Number Deleted": deleted, "Number Not Found": missing, "Response Body": "",
              "Response Status": status, "Errors": errors}
    return _tally(request, result)


def _tally(request: web.Request, result: dict) -> web.Response:
    """What the bulk and SLO middlewares answer a delete: JSON when asked, else "Key: value" lines."""
    if "json" in request.headers.get("Accept", ""):
        return swob(200, json.dumps(result), content_type="application/json; charset=utf-8")
    text = "".join(f"{k}: {v if k != 'Errors' else ''}\n" for k, v in result.items())
    return swob(200, text, content_type="text/plain; charset=utf-8")


# --- containers --------------------------------------------------------------------------------

def _container_headers(cont: Container) -> dict[str, str]:
    headers = {"X-Container-Object-Count": str(len(cont.objects)), "X-Container-Bytes-Used": str(cont.bytes_used),
               "X-Timestamp": _normal(cont.created), "X-Put-Timestamp": _normal(cont.created),
               "X-Storage-Policy": "Policy-0", "Last-Modified": _http_date(cont.created),
               "Accept-Ranges": "bytes"}
    headers.update({_title(k): v for k, v in cont.meta.items()})
    return headers


async def container_put(request: web.Request) -> web.Response:
    c = _Ctx(request)
    c.authorize()
    if not c.owner:
        raise SwiftError(403)
    name = c.container_name
    if len(name) > MAX_CONTAINER_NAME:
        raise SwiftError(400, f"Container name length of {len(name)} longer than {MAX_CONTAINER_NAME}")
    acct = c.account()
    updates = _meta_updates(request, "container")
    cont = acct.containers.get(name)
    if cont is None:
        cont = Container(name, _now(c.world))
        acct.containers[name] = cont
        bisect.insort(acct.names, name)
        status = 201
    else:
        status = 202
    _apply(cont.meta, updates)
    return swob(status, b"" if status == 201 else None)


async def container_post(request: web.Request) -> web.Response:
    c, cont = _for_write(request, tempurl=False)
    _apply(cont.meta, _meta_updates(request, "container"))
    return swob(204, b"")


async def container_delete(request: web.Request) -> web.Response:
    c, cont = _for_write(request, tempurl=False)
    if cont.objects:
        raise SwiftError(409)
    acct = c.account()
    del acct.containers[cont.name]
    del acct.names[bisect.bisect_left(acct.names, cont.name)]
    return swob(204, b"")


async def container_head(request: web.Request) -> web.Response:
    c = _Ctx(request)
    c.authorize(listing=True, read=True)
    cont = c.container()
    assert cont is not None
    return swob(204, b"", _visible(c, _container_headers(cont)), "text/plain; charset=utf-8", head=True)


def _visible(c: _Ctx, headers: dict[str, str]) -> dict[str, str]:
    """The ACLs and keys are the owner's business: a reader by ACL does not see them."""
    if c.owner:
        return headers
    return {k: v for k, v in headers.items()
            if not k.lower().startswith(("x-container-read", "x-container-write", "x-container-meta-temp-url"))}


async def container_get(request: web.Request) -> web.Response:
    c = _Ctx(request)
    c.authorize(listing=True, read=True)
    cont = c.container()
    assert cont is not None
    p = _params(request)
    rows: list[dict[str, Any]] = []
    names: list[str] = []
    now = _now(c.world)
    for name, is_sub in list_names(cont.names, p):
        if is_sub:
            rows.append({"subdir": name})
            names.append(name)
            continue
        obj = cont.objects[name]
        if obj.delete_at is not None and obj.delete_at <= now:
            continue
        row: dict[str, Any] = {"hash": obj.etag if obj.slo is None else _md5(json.dumps(obj.slo).encode()),
               "last_modified": _iso(obj.timestamp), "bytes": obj.size, "name": name,
               "content_type": obj.content_type}
        if obj.slo is not None:
            row["slo_etag"] = f'"{obj.etag}"'
        rows.append(row)
        names.append(name)
    return _listing(request, rows, names, _visible(c, _container_headers(cont)))


# --- objects -----------------------------------------------------------------------------------

def _md5(data: bytes) -> str:
    return hashlib.md5(data).hexdigest()


def _object(c: _Ctx, cont: Container) -> StoredObject:
    obj = cont.objects.get(c.object_name)
    if obj is None or (obj.delete_at is not None and obj.delete_at <= _now(c.world)):
        raise SwiftError(404)
    return obj


def _resolve(c: _Ctx, obj: StoredObject) -> tuple[bytes, str]:
    """The bytes a GET returns and their etag: a large object's segments joined."""
    acct = c.account()
    if obj.slo is not None:
        parts = []
        for seg in obj.slo:
            cname, _, oname = seg["name"].lstrip("/").partition("/")
            cont = acct.containers.get(cname)
            piece = cont.objects.get(oname) if cont else None
            if piece is None or piece.etag != seg["hash"]:
                raise SwiftError(409, f"Object segment no longer valid: {seg['name']}")
            parts.append(piece.data)
        return b"".join(parts), obj.etag
    if obj.dlo is not None:
        cname, _, prefix = obj.dlo.partition("/")
        cont = acct.containers.get(urllib.parse.unquote(cname))
        if cont is None:
            return b"", _md5(b"")
        prefix = urllib.parse.unquote(prefix)
        start = bisect.bisect_left(cont.names, prefix)
        pieces = []
        for name in cont.names[start:]:
            if not name.startswith(prefix):
                break
            pieces.append(cont.objects[name])
        return b"".join(p.data for p in pieces), _md5("".join(p.etag for p in pieces).encode())
    return obj.data, obj.etag


def _object_headers(obj: StoredObject, etag: str, size: int) -> dict[str, str]:
    headers = {"Content-Type": obj.content_type, "Etag": f'"{etag}"', "Last-Modified": _http_date(obj.timestamp),
               "X-Timestamp": _normal(obj.timestamp), "Accept-Ranges": "bytes", "Content-Length": str(size)}
    if obj.slo is not None:
        headers["X-Static-Large-Object"] = "True"
        headers["X-Manifest-Etag"] = _md5(json.dumps(obj.slo).encode())
    if obj.dlo is not None:
        headers["X-Object-Manifest"] = obj.dlo
    if obj.delete_at is not None:
        headers["X-Delete-At"] = str(obj.delete_at)
    headers.update({_title(k): v for k, v in obj.meta.items()})
    return headers


def _ranges(header: str, size: int) -> list[tuple[int, int]] | None:
    """Byte ranges (start, end-exclusive) of a Range header; None: ignore it (as swob does when invalid)."""
    if not header.startswith("bytes="):
        return None
    out = []
    for part in header[len("bytes="):].split(","):
        first, dash, last = part.strip().partition("-")
        if not dash:
            return None
        try:
            if first == "":
                n = int(last)
                if n == 0:
                    continue
                out.append((max(size - n, 0), size))
            else:
                a = int(first)
                b = int(last) + 1 if last else size
                if a >= size:
                    continue  # unsatisfiable: if every range is, 416
                if b <= a:
                    return None
                out.append((a, min(b, size)))
        except ValueError:
            return None
    return out


async def object_get(request: web.Request) -> web.StreamResponse:
    c = _Ctx(request)
    c.authorize(read=True)
    cont = c.container()
    assert cont is not None
    obj = _object(c, cont)
    head = request.method == "HEAD"
    if obj.slo is not None and request.query.get("multipart-manifest") == "get":
        body = json.dumps(obj.slo).encode()
        headers = _object_headers(obj, _md5(body), len(body))
        headers["Content-Type"] = "application/json; charset=utf-8"
        return swob(200, body, headers, head=head)
    if head and obj.slo is not None:  # HEAD of a static large object needs no segment
        data, etag = b"", obj.etag
        size = obj.size
    else:
        data, etag = _resolve(c, obj)
        size = len(data)
    headers = _object_headers(obj, etag, size)
    match = request.headers.get("If-None-Match")
    if match and (match.strip() == "*" or etag in {m.strip().strip('"') for m in match.split(",")}):
        return swob(304, b"", {k: v for k, v in headers.items() if k != "Content-Length"}, head=True)
    match = request.headers.get("If-Match")
    if match and match.strip() != "*" and etag not in {m.strip().strip('"') for m in match.split(",")}:
        raise SwiftError(412)
    if c.tempurl:
        filename = request.query.get("filename") or c.object_name.rstrip("/").rsplit("/", 1)[-1]
        kind = "inline" if "inline" in request.query else "attachment"
        headers["Content-Disposition"] = (kind if kind == "inline" and "filename" not in request.query else
                                          f'{kind}; filename="{urllib.parse.quote(filename, safe=" /")}"; '
                                          f"filename*=UTF-8''{urllib.parse.quote(filename)}")
        headers["Expires"] = _http_date(int(request.query.get("temp_url_expires", "0") or 0)
                                        if request.query.get("temp_url_expires", "").isdigit() else 0)
        headers = {k: v for k, v in headers.items()
                   if not k.lower().startswith("x-object-meta-") or k.lower().startswith("x-object-meta-public-")}
    if head:
        return web.Response(status=200, headers=headers)
    ranges = _ranges(request.headers.get("Range", ""), size) if "Range" in request.headers else None
    if ranges is not None:
        if not ranges:
            raise SwiftError(416, headers={"Content-Range": f"bytes */{size}"})
        if len(ranges) == 1:
            a, b = ranges[0]
            headers["Content-Range"] = f"bytes {a}-{b - 1}/{size}"
            headers["Content-Length"] = str(b - a)
            return web.Response(status=206, body=data[a:b], headers=headers)
        boundary = binascii.hexlify(os.urandom(16)).decode()
        chunks = []
        for a, b in ranges:
            chunks.append(f"--{boundary}\r\nContent-Type: {obj.content_type}\r\n"
                          f"Content-Range: bytes {a}-{b - 1}/{size}\r\n\r\n".encode() + data[a:b] + b"\r\n")
        body = b"".join(chunks) + f"--{boundary}--".encode()
        headers["Content-Type"] = f"multipart/byteranges;boundary={boundary}"
        headers["Content-Length"] = str(len(body))
        return web.Response(status=206, body=body, headers=headers)
    return web.Response(status=200, body=data, headers=headers)


async def _read_body(request: web.Request, store: ObjectStore) -> bytes:
    if request.content_length is None and request.headers.get("Transfer-Encoding", "").lower() != "chunked":
        raise SwiftError(411)
    if request.content_length is not None and request.content_length > MAX_FILE_SIZE:
        raise SwiftError(413, "Your request is too large.")
    buf = bytearray()
    async for chunk in request.content.iter_any():
        buf += chunk
        if store.used + len(buf) > store.cap:
            raise SwiftError(413, "Upload exceeds quota.")
    return bytes(buf)


def _object_meta(request: web.Request) -> dict[str, str]:
    meta = {k: v for k, v in _meta_updates(request, "object").items() if v is not None}
    for key in ("content-disposition", "content-encoding", "x-object-manifest-etag"):
        if key in {h.lower() for h in request.headers}:
            meta[key] = request.headers[key]
    return meta


def _delete_at(request: web.Request, world: World) -> int | None:
    try:
        if "X-Delete-After" in request.headers:
            return int(_now(world) + int(request.headers["X-Delete-After"]))
        if "X-Delete-At" in request.headers:
            return int(request.headers["X-Delete-At"])
    except ValueError:
        raise SwiftError(400, "Non-integer X-Delete-After") from None
    return None


def _content_type(request: web.Request, name: str) -> str:
    given = request.headers.get("Content-Type")
    if given and not (request.headers.get("X-Detect-Content-Type", "").lower() == "true"):
        return given
    return mimetypes.guess_type(name)[0] or "application/octet-stream"


async def object_put(request: web.Request) -> web.Response:
    c, cont = _for_write(request)
    name = c.object_name
    if len(name) > MAX_OBJECT_NAME:
        raise SwiftError(400, f"Object name length of {len(name)} longer than {MAX_OBJECT_NAME}")
    if "X-Copy-From" in request.headers:
        await request.read()
        return await _copy(c, request.headers["X-Copy-From"], c.container_name, name, request)
    body = await _read_body(request, c.store)
    now = _now(c.world)
    meta = _object_meta(request)
    delete_at = _delete_at(request, c.world)
    if request.query.get("multipart-manifest") == "put":
        return _put_slo(c, cont, name, body, meta, now, request)
    etag = _md5(body)
    given = request.headers.get("Etag", "").strip('"')
    if given and given.lower() != etag:
        raise SwiftError(422)
    obj = StoredObject(body, etag, _content_type(request, name), now, meta, delete_at=delete_at)
    if "X-Object-Manifest" in request.headers:
        obj.dlo = request.headers["X-Object-Manifest"]
    c.store.put(cont, name, obj)
    return swob(201, b"", {"Etag": f'"{etag}"', "Last-Modified": _http_date(now)})


def _put_slo(c: _Ctx, cont: Container, name: str, body: bytes, meta: dict, now: float,
             request: web.Request) -> web.Response:
    try:
        segments = json.loads(body)
    except ValueError:
        raise SwiftError(400, "Manifest must be valid JSON.\n") from None
    if not isinstance(segments, list) or not segments:
        raise SwiftError(400, "Manifest must be a list.\n")
    if len(segments) > SLO_MAX_SEGMENTS:
        raise SwiftError(413, f"Too many segments; maximum is {SLO_MAX_SEGMENTS}.\n")
    acct = c.account()
    errors: list[str] = []
    manifest: list[dict[str, Any]] = []
    for i, seg in enumerate(segments):
        path = seg.get("path") if isinstance(seg, dict) else None
        if not isinstance(path, str) or "/" not in path.lstrip("/"):
            errors.append(f"Index {i}: path does not refer to an object. Path must be of the form "
                          "/container/object.")
            continue
        cname, _, oname = path.lstrip("/").partition("/")
        seg_cont = acct.containers.get(cname)
        piece = seg_cont.objects.get(oname) if seg_cont else None
        if piece is None:
            errors.append(f"{path}, 404 Not Found")
            continue
        want_etag = (seg.get("etag") or "").strip('"')
        if want_etag and want_etag != piece.etag:
            errors.append(f"{path}, Etag Mismatch")
            continue
        want_size = seg.get("size_bytes")
        if want_size is not None and want_size != piece.size:
            errors.append(f"{path}, Size Mismatch")
            continue
        manifest.append({"name": "/" + path.lstrip("/"), "hash": piece.etag, "bytes": piece.size,
                         "content_type": piece.content_type, "last_modified": _iso(piece.timestamp)})
    if errors:
        raise SwiftError(400, "Errors:\n" + "\n".join(errors))
    etag = _md5("".join(s["hash"] for s in manifest).encode())
    given = request.headers.get("Etag", "").strip('"')
    if given and given != etag:
        raise SwiftError(422)
    stored = json.dumps(manifest).encode()
    obj = StoredObject(stored, etag, _content_type(request, name), now, meta, slo=manifest)
    c.store.put(cont, name, obj)
    return swob(201, b"", {"Etag": f'"{etag}"', "Last-Modified": _http_date(now)})


async def _copy(c: _Ctx, source: str, dest_container: str, dest_name: str,
                request: web.Request) -> web.Response:
    src_cont_name, _, src_name = urllib.parse.unquote(source).lstrip("/").partition("/")
    if not src_name:
        raise SwiftError(412, "X-Copy-From header must be of the form <container name>/<object name>")
    acct = c.account()
    src_cont = acct.containers.get(src_cont_name)
    src = src_cont.objects.get(src_name) if src_cont else None
    dest = acct.containers.get(dest_container)
    if src is None or dest is None:
        raise SwiftError(404)
    data, etag = _resolve(c, src) if src.slo is None or request.query.get("multipart-manifest") != "get" \
        else (src.data, src.etag)
    fresh = request.headers.get("X-Fresh-Metadata", "").lower() in ("true", "1", "yes")
    meta = {} if fresh else dict(src.meta)
    meta.update(_object_meta(request))
    now = _now(c.world)
    obj = StoredObject(data, _md5(data), request.headers.get("Content-Type") or src.content_type, now, meta)
    c.store.put(dest, dest_name, obj)
    return swob(201, b"", {"Etag": f'"{obj.etag}"', "Last-Modified": _http_date(now),
                           "X-Copied-From": urllib.parse.quote(f"{src_cont_name}/{src_name}"),
                           "X-Copied-From-Last-Modified": _http_date(src.timestamp)})


async def object_copy(request: web.Request) -> web.Response:
    c = _Ctx(request)
    c.authorize()
    if not c.owner:
        raise SwiftError(403)
    destination = urllib.parse.unquote(request.headers.get("Destination", "")).lstrip("/")
    dest_container, _, dest_name = destination.partition("/")
    if not dest_name:
        raise SwiftError(412, "Destination header must be of the form <container name>/<object name>")
    return await _copy(c, f"{c.container_name}/{c.object_name}", dest_container, dest_name, request)


def _for_write(request: web.Request, *, tempurl: bool = True) -> tuple[_Ctx, Container]:
    """The request's context and container, for a write its token's project (or a temp URL) may make."""
    c = _Ctx(request)
    c.authorize()
    if not (c.owner or (tempurl and c.tempurl)):
        raise SwiftError(403)
    cont = c.container()
    assert cont is not None
    return c, cont


async def object_post(request: web.Request) -> web.Response:
    """A POST replaces the object's metadata (Swift's fast-POST): what it does not name is gone."""
    c, cont = _for_write(request)
    obj = _object(c, cont)
    obj.meta = _object_meta(request)
    if "Content-Type" in request.headers:
        obj.content_type = request.headers["Content-Type"]
    delete_at = _delete_at(request, c.world)
    obj.delete_at = delete_at if "X-Remove-Delete-At" not in request.headers else None
    return swob(202)


async def object_delete(request: web.Request) -> web.Response:
    c, cont = _for_write(request)
    obj = _object(c, cont)
    if obj.slo is not None and request.query.get("multipart-manifest") == "delete":
        deleted, missing = 1, 0
        acct = c.account()
        for seg in obj.slo:
            cname, _, oname = seg["name"].lstrip("/").partition("/")
            seg_cont = acct.containers.get(cname)
            if seg_cont is not None and oname in seg_cont.objects:
                c.store.delete(seg_cont, oname)
                deleted += 1
            else:
                missing += 1
        c.store.delete(cont, c.object_name)
        result = {"Number Deleted": deleted, "Number Not Found": missing, "Response Body": "",
                  "Response Status": "200 OK", "Errors": []}
        return _tally(request, result)
    c.store.delete(cont, c.object_name)
    return swob(204, b"")


# --- the service ---------------------------------------------------------------------------------

async def info(request: web.Request) -> web.Response:
    return swob(200, json.dumps(INFO), content_type="application/json; charset=UTF-8",
                head=request.method == "HEAD")


def make_app(world: World) -> web.Application:
    """Swift below /swift (as RadosGW serves it): /swift/info and /swift/v1/AUTH_<project_id>/..."""

    @web.middleware
    async def middleware(request: web.Request, handler) -> web.StreamResponse:
        import asyncio

        request["swift_trans_id"] = _trans_id()
        world.asked.append((request.method, request.path_qs))
        head = request.method == "HEAD"
        try:
            if world.knobs.latency_ms:
                await asyncio.sleep(world.knobs.latency_ms / 1000.0)
            if world.knobs.error_rate and world.rng.random() < world.knobs.error_rate:
                raise SwiftError(503)
            response = await handler(request)
        except SwiftError as err:
            response = swob(err.status, err.body, err.headers, head=head)
        except _TempURLInvalid:
            response = _invalid_tempurl(request)
        except web.HTTPNotFound:
            response = swob(404, head=head)
        except web.HTTPMethodNotAllowed:
            response = swob(405, head=head)
        for key, value in _common_headers(request).items():
            response.headers.setdefault(key, value)
        return response

    app = web.Application(middlewares=[middleware])
    app[WORLD] = world
    r = app.router
    r.add_route("GET", "/info", info)
    r.add_route("HEAD", "/info", info)
    for base in ("/v1/{account}", "/v1/{account}/"):
        r.add_route("GET", base, account_get)
        r.add_route("HEAD", base, account_head)
        r.add_route("POST", base, account_post)
    for base in ("/v1/{account}/{container}", "/v1/{account}/{container}/"):
        r.add_route("GET", base, container_get)
        r.add_route("HEAD", base, container_head)
        r.add_route("PUT", base, container_put)
        r.add_route("POST", base, container_post)
        r.add_route("DELETE", base, container_delete)
    item = "/v1/{account}/{container}/{obj:.+}"
    r.add_route("GET", item, object_get)
    r.add_route("HEAD", item, object_get)
    r.add_route("PUT", item, object_put)
    r.add_route("POST", item, object_post)
    r.add_route("DELETE", item, object_delete)
    r.add_route("COPY", item, object_copy)
    return app


def fill(world: World, project_id: str, container: str, count: int, size: int = 0) -> None:
    """Put `count` objects of `size` bytes in a container without HTTP (benchmarks of big listings):
    `dir{i // 1000:03d}/obj{i:06d}`, so a delimiter folds them into folders."""
    store = store_of(world)
    now = _now(world)
    acct = store.account(f"AUTH_{project_id}", now)
    cont = acct.containers.get(container)
    if cont is None:
        cont = acct.containers[container] = Container(container, now)
        bisect.insort(acct.names, container)
    data = b"x" * size
    etag = _md5(data)
    for i in range(count):
        store.put(cont, f"dir{i // 1000:03d}/obj{i:06d}", StoredObject(data, etag, "application/octet-stream", now))


def seed(world: World) -> None:
    """What a genomics allocation keeps in object storage: reads by sample (folders), results, a public
    container. Deterministic for a given seed; small bytes, so the demo stays light."""
    import random

    rng = random.Random(f"swift-{world.knobs.seed}")
    project = next((p for p in world.projects.values() if p["name"] == "BIO230045"), None)
    store = store_of(world)
    if project is None or store.cap < 4 << 20:  # a cloud with a tiny cap (tests of the cap) starts empty
        return
    now = _now(world)
    acct = store.account(f"AUTH_{project['id']}", now)

    def container(name: str, **meta: str) -> Container:
        cont = acct.containers[name] = Container(name, now - rng.randint(86400, 90 * 86400), dict(meta))
        bisect.insort(acct.names, name)
        return cont

    def put(cont: Container, name: str, size: int, content_type: str = "application/octet-stream") -> None:
        data = rng.randbytes(size)
        store.put(cont, name, StoredObject(data, _md5(data), content_type, now - rng.randint(60, 30 * 86400)))

    reads = container("sequencing-runs")
    for sample in range(1, 7):
        for lane in (1, 2):
            put(reads, f"2026-11/sample{sample:02d}/reads_L00{lane}_R1.fastq.gz", rng.randint(20_000, 90_000),
                "application/gzip")
    put(reads, "2026-11/manifest.csv", 1_842, "text/csv")
    put(reads, "README.md", 613, "text/markdown")
    results = container("assembly-results")
    for sample in range(1, 4):
        put(results, f"sample{sample:02d}/contigs.fasta", rng.randint(40_000, 200_000), "text/plain")
        put(results, f"sample{sample:02d}/quast_report.html", rng.randint(3_000, 9_000), "text/html")
    site = container("lab-website", **{"x-container-read": ".r:*,.rlistings"})
    put(site, "index.html", 2_310, "text/html")
    put(site, "figures/coverage.png", 48_211, "image/png")
    container("scratch")

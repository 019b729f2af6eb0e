"""One openstacksdk Connection per (cloud, project, region); blocking calls awaited from asyncio.

openstacksdk is imported lazily (not before the first frame). Every SDK call runs on a bounded
thread pool of the session's own, so a slow cloud never starves another one or the event loop.
Lists come as raw JSON through the SDK's proxies (keystoneauth Adapters: auth, retries and the
catalog kept) because building Resource objects costs about 1 ms each.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import email.utils
import hashlib
import urllib.parse
from dataclasses import dataclass
from typing import Any, Callable, TypeVar

T = TypeVar("T")

# The compute microversion we speak: embedded flavors (2.47), locked_reason (2.73), hostname (2.90).
WANTED_COMPUTE_MV = (2, 100)
FLAVOR_MV = "2.61"  # flavors carry extra_specs from here on
MAX_PAGES = 100  # guard against a cloud whose "next" links never end
# keystoneauth retries a 503 five times over 15 s by default; the poller has its own backoff
RETRIES = {"status_code_retries": 1}


class CloudError(Exception):
    """A cloud call that failed, with one plain line for the user (never a secret)."""

    def __init__(self, message: str, status: int | None = None, request_id: str | None = None,
                 answer_lost: bool = False):
        super().__init__(message)
        self.message = message
        self.status = status
        self.request_id = request_id
        self.answer_lost = answer_lost  # sent, but no answer came: the cloud may have done it


def explain(exc: BaseException) -> CloudError:
    """Turn whatever keystoneauth/openstacksdk raised into a CloudError with a plain message."""
    if isinstance(exc, CloudError):
        return exc
    status = getattr(exc, "status_code", None) or getattr(exc, "http_status", None)
    request_id = getattr(exc, "request_id", None)
    from .profiles import answer_lost  # profiles imports openstacksdk lazily too
    from .profiles import explain as explain_line

    return CloudError(explain_line(exc), status, request_id, answer_lost=answer_lost(exc))


def relogin_on_every_401(auth) -> None:
    """keystoneauth answers a 401 by dropping the token, logging in again and resending, but only when
    `invalidate()` says it dropped something. Polls run on several threads: when two calls meet the 401
    of a token the API forgot, the second finds the token already dropped (the first is logging in),
    gives up, and its 401 reached the user as "stale". Here a token already dropped still means "send
    again": the resend waits for the first thread's login under the plugin's own lock."""
    drop = getattr(auth, "invalidate", None)
    if drop is None or not hasattr(auth, "auth_ref") or getattr(auth, "exotui_relogin", False):
        return

    def invalidate() -> bool:
        return bool(drop()) or auth.auth_ref is None

    auth.invalidate = invalidate
    auth.exotui_relogin = True


def environment_once(requests_session) -> None:
    """requests reads the proxy variables on every request (every variable of the environment, twice, to
    find `*_proxy` and `no_proxy`): a quarter of an idle poll's CPU here. The environment does not change
    under a running exotui, so its answer for each (scheme, host) and the same arguments is kept; proxies
    from the environment still apply exactly as requests decides them."""
    if getattr(requests_session, "exotui_environment_once", False):
        return
    merge = requests_session.merge_environment_settings
    answers: dict = {}

    def merged(url, proxies, stream, verify, cert):
        parts = urllib.parse.urlsplit(url)
        try:
            key = (parts.scheme, parts.netloc, tuple(sorted((proxies or {}).items())), stream, verify, cert)
            answer = answers.get(key)
        except TypeError:  # an argument that cannot be a key: ask requests every time
            return merge(url, proxies, stream, verify, cert)
        if answer is None:
            answer = answers[key] = merge(url, dict(proxies or {}), stream, verify, cert)
        return {**answer, "proxies": dict(answer["proxies"])}

    requests_session.merge_environment_settings = merged
    requests_session.exotui_environment_once = True


def _keep_login(conn) -> None:
    from .profiles import keep_login

    keep_login(conn.config)


@dataclass(frozen=True)
class Page:
    """A raw list answer: the items, the bytes it took, and the cloud's clock (Date header)."""

    items: list[dict]
    size: int
    cloud_time: float | None
    digest: bytes = b""  # of the bodies: the same digest, the same answer (the poller skips parsing it)


class CloudSession:
    """A connection to one (cloud, project, region), made on first use by `connect()`.

    `connect` is any callable returning an openstack.connection.Connection (profiles build it);
    `workers` bounds the threads this session may occupy, so one cloud cannot take them all
    (16 measured no faster than 8 for a first load: the calls contend for CPU, not threads).
    """

    def __init__(self, connect: Callable[[], Any], *, label: str = "", workers: int = 8):
        self._connect = connect
        self._conn = None
        self.label = label
        self._pool = concurrent.futures.ThreadPoolExecutor(max_workers=workers,
                                                           thread_name_prefix=f"cloud-{label or 'session'}")
        self._connect_lock = asyncio.Lock()
        self.compute_mv: str | None = None
        self._calls: set[concurrent.futures.Future] = set()
        self._bases: dict[str, tuple[object, str]] = {}  # service -> (the token it was read under, its URL)

    @classmethod
    def for_project(cls, profile, project_id: str | None = None, region: str | None = None) -> "CloudSession":
        """A session to one project (and region) of a cloud from clouds.yaml (see profiles.py)."""

        def connect():
            from openstack.connection import Connection

            return Connection(config=profile.scoped(project_id, region))

        label = "/".join(x for x in (profile.name, project_id or "", region or "") if x)
        return cls(connect, label=label)

    # --- plumbing --------------------------------------------------------------------------

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        """Run a blocking call on the session's pool; its errors come back as CloudError."""
        # the pool's own future: a cancelled await leaves the call running on its thread, and it is
        # among calls_under_way until the thread is done with it
        future = self._pool.submit(fn, *args)
        self._calls.add(future)
        future.add_done_callback(self._calls.discard)  # on the pool's thread: set.discard is atomic
        try:
            return await asyncio.wrap_future(future)
        except CloudError:
            raise
        except Exception as exc:  # keystoneauth and openstacksdk raise many kinds
            raise explain(exc) from exc

    @property
    def calls_under_way(self) -> frozenset[concurrent.futures.Future]:
        """Blocking calls still on the pool's threads, awaited or not (a cancelled await leaves them running)."""
        return frozenset(self._calls)

    async def connection(self):
        if self._conn is None:
            async with self._connect_lock:
                if self._conn is None:
                    conn = await self.run(self._connect)
                    await self.run(conn.authorize)  # no login where a kept one is still valid (profiles.keep_login)
                    relogin_on_every_401(conn.session.auth)
                    environment_once(conn.session.session)
                    self.compute_mv = await self.run(self._negotiate_compute, conn)
                    self._conn = conn
                    await self.keep_login()  # after a request: a kept token the cloud refused is replaced by then
        return self._conn

    async def keep_login(self) -> None:
        """Keep the login in use for the next start, where clouds.yaml asks for it (profiles.keep_login); again
        after each new login (the poller sees the token change), since openstacksdk keeps one only on close."""
        if self._conn is not None:
            await self.run(_keep_login, self._conn)

    @staticmethod
    def _negotiate_compute(conn) -> str:
        data = conn.compute.get_endpoint_data()
        top = data.max_microversion if data is not None and data.max_microversion else (2, 1)
        wanted = min(tuple(top), WANTED_COMPUTE_MV)
        return f"{wanted[0]}.{wanted[1]}"

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
        if self._conn is not None:
            try:
                self._conn.close()
            except Exception:
                pass
            self._conn = None

    def auth_marker(self) -> object | None:
        """The token in use, as an object compared by identity (keystoneauth replaces it on every new
        login: expiry, or a 401 from an API that no longer knows it). Never the token's text."""
        conn = self._conn
        if conn is None:
            return None
        return getattr(getattr(conn.session, "auth", None), "auth_ref", None)

    @property
    def project_id(self) -> str | None:
        return self._conn.current_project_id if self._conn is not None else None

    # --- raw JSON lists ------------------------------------------------------------------------

    async def get_list(self, service: str, path: str, key: str, *, params: dict | None = None,
                       microversion: str | None = None) -> Page:
        """Every item of a list, following the service's "next" links; raw dicts."""
        conn = await self.connection()
        proxy = getattr(conn, service)
        return await self.run(self._fetch_pages, proxy, path, key, params or {}, microversion, self._base(service))

    def _base(self, service: str) -> Callable[[Any], dict]:
        """A poll's endpoint, read from the catalog once per token (on the pool's thread): keystoneauth looks
        it up on every request otherwise, deep-copying the whole catalog each time (a fifth of an idle poll's
        CPU, profiled with 1,000 instances). A new token (a new login, perhaps a new catalog) reads it again."""

        def base(proxy) -> dict:
            marker = self.auth_marker()
            known = self._bases.get(service)
            if known is None or known[0] is not marker or marker is None:
                try:
                    url = proxy.get_endpoint()
                except Exception:
                    return {}  # keystoneauth looks it up itself, and says what is wrong
                if not url:
                    return {}
                known = self._bases[service] = (marker, url.replace("%", "%%"))  # keystoneauth %-formats it
            return {"endpoint_override": known[1]}

        return base

    @staticmethod
    def _fetch_pages(proxy, path: str, key: str, params: dict, microversion: str | None,
                     base: Callable[[Any], dict]) -> Page:
        items: list[dict] = []
        size = 0
        cloud_time = None
        digest = hashlib.blake2b(digest_size=16)
        url: str | None = path
        query: dict | None = params
        where = base(proxy)
        for _ in range(MAX_PAGES):
            response = checked(proxy.get(url, params=query, microversion=microversion, raise_exc=False, **RETRIES,
                                         **where))
            size += len(response.content)
            digest.update(response.content)
            date = response.headers.get("Date")
            if date:
                parsed = email.utils.parsedate_to_datetime(date)
                cloud_time = parsed.timestamp()
            body = response.json()
            if not isinstance(body, dict) or not isinstance(body.get(key), list):
                raise CloudError(f"the cloud answered {path} without a '{key}' list", response.status_code)
            items.extend(body[key])
            url = _next_link(body, key)
            query = None  # the next link carries the query
            if url is None:
                break
        return Page(items, size, cloud_time, digest.digest())

    async def get_json(self, service: str, path: str, *, params: dict | None = None,
                       microversion: str | None = None, secret: bool = False) -> dict:
        """`secret`: the answer holds a secret, so keystoneauth must not log the exchange (at DEBUG it
        logs every response body)."""
        conn = await self.connection()
        proxy = getattr(conn, service)
        quiet = {"log": False} if secret else {}
        base = self._base(service)

        def call() -> dict:
            return checked(proxy.get(path, params=params, microversion=microversion, raise_exc=False, **RETRIES,
                                     **quiet, **base(proxy))).json()

        return await self.run(call)

    async def request(self, service: str, method: str, path: str, *, json: Any = None,
                      microversion: str | None = None, headers: dict | None = None, params: dict | None = None,
                      data: Any = None, raw: bool = False, secret: bool = False) -> Any:
        """A write through the service's proxy; the decoded body (or None). Object storage passes `headers`,
        `params` and `data` (bytes or a file) and asks for the `raw` response (its headers carry the answer);
        `secret`: the exchange holds a secret, so keystoneauth must not log it."""
        conn = await self.connection()
        proxy = getattr(conn, service)
        extra: dict[str, Any] = {"log": False} if secret else {}
        if headers:
            extra["headers"] = headers
        if params:
            extra["params"] = params
        if data is not None:
            extra["data"] = data

        def call():
            # never sent twice by keystoneauth: a write whose answer is lost may have been done
            response = checked(proxy.request(path, method, json=json, microversion=microversion, raise_exc=False,
                                             connect_retries=0, status_code_retries=0, **extra))
            if raw:
                return response
            if not response.content:
                return None
            try:
                return response.json()
            except ValueError:
                return None

        return await self.run(call)

    async def endpoint(self, service_type: str) -> str | None:
        conn = await self.connection()

        def find() -> str | None:
            try:
                return conn.session.get_endpoint(service_type=service_type, interface="public")
            except Exception:
                return None

        return await self.run(find)

    async def get_url(self, url: str) -> Any:
        """GET an absolute URL with the session's token (the `accounting` service has no proxy)."""
        conn = await self.connection()

        def call():
            return checked(conn.session.get(url, raise_exc=False)).json()

        return await self.run(call)


def error_message(response) -> str:
    """The message inside an OpenStack error body, whichever service's style it has."""
    try:
        body = response.json()
    except ValueError:
        body = None
    message = None
    if isinstance(body, dict):
        if isinstance(body.get("message"), str):  # Glance
            message = body["message"].split("<br />")[0]
        else:
            for value in body.values():  # {"itemNotFound": {...}}, {"NeutronError": {...}}, {"error": {...}}
                if isinstance(value, dict) and isinstance(value.get("message"), str):
                    message = value["message"]
                    break
    if not message:
        message = (response.reason or "error") if hasattr(response, "reason") else "error"
    return f"{message.strip()} (HTTP {response.status_code})"


def checked(response):
    """The response if it succeeded, else CloudError carrying the cloud's own words."""
    if response.status_code >= 400:
        raise CloudError(error_message(response), response.status_code,
                         response.headers.get("x-openstack-request-id"))
    return response


def _next_link(body: dict, key: str) -> str | None:
    for link in body.get(f"{key}_links") or []:
        if isinstance(link, dict) and link.get("rel") == "next" and link.get("href"):
            return link["href"]
    nxt = body.get("next")  # Glance: a path below its root, "/v2/images?marker=..."
    if isinstance(nxt, str) and nxt:
        return nxt[len("/v2"):] if nxt.startswith("/v2/") else nxt
    return None

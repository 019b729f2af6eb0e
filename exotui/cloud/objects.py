"""Object storage (Swift) read side: containers, objects as folders by prefix and delimiter, paged by marker,
downloads with progress that resume, and temp URLs signed as Swift's tempurl middleware checks them.
Writes (create, upload, delete, public/private, the account's temp-URL key) are in actions/objects.py."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import os
import time
import urllib.parse
from dataclasses import dataclass
from pathlib import Path
from typing import Any, AsyncIterator, Callable

from .models import printable
from .session import CloudError, CloudSession, checked

PAGE = 1000  # names a listing page asks for (Swift answers up to 10,000)
CHUNK = 1 << 20  # bytes read or written at a time while streaming
PUBLIC_READ = ".r:*,.rlistings"  # what Horizon and `swift post -r` set to make a container public

# (done bytes, total bytes or None); called on the event loop
TransferProgress = Callable[[int, "int | None"], Any]


def quote(name: str) -> str:
    return urllib.parse.quote(name, safe="/")


@dataclass(frozen=True)
class Container:
    name: str  # shown (printable)
    api_name: str  # as the cloud spells it, for requests
    count: int
    bytes: int
    last_modified: str = ""


@dataclass(frozen=True)
class ContainerInfo:
    name: str
    api_name: str
    count: int
    bytes: int
    public: bool
    read_acl: str  # printable
    meta: dict[str, str]  # X-Container-Meta-* (printable), key without the prefix


@dataclass(frozen=True)
class Entry:
    """One row of a container's listing: an object, or a folder (a subdir up to the delimiter)."""

    name: str  # the part below the listed prefix (printable): "img1.jpg", "jan/"
    api_name: str  # the full object name (or subdir) as stored
    is_folder: bool
    bytes: int = 0
    hash: str = ""
    content_type: str = ""
    last_modified: str = ""
    is_large: bool = False  # a static large object (its manifest listing carries slo_etag)

    @staticmethod
    def from_api(row: dict, prefix: str) -> "Entry":
        if "subdir" in row:
            raw = str(row["subdir"])
            return Entry(printable(raw[len(prefix):] if raw.startswith(prefix) else raw), raw, True)
        raw = str(row.get("name", ""))
        return Entry(printable(raw[len(prefix):] if raw.startswith(prefix) else raw), raw, False,
                     _int(row.get("bytes")), printable(str(row.get("hash", ""))),
                     printable(str(row.get("content_type", ""))), printable(str(row.get("last_modified", ""))),
                     "slo_etag" in row)


@dataclass(frozen=True)
class Page:
    entries: list[Entry]
    next_marker: str | None  # None: this was the last page


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def _header_int(headers: Any, key: str) -> int:
    return _int(headers.get(key))


class ObjectStore:
    """One project's object storage, read through its session's `object_store` proxy (raw JSON, no Resources)."""

    def __init__(self, session: CloudSession, page: int = PAGE):
        self.session = session
        self.page = page

    async def _proxy(self):
        return (await self.session.connection()).object_store

    async def endpoint(self) -> str:
        proxy = await self._proxy()
        return await self.session.run(proxy.get_endpoint)

    async def containers(self) -> list[Container]:
        """Every container of the account with its object count and bytes, following markers."""
        proxy = await self._proxy()

        def fetch() -> list[Container]:
            out: list[Container] = []
            marker = ""
            while True:
                rows = checked(proxy.get("", params={"format": "json", "limit": 10000, "marker": marker},
                                         raise_exc=False)).json()
                out += [Container(printable(str(r.get("name", ""))), str(r.get("name", "")), _int(r.get("count")),
                                  _int(r.get("bytes")), printable(str(r.get("last_modified", "")))) for r in rows]
                if len(rows) < 10000:
                    return out
                marker = str(rows[-1].get("name") or rows[-1].get("subdir"))

        return await self.session.run(fetch)

    async def container_info(self, container: str) -> ContainerInfo:
        proxy = await self._proxy()
        response = await self.session.run(lambda: checked(proxy.head(f"/{quote(container)}", raise_exc=False)))
        h = response.headers
        acl = h.get("X-Container-Read", "")
        meta = {printable(k[len("X-Container-Meta-"):]): printable(v) for k, v in h.items()
                if k.lower().startswith("x-container-meta-") and "temp-url" not in k.lower()}
        return ContainerInfo(printable(container), container, _header_int(h, "X-Container-Object-Count"),
                             _header_int(h, "X-Container-Bytes-Used"), is_public(acl), printable(acl), meta)

    async def list_page(self, container: str, prefix: str = "", marker: str = "", *, delimiter: str = "/",
                        limit: int | None = None) -> Page:
        """One page of the listing below `prefix`: objects and (with a delimiter) folders, after `marker`."""
        proxy = await self._proxy()
        limit = limit or self.page
        params: dict[str, Any] = {"format": "json", "limit": limit}
        if prefix:
            params["prefix"] = prefix
        if delimiter:
            params["delimiter"] = delimiter
        if marker:
            params["marker"] = marker

        def fetch() -> list[dict]:
            return checked(proxy.get(f"/{quote(container)}", params=params, raise_exc=False)).json()

        rows = await self.session.run(fetch)
        if not isinstance(rows, list):
            raise CloudError(f"the cloud answered the listing of {printable(container)} without a list")
        entries = [Entry.from_api(r, prefix) for r in rows if isinstance(r, dict)]
        last = entries[-1].api_name if entries else None
        return Page(entries, last if len(rows) >= limit else None)

    async def pages(self, container: str, prefix: str = "", *, delimiter: str = "/",
                    limit: int | None = None) -> AsyncIterator[Page]:
        """Every page in turn: the first screen shows while the rest are fetched."""
        marker = ""
        while True:
            page = await self.list_page(container, prefix, marker, delimiter=delimiter, limit=limit)
            yield page
            if page.next_marker is None:
                return
            marker = page.next_marker

    async def account_meta(self) -> dict[str, str]:
        """The account's headers, lower-cased (counts, bytes, X-Account-Meta-*); raw, for the cloud layer."""
        proxy = await self._proxy()
        response = await self.session.run(lambda: checked(proxy.head("", raise_exc=False)))
        return {k.lower(): v for k, v in response.headers.items()}

    async def download(self, container: str, name: str, dest: Path, progress: TransferProgress | None = None,
                       *, resume: bool = True) -> Path:
        """Fetch an object into `dest` through `dest.part`, which a later call resumes with a Range request;
        the whole is checked against the object's MD5 when it is not a large object. Returns `dest`."""
        proxy = await self._proxy()
        loop = asyncio.get_running_loop()
        partial = dest.with_name(dest.name + ".part")
        report = _threadsafe(loop, progress)

        def fetch() -> None:
            have = partial.stat().st_size if resume and partial.exists() else 0
            headers = {"Range": f"bytes={have}-"} if have else {}
            response = proxy.get(f"/{quote(container)}/{quote(name)}", headers=headers, stream=True, raise_exc=False)
            if response.status_code == 416:  # the part is whole already (or the object shrank): start again
                response.close()
                have = 0
                response = proxy.get(f"/{quote(container)}/{quote(name)}", stream=True, raise_exc=False)
            checked(response)
            if have and response.status_code != 206:
                have = 0  # the cloud sent all of it
            length = response.headers.get("Content-Length")
            total = _int(length) + have if length is not None else None
            large = "X-Static-Large-Object" in response.headers or "X-Object-Manifest" in response.headers
            etag = response.headers.get("Etag", "").strip('"')
            digest = hashlib.md5()
            if have:
                with open(partial, "rb") as f:
                    for block in iter(lambda: f.read(CHUNK), b""):
                        digest.update(block)
            done = have
            report(done, total)
            fd = os.open(partial, os.O_WRONLY | os.O_CREAT | (os.O_APPEND if have else os.O_TRUNC), 0o600)
            with os.fdopen(fd, "ab" if have else "wb") as out:
                for block in response.iter_content(CHUNK):
                    out.write(block)
                    digest.update(block)
                    done += len(block)
                    report(done, total)
            if not large and etag and digest.hexdigest() != etag:
                partial.unlink(missing_ok=True)
                raise CloudError(f"download of {printable(name)} does not match its checksum; removed, try again")
            os.replace(partial, dest)

        await self.session.run(fetch)
        return dest


def is_public(read_acl: str) -> bool:
    return any(item.strip().startswith(".r:") and item.strip() != ".r:-*" for item in read_acl.split(","))


def signed_path(endpoint: str, container: str, name: str) -> str:
    """The path Swift signs: from /v1/ on (a RadosGW endpoint has /swift before it)."""
    path = urllib.parse.urlsplit(endpoint).path.rstrip("/")
    at = path.find("/v1/")
    if at < 0:
        raise CloudError("the object-store endpoint has no /v1/ in its path: cannot sign a temporary URL")
    return f"{path[at:]}/{container}/{name}"


def temp_url(endpoint: str, container: str, name: str, key: str, seconds: int, method: str = "GET",
             now: float | None = None, digest: str = "sha256") -> str:
    """A temporary URL for one object, valid `seconds` from now for `method` (HMAC as tempurl.py checks it)."""
    expires = int((now if now is not None else time.time()) + seconds)
    path = signed_path(endpoint, container, name)
    sig = hmac.new(key.encode(), f"{method}\n{expires}\n{path}".encode(), digest).hexdigest()
    base = endpoint.rstrip("/")
    query = urllib.parse.urlencode({"temp_url_sig": sig, "temp_url_expires": expires})
    return f"{base}/{quote(container)}/{quote(name)}?{query}"


def _threadsafe(loop: asyncio.AbstractEventLoop, progress: TransferProgress | None) -> Callable[[int, Any], None]:
    """Progress from a worker thread, handed to the event loop at most every 1% or 0.1 s."""
    if progress is None:
        return lambda done, total: None
    last = [0.0, -1]

    def report(done: int, total: Any) -> None:
        now = time.monotonic()
        step = (total or 0) // 100
        if done == total or now - last[0] >= 0.1 or done - last[1] >= max(step, 1) and now - last[0] >= 0.02:
            last[0], last[1] = now, done
            loop.call_soon_threadsafe(progress, done, total)

    return report

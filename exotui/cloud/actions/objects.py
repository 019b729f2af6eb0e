"""Object storage writes: containers made, emptied and deleted, made public or private; files uploaded with
progress (large ones as a static large object of segments, so an interrupted upload resumes); objects
deleted; temporary URLs (setting the account's key when it has none). Every request goes through `_send`."""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import secrets
from pathlib import Path
from typing import Any

from ..models import printable
from ..objects import PUBLIC_READ, ObjectStore, TransferProgress, _threadsafe, quote, temp_url
from ..session import CloudError
from .base import ActionRefused, ActionResult, ActionsBase, failed

SEGMENT = 64 << 20  # bytes per segment of a large upload
LARGE = 128 << 20  # files above this go up in segments
TEMP_URL_KEY = "x-account-meta-temp-url-key"


class _Slice:
    """`length` bytes of a file from `offset`, read by requests as the request body; counts what it reads.
    Not an io class: requests would ask its position, get none, and send it chunked with no length."""

    def __init__(self, path: Path, offset: int, length: int, on_read):
        self._f = open(path, "rb")
        self._f.seek(offset)
        self._left = length
        self._length = length
        self._on_read = on_read
        self.md5 = hashlib.md5()

    def __len__(self) -> int:
        return self._length

    def read(self, size: int | None = -1) -> bytes:
        if self._left <= 0:
            return b""
        n = self._left if size is None or size < 0 else min(size, self._left)
        block = self._f.read(n)
        self._left -= len(block)
        self.md5.update(block)
        self._on_read(len(block))
        return block

    def close(self) -> None:
        self._f.close()


def _md5_of(path: Path, offset: int, length: int) -> str:
    digest = hashlib.md5()
    with open(path, "rb") as f:
        f.seek(offset)
        left = length
        while left:
            block = f.read(min(left, 1 << 20))
            if not block:
                break
            digest.update(block)
            left -= len(block)
    return digest.hexdigest()


class ObjectActions(ActionsBase):
    @property
    def objects(self) -> ObjectStore:
        return ObjectStore(self.session)

    async def _object_call(self, ident: str, action: str, what: str, method: str, path: str,
                           **extra: Any) -> ActionResult:
        with self._claim(ident, action, what):
            try:
                await self._send("object_store", method, path, **extra)
            except CloudError as err:
                return failed(what, err)
            return ActionResult(True, f"{what}: done")

    async def create_container(self, name: str, *, public: bool = False) -> ActionResult:
        if not name or "/" in name or len(name) > 256:
            raise ActionRefused("a container name is 1 to 256 characters without '/'")
        headers = {"X-Container-Read": PUBLIC_READ} if public else None
        return await self._object_call(name, "create_container", f"create container {printable(name)}", "PUT",
                                       f"/{quote(name)}", headers=headers)

    async def set_container_public(self, name: str, public: bool) -> ActionResult:
        """Public: anyone may read its objects and list it (`.r:*,.rlistings`); private: only the project."""
        headers = {"X-Container-Read": PUBLIC_READ} if public else {"X-Remove-Container-Read": "x"}
        what = f"make container {printable(name)} " + ("public" if public else "private")
        return await self._object_call(name, "set_public", what, "POST", f"/{quote(name)}", headers=headers)

    async def delete_container(self, name: str) -> ActionResult:
        """Delete an empty container (Swift refuses one with objects: 409)."""
        return await self._object_call(name, "delete_container", f"delete container {printable(name)}", "DELETE",
                                       f"/{quote(name)}")

    async def empty_container(self, name: str) -> ActionResult:
        """Delete every object of a container, 1,000 a request through Swift's bulk delete."""
        what = f"empty container {printable(name)}"
        with self._claim(name, "empty_container", what):
            deleted = 0
            try:
                while True:
                    page = await self.objects.list_page(name, delimiter="", limit=1000)
                    if not page.entries:
                        return ActionResult(True, f"{what}: {deleted} objects deleted")
                    body = "\n".join(quote(f"/{name}/{e.api_name}") for e in page.entries).encode()
                    answer = await self._send("object_store", "POST", "", params={"bulk-delete": ""}, data=body,
                                              headers={"Accept": "application/json", "Content-Type": "text/plain"})
                    if not isinstance(answer, dict) or answer.get("Errors"):
                        return ActionResult(False, f"could not {what}: {printable(str(answer))[:200]}")
                    if not answer.get("Number Deleted"):
                        return ActionResult(False, f"could not {what}: the cloud deleted nothing")
                    deleted += int(answer.get("Number Deleted", 0))
            except CloudError as err:
                return failed(what, err)

    async def delete_object(self, container: str, name: str, *, large: bool = False) -> ActionResult:
        """Delete an object; a static large object with its segments (`large`)."""
        params = {"multipart-manifest": "delete"} if large else None
        return await self._object_call(f"{container}/{name}", "delete_object", f"delete {printable(name)}",
                                       "DELETE", f"/{quote(container)}/{quote(name)}", params=params)

    async def upload(self, path: Path, container: str, name: str | None = None,
                     progress: TransferProgress | None = None, *, segment_size: int = SEGMENT,
                     large_above: int = LARGE) -> ActionResult:
        """Upload a local file as `name` (its file name by default). Above `large_above` bytes it goes up in
        segments to `<container>_segments` and a static large object manifest joins them; segments already
        there from an interrupted upload of the same file (same size and time, same MD5) are not sent again."""
        name = name or path.name
        what = f"upload {printable(name)}"
        try:
            stat = path.stat()
        except OSError as err:
            raise ActionRefused(f"cannot read {printable(str(path))}: {err.strerror}") from None
        if self.readonly:  # say so before reading a byte
            raise ActionRefused("read-only: not sent")
        with self._claim(f"{container}/{name}", "upload", what):
            loop = asyncio.get_running_loop()
            report = _threadsafe(loop, progress)
            try:
                if stat.st_size <= large_above:
                    etag = await self._put_slice(container, name, path, 0, stat.st_size, report, 0, stat.st_size)
                    return ActionResult(True, f"{what}: {stat.st_size} bytes", value=etag)
                return await self._upload_large(path, stat, container, name, report, segment_size, what)
            except CloudError as err:
                return failed(what, err)

    async def _put_slice(self, container: str, name: str, path: Path, offset: int, length: int, report,
                         base: int, total: int, headers: dict | None = None) -> str:
        sent = [base]

        def on_read(n: int) -> None:
            sent[0] += n
            report(sent[0], total)

        body = _Slice(path, offset, length, on_read)
        try:
            response = await self._send("object_store", "PUT", f"/{quote(container)}/{quote(name)}", data=body,
                                        raw=True, headers=headers)
        finally:
            body.close()
        etag = response.headers.get("Etag", "").strip('"')
        if etag and etag != body.md5.hexdigest():
            raise CloudError(f"{printable(name)} arrived damaged (checksum differs); upload it again")
        return etag

    async def _upload_large(self, path: Path, stat: os.stat_result, container: str, name: str, report,
                            segment_size: int, what: str) -> ActionResult:
        seg_container = f"{container}_segments"
        prefix = f"{name}/slo/{stat.st_mtime:.6f}/{stat.st_size}/{segment_size}/"
        await self._send("object_store", "PUT", f"/{quote(seg_container)}")
        have: dict[str, tuple[int, str]] = {}
        try:
            async for page in self.objects.pages(seg_container, prefix, delimiter=""):
                have.update({e.api_name: (e.bytes, e.hash) for e in page.entries})
        except CloudError as err:
            if err.status != 404:
                raise
        manifest, resumed = [], 0
        offset = 0
        index = 0
        while offset < stat.st_size:
            length = min(segment_size, stat.st_size - offset)
            seg_name = f"{prefix}{index:08d}"
            old = have.get(seg_name)
            etag = None
            if old is not None and old[0] == length:
                local = await self.session.run(_md5_of, path, offset, length)
                if local == old[1]:
                    etag, resumed = local, resumed + 1
                    report(offset + length, stat.st_size)
            if etag is None:
                etag = await self._put_slice(seg_container, seg_name, path, offset, length, report, offset,
                                             stat.st_size)
            manifest.append({"path": f"/{seg_container}/{seg_name}", "etag": etag, "size_bytes": length})
            offset += length
            index += 1
        response = await self._send("object_store", "PUT", f"/{quote(container)}/{quote(name)}",
                                    params={"multipart-manifest": "put"}, raw=True,
                                    data=json.dumps(manifest).encode())
        etag = response.headers.get("Etag", "").strip('"')
        note = f", {resumed} of {len(manifest)} segments already there" if resumed else ""
        return ActionResult(True, f"{what}: {stat.st_size} bytes in {len(manifest)} segments{note}", value=etag)

    async def temp_url(self, container: str, name: str, seconds: int, method: str = "GET") -> ActionResult:
        """A temporary URL for one object; the account's Temp-URL-Key is set first if it has none (a write)."""
        if seconds <= 0:
            raise ActionRefused("a temporary URL needs a lifetime in seconds")
        what = f"temporary URL for {printable(name)}"
        try:
            meta = await self.objects.account_meta()
            key = meta.get(TEMP_URL_KEY) or meta.get(TEMP_URL_KEY + "-2")
            if not key:
                key = secrets.token_urlsafe(32)
                await self._send("object_store", "POST", "", headers={"X-Account-Meta-Temp-URL-Key": key},
                                 secret=True)
            endpoint = await self.objects.endpoint()
        except CloudError as err:
            return failed(what, err)
        return ActionResult(True, f"{what}: valid {seconds} s", value=temp_url(endpoint, container, name, key,
                                                                                seconds, method))

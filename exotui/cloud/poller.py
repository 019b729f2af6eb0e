"""Adaptive refresh of one project: everything at once on start, then servers incrementally.

Servers are polled with Nova's `changes-since`, the cursor taken from the cloud's own `updated`
times (and its Date header), never the local clock: an idle project costs an empty list per poll.
Polls never overlap (each one is awaited before the next is timed); they come fast while anything
is in transition or an action is pending, slowly otherwise, and back off while the cloud fails.
"""

from __future__ import annotations

import asyncio
import calendar
import time
from dataclasses import dataclass
from typing import Awaitable, Callable

from .models import (Allocation, printable, Flavor, FloatingIP, Image, Keypair, Network, Port, Quota, Router, SecurityGroup,
                     Server, Subnet, Volume)
from .session import FLAVOR_MV, CloudError, CloudSession
from .store import KINDS, ProjectStore


@dataclass
class Intervals:
    fast: float = 1.5  # while something moves
    idle: float = 15.0  # servers when all is still
    others: float = 60.0  # every other kind
    max_backoff: float = 60.0


def _quota_lines(service: str, body: dict, used_key: str) -> list[Quota]:
    lines = []
    for resource, value in body.items():
        if isinstance(value, dict) and "limit" in value:
            lines.append(Quota(service, resource, int(value.get("limit") or 0), int(value.get(used_key) or 0)))
    return lines


async def fetch_quotas(session: CloudSession) -> list[Quota]:
    await session.connection()
    project_id = session.project_id
    compute, network, volume = await asyncio.gather(
        session.get_json("compute", f"/os-quota-sets/{project_id}/detail"),
        session.get_json("network", f"/quotas/{project_id}/details"),
        session.get_json("block_storage", f"/os-quota-sets/{project_id}", params={"usage": "true"}),
        return_exceptions=True)
    lines: list[Quota] = []
    for service, body, outer, used in (("compute", compute, "quota_set", "in_use"), ("network", network, "quota", "used"),
                                       ("volume", volume, "quota_set", "in_use")):
        if isinstance(body, BaseException):
            if isinstance(body, CloudError):
                continue  # a service without quotas for us; the others still count
            raise body
        lines += _quota_lines(service, body.get(outer) or {}, used)
    return lines


async def fetch_allocations(session: CloudSession) -> list[Allocation]:
    url = await session.endpoint("accounting")
    if not url:
        return []
    rows = await session.get_url(url)
    return [Allocation(printable(str(r.get("resource", ""))), float(r.get("service_units_allocated") or 0),
                       float(r.get("service_units_used") or 0), printable(str(r.get("start_date") or "")),
                       printable(str(r.get("end_date") or "")), printable(str(r.get("description") or "")))
            for r in rows if isinstance(r, dict)] if isinstance(rows, list) else []


def _lister(service: str, path: str, key: str, model, params: dict | None = None, mv: str | None = None):
    async def fetch(session: CloudSession) -> list:
        page = await session.get_list(service, path, key, params=params, microversion=mv)
        return [model.from_api(item) for item in page.items if isinstance(item, dict)]
    return fetch


FETCHERS: dict[str, Callable[[CloudSession], Awaitable[list]]] = {
    "flavors": _lister("compute", "/flavors/detail", "flavors", Flavor, mv=FLAVOR_MV),
    "images": _lister("image", "/images", "images", Image, params={"limit": 1000}),
    "volumes": _lister("block_storage", "/volumes/detail", "volumes", Volume),
    "networks": _lister("network", "/networks", "networks", Network),
    "subnets": _lister("network", "/subnets", "subnets", Subnet),
    "routers": _lister("network", "/routers", "routers", Router),
    "ports": _lister("network", "/ports", "ports", Port),
    "floating_ips": _lister("network", "/floatingips", "floatingips", FloatingIP),
    "security_groups": _lister("network", "/security-groups", "security_groups", SecurityGroup),
    "keypairs": _lister("compute", "/os-keypairs", "keypairs", Keypair),
    "quotas": fetch_quotas,
    "allocations": fetch_allocations,
}


def parse_updated(text: str) -> float | None:
    """Nova's `updated` ("2026-11-21T23:20:14Z") as seconds since the epoch."""
    try:
        return float(calendar.timegm(time.strptime(text[:19], "%Y-%m-%dT%H:%M:%S")))
    except ValueError:
        return None


def format_cursor(seconds: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(seconds))


class ProjectPoller:
    """Keeps one ProjectStore fresh from one CloudSession. `await start()`, then `stop()`."""

    def __init__(self, session: CloudSession, store: ProjectStore, intervals: Intervals | None = None):
        self.session = session
        self.store = store
        self.intervals = intervals or Intervals()
        self.cursor: float | None = None  # the cloud's time from which to ask for changes
        self.pending: set[str] = set()  # server IDs with an action in flight (cloud.actions sets them)
        self.polls = 0
        self.bytes_polled = 0
        self._wake = asyncio.Event()
        self._task: asyncio.Task | None = None
        self._others_due = 0.0
        self._failures = 0
        self._refresh_kinds: set[str] = set()

    # --- one round of each ------------------------------------------------------------------

    async def load_all(self, kinds=KINDS) -> None:
        """Fetch every kind at once (not one after another); each failure is recorded on its kind."""
        await asyncio.gather(*(self._load(kind) for kind in kinds))

    async def _load(self, kind: str) -> None:
        try:
            if kind == "servers":
                await self._full_servers()
            else:
                sent = time.monotonic()
                self.store.replace(kind, await FETCHERS[kind](self.session), as_of=sent)
        except CloudError as err:
            self.store.failed(kind, err.message)
        except (ValueError, TypeError, KeyError) as err:  # an answer we could not read
            self.store.failed(kind, f"unreadable {kind} answer: {type(err).__name__}")

    async def _full_servers(self) -> None:
        await self.session.connection()
        sent = time.monotonic()
        page = await self.session.get_list("compute", "/servers/detail", "servers",
                                           microversion=self.session.compute_mv)
        servers = [Server.from_api(item) for item in page.items if isinstance(item, dict)]
        self.store.replace("servers", [s for s in servers if not s.deleted], as_of=sent)
        self._advance_cursor(servers, page.cloud_time)

    async def poll_servers(self) -> None:
        """One incremental poll: only servers changed since the cursor (deleted ones arrive DELETED)."""
        if self.cursor is None:
            await self._full_servers()
            return
        sent = time.monotonic()
        page = await self.session.get_list("compute", "/servers/detail", "servers",
                                           params={"changes-since": format_cursor(self.cursor)},
                                           microversion=self.session.compute_mv)
        self.polls += 1
        self.bytes_polled += page.size
        servers = [Server.from_api(item) for item in page.items if isinstance(item, dict)]
        self.store.merge("servers", [s for s in servers if not s.deleted], [s.id for s in servers if s.deleted],
                         as_of=sent)
        self._advance_cursor(servers, page.cloud_time)

    def _advance_cursor(self, servers: list[Server], cloud_time: float | None) -> None:
        newest = max((t for t in (parse_updated(s.updated) for s in servers) if t is not None), default=None)
        cursor = max(c for c in (self.cursor, newest, 0.0) if c is not None)
        # Nova compares whole seconds with >=, so the newest second comes back every poll. Once the
        # cloud's clock is past that second, nothing new can carry it: step over it.
        if cloud_time is not None and cursor < cloud_time - 1:
            cursor += 1
        self.cursor = cursor

    # --- the loop ------------------------------------------------------------------------------

    def busy(self) -> bool:
        return bool(self.pending) or any(s.in_transition for s in self.store.get("servers").values())

    def kick(self, *kinds: str) -> None:
        """Poll now (after an action); `kinds` other than servers are fetched again too."""
        self._refresh_kinds.update(k for k in kinds if k != "servers")
        self._wake.set()

    def next_delay(self) -> float:
        base = self.intervals.fast if self.busy() else self.intervals.idle
        if self._failures:
            return min(self.intervals.max_backoff, self.intervals.fast * 2 ** self._failures)
        return base

    async def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name=f"poller {self.store.key}")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
            self._task = None

    async def _sleep(self, seconds: float) -> None:
        """Wait for `seconds` or a kick. Not wait_for: on Python 3.11 it can swallow the cancel
        that stop() sends when a kick lands in the same loop step (CPython gh-86296)."""
        waiter = asyncio.ensure_future(self._wake.wait())
        try:
            await asyncio.wait({waiter}, timeout=seconds)
        finally:
            waiter.cancel()

    async def _run(self) -> None:
        await self.load_all()
        self._others_due = time.monotonic() + self.intervals.others
        while True:
            await self._sleep(self.next_delay())
            self._wake.clear()
            try:
                await self.poll_servers()
                self._failures = 0
            except CloudError as err:
                self._failures += 1
                self.store.failed("servers", err.message)
            kinds = set(self._refresh_kinds)
            self._refresh_kinds.clear()
            if time.monotonic() >= self._others_due:
                kinds.update(k for k in KINDS if k != "servers")
                self._others_due = time.monotonic() + self.intervals.others
            if kinds:
                await self.load_all(sorted(kinds))

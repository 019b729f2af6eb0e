"""Adaptive refresh of one project: everything at once on start, then servers incrementally.

Servers are polled with Nova's `changes-since`, the cursor taken from the cloud's own `updated`
times (and its Date header), never the local clock: an idle project costs an empty list per poll.
Polls never overlap (each one is awaited before the next is timed); they come fast while anything
is in transition or an action is pending, slowly otherwise, and back off while the cloud fails.

`changes-since` only tells what changed while the poller was listening: a server deleted during an
outage, behind an API restart or longer ago than Nova keeps deleted rows never comes back as DELETED.
So an incremental poll is trusted only right after a good poll, within `max_gap` of it, under the same
token; otherwise the poll is a full list (every kind), and a cheap ID-only check runs every
`reconcile` seconds anyway. What the user is looking at (`watch`) is polled every `idle` seconds.
"""

from __future__ import annotations

import asyncio
import calendar
import time
from dataclasses import dataclass
from typing import Any, Awaitable, Callable

from .clusters import fetch_clusters
from .models import (
    Allocation,
    Flavor,
    FloatingIP,
    Image,
    Keypair,
    Network,
    Port,
    Quota,
    Router,
    SecurityGroup,
    Server,
    ServerGroup,
    Subnet,
    Volume,
    VolumeSnapshot,
    printable,
)
from .session import FLAVOR_MV, CloudError, CloudSession, Page
from .shares import fetch_shares
from .stacks import fetch_stacks
from .store import KINDS, ProjectStore


@dataclass
class Intervals:
    fast: float = 1.5  # while something moves
    idle: float = 3.5  # servers and the watched kinds of the project on screen, when all is still
    background: float = 15.0  # servers of a project not on screen
    others: float = 300.0  # kinds not on screen (a full list: also their reconciliation); shown ones: `idle`
    max_backoff: float = 60.0
    reconcile: float = 300.0  # servers' IDs checked against a full list at least this often
    # A longer gap between two good polls and changes-since may have lost deletions (Nova purges
    # deleted rows on the operator's schedule; a suspended laptop or a blocked loop makes gaps too).
    max_gap: float = 120.0
    deadline: float = 4.0  # a poll unanswered this long has failed: the project is stale, not live

# What a project shows on screen by default (a poller nobody told otherwise is being looked at)
WATCHED = frozenset({"servers", "floating_ips"})


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
    for service, body, outer, used in (("compute", compute, "quota_set", "in_use"),
                                       ("network", network, "quota", "used"),
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
                       printable(str(r.get("end_date") or "")), printable(str(r.get("description") or "")),
                       active=r.get("active") not in (0, "0", False))
            for r in rows if isinstance(r, dict)] if isinstance(rows, list) else []


@dataclass(frozen=True)
class Lister:
    """A full list of one kind as raw JSON (`page`), made into models apart (`models`), so that an answer
    the same as the last one can skip both parsing and the store's diff."""

    service: str
    path: str
    key: str
    model: Any
    params: dict | None = None
    mv: str | None = None

    async def page(self, session: CloudSession) -> Page:
        return await session.get_list(self.service, self.path, self.key, params=self.params, microversion=self.mv)

    def models(self, page: Page) -> list:
        return [self.model.from_api(item) for item in page.items if isinstance(item, dict)]

    async def __call__(self, session: CloudSession) -> list:
        return self.models(await self.page(session))


def _lister(service: str, path: str, key: str, model, params: dict | None = None, mv: str | None = None) -> Lister:
    return Lister(service, path, key, model, params, mv)


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
    "volume_snapshots": _lister("block_storage", "/snapshots/detail", "snapshots", VolumeSnapshot),
    # no microversion: every Nova answers `policies` (2.1) and the model reads both shapes
    "server_groups": _lister("compute", "/os-server-groups", "server_groups", ServerGroup),
    "stacks": fetch_stacks,  # none (not an error) where the catalog has no Heat
    "shares": fetch_shares,  # none where the catalog has no Manila; each share's export path read once
    "clusters": fetch_clusters,  # none where the catalog has no Magnum (cloud/clusters.py)
}


# One item by ID, for the re-check after an action was answered 404 (servers: their microversion)
SINGLE = {
    "volumes": ("block_storage", "/volumes/{}", "volume", Volume),
    "floating_ips": ("network", "/floatingips/{}", "floatingip", FloatingIP),
    "ports": ("network", "/ports/{}", "port", Port),
    "security_groups": ("network", "/security-groups/{}", "security_group", SecurityGroup),
    "networks": ("network", "/networks/{}", "network", Network),
    "subnets": ("network", "/subnets/{}", "subnet", Subnet),
    "routers": ("network", "/routers/{}", "router", Router),
    "images": ("image", "/images/{}", None, Image),
    "volume_snapshots": ("block_storage", "/snapshots/{}", "snapshot", VolumeSnapshot),
    "server_groups": ("compute", "/os-server-groups/{}", "server_group", ServerGroup),
}


@dataclass(frozen=True)
class Incremental:
    """A kind that can be large (a port per instance, a volume per run) and is listed incrementally: what
    changed since the last list (the cloud's own filter on its update times), and an ID-only list to see
    what is gone. A cloud that refuses the filter gets full lists."""

    service: str
    path: str  # the full list
    key: str
    model: Any
    ids_path: str  # a cheap list of every ID
    ids_params: dict
    since: Callable[[str], dict]  # the query for "updated at or after" this time
    mv: str | None = None


INCREMENTAL = {
    # Neutron's standard-attr-timestamp: updated_at >= changed_since; `fields=id` for the IDs
    "ports": Incremental("network", "/ports", "ports", Port, "/ports", {"fields": "id"},
                         lambda when: {"changed_since": when}),
    # Cinder's time comparison filters (3.60): updated_at=gte:...; the summary list (id, name) for the IDs.
    # A volume never updated has a null updated_at and matches no comparison: a new ID means a full list.
    "volumes": Incremental("block_storage", "/volumes/detail", "volumes", Volume, "/volumes", {},
                           lambda when: {"updated_at": f"gte:{when}"}, mv="3.60"),
}


def parse_updated(text: str) -> float | None:
    """Nova's `updated` ("2026-11-21T23:20:14Z") as seconds since the epoch."""
    try:
        return float(calendar.timegm(time.strptime(text[:19], "%Y-%m-%dT%H:%M:%S")))
    except ValueError:
        return None


def format_cursor(seconds: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(seconds))


class PollTimeout(CloudError):
    """A poll the cloud did not answer within the poll deadline (the request may still be under way)."""


async def within(seconds: float, awaitable):
    """`awaitable`'s result, or PollTimeout after `seconds`. Not wait_for (see ProjectPoller._sleep)."""
    task = asyncio.ensure_future(awaitable)
    try:
        done, _ = await asyncio.wait({task}, timeout=seconds)
    except asyncio.CancelledError:
        task.cancel()
        raise
    if not done:
        task.cancel()
        raise PollTimeout(f"no answer from the cloud in {seconds:g} s")
    return task.result()


class ProjectPoller:
    """Keeps one ProjectStore fresh from one CloudSession. `await start()`, then `stop()`."""

    def __init__(self, session: CloudSession, store: ProjectStore, intervals: Intervals | None = None):
        self.session = session
        self.store = store
        self.intervals = intervals or Intervals()
        self.cursor: float | None = None  # the cloud's time from which to ask for changes
        self.pending: set[str] = set()  # server IDs with an action in flight (cloud.actions sets them)
        self.polls = 0
        self.full_lists = 0  # full server lists (first load, lost trust, reconciliation finding a gap)
        self.bytes_polled = 0
        self.watched: frozenset[str] = WATCHED
        self._wake = asyncio.Event()
        self._task: asyncio.Task | None = None
        self._others_due = 0.0
        self._watch_due = 0.0
        self._reconcile_due = 0.0
        self._failures = 0
        self._refresh_kinds: set[str] = set()
        self._trusted = False  # may the next poll be incremental (see the module's docstring)?
        self._last_good: float | None = None  # monotonic time of the last good server poll
        self._auth_seen: object | None = None  # the token the last good poll used
        self._full_wanted = False
        self._others_task: asyncio.Task | None = None  # the other kinds' lists, beside the server loop
        # servers in a transitional state, kept up to date from the store's changes: busy() runs every
        # poll and every second in the header, and looking through 1,000 servers each time cost more
        # than the polls themselves
        self._moving: set[str] = set()
        self._since: dict[str, float | None] = {}  # INCREMENTAL kind -> the cloud's time of its last list
        self._no_changed_since: set[str] = set()  # INCREMENTAL kinds whose filter this cloud refuses
        self._answers: dict[str, tuple[bytes, int]] = {}  # kind -> (digest of its last full list, store version after)
        store.subscribe(self._track_moving)

    # --- one round of each ------------------------------------------------------------------

    async def load_all(self, kinds=KINDS) -> None:
        """Fetch every kind at once (not one after another); each failure is recorded on its kind."""
        await asyncio.gather(*(self._load(kind) for kind in kinds))

    async def _load(self, kind: str) -> None:
        try:
            if kind == "servers":
                await self._full_servers()
            elif kind in INCREMENTAL and kind not in self._no_changed_since:
                await self._incremental_list(kind)
            else:
                await self._full_list(kind)
        except CloudError as err:
            if kind == "servers":
                self.distrust()
            self.store.failed(kind, err.message)
        except (ValueError, TypeError, KeyError) as err:  # an answer we could not read
            if kind == "servers":
                self.distrust()
            self.store.failed(kind, f"unreadable {kind} answer: {type(err).__name__}")

    async def _full_list(self, kind: str) -> None:
        sent = time.monotonic()
        fetch = FETCHERS[kind]
        if not isinstance(fetch, Lister):
            self.store.replace(kind, await fetch(self.session), as_of=sent)
            return
        page = await fetch.page(self.session)
        state = self.store.state(kind)
        # The very answer of the last list, and the store not changed since (by an action's fetch, say):
        # the store still equals it. Watched kinds are listed every few seconds; most answers are these.
        if self._answers.get(kind) == (page.digest, state.version) and state.last_error is None:
            self.store.unchanged(kind)
            return
        models = fetch.models(page)
        self.store.replace(kind, models, as_of=sent)
        held = self.store.get(kind)
        if len(held) == len(models) and all(held.get(m.id) is m for m in models):  # nothing newer kept over it
            self._answers[kind] = (page.digest, state.version)
        else:
            self._answers.pop(kind, None)

    async def _full_servers(self) -> None:
        await self.session.connection()
        sent = time.monotonic()
        page = await self.session.get_list("compute", "/servers/detail", "servers",
                                           microversion=self.session.compute_mv)
        servers = [Server.from_api(item) for item in page.items if isinstance(item, dict)]
        self.store.replace("servers", [s for s in servers if not s.deleted], as_of=sent)
        self.full_lists += 1
        self.cursor = None  # a new continuity starts here
        self._advance_cursor(servers, page.cloud_time)
        self._good(sent)

    async def _incremental_list(self, kind: str) -> None:
        """A large kind (INCREMENTAL): only what changed since the last list, and the IDs to see what is
        gone; a full list the first time, after lost trust, when an ID appears that the changes did not
        bring, or where the cloud refuses the filter."""
        how = INCREMENTAL[kind]
        since = self._since.get(kind)
        sent = time.monotonic()
        if since is None or not self._trusted or not self.store.state(kind).loaded:
            page = await self.session.get_list(how.service, how.path, how.key)
            self.store.replace(kind, [how.model.from_api(i) for i in page.items if isinstance(i, dict)], as_of=sent)
            self._since[kind] = page.cloud_time
            return
        ids = await self.session.get_list(how.service, how.ids_path, how.key, params=dict(how.ids_params))
        try:
            changed = await self.session.get_list(how.service, how.path, how.key,
                                                  params=how.since(format_cursor(since - 1)), microversion=how.mv)
        except CloudError as err:
            if err.status not in (400, 404, 406):
                raise
            self._no_changed_since.add(kind)  # no such filter (or microversion) here: full lists from now on
            self._since.pop(kind, None)
            await self._load(kind)
            return
        items = [how.model.from_api(i) for i in changed.items if isinstance(i, dict)]
        present = {i.get("id") for i in ids.items if isinstance(i, dict)}
        if present - set(self.store.get(kind)) - {item.id for item in items}:
            self._since.pop(kind, None)  # new, and not among the changes (never updated): list them all
            await self._incremental_list(kind)
            return
        gone = [ident for ident in self.store.get(kind) if ident not in present]
        self.store.merge(kind, items, gone, as_of=sent)
        self._since[kind] = ids.cloud_time or since

    def _good(self, sent: float) -> None:
        self._trusted = True
        self._last_good = sent
        self._auth_seen = self.session.auth_marker()

    def incremental_ok(self) -> bool:
        """May changes-since be trusted for the next poll? Only with an unbroken chain of good polls
        under one token, each within `max_gap` of the last."""
        return (self.cursor is not None and self._trusted and not self._full_wanted and self._last_good is not None
                and time.monotonic() - self._last_good <= self.intervals.max_gap)

    def distrust(self) -> None:
        """The next server poll is a full list, and every other kind is fetched again with it."""
        self._trusted = False
        self._since.clear()

    async def poll_servers(self) -> None:
        """One poll: only servers changed since the cursor (deleted ones arrive DELETED), or a full list
        of every kind when changes-since cannot be trusted."""
        if not self.incremental_ok():
            await self._full_again()
            return
        sent = time.monotonic()
        page = await self.session.get_list("compute", "/servers/detail", "servers",
                                           params={"changes-since": format_cursor(self.cursor)},
                                           microversion=self.session.compute_mv)
        self.polls += 1
        self.bytes_polled += page.size
        if self.session.auth_marker() is not self._auth_seen:
            # a new token since the last poll (expired, or refused by a restarted API): the cloud
            # behind it may not be the one the cursor was taken from
            await self.session.keep_login()
            await self._full_again()
            return
        servers = [Server.from_api(item) for item in page.items if isinstance(item, dict)]
        self.store.merge("servers", [s for s in servers if not s.deleted], [s.id for s in servers if s.deleted],
                         as_of=sent)
        self._advance_cursor(servers, page.cloud_time)
        self._good(sent)

    async def _full_again(self) -> None:
        first = self.cursor is None and not self.store.state("servers").loaded
        self._full_wanted = False
        self._since.clear()  # the other kinds' full lists too
        await self._full_servers()
        if not first:
            self._refresh_kinds.update(k for k in KINDS if k != "servers")
        self._reconcile_due = time.monotonic() + self.intervals.reconcile

    async def reconcile_servers(self) -> None:
        """The cheap full check: every server ID the cloud has (no details). Gone ones leave the store;
        unknown ones mean changes-since missed something, and a full list follows."""
        sent = time.monotonic()
        page = await self.session.get_list("compute", "/servers", "servers")
        ids = {item.get("id") for item in page.items if isinstance(item, dict)}
        stored = set(self.store.get("servers"))
        self._reconcile_due = time.monotonic() + self.intervals.reconcile
        if ids - stored:
            await self._full_again()
        elif stored - ids:
            self.store.merge("servers", [], sorted(stored - ids), as_of=sent)

    async def recheck(self, kind: str, ident: str) -> None:
        """After an action was answered 404: fetch that one item now; remove it if the cloud has it no more."""
        if kind == "servers":
            where = ("compute", "/servers/{}", "server", Server)
        else:
            where = SINGLE.get(kind)
        if where is None:
            self.kick(kind)
            return
        service, path, key, model = where
        path = path.format(ident)
        sent = time.monotonic()
        try:
            body = await self.session.get_json(service, path, microversion=self.session.compute_mv
                                               if service == "compute" else None)
            item = model.from_api((body.get(key) if key else body) or {})
        except CloudError as err:
            if err.status != 404:
                raise
            item = None
        if item is None or getattr(item, "deleted", False):
            self.store.merge(kind, [], [ident], as_of=sent)
        else:
            self.store.merge(kind, [item], as_of=sent)

    def _advance_cursor(self, servers: list[Server], cloud_time: float | None) -> None:
        newest = max((t for t in (parse_updated(s.updated) for s in servers) if t is not None), default=None)
        cursor = max(c for c in (self.cursor, newest, 0.0) if c is not None)
        # Nova compares whole seconds with >=, so the newest second comes back every poll. Once the
        # cloud's clock is past that second, nothing new can carry it: step over it.
        if cloud_time is not None and cursor < cloud_time - 1:
            cursor += 1
        self.cursor = cursor

    # --- the loop ------------------------------------------------------------------------------

    def _track_moving(self, change) -> None:
        if change.kind != "servers":
            return
        self._moving -= change.removed
        for ident in change.added | change.updated:
            server = self.store.item("servers", ident)
            if server is not None and server.in_transition:
                self._moving.add(ident)
            else:
                self._moving.discard(ident)

    def busy(self) -> bool:
        return bool(self.pending) or bool(self._moving)

    def kick(self, *kinds: str) -> None:
        """Poll now (after an action); `kinds` other than servers are fetched again too."""
        self._refresh_kinds.update(k for k in kinds if k != "servers")
        self._wake.set()

    def refresh_all(self) -> None:
        """What ctrl+r asks: a full list of every kind now, the store made equal to the cloud."""
        self._full_wanted = True
        self.kick(*KINDS)

    def watch(self, kinds) -> None:
        """The kinds on screen (empty: this project is not shown). Watched kinds are listed every `idle`
        seconds; servers of an unwatched project every `background` seconds."""
        kinds = frozenset(kinds)
        if kinds != self.watched:
            newly = kinds - self.watched
            self.watched = kinds
            if newly - {"servers"}:
                self._watch_due = 0.0
                self._wake.set()

    def next_delay(self) -> float:
        if self._failures:
            return min(self.intervals.max_backoff, self.intervals.fast * 2 ** self._failures)
        if self.busy():
            return self.intervals.fast
        return self.intervals.idle if "servers" in self.watched else self.intervals.background

    async def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name=f"poller {self.store.key}")

    async def stop(self) -> None:
        for task in (self._others_task, self._task):
            if task is not None:
                task.cancel()
                try:
                    await task
                except asyncio.CancelledError:
                    pass
        self._others_task = self._task = None

    async def _sleep(self, seconds: float) -> None:
        """Wait for `seconds` or a kick. Not wait_for: on Python 3.11 it can swallow the cancel
        that stop() sends when a kick lands in the same loop step (CPython gh-86296)."""
        waiter = asyncio.ensure_future(self._wake.wait())
        try:
            await asyncio.wait({waiter}, timeout=seconds)
        finally:
            waiter.cancel()

    def _full_deadline(self) -> float:
        """A full list of thousands of items may take a while on a real cloud."""
        return max(30.0, self.intervals.deadline * 8)

    async def _run(self) -> None:
        # everything at once; the server loop goes on while the other kinds load (a slow list of ports
        # must not hold back the polls that tell whether the cloud still answers)
        self._others_task = asyncio.ensure_future(self._load_within([k for k in KINDS if k != "servers"]))
        try:
            await within(self._full_deadline(), self.load_all(["servers"]))
        except PollTimeout as err:
            self.distrust()
            self.store.failed("servers", err.message)
        now = time.monotonic()
        self._others_due = now + self.intervals.others
        self._watch_due = now + self.intervals.idle
        self._reconcile_due = now + self.intervals.reconcile
        while True:
            await self._sleep(self.next_delay())
            self._wake.clear()
            # an incremental poll is small: past its deadline the cloud is not answering
            deadline = self.intervals.deadline if self.incremental_ok() else self._full_deadline()
            try:
                await within(deadline, self.poll_servers())
                if time.monotonic() >= self._reconcile_due:
                    await within(self._full_deadline(), self.reconcile_servers())
                self._failures = 0
            except CloudError as err:
                self._failures += 1
                self.distrust()  # what happened while we could not see is unknown
                self.store.failed("servers", err.message)
            now = time.monotonic()
            if now >= self._others_due:
                self._refresh_kinds.update(k for k in KINDS if k != "servers")
                self._others_due = now + self.intervals.others
            if now >= self._watch_due and not self._failures:
                self._refresh_kinds.update(k for k in self.watched if k != "servers")
                self._watch_due = now + self.intervals.idle
            if self._refresh_kinds and self._others_task.done():  # else they wait for the next round
                kinds = sorted(self._refresh_kinds)
                self._refresh_kinds.clear()
                self._others_task = asyncio.ensure_future(self._load_within(kinds))

    async def _load_within(self, kinds: list[str]) -> None:
        try:
            await within(self._full_deadline(), self.load_all(kinds))
        except PollTimeout as err:
            for kind in kinds:
                self.store.failed(kind, err.message)

"""What every service's actions share: the one door of every write (`_send`), the one in-flight guard
(`_claim`), and following a resource through the store until an action on it settles.

Every action is checked locally first and refused with ActionRefused before anything is sent; an identical
action already under way is refused too (InFlight), so a double key press never sends twice. What the cloud
answers arrives as an ActionResult in plain words: a 409 or a quota 403 is a failed result carrying the
cloud's message, never a traceback, and nothing is resent. Progress is read from the store, which the
poller keeps fresh (fast while `poller.pending` names the server).

Read-only (`exotui --readonly`, or `exotui: {readonly: true}` for the cloud in clouds.yaml): `_send`, which
every write goes through, refuses each one with READ_ONLY before anything leaves; reads still work.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass
from typing import Any, Awaitable, Callable, Iterator

from ..models import SecurityGroup, Server, Volume
from ..poller import ProjectPoller
from ..rules import CloudRules
from ..session import CloudError, CloudSession
from ..store import Change, ProjectStore

Progress = Callable[[str], Any]

LOST_ANSWER_WAIT = 60.0  # how long an action whose answer was lost is watched for a sign it was done
DEFAULT_TIMEOUT = 900.0  # Jetstream2 says shelving can take "up to ~15ish minutes"
READ_ONLY = "read-only: not sent"


@dataclass(frozen=True)
class ActionResult:
    """How an action ended. `still_running`: it had not settled when the wait ran out."""

    ok: bool
    message: str
    status: str | None = None  # the resource's status at the end
    task_state: str | None = None
    still_running: bool = False
    http_status: int | None = None  # set when the cloud refused the request
    value: Any = None  # what the action made: image ID, server IDs, volume ID, FloatingIP, rule ID, console text


class ActionRefused(Exception):
    """Refused locally, before anything was sent; `reason` says why in the user's words."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class InFlight(ActionRefused):
    """The same action on the same resource is under way already (a double key press): nothing is sent."""

    def __init__(self, what: str):
        super().__init__(f"{what}: already in progress")
        self.what = what


def where(server: Server) -> str:
    """Its status, with the task under way: "ACTIVE · rebooting"."""
    return server.status + (f" · {server.task_state}" if server.task_state else "")


def made(label: str, done: str) -> Callable[[Any], ActionResult | None]:
    """The judge of a Cinder create (a volume, a snapshot): pending while absent or `creating`; then `done`
    ("volume data created") if available, else the status it settled in. The value is its ID."""

    def judge(item: Any) -> ActionResult | None:
        if item is None or item.status == "creating":
            return None
        ok = item.status == "available"
        return ActionResult(ok, f"{label} " + (done if ok else f"is {item.status}"), item.status, value=item.id)

    return judge


def failed(what: str, err: CloudError, status: str | None = None) -> ActionResult:
    if err.answer_lost:  # it went out: the cloud may have done it, and the poller will show it if so
        return ActionResult(False, f"{what}: {err.message}; it may have been done (not sent again): "
                                   "the tables show what the cloud did", status, still_running=True)
    return ActionResult(False, f"could not {what}: {err.message}", status, http_status=err.status)


# the first segment of an action's path -> the store's kind it acts on
_PATH_KINDS = {"servers": "servers", "volumes": "volumes", "floatingips": "floating_ips", "ports": "ports",
               "security-groups": "security_groups", "security-group-rules": "security_group_rules",
               "snapshots": "volume_snapshots", "images": "images", "routers": "routers", "os-keypairs": "keypairs",
               "shares": "shares", "clusters": "clusters"}


class ActionsBase:
    """One project's session, store and poller, and the machinery each service's actions use."""

    def __init__(self, session: CloudSession, store: ProjectStore, poller: ProjectPoller, *,
                 cloud_rules: CloudRules | None = None, timeout: float = DEFAULT_TIMEOUT, readonly: bool = False):
        self.session = session
        self.readonly = readonly  # every write refused before it is sent (READ_ONLY)
        self.store = store
        self.poller = poller
        self.cloud_rules = cloud_rules
        self.timeout = timeout
        self.in_flight: set[tuple[str, str]] = set()  # (resource ID, action) under way: the one guard

    def busy(self, ident: str, action: str) -> bool:
        """Is `action` on `ident` under way now?"""
        return (ident, action) in self.in_flight

    @contextlib.contextmanager
    def _claim(self, ident: str, action: str, what: str) -> Iterator[None]:
        # checked and taken before the first await: a second press sees the first one's claim
        if (ident, action) in self.in_flight:
            raise InFlight(what)
        self.in_flight.add((ident, action))
        try:
            yield
        finally:
            self.in_flight.discard((ident, action))

    async def _send(self, service: str, method: str, path: str, body: Any = None, mv: str | None = None,
                    *, write: bool = True, **extra: Any) -> Any:
        """Every request that may change something goes through here (`write=False`: a read that has to be
        a POST, like the console log), so read-only mode refuses it here, before it is sent. `extra` goes to
        `CloudSession.request` (object storage's headers, params, data, raw; `secret`)."""
        if write and self.readonly:
            raise ActionRefused(READ_ONLY)
        if service == "compute":
            mv = self.session.compute_mv
        try:
            return await self.session.request(service, method, path, json=body, microversion=mv, **extra)
        except CloudError as err:
            if err.status == 404:
                await self._gone(path)
            raise

    async def _gone(self, path: str) -> None:
        """The cloud answered 404 about `path`: re-check the resource it names at once, so a row the
        cloud no longer has leaves the table now rather than at the next full list."""
        parts = path.strip("/").split("/")
        if len(parts) < 2:
            return
        kind = _PATH_KINDS.get(parts[0])
        if kind is None:
            return
        if kind == "security_group_rules":  # a rule lives in its group: list the groups again
            self.poller.kick("security_groups")
            return
        with contextlib.suppress(CloudError):  # else the poller's reconciliation removes it later
            await self.poller.recheck(kind, parts[1])

    async def _refresh(self, kind: str, ident: str) -> Any | None:
        """Fetch one resource now into the store; None (and removed from the store) if it is gone."""
        model: Any
        service, path, key, model = {
            "servers": ("compute", f"/servers/{ident}", "server", Server),
            "volumes": ("block_storage", f"/volumes/{ident}", "volume", Volume),
            "security_groups": ("network", f"/security-groups/{ident}", "security_group", SecurityGroup),
        }[kind]
        sent = time.monotonic()
        try:
            body = await self.session.get_json(service, path, microversion=self.session.compute_mv
                                               if service == "compute" else None)
            item = model.from_api(body.get(key) or {})
        except CloudError as err:
            if err.status != 404:
                raise
            item = None
        if item is None or (kind == "servers" and item.deleted):
            self.store.merge(kind, [], [ident], as_of=sent)
            return None
        self.store.merge(kind, [item], as_of=sent)
        return self.store.item(kind, ident)

    async def _try_refresh(self, kind: str, ident: str) -> None:
        with contextlib.suppress(CloudError):  # the poller brings it later
            await self._refresh(kind, ident)

    async def _follow(self, kind: str, ident: str, judge: Callable[[Any], ActionResult | None], timeout: float,
                      nudge: Callable[[], Awaitable[Any]] | None = None) -> ActionResult | None:
        """Judge the store's copy of one resource on each change of it until there is a result (None: timed out).

        After a fast-poll interval with nothing new, `nudge` runs (default: ask the poller for `kind`).
        """
        loop = asyncio.get_running_loop()
        wake = asyncio.Event()
        news = False

        def listener(change: Change) -> None:
            nonlocal news
            if change.kind == kind and ident in (change.added | change.updated | change.removed):
                news = True
                wake.set()

        unsubscribe = self.store.subscribe(listener)
        deadline = loop.time() + timeout
        try:
            while (result := judge(self.store.item(kind, ident))) is None:
                remaining = deadline - loop.time()
                if remaining <= 0:
                    return None
                news = False
                wake.clear()
                # a timer rather than wait_for, which on Python < 3.12 can swallow a cancel
                timer = loop.call_later(min(remaining, max(self.poller.intervals.fast, 0.05)), wake.set)
                try:
                    await wake.wait()
                finally:
                    timer.cancel()
                if not news:
                    if nudge is None:
                        self.poller.kick(kind)
                    else:
                        await nudge()
            return result
        finally:
            unsubscribe()

    def _item(self, kind: str, ident: str, missing: str) -> Any:
        item = self.store.item(kind, ident)
        if item is None:
            raise ActionRefused(missing)
        return item

    def _server(self, server_id: str) -> Server:
        return self._item("servers", server_id, "this instance is not in the project (deleted, or not loaded yet)")

"""The in-memory picture of one project: resources by kind and ID, changed by diff, with events.

One data path: poller -> store -> Change events -> widgets. A Change names the IDs added, updated
and removed, so a table updates those rows and nothing else.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from dataclasses import replace as _replace
from typing import Any, Callable, Iterable, Mapping

from .models import Address, FloatingIP, Server

KINDS = ("servers", "flavors", "images", "volumes", "networks", "subnets", "routers", "ports", "floating_ips",
         "security_groups", "keypairs", "quotas", "allocations", "volume_snapshots", "server_groups", "stacks",
         "shares", "clusters")


@dataclass(frozen=True)
class ProjectKey:
    cloud: str
    project_id: str
    region: str = ""
    project_name: str = ""

    def __str__(self) -> str:
        return f"{self.cloud}/{self.project_name or self.project_id}" + (f"/{self.region}" if self.region else "")


@dataclass(frozen=True)
class Change:
    project: ProjectKey
    kind: str
    added: frozenset[str] = frozenset()
    updated: frozenset[str] = frozenset()
    removed: frozenset[str] = frozenset()
    error: str | None = None  # set when a fetch of this kind failed (the data kept is older)
    loaded: bool = False  # the kind's first successful fetch: "none" is news too (an empty project)
    recovered: bool = False  # a good fetch after a failed one: the header's "stale" ends now, not a tick later

    def __bool__(self) -> bool:
        return bool(self.added or self.updated or self.removed or self.error or self.loaded or self.recovered)


@dataclass
class KindState:
    items: dict[str, Any] = field(default_factory=dict)
    loaded: bool = False
    last_ok: float | None = None  # wall-clock time of the last successful fetch
    last_error: str | None = None
    version: int = 0  # bumps with every change of its items (so a poller can tell "nothing since")


Listener = Callable[[Change], None]


class ProjectStore:
    """Resources of one project. Not thread-safe: call it from the event loop only."""

    def __init__(self, key: ProjectKey, clock: Callable[[], float] = time.time):
        self.key = key
        self._kinds = {kind: KindState() for kind in KINDS}
        self._listeners: list[Listener] = []
        self._clock = clock
        self._as_of: dict[tuple[str, str], float] = {}  # (kind, id): send time of the newest news
        # Where Neutron says each floating IP points: instance ID -> its floating IPs (None: not loaded)
        self._fip_places: dict[str, tuple[FloatingIP, ...]] | None = None
        self._fip_unplaced: frozenset[str] = frozenset()  # assigned, but to a port we cannot tie to an instance

    # --- reading -------------------------------------------------------------------------

    def get(self, kind: str) -> Mapping[str, Any]:
        return self._kinds[kind].items

    def item(self, kind: str, ident: str) -> Any | None:
        return self._kinds[kind].items.get(ident)

    def state(self, kind: str) -> KindState:
        return self._kinds[kind]

    def age(self, kind: str) -> float | None:
        """Seconds since `kind` was last fetched successfully (None: never)."""
        last = self._kinds[kind].last_ok
        return None if last is None else max(0.0, self._clock() - last)

    # --- listening -----------------------------------------------------------------------

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener) if listener in self._listeners else None

    def _emit(self, change: Change) -> Change:
        if change.added or change.updated or change.removed:
            self._kinds[change.kind].version += 1
        if change:
            for listener in list(self._listeners):
                listener(change)
        return change

    # --- writing -------------------------------------------------------------------------

    def _stale(self, kind: str, ident: str, as_of: float | None) -> bool:
        """Is this news from a request sent before the newest one already taken for the item?
        Nova's `updated` has whole seconds, so a poll sent just before an action's own fetch can
        land after it with the same second and the old state: the send time tells them apart."""
        return as_of is not None and as_of < self._as_of.get((kind, ident), float("-inf"))

    def _stamp(self, kind: str, ident: str, as_of: float | None) -> None:
        if as_of is not None:
            self._as_of[(kind, ident)] = as_of

    def replace(self, kind: str, items: Iterable[Any], as_of: float | None = None) -> Change:
        """A full list of `kind`: what is not in it is gone. `as_of`: when its request was sent
        (time.monotonic()); items stored from a later request are kept as they are."""
        state = self._kinds[kind]
        old = state.items
        new = {}
        if kind == "servers":
            items = map(self._with_neutron_floating_ips, items)
        for item in items:
            if not self._stale(kind, item.id, as_of):
                new[item.id] = item
                self._stamp(kind, item.id, as_of)
            elif item.id in old:  # a later request stored it (or removed it: then it stays away)
                new[item.id] = old[item.id]
        for ident, item in old.items():
            if ident in new:
                continue
            if self._stale(kind, ident, as_of):
                new[ident] = item  # stored by a request sent after this list's: not gone
            else:
                self._stamp(kind, ident, as_of)  # gone as of this list
        added = frozenset(new.keys() - old.keys())
        removed = frozenset(old.keys() - new.keys())
        updated = frozenset(k for k in new.keys() & old.keys() if new[k] != old[k])
        state.items = new
        first, recovered = self._ok(state)
        change = self._emit(Change(self.key, kind, added, updated, removed, loaded=first, recovered=recovered))
        self._floating_ips_moved(kind)
        return change

    def merge(self, kind: str, items: Iterable[Any], removed_ids: Iterable[str] = (),
              as_of: float | None = None) -> Change:
        """A partial list (changes-since): upsert these, drop `removed_ids`. `as_of` as in replace; none (an
        action's own answer, a write the cloud has just confirmed) is news as of now: a list sent before it and
        landing after cannot undo it (a key pair just made vanished from the store until the next poll)."""
        if as_of is None:
            as_of = time.monotonic()
        state = self._kinds[kind]
        added, updated = set(), set()
        removed_ids = [i for i in removed_ids if not self._stale(kind, i, as_of)]
        for ident in removed_ids:
            self._stamp(kind, ident, as_of)
        if kind == "servers":
            items = map(self._with_neutron_floating_ips, items)
        for item in items:
            if self._stale(kind, item.id, as_of):
                continue
            self._stamp(kind, item.id, as_of)
            old = state.items.get(item.id)
            if old is None:
                added.add(item.id)
            elif old != item:
                updated.add(item.id)
            state.items[item.id] = item
        removed = {i for i in removed_ids if state.items.pop(i, None) is not None}
        first, recovered = self._ok(state)
        change = self._emit(Change(self.key, kind, frozenset(added), frozenset(updated), frozenset(removed),
                                   loaded=first, recovered=recovered))
        self._floating_ips_moved(kind)
        return change

    def unchanged(self, kind: str) -> None:
        """A fetch of `kind` that brought what the store already holds: it is fresh, and nothing else (but a
        good fetch after a failed one is news: the failure is over)."""
        _, recovered = self._ok(self._kinds[kind])
        if recovered:
            self._emit(Change(self.key, kind, recovered=True))

    def failed(self, kind: str, message: str) -> Change:
        state = self._kinds[kind]
        state.last_error = message
        return self._emit(Change(self.key, kind, error=message))

    def _ok(self, state: KindState) -> tuple[bool, bool]:
        """Record a successful fetch: (the kind's first?, the first good one after a failure?)."""
        first, recovered = not state.loaded, state.last_error is not None
        state.loaded = True
        state.last_ok = self._clock()
        state.last_error = None
        return first, recovered

    # --- an instance's floating IPs are Neutron's ----------------------------------------

    # Nova's `addresses` are a cache of Neutron's: they lag it by seconds, and a floating IP assigned
    # elsewhere (CLI, Horizon) changes neither the instance's `updated` nor what changes-since returns,
    # so a Nova-only picture would miss it until a restart. Once floating IPs are loaded, the
    # floating entries of every stored instance are Neutron's; Nova's fixed entries stay.

    def _floating_ips_moved(self, kind: str) -> None:
        if kind not in ("floating_ips", "ports") or not self._kinds["floating_ips"].loaded:
            return
        ports = self._kinds["ports"].items
        places: dict[str, list[FloatingIP]] = {}
        unplaced = set()
        for fip in self._kinds["floating_ips"].items.values():
            if not fip.port_id:
                continue
            port = ports.get(fip.port_id)
            device = fip.device_id or (port.device_id if port is not None else None)
            if device:
                places.setdefault(device, []).append(fip)
            else:
                unplaced.add(fip.address)
        new_places = {d: tuple(sorted(f, key=lambda f: f.address)) for d, f in places.items()}
        if new_places == self._fip_places and unplaced == self._fip_unplaced:
            return
        self._fip_places, self._fip_unplaced = new_places, frozenset(unplaced)
        servers = self._kinds["servers"].items
        updated = set()
        for ident, server in servers.items():
            shown = self._with_neutron_floating_ips(server)
            if shown is not server:
                servers[ident] = shown
                updated.add(ident)
        self._emit(Change(self.key, "servers", updated=frozenset(updated)))

    def _with_neutron_floating_ips(self, server: Server) -> Server:
        places = self._fip_places
        if places is None:
            return server
        mine = places.get(server.id, ())
        if not mine and not any(a.kind == "floating" for a in server.addresses):
            return server
        kept = [a for a in server.addresses if a.kind != "floating" or a.addr in self._fip_unplaced]
        shown = {a.addr for a in kept}
        fixed = {a.addr: a for a in kept if a.kind == "fixed"}
        for fip in mine:
            if fip.address not in shown:
                beside = fixed.get(fip.fixed_address or "") or (kept[0] if kept else None)
                kept.append(Address(beside.network if beside else "", fip.address, 6 if ":" in fip.address else 4,
                                    "floating", beside.mac if beside else ""))
        networks = list(dict.fromkeys(a.network for a in kept))
        addresses = tuple(sorted(kept, key=lambda a: networks.index(a.network)))  # Nova's grouping by network
        return server if addresses == server.addresses else _replace(server, addresses=addresses)

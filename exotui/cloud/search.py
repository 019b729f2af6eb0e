"""Search across kinds and projects: by name, ID, IP address, MAC or fingerprint, as the user types.

Pure (no I/O, no Textual): fed the store's items, asked for a query. Each (project, kind) keeps its entries
by item ID, changed item by item as the store's Change events say; what a search scans is one lower-cased
text per (project, kind) with an entry per line, rebuilt only when that kind changed since the last search.
A query then costs a dictionary look-up for exact values (an ID, an address) and `str.find` over those
texts (prefixes first: "\\n" + query), which runs in C; at 20,000 servers it stays far under the 100 ms a
key that issue 18 asks (bench/search.py prints the figure beside a naive scan of the models).
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass
from itertools import accumulate
from typing import Any, Callable, Hashable, Iterable, Iterator

# what is searched, per kind: (field, values of an item); values are the models' printable strings
Fields = Callable[[Any], Iterable[tuple[str, str]]]


def _server(s) -> Iterator[tuple[str, str]]:
    yield "name", s.name
    yield "id", s.id
    for address in s.addresses:
        yield ("floating ip" if address.kind == "floating" else "ip"), address.addr
        if address.mac:
            yield "mac", address.mac


def _port(p) -> Iterator[tuple[str, str]]:
    if p.name:
        yield "name", p.name
    yield "id", p.id
    if p.mac_address:
        yield "mac", p.mac_address
    for ip in p.fixed_ips:
        yield "ip", ip.ip_address


def _floating_ip(f) -> Iterator[tuple[str, str]]:
    yield "floating ip", f.address
    yield "id", f.id
    if f.fixed_address:
        yield "ip", f.fixed_address


def _named(item) -> Iterator[tuple[str, str]]:
    if getattr(item, "name", ""):
        yield "name", item.name
    yield "id", item.id


def _subnet(s) -> Iterator[tuple[str, str]]:
    yield from _named(s)
    yield "cidr", s.cidr
    if s.gateway_ip:
        yield "ip", s.gateway_ip


def _router(r) -> Iterator[tuple[str, str]]:
    yield from _named(r)
    for ip in r.external_ips:
        yield "ip", ip


def _keypair(k) -> Iterator[tuple[str, str]]:
    yield "name", k.name
    if k.fingerprint:
        yield "fingerprint", k.fingerprint


FIELDS: dict[str, Fields] = {
    "servers": _server, "ports": _port, "floating_ips": _floating_ip, "subnets": _subnet, "routers": _router,
    "keypairs": _keypair, "volumes": _named, "volume_snapshots": _named, "networks": _named, "images": _named,
    "security_groups": _named, "server_groups": _named, "flavors": _named, "stacks": _named,
    "clusters": _named,
}
# how a hit ranks: the exact value first, then a value that starts with the query, then one holding it
EXACT, PREFIX, INSIDE = 0, 1, 2


@dataclass(frozen=True, slots=True)
class Hit:
    project: Hashable  # the store's ProjectKey
    kind: str
    item_id: str
    label: str  # the item's name (or ID) as shown
    field: str  # name, id, ip, floating ip, mac, fingerprint, cidr
    value: str  # the matching value as shown
    rank: int = INSIDE


Row = tuple[str, str, str]  # (field, value as shown, value lower-cased on one line)


def _matches(low: str, query: str, rank: int) -> bool:
    return low == query if rank == EXACT else low.startswith(query) if rank == PREFIX else query in low


class _Text:
    """A built snapshot of one kind: its rows' lower-cased values, one per line of one text."""

    __slots__ = ("text", "starts", "rows", "exact")

    def __init__(self, entries: dict[str, list[Row]]) -> None:
        rows: list[tuple[str, str, str]] = []  # (item ID, field, value)
        lows: list[str] = []
        for item_id, fields in entries.items():
            for field, value, low in fields:
                rows.append((item_id, field, value))
                lows.append(low)
        # each line starts after a "\n": the text begins with one, so "\n" + query finds prefixes
        self.text = "\n" + "\n".join(lows)
        self.starts = list(accumulate((len(low) + 1 for low in lows), initial=1))[:-1]
        self.rows = rows
        exact: dict[str, list[int]] = {}
        for number, low in enumerate(lows):
            exact.setdefault(low, []).append(number)
        self.exact = exact

    def find(self, query: str, rank: int, limit: int, stale: set[str]) -> Iterator[tuple[int, str, str, str]]:
        if rank == EXACT:
            for number in self.exact.get(query, ()):
                item_id, field, value = self.rows[number]
                if item_id not in stale:
                    yield EXACT, item_id, field, value
            return
        text, starts = self.text, self.starts
        needle = "\n" + query if rank == PREFIX else query
        skip = 1 if rank == PREFIX else 0
        found, position = 0, text.find(needle)
        while position >= 0 and found < limit:
            number = bisect_right(starts, position + skip) - 1
            item_id, field, value = self.rows[number]
            if item_id not in stale:
                yield rank, item_id, field, value
                found += 1
            position = text.find(needle, starts[number + 1] - 1 if number + 1 < len(starts) else len(text))


class _Kind:
    """One (project, kind): its entries by item ID, a built text of them, and the items changed since the
    text was built (searched one by one until there are enough of them to make a rebuild worth it)."""

    __slots__ = ("entries", "labels", "_built", "_stale")

    def __init__(self) -> None:
        self.entries: dict[str, list[Row]] = {}
        self.labels: dict[str, str] = {}
        self._built: _Text | None = None
        self._stale: set[str] = set()

    def put(self, item_id: str, label: str, fields: list[tuple[str, str]]) -> None:
        self.entries[item_id] = [(f, v, v.lower().replace("\n", " ")) for f, v in fields]
        self.labels[item_id] = label
        if self._built is not None:
            self._stale.add(item_id)

    def drop(self, item_id: str) -> None:
        if self.entries.pop(item_id, None) is not None:
            self.labels.pop(item_id, None)
            if self._built is not None:
                self._stale.add(item_id)

    def _text(self) -> _Text:
        if self._built is None or len(self._stale) > max(256, len(self.entries) // 20):
            self._built, self._stale = _Text(self.entries), set()
        return self._built

    def find(self, query: str, rank: int, limit: int) -> Iterator[tuple[int, str, str, str]]:
        """(rank, item ID, field, value) of rows matching `query` at `rank`, at most about `limit`."""
        built = self._text()
        yield from built.find(query, rank, limit, self._stale)
        for item_id in self._stale:  # changed since the text was built: their rows as they are now
            for field, value, low in self.entries.get(item_id, ()):
                if _matches(low, query, rank):
                    yield rank, item_id, field, value


class SearchIndex:
    """Every open project's searchable items. Feed it with `replace` (a full list) or `update` (a Change's
    IDs); ask with `search`. Call it from one thread (the event loop), like the store."""

    def __init__(self, fields: dict[str, Fields] | None = None) -> None:
        self.fields = FIELDS if fields is None else fields
        self._kinds: dict[tuple[Hashable, str], _Kind] = {}

    def replace(self, project: Hashable, kind: str, items: Iterable[Any]) -> None:
        """The kind's whole list (a first load, a full poll)."""
        if kind not in self.fields:
            return
        fresh = _Kind()
        for item in items:
            self._put(fresh, kind, item)
        self._kinds[(project, kind)] = fresh

    def update(self, project: Hashable, kind: str, changed: Iterable[Any] = (), removed: Iterable[str] = ()) -> None:
        """Items added or changed, and IDs gone (what a store Change names)."""
        if kind not in self.fields:
            return
        held = self._kinds.setdefault((project, kind), _Kind())
        for item_id in removed:
            held.drop(item_id)
        for item in changed:
            self._put(held, kind, item)

    def apply(self, change: Any, items: Any) -> None:
        """A store Change (cloud/store.py) with the kind's items as the store now holds them (`store.get`)."""
        changed = (items[i] for i in change.added | change.updated if i in items)
        self.update(change.project, change.kind, changed, change.removed)

    def follow(self, store: Any) -> Callable[[], None]:
        """Index a ProjectStore as it is now and keep up with its Changes; the returned call stops that
        and drops the project (a workspace calls it when the project closes)."""
        for kind in self.fields:
            try:
                items = store.get(kind)
            except KeyError:
                continue
            self.replace(store.key, kind, items.values())
        stop = store.subscribe(lambda change: self.apply(change, store.get(change.kind)))

        def unfollow() -> None:
            stop()
            self.forget(store.key)
        return unfollow

    def forget(self, project: Hashable) -> None:
        """A project closed: its items leave the index."""
        for key in [k for k in self._kinds if k[0] == project]:
            del self._kinds[key]

    def _put(self, held: _Kind, kind: str, item: Any) -> None:
        fields = [(f, v) for f, v in self.fields[kind](item) if v]
        held.put(item.id, getattr(item, "name", "") or item.id, fields)

    def __len__(self) -> int:
        return sum(len(k.entries) for k in self._kinds.values())

    def search(self, query: str, limit: int = 50) -> list[Hit]:
        """Items whose name, ID, address, MAC or fingerprint holds `query` (case-insensitive): exact values
        first, then prefixes, then the rest; one hit per item (its best field); at most `limit`."""
        query = query.strip().lower()
        if not query or "\n" in query:
            return []
        hits: list[Hit] = []
        seen: set[tuple[Hashable, str, str]] = set()
        for rank in (EXACT, PREFIX, INSIDE):
            for (project, kind), held in self._kinds.items():
                if len(hits) >= limit:
                    return hits
                # a few more than needed: several rows of one item (its IPs) may match
                for found_rank, item_id, field, value in held.find(query, rank, (limit - len(hits)) * 4):
                    key = (project, kind, item_id)
                    if key in seen:
                        continue
                    seen.add(key)
                    hits.append(Hit(project, kind, item_id, held.labels.get(item_id, item_id), field, value,
                                    found_rank))
                    if len(hits) >= limit:
                        return hits
        return hits

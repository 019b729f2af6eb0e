"""Effective security-group rules of an instance: normalised, merged, resolved, and what is wrong.

Neutron applies the union of every group on every port of an instance; groups are stateful, so a
reply to an admitted connection always gets back. Normalising first (protocol numbers to names,
"no ports" to 1-65535, a missing prefix to the whole world) is what makes shadowed and duplicate
rules visible at all: `tcp` with no ports and `6` with 1-65535 are the same rule.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Union

from exotui.cloud.models import SecurityGroup, SecurityGroupRule, Server

from .risky import RISKY_PORTS
from .view import NetView

IPNetwork = Union[ipaddress.IPv4Network, ipaddress.IPv6Network]
WORLD = {"IPv4": ipaddress.ip_network("0.0.0.0/0"), "IPv6": ipaddress.ip_network("::/0")}
PORTED = frozenset({"tcp", "udp", "sctp", "dccp", "udplite"})  # protocols whose rules carry port ranges
_NUMBERS = {"1": "icmp", "6": "tcp", "17": "udp", "33": "dccp", "58": "icmp", "132": "sctp", "136": "udplite"}
_ALIASES = {"icmpv6": "icmp", "ipv6-icmp": "icmp", "any": None, "": None}

# ports that should never be open to the whole Internet (22 is the research-cloud norm: a warning)
SENSITIVE = {22: "SSH", **RISKY_PORTS}


@dataclass(frozen=True, slots=True)
class Rule:
    """One normalised rule. Ports: 1-65535 for a whole range, None for protocols without ports;
    for ICMP they are type and code (None: any). `remote` is a CIDR, or None with a remote group."""

    direction: str
    ethertype: str
    protocol: str | None  # None: any protocol
    port_min: int | None
    port_max: int | None
    remote: IPNetwork | None
    remote_group_id: str | None = None
    rule_ids: tuple[str, ...] = ()
    groups: tuple[str, ...] = ()  # names of the groups the rule comes from
    admits: tuple[str, ...] = ()  # remote group: the instance IDs it admits
    cidr: str = ""  # `remote` as text: hashing and printing ipaddress networks is slow, strings are not

    @property
    def key(self) -> tuple:
        return (self.direction, self.ethertype, self.protocol, self.port_min, self.port_max, self.cidr,
                self.remote_group_id)

    def again(self, rule_ids: tuple[str, ...], groups: tuple[str, ...], admits: tuple[str, ...]) -> Rule:
        return _rule(self.direction, self.ethertype, self.protocol, self.port_min, self.port_max, self.remote,
                    self.remote_group_id, rule_ids, groups, admits, self.cidr)

    @property
    def world(self) -> bool:
        return self.remote is not None and self.remote.prefixlen == 0

    def covers(self, other: Rule) -> bool:
        """Whether every packet `other` admits is admitted by this rule too."""
        if self.direction != other.direction or self.ethertype != other.ethertype:
            return False
        if self.protocol is not None:
            if self.protocol != other.protocol:
                return False
            if self.protocol in PORTED:
                if not (self.port_min <= other.port_min and other.port_max <= self.port_max):  # type: ignore
                    return False
            elif self.port_min is not None and (self.port_min != other.port_min or (
                    self.port_max is not None and self.port_max != other.port_max)):
                return False
        if self.remote_group_id is not None:
            return other.remote_group_id == self.remote_group_id
        if self.world:
            return True  # the world includes every group's members
        return other.remote is not None and other.remote.version == self.remote.version and \
            other.remote.subnet_of(self.remote)  # type: ignore[arg-type]

    def matches(self, protocol: str, port: int | None, source: ipaddress._BaseAddress | None = None,
                source_server: str | None = None) -> bool:
        """Whether a connection (protocol, destination port, from source) is admitted."""
        if self.protocol is not None:
            if self.protocol != protocol:
                return False
            if self.protocol in PORTED and port is not None and not (self.port_min <= port <= self.port_max):  # type: ignore
                return False
        if self.remote_group_id is not None:
            return source_server is not None and source_server in self.admits
        if source is None:
            return self.world
        return source.version == self.remote.version and source in self.remote  # type: ignore[union-attr]

    def describe(self, names: dict[str, str] | None = None) -> str:
        """`tcp/22 from 0.0.0.0/0`, `any from group default (3 instances)`."""
        what = self.protocol or "any"
        if self.protocol in PORTED:
            if (self.port_min, self.port_max) != (1, 65535):
                what += f"/{self.port_min}" if self.port_min == self.port_max else f"/{self.port_min}-{self.port_max}"
        elif self.protocol == "icmp" and self.port_min is not None:
            what += f" type {self.port_min}" + (f" code {self.port_max}" if self.port_max is not None else "")
        word = "from" if self.direction == "ingress" else "to"
        if self.remote_group_id is not None:
            name = (names or {}).get(self.remote_group_id, self.remote_group_id[:8])
            who = f"group {name} ({len(self.admits)} instance{'s' if len(self.admits) != 1 else ''})"
            if self.ethertype == "IPv6":
                who += " IPv6"
        else:
            who = self.cidr
        return f"{what} {word} {who}"


class _Draft:
    """Rule's twin without the frozen dataclass's __setattr__. A frozen dataclass sets each field
    through object.__setattr__, which makes a Rule cost four times what the same slots cost set
    directly, and the effective rules of a big project make tens of thousands of them."""

    __slots__ = Rule.__slots__

    def __init__(self, direction, ethertype, protocol, port_min, port_max, remote, remote_group_id=None,
                 rule_ids=(), groups=(), admits=(), cidr=""):
        self.direction, self.ethertype, self.protocol = direction, ethertype, protocol
        self.port_min, self.port_max, self.remote, self.remote_group_id = port_min, port_max, remote, remote_group_id
        self.rule_ids, self.groups, self.admits, self.cidr = rule_ids, groups, admits, cidr


def _rule(*fields) -> Rule:
    """Rule(*fields), built fast: the same slots filled, then the object becomes the frozen Rule."""
    draft = _Draft(*fields)
    draft.__class__ = Rule  # type: ignore[assignment]  # same slots, so CPython allows it
    return draft  # type: ignore[return-value]


@dataclass(frozen=True, slots=True)
class Flag:
    kind: str  # world-open | shadowed | duplicate | unattached | mismatch
    severity: str  # danger | warning | info
    message: str
    rule_ids: tuple[str, ...] = ()
    group_id: str | None = None


@dataclass(frozen=True, slots=True)
class Effective:
    server_id: str
    group_ids: tuple[str, ...]
    ingress: tuple[Rule, ...]
    egress: tuple[Rule, ...]
    flags: tuple[Flag, ...]

    def admitting(self, protocol: str, port: int | None, source: str | None = None,
                  source_server: str | None = None, direction: str = "ingress") -> list[Rule]:
        """Rules admitting the connection; `source` an address (None: anyone on the Internet)."""
        address = ipaddress.ip_address(source) if source else None
        rules = self.ingress if direction == "ingress" else self.egress
        ethertype = "IPv6" if address is not None and address.version == 6 else "IPv4"
        return [r for r in rules if (r.ethertype == ethertype or source_server is not None and address is None)
                and r.matches(protocol, port, address, source_server)]


# --- normalising ---------------------------------------------------------------------------------

@lru_cache(maxsize=256)
def normalise_protocol(protocol: str | None) -> str | None:
    if protocol is None:
        return None
    p = protocol.lower()
    if p in _ALIASES:
        return _ALIASES[p]
    return _NUMBERS.get(p, p)


def normalise(rule: SecurityGroupRule, group_name: str = "") -> Rule | None:
    """A model rule as a Rule; None for a rule that can match nothing (its prefix is of the other
    IP version, which Neutron refuses today but older clouds hold)."""
    return _normalise(rule, (group_name,) if group_name else ())


def _normalise(rule: SecurityGroupRule, groups: tuple[str, ...]) -> Rule | None:
    protocol = normalise_protocol(rule.protocol)
    lo, hi = rule.port_min, rule.port_max
    if protocol in PORTED:
        if lo is None and hi is None:
            lo, hi = 1, 65535
        else:
            lo = max(1, lo if lo is not None else hi)  # type: ignore[arg-type]
            hi = min(65535, hi if hi is not None else lo)
    elif protocol != "icmp":
        lo = hi = None
    remote, cidr = None, ""
    if rule.remote_group_id is None:
        prefix = _prefix(rule.remote_cidr, rule.ethertype)
        if prefix is None:
            return None
        remote, cidr = prefix
    return _rule(rule.direction, rule.ethertype, protocol, lo, hi, remote, rule.remote_group_id, (rule.id,), groups,
                 (), cidr)


@lru_cache(maxsize=4096)
def _prefix(cidr: str | None, ethertype: str) -> tuple[IPNetwork, str] | None:
    """A rule's prefix and its text (parsing and printing are the slow part; projects repeat a few
    prefixes); None when it cannot match (unparseable, or of the other IP version)."""
    try:
        remote = ipaddress.ip_network(cidr, strict=False) if cidr else WORLD.get(ethertype, WORLD["IPv4"])
    except ValueError:
        return None
    return (remote, str(remote)) if remote.version == (6 if ethertype == "IPv6" else 4) else None


def _merge_ranges(rules: list[Rule]) -> list[Rule]:
    """Rules equal but for their port ranges, with overlapping or adjacent ranges joined."""
    rules = sorted(rules, key=lambda r: r.port_min)  # type: ignore[arg-type, return-value]
    out = [rules[0]]
    for rule in rules[1:]:
        last = out[-1]
        if rule.port_min <= last.port_max + 1:  # type: ignore[operator]
            out[-1] = _rule(last.direction, last.ethertype, last.protocol, last.port_min,
                            max(last.port_max, rule.port_max), last.remote, last.remote_group_id,  # type: ignore
                            last.rule_ids + rule.rule_ids, tuple(dict.fromkeys(last.groups + rule.groups)),
                            last.admits, last.cidr)
        else:
            out.append(rule)
    return out


def _collapse(rules: list[Rule]) -> list[Rule]:
    """Rules equal but for their CIDRs, aggregated with ipaddress.collapse_addresses."""
    if len(rules) == 1:
        return rules
    first = rules[0]
    ids = tuple(i for r in rules for i in r.rule_ids)
    groups = tuple(dict.fromkeys(g for r in rules for g in r.groups))
    nets = ipaddress.collapse_addresses(r.remote for r in rules)  # type: ignore[misc]
    return [_rule(first.direction, first.ethertype, first.protocol, first.port_min, first.port_max, n, None,
                  ids, groups, (), str(n)) for n in nets]


def _simplify(rules: list[Rule]) -> list[Rule]:
    """Port ranges merged, then CIDRs aggregated; sorted. Most sets have nothing to merge: those
    only pay for the two look-ups."""
    by_remote: dict[tuple, list[Rule]] = {}
    for rule in rules:
        key = (rule.direction, rule.ethertype, rule.protocol, rule.cidr, rule.remote_group_id,
               rule.protocol in PORTED or (rule.port_min, rule.port_max))
        found = by_remote.get(key)
        if found is None:
            by_remote[key] = [rule]
        else:
            found.append(rule)
    merged = rules
    if len(by_remote) < len(rules):
        merged = []
        for group in by_remote.values():
            merged += _merge_ranges(group) if group[0].protocol in PORTED and len(group) > 1 else group
    by_ports: dict[tuple, list[Rule]] = {}
    out = []
    for rule in merged:
        if rule.remote_group_id is None:
            key = (rule.direction, rule.ethertype, rule.protocol, rule.port_min, rule.port_max)
            found = by_ports.get(key)
            if found is None:
                by_ports[key] = [rule]
            else:
                found.append(rule)
        else:
            out.append(rule)
    if len(by_ports) + len(out) < len(merged):
        for group in by_ports.values():
            out += _collapse(group)
    else:
        out = merged
    return sorted(out, key=_order)


def _order(rule: Rule) -> tuple:
    return (rule.ethertype, rule.protocol or "", rule.port_min or 0, -1 if rule.port_max is None else rule.port_max,
            rule.remote_group_id or "", rule.cidr, rule.direction)


# --- effective rules -------------------------------------------------------------------------------

# Both caches outlive one NetView: the store hands over equal, not identical, models after every poll.
# A group's expansion depends on the group alone (keyed by its value: a rule added, removed or
# changed, or a rename, makes another key). A union's result depends on its groups' expansions and on
# whom their remote groups admit, so its key holds the expansions themselves (compared by identity:
# the key keeps them alive) and each remote group's name and members.
_CACHE_SIZE = 4096


class _Expansion:
    """One group's rules normalised (remote groups not yet resolved), and their keys for de-duplication.
    Keys and rules are kept apart: tuples of plain values leave the garbage collector's care, and the
    fewer objects the caches keep under it, the less each full collection costs."""

    __slots__ = ("flags", "keys", "remote_group_ids", "rules")

    def __init__(self, rules: tuple[Rule, ...], keys: tuple[tuple, ...], flags: tuple[Flag, ...],
                 remote_group_ids: tuple[str, ...]):
        self.rules = rules
        self.keys = keys
        self.flags = flags  # rules that can match nothing
        self.remote_group_ids = remote_group_ids


Result = tuple[tuple[Rule, ...], tuple[Rule, ...], tuple[Flag, ...]]
_expansions: dict[SecurityGroup, _Expansion] = {}
_results: dict[tuple, Result] = {}


def clear_caches() -> None:
    """Forget every cached expansion and result (the benchmark measures the cold path with this)."""
    _expansions.clear()
    _results.clear()


def _remember(cache: dict, key, value):
    if len(cache) >= _CACHE_SIZE:
        del cache[next(iter(cache))]  # the oldest; whatever is still in use comes back on the next poll
    cache[key] = value
    return value


def _expand(group: SecurityGroup) -> _Expansion:
    found = _expansions.get(group)
    if found is not None:
        return found
    out, keys, flags, remotes = [], [], [], []
    name = (group.name,) if group.name else ()  # one tuple for all its rules
    for raw in group.rules:
        rule = _normalise(raw, name)
        if rule is None:
            flags.append(Flag("mismatch", "info", f"{group.name}: a {raw.ethertype} rule with prefix "
                              f"{raw.remote_cidr} can match nothing", (raw.id,), group.id))
            continue
        out.append(rule)
        keys.append(rule.key)
        if rule.remote_group_id is not None and rule.remote_group_id not in remotes:
            remotes.append(rule.remote_group_id)
    return _remember(_expansions, group, _Expansion(tuple(out), tuple(keys), tuple(flags), tuple(remotes)))


def effective_for_groups(groups: Iterable[SecurityGroup], view: NetView | None = None) -> Result:
    """(ingress, egress, flags) of the union of `groups`; `view` resolves remote groups."""
    groups = tuple(groups)
    names = view.group_names if view is not None else {g.id: g.name for g in groups}
    expansions = tuple(_expand(g) for g in groups)
    remotes = sorted({rid for e in expansions for rid in e.remote_group_ids})
    key = (expansions, tuple((rid, names.get(rid), view.members(rid) if view is not None else None)
                             for rid in remotes))
    found = _results.get(key)
    if found is None:
        found = _remember(_results, key, _union(expansions, view, names))
    return found


def _union(expansions: tuple[_Expansion, ...], view: NetView | None, names: dict[str, str]) -> Result:
    flags: list[Flag] = [f for e in expansions for f in e.flags]
    by_key: dict[tuple, list[Rule]] = {}
    for expansion in expansions:
        for key, rule in zip(expansion.keys, expansion.rules):
            if rule.remote_group_id is not None and view is not None:
                rule = rule.again(rule.rule_ids, rule.groups, view.members(rule.remote_group_id))
            same = by_key.get(key)
            if same is None:
                by_key[key] = [rule]
            else:
                same.append(rule)
    unique = []
    # only rules of one direction, IP version and protocol (or of any protocol) can cover each other
    rivals: dict[tuple, list[Rule]] = {}
    for same in by_key.values():
        first = same[0]
        if len(same) > 1:
            ids = tuple(i for r in same for i in r.rule_ids)
            where = tuple(dict.fromkeys(g for r in same for g in r.groups))
            flags.append(Flag("duplicate", "info", f"{first.describe(names)} appears {len(same)} times "
                              f"(in {', '.join(where)})", ids))
            first = first.again(ids, where, first.admits)
        unique.append(first)
        bucket = (first.direction, first.ethertype, first.protocol)
        found = rivals.get(bucket)
        if found is None:
            rivals[bucket] = [first]
        else:
            found.append(first)
    kept = []
    for rule in unique:
        broader = _broader(rule, rivals[(rule.direction, rule.ethertype, rule.protocol)])
        if broader is None and rule.protocol is not None:
            anything = rivals.get((rule.direction, rule.ethertype, None))
            if anything:
                broader = _broader(rule, anything)
        if broader is None:
            kept.append(rule)
        else:
            flags.append(Flag("shadowed", "info", f"{rule.describe(names)} ({', '.join(rule.groups)}) is "
                              f"shadowed by {broader.describe(names)} ({', '.join(broader.groups)})",
                              rule.rule_ids))
    rules = _simplify(kept)
    ingress = tuple(r for r in rules if r.direction == "ingress")
    egress = tuple(r for r in rules if r.direction == "egress")
    flags += _world_open(ingress)
    return ingress, egress, tuple(flags)


def _broader(rule: Rule, rivals: Iterable[Rule]) -> Rule | None:
    """A rule among `rivals` (in their order, `rule` among them or not) that admits all `rule` does.
    Of rules that cover each other (equal ones were merged already; an ICMP code without a type is
    what is left) the first stays."""
    after = False
    ported = rule.protocol in PORTED
    for other in rivals:
        if other is rule:
            after = True
        elif ported and other.protocol is not None and not (
                other.port_min <= rule.port_min and rule.port_max <= other.port_max):  # type: ignore[operator]
            continue  # the common answer, without a call: most rules of a protocol differ in their ports
        elif other.covers(rule) and not (after and rule.covers(other)):
            return other
    return None


_SENSITIVE_PORTS = sorted(SENSITIVE.items())


def _world_open(ingress: Iterable[Rule]) -> list[Flag]:
    flags = []
    for rule in ingress:
        if not rule.world:
            continue
        where = f" ({', '.join(rule.groups)})" if rule.groups else ""
        if rule.protocol is None or (rule.protocol in PORTED and (rule.port_min, rule.port_max) == (1, 65535)):
            what = "every port" if rule.protocol is None else f"every {rule.protocol} port"
            flags.append(Flag("world-open", "danger", f"{what} open to {rule.cidr}{where}", rule.rule_ids))
        elif rule.protocol in PORTED:
            hit = [f"{p} {name}" for p, name in _SENSITIVE_PORTS if rule.port_min <= p <= rule.port_max]  # type: ignore
            if hit:
                severity = "warning" if hit == ["22 SSH"] else "danger"
                flags.append(Flag("world-open", severity, f"{rule.protocol}/{', '.join(hit)} open to "
                                  f"{rule.cidr}{where}", rule.rule_ids))
    return flags


def effective(server: Server, view: NetView, _cache: dict | None = None) -> Effective:
    """The effective rules of one instance: the union of its ports' groups."""
    gids = view.group_ids_of(server)
    cached = _cache.get(gids) if _cache is not None else None
    if cached is None:
        cached = effective_for_groups((view.security_groups[g] for g in gids if g in view.security_groups), view)
        if _cache is not None:
            _cache[gids] = cached
    return Effective(server.id, gids, *cached)


def effective_all(view: NetView) -> dict[str, Effective]:
    """Effective rules of every instance; instances with the same groups share the work."""
    cache: dict = {}
    return {sid: effective(server, view, cache) for sid, server in view.servers.items()}


def unattached_groups(view: NetView) -> list[Flag]:
    """Groups on no port and no instance (`default` is left out: every project has it)."""
    used = {g for server in view.servers.values() for g in view.group_ids_of(server)}
    used.update(g for p in view.ports.values() for g in p.security_group_ids)
    return [Flag("unattached", "info", f"security group {g.name} is attached to nothing", group_id=g.id)
            for g in view.security_groups.values() if g.id not in used and g.name != "default"]

"""Which security-group rules are risky: an ingress rule that opens every port, or a well-known risky port, to
the whole Internet (0.0.0.0/0 or ::/0, or no prefix at all, which Neutron reads as the whole world).

Jetstream2's own advice is the source: open only what you need, and never leave remote-desktop, database or
container-engine ports open to everyone (https://docs.jetstream-cloud.org/faq/security/ and
https://docs.jetstream-cloud.org/general/firewalls/: instances have no host firewall by default, so a
security group is the only wall). SSH (22) to the world is the research-cloud norm and is not risky here.
The port list is data; the UI asks before adding such a rule and marks it where rules are shown.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Any, Iterable

from exotui.cloud.models import SecurityGroupRule

# port -> what listens there; scanned for and attacked within minutes of an instance getting a public address
RISKY_PORTS: dict[int, str] = {
    21: "FTP", 23: "Telnet", 135: "MS RPC", 139: "NetBIOS", 445: "SMB", 3389: "RDP", 5900: "VNC", 5901: "VNC",
    1433: "SQL Server", 1521: "Oracle", 3306: "MySQL", 5432: "PostgreSQL", 5984: "CouchDB", 6379: "Redis",
    9200: "Elasticsearch", 11211: "memcached", 27017: "MongoDB", 2375: "Docker API", 2376: "Docker API (TLS)",
    2379: "etcd", 10250: "kubelet",
}
PORTED = frozenset({"tcp", "udp", "sctp", "dccp", "udplite"})
_NUMBERS = {"6": "tcp", "17": "udp", "132": "sctp", "33": "dccp", "136": "udplite", "1": "icmp", "58": "icmp"}


@dataclass(frozen=True, slots=True)
class Risk:
    """Why a rule is risky: it opens every port (`ports` empty) or the named risky ports."""

    protocol: str | None  # None: every protocol
    remote: str  # the world as the rule says it: 0.0.0.0/0 or ::/0
    ports: tuple[tuple[int, str], ...] = ()

    @property
    def every_port(self) -> bool:
        return not self.ports

    @property
    def message(self) -> str:
        """One line: `every tcp port open to 0.0.0.0/0`, `tcp/3389 RDP open to ::/0`."""
        if self.every_port:
            what = "every port" if self.protocol is None else f"every {self.protocol} port"
        else:
            named = [f"{port} {name}" for port, name in self.ports]
            if len(named) > 3:  # a wide range: the first few say enough
                named = named[:3] + [f"{len(named) - 3} more"]
            what = f"{self.protocol}/" + ", ".join(named)
        return f"{what} open to {self.remote}"


def _world(remote_cidr: str | None, ethertype: str) -> str | None:
    """The rule's source as text when it is the whole Internet, else None."""
    if remote_cidr in (None, ""):
        return "::/0" if ethertype == "IPv6" else "0.0.0.0/0"
    try:
        network = ipaddress.ip_network(str(remote_cidr), strict=False)
    except ValueError:
        return None
    return str(network) if network.prefixlen == 0 else None


def rule_risk(direction: str, protocol: str | None, port_min: int | None, port_max: int | None,
              remote_cidr: str | None = None, *, ethertype: str = "IPv4", remote_group_id: str | None = None,
              risky_ports: dict[int, str] | None = None) -> Risk | None:
    """The risk of a rule as it would be sent to Neutron (or as Neutron holds it); None when it is not risky."""
    if direction != "ingress" or remote_group_id:
        return None
    remote = _world(remote_cidr, ethertype)
    if remote is None:
        return None
    name = None if protocol in (None, "", "any") else _NUMBERS.get(str(protocol), str(protocol).lower())
    if name is None:
        return Risk(None, remote)
    if name not in PORTED:
        return None  # ICMP and friends carry no ports
    low, high = (port_min or 1), (port_max if port_max is not None else (port_min or 65535))
    if (low, high) == (1, 65535) or (port_min is None and port_max is None):
        return Risk(name, remote)
    table = RISKY_PORTS if risky_ports is None else risky_ports
    hit = tuple((port, what) for port, what in sorted(table.items()) if low <= port <= high)
    return Risk(name, remote, hit) if hit else None


def risk_of(rule: SecurityGroupRule) -> Risk | None:
    return rule_risk(rule.direction, rule.protocol, rule.port_min, rule.port_max, rule.remote_cidr,
                     ethertype=rule.ethertype, remote_group_id=rule.remote_group_id)


@dataclass(frozen=True, slots=True)
class Exposure:
    """A risky rule among an instance's effective rules, with the rules and groups it comes from."""

    risk: Risk
    rule_ids: tuple[str, ...] = ()
    groups: tuple[str, ...] = ()

    @property
    def message(self) -> str:
        return self.risk.message + (f" (group {', '.join(self.groups)})" if self.groups else "")


def exposures(ingress: Iterable[Any]) -> list[Exposure]:
    """The risky ones among normalised rules (net.rules.Rule: an Effective's `ingress`)."""
    found = []
    for rule in ingress:
        risk = rule_risk(rule.direction, rule.protocol, rule.port_min, rule.port_max, rule.cidr or None,
                         ethertype=rule.ethertype, remote_group_id=rule.remote_group_id)
        if risk is not None:
            found.append(Exposure(risk, tuple(rule.rule_ids), tuple(rule.groups)))
    return found

"""Who may connect to what: instances by common services (SSH, HTTP/S, ICMP, all TCP), from their
effective rules (exotui.net.rules)."""

from __future__ import annotations

from dataclasses import dataclass

from .risky import Exposure, exposures
from .rules import PORTED, Effective, effective_all
from .view import NetView


@dataclass(frozen=True, slots=True)
class Service:
    name: str
    protocol: str
    port_min: int | None = None
    port_max: int | None = None


SERVICES = (Service("SSH", "tcp", 22, 22), Service("HTTP", "tcp", 80, 80), Service("HTTPS", "tcp", 443, 443),
            Service("ICMP", "icmp"), Service("all TCP", "tcp", 1, 65535))


@dataclass(frozen=True, slots=True)
class Access:
    """Who may connect to one service of one instance."""

    world: bool = False
    cidrs: tuple[str, ...] = ()
    servers: tuple[str, ...] = ()  # instance IDs admitted through remote groups

    def short(self, width: int = 9) -> str:
        if self.world:
            text = "world"
        elif self.cidrs and not self.servers:
            text = self.cidrs[0] if len(self.cidrs) == 1 else f"{len(self.cidrs)} nets"
        elif self.servers and not self.cidrs:
            text = f"{len(self.servers)} inst"
        elif self.cidrs:
            text = f"{len(self.cidrs)}n+{len(self.servers)}i"
        else:
            text = "-"
        return text if len(text) <= width else text[:width - 1] + "…"


def service_access(eff: Effective, service: Service) -> Access:
    cidrs: list[str] = []
    servers: list[str] = []
    world = False
    for rule in eff.ingress:
        if rule.protocol is not None:
            if rule.protocol != service.protocol:
                continue
            if rule.protocol in PORTED and not (rule.port_min <= service.port_min <= service.port_max  # type: ignore
                                                <= rule.port_max):  # type: ignore[operator]
                continue
            if rule.protocol == "icmp" and rule.port_min not in (None, 8):  # 8: echo request, what ping sends
                continue
        if rule.remote_group_id is not None:
            servers += rule.admits
        elif rule.world:
            world = True
        else:
            cidrs.append(rule.cidr)
    return Access(world, tuple(dict.fromkeys(cidrs)), tuple(dict.fromkeys(servers)))


def matrix(view: NetView, services: tuple[Service, ...] = SERVICES,
           effective_rules: dict[str, Effective] | None = None) -> dict[str, dict[str, Access]]:
    """server ID -> service name -> Access, for every instance."""
    effective_rules = effective_rules or effective_all(view)
    rows: dict[int, dict[str, Access]] = {}  # instances with the same groups share their ingress tuple
    out = {}
    for sid, eff in effective_rules.items():
        row = rows.get(id(eff.ingress))
        if row is None:
            row = rows[id(eff.ingress)] = {s.name: service_access(eff, s) for s in services}
        out[sid] = row
    return out


def exposed(view: NetView, effective_rules: dict[str, Effective] | None = None) -> dict[str, tuple[Exposure, ...]]:
    """server ID -> its risky rules (every port or a risky port open to the Internet), for instances that
    have any: what the matrix marks."""
    effective_rules = effective_rules or effective_all(view)
    seen: dict[int, tuple[Exposure, ...]] = {}
    out = {}
    for sid, eff in effective_rules.items():
        found = seen.get(id(eff.ingress))
        if found is None:
            found = seen[id(eff.ingress)] = tuple(exposures(eff.ingress))
        if found:
            out[sid] = found
    return out


def render_matrix(view: NetView, width: int = 80, services: tuple[Service, ...] = SERVICES) -> list[str]:
    """The matrix as text lines that fit `width` columns."""
    table = matrix(view, services)
    cell = 9
    name_w = max(8, min(30, width - (cell + 1) * len(services)))
    lines = ["instance".ljust(name_w) + "".join(f" {s.name:>{cell}}" for s in services)]
    for sid, row in sorted(table.items(), key=lambda kv: view.servers[kv[0]].name):
        name = view.servers[sid].name
        name = name if len(name) <= name_w else name[:name_w - 1] + "…"
        lines.append(name.ljust(name_w) + "".join(f" {row[s.name].short(cell):>{cell}}" for s in services))
    return [line[:width] for line in lines]

""""Why can't I SSH to X?": a checklist with evidence, each failure carrying its fix as data.

The checks follow Jetstream2's own troubleshooting pages (status, a floating IP or a jump host, a
router with an external gateway, tcp/22 from your address, egress, keypair, host key). A Fix names
a method of cloud.actions.Actions and its arguments; the UI or CLI shows it, asks, then runs it.
Nothing here does I/O: what only the user's machine knows (their address, their keys, their
known_hosts) comes in as arguments.
"""

from __future__ import annotations

import ipaddress
import textwrap
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from exotui.cloud.models import Server

from .risky import exposures
from .rules import Effective, effective, effective_for_groups
from .view import NetView

PASS, WARN, FAIL, SKIP = "pass", "warn", "fail", "skip"
METADATA = "169.254.169.254"  # cloud-init fetches the public key from here at first boot
# what gets a stopped instance running again, by Nova status
_WAKE = {"SHUTOFF": "start", "SHELVED": "unshelve", "SHELVED_OFFLOADED": "unshelve", "SUSPENDED": "resume",
         "PAUSED": "unpause", "RESCUE": "unrescue"}


@dataclass(frozen=True, slots=True)
class Fix:
    """One remedy: `action` is an Actions method (run, add_rule, assign_floating_ip,
    allocate_and_assign_floating_ip, attach_security_group, console_log) or `manual` (commands to
    show, nothing to run); `args` are its keyword arguments."""

    action: str
    args: Mapping[str, Any]
    label: str

    def as_dict(self) -> dict:
        return {"fix": self.action, "args": dict(self.args), "label": self.label}


@dataclass(frozen=True, slots=True)
class Check:
    name: str
    status: str  # pass | warn | fail | skip
    summary: str
    evidence: tuple[str, ...] = ()
    fixes: tuple[Fix, ...] = ()


@dataclass(frozen=True)
class Diagnosis:
    server_id: str
    server_name: str
    source: str | None
    checks: tuple[Check, ...]
    address: str | None = None  # what to ssh to
    jump: str | None = None  # through this address first (ssh -J)
    extra: dict = field(default_factory=dict)
    ssh_command: str | None = None  # exotui's own way there (ssh.target.Reach.command; "": none), when given

    @property
    def ok(self) -> bool:
        """No check failed (warnings are told, not counted: they don't stop a login)."""
        return all(c.status != FAIL for c in self.checks)

    @property
    def command(self) -> str | None:
        if self.ssh_command is not None:  # exotui's way decided ("": there is none)
            return self.ssh_command or None
        if not self.address:
            return None
        return f"ssh -J {self.jump} {self.address}" if self.jump else f"ssh {self.address}"


def _addr(text: str | None):
    if not text or text == "any":
        return None
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return ipaddress.ip_network(text, strict=False).network_address


def source_problem(text: str | None) -> str | None:
    """Why `text` cannot be the address ssh comes from (None: it can: an address, a network, "any")."""
    try:
        _addr(text.strip() if text else text)
    except ValueError:
        return f"{text!r} is not an address (e.g. 203.0.113.5, 203.0.113.0/24 or any)"
    return None


def _status(server: Server) -> Check:
    name = "instance status"
    if server.status == "ACTIVE" and not server.task_state:
        return Check(name, PASS, "ACTIVE")
    if server.in_transition:
        what = server.task_state or server.status.lower()
        return Check(name, FAIL, f"{server.status} ({what}): wait until it settles",
                     (f"task_state {server.task_state}" if server.task_state else f"status {server.status}",))
    wake = _WAKE.get(server.status)
    evidence = (f"status {server.status}",) + ((f"fault: {server.fault}",) if server.fault else ())
    if wake:
        return Check(name, FAIL, f"{server.status}: it must be running", evidence,
                     (Fix("run", {"server_id": server.id, "action": wake}, f"{wake} {server.name}"),))
    if server.status == "ERROR":
        return Check(name, FAIL, "ERROR: rebuild it, or delete it and launch again", evidence)
    return Check(name, FAIL, f"{server.status}: not running", evidence)


def _ingress_22(eff: Effective, source, view: NetView, who: Server) -> tuple[str, list[str]]:
    """(status, evidence) for tcp/22 into `who` from `source` (None: from anywhere)."""
    names = {g: view.group_name(g) for g in view.security_groups}
    hits = eff.admitting("tcp", 22, str(source) if source else None)
    if hits:
        return PASS, [f"{who.name}: {', '.join(r.groups)}: {r.describe(names)}" for r in hits[:3]]
    ssh = [r for r in eff.ingress if r.protocol in (None, "tcp")
           and (r.protocol is None or r.port_min <= 22 <= r.port_max)]  # type: ignore[operator]
    cidrs = [r for r in ssh if r.remote_group_id is None]
    if source is None and cidrs:
        return WARN, [f"{who.name}: tcp/22 only from {', '.join(r.cidr for r in cidrs[:4])}; "
                      "pass your address (--from) to check it"]
    evidence = [f"{who.name}: no rule admits tcp/22 from {source or 'the Internet'}"]
    evidence += [f"  only {r.describe(names)} ({', '.join(r.groups)})" for r in ssh[:3]]
    return FAIL, evidence


def _ssh_fixes(server: Server, source, view: NetView) -> list[Fix]:
    fixes = []
    gids = view.group_ids_of(server)
    if source is not None:
        own = [g for g in gids if view.group_name(g) != "default"] or list(gids)
        if own:
            host = f"{source}/{source.max_prefixlen}"
            fixes.append(Fix("add_rule", {"group_id": own[0], "direction": "ingress", "protocol": "tcp",
                                          "port_min": 22, "port_max": 22, "remote_cidr": host,
                                          "ethertype": f"IPv{source.version}",
                                          "description": "ssh from my address (exotui doctor)"},
                             f"add tcp/22 from {host} to group {view.group_name(own[0])}"))
    names = set(server.security_groups) | {view.group_name(g) for g in gids}
    for group in view.security_groups.values():
        if group.name in names or group.id in gids:
            continue
        eff = Effective("", (group.id,), *effective_for_groups([group], view))
        if eff.admitting("tcp", 22, str(source) if source else None):
            fixes.append(Fix("attach_security_group", {"server_id": server.id, "name": group.name},
                             f"attach security group {group.name} (it admits tcp/22)"))
            break
    return fixes


def _floating_fixes(server: Server, view: NetView) -> list[Fix]:
    free = view.free_floating_ips()
    if free:
        return [Fix("assign_floating_ip", {"floating_ip_id": free[0].id, "server_id": server.id},
                    f"assign the free floating IP {free[0].address} to {server.name}")]
    ext = next((r.external_network_id for n in view.network_ids_of(server) for r in view.routers_on(n)
                if r.external_network_id), None)
    return [Fix("allocate_and_assign_floating_ip", {"network_id": ext, "server_id": server.id},
                f"allocate a floating IP and assign it to {server.name}")]


def _router(view: NetView, network_id: str, fip_network: str | None) -> Check:
    name = "router to the Internet"
    network = view.networks.get(network_id)
    label = network.name if network else network_id[:8]
    routers = view.routers_on(network_id)
    gated = [r for r in routers if r.external_network_id]
    if gated:
        r = next((r for r in gated if fip_network in (None, r.external_network_id)), None)
        if r is None:
            return Check(name, FAIL, f"router {gated[0].name} leads to another external network than the "
                         "floating IP's", (f"network {label}",))
        ext = view.networks.get(r.external_network_id or "")
        return Check(name, PASS, f"{r.name}, gateway to {ext.name if ext else r.external_network_id}",
                     (f"on network {label}",))
    subnet = next(iter(view.subnets_by_network.get(network_id, ())), None)
    if routers:
        return Check(name, FAIL, f"router {routers[0].name} on {label} has no external gateway",
                     (f"network {label}",), (Fix("manual", {"commands": (
                         f"openstack router set --external-gateway public {routers[0].name}",)},
                         f"give router {routers[0].name} an external gateway"),))
    return Check(name, FAIL, f"network {label} has no router: nothing on it reaches the Internet",
                 (f"network {label}",), (Fix("manual", {"commands": (
                     "openstack router create --external-gateway public my-router",
                     f"openstack router add subnet my-router {subnet.name or subnet.id if subnet else 'SUBNET'}")},
                     f"create a router and add {label}'s subnet to it"),))


def _route(view: NetView, server: Server, source, eff: Effective,
           rules_of) -> tuple[Check, str | None, str | None, str | None, Server | None]:
    """(check, address, jump address, network id of the path, jump server)."""
    name = "floating IP or jump host"
    fips = view.floating_ips_of(server)
    if fips:
        fip, address = fips[0]
        port = view.ports.get(fip.port_id or "") if fip else None
        net = port.network_id if port else next(iter(view.network_ids_of(server)), "")
        return Check(name, PASS, f"floating IP {address}",
                     (f"{address} -> {fip.fixed_address}" if fip and fip.fixed_address else address,)), \
            address, None, net, None
    for net_id in view.network_ids_of(server):
        for subnet in view.subnets_by_network.get(net_id, ()):
            if source is not None and subnet.cidr and source.version == subnet.ip_version and \
                    source in ipaddress.ip_network(subnet.cidr, strict=False):
                fixed = next((ip for ip in view.fixed_ips_of(server) if ipaddress.ip_address(ip) in
                              ipaddress.ip_network(subnet.cidr, strict=False)), None)
                return Check(name, PASS, f"you are on {subnet.cidr} with it: use {fixed}"), fixed, None, "", None
    if source is not None and source.version == 6:
        # any IPv6 address but link-local and unique-local is routed as is (no NAT on IPv6)
        v6 = [ip for ip in view.fixed_ips_of(server) if ipaddress.ip_address(ip).version == 6
              and not ipaddress.ip_address(ip).is_link_local
              and ipaddress.ip_address(ip) not in ipaddress.ip_network("fc00::/7")]
        if v6:
            return Check(name, PASS, f"routed IPv6 address {v6[0]} (no floating IP needed)"), v6[0], None, \
                next(iter(view.network_ids_of(server)), ""), None
    # a jump host: another running instance on a shared network, reachable from the user, that
    # this instance admits tcp/22 from
    shared = set(view.network_ids_of(server))
    for other in sorted(view.servers.values(), key=lambda s: s.name):
        if other.id == server.id or other.status != "ACTIVE" or not view.floating_ips_of(other):
            continue
        common = shared & set(view.network_ids_of(other))
        if not common:
            continue
        other_eff = rules_of(other)
        if not other_eff.admitting("tcp", 22, str(source) if source else None):
            continue
        if not any(eff.admitting("tcp", 22, ip, other.id) for ip in view.fixed_ips_of(other)):
            continue
        jump = view.floating_ips_of(other)[0][1]
        fixed = next(iter(view.fixed_ips_of(server)), None)
        return Check(name, PASS, f"no floating IP: through jump host {other.name} ({jump})",
                     (f"ssh -J {jump} {fixed}",)), fixed, jump, sorted(common)[0], other
    return Check(name, FAIL, "no floating IP, and no jump host on its network that you can reach",
                 (f"fixed {', '.join(view.fixed_ips_of(server)) or 'none'}",),
                 tuple(_floating_fixes(server, view))), None, None, next(iter(view.network_ids_of(server)), None), None


def _egress(view: NetView, server: Server, eff: Effective, jump: Server | None, rules_of) -> Check:
    name = "egress"
    evidence = []
    status = PASS
    if jump is not None:
        target = next(iter(view.fixed_ips_of(server)), None)
        if target and not rules_of(jump).admitting("tcp", 22, target, server.id, direction="egress"):
            status = FAIL
            evidence.append(f"jump host {jump.name} may not open tcp/22 to {target}")
    if eff.admitting("tcp", 80, METADATA, direction="egress"):
        evidence.append(f"tcp/80 to the metadata service {METADATA} (cloud-init fetches the key there)")
    else:
        status = status if status == FAIL else WARN
        evidence.append(f"no egress to {METADATA}: cloud-init cannot fetch the public key at first boot")
    gids = view.group_ids_of(jump or server)
    own = [g for g in gids if view.group_name(g) != "default"] or list(gids)
    fixes = (Fix("add_rule", {"group_id": own[0], "direction": "egress", "ethertype": "IPv4"},
                 f"allow all IPv4 egress in group {view.group_name(own[0])}"),) if status != PASS and own else ()
    summary = "allowed" if status == PASS else evidence[0]
    return Check(name, status, summary, tuple(evidence), fixes)


def _risky(eff: Effective) -> Check:
    """Rules that open every port, or a risky one, to the Internet: told as a warning, never [ok]
    (Jetstream2's advice: open only what you need; net/risky.py)."""
    evidence = [exposure.message for exposure in exposures(eff.ingress)]
    if not evidence:
        return Check("risky rules", PASS, "no rule opens every port or a risky port to the Internet")
    count = f"{len(evidence)} rule{'s' if len(evidence) != 1 else ''}"
    return Check("risky rules", WARN, f"{count} open more than needed to the Internet", tuple(evidence))


def _keypair(view: NetView, server: Server, local: Iterable[str] | None) -> Check:
    name = "keypair"
    if not server.key_name:
        return Check(name, WARN, "launched without a keypair: log in with the passphrase (exouser), if the "
                     "image sets one", ("key_name none",))
    pair = view.keypairs.get(server.key_name)
    if pair is None:
        return Check(name, WARN, f"keypair {server.key_name} is not among yours (another user's, or deleted): "
                     "you need its private key", (f"key_name {server.key_name}",))
    if local is not None:
        local = set(local)
        if pair.fingerprint and pair.fingerprint not in local:
            return Check(name, FAIL, f"none of your keys is {pair.name}",
                         (f"{pair.name} {pair.fingerprint}", f"yours: {', '.join(sorted(local)) or 'none found'}"))
    return Check(name, PASS, f"{pair.name}", (f"fingerprint {pair.fingerprint}",) if pair.fingerprint else ())


def _host_key(server: Server, address: str | None, host_key: str | None, port: int = 22) -> Check:
    name = "host key"
    if host_key is None or address is None:
        return Check(name, SKIP, "not checked")
    where = address if port == 22 else f"{address}:{port}"
    if host_key == "known":
        return Check(name, PASS, f"{where} is in known_hosts")
    if host_key == "changed":
        return Check(name, FAIL, f"the key pinned for {where} is not this instance's (rebuilt, or the "
                     "floating IP moved?); exotui ssh refuses it", (),
                     (Fix("console_log", {"server_id": server.id},
                          "read the host key fingerprints from the console log"),
                      Fix("forget_host_key", {"host": address, "port": port}, f"forget the key pinned for {where}")))
    address = where
    return Check(name, WARN, f"{address} is not in known_hosts: compare the fingerprint ssh shows with the "
                 "console log", (), (Fix("console_log", {"server_id": server.id},
                                         "read the host key fingerprints from the console log"),))


def _reach_check(server: Server, reach, route_jump: Server | None, route_jump_addr: str | None) -> Check | None:
    """exotui's own way to the instance (ssh.target.reach, duck-typed: `s` and `exotui ssh` use it):
    where it has none for an ACTIVE instance the doctor fails too, naming the setting that gives one."""
    if reach.target is not None:
        return Check("exotui ssh", PASS, reach.command)
    if server.status != "ACTIVE":
        return None  # the status check says it, with its fix
    fixes = ()
    if route_jump is not None and route_jump_addr:
        line = f"exotui: {{jump_host: USER@{route_jump_addr}}}"
        fixes = (Fix("manual", {"commands": (line,)},
                     f"add {line} to this cloud in clouds.yaml (jump host {route_jump.name})"),)
    return Check("exotui ssh", FAIL, reach.problem or "no way to reach it", (), fixes)


def diagnose(view: NetView, server: Server, source: str | None = None, *, host_key: str | None = None,
             local_fingerprints: Iterable[str] | None = None, reach=None) -> Diagnosis:
    """The checklist for `ssh` from `source` (an address; None: from somewhere on the Internet).

    host_key: "known", "unknown", "changed" or None (not checked); local_fingerprints: the
    fingerprints of the user's keys as Nova prints them (None: not checked); reach: exotui's own
    decision (ssh.target.Reach): its address, port, user, jump host, key and host-key state are the
    ones checked and suggested, so the doctor and `exotui ssh` agree."""
    src = _addr(source)
    cache: dict = {}

    def rules_of(s: Server) -> Effective:
        return effective(s, view, cache)

    eff = rules_of(server)
    checks = [_status(server)]
    route, address, jump_addr, net, jump = _route(view, server, src, eff, rules_of)
    checks.append(route)
    if net == "":
        checks.append(Check("router to the Internet", SKIP, "not needed from inside the network"))
    elif net:
        fips = view.floating_ips_of(jump or server)
        fip = fips[0][0] if fips else None
        checks.append(_router(view, net, fip.network_id if fip else None))
    else:
        checks.append(Check("router to the Internet", FAIL, "the instance is on no network"))
    entry = jump or server
    status, evidence = _ingress_22(rules_of(entry), src, view, entry)
    fixes = tuple(_ssh_fixes(entry, src, view)) if status != PASS else ()
    who = f"{source}" if src else "the Internet"
    summary = {PASS: f"tcp/22 admitted from {who}", WARN: "tcp/22 admitted from some addresses only",
               FAIL: f"no ingress rule admits tcp/22 from {who}"}[status]
    if jump is not None:
        summary += f" (on jump host {jump.name})"
    checks.append(Check("ssh ingress (tcp/22)", status, summary, tuple(evidence), fixes))
    checks.append(_egress(view, server, eff, jump, rules_of))
    checks.append(_risky(eff))
    checks.append(_keypair(view, server, local_fingerprints))
    if reach is None:
        checks.append(_host_key(server, jump_addr or address, host_key))
        return Diagnosis(server.id, server.name, source, tuple(checks), address, jump_addr)
    extra = _reach_check(server, reach, jump, jump_addr)
    if extra is not None:
        checks.append(extra)
    target = reach.target
    if target is not None:
        checks.append(_host_key(server, target.host, reach.host_key, target.port))
    else:
        checks.append(Check("host key", SKIP, "not checked: exotui has no way to the instance"))
    return Diagnosis(server.id, server.name, source, tuple(checks), target.host if target else address,
                     target.jump if target else jump_addr, ssh_command=reach.command or "")


def render(diagnosis: Diagnosis, width: int = 80) -> list[str]:
    """The checklist as plain text lines (the CLI prints these)."""
    marks = {PASS: "[ ok ]", WARN: "[warn]", FAIL: "[FAIL]", SKIP: "[ -- ]"}
    lines = [f"ssh to {diagnosis.server_name}" + (f" from {diagnosis.source}" if diagnosis.source else "")]

    def add(text: str, first: str, rest: str) -> None:
        # wrapped, not cut: evidence is the point of the checklist
        lines.extend(textwrap.wrap(text, width, initial_indent=first, subsequent_indent=rest,
                                   break_on_hyphens=False) or [first])

    for check in diagnosis.checks:
        add(f"{check.name}: {check.summary}", f"{marks[check.status]} ", " " * 9)
        for item in check.evidence:
            add(item, " " * 7, " " * 9)
        for fix in check.fixes:
            add(f"fix: {fix.label}", " " * 7, " " * 12)
    verdict = "every check passed" if diagnosis.ok else "some checks failed"
    lines.append(f"{verdict}" + (f": {diagnosis.command}" if diagnosis.ok and diagnosis.command else ""))
    return lines

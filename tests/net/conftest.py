"""Hand-built projects for the net/ unit tests: a tiny builder over the models, no cloud at all."""

from __future__ import annotations

import itertools

import pytest

from exotui.cloud.models import (
    Address,
    FixedIP,
    FloatingIP,
    Keypair,
    Network,
    Port,
    Router,
    SecurityGroup,
    SecurityGroupRule,
    Server,
    Subnet,
)
from exotui.net.view import NetView


class Project:
    """Build a project step by step, then `.view()` it."""

    def __init__(self) -> None:
        self._ids = itertools.count(1)
        self.servers: list[Server] = []
        self.networks: list[Network] = []
        self.subnets: list[Subnet] = []
        self.routers: list[Router] = []
        self.ports: list[Port] = []
        self.fips: list[FloatingIP] = []
        self.groups: dict[str, SecurityGroup] = {}
        self.keypairs: list[Keypair] = [Keypair("mykey", "aa:bb")]

    def id(self, prefix: str) -> str:
        return f"{prefix}-{next(self._ids)}"

    def group(self, name: str, *rules: dict) -> str:
        gid = self.id("sg")
        self.groups[gid] = SecurityGroup(gid, name)
        for rule in rules:
            self.rule(gid, **rule)
        return gid

    def rule(self, gid: str, direction: str = "ingress", ethertype: str = "IPv4", protocol=None, port_min=None,
             port_max=None, remote_cidr=None, remote_group_id=None) -> str:
        rid = self.id("rule")
        group = self.groups[gid]
        rule = SecurityGroupRule(rid, gid, direction, ethertype, protocol, port_min, port_max, remote_cidr,
                                 remote_group_id)
        self.groups[gid] = SecurityGroup(group.id, group.name, rules=group.rules + (rule,))
        return rid

    def external(self, name: str = "public", cidr: str = "149.165.0.0/16") -> str:
        nid = self.id("ext")
        sid = self.id("subnet")
        self.networks.append(Network(nid, name, external=True, subnet_ids=(sid,)))
        self.subnets.append(Subnet(sid, f"{name}-subnet", nid, cidr))
        return nid

    def network(self, name: str, cidr: str = "10.0.0.0/24", ip_version: int = 4) -> str:
        nid = self.id("net")
        sid = self.id("subnet")
        self.networks.append(Network(nid, name, project_id="p", subnet_ids=(sid,)))
        self.subnets.append(Subnet(sid, f"{name}-subnet", nid, cidr, ip_version))
        return nid

    def router(self, name: str, external_id: str | None, *network_ids: str) -> str:
        rid = self.id("router")
        self.routers.append(Router(rid, name, external_network_id=external_id,
                                   external_ips=("149.165.0.2",) if external_id else ()))
        for nid in network_ids:
            self.ports.append(Port(self.id("port"), "", nid, rid, "network:router_interface"))
        return rid

    def server(self, name: str, network_id: str | None, ip: str = "", groups: tuple[str, ...] = (),
               status: str = "ACTIVE", fip: str | None = None, key_name: str | None = "mykey",
               external_id: str | None = None, extra_ips: tuple[str, ...] = ()) -> str:
        sid = self.id("srv")
        addresses = []
        if network_id:
            pid = self.id("port")
            subnet = next(s for s in self.subnets if s.network_id == network_id)
            ips = (ip, *extra_ips)
            self.ports.append(Port(pid, "", network_id, sid, "compute:nova",
                                   fixed_ips=tuple(FixedIP(subnet.id, a) for a in ips), security_group_ids=groups))
            addresses = [Address("net", a, 6 if ":" in a else 4, "fixed") for a in ips]
            if fip:
                self.fips.append(FloatingIP(self.id("fip"), fip, "ACTIVE", pid, ip, external_id or ""))
                addresses.append(Address("net", fip, 4, "floating"))
        names = tuple(self.groups[g].name for g in groups)
        self.servers.append(Server(sid, name, status, addresses=tuple(addresses), security_groups=names,
                                   key_name=key_name, project_id="p"))
        return sid

    def free_fip(self, address: str, external_id: str) -> str:
        fid = self.id("fip")
        self.fips.append(FloatingIP(fid, address, "DOWN", None, None, external_id))
        return fid

    def view(self) -> NetView:
        return NetView(self.servers, self.networks, self.subnets, self.routers, self.ports, self.fips,
                       self.groups.values(), self.keypairs)


@pytest.fixture()
def project() -> Project:
    return Project()


"""One project's network resources with the indexes topology, rules and doctor all need.

Built once from a store (or hand-built lists in tests); every look-up afterwards is a dict read,
so a map of 1,000 instances never scans the port list per instance.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from exotui.cloud.models import (
    FloatingIP,
    Keypair,
    Network,
    Port,
    Router,
    SecurityGroup,
    Server,
    Subnet,
)

# device_owner values of the ports that join a router to a network (legacy, DVR and HA routers)
ROUTER_INTERFACE_OWNERS = frozenset({"network:router_interface", "network:router_interface_distributed",
                                     "network:ha_router_replicated_interface"})
KINDS = ("servers", "networks", "subnets", "routers", "ports", "floating_ips", "security_groups", "keypairs")


class NetView:
    """Read-only picture of a project's instances, networks and security groups."""

    def __init__(self, servers: Iterable[Server] = (), networks: Iterable[Network] = (),
                 subnets: Iterable[Subnet] = (), routers: Iterable[Router] = (), ports: Iterable[Port] = (),
                 floating_ips: Iterable[FloatingIP] = (), security_groups: Iterable[SecurityGroup] = (),
                 keypairs: Iterable[Keypair] = ()):
        self.servers: dict[str, Server] = {s.id: s for s in servers if not s.deleted}
        self.networks: dict[str, Network] = {n.id: n for n in networks}
        self.subnets: dict[str, Subnet] = {s.id: s for s in subnets}
        self.routers: dict[str, Router] = {r.id: r for r in routers}
        self.ports: dict[str, Port] = {p.id: p for p in ports}
        self.floating_ips: dict[str, FloatingIP] = {f.id: f for f in floating_ips}
        self.security_groups: dict[str, SecurityGroup] = {g.id: g for g in security_groups}
        self.keypairs: dict[str, Keypair] = {k.name: k for k in keypairs}

        self.ports_by_device: dict[str, list[Port]] = defaultdict(list)
        self.router_interfaces: dict[str, list[Port]] = defaultdict(list)  # network id -> router ports
        for port in self.ports.values():
            if port.device_owner in ROUTER_INTERFACE_OWNERS:
                self.router_interfaces[port.network_id].append(port)
            elif port.device_id:
                self.ports_by_device[port.device_id].append(port)
        self.fip_by_port: dict[str, FloatingIP] = {f.port_id: f for f in self.floating_ips.values() if f.port_id}
        self.subnets_by_network: dict[str, list[Subnet]] = defaultdict(list)
        for subnet in self.subnets.values():
            self.subnets_by_network[subnet.network_id].append(subnet)
        self._groups_by_name: dict[str, list[str]] = defaultdict(list)
        for group in self.security_groups.values():
            self._groups_by_name[group.name].append(group.id)
        self._network_by_name = {n.name: n.id for n in self.networks.values()}
        self._group_ids: dict[str, tuple[str, ...]] = {}
        self._members: dict[str, tuple[str, ...]] | None = None
        self._names: dict[str, str] | None = None

    @classmethod
    def from_store(cls, store: Any) -> NetView:
        """From a cloud.store.ProjectStore (duck-typed: net imports only the models)."""
        return cls(**{kind: store.get(kind).values() for kind in KINDS})

    # --- instances -----------------------------------------------------------------------------

    def ports_of(self, server_id: str) -> list[Port]:
        return self.ports_by_device.get(server_id, [])

    def group_ids_of(self, server: Server) -> tuple[str, ...]:
        """The union of the security groups on the instance's ports; by name when no port is known
        (ports are fetched less often than servers, so a new instance may have none yet)."""
        cached = self._group_ids.get(server.id)
        if cached is None:
            ports = self.ports_of(server.id)
            if ports:
                cached = tuple(dict.fromkeys(g for p in ports for g in p.security_group_ids))
            else:
                cached = tuple(dict.fromkeys(g for name in server.security_groups
                                             for g in self._groups_by_name.get(name, ())))
            self._group_ids[server.id] = cached
        return cached

    def members(self, group_id: str) -> tuple[str, ...]:
        """IDs of the instances a security group is attached to (what a remote-group rule admits)."""
        if self._members is None:
            found: dict[str, list[str]] = defaultdict(list)
            for server in self.servers.values():
                for gid in self.group_ids_of(server):
                    found[gid].append(server.id)
            self._members = {gid: tuple(ids) for gid, ids in found.items()}
        return self._members.get(group_id, ())

    def fixed_ips_of(self, server: Server) -> tuple[str, ...]:
        ports = self.ports_of(server.id)
        if ports:
            return tuple(ip.ip_address for p in ports for ip in p.fixed_ips)
        return server.fixed_ips

    def floating_ips_of(self, server: Server) -> list[tuple[FloatingIP | None, str]]:
        """(FloatingIP or None when only Nova's addresses know it, address) for each floating IP."""
        found = [(self.fip_by_port[p.id], self.fip_by_port[p.id].address)
                 for p in self.ports_of(server.id) if p.id in self.fip_by_port]
        known = {addr for _, addr in found}
        found += [(None, addr) for addr in server.floating_ips if addr not in known]
        return found

    def network_ids_of(self, server: Server) -> tuple[str, ...]:
        ports = self.ports_of(server.id)
        if ports:
            return tuple(dict.fromkeys(p.network_id for p in ports))
        return tuple(dict.fromkeys(self._network_by_name[a.network] for a in server.addresses
                                   if a.network in self._network_by_name))

    def servers_named(self, name_or_id: str) -> list[Server]:
        if name_or_id in self.servers:
            return [self.servers[name_or_id]]
        return [s for s in self.servers.values() if s.name == name_or_id]

    # --- routing -------------------------------------------------------------------------------

    def routers_on(self, network_id: str) -> list[Router]:
        seen = dict.fromkeys(p.device_id for p in self.router_interfaces.get(network_id, ()))
        return [self.routers[r] for r in seen if r in self.routers]

    def external_networks(self) -> list[Network]:
        return [n for n in self.networks.values() if n.external]

    def free_floating_ips(self) -> list[FloatingIP]:
        return [f for f in self.floating_ips.values() if not f.port_id]

    @property
    def group_names(self) -> dict[str, str]:
        if self._names is None:
            self._names = {gid: g.name for gid, g in self.security_groups.items()}
        return self._names

    def group_name(self, group_id: str) -> str:
        group = self.security_groups.get(group_id)
        return group.name if group else group_id[:8]

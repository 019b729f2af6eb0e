"""Views of the kinds the store holds that had none: routers, subnets, ports, volume snapshots, server groups
(`d`/enter and `y` come from ResourceView; the snapshots' and routers' writes are action_table's)."""

from __future__ import annotations

from textual.binding import Binding

from .table import Column
from .views import ResourceView, age


def named(view: ResourceView, kind: str, ident: str) -> str:
    """The name of another item of the view's project (its ID's start while that is not loaded)."""
    item = view.project.store.item(kind, ident) if view.project and ident else None
    return (item.name or item.id[:8]) if item is not None else ident[:8]


class RoutersView(ResourceView):
    kind = "routers"
    title = "Routers"
    BINDINGS = [
        Binding("n", "flow('create')", "New", tooltip="a router, with its gateway on an external network"),
        Binding("e", "flow('gateway')", "Gateway", tooltip="set or clear the external gateway"),
        Binding("a", "flow('add_interface')", "Add subnet", tooltip="an interface on one of your subnets"),
        Binding("x", "flow('remove_interface')", "Remove subnet", tooltip="one of its interfaces (asks first)"),
        Binding("ctrl+d", "flow('delete')", "Delete", show=False, tooltip="asks first, naming it"),
    ]

    def depends_on(self) -> tuple[str, ...]:
        return ("networks",)

    def gateway(self, router) -> str:
        return named(self, "networks", router.external_network_id) if router.external_network_id else "-"

    def columns(self) -> list[Column]:
        return [
            Column("name", "NAME", 18, lambda r: r.name or r.id[:8], flex=True),
            Column("status", "STATUS", 7, lambda r: r.status),
            Column("gateway", "GATEWAY", 14, self.gateway),
            Column("ips", "EXTERNAL IP", 15, lambda r: ", ".join(r.external_ips) or "-"),
            Column("id", "ID", 36, lambda r: r.id, wide_only=True),
        ]


class SubnetsView(ResourceView):
    kind = "subnets"
    title = "Subnets"

    def depends_on(self) -> tuple[str, ...]:
        return ("networks",)

    def columns(self) -> list[Column]:
        return [
            Column("name", "NAME", 16, lambda s: s.name or s.id[:8], flex=True),
            Column("cidr", "CIDR", 18, lambda s: s.cidr),
            Column("network", "NETWORK", 14, lambda s: named(self, "networks", s.network_id)),
            Column("gateway", "GATEWAY", 15, lambda s: s.gateway_ip or "-"),
            Column("dhcp", "DHCP", 4, lambda s: "on" if s.enable_dhcp else "off", wide_only=True),
        ]


class PortsView(ResourceView):
    kind = "ports"
    title = "Ports"

    def depends_on(self) -> tuple[str, ...]:
        return ("servers", "routers", "networks")

    def device(self, port) -> str:
        store = self.project.store if self.project else None
        owner = store and (store.item("servers", port.device_id) or store.item("routers", port.device_id))
        if owner:
            return owner.name or port.device_id[:8]
        return port.device_owner or (port.device_id[:8] if port.device_id else "-")

    def columns(self) -> list[Column]:
        return [
            Column("name", "NAME", 10, lambda p: p.name or p.id[:8], flex=True),
            Column("ips", "FIXED IP", 15, lambda p: ", ".join(ip.ip_address for ip in p.fixed_ips)),
            Column("device", "DEVICE", 16, self.device, flex=True),
            Column("status", "STATUS", 6, lambda p: p.status),
            Column("mac", "MAC", 17, lambda p: p.mac_address, wide_only=True),
        ]


class SnapshotsView(ResourceView):
    kind = "volume_snapshots"
    title = "Volume snapshots"
    BINDINGS = [
        Binding("n", "flow('create')", "New", tooltip="take a snapshot of a volume"),
        Binding("v", "flow('to_volume')", "New volume", tooltip="a new volume made from the snapshot"),
        Binding("ctrl+d", "flow('delete')", "Delete", show=False, tooltip="asks first, naming it"),
    ]

    def depends_on(self) -> tuple[str, ...]:
        return ("volumes",)

    def columns(self) -> list[Column]:
        return [
            Column("name", "NAME", 16, lambda s: s.name or s.id[:8], flex=True),
            Column("size", "SIZE", 7, lambda s: f"{s.size_gb} GB", sort=lambda s: s.size_gb, justify="right"),
            Column("status", "STATUS", 10, lambda s: s.status),
            Column("volume", "VOLUME", 16, lambda s: named(self, "volumes", s.volume_id), flex=True),
            Column("age", "AGE", 4, lambda s: age(s.created_at), sort=lambda s: s.created_at, justify="right"),
        ]


class ServerGroupsView(ResourceView):
    kind = "server_groups"
    title = "Server groups"

    def columns(self) -> list[Column]:
        return [
            Column("name", "NAME", 20, lambda g: g.name or g.id[:8], flex=True),
            Column("policy", "POLICY", 18, lambda g: g.policy),
            Column("members", "MEMBERS", 7, lambda g: str(len(g.member_ids)), sort=lambda g: len(g.member_ids),
                   justify="right"),
        ]


KIND_VIEWS = (RoutersView, SubnetsView, PortsView, SnapshotsView, ServerGroupsView)

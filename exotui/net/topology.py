"""The network map: a graph of external networks, routers, networks, instances and floating IPs,
and its layout as text lines that fit a terminal width.

Layout: an indented layered tree (external network > router > network > instance), written here
rather than taken from a graph-layout library. grandalf (Sugiyama layering, last release 0.8 in
2023) places nodes at float coordinates for a 2-D drawing; 1,000 instances side by side cannot fit
80 columns in any 2-D drawing, its crossing reduction is slow in pure Python at that size, and we
would still have to route edges through character cells ourselves. A project's network is nearly
a tree, so a tree is both the honest picture and O(n); the few cross links (a network behind two
routers, an instance on two networks) appear as `↗ also ...` lines. Horizon's topology omits
floating IPs and security groups; every instance line here carries both.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from exotui.cloud.models import Server

from .view import NetView

COLLAPSE_OVER = 8  # a network with more instances than this shows counts until expanded


@dataclass(frozen=True, slots=True)
class Node:
    id: str  # kind:resource-id (instances: inst:network-id:server-id, one per network it is on)
    kind: str  # external | router | network | subnet | instance | fips | section | link
    ref: str  # the resource's ID ("" for sections)
    label: str
    parent: str | None = None


@dataclass
class Topology:
    nodes: dict[str, Node] = field(default_factory=dict)
    children: dict[str, list[str]] = field(default_factory=dict)
    roots: list[str] = field(default_factory=list)
    edges: list[tuple[str, str]] = field(default_factory=list)  # (from, to): the tree plus cross links

    def add(self, node: Node) -> Node:
        self.nodes[node.id] = node
        self.children.setdefault(node.id, [])
        if node.parent is None:
            self.roots.append(node.id)
        else:
            self.children.setdefault(node.parent, []).append(node.id)
            self.edges.append((node.parent, node.id))
        return node

    def instances_under(self, node_id: str) -> list[Node]:
        return [self.nodes[c] for c in self.children.get(node_id, ()) if self.nodes[c].kind == "instance"]


def build(view: NetView) -> Topology:
    """The graph of one project. Every network appears once, under the first router it reaches."""
    topo = Topology()
    placed_networks: set[str] = set()
    placed_routers: set[str] = set()

    def add_network(network_id: str, parent: str | None) -> None:
        network = view.networks.get(network_id)
        if network is None or network.external:
            return
        node_id = f"net:{network_id}"
        if network_id in placed_networks:
            topo.add(Node(f"link:{parent}:{network_id}", "link", network_id, f"also {network.name}", parent))
            topo.edges.append((parent or "", node_id))
            return
        placed_networks.add(network_id)
        topo.add(Node(node_id, "network", network_id, network.name or network_id[:8], parent))
        for subnet in view.subnets_by_network.get(network_id, ()):
            topo.add(Node(f"subnet:{subnet.id}", "subnet", subnet.id, subnet.cidr, node_id))
        for server in servers_on.get(network_id, ()):
            topo.add(Node(f"inst:{network_id}:{server.id}", "instance", server.id, server.name, node_id))

    # instances by network, in name order so the map is stable between polls
    servers_on: dict[str, list[Server]] = {}
    unattached: list[Server] = []
    for server in sorted(view.servers.values(), key=lambda s: (s.name, s.id)):
        nets = view.network_ids_of(server)
        for net in nets:
            servers_on.setdefault(net, []).append(server)
        if not nets:
            unattached.append(server)

    routers_by_ext: dict[str | None, list] = {}
    for router in sorted(view.routers.values(), key=lambda r: r.name):
        routers_by_ext.setdefault(router.external_network_id, []).append(router)
    interfaces: dict[str, list[str]] = {}
    for network_id, ports in view.router_interfaces.items():
        for port in ports:
            interfaces.setdefault(port.device_id, []).append(network_id)

    def add_router(router, parent: str | None) -> None:
        placed_routers.add(router.id)
        node = topo.add(Node(f"router:{router.id}", "router", router.id, router.name or router.id[:8], parent))
        for network_id in sorted(dict.fromkeys(interfaces.get(router.id, ())),
                                 key=lambda n: view.networks[n].name if n in view.networks else n):
            add_network(network_id, node.id)

    for ext in sorted(view.external_networks(), key=lambda n: n.name):
        node = topo.add(Node(f"ext:{ext.id}", "external", ext.id, ext.name or ext.id[:8]))
        for router in routers_by_ext.get(ext.id, ()):
            add_router(router, node.id)
        free = [f for f in view.free_floating_ips() if f.network_id == ext.id]
        if free:
            topo.add(Node(f"fips:{ext.id}", "fips", ext.id, ", ".join(sorted(f.address for f in free)), node.id))
    # routers whose gateway network we cannot see, and routers with no gateway at all
    rest = [r for r in view.routers.values() if r.id not in placed_routers]
    if rest:
        section = topo.add(Node("section:no-gateway", "section", "", "routers without an external gateway"))
        for router in sorted(rest, key=lambda r: r.name):
            add_router(router, section.id)
    own_projects = {s.project_id for s in view.servers.values()}
    isolated = [n for n in view.networks.values() if not n.external and n.id not in placed_networks
                and (servers_on.get(n.id) or n.project_id in own_projects)]
    if isolated:
        section = topo.add(Node("section:no-router", "section", "", "networks with no router (no Internet)"))
        for network in sorted(isolated, key=lambda n: n.name):
            add_network(network.id, section.id)
    if unattached:
        section = topo.add(Node("section:no-network", "section", "", "instances on no network"))
        for server in unattached:
            topo.add(Node(f"inst::{server.id}", "instance", server.id, server.name, section.id))
    return topo


# --- layout ----------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Line:
    """One row of the map: styled segments (text, role) and the node it stands for."""

    node_id: str | None
    depth: int
    segments: tuple[tuple[str, str], ...]

    @property
    def text(self) -> str:
        return "".join(text for text, _ in self.segments)


_ICONS = {"external": "◎", "router": "⊕", "network": "▭", "instance": "●", "fips": "◇", "section": "▸",
          "link": "↗", "collapsed": "▸"}


def _fit(segments: list[tuple[str, str]], width: int) -> tuple[tuple[str, str], ...]:
    """Cut segments from the end so the line fits `width` cells, ending in `…` if anything went."""
    out, used = [], 0
    for text, role in segments:
        if used + len(text) <= width:
            out.append((text, role))
            used += len(text)
            continue
        room = width - used - 1
        if room > 0:
            out.append((text[:room], role))
        out.append(("…", "dim"))
        break
    return tuple(out)


def _instance_segments(view: NetView, node: Node, network_id: str) -> list[tuple[str, str]]:
    server = view.servers.get(node.ref)
    if server is None:
        return [(node.label, "name")]
    ports = [p for p in view.ports_of(server.id) if not network_id or p.network_id == network_id]
    fixed = [ip.ip_address for p in ports for ip in p.fixed_ips] or [
        a.addr for a in server.addresses if a.kind == "fixed"]
    fips = [view.fip_by_port[p.id].address for p in ports if p.id in view.fip_by_port]
    if not ports:
        fips = list(server.floating_ips)
    segs = [(f"{node.label} ", "name"), (f"{server.status.lower()} ", f"status:{server.status}")]
    segs.append((" ".join(fixed[:2]) or "no address", "ip"))
    segs.append((f" ⇄ {fips[0]}" if fips else " (no floating IP)", "fip" if fips else "dim"))
    groups = [view.group_name(g) for g in view.group_ids_of(server)]
    segs.append(("  [" + ",".join(groups) + "]" if groups else "  [no groups]", "group" if groups else "warn"))
    return segs


def _summary(view: NetView, instances: list[Node]) -> str:
    statuses = Counter(view.servers[n.ref].status.lower() for n in instances if n.ref in view.servers)
    fips = sum(1 for n in instances if n.ref in view.servers and view.floating_ips_of(view.servers[n.ref]))
    parts = ", ".join(f"{count} {status}" for status, count in statuses.most_common(3))
    if len(statuses) > 3:
        parts += ", …"
    return f"{len(instances)} instances: {parts} · {fips} floating IPs"


def layout(topo: Topology, view: NetView, width: int = 80, expanded: frozenset[str] | set[str] = frozenset(),
           collapse_over: int = COLLAPSE_OVER) -> list[Line]:
    """The map as lines no wider than `width`. Networks with more than `collapse_over` instances
    show one summary line (node `<network node>#more`) unless their node ID is in `expanded`."""
    lines: list[Line] = []

    def walk(node_id: str, depth: int, prefix: str, last: bool) -> None:
        node = topo.nodes[node_id]
        branch = "" if depth == 0 else ("└─ " if last else "├─ ")
        segs: list[tuple[str, str]] = [(prefix + branch, "tree"), (_ICONS.get(node.kind, "·") + " ", node.kind)]
        kids = [c for c in topo.children.get(node_id, ()) if topo.nodes[c].kind != "subnet"]
        if node.kind == "external":
            segs += [(node.label, "external"), ("  external", "dim")]
        elif node.kind == "router":
            router = view.routers.get(node.ref)
            segs.append((node.label, "router"))
            if router and router.external_ips:
                segs.append((f"  gw {router.external_ips[0]}", "ip"))
            elif router and not router.external_network_id:
                segs.append(("  no external gateway", "warn"))
        elif node.kind == "network":
            cidrs = [topo.nodes[c].label for c in topo.children.get(node_id, ()) if topo.nodes[c].kind == "subnet"]
            count = len(topo.instances_under(node_id))
            segs += [(node.label, "network"), (f"  {' '.join(cidrs) or 'no subnet'}", "ip"),
                     (f"  {count} instance{'s' if count != 1 else ''}", "dim")]
        elif node.kind == "instance":
            network_id = node.id.split(":")[1]
            segs += _instance_segments(view, node, network_id)
        elif node.kind == "fips":
            segs += [("free floating IPs: ", "dim"), (node.label, "fip")]
        else:
            segs.append((node.label, "section" if node.kind == "section" else "dim"))
        lines.append(Line(node_id, depth, _fit(segs, width)))
        child_prefix = prefix + ("" if depth == 0 else ("   " if last else "│  "))
        if node.kind == "network" and node_id not in expanded:
            instances = [topo.nodes[c] for c in kids if topo.nodes[c].kind == "instance"]
            if len(instances) > collapse_over:
                others = [c for c in kids if topo.nodes[c].kind != "instance"]
                for child in others:
                    walk(child, depth + 1, child_prefix, False)
                segs = [(child_prefix + "└─ ", "tree"), ("▸ ", "collapsed"), (_summary(view, instances), "dim"),
                        ("  (enter: expand)", "hint")]
                lines.append(Line(f"{node_id}#more", depth + 1, _fit(segs, width)))
                return
        for i, child in enumerate(kids):
            walk(child, depth + 1, child_prefix, i == len(kids) - 1)

    for root in topo.roots:
        walk(root, 0, "", True)
    if not lines:
        lines.append(Line(None, 0, (("no networks in this project", "dim"),)))
    return lines


def render(view: NetView, width: int = 80, expanded: frozenset[str] | set[str] = frozenset()) -> str:
    """The whole map as plain text (for the CLI, tests and benchmarks)."""
    return "\n".join(line.text for line in layout(build(view), view, width, expanded))


def detail(topo: Topology, view: NetView, node_id: str) -> list[str]:
    """What enter on a node shows: its resource, in a few lines of plain words."""
    node = topo.nodes.get(node_id.split("#")[0])
    if node is None:
        return []
    out = [f"{node.kind} {node.label}", f"id {node.ref}" if node.ref else ""]
    if node.kind == "instance" and node.ref in view.servers:
        server = view.servers[node.ref]
        out += [f"status {server.status}", f"fixed {', '.join(view.fixed_ips_of(server)) or '-'}",
                f"floating {', '.join(a for _, a in view.floating_ips_of(server)) or '-'}",
                f"security groups {', '.join(view.group_name(g) for g in view.group_ids_of(server)) or '-'}",
                f"keypair {server.key_name or '-'}"]
    elif node.kind == "router" and node.ref in view.routers:
        router = view.routers[node.ref]
        ext = view.networks.get(router.external_network_id or "")
        out += [f"external gateway {ext.name if ext else router.external_network_id or 'none'}",
                f"gateway addresses {', '.join(router.external_ips) or '-'}"]
    elif node.kind == "network" and node.ref in view.networks:
        subnets = view.subnets_by_network.get(node.ref, ())
        out += [f"subnet {s.name or s.id[:8]} {s.cidr} gateway {s.gateway_ip or '-'}" for s in subnets]
        out.append(f"routers {', '.join(r.name for r in view.routers_on(node.ref)) or 'none'}")
        out.append(f"instances {len(topo.instances_under(node.id))}")
    return [line for line in out if line]

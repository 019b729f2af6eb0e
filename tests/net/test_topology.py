"""The network map on hand-built projects: the tree, collapsing, cross links, width."""

from __future__ import annotations

from exotui.net.topology import build, detail, layout, render


def routed(project, instances: int = 2):
    ext = project.external()
    net = project.network("lab")
    project.router("r1", ext, net)
    g = project.group("ssh")
    ids = [project.server(f"vm{i:02}", net, f"10.0.0.{i + 10}", (g,), fip="149.165.1.1" if i == 0 else None,
                          external_id=ext) for i in range(instances)]
    return ext, net, ids


def test_tree_from_external_network_to_instances(project):
    ext, net, (a, b) = routed(project)
    project.free_fip("149.165.1.9", ext)
    text = render(project.view())
    assert text.splitlines() == [
        "◎ public  external",
        "├─ ⊕ r1  gw 149.165.0.2",
        "│  └─ ▭ lab  10.0.0.0/24  2 instances",
        "│     ├─ ● vm00 active 10.0.0.10 ⇄ 149.165.1.1  [ssh]",
        "│     └─ ● vm01 active 10.0.0.11 (no floating IP)  [ssh]",
        "└─ ◇ free floating IPs: 149.165.1.9",
    ]
    topo = build(project.view())
    assert (f"net:{net}", f"inst:{net}:{a}") in topo.edges
    assert topo.nodes[f"inst:{net}:{a}"].parent == f"net:{net}"


def test_no_router_and_no_gateway_sections(project):
    isolated = project.network("isolated", "192.168.0.0/24")
    dark = project.network("dark", "192.168.1.0/24")
    project.router("nogw", None, dark)
    project.server("lonely", isolated, "192.168.0.5")
    project.server("nowhere", None)
    lines = render(project.view()).splitlines()
    assert lines[0] == "▸ routers without an external gateway"
    assert lines[1] == "└─ ⊕ nogw  no external gateway"
    assert "▸ networks with no router (no Internet)" in lines
    assert any("lonely" in line for line in lines)
    assert lines[-2:] == ["▸ instances on no network", "└─ ● nowhere active no address (no floating IP)  [no groups]"]


def test_big_networks_collapse_to_counts_and_expand(project):
    _, net, ids = routed(project, 50)
    project.servers[3] = project.servers[3].__class__(ids[3], "vm03", "SHUTOFF")
    view = project.view()
    topo = build(view)
    lines = layout(topo, view)
    assert len(lines) == 4
    assert lines[-1].node_id == f"net:{net}#more"
    assert "50 instances: 49 active, 1 shutoff · 1 floating IPs" in lines[-1].text
    expanded = layout(topo, view, expanded={f"net:{net}"})
    assert len(expanded) == 53


def test_every_line_fits_the_width(project):
    ext = project.external("a-very-long-external-network-name-that-goes-on-and-on")
    net = project.network("n" * 70)
    project.router("r" * 70, ext, net)
    groups = tuple(project.group(f"group-{i}") for i in range(6))
    project.server("x" * 60, net, "10.0.0.2", groups, fip="149.165.3.3", external_id=ext)
    for width in (40, 80, 120):
        for line in layout(build(project.view()), project.view(), width):
            assert len(line.text) <= width
            assert line.text == "".join(t for t, _ in line.segments)


def test_a_network_behind_two_routers_and_an_instance_on_two_networks(project):
    ext = project.external()
    a, b = project.network("a"), project.network("b", "10.0.1.0/24")
    project.router("r1", ext, a)
    project.router("r2", ext, a, b)
    sid = project.server("multi", a, "10.0.0.2")
    project.ports.append(project.ports[-1].__class__("p-extra", "", b, sid, "compute:nova"))
    topo = build(project.view())
    kinds = [topo.nodes[n].kind for n in topo.children[f"router:{project.routers[1].id}"]]
    assert kinds == ["link", "network"]
    assert f"inst:{a}:{sid}" in topo.nodes and f"inst:{b}:{sid}" in topo.nodes
    assert "↗ also a" in render(project.view())


def test_detail_of_an_instance_and_a_router(project):
    ext, net, (a, _) = routed(project)
    view = project.view()
    topo = build(view)
    lines = detail(topo, view, f"inst:{net}:{a}")
    assert "floating 149.165.1.1" in lines and "security groups ssh" in lines
    assert "external gateway public" in detail(topo, view, f"router:{project.routers[0].id}")


def test_an_empty_project(project):
    assert render(project.view()) == "no networks in this project"

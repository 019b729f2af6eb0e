"""Risky rules (issue 18 item 9): every port, or a well-known risky port, open to the whole Internet is
flagged where it is made (rule_risk, before sending) and where it is read (the doctor warns, never [ok])."""

from __future__ import annotations

import pytest

from exotui.cloud.models import SecurityGroupRule
from exotui.net.doctor import PASS, WARN, diagnose, render
from exotui.net.matrix import exposed
from exotui.net.risky import risk_of, rule_risk

SSH_WORLD = {"protocol": "tcp", "port_min": 22, "port_max": 22, "remote_cidr": "0.0.0.0/0"}
EGRESS = {"direction": "egress"}


@pytest.mark.parametrize("protocol,low,high,cidr,ethertype,message", [
    ("tcp", 1, 65535, "0.0.0.0/0", "IPv4", "every tcp port open to 0.0.0.0/0"),
    ("tcp", None, None, None, "IPv4", "every tcp port open to 0.0.0.0/0"),
    (None, None, None, "::/0", "IPv6", "every port open to ::/0"),
    ("6", 3389, 3389, "0.0.0.0/0", "IPv4", "tcp/3389 RDP open to 0.0.0.0/0"),
    ("tcp", 3306, 3306, "::/0", "IPv6", "tcp/3306 MySQL open to ::/0"),
    ("tcp", 2375, 2376, "0.0.0.0/0", "IPv4", "tcp/2375 Docker API, 2376 Docker API (TLS) open to 0.0.0.0/0"),
    ("tcp", 5000, 10000, "0.0.0.0/0", "IPv4", "tcp/5432 PostgreSQL, 5900 VNC, 5901 VNC, 3 more open to 0.0.0.0/0"),
    ("udp", 1, 65535, "0.0.0.0/0", "IPv4", "every udp port open to 0.0.0.0/0"),
])
def test_risky(protocol, low, high, cidr, ethertype, message):
    risk = rule_risk("ingress", protocol, low, high, cidr, ethertype=ethertype)
    assert risk is not None and risk.message == message


@pytest.mark.parametrize("direction,protocol,low,high,cidr,group", [
    ("ingress", "tcp", 22, 22, "0.0.0.0/0", None),  # SSH to the world: the research-cloud norm
    ("ingress", "tcp", 443, 443, "0.0.0.0/0", None),
    ("ingress", "tcp", 3389, 3389, "203.0.113.0/24", None),  # RDP from one network: what was asked for
    ("ingress", "tcp", 1, 65535, "10.0.0.0/8", None),
    ("ingress", None, None, None, None, "sg-1"),  # every port from the group's members only
    ("ingress", "icmp", None, None, "0.0.0.0/0", None),
    ("egress", None, None, None, "0.0.0.0/0", None),
    ("ingress", "tcp", 5432, 5432, "not-a-cidr", None),
])
def test_not_risky(direction, protocol, low, high, cidr, group):
    assert rule_risk(direction, protocol, low, high, cidr, remote_group_id=group) is None


def test_a_rule_as_neutron_holds_it():
    rule = SecurityGroupRule("r", "g", "ingress", "IPv4", "tcp", 6379, 6379, "0.0.0.0/0")
    assert risk_of(rule).ports == ((6379, "Redis"),)


def test_the_doctor_warns_about_risky_rules_instead_of_ok(project):
    ext = project.external()
    net = project.network("lab")
    project.router("r", ext, net)
    wide = project.group("wide-open", SSH_WORLD, EGRESS, {"protocol": "tcp", "port_min": 1, "port_max": 65535,
                                                         "remote_cidr": "0.0.0.0/0"})
    sid = project.server("target", net, "10.0.0.5", (wide,), external_id=ext, fip="149.165.1.1")
    view = project.view()
    d = diagnose(view, view.servers[sid], "203.0.113.9", host_key="known")
    risky = {c.name: c for c in d.checks}["risky rules"]
    assert risky.status == WARN
    assert risky.evidence == ("every tcp port open to 0.0.0.0/0 (group wide-open)",)
    assert d.ok, "a warning is told, not counted: the login still works"
    assert any(line.startswith("[warn] risky rules") for line in render(d))
    marked = exposed(view)
    assert list(marked) == [sid] and marked[sid][0].rule_ids and marked[sid][0].groups == ("wide-open",)


def test_the_doctor_passes_a_project_that_opens_only_ssh(project):
    ext = project.external()
    net = project.network("lab")
    project.router("r", ext, net)
    sid = project.server("target", net, "10.0.0.5", (project.group("ssh", SSH_WORLD, EGRESS),), external_id=ext,
                         fip="149.165.1.1")
    view = project.view()
    assert {c.name: c for c in diagnose(view, view.servers[sid]).checks}["risky rules"].status == PASS
    assert exposed(view) == {}


def test_the_doctor_on_the_demo_warns_about_a_rule_the_cli_opened(clouds_env, capsys, conn, demo):
    """Issue 18: tcp 1-65535 from 0.0.0.0/0 was added without a word and the doctor said [ok]."""
    import uuid

    from exotui.cli import main
    from exotui.demo import nova
    from exotui.demo.app import CLOUD_NAME

    name = f"wide-{uuid.uuid4().hex[:6]}"
    group = conn.network.create_security_group(name=name)
    conn.network.create_security_group_rule(security_group_id=group.id, direction="ingress", protocol="tcp",
                                            port_range_min=1, port_range_max=65535, remote_ip_prefix="0.0.0.0/0")
    server = conn.compute.create_server(name=name, flavor_id=conn.compute.find_flavor("m3.tiny").id,
                                        image_id=conn.image.find_image("Featured-Ubuntu24").id, networks="auto",
                                        security_groups=[{"name": "default"}, {"name": name}])
    try:
        conn.compute.wait_for_server(server, wait=30)
        main(["--cloud", CLOUD_NAME, "doctor", name])
        out = capsys.readouterr().out
        assert "[warn] risky rules: 1 rule open more than needed to the Internet" in out
        assert f"every tcp port open to 0.0.0.0/0 (group {name})" in out
        assert "[ ok ] risky rules" not in out
    finally:
        demo.call(lambda world: nova.delete(world, world.servers[server.id]), demo.world)
        conn.network.delete_security_group(group)

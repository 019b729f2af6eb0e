"""The SSH doctor on hand-built projects: each check's verdict, evidence and fix."""

from __future__ import annotations

from exotui.net.doctor import FAIL, PASS, SKIP, WARN, diagnose, render

SSH_WORLD = {"protocol": "tcp", "port_min": 22, "port_max": 22, "remote_cidr": "0.0.0.0/0"}
EGRESS = {"direction": "egress"}


def setup(project, *, router: bool = True, gateway: bool = True, groups=None, **server):
    ext = project.external()
    net = project.network("lab")
    if router:
        project.router("r", ext if gateway else None, net)
    if groups is None:
        groups = (project.group("ssh", SSH_WORLD, EGRESS),)
    server.setdefault("fip", "149.165.1.1")
    sid = project.server("target", net, "10.0.0.5", groups, external_id=ext, **server)
    return project.view(), sid, ext, net


def checks(diagnosis) -> dict:
    return {c.name: c for c in diagnosis.checks}


def test_everything_fine(project):
    view, sid, *_ = setup(project)
    d = diagnose(view, view.servers[sid], "203.0.113.9", host_key="known")
    assert [c.status for c in d.checks] == [PASS] * 8
    assert d.ok and d.command == "ssh 149.165.1.1"
    assert render(d)[-1] == "every check passed: ssh 149.165.1.1"


def test_stopped_and_shelved_offer_start_and_unshelve(project):
    view, sid, *_ = setup(project, status="SHUTOFF")
    status = checks(diagnose(view, view.servers[sid]))["instance status"]
    assert status.status == FAIL
    assert status.fixes[0].as_dict() == {"fix": "run", "args": {"server_id": sid, "action": "start"},
                                         "label": "start target"}
    view2, sid2, *_ = setup(project.__class__(), status="SHELVED_OFFLOADED")
    assert checks(diagnose(view2, view2.servers[sid2]))["instance status"].fixes[0].args["action"] == "unshelve"


def test_error_has_no_runnable_fix(project):
    view, sid, *_ = setup(project, status="ERROR")
    status = checks(diagnose(view, view.servers[sid]))["instance status"]
    assert status.status == FAIL and not status.fixes


def test_no_ssh_rule_offers_a_slash_32_and_an_existing_group(project):
    project.group("ssh-icmp", SSH_WORLD)
    web = project.group("web", {"protocol": "tcp", "port_min": 443, "port_max": 443}, EGRESS)
    view, sid, *_ = setup(project, groups=(web,))
    d = diagnose(view, view.servers[sid], "203.0.113.9")
    ssh = checks(d)["ssh ingress (tcp/22)"]
    assert ssh.status == FAIL and not d.ok
    add, attach = ssh.fixes
    assert add.action == "add_rule" and add.args["remote_cidr"] == "203.0.113.9/32"
    assert add.args["group_id"] == web and add.args["port_min"] == add.args["port_max"] == 22
    assert attach.action == "attach_security_group" and attach.args == {"server_id": sid, "name": "ssh-icmp"}


def test_ssh_only_from_a_campus_range(project):
    campus = project.group("campus", {"protocol": "tcp", "port_min": 22, "port_max": 22,
                                      "remote_cidr": "129.114.0.0/16"}, EGRESS)
    view, sid, *_ = setup(project, groups=(campus,))
    server = view.servers[sid]
    assert checks(diagnose(view, server, "129.114.3.4"))["ssh ingress (tcp/22)"].status == PASS
    assert checks(diagnose(view, server, "8.8.8.8"))["ssh ingress (tcp/22)"].status == FAIL
    assert checks(diagnose(view, server))["ssh ingress (tcp/22)"].status == WARN


def test_ipv6_source_needs_an_ipv6_rule(project):
    g = project.group("v6", {"ethertype": "IPv6", "protocol": "tcp", "port_min": 22, "port_max": 22}, EGRESS)
    ext = project.external()
    net = project.network("lab6", "2001:db8:5::/64", 6)
    project.router("r", ext, net)
    sid = project.server("six", net, "2001:db8:5::10", (g,))
    view = project.view()
    d = diagnose(view, view.servers[sid], "2001:db8:99::1")
    assert checks(d)["floating IP or jump host"].status == PASS  # routed IPv6, no floating IP needed
    assert checks(d)["ssh ingress (tcp/22)"].status == PASS
    d4 = diagnose(view, view.servers[sid], "203.0.113.9")
    assert checks(d4)["ssh ingress (tcp/22)"].status == FAIL
    fix = checks(d4)["ssh ingress (tcp/22)"].fixes[0]
    assert fix.args["remote_cidr"] == "203.0.113.9/32" and fix.args["ethertype"] == "IPv4"


def test_no_floating_ip_but_a_jump_host(project):
    internal = project.group("internal", EGRESS)
    project.rule(internal, protocol="tcp", port_min=22, port_max=22, remote_group_id=internal)
    bastion = project.group("bastion", SSH_WORLD)
    view, sid, ext, net = setup(project, groups=(internal,), fip=None)
    project.server("jump", net, "10.0.0.2", (internal, bastion), fip="149.165.1.2", external_id=ext)
    view = project.view()
    d = diagnose(view, view.servers[sid], "203.0.113.9")
    route = checks(d)["floating IP or jump host"]
    assert route.status == PASS and "jump host jump" in route.summary
    assert d.ok and d.command == "ssh -J 149.165.1.2 10.0.0.5"


def test_no_floating_ip_and_no_jump_host_offers_a_floating_ip(project):
    view, sid, ext, _ = setup(project, fip=None)
    route = checks(diagnose(view, view.servers[sid]))["floating IP or jump host"]
    assert route.status == FAIL
    assert route.fixes[0].as_dict()["fix"] == "allocate_and_assign_floating_ip"
    assert route.fixes[0].args == {"network_id": ext, "server_id": sid}
    fid = project.free_fip("149.165.7.7", ext)
    view = project.view()
    route = checks(diagnose(view, view.servers[sid]))["floating IP or jump host"]
    assert route.fixes[0].args == {"floating_ip_id": fid, "server_id": sid}


def test_no_router(project):
    view, sid, *_ = setup(project, router=False)
    router = checks(diagnose(view, view.servers[sid]))["router to the Internet"]
    assert router.status == FAIL and "has no router" in router.summary
    assert router.fixes[0].action == "manual"


def test_router_without_gateway(project):
    view, sid, *_ = setup(project, gateway=False)
    router = checks(diagnose(view, view.servers[sid]))["router to the Internet"]
    assert router.status == FAIL and "no external gateway" in router.summary


def test_from_inside_the_network_no_router_is_needed(project):
    view, sid, *_ = setup(project, router=False, fip=None)
    d = diagnose(view, view.servers[sid], "10.0.0.77")
    assert checks(d)["router to the Internet"].status == SKIP
    assert d.address == "10.0.0.5"


def test_no_egress_is_a_warning_with_a_fix(project):
    g = project.group("ssh-only", SSH_WORLD)
    view, sid, *_ = setup(project, groups=(g,))
    egress = checks(diagnose(view, view.servers[sid]))["egress"]
    assert egress.status == WARN and egress.fixes[0].args == {"group_id": g, "direction": "egress",
                                                              "ethertype": "IPv4"}


def test_keypair_checks(project):
    view, sid, *_ = setup(project, key_name=None)
    assert checks(diagnose(view, view.servers[sid]))["keypair"].status == WARN
    view, sid, *_ = setup(project.__class__())
    assert checks(diagnose(view, view.servers[sid], local_fingerprints=["aa:bb"]))["keypair"].status == PASS
    assert checks(diagnose(view, view.servers[sid], local_fingerprints=["cc:dd"]))["keypair"].status == FAIL


def test_host_key_changed_fails(project):
    view, sid, *_ = setup(project)
    host = checks(diagnose(view, view.servers[sid], host_key="changed"))["host key"]
    assert host.status == FAIL
    assert [f.action for f in host.fixes] == ["console_log", "forget_host_key"]
    assert checks(diagnose(view, view.servers[sid], host_key="unknown"))["host key"].status == WARN


def test_render_fits_80_columns(project):
    view, sid, *_ = setup(project, status="SHUTOFF", fip=None)
    assert all(len(line) <= 80 for line in render(diagnose(view, view.servers[sid], "203.0.113.9")))

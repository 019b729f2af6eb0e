"""The effective-rules caches: answers survive a poll that changed nothing and never outlive a change.

Each test builds its first answer, then a second project that differs in one way (or in none) and
checks the second answer against a cache that already holds the first.
"""

from __future__ import annotations

import dataclasses

import pytest

from exotui.net import rules
from exotui.net.rules import effective, effective_all

SSH_WORLD = {"protocol": "tcp", "port_min": 22, "port_max": 22, "remote_cidr": "0.0.0.0/0"}
POSTGRES = {"protocol": "tcp", "port_min": 5432, "port_max": 5432}


@pytest.fixture(autouse=True)
def cold():
    rules.clear_caches()
    yield
    rules.clear_caches()


def polled(project):
    """The view after a poll: equal models, but new objects, as the store holds them."""
    copy = lambda items: [dataclasses.replace(i) for i in items]
    project.servers, project.ports = copy(project.servers), copy(project.ports)
    project.groups = {gid: dataclasses.replace(g, rules=tuple(dataclasses.replace(r) for r in g.rules))
                      for gid, g in project.groups.items()}
    return project.view()


def web_and_db(project):
    web = project.group("web")
    db = project.group("db", {**POSTGRES, "remote_group_id": web})
    net = project.network("n")
    w1 = project.server("w1", net, "10.0.0.2", (web,))
    d = project.server("d", net, "10.0.0.4", (db,))
    return web, db, net, w1, d


def test_a_poll_that_changed_nothing_is_answered_from_the_cache(project):
    g = project.group("g", SSH_WORLD)
    net = project.network("n")
    sid = project.server("a", net, "10.0.0.2", (g,))
    first = effective_all(project.view())[sid]
    again = effective_all(polled(project))[sid]
    assert again.ingress is first.ingress and again.flags is first.flags


def test_a_changed_group_is_expanded_again(project):
    g = project.group("g", SSH_WORLD)
    sid = project.server("a", project.network("n"), "10.0.0.2", (g,))
    view = project.view()
    assert [r.describe() for r in effective(view.servers[sid], view).ingress] == ["tcp/22 from 0.0.0.0/0"]
    project.rule(g, protocol="tcp", port_min=443, port_max=443, remote_cidr="10.0.0.0/8")
    view = polled(project)
    assert [r.describe() for r in effective(view.servers[sid], view).ingress] == [
        "tcp/22 from 0.0.0.0/0", "tcp/443 from 10.0.0.0/8"]


def test_a_changed_rule_with_the_same_id_is_not_mistaken_for_the_old_one(project):
    g = project.group("g", SSH_WORLD)
    sid = project.server("a", project.network("n"), "10.0.0.2", (g,))
    view = project.view()
    assert effective(view.servers[sid], view).flags[0].kind == "world-open"
    group = project.groups[g]
    narrowed = dataclasses.replace(group.rules[0], remote_cidr="203.0.113.0/24")
    project.groups[g] = dataclasses.replace(group, rules=(narrowed,))
    view = polled(project)
    e = effective(view.servers[sid], view)
    assert [r.describe() for r in e.ingress] == ["tcp/22 from 203.0.113.0/24"] and e.flags == ()


def test_a_new_member_of_a_remote_group_is_admitted(project):
    web, _, net, w1, d = web_and_db(project)
    view = project.view()
    assert effective(view.servers[d], view).ingress[0].admits == (w1,)
    w2 = project.server("w2", net, "10.0.0.3", (web,))
    view = polled(project)
    (rule,) = effective(view.servers[d], view).ingress
    assert set(rule.admits) == {w1, w2} and rule.describe({web: "web"}).endswith("(2 instances)")
    assert effective(view.servers[d], view).admitting("tcp", 5432, "10.0.0.3", w2)


def test_a_member_that_leaves_a_remote_group_is_no_longer_admitted(project):
    _, _, _, w1, d = web_and_db(project)
    view = project.view()
    assert effective(view.servers[d], view).admitting("tcp", 5432, "10.0.0.2", w1)
    project.ports = [dataclasses.replace(p, security_group_ids=()) if p.device_id == w1 else p
                     for p in project.ports]
    view = polled(project)
    (rule,) = effective(view.servers[d], view).ingress
    assert rule.admits == () and not effective(view.servers[d], view).admitting("tcp", 5432, "10.0.0.2", w1)


def test_a_renamed_remote_group_is_described_by_its_new_name(project):
    web = project.group("web")
    db = project.group("db", {**POSTGRES, "remote_group_id": web}, {**POSTGRES, "remote_group_id": web})
    net = project.network("n")
    project.server("w1", net, "10.0.0.2", (web,))
    d = project.server("d", net, "10.0.0.4", (db,))
    view = project.view()
    assert "from group web (1 instance)" in effective(view.servers[d], view).flags[0].message
    project.groups[web] = dataclasses.replace(project.groups[web], name="frontend")
    view = polled(project)
    assert "from group frontend (1 instance)" in effective(view.servers[d], view).flags[0].message


def test_the_caches_stay_bounded(project, monkeypatch):
    monkeypatch.setattr(rules, "_CACHE_SIZE", 3)
    net = project.network("n")
    for i in range(6):
        g = project.group(f"g{i}", {**SSH_WORLD, "port_min": 100 + i, "port_max": 100 + i})
        project.server(f"s{i}", net, f"10.0.0.{i + 2}", (g,))
    everything = effective_all(project.view())
    assert len(rules._expansions) == 3 and len(rules._results) == 3
    assert [e.ingress[0].port_min for e in everything.values()] == [100, 101, 102, 103, 104, 105]

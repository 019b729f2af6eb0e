"""Nova's operator reads of servers on the demo cloud, over HTTP with openstacksdk and the `openstack` CLI:
os-migrations, a server's migrations, diagnostics and topology (exotui/demo/nova_server_admin.py), and the
admin's `deleted` filter with a deleted server as the marker. A member gets Nova 34's policy lines
(nova/policies/migrations.py, servers_migrations.py, server_diagnostics.py)."""

from __future__ import annotations

import uuid

import pytest

from exotui.demo.app import ADMIN_CLOUD_NAME, CLOUD_NAME
from tests.demo.test_keystone_admin import cli, connect, operators  # noqa: F401  (operators: the fixture)
from tests.demo.test_nova_flavors_admin import says
from tests.demo.test_nova_hosts_admin import cli_json, cli_ok, policy_line

MV_2_1, MV_2_23, MV_2_48, MV_2_59, MV_2_78, MV_2_80 = (
    {"OpenStack-API-Version": f"compute {v}"} for v in ("2.1", "2.23", "2.48", "2.59", "2.78", "2.80"))


def boot(operators, cloud: str, network: str | None = None) -> dict:  # noqa: F811
    conn = connect(operators, cloud)
    flavors = sorted(conn.compute.flavors(), key=lambda f: (f.ram, f.id))
    image = next(i for i in conn.image.images() if i.status == "active" and i.visibility == "public")
    network = network or members_network(operators)
    return cli_json(operators, cloud, "server", "create", "--flavor", flavors[0].id, "--image", image.id,
                    "--network", network, "--wait", "adm-" + uuid.uuid4().hex[:8])


def members_network(operators) -> str:  # noqa: F811
    """The ID of the member's own network (names repeat across projects)."""
    member = connect(operators, CLOUD_NAME)
    return next(n.id for n in member.network.networks(project_id=member.current_project_id)
                if not n.is_router_external)


@pytest.fixture(scope="module")
def members_server(operators):  # noqa: F811
    return boot(operators, CLOUD_NAME)


def test_a_member_gets_novas_policy_lines(operators, members_server):  # noqa: F811
    member = connect(operators, CLOUD_NAME)
    sid = members_server["id"]
    assert says(member.compute.get(f"/servers/{sid}/diagnostics", headers=MV_2_48), 403,
                policy_line("os-server-diagnostics"))
    assert says(member.compute.get("/os-migrations", headers=MV_2_1), 403, policy_line("os-migrations:index"))
    assert says(member.compute.get(f"/servers/{sid}/migrations", headers=MV_2_23), 403,
                policy_line("servers:migrations:index"))
    done = cli(operators, CLOUD_NAME, "server", "migration", "list")
    assert done.returncode != 0 and policy_line("os-migrations:index") in done.stderr
    # the topology is a reader's: no NUMA layout asked for, none shown
    topology = member.compute.get(f"/servers/{sid}/topology", headers=MV_2_78).json()
    assert topology == {"nodes": [], "pagesize_kb": None}
    assert member.compute.get(f"/servers/{sid}/topology", headers=MV_2_1).status_code == 404


def test_an_admin_reads_diagnostics_of_any_projects_server(operators, members_server):  # noqa: F811
    admin = connect(operators, ADMIN_CLOUD_NAME)
    member = connect(operators, CLOUD_NAME)
    sid = members_server["id"]
    macs = [p.mac_address for p in member.network.ports(device_id=sid)]
    flavor = member.compute.get_server(sid).flavor
    shown = admin.compute.get(f"/servers/{sid}/diagnostics", headers=MV_2_48).json()
    assert shown["driver"] == "libvirt" and shown["state"] == "running" and shown["num_nics"] == len(macs)
    assert [n["mac_address"] for n in shown["nic_details"]] == macs
    assert shown["num_cpus"] == flavor.vcpus and shown["memory_details"]["maximum"] == flavor.ram
    legacy = admin.compute.get(f"/servers/{sid}/diagnostics", headers=MV_2_1).json()
    assert legacy["memory"] == flavor.ram * 1024 and "cpu0_time" in legacy
    cli_shown = cli_json(operators, ADMIN_CLOUD_NAME, "server", "show", sid, "--diagnostics")
    assert cli_shown["driver"] == "libvirt"
    assert admin.compute.get(f"/servers/{sid}/migrations", headers=MV_2_23).json() == {"migrations": []}


def test_a_resize_leaves_a_migration_row_for_the_admin(operators, members_server):  # noqa: F811
    admin = connect(operators, ADMIN_CLOUD_NAME)
    member = connect(operators, CLOUD_NAME)
    sid = members_server["id"]
    current = member.compute.get_server(sid).flavor
    bigger = next(f for f in sorted(member.compute.flavors(), key=lambda f: (f.ram, f.id))
                  if f.name != current.original_name and f.disk >= current.disk)
    cli_ok(operators, CLOUD_NAME, "server", "resize", "--flavor", bigger.id, "--wait", sid)
    rows = admin.compute.get("/os-migrations", headers=MV_2_80, params={"instance_uuid": sid}).json()["migrations"]
    assert [(r["migration_type"], r["status"], r["project_id"]) for r in rows] == [
        ("resize", "finished", member.current_project_id)]
    cli_ok(operators, CLOUD_NAME, "server", "resize", "confirm", sid)
    rows = admin.compute.get("/os-migrations", headers=MV_2_59, params={"instance_uuid": sid}).json()["migrations"]
    assert [r["status"] for r in rows] == ["confirmed"] and "project_id" not in rows[0] and "uuid" in rows[0]
    listed = cli_json(operators, ADMIN_CLOUD_NAME, "server", "migration", "list", "--limit", "1")
    assert len(listed) == 1
    paged = admin.compute.get("/os-migrations", headers=MV_2_59, params={"limit": 1}).json()
    assert "migrations_links" in paged
    unknown = str(uuid.uuid4())
    assert says(admin.compute.get("/os-migrations", headers=MV_2_59, params={"marker": unknown}), 400,
                f"Marker {unknown} could not be found.")
    extra = admin.compute.get("/os-migrations", headers=MV_2_59, params={"user_id": "x"})
    assert extra.status_code == 400 and "'user_id' was unexpected" in extra.text  # a filter of 2.80


def test_a_deleted_server_marks_the_place_in_the_list(operators):  # noqa: F811
    network = members_network(operators)  # an admin boots on any project's network
    first, second = boot(operators, ADMIN_CLOUD_NAME, network), boot(operators, ADMIN_CLOUD_NAME, network)
    after = [s["Name"] for s in cli_json(operators, ADMIN_CLOUD_NAME, "server", "list", "--marker", second["id"])]
    assert first["name"] in after and second["name"] not in after
    for server in (first, second):
        cli_ok(operators, ADMIN_CLOUD_NAME, "server", "delete", "--wait", server["id"])
    deleted = [s["Name"] for s in cli_json(operators, ADMIN_CLOUD_NAME, "server", "list", "--deleted",
                                           "--marker", second["id"])]
    assert first["name"] in deleted and second["name"] not in deleted
    # a member's `deleted` is dropped (not an allowed filter), but the deleted marker is still found
    member = connect(operators, CLOUD_NAME)
    answer = member.compute.get("/servers/detail", params={"deleted": "True", "marker": second["id"]})
    assert answer.status_code == 200
    assert first["id"] not in [s["id"] for s in answer.json()["servers"]]
    done = cli(operators, ADMIN_CLOUD_NAME, "server", "list", "--deleted", "--marker", second["name"])
    assert done.returncode != 0 and f"marker [{second['name']}] not found" in done.stderr


def test_below_2_51_an_admin_reads_a_deleted_servers_events_and_a_member_none(operators):  # noqa: F811
    """Nova shows an action's events below 2.51 only where os-instance-actions:events allows (an admin); OSC's
    `server event show` at 2.21, as its functional tests run it with their admin, read None and died on the demo
    (the real stack passed it)."""
    server = boot(operators, ADMIN_CLOUD_NAME)
    cli_ok(operators, ADMIN_CLOUD_NAME, "server", "delete", "--wait", server["id"])
    admin = connect(operators, ADMIN_CLOUD_NAME)
    listed = admin.compute.get(f"/servers/{server['id']}/os-instance-actions",
                               headers={"OpenStack-API-Version": "compute 2.21"}).json()["instanceActions"]
    rid = next(a["request_id"] for a in listed if a["action"] == "delete")
    shown = cli_json(operators, ADMIN_CLOUD_NAME, "--os-compute-api-version", "2.21", "server", "event", "show",
                     server["id"], rid)
    assert shown["action"] == "delete" and [e["event"] for e in shown["events"]] == ["compute_terminate_instance"]
    member = connect(operators, CLOUD_NAME)
    sid = next(s.id for s in member.compute.servers())
    first = member.compute.get(f"/servers/{sid}/os-instance-actions", headers=MV_2_1).json()["instanceActions"][0]
    view = member.compute.get(f"/servers/{sid}/os-instance-actions/{first['request_id']}", headers=MV_2_1).json()
    assert "events" not in view["instanceAction"]  # the oracle's mv2.1 answer to a member (nova-159)

"""What issue 18's kinds need from the demo cloud, driven with openstacksdk and the `openstack` CLI over HTTP:
instance actions with their events (failures recorded as failures), the exouser passphrase of an
Exosphere-built instance (an `exoPw:` tag, or os-server-password before Exosphere moved it), server groups
with Nova's placement consequence, and new volumes from volume snapshots.

Shapes are held against tests/oracle (nova-157..160, nova-178, nova-113); server groups against
openstacksdk's ServerGroup resource (there is no oracle exchange for them).
"""

from __future__ import annotations

import json

import pytest
from oracle_files import oracle, unique

from exotui.demo import nova, seed

pytestmark = pytest.mark.slow


def _json(openstack_cli, *args: str):
    return json.loads(openstack_cli(*args, "-f", "json").stdout)


@pytest.fixture()
def made(demo):
    """Servers a test made are deleted afterwards, so the shared project keeps its quota."""
    servers: list[str] = []
    yield servers

    def discard(world):
        for sid in servers:
            server = world.servers.get(sid)
            if server and not server["_deleted"]:
                nova.delete(world, server)

    demo.call(discard, demo.world)


# --- os-instance-actions ------------------------------------------------------------------------

def test_seeded_instances_have_a_history_and_failures_are_failures(openstack_cli):
    events = _json(openstack_cli, "server", "event", "list", "broken-build")
    assert [e["Action"] for e in events] == ["create"]
    shown = _json(openstack_cli, "--os-compute-api-version", "2.62", "server", "event", "show", "broken-build",
                  events[0]["Request ID"])
    assert shown["message"] == "Error"
    assert [(e["event"], e["result"]) for e in shown["events"]] == [("conductor_schedule_and_build_instances",
                                                                    "Error")]
    rocky = [e["Action"] for e in _json(openstack_cli, "server", "event", "list", "analysis-rocky")]
    assert rocky == ["stop", "resize", "create"]


def test_instance_actions_answer_as_the_oracle(conn):
    server = conn.compute.find_server("analysis-rocky")
    for mv, name in (("2.1", "nova-157"), ("2.104", "nova-158")):
        listed = conn.compute.get(f"/servers/{server.id}/os-instance-actions", microversion=mv).json()
        assert set(listed["instanceActions"][0]) == set(oracle(name)["response_body"]["instanceActions"][0])
    rid = listed["instanceActions"][-1]["request_id"]
    for mv, name in (("2.1", "nova-159"), ("2.104", "nova-160")):
        shown = conn.compute.get(f"/servers/{server.id}/os-instance-actions/{rid}", microversion=mv).json()
        assert set(shown["instanceAction"]) == set(oracle(name)["response_body"]["instanceAction"])
    assert set(shown["instanceAction"]["events"][0]) == set(
        oracle("nova-160")["response_body"]["instanceAction"]["events"][0])
    failed = next(a for a in listed["instanceActions"] if a["action"] == "resize")
    assert failed["message"] == oracle("nova-178")["response_body"]["instanceActions"][0]["message"] == "Error"


def test_sdk_reads_actions_with_request_ids_users_and_events(conn):
    server = conn.compute.find_server("analysis-rocky")
    actions = list(conn.compute.server_actions(server))
    assert [a.action for a in actions] == ["stop", "resize", "create"]
    assert all(a.request_id.startswith("req-") and a.user_id and a.start_time for a in actions)
    resize = conn.compute.get_server_action(actions[1].request_id, server)
    assert resize.message == "Error" and [e.result for e in resize.events] == ["Error"]
    assert resize.events[0].event == "compute_prep_resize" and resize.events[0].finish_time


def test_an_action_sent_over_the_api_is_recorded(conn, openstack_cli, made):
    name = unique("acted")
    server = conn.compute.create_server(name=name, flavor_id=conn.compute.find_flavor("m3.tiny").id,
                                        image_id=conn.image.find_image("Featured-Ubuntu24").id,
                                        networks=[{"uuid": conn.network.find_network("auto_allocated_network").id}])
    made.append(server.id)
    conn.compute.wait_for_server(server, wait=30)
    conn.compute.stop_server(server)
    actions = _json(openstack_cli, "server", "event", "list", name)
    assert [a["Action"] for a in actions] == ["stop", "create"]


# --- the exouser passphrase ---------------------------------------------------------------------

def test_exosphere_built_instance_carries_its_passphrase_in_a_tag(conn, openstack_cli):
    shown = _json(openstack_cli, "--os-compute-api-version", "2.26", "server", "show", "notebook")
    assert f"exoPw:{seed.EXOSPHERE_PASSPHRASE}" in shown["tags"]
    server = conn.compute.find_server("notebook")
    assert conn.compute.get_server(server.id).metadata["exoServerVersion"] == "6"
    body = conn.compute.get(f"/servers/{server.id}/os-server-password").json()
    assert body == {"password": ""} and set(body) == set(oracle("nova-113")["response_body"])


def test_a_fresh_passphrase_is_read_from_os_server_password_then_moved_to_a_tag(conn):
    """Exosphere's way: read os-server-password, write it as an exoPw: tag, clear os-server-password."""
    other = conn.connect_as_project(seed.DEMO_PROJECTS[1][0])
    try:
        server = other.compute.find_server("workshop-vm-1")
        passphrase = other.compute.get_server_password(server)
        assert passphrase == seed.EXOSPHERE_FRESH_PASSPHRASE
        tag = f"exoPw:{passphrase}"
        put = other.compute.put(f"/servers/{server.id}/tags/{tag}", microversion="2.26")
        assert put.status_code == 201
        other.compute.clear_server_password(server)
        assert other.compute.get_server_password(server) == ""
        assert tag in other.compute.get(f"/servers/{server.id}/tags", microversion="2.26").json()["tags"]
        long_tag = other.compute.put(f"/servers/{server.id}/tags/{'x' * 61}", microversion="2.26")
        assert long_tag.status_code == 400
    finally:
        other.close()


# --- server groups -----------------------------------------------------------------------------

def test_server_groups_through_the_cli_and_a_second_anti_affinity_member_finds_no_host(openstack_cli, conn, made):
    name = unique("spread")
    group = _json(openstack_cli, "--os-compute-api-version", "2.64", "server", "group", "create",
                  "--policy", "anti-affinity", name)
    assert group["policy"] == "anti-affinity" and group["members"] in ([], "")
    assert name in {g["Name"] for g in _json(openstack_cli, "server", "group", "list")}
    first = _json(openstack_cli, "server", "create", "--flavor", "m3.tiny", "--image", "Featured-Ubuntu24",
                  "--network", "auto_allocated_network", "--hint", f"group={group['id']}", "--wait", f"{name}-1")
    made.append(first["id"])
    assert first["status"] == "ACTIVE"
    second = conn.compute.create_server(name=f"{name}-2", flavor_id=conn.compute.find_flavor("m3.tiny").id,
                                        image_id=conn.image.find_image("Featured-Ubuntu24").id,
                                        networks="auto", scheduler_hints={"group": group["id"]})
    made.append(second.id)
    shown = conn.compute.get(f"/servers/{second.id}", microversion="2.71").json()["server"]
    assert shown["status"] == "ERROR" and shown["fault"]["message"].startswith("No valid host was found")
    assert shown["server_groups"] == [group["id"]]
    failed = conn.compute.get_server_action(list(conn.compute.server_actions(second.id))[0].request_id, second.id)
    assert failed.action == "create" and failed.message == "Error" and failed.events[0].result == "Error"
    members = _json(openstack_cli, "server", "group", "show", name)["members"]
    assert first["id"] in members and second.id in members
    openstack_cli("server", "group", "delete", name)
    assert name not in {g["Name"] for g in _json(openstack_cli, "server", "group", "list")}


def test_server_groups_through_the_sdk_at_both_shapes(conn):
    name = unique("together")
    group = conn.compute.create_server_group(name=name, policy="soft-affinity")
    try:
        fetched = conn.compute.get_server_group(group.id)
        assert (fetched.name, fetched.policy, fetched.member_ids, fetched.rules) == (name, "soft-affinity", [], {})
        old = conn.compute.get(f"/os-server-groups/{group.id}", microversion="2.1").json()["server_group"]
        assert set(old) == {"id", "name", "policies", "members", "metadata"} and old["policies"] == ["soft-affinity"]
        assert name in {g.name for g in conn.compute.server_groups()}
        bad = conn.compute.post("/os-server-groups", json={"server_group": {"name": "x", "policy": "clustered"}},
                                microversion="2.64")
        assert bad.status_code == 400
        unknown = conn.compute.post("/servers", json={"server": {"name": "x", "flavorRef": "1", "networks": "auto",
                                                                 "imageRef": conn.image.find_image(
                                                                     "Featured-Ubuntu24").id},
                                                      "os:scheduler_hints": {"group": "no-such-group"}},
                                    microversion="2.37")
        assert unknown.status_code == 400
    finally:
        conn.compute.delete_server_group(group.id)
    assert conn.compute.find_server_group(name) is None


# --- volume snapshots ----------------------------------------------------------------------------

def test_a_new_volume_from_a_snapshot(openstack_cli, conn):
    name = unique("snapsrc")
    volume = _json(openstack_cli, "volume", "create", "--size", "3", name)
    conn.block_storage.wait_for_status(conn.block_storage.get_volume(volume["id"]), "available", wait=30)
    snap = _json(openstack_cli, "volume", "snapshot", "create", "--volume", name, f"{name}-snap")
    conn.block_storage.wait_for_status(conn.block_storage.get_snapshot(snap["id"]), "available", wait=30)
    shown = _json(openstack_cli, "volume", "snapshot", "show", f"{name}-snap")
    assert (shown["volume_id"], shown["size"], shown["status"]) == (volume["id"], 3, "available")
    copy = _json(openstack_cli, "volume", "create", "--snapshot", f"{name}-snap", f"{name}-copy")
    fetched = conn.block_storage.wait_for_status(conn.block_storage.get_volume(copy["id"]), "available", wait=30)
    assert (fetched.snapshot_id, fetched.size) == (snap["id"], 3)
    openstack_cli("volume", "delete", f"{name}-copy")
    openstack_cli("volume", "snapshot", "delete", f"{name}-snap")
    assert conn.block_storage.find_snapshot(snap["id"]) is None  # instant transitions: gone at once
    openstack_cli("volume", "delete", name)


def test_the_seed_has_a_snapshot_and_a_server_group(openstack_cli, conn):
    snaps = {s["Name"]: s for s in _json(openstack_cli, "volume", "snapshot", "list")}
    assert snaps["scratch-data-before-upgrade"]["Status"] == "available"
    group = _json(openstack_cli, "server", "group", "show", "assembly-pipeline")
    bigmem = conn.compute.find_server("bigmem-assembly")
    assert bigmem.id in group["members"]
    shown = conn.compute.get(f"/servers/{bigmem.id}", microversion="2.71").json()["server"]
    assert shown["server_groups"] == [group["id"]]

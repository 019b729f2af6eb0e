"""Nova's host aggregates, os-hosts and hypervisors on the demo cloud as an admin and a member meet them, over
HTTP with openstacksdk and the `openstack` CLI. Held against Nova's code (see exotui/demo/nova_hosts_admin.py):
admin only under the default policy, a member's 403 with Nova's policy line."""

from __future__ import annotations

import json
import uuid

from exotui.demo import nova
from exotui.demo.app import ADMIN_CLOUD_NAME, CLOUD_NAME
from tests.demo.test_keystone_admin import cli, connect, operators  # noqa: F401  (operators: the fixture)
from tests.demo.test_nova_flavors_admin import says  # Nova's and Cinder's error bodies alike

MV_2_1, MV_2_41, MV_2_53 = ({"OpenStack-API-Version": f"compute {v}"} for v in ("2.1", "2.41", "2.53"))


def policy_line(action: str) -> str:
    return f"Policy doesn't allow os_compute_api:{action} to be performed."



def cli_json(operators, cloud: str, *args: str):  # noqa: F811
    done = cli(operators, cloud, *args, "-f", "json")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def cli_ok(operators, cloud: str, *args: str) -> str:  # noqa: F811
    done = cli(operators, cloud, *args)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_a_member_is_refused_every_route_with_novas_policy_lines(operators):  # noqa: F811
    member = connect(operators, CLOUD_NAME)
    for method, path, body, action in (
            ("get", "/os-aggregates", None, "os-aggregates:index"),
            ("post", "/os-aggregates", {"aggregate": {"name": "x"}}, "os-aggregates:create"),
            ("post", "/os-aggregates/1/action", {"add_host": {"host": "h"}}, "os-aggregates:add_host"),
            ("get", "/os-hosts", None, "os-hosts:list"),
            ("get", "/os-hypervisors", None, "os-hypervisors:list"),
            ("get", "/os-hypervisors/detail", None, "os-hypervisors:list-detail"),
            ("get", "/os-hypervisors/statistics", None, "os-hypervisors:statistics")):
        answer = getattr(member.compute, method)(path, json=body, headers=MV_2_1)
        assert says(answer, 403, policy_line(action)), (path, answer.text)
    # the body's schema comes first
    answer = member.compute.post("/os-aggregates", json={"aggregate": {}}, headers=MV_2_1)
    assert answer.status_code == 400 and "'name' is a required property" in answer.text
    done = cli(operators, CLOUD_NAME, "aggregate", "list")
    assert done.returncode != 0 and policy_line("os-aggregates:index") in done.stderr


def test_an_aggregate_is_made_renamed_given_a_host_and_metadata_and_deleted(operators):  # noqa: F811
    admin = connect(operators, ADMIN_CLOUD_NAME)
    name, renamed = "agg-" + uuid.uuid4().hex[:8], "agg-" + uuid.uuid4().hex[:8]
    made = cli_json(operators, ADMIN_CLOUD_NAME, "aggregate", "create", "--zone", "nova", "--property", "a=b", name)
    assert made["name"] == name and made["availability_zone"] == "nova"
    assert made["properties"] == {"availability_zone": "nova", "a": "b"}  # Nova keeps the zone in the metadata
    created = admin.compute.post("/os-aggregates", json={"aggregate": {"name": name}}, headers=MV_2_41)
    assert says(created, 409, f"Aggregate {name} already exists.")
    cli_ok(operators, ADMIN_CLOUD_NAME, "aggregate", "set", "--name", renamed, "--zone", "internal",
           "--no-property", "--property", "c=d", name)
    shown = admin.compute.get(f"/os-aggregates/{made['id']}", headers=MV_2_41).json()["aggregate"]
    assert shown["name"] == renamed and shown["availability_zone"] == "internal" and "uuid" in shown
    assert shown["metadata"] == {"availability_zone": "internal", "c": "d"}
    hosts = cli_json(operators, ADMIN_CLOUD_NAME, "host", "list")
    assert {h["Host Name"] for h in hosts} == {nova.COMPUTE_HOST}
    assert {h["Service"] for h in hosts} == {"compute", "conductor", "scheduler"}
    added = cli_json(operators, ADMIN_CLOUD_NAME, "aggregate", "add", "host", renamed, nova.COMPUTE_HOST)
    assert added["hosts"] == [nova.COMPUTE_HOST]
    again = admin.compute.post(f"/os-aggregates/{made['id']}/action", headers=MV_2_1,
                               json={"add_host": {"host": nova.COMPUTE_HOST}})
    assert says(again, 409, f"Aggregate {made['id']} already has host {nova.COMPUTE_HOST}.")
    unknown = admin.compute.post(f"/os-aggregates/{made['id']}/action", headers=MV_2_1,
                                 json={"add_host": {"host": "nowhere"}})
    assert says(unknown, 404, "Compute host nowhere could not be found.")
    full = admin.compute.delete(f"/os-aggregates/{made['id']}", headers=MV_2_1)
    assert says(full, 400, f"Cannot remove aggregate {made['id']}. Reason: Host aggregate is not empty.")
    removed = cli_json(operators, ADMIN_CLOUD_NAME, "aggregate", "remove", "host", renamed, nova.COMPUTE_HOST)
    assert removed["hosts"] == []
    assert cli_ok(operators, ADMIN_CLOUD_NAME, "aggregate", "delete", renamed) == ""
    assert says(admin.compute.get(f"/os-aggregates/{made['id']}", headers=MV_2_1), 404,
                f"Aggregate {made['id']} could not be found.")
    assert says(admin.compute.get("/os-aggregates/abc", headers=MV_2_1), 400,
                "Invalid input received: id must be an integer")


def test_the_one_hypervisor_counts_the_servers_on_it(operators):  # noqa: F811
    admin = connect(operators, ADMIN_CLOUD_NAME)
    old = admin.compute.get("/os-hypervisors/detail", headers=MV_2_1).json()["hypervisors"]
    assert [h["id"] for h in old] == [1] and old[0]["hypervisor_hostname"] == nova.COMPUTE_HOST
    assert old[0]["running_vms"] == len(admin.compute.get("/os-hypervisors?with_servers=true",
                                                          headers=MV_2_53).json()["hypervisors"][0]["servers"])
    assert old[0]["running_vms"] > 0 and old[0]["vcpus_used"] > 0  # the demo's seeded servers
    stats = admin.compute.get("/os-hypervisors/statistics", headers=MV_2_1).json()["hypervisor_statistics"]
    assert stats["count"] == 1 and stats["running_vms"] == old[0]["running_vms"]
    listed = cli_json(operators, ADMIN_CLOUD_NAME, "hypervisor", "list")
    shown = cli_json(operators, ADMIN_CLOUD_NAME, "hypervisor", "show", listed[0]["ID"])
    assert shown["hypervisor_hostname"] == nova.COMPUTE_HOST and "uptime" in shown
    old_show = cli_json(operators, ADMIN_CLOUD_NAME, "--os-compute-api-version", "2.1", "hypervisor", "show", "1")
    assert old_show["uptime"] and old_show["running_vms"] == old[0]["running_vms"]  # uptime: its own route then
    assert says(admin.compute.get("/os-hypervisors/1", headers=MV_2_53), 400, "Invalid uuid 1")
    assert says(admin.compute.get("/os-hypervisors/7", headers=MV_2_1), 404,
                "Hypervisor with ID '7' could not be found.")
    latest = {"OpenStack-API-Version": "compute 2.88"}
    assert admin.compute.get("/os-hypervisors/statistics", headers=latest).status_code == 404
    assert admin.compute.get("/os-hosts", headers={"OpenStack-API-Version": "compute 2.43"}).status_code == 404

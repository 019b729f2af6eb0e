"""Neutron on the demo cloud as an admin meets it, over HTTP with openstacksdk and the `openstack` CLI: external
and shared networks made for another project, and a port's MAC changed (admin only: members get Neutron's
policy line). Held against neutron-lib and Neutron's default policy (see exotui/demo/neutron_admin.py)."""

from __future__ import annotations

import json
import uuid

from exotui.demo.app import ADMIN_CLOUD_NAME, CLOUD_NAME
from tests.demo.test_keystone_admin import cli, connect, operators  # noqa: F401  (operators: the fixture)


def cli_json(operators, cloud: str, *args: str):  # noqa: F811
    done = cli(operators, cloud, *args, "-f", "json")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def neutron_says(answer, status: int, message: str) -> bool:
    return answer.status_code == status and answer.json()["NeutronError"]["message"] == message


def test_an_admin_makes_an_external_network_for_another_project_and_a_member_may_not(operators):  # noqa: F811
    member = connect(operators, CLOUD_NAME)
    name = "ext-" + uuid.uuid4().hex[:8]
    refused = member.network.post("/networks", json={"network": {"name": name, "router:external": True}})
    assert neutron_says(refused, 403, "(rule:create_network and rule:create_network:router:external) is "
                                      "disallowed by policy")
    made = cli_json(operators, ADMIN_CLOUD_NAME, "network", "create", "--external", "--share", "--project",
                    member.current_project_id, name)
    try:
        assert made["router:external"] is True and made["shared"] is True
        assert made["project_id"] == member.current_project_id
        assert name in [n.name for n in member.network.networks()]  # shared: the member lists it
    finally:
        done = cli(operators, ADMIN_CLOUD_NAME, "network", "delete", name)
        assert done.returncode == 0, done.stderr


def test_an_admin_changes_an_unbound_ports_mac_and_a_member_may_not(operators):  # noqa: F811
    member, admin = connect(operators, CLOUD_NAME), connect(operators, ADMIN_CLOUD_NAME)
    network = member.network.create_network(name="mac-" + uuid.uuid4().hex[:8])
    try:
        port = member.network.create_port(network_id=network.id, name="mac-port")
        other = member.network.create_port(network_id=network.id, name="mac-other")
        refused = member.network.put(f"/ports/{port.id}", json={"port": {"mac_address": "fa:16:3e:00:00:01"}})
        assert neutron_says(refused, 403, "(rule:update_port and rule:update_port:mac_address) is disallowed by "
                                          "policy")
        done = cli(operators, ADMIN_CLOUD_NAME, "port", "set", "--mac-address", "FA-16-3E-00-00-01", port.id)
        assert done.returncode == 0 and done.stdout == "", done.stderr
        assert member.network.get_port(port.id).mac_address == "fa:16:3e:00:00:01"  # sanitized as neutron-lib does
        taken = admin.network.put(f"/ports/{other.id}", json={"port": {"mac_address": "fa:16:3e:00:00:01"}})
        assert neutron_says(taken, 409, f"Unable to complete operation for network {network.id}. The mac address "
                                        "fa:16:3e:00:00:01 is in use.")
        bad = admin.network.put(f"/ports/{other.id}", json={"port": {"mac_address": "00:00:00:00:00:00"}})
        assert neutron_says(bad, 400, "Invalid input for mac_address. Reason: '00:00:00:00:00:00' is not a valid "
                                      "MAC address.")
        member.network.delete_port(port)
        member.network.delete_port(other)
    finally:
        member.network.delete_network(network)

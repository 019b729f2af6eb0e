"""RBAC policies and address groups on the demo cloud, over HTTP with openstacksdk and the `openstack` CLI, held
against Neutron 29.0.0 (see exotui/demo/neutron_rbac.py and neutron_address_groups.py)."""

from __future__ import annotations

import uuid

from exotui.demo.app import ADMIN_CLOUD_NAME, CLOUD_NAME
from tests.demo.test_keystone_admin import cli, connect, operators  # noqa: F401  (operators: the fixture)
from tests.demo.test_neutron_admin import cli_json, neutron_says


def _name(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def test_sharing_a_network_with_one_project_lets_it_see_the_network(operators):  # noqa: F811
    member, admin = connect(operators, CLOUD_NAME), connect(operators, ADMIN_CLOUD_NAME)
    network = admin.network.create_network(name=_name("rbac"))
    try:
        assert network.id not in [n.id for n in member.network.networks()]
        policy = cli_json(operators, ADMIN_CLOUD_NAME, "network", "rbac", "create", network.id, "--type", "network",
                          "--action", "access_as_shared", "--target-project", member.current_project_id)
        assert (policy["object_id"], policy["object_type"], policy["action"]) == (network.id, "network",
                                                                                  "access_as_shared")
        assert policy["target_project_id"] == member.current_project_id
        assert network.id in [n.id for n in member.network.networks()]
        assert policy["id"] in [p["ID"] for p in cli_json(operators, ADMIN_CLOUD_NAME, "network", "rbac", "list")]
        again = admin.network.post("/rbac-policies", json={"rbac_policy": {
            "object_type": "network", "object_id": network.id, "action": "access_as_shared",
            "target_tenant": member.current_project_id}})
        assert neutron_says(again, 409, "An RBAC policy already exists with those values.")
        assert not admin.network.get_network(network.id).is_shared  # shared with one project, not with everyone
        widened = admin.network.put(f"/rbac-policies/{policy['id']}", json={"rbac_policy": {"target_tenant": "*"}})
        assert widened.json()["rbac_policy"]["target_tenant"] == "*"
        assert admin.network.get_network(network.id).is_shared  # a wildcard policy is `shared`
        assert cli(operators, ADMIN_CLOUD_NAME, "network", "rbac", "delete", policy["id"]).returncode == 0
        assert not admin.network.get_network(network.id).is_shared
        assert network.id not in [n.id for n in member.network.networks()]
    finally:
        admin.network.delete_network(network)


def test_a_shared_network_has_its_wildcard_policy_and_members_are_refused_theirs(operators):  # noqa: F811
    member, admin = connect(operators, CLOUD_NAME), connect(operators, ADMIN_CLOUD_NAME)
    shared = admin.network.create_network(name=_name("shared"), shared=True)
    mine = member.network.create_network(name=_name("mine"))
    try:
        wildcard = [p for p in admin.network.rbac_policies(object_id=shared.id)]
        assert [(p.action, p.target_project_id) for p in wildcard] == [("access_as_shared", "*")]
        admin.network.update_network(shared, shared=False)
        assert list(admin.network.rbac_policies(object_id=shared.id)) == []
        body = {"object_type": "network", "object_id": mine.id, "action": "access_as_shared", "target_tenant": "*"}
        everyone = member.network.post("/rbac-policies", json={"rbac_policy": body})
        assert neutron_says(everyone, 403, "(rule:create_rbac_policy and rule:create_rbac_policy:target_tenant) is "
                                           "disallowed by policy")
        bad_type = member.network.post("/rbac-policies", json={"rbac_policy": {**body, "object_type": "router"}})
        assert neutron_says(bad_type, 400, "Invalid input for operation: 'router' is not a valid RBAC object type.")
        bad_action = member.network.post("/rbac-policies", json={"rbac_policy": {
            **body, "action": "access_as_owner", "target_tenant": admin.current_project_id}})
        assert neutron_says(bad_action, 400, "Invalid input for operation: Invalid action 'access_as_owner' for object "
                                             "type 'network'. Valid actions: ('access_as_shared', "
                                             "'access_as_external').")
        foreign = member.network.post("/rbac-policies", json={"rbac_policy": {
            **body, "object_id": shared.id, "target_tenant": member.current_project_id}})
        assert neutron_says(foreign, 404, f"Network {shared.id} could not be found.")
        gone = member.network.get(f"/rbac-policies/{uuid.uuid4()}")
        assert gone.status_code == 404
    finally:
        admin.network.delete_network(shared)
        member.network.delete_network(mine)


def test_address_groups_add_and_remove_addresses(operators):  # noqa: F811
    member = connect(operators, CLOUD_NAME)
    group = cli_json(operators, CLOUD_NAME, "address", "group", "create", "--address", "10.0.0.1",
                     "--address", "10.1.0.0/16", "--description", "aaaa", _name("ag"))
    try:
        assert sorted(group["addresses"]) == ["10.0.0.1/32", "10.1.0.0/16"] and group["description"] == "aaaa"
        done = cli(operators, CLOUD_NAME, "address", "group", "set", "--address", "192.0.2.0/24", group["id"])
        assert done.returncode == 0 and done.stdout == "", done.stderr
        shown = member.network.get(f"/address-groups/{group['id']}").json()["address_group"]
        assert "192.0.2.0/24" in shown["addresses"] and "shared" not in shown and "tags" not in shown
        twice = member.network.put(f"/address-groups/{group['id']}/add_addresses",
                                   json={"addresses": ["192.0.2.0/24"]})
        assert neutron_says(twice, 400, f"Addresses ['192.0.2.0/24'] already exist in the address group "
                                        f"{group['id']}.")
        missing = member.network.put(f"/address-groups/{group['id']}/remove_addresses",
                                     json={"addresses": ["198.51.100.0/24"]})
        assert neutron_says(missing, 404, f"Addresses ['198.51.100.0/24'] not found in the address group "
                                          f"{group['id']}.")
        done = cli(operators, CLOUD_NAME, "address", "group", "unset", "--address", "10.0.0.1", group["id"])
        assert done.returncode == 0, done.stderr
        assert "10.0.0.1/32" not in member.network.get(f"/address-groups/{group['id']}").json()["address_group"][
            "addresses"]
        sg = member.network.create_security_group(name=_name("sg"))
        rule = member.network.create_security_group_rule(security_group_id=sg.id, direction="ingress",
                                                         remote_address_group_id=group["id"])
        assert rule.remote_address_group_id == group["id"]
        in_use = member.network.delete(f"/address-groups/{group['id']}")
        assert neutron_says(in_use, 409, f"Address group {group['id']} is in use on one or more security group "
                                         "rules.")
        member.network.delete_security_group(sg)
    finally:
        assert cli(operators, CLOUD_NAME, "address", "group", "delete", group["id"]).returncode == 0


def test_an_external_policy_for_everyone_is_the_networks_router_external(operators):  # noqa: F811
    admin = connect(operators, ADMIN_CLOUD_NAME)
    network = admin.network.create_network(name=_name("ext"))
    try:
        subnet = admin.network.create_subnet(network_id=network.id, ip_version=4, cidr="10.75.0.0/24")
        made = admin.network.post("/rbac-policies", json={"rbac_policy": {
            "object_type": "network", "object_id": network.id, "action": "access_as_external", "target_tenant": "*"}})
        assert made.status_code == 201, made.text
        assert admin.network.get_network(network.id).is_router_external
        assert admin.network.get(f"/subnets/{subnet.id}").json()["subnet"]["router:external"] is True
        admin.network.delete(f"/rbac-policies/{made.json()['rbac_policy']['id']}")
        assert not admin.network.get_network(network.id).is_router_external
        assert admin.network.get(f"/subnets/{subnet.id}").json()["subnet"]["router:external"] is False
    finally:
        admin.network.delete_network(network)

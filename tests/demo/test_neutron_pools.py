"""Subnet pools, address scopes and subnets allocated from a pool on the demo cloud, over HTTP with openstacksdk
and the `openstack` CLI, held against Neutron 29.0.0 (see exotui/demo/neutron_pools.py)."""

from __future__ import annotations

import uuid

from exotui.demo.app import ADMIN_CLOUD_NAME, CLOUD_NAME
from tests.demo.test_keystone_admin import cli, connect, operators  # noqa: F401  (operators: the fixture)
from tests.demo.test_neutron_admin import cli_json, neutron_says


def _name(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def test_a_pool_takes_neutrons_defaults_and_shows_its_prefix_lengths_as_strings(operators):  # noqa: F811
    member = connect(operators, CLOUD_NAME)
    made = member.network.post("/subnetpools", json={"subnetpool": {"name": _name("pool"),
                                                                     "prefixes": ["10.70.0.0/16", "10.70.1.0/24"]}})
    assert made.status_code == 201, made.text
    pool = made.json()["subnetpool"]
    try:
        assert pool["prefixes"] == ["10.70.0.0/16"]  # compacted
        assert (pool["min_prefixlen"], pool["max_prefixlen"], pool["default_prefixlen"]) == ("8", "32", "8")
        assert pool["ip_version"] == 4 and pool["shared"] is False and pool["is_default"] is False
        assert pool["default_quota"] is None and pool["address_scope_id"] is None and pool["tags"] == []
        assert member.network.get(f"/subnetpools/{pool['id']}").json()["subnetpool"]["min_prefixlen"] == "8"
        updated = member.network.put(f"/subnetpools/{pool['id']}", json={"subnetpool": {"default_prefixlen": 20}})
        assert updated.json()["subnetpool"]["default_prefixlen"] == 20  # an update answers numbers
        shrink = member.network.put(f"/subnetpools/{pool['id']}", json={"subnetpool": {"prefixes": ["10.70.0.0/17"]}})
        assert neutron_says(shrink, 400, "Illegal update to prefixes: Existing prefixes must be a subset of the new "
                                         "prefixes.")
        bounds = member.network.put(f"/subnetpools/{pool['id']}", json={"subnetpool": {"max_prefixlen": 40}})
        assert neutron_says(bounds, 400, "Illegal prefix bounds: max_prefixlen=40, ip_version_max=32.")
        shared = member.network.post("/subnetpools", json={"subnetpool": {"name": "x", "prefixes": ["10.71.0.0/16"],
                                                                          "shared": True}})
        assert neutron_says(shared, 403, "(rule:create_subnetpool and rule:create_subnetpool:shared) is disallowed "
                                         "by policy")
        mixed = member.network.post("/subnetpools", json={"subnetpool": {"name": "x",
                                                                         "prefixes": ["10.71.0.0/16", "fd00::/64"]}})
        assert neutron_says(mixed, 400, "Cannot mix IPv4 and IPv6 prefixes in a subnet pool.")
    finally:
        assert member.network.delete(f"/subnetpools/{pool['id']}").status_code == 204
    gone = member.network.get(f"/subnetpools/{pool['id']}")
    assert neutron_says(gone, 404, f"Subnet pool {pool['id']} could not be found.")


def test_subnets_come_from_the_pool_and_hold_it_until_deleted(operators):  # noqa: F811
    member = connect(operators, CLOUD_NAME)
    pool = member.network.create_subnet_pool(name=_name("pool"), prefixes=["10.72.0.0/16"], default_prefix_length=24,
                                             maximum_prefix_length=28)
    network = member.network.create_network(name=_name("net"))
    try:
        first = member.network.create_subnet(network_id=network.id, ip_version=4, subnet_pool_id=pool.id)
        assert (first.cidr, first.subnet_pool_id, first.gateway_ip) == ("10.72.0.0/24", pool.id, "10.72.0.1")
        second = member.network.create_subnet(network_id=network.id, ip_version=4, subnet_pool_id=pool.id,
                                              prefix_length=26)
        assert second.cidr == "10.72.1.0/26"  # the smallest free block that holds a /26
        named = member.network.create_subnet(network_id=network.id, ip_version=4, subnet_pool_id=pool.id,
                                             cidr="10.72.9.0/24")
        assert named.cidr == "10.72.9.0/24"
        outside = member.network.post("/subnets", json={"subnet": {"network_id": network.id, "ip_version": 4,
                                                                   "subnetpool_id": pool.id, "cidr": "10.9.0.0/24"}})
        assert neutron_says(outside, 500, "Failed to allocate subnet: Cannot allocate requested subnet from the "
                                          "available set of prefixes.")
        small = member.network.post("/subnets", json={"subnet": {"network_id": network.id, "ip_version": 4,
                                                                 "subnetpool_id": pool.id, "prefixlen": 30}})
        assert neutron_says(small, 400, "Unable to allocate subnet with prefix length 30, maximum allowed prefix is "
                                        "28.")
        added = member.network.put(f"/subnetpools/{pool.id}/add_prefixes", json={"prefixes": ["10.74.0.0/16"]})
        assert added.json() == {"prefixes": ["10.72.0.0/16", "10.74.0.0/16"]}
        taken = member.network.put(f"/subnetpools/{pool.id}/remove_prefixes", json={"prefixes": ["10.72.0.0/24"]})
        assert neutron_says(taken, 400, "Illegal update to prefixes: One or more the prefixes to be removed is in use "
                                        "by a subnet.")
        removed = member.network.put(f"/subnetpools/{pool.id}/remove_prefixes", json={"prefixes": ["10.74.0.0/17"]})
        assert removed.json() == {"prefixes": ["10.72.0.0/16", "10.74.128.0/17"]}
        held = member.network.delete(f"/subnetpools/{pool.id}")
        assert neutron_says(held, 400, "Unable to delete subnet pool: Subnet pool has existing allocations.")
    finally:
        member.network.delete_network(network)
        member.network.delete_subnet_pool(pool)


def test_the_default_pool_serves_use_default_subnetpool_and_only_an_admin_marks_it(operators):  # noqa: F811
    member, admin = connect(operators, CLOUD_NAME), connect(operators, ADMIN_CLOUD_NAME)
    refused = member.network.post("/subnetpools", json={"subnetpool": {"name": "d", "prefixes": ["fd70::/48"],
                                                                       "is_default": True}})
    assert neutron_says(refused, 403, "(rule:create_subnetpool and rule:create_subnetpool:is_default) is disallowed "
                                      "by policy")
    made = cli_json(operators, ADMIN_CLOUD_NAME, "subnet", "pool", "create", "--default", "--share",
                    "--pool-prefix", "fd70::/48", _name("v6"))
    network = member.network.create_network(name=_name("net"))
    try:
        assert made["is_default"] is True and made["shared"] is True and made["default_prefixlen"] == 64
        second = admin.network.post("/subnetpools", json={"subnetpool": {"name": "d", "prefixes": ["fd71::/48"],
                                                                         "is_default": True}})
        assert neutron_says(second, 400, "Invalid input for operation: A default subnetpool for this IP family has "
                                         "already been set. Only one default may exist per IP family.")
        subnet = member.network.post("/subnets", json={"subnet": {"network_id": network.id, "ip_version": 6,
                                                                  "use_default_subnetpool": True}})
        assert subnet.status_code == 201, subnet.text
        assert subnet.json()["subnet"]["cidr"] == "fd70::/64"
        assert subnet.json()["subnet"]["subnetpool_id"] == made["id"]
    finally:
        member.network.delete_network(network)
        assert cli(operators, ADMIN_CLOUD_NAME, "subnet", "pool", "delete", made["id"]).returncode == 0


def test_address_scopes_hold_pools_and_reach_their_networks(operators):  # noqa: F811
    member = connect(operators, CLOUD_NAME)
    scope = cli_json(operators, CLOUD_NAME, "address", "scope", "create", "--ip-version", "4", _name("scope"))
    assert set(scope) >= {"id", "name", "project_id", "shared", "ip_version"} and scope["shared"] is False
    pool = member.network.create_subnet_pool(name=_name("pool"), prefixes=["10.73.0.0/16"],
                                             address_scope_id=scope["id"], default_prefix_length=24)
    network = member.network.create_network(name=_name("net"))
    try:
        member.network.create_subnet(network_id=network.id, ip_version=4, subnet_pool_id=pool.id)
        assert member.network.get_network(network.id).ipv4_address_scope_id == scope["id"]
        wrong = member.network.post("/subnetpools", json={"subnetpool": {"name": "v6", "prefixes": ["fd72::/48"],
                                                                         "address_scope_id": scope["id"]}})
        assert wrong.status_code == 400 and "because subnetpool ip_version is not 4" in wrong.text
        share = member.network.put(f"/address-scopes/{scope['id']}", json={"address_scope": {"shared": True}})
        assert neutron_says(share, 403, "(rule:update_address_scope and rule:update_address_scope:shared) is "
                                        "disallowed by policy")
        in_use = member.network.delete(f"/address-scopes/{scope['id']}")
        assert neutron_says(in_use, 409, f"Unable to complete operation on address scope {scope['id']}. There are "
                                         "one or more subnet pools in use on the address scope.")
    finally:
        member.network.delete_network(network)
        member.network.delete_subnet_pool(pool)
        assert cli(operators, CLOUD_NAME, "address", "scope", "delete", scope["id"]).returncode == 0


def test_ip_availability_counts_a_networks_addresses_for_an_admin_only(operators):  # noqa: F811
    member, admin = connect(operators, CLOUD_NAME), connect(operators, ADMIN_CLOUD_NAME)
    network = member.network.create_network(name=_name("avail"))
    try:
        subnet = member.network.create_subnet(network_id=network.id, ip_version=4, cidr="10.10.10.0/24")
        member.network.create_port(network_id=network.id)
        shown = cli_json(operators, ADMIN_CLOUD_NAME, "ip", "availability", "show", network.id)
        assert (shown["network_name"], shown["total_ips"], shown["used_ips"]) == (network.name, 253, 1)
        assert shown["ip_availability_details"] == {"total_ips_in_subnet": 254, "total_ips_in_allocation_pool": 253,
                                                    "used_ips_in_subnet": 1, "used_ips_in_allocation_pool": 1}
        [row] = [s for s in shown["subnet_ip_availability"]]
        assert (row["subnet_id"], row["cidr"], row["ip_version"]) == (subnet.id, "10.10.10.0/24", 4)
        listed = cli_json(operators, ADMIN_CLOUD_NAME, "ip", "availability", "list", "--ip-version", "4")
        assert network.name in [r["Network Name"] for r in listed]
        assert admin.network.get("/network-ip-availabilities?ip_version=6").json()["network_ip_availabilities"] == []
        assert member.network.get("/network-ip-availabilities").json()["network_ip_availabilities"] == []
        hidden = member.network.get(f"/network-ip-availabilities/{network.id}")
        assert neutron_says(hidden, 404, f"Network {network.id} could not be found.")
    finally:
        for port in member.network.ports(network_id=network.id):
            member.network.delete_port(port)
        member.network.delete_network(network)

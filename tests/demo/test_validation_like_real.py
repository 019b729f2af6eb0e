"""Validation the demo holds to the real services' source, over HTTP with openstacksdk: Neutron keeps a subnet
whose CIDR has host bits (neutron/db/db_base_plugin_v2.py, _create_subnet_precommit: "turn the CIDR into a
proper subnet"), and Nova checks `hostname` from 2.90 (nova/api/validation/parameter_types.py: `hostname`,
then `fqdn` from 2.94; unknown before 2.90)."""

from __future__ import annotations

import pytest


def test_a_subnet_cidr_with_host_bits_is_kept_as_its_network(conn):
    net = conn.network.create_network(name="host-bits")
    try:
        subnet = conn.network.create_subnet(network_id=net.id, ip_version=4, cidr="10.77.0.5/24")
        assert subnet.cidr == "10.77.0.0/24"
        assert subnet.gateway_ip == "10.77.0.1"
        bad = conn.network.post("/subnets", json={"subnet": {"network_id": net.id, "ip_version": 4,
                                                             "cidr": "10.77.1.300/24"}}, raise_exc=False)
        assert bad.status_code == 400  # the oracle's neutron-199
        assert bad.json()["NeutronError"]["message"] == \
            "Invalid input for operation: 10.77.1.300/24 is not in a CIDR format."
    finally:
        for made in conn.network.subnets(network_id=net.id):
            conn.network.delete_subnet(made)
        conn.network.delete_network(net)


def _boot(conn, microversion: str, hostname):
    flavor = conn.compute.find_flavor("m3.tiny")
    image = conn.image.find_image("Featured-Ubuntu24")
    body = {"server": {"name": "named-host", "flavorRef": flavor.id, "imageRef": image.id, "networks": "none",
                       "hostname": hostname}}
    return conn.compute.post("/servers", json=body, microversion=microversion, raise_exc=False)


@pytest.mark.parametrize("microversion, hostname, reason", [
    ("2.89", "web-1", "Additional properties are not allowed ('hostname' was unexpected)"),
    ("2.90", "web_1", "'web_1' does not match '^[a-zA-Z0-9]+[a-zA-Z0-9-]*[a-zA-Z0-9]+$'"),
    ("2.90", "w", "'w' is too short"),
    ("2.90", "web.example.org", "'web.example.org' does not match '^[a-zA-Z0-9]+[a-zA-Z0-9-]*[a-zA-Z0-9]+$'"),
    ("2.94", "web 1", "'web 1' does not match '^[a-zA-Z0-9-._]*$'"),
    ("2.94", "\x1b]0;pwned\x07", "does not match '^[a-zA-Z0-9-._]*$'"),
])
def test_nova_refuses_hostnames_its_schema_refuses(conn, microversion, hostname, reason):
    answer = _boot(conn, microversion, hostname)
    assert answer.status_code == 400
    message = answer.json()["badRequest"]["message"]
    assert message.startswith("Invalid input for field/attribute") and message.endswith(reason)
    if microversion >= "2.90":  # Nova prints the string itself, not its repr
        assert message.startswith(f"Invalid input for field/attribute hostname. Value: {hostname}. ")


@pytest.mark.parametrize("microversion, hostname", [("2.90", "web-1"), ("2.94", "web.example.org")])
def test_nova_keeps_a_valid_hostname(conn, microversion, hostname):
    answer = _boot(conn, microversion, hostname)
    assert answer.status_code == 202, answer.text
    server_id = answer.json()["server"]["id"]
    try:
        shown = conn.compute.get(f"/servers/{server_id}", microversion=microversion).json()["server"]
        assert shown["OS-EXT-SRV-ATTR:hostname"] == hostname
        renamed = conn.compute.put(f"/servers/{server_id}", json={"server": {"hostname": "bad_name!"}},
                                   microversion=microversion, raise_exc=False)
        assert renamed.status_code == 400
    finally:
        conn.compute.delete(f"/servers/{server_id}")


def test_several_tags_are_added_at_once(conn):
    """openstacksdk's add_tags is Neutron's tagging create (neutron/extensions/tagging.py): POST .../tags adds
    the missing tags, keeps the others and answers the request's body with 201."""
    net = conn.network.create_network(name="tagged")
    try:
        conn.network.set_tags(net, ["keep"])
        conn.network.add_tags(net, ["red", "blue", "keep"])
        assert sorted(conn.network.get_network(net.id).tags) == ["blue", "keep", "red"]
        answer = conn.network.post(f"/networks/{net.id}/tags", json={"tags": ["green"]})
        assert (answer.status_code, answer.json()) == (201, {"tags": ["green"]})
        assert conn.network.get_network(net.id).revision_number >= 3  # each change moves the revision on
    finally:
        conn.network.delete_network(net)

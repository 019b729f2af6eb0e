"""A server's interfaces (Nova's os-interface) on the demo cloud, over HTTP with the `openstack` CLI and
openstacksdk: `server add/remove network|port|fixed ip` as python-openstackclient sends them, and Nova's answers
to what it refuses (nova/api/openstack/compute/attach_interfaces.py, nova/network/neutron.py)."""

from __future__ import annotations

import uuid

import pytest

from exotui.demo.app import ADMIN_CLOUD_NAME, CLOUD_NAME
from tests.demo.test_keystone_admin import cli, connect, operators  # noqa: F401  (operators: the fixture)
from tests.demo.test_nova_flavors_admin import says
from tests.demo.test_nova_hosts_admin import cli_json, cli_ok

MV_2_1, MV_2_70 = ({"OpenStack-API-Version": f"compute {v}"} for v in ("2.1", "2.70"))


def fresh(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


@pytest.fixture(scope="module")
def booted(operators):  # noqa: F811
    """A member's ACTIVE server on the seed's network, and a second network (with a subnet) to attach."""
    network = fresh("net")
    cli_ok(operators, CLOUD_NAME, "network", "create", network)
    cli_ok(operators, CLOUD_NAME, "subnet", "create", "--network", network, "--subnet-range", "192.168.77.0/24",
           network + "-subnet")
    member = connect(operators, CLOUD_NAME)
    flavor = next(iter(member.compute.flavors()))
    image = next(i for i in member.image.images() if i.status == "active")
    name = fresh("srv")
    server = cli_json(operators, CLOUD_NAME, "server", "create", "--flavor", flavor.id, "--image", image.id,
                      "--network", "auto_allocated_network", "--wait", name)
    return member, server["id"], network


def addresses(member, server_id: str) -> dict[str, list[str]]:
    server = member.compute.get_server(server_id)
    return {net: [a["addr"] for a in entries] for net, entries in server.addresses.items()}


def test_a_network_is_attached_and_detached_and_nova_deletes_the_port_it_made(operators, booted):  # noqa: F811
    member, server_id, network = booted
    cli_ok(operators, CLOUD_NAME, "server", "add", "network", server_id, network)
    made = next(p for p in member.network.ports(device_id=server_id)
                if member.network.get_network(p.network_id).name == network)
    assert made.device_owner == "compute:nova" and made.status == "ACTIVE"
    assert addresses(member, server_id)[network] == [made.fixed_ips[0]["ip_address"]]
    listed = member.compute.get(f"/servers/{server_id}/os-interface", headers=MV_2_70).json()["interfaceAttachments"]
    assert {a["port_id"] for a in listed} == {p.id for p in member.network.ports(device_id=server_id)}
    assert len(listed) == 2 and all(a["tag"] is None for a in listed)
    actions = [a.action for a in member.compute.server_actions(server_id)]
    assert actions[0] == "attach_interface"
    cli_ok(operators, CLOUD_NAME, "server", "remove", "network", server_id, network)
    assert network not in addresses(member, server_id)
    assert member.network.find_port(made.id) is None  # Nova made it, Nova deletes it
    assert [a.action for a in member.compute.server_actions(server_id)][0] == "detach_interface"


def test_the_users_port_is_attached_then_unbound_and_kept(operators, booted):  # noqa: F811
    member, server_id, network = booted
    port = cli_json(operators, CLOUD_NAME, "port", "create", "--network", network, fresh("port"))
    address = port["fixed_ips"][0]["ip_address"]
    cli_ok(operators, CLOUD_NAME, "server", "add", "port", server_id, port["name"])
    bound = member.network.get_port(port["id"])
    assert bound.device_id == server_id and bound.device_owner == "compute:nova"
    assert address in addresses(member, server_id)[network]
    shown = member.compute.get(f"/servers/{server_id}/os-interface/{port['id']}", headers=MV_2_1).json()
    assert shown["interfaceAttachment"]["fixed_ips"] == [{"subnet_id": port["fixed_ips"][0]["subnet_id"],
                                                          "ip_address": address}]
    # a bound port cannot go to a second attachment
    again = member.compute.post(f"/servers/{server_id}/os-interface", headers=MV_2_1,
                                json={"interfaceAttachment": {"port_id": port["id"]}})
    assert says(again, 409, f"Port {port['id']} is still in use.")
    cli_ok(operators, CLOUD_NAME, "server", "remove", "port", server_id, port["name"])
    kept = member.network.get_port(port["id"])
    assert kept.device_id == "" and kept.device_owner == "" and kept.status == "DOWN"
    assert network not in addresses(member, server_id)
    gone = member.compute.get(f"/servers/{server_id}/os-interface/{port['id']}", headers=MV_2_1)
    assert says(gone, 404, f"Instance {server_id} does not have a port with id {port['id']}")
    cli_ok(operators, CLOUD_NAME, "port", "delete", port["id"])


def test_a_fixed_ip_is_attached_on_its_network(operators, booted):  # noqa: F811
    member, server_id, network = booted
    probe = cli_json(operators, CLOUD_NAME, "port", "create", "--network", network, fresh("probe"))
    address = probe["fixed_ips"][0]["ip_address"]
    cli_ok(operators, CLOUD_NAME, "port", "delete", probe["id"])
    cli_ok(operators, CLOUD_NAME, "server", "add", "fixed", "ip", "--fixed-ip-address", address, server_id, network)
    assert addresses(member, server_id)[network] == [address]
    net_id = member.network.find_network(network).id
    taken = member.compute.post(f"/servers/{server_id}/os-interface", headers=MV_2_1, json={
        "interfaceAttachment": {"net_id": net_id, "fixed_ips": [{"ip_address": address}]}})
    assert says(taken, 409, f"Fixed IP {address} is already in use.")
    cli_ok(operators, CLOUD_NAME, "server", "remove", "network", server_id, network)
    assert network not in addresses(member, server_id)


def test_what_nova_refuses(operators, booted):  # noqa: F811
    member, server_id, network = booted
    net_id = member.network.find_network(network).id
    url = f"/servers/{server_id}/os-interface"
    both = member.compute.post(url, headers=MV_2_1, json={"interfaceAttachment": {
        "net_id": net_id, "port_id": str(uuid.uuid4())}})
    assert says(both, 400, "Must not input both network_id and port_id")
    no_net = member.compute.post(url, headers=MV_2_1, json={"interfaceAttachment": {
        "fixed_ips": [{"ip_address": "192.168.77.9"}]}})
    assert says(no_net, 400, "Must input network_id when request IP address")
    tag = member.compute.post(url, headers=MV_2_1, json={"interfaceAttachment": {"net_id": net_id, "tag": "a"}})
    assert tag.status_code == 400 and "'tag' was unexpected" in tag.text  # tags from 2.49
    public = next(n for n in member.network.networks() if n.is_router_external)
    external = member.compute.post(url, headers=MV_2_1, json={"interfaceAttachment": {"net_id": public.id}})
    assert says(external, 403, f"It is not allowed to create an interface on external network {public.id}")
    missing = str(uuid.uuid4())
    assert says(member.compute.post(url, headers=MV_2_1, json={"interfaceAttachment": {"port_id": missing}}),
                404, f"Port id {missing} could not be found.")
    assert says(member.compute.post(url, headers=MV_2_1, json={"interfaceAttachment": {"net_id": missing}}),
                404, f"Network {missing} could not be found.")
    cli_ok(operators, CLOUD_NAME, "server", "lock", server_id)
    try:
        locked = member.compute.post(url, headers=MV_2_1, json={"interfaceAttachment": {"net_id": net_id}})
        assert says(locked, 409, f"Instance {server_id} is locked")
    finally:
        cli_ok(operators, CLOUD_NAME, "server", "unlock", server_id)


def test_deleting_the_server_deletes_novas_ports_and_keeps_the_users(operators, booted):  # noqa: F811
    member, _server_id, network = booted
    flavor = next(iter(member.compute.flavors()))
    image = next(i for i in member.image.images() if i.status == "active")
    server = cli_json(operators, CLOUD_NAME, "server", "create", "--flavor", flavor.id, "--image", image.id,
                      "--network", network, "--wait", fresh("srv"))
    own = [p.id for p in member.network.ports(device_id=server["id"])]
    port = cli_json(operators, CLOUD_NAME, "port", "create", "--network", network, fresh("port"))
    cli_ok(operators, CLOUD_NAME, "server", "add", "port", server["id"], port["id"])
    cli_ok(operators, CLOUD_NAME, "server", "delete", "--wait", server["id"])
    assert member.network.get_port(port["id"]).device_id == ""
    assert [member.network.find_port(p) for p in own] == [None]


def test_an_admin_plugs_a_server_into_the_external_network(operators, booted):  # noqa: F811
    member, server_id, _network = booted
    admin = connect(operators, ADMIN_CLOUD_NAME)
    public = next(n for n in member.network.networks() if n.is_router_external)
    cli_ok(operators, ADMIN_CLOUD_NAME, "server", "add", "network", server_id, public.id)
    assert public.name in addresses(member, server_id)
    made = next(p for p in admin.network.ports(device_id=server_id) if p.network_id == public.id)
    assert made.project_id == member.current_project_id  # the server's project, not the admin's
    cli_ok(operators, ADMIN_CLOUD_NAME, "server", "remove", "network", server_id, public.id)
    assert public.name not in addresses(member, server_id)

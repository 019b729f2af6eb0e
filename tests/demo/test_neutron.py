"""Neutron of the demo cloud: the model on a hand-built World, then the API through real clients."""

from __future__ import annotations

import time

import pytest

from exotui.demo import neutron
from exotui.demo.common import ApiError
from exotui.demo.world import Knobs, World


# --- the model (the contract other services call) -------------------------------------------------

@pytest.fixture()
def world() -> World:
    """A world with a public network and one project's network, subnet and router."""
    w = World(Knobs(delay_scale=0.0, seed=3))
    public = neutron.create_network(w, "admin", "public", external=True)
    neutron.create_subnet(w, "admin", public["id"], "public-subnet", neutron.PUBLIC_CIDR,
                          gateway_ip=neutron.PUBLIC_GATEWAY, enable_dhcp=False)
    net = neutron.create_network(w, "p1", "private")
    subnet = neutron.create_subnet(w, "p1", net["id"], "private-subnet", "10.0.0.0/24")
    router = neutron.create_router(w, "p1", "router", external_network_id=public["id"])
    neutron.add_router_interface(w, router["id"], subnet["id"])
    w.ids = {"public": public["id"], "net": net["id"], "subnet": subnet["id"], "router": router["id"]}  # type: ignore[attr-defined]
    return w


def test_model_subnet_defaults_and_errors(world):
    subnet = world.subnets[world.ids["subnet"]]
    assert subnet["gateway_ip"] == "10.0.0.1"
    assert subnet["allocation_pools"] == [{"start": "10.0.0.2", "end": "10.0.0.254"}]
    with pytest.raises(ApiError) as err:
        neutron.create_subnet(world, "p1", world.ids["net"], "x", "10.0.0.0/25")
    assert err.value.status == 400 and "overlaps with another subnet" in err.value.message
    with pytest.raises(ApiError) as err:
        neutron.create_subnet(world, "p1", world.ids["net"], "x", "10.50.0.300/24")
    assert err.value.message == "Invalid input for operation: 10.50.0.300/24 is not in a CIDR format."


def test_model_router_gateway_and_interface(world):
    router = world.routers[world.ids["router"]]
    gateway = router["external_gateway_info"]
    assert gateway["network_id"] == world.ids["public"]
    assert gateway["external_fixed_ips"][0]["ip_address"] == "127.64.0.2"  # .0 and gateway .1 skipped
    owners = sorted(p["device_owner"] for p in neutron.device_ports(world, router["id"]))
    assert owners == ["network:router_gateway", "network:router_interface"]
    iface = next(p for p in neutron.device_ports(world, router["id"]) if p["device_owner"].endswith("interface"))
    assert iface["fixed_ips"][0]["ip_address"] == "10.0.0.1" and iface["status"] == "DOWN"
    with pytest.raises(ApiError) as err:
        neutron.add_router_interface(world, router["id"], world.ids["subnet"])
    assert err.value.status == 400 and "Router already has a port on subnet" in err.value.message


def test_model_server_ports_and_floating_ip(world):
    seen = []
    world.listeners.append(lambda kind, ident: seen.append((kind, ident)))
    port = neutron.create_port(world, "p1", world.ids["net"], device_id="srv-1", device_owner="compute:nova")
    default = neutron.find_security_group(world, "p1", "default")
    assert port["security_groups"] == [default["id"]]
    assert port["status"] == "ACTIVE" and port["mac_address"].startswith("fa:16:3e:")
    assert port["fixed_ips"][0]["ip_address"] == "10.0.0.2"
    fip = neutron.create_floating_ip(world, "p1", world.ids["public"], port_id=port["id"])
    assert fip["floating_ip_address"] == "127.64.0.3"
    assert fip["router_id"] == world.ids["router"] and fip["status"] == "ACTIVE"
    assert ("floatingip", fip["id"]) in seen
    assert neutron.floating_ip_of(world, "srv-1") == "127.64.0.3"
    assert neutron.server_addresses(world, "srv-1") == {"private": [
        {"version": 4, "addr": "10.0.0.2", "OS-EXT-IPS:type": "fixed", "OS-EXT-IPS-MAC:mac_addr": port["mac_address"]},
        {"version": 4, "addr": "127.64.0.3", "OS-EXT-IPS:type": "floating",
         "OS-EXT-IPS-MAC:mac_addr": port["mac_address"]}]}
    neutron.delete_port(world, port["id"])
    assert neutron.device_ports(world, "srv-1") == [] and neutron.floating_ip_of(world, "srv-1") is None
    kept = world.floatingips[fip["id"]]
    assert kept["port_id"] is None and kept["status"] == "DOWN"
    again = neutron.create_port(world, "p1", world.ids["net"], device_id="srv-2", device_owner="compute:nova")
    assert again["fixed_ips"][0]["ip_address"] == "10.0.0.3"  # addresses are not reused at once


def test_model_security_groups(world):
    default = neutron.ensure_default_security_group(world, "p1")
    rules = [world.security_group_rules[r] for r in default["_rules"]]
    assert sorted((r["direction"], r["ethertype"], r["remote_group_id"]) for r in rules) == [
        ("egress", "IPv4", None), ("egress", "IPv6", None),
        ("ingress", "IPv4", default["id"]), ("ingress", "IPv6", default["id"])]
    assert neutron.ensure_default_security_group(world, "p1") is default
    group = neutron.create_security_group(world, "p1", "web", "http")
    assert len(group["_rules"]) == 2
    rule = neutron.create_security_group_rule(world, "p1", group["id"], "ingress", protocol="tcp",
                                              port_range_min=22, port_range_max=22, remote_ip_prefix="0.0.0.0/0")
    with pytest.raises(ApiError) as err:
        neutron.create_security_group_rule(world, "p1", group["id"], "ingress", protocol="tcp",
                                           port_range_min=22, port_range_max=22, remote_ip_prefix="0.0.0.0/0")
    assert (err.value.status, err.value.message) == (409, f"Security group rule already exists. Rule id is {rule['id']}.")
    for kwargs, status, text in [
        ({"protocol": "tcp", "port_range_min": 100, "port_range_max": 10}, 400, "port_range_min must be <="),
        ({"protocol": "tcp", "port_range_min": 1, "port_range_max": 70000}, 400, "Invalid value for port 70000"),
        ({"protocol": "bogus"}, 400, "protocol bogus not supported"),
        ({"protocol": "gre", "port_range_min": 1, "port_range_max": 2}, 400, "Port values are only allowed"),
        ({"protocol": "icmp", "port_range_min": 300}, 400, "ICMP type"),
        ({"remote_ip_prefix": "::/0"}, 400, "Conflicting value ethertype IPv4"),
        ({"remote_ip_prefix": "10.0.0.0/8", "remote_group_id": default["id"]}, 400, "Only remote_ip_prefix"),
        ({"remote_group_id": "nope"}, 404, "Security group nope does not exist"),
    ]:
        with pytest.raises(ApiError) as err:
            neutron.create_security_group_rule(world, "p1", group["id"], "ingress", **kwargs)
        assert err.value.status == status and text in err.value.message, kwargs
    assert neutron.find_security_group(world, "p1", "web") is group
    assert neutron.find_security_group(world, "p2", group["id"]) is None


def test_model_bulk_ports_are_fast():
    w = World(Knobs(delay_scale=0.0))
    net = neutron.create_network(w, "p1", "bulk")
    neutron.create_subnet(w, "p1", net["id"], "bulk-subnet", "10.128.0.0/14")
    start = time.perf_counter()
    for i in range(20_000):
        neutron.create_port(w, "p1", net["id"], device_id=f"srv-{i}", device_owner="compute:nova")
    elapsed = time.perf_counter() - start
    assert elapsed < 2.0, elapsed
    assert len({p["fixed_ips"][0]["ip_address"] for p in w.ports.values()}) == 20_000
    assert neutron.server_addresses(w, "srv-19999")["bulk"][0]["addr"] == "10.128.78.33"

"""Neutron v2.0 of the demo cloud: networks, subnets, routers, ports, floating IPs, security groups.

This module holds the model: the functions the seed and the other services call (the contract)
and the API bodies. The HTTP handlers live in `neutron_api`.
"""

from __future__ import annotations

import ipaddress
import uuid
from typing import Iterator

from aiohttp import web

from .common import ApiError, iso_z
from .world import World

# Floating IPs come from a loopback range: on Linux all of 127.0.0.0/8 is local, so an
# instance's floating IP is an address a client on this machine can really connect to.
PUBLIC_CIDR = "127.64.0.0/16"
PUBLIC_GATEWAY = "127.64.0.1"

MTU = 1442  # Jetstream2's tenant networks (VXLAN over a 1500-byte underlay, minus its overhead)

# Security group rule protocols Neutron knows by name (neutron_lib.constants.IP_PROTOCOL_MAP),
# in the order its error message lists them.
PROTOCOLS = {
    "ah": 51, "dccp": 33, "egp": 8, "esp": 50, "gre": 47, "hopopt": 0, "icmp": 1, "igmp": 2, "ip": 0,
    "ipip": 4, "ipv6-encap": 41, "ipv6-frag": 44, "ipv6-icmp": 58, "icmpv6": 58, "ipv6-nonxt": 59,
    "ipv6-opts": 60, "ipv6-route": 43, "ospf": 89, "pgm": 113, "rsvp": 46, "sctp": 132, "tcp": 6,
    "udp": 17, "udplite": 136, "vrrp": 112,
}
PORT_PROTOCOLS = {"tcp", "udp", "dccp", "sctp", "udplite", "6", "17", "33", "132", "136"}
ICMP_PROTOCOLS = {"icmp", "ipv6-icmp", "icmpv6", "1", "58"}


# --- small helpers ------------------------------------------------------------------------------

def _uuid(world: World) -> str:
    """A UUID from the world's RNG, so a seeded world is the same every run."""
    return str(uuid.UUID(int=world.rng.getrandbits(128), version=4))


def _now(world: World) -> str:
    return iso_z(world.now())


def _std_attrs(world: World, revision: int = 0) -> dict:
    """The standard attributes every Neutron resource carries."""
    now = _now(world)
    return {"tags": [], "created_at": now, "updated_at": now, "revision_number": revision}


def touch(world: World, item: dict) -> None:
    """Record an update the way Neutron does: new updated_at, next revision."""
    item["updated_at"] = _now(world)
    item["revision_number"] += 1


def public_view(item: dict) -> dict:
    """The API dict without the private ("_") bookkeeping fields."""
    return {k: v for k, v in item.items() if not k.startswith("_")}


def visible(item: dict, project_id: str) -> bool:
    """A project sees its own resources plus shared and external networks (and their subnets)."""
    return item.get("project_id") == project_id or bool(item.get("shared")) or bool(item.get("router:external"))


def _ip(value: int, version: int) -> str:
    if version == 4:  # by hand: ipaddress is the slow part of giving 20,000 ports an address
        return f"{value >> 24}.{(value >> 16) & 255}.{(value >> 8) & 255}.{value & 255}"
    return str(ipaddress.IPv6Address(value))


# --- networks and subnets -----------------------------------------------------------------------

def create_network(world: World, project_id: str, name: str, *, external: bool = False,
                   shared: bool = False, description: str = "", admin_state_up: bool = True,
                   mtu: int = MTU, port_security_enabled: bool = True) -> dict:
    """Add a network (ACTIVE, mtu 1442, `router:external` as given) and return its API dict."""
    net = {
        "id": _uuid(world), "name": name, "tenant_id": project_id, "project_id": project_id,
        "admin_state_up": admin_state_up, "mtu": mtu, "status": "ACTIVE", "subnets": [], "shared": shared,
        "availability_zone_hints": [], "availability_zones": [], "ipv4_address_scope": None,
        "ipv6_address_scope": None, "router:external": external, "qinq": False, "vlan_transparent": False,
        "description": description, "port_security_enabled": port_security_enabled, "is_default": False,
        **_std_attrs(world, 1),
    }
    world.networks[net["id"]] = net
    return net


def parse_cidr(cidr: str, ip_version: int | None = None) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    """A subnet CIDR as Neutron accepts it, else ApiError(400) with Neutron's wording.

    Host bits are accepted and dropped, as Neutron's create_subnet does ("turn the CIDR into a proper
    subnet", neutron/db/db_base_plugin_v2.py): 10.0.0.5/24 is stored as 10.0.0.0/24."""
    try:
        net = ipaddress.ip_network(cidr, strict=False)
    except ValueError:
        raise ApiError(400, f"Invalid input for operation: {cidr} is not in a CIDR format.",
                       "InvalidInput") from None
    if ip_version is not None and net.version != ip_version:
        raise ApiError(400, "Invalid input for operation: cidr and ip_version do not match.", "InvalidInput")
    return net


def create_subnet(world: World, project_id: str, network_id: str, name: str, cidr: str, *,
                  gateway_ip: str | None = None, ip_version: int = 4, enable_dhcp: bool = True,
                  allocation_pools: list[dict] | None = None, description: str = "",
                  dns_nameservers: list[str] | None = None, no_gateway: bool = False) -> dict:
    """Add a subnet (gateway defaults to the first host); raises ApiError(400) on overlap/bad CIDR.

    `no_gateway` is the API's explicit `"gateway_ip": null`.
    """
    net = world.networks.get(network_id)
    if net is None:
        raise ApiError(404, f"Network {network_id} could not be found.", "NetworkNotFound")
    block = parse_cidr(cidr, ip_version)
    for other_id in net["subnets"]:
        if ipaddress.ip_network(world.subnets[other_id]["cidr"]).overlaps(block):
            raise ApiError(400, f"Invalid input for operation: Requested subnet with cidr: {block} for network: "
                                f"{network_id} overlaps with another subnet.", "InvalidInput")
    first, last = int(block.network_address), int(block.broadcast_address)
    if block.version == 4 and block.prefixlen < 31:
        first, last = first + 1, last - 1  # no network or broadcast address
    elif block.version == 6:
        first += 1  # the subnet-router anycast address
    if no_gateway:
        gateway = None
    elif gateway_ip is None:
        gateway = first
    else:
        gateway = gateway_address(block, gateway_ip)
    if allocation_pools:
        pools = [[_address_in(block, p["start"], "allocation_pools"), _address_in(block, p["end"], "allocation_pools")]
                 for p in allocation_pools]
    elif gateway is None or not first <= gateway <= last:
        pools = [[first, last]]
    else:  # every host address but the gateway's, split around it as Neutron does
        pools = [r for r in ([first, gateway - 1], [gateway + 1, last]) if r[0] <= r[1]]
    subnet = {
        "id": _uuid(world), "name": name, "project_id": project_id, "network_id": network_id,
        "ip_version": block.version, "subnetpool_id": None, "enable_dhcp": enable_dhcp, "ipv6_ra_mode": None,
        "ipv6_address_mode": None, "gateway_ip": None if gateway is None else _ip(gateway, block.version),
        "cidr": str(block),
        "allocation_pools": [{"start": _ip(lo, block.version), "end": _ip(hi, block.version)} for lo, hi in pools],
        "host_routes": [], "dns_nameservers": list(dns_nameservers or []), "description": description,
        "router:external": net["router:external"], "service_types": [], **_std_attrs(world),
        "tenant_id": project_id,
        "_pools": pools, "_next": pools[0][0] if pools else 0,
    }
    world.subnets[subnet["id"]] = subnet
    world.subnet_used_ips[subnet["id"]] = set()
    net["subnets"].append(subnet["id"])
    touch(world, net)
    return subnet


def gateway_address(block, text: str) -> int:
    """A subnet's gateway as Neutron checks it (db_base_plugin_v2._validate_subnet, ipam/utils.py
    check_gateway_invalid_in_subnet): an address of the subnet's IP version, not its network address or IPv4
    broadcast; one outside the subnet is allowed (Neutron cannot know the gateway's own subnet)."""
    try:
        addr = ipaddress.ip_address(text)
    except ValueError:
        raise ApiError(400, f"Invalid input for gateway_ip. Reason: '{text}' is not a valid IP address.") from None
    if addr.version != block.version:
        raise ApiError(400, f"Invalid input for operation: gateway_ip '{text}' does not match the ip_version "
                            f"'{block.version}'.", "InvalidInput")
    if block.version == 4 and addr in (block.network_address, block.broadcast_address):
        raise ApiError(400, "Invalid input for operation: Gateway is not valid on subnet.", "InvalidInput")
    return int(addr)


def _address_in(block, text: str, field: str) -> int:
    try:
        addr = ipaddress.ip_address(text)
    except ValueError:
        raise ApiError(400, f"Invalid input for {field}. Reason: '{text}' is not a valid IP address.") from None
    if addr not in block:
        raise ApiError(400, f"Invalid input for operation: {field} {text} is not in subnet {block}.", "InvalidInput")
    return int(addr)


def _candidates(subnet: dict) -> Iterator[int]:
    """Pool addresses from the subnet's cursor on, then wrapping round to the start."""
    cursor = subnet["_next"]
    for lo, hi in subnet["_pools"]:
        yield from range(max(lo, cursor), hi + 1)
    for lo, hi in subnet["_pools"]:
        yield from range(lo, min(hi + 1, cursor))


def allocate_ip(world: World, subnet: dict, address: str | None = None, *, allow_gateway: bool = False) -> str:
    """Take `address` (or the next free pool address) on the subnet; ApiError(409) if taken or none left."""
    used = world.subnet_used_ips[subnet["id"]]
    if address is not None:
        value = _address_in(ipaddress.ip_network(subnet["cidr"]), address, "fixed_ips")
        if value in used or (value == _gateway_int(subnet) and not allow_gateway):
            raise ApiError(409, f"IP address {address} already allocated in subnet {subnet['id']}",
                           "IpAddressAlreadyAllocated")
        used.add(value)
        return str(ipaddress.ip_address(value))
    for value in _candidates(subnet):
        if value not in used:
            used.add(value)
            subnet["_next"] = value + 1
            return _ip(value, subnet["ip_version"])
    raise ApiError(409, f"No more IP addresses available on network {subnet['network_id']}.",
                   "IpAddressGenerationFailure")


def _gateway_int(subnet: dict) -> int | None:
    return int(ipaddress.ip_address(subnet["gateway_ip"])) if subnet["gateway_ip"] else None


def release_ip(world: World, subnet_id: str, address: str) -> None:
    used = world.subnet_used_ips.get(subnet_id)
    if used is not None:
        used.discard(int(ipaddress.ip_address(address)))


def network_ports(world: World, network_id: str) -> list[dict]:
    return [p for p in world.ports.values() if p["network_id"] == network_id]


def delete_subnet(world: World, subnet_id: str) -> None:
    """Remove a subnet; ApiError(409) while ports other than DHCP's hold addresses on it."""
    subnet = world.subnets[subnet_id]
    holders = [p for p in network_ports(world, subnet["network_id"])
               if any(ip["subnet_id"] == subnet_id for ip in p["fixed_ips"])]
    if holders:
        raise ApiError(409, f"Unable to complete operation on subnet {subnet_id}: One or more ports have an IP "
                            f"allocation from this subnet.", "SubnetInUse")
    del world.subnets[subnet_id]
    world.subnet_used_ips.pop(subnet_id, None)
    net = world.networks.get(subnet["network_id"])
    if net is not None:
        net["subnets"].remove(subnet_id)
        touch(world, net)


def delete_network(world: World, network_id: str) -> None:
    """Remove a network and its subnets; ApiError(409) while ports are on it."""
    ports = network_ports(world, network_id)
    if ports:
        ids = ",".join(p["id"] for p in ports)
        raise ApiError(409, f"Unable to complete operation on network {network_id}. There are one or more ports "
                            f"still in use on the network, id for these ports is: {ids}.", "NetworkInUse")
    for subnet_id in list(world.networks[network_id]["subnets"]):
        delete_subnet(world, subnet_id)
    del world.networks[network_id]


# --- ports ---------------------------------------------------------------------------------------

def _mac(world: World) -> str:
    while True:
        tail = world.rng.getrandbits(24)
        mac = "fa:16:3e:%02x:%02x:%02x" % (tail >> 16, (tail >> 8) & 0xFF, tail & 0xFF)
        if mac not in world.mac_addresses:
            world.mac_addresses.add(mac)
            return mac


def create_port(world: World, project_id: str, network_id: str, *, device_id: str = "", device_owner: str = "",
                security_group_ids: list[str] | None = None, fixed_ip: str | None = None, name: str = "",
                fixed_ips: list[dict] | None = None, description: str = "", admin_state_up: bool = True,
                port_security_enabled: bool | None = None) -> dict:
    """Add a port with a MAC (fa:16:3e:..) and a free fixed IP from the network's first IPv4 subnet.

    `fixed_ips` is the API's list of {subnet_id and/or ip_address}; `fixed_ip` asks for one
    address on the first IPv4 subnet.
    """
    net = world.networks.get(network_id)
    if net is None:
        raise ApiError(404, f"Network {network_id} could not be found.", "NetworkNotFound")
    router_port = device_owner.startswith("network:")
    allocated = _allocate_fixed_ips(world, net, fixed_ips if fixed_ips is not None
                                    else [{"ip_address": fixed_ip}] if fixed_ip else None,
                                    allow_gateway=device_owner == "network:router_interface")
    if port_security_enabled is None:
        port_security_enabled = not router_port and net["port_security_enabled"]
    if security_group_ids is None:
        security_group_ids = ([ensure_default_security_group(world, project_id)["id"]]
                              if port_security_enabled and project_id else [])
    port = {
        "id": _uuid(world), "name": name, "network_id": network_id, "project_id": project_id,
        "mac_address": _mac(world), "admin_state_up": admin_state_up,
        "status": "ACTIVE" if device_owner and not router_port else "DOWN",
        "device_id": device_id, "device_owner": device_owner, "fixed_ips": allocated,
        "allowed_address_pairs": [], "extra_dhcp_opts": [], "security_groups": list(security_group_ids),
        "description": description, "binding:vnic_type": "normal", "port_security_enabled": port_security_enabled,
        **_std_attrs(world, 1), "tenant_id": project_id,
    }
    world.ports[port["id"]] = port
    if device_id:
        world.ports_by_device.setdefault(device_id, []).append(port["id"])
    return port


def _allocate_fixed_ips(world: World, net: dict, wanted: list[dict] | None, *, allow_gateway: bool) -> list[dict]:
    """Addresses for a new port: as asked, else one from the network's first IPv4 subnet (or its first)."""
    subnets = [world.subnets[s] for s in net["subnets"]]
    if wanted is None:
        if not subnets:
            return []
        v4 = [s for s in subnets if s["ip_version"] == 4]
        wanted = [{"subnet_id": (v4 or subnets)[0]["id"]}]
    taken: list[dict] = []
    try:
        for want in wanted:
            subnet = world.subnets.get(want.get("subnet_id") or "")
            if want.get("subnet_id") and (subnet is None or subnet["network_id"] != net["id"]):
                raise ApiError(400, f"Invalid input for operation: Failed to create port on network {net['id']}, "
                                    f"because fixed_ips included invalid subnet {want['subnet_id']}.", "InvalidInput")
            if subnet is None:  # only an address: the subnet that holds it
                subnet = _subnet_holding(subnets, want.get("ip_address"), net["id"])
            address = allocate_ip(world, subnet, want.get("ip_address"), allow_gateway=allow_gateway)
            taken.append({"subnet_id": subnet["id"], "ip_address": address})
    except ApiError:
        for ip in taken:
            release_ip(world, ip["subnet_id"], ip["ip_address"])
        raise
    return taken


def _subnet_holding(subnets: list[dict], address: str | None, network_id: str) -> dict:
    try:
        addr = ipaddress.ip_address(address or "")
    except ValueError:
        raise ApiError(400, f"Invalid input for fixed_ips. Reason: '{address}' is not a valid IP address.") from None
    for subnet in subnets:
        if addr in ipaddress.ip_network(subnet["cidr"]):
            return subnet
    raise ApiError(400, f"Invalid input for operation: IP address {address} is not a valid IP for any of the "
                        f"subnets on the specified network {network_id}.", "InvalidInput")


def delete_port(world: World, port_id: str) -> None:
    """Remove a port; a floating IP on it is disassociated (kept, as Neutron keeps it)."""
    port = world.ports.pop(port_id, None)
    if port is None:
        return
    fip_id = world.floatingip_by_port.get(port_id)
    if fip_id is not None:
        associate_floating_ip(world, fip_id, None)
    for ip in port["fixed_ips"]:
        release_ip(world, ip["subnet_id"], ip["ip_address"])
    world.mac_addresses.discard(port["mac_address"])
    siblings = world.ports_by_device.get(port["device_id"])
    if siblings is not None:
        siblings.remove(port_id)
        if not siblings:
            del world.ports_by_device[port["device_id"]]


def set_port_device(world: World, port: dict, device_id: str, device_owner: str) -> None:
    """Bind a port to a device (or unbind with ""), keeping the device index right."""
    if port["device_id"]:
        siblings = world.ports_by_device.get(port["device_id"], [])
        if port["id"] in siblings:
            siblings.remove(port["id"])
        if not siblings:
            world.ports_by_device.pop(port["device_id"], None)
    port["device_id"], port["device_owner"] = device_id, device_owner
    if device_id:
        world.ports_by_device.setdefault(device_id, []).append(port["id"])
    port["status"] = "ACTIVE" if device_owner and not device_owner.startswith("network:") else "DOWN"


def device_ports(world: World, device_id: str) -> list[dict]:
    """Ports whose device_id is this (a server's ports, in creation order)."""
    return [world.ports[p] for p in world.ports_by_device.get(device_id, ())]


# --- routers -------------------------------------------------------------------------------------

def create_router(world: World, project_id: str, name: str, *, external_network_id: str | None = None,
                  description: str = "", admin_state_up: bool = True) -> dict:
    """Add a router; with an external network it gets `external_gateway_info` and a gateway port."""
    router = {
        "id": _uuid(world), "name": name, "project_id": project_id, "admin_state_up": admin_state_up,
        "status": "ACTIVE", "external_gateway_info": None, "description": description,
        "availability_zones": [], "availability_zone_hints": [], "routes": [], "flavor_id": None,
        **_std_attrs(world, 1), "tenant_id": project_id,
        "_interfaces": {},  # subnet_id -> port_id
    }
    world.routers[router["id"]] = router
    if external_network_id:
        set_router_gateway(world, router, external_network_id)
    return router


def set_router_gateway(world: World, router: dict, network_id: str | None, *, enable_snat: bool = True) -> None:
    """Point the router's gateway at an external network (a gateway port on it), or clear it (None)."""
    gateway = router["external_gateway_info"]
    if gateway is not None and gateway["network_id"] != network_id and any(
            f["router_id"] == router["id"] for f in world.floatingips.values()):
        raise ApiError(409, f"Gateway cannot be updated for router {router['id']}, since a gateway to external "
                            f"network {gateway['network_id']} is required by one or more floating IPs.",
                       "RouterExternalGatewayInUseByFloatingIp")
    if gateway is not None:
        for port in device_ports(world, router["id"]):
            if port["device_owner"] == "network:router_gateway":
                delete_port(world, port["id"])
        router["external_gateway_info"] = None
    if network_id is not None:
        net = world.networks.get(network_id)
        if net is None:
            raise ApiError(404, f"Network {network_id} could not be found.", "NetworkNotFound")
        if not net["router:external"]:
            raise ApiError(400, f"Bad router request: Network {network_id} is not an external network.",
                           "BadRequest")
        # the gateway port belongs to no project, as in Neutron
        port = create_port(world, "", network_id, device_id=router["id"], device_owner="network:router_gateway")
        router["external_gateway_info"] = {"network_id": network_id, "external_fixed_ips": port["fixed_ips"],
                                           "enable_snat": enable_snat}
    touch(world, router)


def add_router_interface(world: World, router_id: str, subnet_id: str | None = None, *,
                         port_id: str | None = None) -> dict:
    """Plug a subnet into a router (a network:router_interface port on the subnet's gateway IP).

    With `port_id` instead, that unbound port becomes the interface (on its first subnet).
    """
    router = world.routers[router_id]
    if port_id is not None:
        return _add_interface_port(world, router, port_id)
    subnet = world.subnets.get(subnet_id or "")
    if subnet is None:
        raise ApiError(404, f"Subnet {subnet_id} could not be found.", "SubnetNotFound")
    if subnet_id in router["_interfaces"]:
        raise ApiError(400, f"Bad router request: Router already has a port on subnet {subnet_id}.", "BadRequest")
    if not subnet["gateway_ip"]:
        raise ApiError(400, "Bad router request: Subnet for router interface must have a gateway IP.",
                       "BadRequest")
    port = create_port(world, router["project_id"], subnet["network_id"], device_id=router_id,
                       device_owner="network:router_interface",
                       fixed_ips=[{"subnet_id": subnet_id, "ip_address": subnet["gateway_ip"]}])
    router["_interfaces"][subnet_id] = port["id"]
    touch(world, router)
    return interface_info(router, port, subnet_id)


def _add_interface_port(world: World, router: dict, port_id: str) -> dict:
    port = world.ports.get(port_id)
    if port is None:
        raise ApiError(404, f"Port {port_id} could not be found.", "PortNotFound")
    if port["device_id"]:
        raise ApiError(409, f"Port {port_id} is already in use.", "PortInUse")
    if not port["fixed_ips"]:
        raise ApiError(400, "Bad router request: Router port must have at least one fixed IP.", "BadRequest")
    subnet_id = port["fixed_ips"][0]["subnet_id"]
    if subnet_id in router["_interfaces"]:
        raise ApiError(400, f"Bad router request: Router already has a port on subnet {subnet_id}.", "BadRequest")
    set_port_device(world, port, router["id"], "network:router_interface")
    port.update(security_groups=[], port_security_enabled=False)
    touch(world, port)
    router["_interfaces"][subnet_id] = port_id
    touch(world, router)
    return interface_info(router, port, subnet_id)


def interface_info(router: dict, port: dict, subnet_id: str) -> dict:
    """The body add/remove_router_interface answer with."""
    return {"id": router["id"], "project_id": router["project_id"], "port_id": port["id"],
            "network_id": port["network_id"], "subnet_id": subnet_id, "subnet_ids": [subnet_id]}


def remove_router_interface(world: World, router_id: str, subnet_id: str | None = None,
                            port_id: str | None = None) -> dict:
    """Unplug a subnet (or an interface port) from a router; ApiError(404) if it is not plugged in."""
    router = world.routers[router_id]
    if subnet_id is None and port_id is not None:
        subnet_id = next((s for s, p in router["_interfaces"].items() if p == port_id), None)
        if subnet_id is None:
            raise ApiError(404, f"Router {router_id} does not have an interface with id {port_id}",
                           "RouterInterfaceNotFound")
    if subnet_id not in router["_interfaces"]:
        raise ApiError(404, f"Router {router_id} has no interface on subnet {subnet_id}",
                       "RouterInterfaceNotFoundForSubnet")
    for fip in world.floatingips.values():
        if fip["router_id"] == router_id and _port_subnet(world, fip["port_id"]) == subnet_id:
            raise ApiError(409, f"Router interface for subnet {subnet_id} on router {router_id} cannot be deleted, "
                                f"as it is required by one or more floating IPs.", "RouterInterfaceInUseByFloatingIP")
    cidr = ipaddress.ip_network(world.subnets[subnet_id]["cidr"])
    if any(ipaddress.ip_address(route["nexthop"]) in cidr for route in router["routes"]):
        raise ApiError(409, f"Router interface for subnet {subnet_id} on router {router_id} cannot be deleted, "
                            f"as it is required by one or more routes.", "RouterInterfaceInUseByRoute")
    port = world.ports[router["_interfaces"].pop(subnet_id)]
    delete_port(world, port["id"])
    touch(world, router)
    return interface_info(router, port, subnet_id)


def delete_router(world: World, router_id: str) -> None:
    """Remove a router; ApiError(409) while subnets are plugged into it."""
    router = world.routers[router_id]
    if router["_interfaces"]:
        raise ApiError(409, f"Router {router_id} still has ports", "RouterInUse")
    set_router_gateway(world, router, None)
    del world.routers[router_id]


def _port_subnet(world: World, port_id: str | None) -> str | None:
    port = world.ports.get(port_id or "")
    return port["fixed_ips"][0]["subnet_id"] if port and port["fixed_ips"] else None


# --- security groups -----------------------------------------------------------------------------

def create_security_group(world: World, project_id: str, name: str, description: str = "",
                          *, stateful: bool = True) -> dict:
    """Add a group with Neutron's two default egress rules (IPv4, IPv6); `default` also gets the
    two ingress-from-itself rules real Neutron gives it."""
    group = {
        "id": _uuid(world), "name": name, "stateful": stateful, "tenant_id": project_id, "project_id": project_id,
        "description": description, "shared": False, **_std_attrs(world, 1),
        "_rules": [],  # rule ids, in creation order
    }
    world.security_groups[group["id"]] = group
    is_default = name == "default"
    for ethertype in ("IPv4", "IPv6"):
        _add_rule(world, group, "egress", ethertype, description=None)
        if is_default:
            _add_rule(world, group, "ingress", ethertype, remote_group_id=group["id"], description=None)
    return group


def ensure_default_security_group(world: World, project_id: str) -> dict:
    """The project's `default` group, created on first use as Neutron does."""
    for group in world.security_groups.values():
        if group["project_id"] == project_id and group["name"] == "default":
            return group
    return create_security_group(world, project_id, "default", "Default security group")


def find_security_group(world: World, project_id: str, name_or_id: str) -> dict | None:
    """The project's group with that ID, else with that name, else None."""
    group = world.security_groups.get(name_or_id)
    if group is not None and group["project_id"] == project_id:
        return group
    if name_or_id == "default":
        return ensure_default_security_group(world, project_id)
    for group in world.security_groups.values():
        if group["project_id"] == project_id and group["name"] == name_or_id:
            return group
    return None


def _add_rule(world: World, group: dict, direction: str, ethertype: str, *, protocol: str | None = None,
              port_range_min: int | None = None, port_range_max: int | None = None,
              remote_ip_prefix: str | None = None, normalized_cidr: str | None = None,
              remote_group_id: str | None = None, description: str | None = "") -> dict:
    world.neutron_attr_seq += 1
    rule = {
        "id": _uuid(world), "project_id": group["project_id"], "security_group_id": group["id"],
        "ethertype": ethertype, "direction": direction, "protocol": protocol, "port_range_min": port_range_min,
        "port_range_max": port_range_max, "remote_ip_prefix": remote_ip_prefix, "remote_address_group_id": None,
        "normalized_cidr": normalized_cidr, "remote_group_id": remote_group_id,
        "standard_attr_id": world.neutron_attr_seq, "belongs_to_default_sg": group["name"] == "default",
        "description": description, **_std_attrs(world), "tenant_id": group["project_id"],
    }
    world.security_group_rules[rule["id"]] = rule
    group["_rules"].append(rule["id"])
    return rule


def create_security_group_rule(world: World, project_id: str, security_group_id: str, direction: str, *,
                               ethertype: str = "IPv4", protocol: str | int | None = None,
                               port_range_min: int | None = None, port_range_max: int | None = None,
                               remote_ip_prefix: str | None = None, remote_group_id: str | None = None,
                               description: str = "") -> dict:
    """Validate like Neutron (protocols, ranges, CIDRs, duplicates -> ApiError) and add the rule."""
    group = world.security_groups.get(security_group_id)
    if group is None or group["project_id"] != project_id:
        raise ApiError(404, f"Security group {security_group_id} does not exist", "SecurityGroupNotFound")
    if direction not in ("ingress", "egress"):
        raise ApiError(400, f"Invalid input for direction. Reason: {direction} is not in valid_values.")
    if ethertype not in ("IPv4", "IPv6"):
        raise ApiError(400, f"Invalid input for ethertype. Reason: {ethertype} is not in valid_values.")
    proto = _rule_protocol(protocol)
    _check_ports(proto, port_range_min, port_range_max)
    if remote_ip_prefix is not None and remote_group_id is not None:
        raise ApiError(400, "Only remote_ip_prefix or remote_group_id may be provided.",
                       "SecurityGroupRemoteGroupAndRemoteIpPrefix")
    normalized = None
    if remote_ip_prefix is not None:
        try:
            block = ipaddress.ip_network(remote_ip_prefix, strict=False)
        except ValueError:
            raise ApiError(400, f"Invalid input for remote_ip_prefix. Reason: '{remote_ip_prefix}' is not a valid "
                                f"IP subnet.") from None
        if f"IPv{block.version}" != ethertype:
            raise ApiError(400, f"Conflicting value ethertype {ethertype} for CIDR {remote_ip_prefix}",
                           "SecurityGroupRuleParameterConflict")
        normalized = str(block)
    if remote_group_id is not None and remote_group_id not in world.security_groups:
        raise ApiError(404, f"Security group {remote_group_id} does not exist", "SecurityGroupNotFound")
    if port_range_min is not None and port_range_max is None and proto in PORT_PROTOCOLS:
        port_range_max = port_range_min  # Neutron fills a one-port range
    for rule_id in group["_rules"]:
        rule = world.security_group_rules[rule_id]
        if (rule["direction"], rule["ethertype"], rule["protocol"], rule["port_range_min"], rule["port_range_max"],
                rule["normalized_cidr"], rule["remote_group_id"]) == (
                direction, ethertype, proto, port_range_min, port_range_max, normalized, remote_group_id):
            raise ApiError(409, f"Security group rule already exists. Rule id is {rule_id}.",
                           "SecurityGroupRuleExists")
    rule = _add_rule(world, group, direction, ethertype, protocol=proto, port_range_min=port_range_min,
                     port_range_max=port_range_max, remote_ip_prefix=remote_ip_prefix, normalized_cidr=normalized,
                     remote_group_id=remote_group_id, description=description)
    touch(world, group)
    return rule


def _rule_protocol(protocol: str | int | None) -> str | None:
    """The protocol as Neutron stores it (lower-case name or number as a string), else ApiError(400)."""
    if protocol is None or (isinstance(protocol, str) and protocol.lower() == "any"):
        return None
    text = str(protocol).lower()
    if text in PROTOCOLS:
        return text
    if text.isdigit() and 0 <= int(text) <= 255:
        return str(int(text))
    names = ", ".join(f"'{n}'" for n in PROTOCOLS)
    raise ApiError(400, f"Security group rule protocol {protocol} not supported. Only protocol values (None, 'any', "
                        f"{names}) and integer representations [0 to 255] are supported.",
                   "SecurityGroupRuleInvalidProtocol")


def _check_ports(proto: str | None, low: int | None, high: int | None) -> None:
    """Neutron's port range rules: only for port-based protocols (type/code for ICMP)."""
    if low is None and high is None:
        return
    if proto in PORT_PROTOCOLS:
        for value in (low, high):
            if value is not None and not 1 <= value <= 65535:
                raise ApiError(400, f"Invalid value for port {value}", "SecurityGroupInvalidPortValue")
        if low is None or (high is not None and low > high):
            raise ApiError(400, "For TCP/UDP protocols, port_range_min must be <= port_range_max",
                           "SecurityGroupInvalidPortRange")
    elif proto in ICMP_PROTOCOLS:
        for value, field, end in ((low, "type", "min"), (high, "code", "max")):
            if value is not None and not 0 <= value <= 255:
                raise ApiError(400, f"Invalid value for ICMP {field} (port-range-{end}) {value}. It must be 0 to 255.",
                               "SecurityGroupInvalidIcmpValue")
        if low is None and high is not None:
            raise ApiError(400, f"ICMP code (port-range-max) {high} is provided but ICMP type (port-range-min) "
                                f"is missing.", "SecurityGroupMissingIcmpType")
    else:
        raise ApiError(400, "Invalid input for operation: Port values are only allowed for TCP, UDP, UDPLITE, "
                            "SCTP, DCCP and ICMP protocols.", "InvalidInput")


def delete_security_group_rule(world: World, rule_id: str) -> None:
    rule = world.security_group_rules.pop(rule_id)
    group = world.security_groups.get(rule["security_group_id"])
    if group is not None:
        group["_rules"].remove(rule_id)
        touch(world, group)


def delete_security_group(world: World, group_id: str) -> None:
    """Remove a group; ApiError(409) for `default` or while a port uses it."""
    group = world.security_groups[group_id]
    if group["name"] == "default" or any(group_id in p["security_groups"] for p in world.ports.values()):
        raise ApiError(409, f"Security Group {group_id} in use.", "SecurityGroupInUse")
    for rule_id in list(group["_rules"]):
        world.security_group_rules.pop(rule_id, None)
    for rule in list(world.security_group_rules.values()):
        if rule["remote_group_id"] == group_id:  # rules of other groups that named this one go with it
            delete_security_group_rule(world, rule["id"])
    del world.security_groups[group_id]


# --- floating IPs --------------------------------------------------------------------------------

def create_floating_ip(world: World, project_id: str, floating_network_id: str, *,
                       floating_ip_address: str | None = None, port_id: str | None = None,
                       description: str = "", fixed_ip_address: str | None = None) -> dict:
    """Allocate a floating IP from the external network (a 127.64.x.y address); optionally associate."""
    net = world.networks.get(floating_network_id)
    if net is None:
        raise ApiError(404, f"Network {floating_network_id} could not be found.", "NetworkNotFound")
    if not net["router:external"]:
        raise ApiError(400, f"Bad floatingip request: Network {floating_network_id} is not a valid external "
                            f"network.", "BadRequest")
    v4 = [world.subnets[s] for s in net["subnets"] if world.subnets[s]["ip_version"] == 4]
    if not v4:
        raise ApiError(400, f"Bad floatingip request: Network {floating_network_id} does not contain any IPv4 "
                            f"subnet.", "BadRequest")
    if floating_ip_address is None:
        address = allocate_ip(world, v4[0])
        subnet_id = v4[0]["id"]
    else:
        subnet = _subnet_holding(v4, floating_ip_address, floating_network_id)
        address, subnet_id = allocate_ip(world, subnet, floating_ip_address), subnet["id"]
    fip = {
        "id": _uuid(world), "tenant_id": project_id, "project_id": project_id, "floating_ip_address": address,
        "floating_network_id": floating_network_id, "router_id": None, "port_id": None, "fixed_ip_address": None,
        "status": "DOWN", "description": description, "port_details": None, **_std_attrs(world),
        "_subnet_id": subnet_id,
    }
    world.floatingips[fip["id"]] = fip
    if port_id is not None:
        try:
            associate_floating_ip(world, fip["id"], port_id, fixed_ip_address)
        except ApiError:
            delete_floating_ip(world, fip["id"])
            raise
    return fip


def associate_floating_ip(world: World, fip_id: str, port_id: str | None,
                          fixed_ip_address: str | None = None) -> dict:
    """Point a floating IP at a port (None disassociates); the L3 agent reports its status; calls world.changed."""
    fip = world.floatingips[fip_id]
    _nova_sees_it_later(world, fip["port_id"], port_id)
    if port_id is None:
        if fip["port_id"] is not None:
            world.floatingip_by_port.pop(fip["port_id"], None)
            fip.update(port_id=None, fixed_ip_address=None, router_id=None, port_details=None)
            touch(world, fip)
            _l3_agent_reports(world, fip_id)
            world.changed("floatingip", fip_id)
        return fip
    port = world.ports.get(port_id)
    if port is None:
        raise ApiError(404, f"Port {port_id} could not be found.", "PortNotFound")
    v4 = [ip for ip in port["fixed_ips"] if ":" not in ip["ip_address"]]
    if fixed_ip_address is not None:
        v4 = [ip for ip in v4 if ip["ip_address"] == fixed_ip_address]
        if not v4:
            raise ApiError(400, f"Bad floatingip request: Port {port_id} does not have fixed ip "
                                f"{fixed_ip_address}.", "BadRequest")
    if not v4:
        raise ApiError(400, f"Bad floatingip request: Port {port_id} does not have any IPv4 address.", "BadRequest")
    other = world.floatingip_by_port.get(port_id)
    if other is not None and other != fip_id:
        raise ApiError(409, f"Cannot associate floating IP {fip['floating_ip_address']} ({fip_id}) with port "
                            f"{port_id} using fixed IP {v4[0]['ip_address']}, as that fixed IP already has a "
                            f"floating IP on external network {fip['floating_network_id']}.",
                       "FloatingIPPortAlreadyAssociated")
    router_id = _router_for(world, v4[0]["subnet_id"], fip["floating_network_id"])
    if router_id is None:
        raise ApiError(404, f"External network {fip['floating_network_id']} is not reachable from subnet "
                            f"{v4[0]['subnet_id']}.  Therefore, cannot associate Port {port_id} with a Floating IP.",
                       "ExternalGatewayForFloatingIPNotFound")
    if fip["port_id"] is not None:
        world.floatingip_by_port.pop(fip["port_id"], None)
    world.floatingip_by_port[port_id] = fip_id
    fip.update(port_id=port_id, fixed_ip_address=v4[0]["ip_address"], router_id=router_id,
               port_details=port_details(port))
    touch(world, fip)
    _l3_agent_reports(world, fip_id)
    world.changed("floatingip", fip_id)
    return fip


def _l3_agent_reports(world: World, fip_id: str) -> None:
    """The L3 agent's report a moment after an association changes. Neutron's update leaves `status` alone (a
    floating IP is created DOWN, l3_router_plugin.create_floatingip); the agent then reports ACTIVE for one it has
    wired to a port and DOWN for one that left its router (api/rpc/handlers/l3_rpc.py,
    update_floatingip_statuses), an update of its own: a new revision."""
    def report() -> None:
        fip = world.floatingips.get(fip_id)
        status = "ACTIVE" if fip is not None and fip["port_id"] else "DOWN"
        if fip is not None and fip["status"] != status:
            fip["status"] = status
            touch(world, fip)
            world.changed("floatingip", fip_id)

    world.later(1.0, report)


def port_details(port: dict) -> dict:
    return {k: port[k] for k in ("name", "network_id", "mac_address", "admin_state_up", "status", "device_id",
                                 "device_owner")}


def _router_for(world: World, subnet_id: str, external_network_id: str) -> str | None:
    """The router joining the subnet to the external network (Neutron requires one to associate)."""
    for router in world.routers.values():
        gateway = router["external_gateway_info"]
        if subnet_id in router["_interfaces"] and gateway and gateway["network_id"] == external_network_id:
            return router["id"]
    return None


def delete_floating_ip(world: World, fip_id: str) -> None:
    fip = world.floatingips[fip_id]
    associate_floating_ip(world, fip_id, None)
    release_ip(world, fip["_subnet_id"], fip["floating_ip_address"])
    del world.floatingips[fip_id]
    world.changed("floatingip", fip_id)


# Real Nova shows a floating IP change in a server's `addresses` only when its network-info cache
# refreshes on Neutron's network-changed event: 1.4-2.3 s on the real stack, and the server's
# `updated` stays as it was. The demo keeps the old map that long (scaled by the delay knob).
NOVA_CACHE_LAG = 1.5


def _nova_sees_it_later(world: World, *port_ids: str | None) -> None:
    for port_id in port_ids:
        port = world.ports.get(port_id or "")
        server = world.servers.get(port["device_id"]) if port else None
        if server is None or server.get("_addresses") is not None:
            continue
        server["_addresses"] = server_addresses(world, server["id"])

        def refresh(server=server) -> None:
            server["_addresses"] = None

        world.later(NOVA_CACHE_LAG, refresh)


def server_addresses(world: World, device_id: str, *, cached: bool = False) -> dict:
    """Nova's `addresses` map for a server: {network name: [{version, addr, OS-EXT-IPS:type
    (fixed|floating), OS-EXT-IPS-MAC:mac_addr}]}, fixed before its floating IP. `cached`: as Nova's
    info cache has it, which lags Neutron's floating IP changes."""
    server = world.servers.get(device_id) if cached else None
    if server is not None and server.get("_addresses") is not None:
        return server["_addresses"]
    addresses: dict[str, list[dict]] = {}
    for port in device_ports(world, device_id):
        entries = addresses.setdefault(world.networks[port["network_id"]]["name"], [])
        fip = world.floatingips.get(world.floatingip_by_port.get(port["id"], ""))
        for ip in port["fixed_ips"]:
            entries.append({"version": 6 if ":" in ip["ip_address"] else 4, "addr": ip["ip_address"],
                            "OS-EXT-IPS:type": "fixed", "OS-EXT-IPS-MAC:mac_addr": port["mac_address"]})
            if fip is not None and fip["fixed_ip_address"] == ip["ip_address"]:
                entries.append({"version": 4, "addr": fip["floating_ip_address"], "OS-EXT-IPS:type": "floating",
                                "OS-EXT-IPS-MAC:mac_addr": port["mac_address"]})
    return addresses


def floating_ip_of(world: World, device_id: str) -> str | None:
    """The first floating IP address associated with one of the server's ports, else None."""
    for port_id in world.ports_by_device.get(device_id, ()):
        fip_id = world.floatingip_by_port.get(port_id)
        if fip_id is not None:
            return world.floatingips[fip_id]["floating_ip_address"]
    return None


# --- the HTTP API --------------------------------------------------------------------------------

def make_app(world: World) -> web.Application:
    from .neutron_api import build_app  # the handlers build on this module's model

    return build_app(world)

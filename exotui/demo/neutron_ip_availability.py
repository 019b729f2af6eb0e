"""Neutron's network IP availability on the demo (`/v2.0/network-ip-availabilities`), with the
network-ip-availability-details extension: one of Neutron's default service plugins, so the real tier serves it.

Held against Neutron 29.0.0: neutron/db/network_ip_availability_db.py (per subnet: total_ips the size of its
allocation pools, or of its CIDR without pools; used_ips its allocated addresses; summed per network),
network_ip_availability_details_db.py (total_ips_in_subnet the CIDR less network and broadcast on IPv4,
total_ips_in_allocation_pool, used_ips_in_subnet, used_ips_in_allocation_pool), the plugin (show filters the list
by network_id: none is NetworkNotFound) and the default policy (admin only: a member lists none).
"""

from __future__ import annotations

import ipaddress

from .common import ApiError
from .neutron_kinds import is_admin, to_int
from .world import World

FILTERS = ("network_id", "network_name", "tenant_id", "project_id")


def _subnet(world: World, subnet: dict) -> dict:
    block = ipaddress.ip_network(subnet["cidr"])
    pools = [(int(ipaddress.ip_address(p["start"])), int(ipaddress.ip_address(p["end"])))
             for p in subnet["allocation_pools"]]
    used = [int(ipaddress.ip_address(ip["ip_address"])) for port in world.ports.values()
            if port["network_id"] == subnet["network_id"] for ip in port["fixed_ips"]
            if ip["subnet_id"] == subnet["id"]]
    in_pools = sum(hi - lo + 1 for lo, hi in pools)
    details = {"total_ips_in_subnet": block.num_addresses - (2 if block.version == 4 else 0),
               "total_ips_in_allocation_pool": in_pools, "used_ips_in_subnet": len(used),
               "used_ips_in_allocation_pool": sum(1 for a in used if any(lo <= a <= hi for lo, hi in pools))}
    return {"subnet_id": subnet["id"], "ip_version": subnet["ip_version"], "cidr": subnet["cidr"],
            "subnet_name": subnet["name"], "used_ips": len(used),
            "total_ips": in_pools if pools else block.num_addresses, "ip_availability_details": details}


def availabilities(world: World, ctx: dict, query) -> list[dict]:
    """The networks' availability, filtered as Neutron filters (network_id, network_name, project, ip_version)."""
    if not is_admin(ctx):
        return []
    version = to_int("ip_version", query.get("ip_version"))
    out = []
    for net in world.networks.values():
        row = {"network_id": net["id"], "network_name": net["name"], "tenant_id": net["project_id"],
               "project_id": net["project_id"]}
        if any(key in query and str(row[key]) not in query.getall(key) for key in FILTERS):
            continue
        subnets = [_subnet(world, world.subnets[s]) for s in net["subnets"]
                   if version is None or world.subnets[s]["ip_version"] == version]
        if version is not None and not subnets:
            continue
        details = {key: sum(s["ip_availability_details"][key] for s in subnets)
                   for key in ("total_ips_in_subnet", "total_ips_in_allocation_pool", "used_ips_in_subnet",
                               "used_ips_in_allocation_pool")}
        out.append({**row, "subnet_ip_availability": subnets, "used_ips": sum(s["used_ips"] for s in subnets),
                    "total_ips": sum(s["total_ips"] for s in subnets), "ip_availability_details": details})
    return out


def availability(world: World, ctx: dict, network_id: str) -> dict:
    found = [a for a in availabilities(world, ctx, {}) if a["network_id"] == network_id]
    if not found:
        raise ApiError(404, f"Network {network_id} could not be found.", "NetworkNotFound")
    return found[0]

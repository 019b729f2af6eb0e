"""Neutron's address groups on the demo (`/v2.0/address-groups`, PUT .../add_addresses and .../remove_addresses).

Held against Neutron 29.0.0: neutron_lib/api/definitions/address_group.py (name, description, addresses; no
tags), neutron/db/address_group_db.py (addresses normalized to network/prefixlen; adding one already there is
AddressesAlreadyExist 400, removing one not there AddressesNotFound 404; a group a security group rule names
is AddressGroupInUse 409) and the default policy (the owner or an admin changes a group).
"""

from __future__ import annotations

import ipaddress
from typing import Any

from . import neutron as model
from .common import ApiError
from .neutron_kinds import Kind, owner_of
from .world import World

KINDS = [
    Kind("address-groups", "address_group", "address_groups", "Address group {} could not be found.",
         "AddressGroupNotFound", frozenset({"project_id", "name", "description", "addresses"}),
         frozenset({"name", "description"}), tags=False),
]
FIELDS = {"address_groups": ("id", "name", "description", "project_id", "addresses", "created_at", "updated_at",
                             "revision_number")}


def _normalized(addresses: Any) -> list[str]:
    """validate_subnet_list, then each as network/prefixlen (10.0.0.1 -> 10.0.0.1/32), duplicates merged."""
    if not isinstance(addresses, list):
        raise ApiError(400, f"Invalid input for addresses. Reason: '{addresses}' is not a list.", "HTTPBadRequest")
    out = []
    for text in addresses:
        try:
            out.append(str(ipaddress.ip_network(text, strict=False)))
        except (TypeError, ValueError):
            raise ApiError(400, f"Invalid input for addresses. Reason: '{text}' is not a valid IP subnet.",
                           "HTTPBadRequest") from None
    return list(dict.fromkeys(out))


def create(world: World, attrs: dict, ctx: dict) -> dict:
    pid = owner_of(attrs, ctx, KINDS[0])
    addresses = _normalized(attrs.get("addresses") or [])
    group = {"id": model._uuid(world), "name": attrs.get("name", ""), "description": attrs.get("description", ""),
             "project_id": pid, "addresses": sorted(addresses), "shared": False, **model._std_attrs(world)}
    del group["tags"]
    world.address_groups[group["id"]] = group
    return group


def update(world: World, group: dict, attrs: dict, ctx: dict) -> None:
    for key in ("name", "description"):
        if key in attrs:
            group[key] = attrs[key]
    model.touch(world, group)


def change(world: World, group: dict, action: str, body: Any) -> dict:
    """add_addresses / remove_addresses with {"addresses": [...]}: all or nothing, as Neutron checks first."""
    if not isinstance(body, dict) or "addresses" not in body:
        raise ApiError(400, "Invalid input for operation: Invalid addresses body.", "InvalidInput")
    wanted = _normalized(body["addresses"])
    held = [a for a in wanted if a in group["addresses"]]
    if action == "add_addresses":
        if held:
            raise ApiError(400, f"Addresses {held} already exist in the address group {group['id']}.",
                           "AddressesAlreadyExist")
        group["addresses"] = sorted(group["addresses"] + wanted)
    else:
        missing = [a for a in wanted if a not in group["addresses"]]
        if missing:
            raise ApiError(404, f"Addresses {missing} not found in the address group {group['id']}.",
                           "AddressesNotFound")
        group["addresses"] = [a for a in group["addresses"] if a not in wanted]
    model.touch(world, group)
    return group


def delete(world: World, group: dict) -> None:
    if any(r.get("remote_address_group_id") == group["id"] for r in world.security_group_rules.values()):
        raise ApiError(409, f"Address group {group['id']} is in use on one or more security group rules.",
                       "AddressGroupInUse")
    del world.address_groups[group["id"]]

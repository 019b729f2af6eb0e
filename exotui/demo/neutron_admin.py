"""Neutron's writes that only an admin may make under its default policy, beyond the attribute lists of
neutron_api's kinds: a port's MAC address (`update_port:mac_address`).

Held against neutron-lib (api/validators `validate_mac_address`, converters `convert_to_sanitized_mac_address`,
exceptions PortBound and MacAddressInUse) and ML2's update_port: a bound port keeps its MAC; a MAC is unique
on its network.
"""

from __future__ import annotations

import re

from .common import ApiError
from .world import World

MAC = re.compile(r"^[0-9a-f]{2}([:-])[0-9a-f]{2}(\1[0-9a-f]{2}){4}$", re.IGNORECASE)
INVALID_MACS = ("00:00:00:00:00:00", "ff:ff:ff:ff:ff:ff")  # neutron_lib.constants.INVALID_MAC_ADDRESSES


def change_mac(world: World, port: dict, value) -> None:
    """Give the port the MAC `value` (the caller checked the policy): validated and sanitized as neutron-lib
    does, refused on a bound port (a compute port: ML2 binds it, vif type ovs) and where the network has it."""
    if not isinstance(value, str) or not MAC.match(value) or value.replace("-", ":").lower() in INVALID_MACS:
        raise ApiError(400, f"Invalid input for mac_address. Reason: '{value}' is not a valid MAC address.",
                       "HTTPBadRequest")
    mac = value.replace("-", ":").lower()
    old = port["mac_address"]
    if mac == old:
        return
    if port["device_owner"].startswith("compute:"):
        raise ApiError(409, f"Unable to complete operation on port {port['id']}, port is already bound, port type: "
                            f"ovs, old_mac {old}, new_mac {mac}.", "PortBound")
    if any(p["network_id"] == port["network_id"] and p["mac_address"] == mac for p in world.ports.values()):
        raise ApiError(409, f"Unable to complete operation for network {port['network_id']}. The mac address {mac} "
                            "is in use.", "MacAddressInUse")
    world.mac_addresses.discard(old)
    world.mac_addresses.add(mac)
    port["mac_address"] = mac

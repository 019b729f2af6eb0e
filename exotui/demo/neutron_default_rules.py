"""Neutron's default security group rules on the demo (`/v2.0/default-security-group-rules`, the
security-groups-default-rules extension, on in every ML2 Neutron): the templates of the rules a new security group
starts with.

Held against the real tier's Neutron (2026-12-07, tests/demo/test_neutron_default_rules.py has its answers):
neutron/extensions/security_groups_default_rules.py (direction, used_in_default_sg and used_in_non_default_sg are
required, nothing is updatable, no project shown), the four legacy rules every Neutron starts with, a duplicate is
DefaultSecurityGroupRuleExists 409 naming the rule, and the default policy (anyone reads; an admin creates and
deletes, a member's create is refused after the body is parsed). The demo lists and serves the templates; its new
security groups still get the legacy rules, not the templates (a changed template does not change them).
"""

from __future__ import annotations

import uuid

from . import neutron as model
from .common import ApiError
from .neutron_kinds import Kind, is_admin, policy_error, to_bool, to_int
from .world import World

KINDS = [
    Kind("default-security-group-rules", "default_security_group_rule", "default_security_group_rules",
         "Default Security Group rule {} does not exist", "DefaultSecurityGroupRuleNotFound",
         frozenset({"tenant_id", "project_id", "description", "remote_group_id", "remote_address_group_id",
                    "direction", "protocol", "port_range_min", "port_range_max", "ethertype", "remote_ip_prefix",
                    "used_in_default_sg", "used_in_non_default_sg"}),
         frozenset(), required=("direction", "used_in_default_sg", "used_in_non_default_sg"), tags=False),
]
SHOWN = ("id", "ethertype", "direction", "protocol", "port_range_min", "port_range_max", "remote_ip_prefix",
         "remote_address_group_id", "remote_group_id", "description", "used_in_default_sg", "used_in_non_default_sg")
FIELDS = {"default_security_group_rules": SHOWN}
NAMESPACE = uuid.UUID("6f1c7d52-0b8e-4c55-9d0e-4a1e52a7d1b3")
_KEY = ("ethertype", "direction", "protocol", "port_range_min", "port_range_max", "remote_ip_prefix",
        "remote_address_group_id", "remote_group_id", "used_in_default_sg", "used_in_non_default_sg")


def _rule(ident: str, ethertype: str, direction: str, *, remote_group_id: str | None = None,
          description: str = "", default_sg: bool = True, non_default_sg: bool = True, protocol: str | None = None,
          port_range_min: int | None = None, port_range_max: int | None = None, remote_ip_prefix: str | None = None,
          remote_address_group_id: str | None = None) -> dict:
    return {"id": ident, "ethertype": ethertype, "direction": direction, "protocol": protocol,
            "port_range_min": port_range_min, "port_range_max": port_range_max, "remote_ip_prefix": remote_ip_prefix,
            "remote_address_group_id": remote_address_group_id, "remote_group_id": remote_group_id,
            "description": description, "used_in_default_sg": default_sg, "used_in_non_default_sg": non_default_sg}


def ensure(world: World) -> None:
    """The four legacy rules every Neutron starts with (IDs of their own: the seed's streams are not drawn on)."""
    if world.default_rules_seeded:
        return
    world.default_rules_seeded = True  # deleting all four leaves none, as in Neutron
    for ethertype in ("IPv4", "IPv6"):
        for direction in ("ingress", "egress"):
            ident = str(uuid.uuid5(NAMESPACE, f"legacy:{ethertype}:{direction}"))
            world.default_security_group_rules[ident] = _rule(
                ident, ethertype, direction, remote_group_id="PARENT" if direction == "ingress" else None,
                description=f"Legacy default SG rule for {direction} traffic",
                non_default_sg=direction == "egress")


def create(world: World, attrs: dict, ctx: dict) -> dict:
    ensure(world)
    if not is_admin(ctx):
        raise policy_error("create_default_security_group_rule", [])
    if attrs["direction"] not in ("ingress", "egress"):
        raise ApiError(400, f"Invalid input for direction. Reason: '{attrs['direction']}' is not in "
                            "['ingress', 'egress'].", "HTTPBadRequest")
    ports = {key: to_int(key, attrs.get(key), f"Invalid value for port {attrs.get(key)}")
             for key in ("port_range_min", "port_range_max")}
    for value in ports.values():
        if value is not None and not 0 <= value <= 65535:
            raise ApiError(400, f"Invalid value for port {value}", "InvalidInput")
    protocol = attrs.get("protocol")
    rule = _rule(model._uuid(world), attrs.get("ethertype") or "IPv4",
                 attrs["direction"], remote_group_id=attrs.get("remote_group_id"),
                 description=attrs.get("description") or "",
                 default_sg=to_bool("used_in_default_sg", attrs["used_in_default_sg"]),
                 non_default_sg=to_bool("used_in_non_default_sg", attrs["used_in_non_default_sg"]),
                 protocol=protocol.lower() if isinstance(protocol, str) else protocol,
                 remote_ip_prefix=attrs.get("remote_ip_prefix"),
                 remote_address_group_id=attrs.get("remote_address_group_id"), **ports)
    same = next((r for r in world.default_security_group_rules.values()
                 if all(r[k] == rule[k] for k in _KEY)), None)
    if same is not None:
        raise ApiError(409, f"Default Security group rule already exists. Rule id is {same['id']}.",
                       "DefaultSecurityGroupRuleExists")
    world.default_security_group_rules[rule["id"]] = rule
    return rule


def delete(world: World, rule: dict) -> None:
    """(neutron_api's _owned refused a member already: the rules have no project)"""
    del world.default_security_group_rules[rule["id"]]

"""The HTTP side of the demo cloud's Neutron v2.0: handlers over the model in `neutron`.

Every resource kind goes through the same list/show/create/update/delete handlers; what differs
per kind (allowed attributes, visibility, how to create, update and delete) is in `KINDS`.
"""

from __future__ import annotations

import ipaddress
from typing import Any, Callable
from urllib.parse import urlencode

from aiohttp import web

from . import neutron as model
from . import (
    neutron_address_groups,
    neutron_admin,
    neutron_default_rules,
    neutron_flavors,
    neutron_ip_availability,
    neutron_pools,
    neutron_rbac,
)
from .common import ApiError, json_response, no_content, parse_time, read_json
from .neutron_extensions import SERVED as EXTENSIONS
from .neutron_kinds import OWNER, Kind, is_admin, policy_error
from .neutron_kinds import owner_of as _owner_of
from .neutron_kinds import to_bool as _bool
from .neutron_kinds import to_int as _int
from .service import ctx_of, service_app, world_of
from .world import World

# Neutron's quota resources, in the order it lists them, with its default limits.
QUOTA_DEFAULTS = {"network": 100, "subnet": 100, "subnetpool": -1, "port": 500, "router_route": 30, "router": 10,
                  "floatingip": 50, "rbac_policy": 10, "security_group": 10, "security_group_rule": 100}


# query keys that are not attribute filters
CONTROL_KEYS = {"fields", "limit", "marker", "page_reverse", "sort_key", "sort_dir", "fixed_ips", "tags",
                "tags-any", "not-tags", "not-tags-any", "changed_since"}
STRING_FIELDS = {"name", "description"}
BOOL_FIELDS = {"admin_state_up", "shared", "router:external", "enable_dhcp", "port_security_enabled", "stateful"}


# --- per-kind behaviour --------------------------------------------------------------------------

_OWNER = OWNER
KINDS = {k.collection: k for k in [
    Kind("networks", "network", "networks", "Network {} could not be found.", "NetworkNotFound",
         _OWNER | {"name", "admin_state_up", "shared", "router:external", "description", "mtu",
                   "port_security_enabled", "availability_zone_hints", "is_default", "provider:network_type",
                   "provider:physical_network", "provider:segmentation_id"},
         frozenset({"name", "admin_state_up", "shared", "router:external", "description", "mtu",
                    "port_security_enabled", "is_default"}),
         admin_only=("provider:network_type", "provider:physical_network", "provider:segmentation_id",
                     "is_default")),
    Kind("subnets", "subnet", "subnets", "Subnet {} could not be found.", "SubnetNotFound",
         _OWNER | {"network_id", "cidr", "ip_version", "name", "gateway_ip", "enable_dhcp", "allocation_pools",
                   "dns_nameservers", "host_routes", "description", "ipv6_ra_mode", "ipv6_address_mode",
                   "subnetpool_id", "service_types", "segment_id", "prefixlen", "use_default_subnetpool"},
         frozenset({"name", "description", "enable_dhcp", "dns_nameservers", "host_routes", "gateway_ip",
                    "service_types"}),
         required=("network_id", "ip_version")),
    Kind("ports", "port", "ports", "Port {} could not be found.", "PortNotFound",
         _OWNER | {"network_id", "name", "admin_state_up", "mac_address", "fixed_ips", "device_id", "device_owner",
                   "security_groups", "description", "port_security_enabled", "allowed_address_pairs",
                   "extra_dhcp_opts", "binding:vnic_type", "binding:host_id", "binding:profile", "tags"},
         frozenset({"name", "admin_state_up", "device_id", "device_owner", "security_groups", "description",
                    "port_security_enabled", "allowed_address_pairs", "extra_dhcp_opts", "binding:vnic_type",
                    "binding:host_id", "binding:profile", "mac_address"}),
         required=("network_id",), admin_only=("binding:host_id", "binding:profile", "mac_address")),
    Kind("routers", "router", "routers", "Router {} could not be found.", "RouterNotFound",
         _OWNER | {"name", "admin_state_up", "external_gateway_info", "description", "availability_zone_hints",
                   "flavor_id", "distributed", "ha"},
         frozenset({"name", "admin_state_up", "external_gateway_info", "description", "routes"}),
         admin_only=("distributed", "ha")),
    Kind("floatingips", "floatingip", "floatingips", "Floating IP {} could not be found", "FloatingIPNotFound",
         _OWNER | {"floating_network_id", "port_id", "fixed_ip_address", "floating_ip_address", "description",
                   "subnet_id"},
         frozenset({"port_id", "fixed_ip_address", "description"}),
         required=("floating_network_id",), admin_only=("floating_ip_address",)),
    Kind("security-groups", "security_group", "security_groups", "Security group {} does not exist",
         "SecurityGroupNotFound", _OWNER | {"name", "description", "stateful"},
         frozenset({"name", "description", "stateful"})),
    Kind("security-group-rules", "security_group_rule", "security_group_rules",
         "Security group rule {} does not exist", "SecurityGroupRuleNotFound",
         _OWNER | {"security_group_id", "direction", "ethertype", "protocol", "port_range_min", "port_range_max",
                   "remote_ip_prefix", "remote_group_id", "remote_address_group_id", "description"},
         frozenset({"description"}), required=("security_group_id", "direction"), tags=False),
    *neutron_pools.KINDS, *neutron_rbac.KINDS, *neutron_address_groups.KINDS, *neutron_flavors.KINDS,
    *neutron_default_rules.KINDS,
]}


def _visible(world: World, kind: Kind, item: dict, ctx: dict) -> bool:
    if is_admin(ctx):
        return True
    pid = ctx["project_id"]
    if kind.table == "networks":
        return _network_visible(world, item, pid)
    if kind.table == "subnets":
        net = world.networks.get(item["network_id"])
        return item["project_id"] == pid or (net is not None and _network_visible(world, net, pid))
    if kind.table in ("subnetpools", "address_scopes", "address_groups", "security_groups"):
        return neutron_pools.visible(world, kind.table, item, ctx)  # own, shared, or shared by an RBAC policy
    if kind.table == "rbac_policies":
        return neutron_rbac.visible(world, item, ctx)
    if kind.table in ("network_flavors", "service_profiles"):
        return neutron_flavors.visible(kind.table, ctx)
    if kind.table == "default_security_group_rules":
        return True  # anyone reads the templates
    if kind.table == "security_group_rules":
        group = world.security_groups.get(item["security_group_id"])
        return item["project_id"] == pid or (group is not None and group["project_id"] == pid)
    return item["project_id"] == pid


def _network_visible(world: World, net: dict, project_id: str) -> bool:
    """Its own, shared or external, or shared with the project by an RBAC policy."""
    return model.visible(net, project_id) or neutron_rbac.granted(world, "networks", net["id"], project_id)


def view(world: World, kind: Kind, item: dict, *, created: bool = False, updated: bool = False) -> dict:
    """The API body of one item as Neutron shows it."""
    if kind.table == "subnetpools":
        return neutron_pools.pool_view(item, updated=updated)
    if kind.table == "service_profiles":
        return neutron_flavors.profile_view(world, item)
    body = model.public_view(item)
    if kind.table == "address_groups":
        del body["shared"]  # kept for RBAC, not shown (is_visible False)
    if kind.table == "networks" and item["subnets"] and world.subnetpools:
        body["ipv4_address_scope"] = neutron_pools.scope_of(world, item, 4)
        body["ipv6_address_scope"] = neutron_pools.scope_of(world, item, 6)
    if kind.table == "security_groups":
        body["security_group_rules"] = [_embedded_rule(world.security_group_rules[r], created)
                                        for r in item["_rules"]]
        # the group's own standard attributes come after its rules
        for key in ("tags", "created_at", "updated_at", "revision_number"):
            body[key] = body.pop(key)
    elif kind.table == "security_group_rules":
        del body["standard_attr_id"], body["tags"]
    elif kind.table == "networks" and not item.get("router:external"):
        body.pop("is_default", None)  # the auto-allocated-topology extension shows it on external networks only
    elif kind.table == "floatingips" and item["port_id"]:
        port = world.ports.get(item["port_id"])
        if port is not None:
            body["port_details"] = model.port_details(port)
    return body


def _embedded_rule(rule: dict, created: bool) -> dict:
    body = model.public_view(rule)
    if not created:  # a group's show and list leave this unset for the rules they embed
        body["belongs_to_default_sg"] = None
    return body


def _get(world: World, kind: Kind, ident: str, ctx: dict) -> dict:
    if kind.table == "rbac_policies":
        neutron_rbac.adopt(world)
    if kind.table == "default_security_group_rules":
        neutron_default_rules.ensure(world)
    item = getattr(world, kind.table).get(ident)
    if item is None or not _visible(world, kind, item, ctx):
        raise ApiError(404, kind.not_found.format(ident), kind.not_found_type)
    return item


def _owned(world: World, kind: Kind, ident: str, ctx: dict, action: str) -> dict:
    """An item the caller may change: its own (or any, for an admin); visible but foreign -> 403."""
    item = _get(world, kind, ident, ctx)
    if not is_admin(ctx) and item.get("project_id") != ctx["project_id"]:  # a flavor has no project: admin only
        raise ApiError(403, f"rule:{action}_{kind.singular} is disallowed by policy", "PolicyNotAuthorized")
    return item


# --- request bodies ------------------------------------------------------------------------------

async def _body(request: web.Request, kind: Kind, action: str) -> dict:
    """The resource dict of a create/update body, checked against what Neutron accepts."""
    raw = await read_json(request, malformed="Body contains invalid data")
    if raw is None:
        raise ApiError(400, "Resource body required")
    if not isinstance(raw, dict) or not isinstance(raw.get(kind.singular), dict):
        raise ApiError(400, f"Unable to find '{kind.singular}' in request body")
    attrs = raw[kind.singular]
    allowed = kind.post if action == "create" else kind.put
    known = allowed | set(_FIELDS[kind.table])
    unknown = [k for k in attrs if k not in known]
    if unknown:
        raise ApiError(400, f"Unrecognized attribute(s) '{', '.join(unknown)}'")
    for key in attrs:
        if key not in allowed:
            raise ApiError(400, f"Attribute '{key}' not allowed in POST" if action == "create"
                           else f"Cannot update read-only attribute {key}")
    if action == "create":
        for key in kind.required:
            if key not in attrs:
                raise ApiError(400, f"Failed to parse request. Required attribute '{key}' not specified")
    for key, value in list(attrs.items()):
        if key in STRING_FIELDS and not isinstance(value, str):
            raise ApiError(400, f"Invalid input for {key}. Reason: '{value}' is not a valid string.")
        if key in STRING_FIELDS and len(value) > 255:
            raise ApiError(400, f"Invalid input for {key}. Reason: '{value}' exceeds maximum length of 255.")
        if key in BOOL_FIELDS:
            attrs[key] = _bool(key, value)
    return attrs


# The attributes each kind shows (a create or update naming one of these that it may not set
# is "not allowed", anything else is "unrecognized").
_FIELDS = {
    "networks": ("id", "name", "tenant_id", "project_id", "admin_state_up", "mtu", "status", "subnets", "shared",
                 "availability_zone_hints", "availability_zones", "ipv4_address_scope", "ipv6_address_scope",
                 "router:external", "qinq", "vlan_transparent", "description", "port_security_enabled",
                 "is_default", "tags", "created_at", "updated_at", "revision_number"),
    "subnets": ("id", "name", "project_id", "network_id", "ip_version", "subnetpool_id", "enable_dhcp",
                "ipv6_ra_mode", "ipv6_address_mode", "gateway_ip", "cidr", "allocation_pools", "host_routes",
                "dns_nameservers", "description", "router:external", "service_types", "tags", "created_at",
                "updated_at", "revision_number", "tenant_id"),
    "ports": ("id", "name", "network_id", "project_id", "mac_address", "admin_state_up", "status", "device_id",
              "device_owner", "fixed_ips", "allowed_address_pairs", "extra_dhcp_opts", "security_groups",
              "description", "binding:vnic_type", "port_security_enabled", "tags", "created_at", "updated_at",
              "revision_number", "tenant_id"),
    "routers": ("id", "name", "project_id", "admin_state_up", "status", "external_gateway_info", "description",
                "availability_zones", "availability_zone_hints", "routes", "flavor_id", "tags", "created_at",
                "updated_at", "revision_number", "tenant_id"),
    "floatingips": ("id", "tenant_id", "project_id", "floating_ip_address", "floating_network_id", "router_id",
                    "port_id", "fixed_ip_address", "status", "description", "port_details", "tags", "created_at",
                    "updated_at", "revision_number"),
    "security_groups": ("id", "name", "stateful", "tenant_id", "project_id", "description", "shared",
                        "security_group_rules", "tags", "created_at", "updated_at", "revision_number"),
    "security_group_rules": ("id", "project_id", "security_group_id", "ethertype", "direction", "protocol",
                             "port_range_min", "port_range_max", "remote_ip_prefix", "remote_address_group_id",
                             "normalized_cidr", "remote_group_id", "belongs_to_default_sg", "description",
                             "created_at", "updated_at", "revision_number", "tenant_id"),
    **neutron_pools.FIELDS, **neutron_rbac.FIELDS, **neutron_address_groups.FIELDS, **neutron_flavors.FIELDS,
    **neutron_default_rules.FIELDS,
}


def _check_policy(attrs: dict, ctx: dict, kind: Kind, action: str, extra: list[str] = ()) -> None:
    if is_admin(ctx):
        return
    denied = [k for k in attrs if k in kind.admin_only] + list(extra)
    if denied:
        raise policy_error(f"{action}_{kind.singular}", denied)


def _check_quota(world: World, pid: str, resource: str, extra: int = 1) -> None:
    limit = world.quota(pid, "network", resource, QUOTA_DEFAULTS[resource])
    if limit >= 0 and _usage(world, pid, resource) + extra > limit:
        raise ApiError(409, f"Quota exceeded for resources: ['{resource}'].", "OverQuota")


def _usage(world: World, pid: str, resource: str) -> int:
    if resource == "router_route":
        return sum(len(r["routes"]) for r in world.routers.values() if r["project_id"] == pid)
    table = {"network": world.networks, "subnet": world.subnets, "port": world.ports, "router": world.routers,
             "floatingip": world.floatingips, "security_group": world.security_groups,
             "security_group_rule": world.security_group_rules, "subnetpool": world.subnetpools,
             "rbac_policy": world.rbac_policies}.get(resource)
    return 0 if table is None else sum(1 for item in table.values() if item["project_id"] == pid)


# --- creating ------------------------------------------------------------------------------------

def _create_network(world: World, attrs: dict, ctx: dict) -> dict:
    kind = KINDS["networks"]
    _check_policy(attrs, ctx, kind, "create", [k for k in ("shared", "router:external") if attrs.get(k)])
    pid = _owner_of(attrs, ctx, kind)
    _check_quota(world, pid, "network")
    net = model.create_network(world, pid, attrs.get("name", ""), external=attrs.get("router:external", False),
                               shared=attrs.get("shared", False), description=attrs.get("description", ""),
                               admin_state_up=attrs.get("admin_state_up", True),
                               mtu=_int("mtu", attrs.get("mtu", model.MTU)),
                               port_security_enabled=attrs.get("port_security_enabled", True))
    net["availability_zone_hints"] = list(attrs.get("availability_zone_hints") or [])
    return net


def _create_subnet(world: World, attrs: dict, ctx: dict) -> dict:
    kind = KINDS["subnets"]
    pid = _owner_of(attrs, ctx, kind)
    net = _get(world, KINDS["networks"], attrs["network_id"], ctx)
    if net["project_id"] != ctx["project_id"] and not is_admin(ctx):
        raise ApiError(403, "rule:create_subnet is disallowed by policy", "PolicyNotAuthorized")
    pool = neutron_pools.pool_for_subnet(world, attrs, ctx)
    if pool is not None:
        attrs["cidr"] = neutron_pools.allocate(world, pool, attrs, pid, net)
        attrs.setdefault("ip_version", pool["ip_version"])
    if not attrs.get("cidr"):
        raise ApiError(400, "Bad subnets request: a subnetpool must be specified in the absence of a cidr.",
                       "BadRequest")
    version = _int("ip_version", attrs["ip_version"])
    if version not in (4, 6):
        raise ApiError(400, f"Invalid input for ip_version. Reason: {version} is not in [4, 6].")
    _check_quota(world, pid, "subnet")
    subnet = model.create_subnet(
        world, pid, net["id"], attrs.get("name", ""), str(attrs["cidr"]), ip_version=version,
        gateway_ip=attrs.get("gateway_ip"), no_gateway="gateway_ip" in attrs and attrs["gateway_ip"] is None,
        enable_dhcp=attrs.get("enable_dhcp", True), allocation_pools=attrs.get("allocation_pools") or None,
        description=attrs.get("description", ""), dns_nameservers=attrs.get("dns_nameservers"))
    subnet["host_routes"] = list(attrs.get("host_routes") or [])
    subnet["subnetpool_id"] = None if pool is None else pool["id"]
    return subnet


def _security_group_ids(world: World, ids: Any, ctx: dict) -> list[str]:
    if not isinstance(ids, list):
        raise ApiError(400, f"Invalid input for security_groups. Reason: '{ids}' is not a list.")
    for gid in ids:
        _get(world, KINDS["security-groups"], gid, ctx)
    return list(ids)


def _create_port(world: World, attrs: dict, ctx: dict) -> dict:
    kind = KINDS["ports"]
    _check_policy(attrs, ctx, kind, "create")
    pid = _owner_of(attrs, ctx, kind)
    net = _get(world, KINDS["networks"], attrs["network_id"], ctx)
    groups = None
    if "security_groups" in attrs:
        groups = _security_group_ids(world, attrs["security_groups"], ctx)
    fixed_ips = attrs.get("fixed_ips")
    if fixed_ips is not None and (not isinstance(fixed_ips, list) or not all(isinstance(f, dict) for f in fixed_ips)):
        raise ApiError(400, f"Invalid input for fixed_ips. Reason: Invalid data format for fixed IP: '{fixed_ips}'.")
    tags = attrs.get("tags", [])
    problem = _tags_problem(tags)
    if problem:  # tagging.py: ports take tags at create (TAG_ATTRIBUTE_MAP_PORTS), checked as an attribute
        raise ApiError(400, f"Invalid input for tags. Reason: {problem}.")
    _check_quota(world, pid, "port")
    port = model.create_port(world, pid, net["id"], device_id=attrs.get("device_id", ""),
                             device_owner=attrs.get("device_owner", ""), security_group_ids=groups,
                             fixed_ips=fixed_ips, name=attrs.get("name", ""),
                             description=attrs.get("description", ""),
                             admin_state_up=attrs.get("admin_state_up", True),
                             port_security_enabled=attrs.get("port_security_enabled"))
    for key in ("allowed_address_pairs", "extra_dhcp_opts", "binding:vnic_type"):
        if key in attrs:
            port[key] = attrs[key]
    port["tags"] = sorted(tags)
    return port


def _gateway(world: World, router: dict, info: Any, ctx: dict, action: str) -> None:
    """Apply an external_gateway_info from a create or update body."""
    if info is None or info == {}:
        model.set_router_gateway(world, router, None)
        return
    if not isinstance(info, dict) or "network_id" not in info:
        raise ApiError(400, f"Invalid input for external_gateway_info. Reason: Validation of dictionary's keys "
                            f"failed. Expected keys: {{'network_id'}} Provided keys: {set(info or ())}.")
    denied = [f"external_gateway_info:{k}" for k in ("enable_snat", "external_fixed_ips") if k in info]
    if denied and not is_admin(ctx):
        raise policy_error(f"{action}_router", denied)
    net = _get(world, KINDS["networks"], info["network_id"], ctx)
    gateway = router["external_gateway_info"]
    if gateway and gateway["network_id"] == net["id"]:
        return  # already there: Neutron keeps the gateway port and its address
    model.set_router_gateway(world, router, net["id"], enable_snat=_bool("enable_snat", info.get("enable_snat", True)))


def _create_router(world: World, attrs: dict, ctx: dict) -> dict:
    kind = KINDS["routers"]
    _check_policy(attrs, ctx, kind, "create")
    pid = _owner_of(attrs, ctx, kind)
    _check_quota(world, pid, "router")
    router = model.create_router(world, pid, attrs.get("name", ""), description=attrs.get("description", ""),
                                 admin_state_up=attrs.get("admin_state_up", True))
    router["availability_zone_hints"] = list(attrs.get("availability_zone_hints") or [])
    if attrs.get("external_gateway_info"):
        try:
            _gateway(world, router, attrs["external_gateway_info"], ctx, "create")
        except ApiError:
            model.delete_router(world, router["id"])
            raise
    return router


def _create_floatingip(world: World, attrs: dict, ctx: dict) -> dict:
    kind = KINDS["floatingips"]
    _check_policy(attrs, ctx, kind, "create")
    pid = _owner_of(attrs, ctx, kind)
    net = _get(world, KINDS["networks"], attrs["floating_network_id"], ctx)
    port_id = attrs.get("port_id")
    if port_id is not None:
        _get(world, KINDS["ports"], port_id, ctx)
    _check_quota(world, pid, "floatingip")
    return model.create_floating_ip(world, pid, net["id"], floating_ip_address=attrs.get("floating_ip_address"),
                                    port_id=port_id, fixed_ip_address=attrs.get("fixed_ip_address"),
                                    description=attrs.get("description", ""))


def _create_security_group(world: World, attrs: dict, ctx: dict) -> dict:
    pid = _owner_of(attrs, ctx, KINDS["security-groups"])
    model.ensure_default_security_group(world, pid)
    if attrs.get("name") == "default":
        raise ApiError(409, "Default security group already exists.", "SecurityGroupDefaultAlreadyExists")
    _check_quota(world, pid, "security_group")
    _check_quota(world, pid, "security_group_rule", 2)
    return model.create_security_group(world, pid, attrs.get("name", ""), attrs.get("description", ""),
                                       stateful=attrs.get("stateful", True))


def _create_security_group_rule(world: World, attrs: dict, ctx: dict) -> dict:
    pid = _owner_of(attrs, ctx, KINDS["security-group-rules"])
    group = _get(world, KINDS["security-groups"], attrs["security_group_id"], ctx)
    address_group = attrs.get("remote_address_group_id")
    if address_group is not None:
        _get(world, KINDS["address-groups"], address_group, ctx)
    ports = {}
    for key in ("port_range_min", "port_range_max"):
        value = attrs.get(key)
        ports[key] = _int(key, value, f"Invalid value for port {value}")
    remote_group = attrs.get("remote_group_id")
    if remote_group is not None:
        _get(world, KINDS["security-groups"], remote_group, ctx)
    _check_quota(world, pid, "security_group_rule")
    rule = model.create_security_group_rule(
        world, group["project_id"], group["id"], attrs["direction"], ethertype=attrs.get("ethertype") or "IPv4",
        protocol=attrs.get("protocol"), remote_ip_prefix=attrs.get("remote_ip_prefix"),
        remote_group_id=remote_group, description=attrs.get("description") or "", **ports)
    rule["remote_address_group_id"] = address_group
    return rule


# --- updating ------------------------------------------------------------------------------------

_SIMPLE = ("name", "description", "admin_state_up", "mtu", "port_security_enabled", "enable_dhcp",
           "dns_nameservers", "host_routes", "service_types", "allowed_address_pairs", "extra_dhcp_opts",
           "binding:vnic_type", "stateful")


def _update(world: World, kind: Kind, item: dict, attrs: dict, ctx: dict) -> None:
    table = kind.table
    if table in UPDATERS:
        UPDATERS[table](world, item, attrs, ctx)
        return
    denied = [k for k in attrs if k in kind.admin_only]
    if table == "networks":
        denied += [k for k in ("shared", "router:external") if k in attrs and attrs[k] != item[k]]
    elif table == "ports":
        denied += [k for k in ("binding:host_id", "binding:profile") if k in attrs]
    if denied and not is_admin(ctx):
        raise policy_error(f"update_{kind.singular}", denied)
    if table == "security_groups" and item["name"] == "default" and attrs.get("name", "default") != "default":
        raise ApiError(409, "Updating default security group not allowed.", "SecurityGroupCannotUpdateDefault")
    if table == "subnets" and "gateway_ip" in attrs:
        _update_gateway_ip(world, item, attrs.pop("gateway_ip"))
    if table == "ports":
        if "mac_address" in attrs:
            neutron_admin.change_mac(world, item, attrs.pop("mac_address"))
        if "security_groups" in attrs:
            item["security_groups"] = _security_group_ids(world, attrs.pop("security_groups"), ctx)
        if "device_id" in attrs or "device_owner" in attrs:
            model.set_port_device(world, item, attrs.pop("device_id", item["device_id"]),
                                  attrs.pop("device_owner", item["device_owner"]))
    if table == "routers":
        if "external_gateway_info" in attrs:
            _gateway(world, item, attrs.pop("external_gateway_info"), ctx, "update")
        if "routes" in attrs:
            item["routes"] = _routes(attrs.pop("routes"), world, item)
    if table == "floatingips":
        if "port_id" in attrs:
            port_id = attrs.pop("port_id")
            if port_id is not None:
                _get(world, KINDS["ports"], port_id, ctx)
            model.associate_floating_ip(world, item["id"], port_id, attrs.pop("fixed_ip_address", None))
        attrs.pop("fixed_ip_address", None)
    if table == "networks":  # a network's shared and router:external are wildcard RBAC policies
        for action, key in ((neutron_rbac.SHARED, "shared"), (neutron_rbac.EXTERNAL, "router:external")):
            if key in attrs and attrs[key] != item[key]:
                neutron_rbac.set_flag(world, table, item, action, attrs.pop(key))
    for key in _SIMPLE + ("shared", "router:external", "is_default"):
        if key in attrs:
            item[key] = _int(key, attrs[key]) if key == "mtu" else attrs[key]
    if table == "networks":
        for subnet_id in item["subnets"]:  # subnets mirror their network's router:external
            world.subnets[subnet_id]["router:external"] = item["router:external"]
    model.touch(world, item)


def _update_gateway_ip(world: World, subnet: dict, gateway: str | None) -> None:
    """db_base_plugin_v2: the new gateway checked as at create, refused while a router's interface holds the
    current one (GatewayIpInUse), and kept out of the allocation pools (GatewayConflictWithAllocationPools)."""
    block = ipaddress.ip_network(subnet["cidr"])
    address = None if gateway is None else model.gateway_address(block, gateway)
    if address is not None:
        gateway = str(ipaddress.ip_address(address))
    current = subnet["gateway_ip"]
    if current is not None and gateway != current:
        for port in world.ports.values():
            if port["device_owner"].startswith("network:router_interface") and any(
                    ip["subnet_id"] == subnet["id"] and ip["ip_address"] == current for ip in port["fixed_ips"]):
                raise ApiError(409, f"Current gateway ip {current} already in use by port {port['id']}. Unable to "
                                    f"update.", "GatewayIpInUse")
    if address is not None and gateway != current:
        for pool in subnet["allocation_pools"]:
            if int(ipaddress.ip_address(pool["start"])) <= address <= int(ipaddress.ip_address(pool["end"])):
                raise ApiError(409, f"Gateway ip {gateway} conflicts with allocation pool {pool['start']}-"
                                    f"{pool['end']}.", "GatewayConflictWithAllocationPools")
    subnet["gateway_ip"] = gateway


def _routes(routes: Any, world: World | None = None, router: dict | None = None) -> list[dict]:
    """A router's extra routes checked as Neutron checks them; with the router, each nexthop must be on one of
    its subnets and not one of its own addresses (neutron/db/extraroute_db.py, _validate_routes_nexthop)."""
    if not isinstance(routes, list):
        raise ApiError(400, f"Invalid input for routes. Reason: '{routes}' is not a list.")
    for route in routes:
        try:
            ipaddress.ip_network(route["destination"])
            ipaddress.ip_address(route["nexthop"])
        except (KeyError, TypeError, ValueError):
            raise ApiError(400, f"Invalid input for routes. Reason: Invalid data format for hostroute: "
                                f"'{route}'.") from None
    routes = [{"destination": r["destination"], "nexthop": r["nexthop"]} for r in routes]
    if world is not None and router is not None:
        fixed = [ip for port in model.device_ports(world, router["id"]) for ip in port["fixed_ips"]]
        cidrs = [ipaddress.ip_network(world.subnets[ip["subnet_id"]]["cidr"]) for ip in fixed]
        for route in routes:
            nexthop = ipaddress.ip_address(route["nexthop"])
            if not any(nexthop in cidr for cidr in cidrs):
                raise ApiError(400, f"Invalid format for routes: {routes}, the nexthop is not connected with router",
                               "InvalidRoutes")
            if route["nexthop"] in {ip["ip_address"] for ip in fixed}:
                raise ApiError(400, f"Invalid format for routes: {routes}, the nexthop is used by router",
                               "InvalidRoutes")
    return routes


def _route_key(route: dict) -> tuple[str, str]:
    return route["destination"], route["nexthop"]


async def _extraroutes(request: web.Request, action: str) -> web.Response:
    """extraroute-atomic: PUT routers/{id}/add_extraroutes or remove_extraroutes with {"router": {"routes": []}}
    merges into or takes from the router's routes and answers the router (extraroute_db.add_extraroutes)."""
    world, ctx = world_of(request), ctx_of(request)
    router = _owned(world, KINDS["routers"], _ident(request), ctx, "update")
    body = await read_json(request, malformed="Body contains invalid data")
    if not isinstance(body, dict) or not isinstance(body.get("router"), dict):
        raise ApiError(400, "Unable to find 'router' in request body")
    change = _routes(body["router"].get("routes"))
    if action == "add_extraroutes":  # exact duplicates are merged into one
        routes = list({_route_key(r): r for r in router["routes"] + change}.values())
    else:  # one that is not there is no error
        gone = {_route_key(r) for r in change}
        routes = [r for r in router["routes"] if _route_key(r) not in gone]
    _update(world, KINDS["routers"], router, {"routes": routes}, ctx)
    return json_response({"router": view(world, KINDS["routers"], router)})


# --- deleting ------------------------------------------------------------------------------------

def _delete_port(world: World, port: dict) -> None:
    owner = port["device_owner"]
    if owner in ("network:router_interface", "network:router_gateway", "network:floatingip"):
        raise ApiError(409, f"Port {port['id']} cannot be deleted directly via the port API: has device owner "
                            f"{owner}.", "ServicePortInUse")
    model.delete_port(world, port["id"])


def _delete_network(world: World, net: dict) -> None:
    model.delete_network(world, net["id"])
    neutron_rbac.forget(world, net["id"])


def _forgetting(delete: Callable[[World, dict], None]) -> Callable[[World, dict], None]:
    """A deleter that also drops the RBAC policies of what it deleted."""
    def run(world: World, item: dict) -> None:
        delete(world, item)
        neutron_rbac.forget(world, item["id"])
    return run


UPDATERS: dict[str, Callable[[World, dict, dict, dict], None]] = {
    "subnetpools": neutron_pools.update_subnetpool,
    "address_scopes": neutron_pools.update_address_scope,
    "address_groups": neutron_address_groups.update,
    "rbac_policies": neutron_rbac.update,
    "network_flavors": neutron_flavors.update_flavor,
    "service_profiles": neutron_flavors.update_profile,
}
DELETERS: dict[str, Callable[[World, dict], None]] = {
    "networks": _delete_network,
    "subnetpools": _forgetting(neutron_pools.delete_subnetpool),
    "address_scopes": _forgetting(neutron_pools.delete_address_scope),
    "address_groups": _forgetting(neutron_address_groups.delete),
    "rbac_policies": neutron_rbac.delete,
    "network_flavors": neutron_flavors.delete_flavor,
    "service_profiles": neutron_flavors.delete_profile,
    "default_security_group_rules": neutron_default_rules.delete,
    "subnets": lambda w, item: model.delete_subnet(w, item["id"]),
    "ports": _delete_port,
    "routers": lambda w, item: model.delete_router(w, item["id"]),
    "floatingips": lambda w, item: model.delete_floating_ip(w, item["id"]),
    "security_groups": lambda w, item: model.delete_security_group(w, item["id"]),
    "security_group_rules": lambda w, item: model.delete_security_group_rule(w, item["id"]),
}
CREATORS: dict[str, Callable[[World, dict, dict], dict]] = {
    "networks": _create_network,
    "subnets": _create_subnet,
    "ports": _create_port,
    "routers": _create_router,
    "floatingips": _create_floatingip,
    "security_groups": _create_security_group,
    "security_group_rules": _create_security_group_rule,
    "subnetpools": neutron_pools.create_subnetpool,
    "address_scopes": neutron_pools.create_address_scope,
    "address_groups": neutron_address_groups.create,
    "rbac_policies": neutron_rbac.create,
    "network_flavors": neutron_flavors.create_flavor,
    "service_profiles": neutron_flavors.create_profile,
    "default_security_group_rules": neutron_default_rules.create,
}


# --- listing -------------------------------------------------------------------------------------

def _candidates(world: World, kind: Kind, request: web.Request) -> list[dict]:
    """The items a list may answer with; a device_id filter uses the device index, not a scan."""
    if kind.table == "rbac_policies":
        neutron_rbac.adopt(world)
    if kind.table == "default_security_group_rules":
        neutron_default_rules.ensure(world)
    if kind.table == "ports" and "device_id" in request.query:
        found = []
        for device in request.query.getall("device_id"):
            found += model.device_ports(world, device)
        return found
    return list(getattr(world, kind.table).values())


def _matches(body: dict, query) -> bool:
    for key in set(query.keys()) - CONTROL_KEYS:
        if key not in body:
            continue
        wanted = {v.lower() for v in query.getall(key)}
        value = body[key]
        values = value if isinstance(value, list) else [value]
        if not any(_text(v).lower() in wanted for v in values):
            return False
    for spec in query.getall("fixed_ips", ()):
        name, _, wanted = spec.partition("=")
        if not any(_fixed_ip_matches(ip, name, wanted) for ip in body.get("fixed_ips", ())):
            return False
    since = query.get("changed_since")  # the standard-attr-timestamp extension: updated_at >= it
    if since is not None and body.get("updated_at") and parse_time(body["updated_at"]) < _since(since):
        return False
    tags = set(body.get("tags", ()))
    for key, test in (("tags", lambda t: t <= tags), ("tags-any", lambda t: bool(t & tags)),
                      ("not-tags", lambda t: not t <= tags), ("not-tags-any", lambda t: not t & tags)):
        for spec in query.getall(key, ()):
            if not test(set(spec.split(","))):
                return False
    return True


def _since(text: str):
    try:
        return parse_time(text)
    except ValueError:
        raise ApiError(400, f"Invalid input for changed_since. Reason: '{text}' is not a valid timestamp.") from None


def _text(value: Any) -> str:
    if value is None:
        return ""
    return str(value)


def _fixed_ip_matches(ip: dict, name: str, wanted: str) -> bool:
    if name == "ip_address_substr":
        return wanted in ip["ip_address"]
    return ip.get(name) == wanted


def _fields(body: dict, request: web.Request) -> dict:
    fields = request.query.getall("fields", ())
    if not fields:
        return body
    keep = {f for spec in fields for f in spec.split(",")} | {"id"}
    return {k: v for k, v in body.items() if k in keep}


def _sort_and_page(bodies: list[dict], request: web.Request, kind: Kind) -> tuple[list[dict], list[dict]]:
    """Sorted (by id unless asked otherwise) and cut at limit/marker; the links for the next page."""
    query = request.query
    keys = query.getall("sort_key", ()) or ["id"]
    dirs = query.getall("sort_dir", ())
    for i, key in reversed(list(enumerate(keys))):
        descending = i < len(dirs) and dirs[i] == "desc"
        bodies.sort(key=lambda b: (b.get(key) is None, _text(b.get(key))), reverse=descending)
    marker = query.get("marker")
    if marker:
        ids = [b["id"] for b in bodies]
        if marker not in ids:
            raise ApiError(404, kind.not_found.format(marker), kind.not_found_type)
        bodies = bodies[ids.index(marker) + 1:]
    links = []
    limit = _int("limit", query.get("limit"))
    if limit is not None and limit > 0 and len(bodies) > limit:
        bodies = bodies[:limit]
        params = [(k, v) for k, v in query.items() if k != "marker"] + [("marker", bodies[-1]["id"])]
        links.append({"rel": "next", "href": f"{_base(request)}/{kind.collection}?{urlencode(params)}"})
    return bodies, links


def _base(request: web.Request) -> str:
    return world_of(request).base_url + "/network/v2.0"


# --- handlers ------------------------------------------------------------------------------------

def _kind(request: web.Request) -> Kind:
    name = request.match_info["collection"].removesuffix(".json")
    kind = KINDS.get(name)
    if kind is None:
        raise web.HTTPNotFound()
    return kind


def _ident(request: web.Request) -> str:
    return request.match_info["id"].removesuffix(".json")


async def list_items(request: web.Request) -> web.Response:
    if request.match_info["collection"].removesuffix(".json") == "extensions":
        return json_response({"extensions": [_extension(e) for e in EXTENSIONS]})
    if request.match_info["collection"].removesuffix(".json") == "quotas":
        return _list_quotas(request)
    if request.match_info["collection"].removesuffix(".json") == "availability_zones":
        return json_response({"availability_zones": []})  # zones come from agents; the demo's network has none
    if request.match_info["collection"].removesuffix(".json") == "floatingip_pools":
        return _floatingip_pools(request)
    if request.match_info["collection"].removesuffix(".json") == "network-ip-availabilities":
        found = neutron_ip_availability.availabilities(world_of(request), ctx_of(request), request.query)
        return json_response({"network_ip_availabilities": [_fields(a, request) for a in found]})
    kind, world, ctx = _kind(request), world_of(request), ctx_of(request)
    if kind.table == "security_groups":
        model.ensure_default_security_group(world, ctx["project_id"])
    bodies = [view(world, kind, item) for item in _candidates(world, kind, request)
              if _visible(world, kind, item, ctx)]
    bodies = [b for b in bodies if _matches(b, request.query)]
    bodies, links = _sort_and_page(bodies, request, kind)
    answer: dict[str, Any] = {kind.list_key: [_fields(b, request) for b in bodies]}
    if links:
        answer[kind.list_key + "_links"] = links
    return json_response(answer)


async def show_item(request: web.Request) -> web.Response:
    collection = request.match_info["collection"].removesuffix(".json")
    if collection == "extensions":
        return _show_extension(_ident(request))
    if collection == "quotas":
        return _quota_answer(request, _ident(request), details=False)
    if collection == "network-ip-availabilities":
        found = neutron_ip_availability.availability(world_of(request), ctx_of(request), _ident(request))
        return json_response({"network_ip_availability": _fields(found, request)})
    kind, world, ctx = _kind(request), world_of(request), ctx_of(request)
    if kind.table == "security_groups":
        model.ensure_default_security_group(world, ctx["project_id"])
    item = _get(world, kind, _ident(request), ctx)
    return json_response({kind.singular: _fields(view(world, kind, item), request)})


async def create_item(request: web.Request) -> web.Response:
    kind, world, ctx = _kind(request), world_of(request), ctx_of(request)
    attrs = await _body(request, kind, "create")
    item = CREATORS[kind.table](world, attrs, ctx)
    return json_response({kind.singular: view(world, kind, item, created=True)}, 201)


async def update_item(request: web.Request) -> web.Response:
    if request.match_info["collection"].removesuffix(".json") == "quotas":
        return await _update_quota(request)
    kind, world, ctx = _kind(request), world_of(request), ctx_of(request)
    item = _owned(world, kind, _ident(request), ctx, "update")
    _if_match(request, item)
    attrs = await _body(request, kind, "update")
    _update(world, kind, item, attrs, ctx)
    return json_response({kind.singular: view(world, kind, item, updated=True)})


async def delete_item(request: web.Request) -> web.Response:
    if request.match_info["collection"].removesuffix(".json") == "quotas":
        return _reset_quota(request)
    kind, world, ctx = _kind(request), world_of(request), ctx_of(request)
    item = _owned(world, kind, _ident(request), ctx, "delete")
    _if_match(request, item)
    DELETERS[kind.table](world, item)
    return no_content()


def _floatingip_pools(request: web.Request) -> web.Response:
    """floatingip-pools (db/l3_fip_pools_db.py): every IPv4 subnet of an external network, in the caller's
    project's name."""
    world, ctx = world_of(request), ctx_of(request)
    pools = [{"subnet_id": s["id"], "subnet_name": s["name"], "project_id": ctx["project_id"],
              "network_id": s["network_id"], "cidr": s["cidr"]}
             for s in world.subnets.values()
             if s["ip_version"] == 4 and world.networks[s["network_id"]]["router:external"]]
    return json_response({"floatingip_pools": [_fields(p, request) for p in pools]})


def _if_match(request: web.Request, item: dict) -> None:
    """revision-if-match: `If-Match: revision_number=N` changes the item only at that revision
    (neutron/api/api_common.py, check_request_for_revision_constraint; services/revisions/revision_plugin.py)."""
    wanted = None
    for etag in request.headers.get("If-Match", "").split(","):
        etag = etag.strip().removeprefix("W/").strip('"')
        if not etag.startswith("revision_number="):
            continue
        if wanted is not None:
            raise ApiError(400, "Bad if-match request: Multiple revision_number etags are not supported.",
                           "BadRequest")
        try:
            wanted = int(etag.removeprefix("revision_number="))
        except ValueError:
            raise ApiError(400, "Bad if-match request: Revision number etag must be in the format of "
                                "revision_number=<int>.", "BadRequest") from None
    if wanted is not None and wanted != item["revision_number"]:
        raise ApiError(412, f"Constrained to {wanted}, but current revision is {item['revision_number']}",
                       "RevisionNumberConstraintFailed")


async def sub_resource(request: web.Request) -> web.Response:
    """/v2.0/{collection}/{id}/{sub}: router interfaces, quota details and defaults, tags."""
    collection = request.match_info["collection"]
    sub = request.match_info["sub"].removesuffix(".json")
    if collection == "quotas" and request.method == "GET" and sub in ("details", "default"):
        return _quota_answer(request, _ident(request), details=sub == "details", default=sub == "default")
    if collection == "routers" and request.method == "PUT" and sub in ("add_router_interface",
                                                                       "remove_router_interface"):
        return await _router_interface(request, sub)
    if collection == "routers" and request.method == "PUT" and sub in ("add_extraroutes", "remove_extraroutes"):
        return await _extraroutes(request, sub)
    if collection == "address-groups" and request.method == "PUT" and sub in ("add_addresses", "remove_addresses"):
        world, ctx = world_of(request), ctx_of(request)
        group = _owned(world, KINDS[collection], _ident(request), ctx, "update")
        body = await read_json(request, malformed="Body contains invalid data")
        group = neutron_address_groups.change(world, group, sub, body)
        return json_response({"address_group": view(world, KINDS[collection], group)})
    if collection == "subnetpools" and request.method == "PUT" and sub in ("add_prefixes", "remove_prefixes"):
        world, ctx = world_of(request), ctx_of(request)
        pool = _owned(world, KINDS[collection], _ident(request), ctx, "update")
        body = await read_json(request, malformed="Body contains invalid data")
        return json_response(neutron_pools.prefix_op(world, pool, sub, body, ctx))
    if collection == "flavors" and request.method == "POST" and sub == "service_profiles":
        world, ctx = world_of(request), ctx_of(request)
        flavor = _get(world, KINDS[collection], _ident(request), ctx)
        body = await read_json(request, malformed="Body contains invalid data")
        flavor = neutron_flavors.bind(world, flavor, body, ctx)
        return json_response({"service_profile": view(world, KINDS[collection], flavor)}, 201)
    if sub == "tags":
        return await _tags(request, None)
    raise web.HTTPNotFound()


async def post_item(request: web.Request) -> web.Response:
    """POST to a member: 405 on a served collection, 404 on one that is not (POST /qos/policies on a Neutron
    without the qos plugin)."""
    _kind(request)
    raise web.HTTPMethodNotAllowed("POST", ["GET", "PUT", "DELETE"])


async def flavor_profile(request: web.Request) -> web.Response:
    """DELETE /flavors/{id}/service_profiles/{profile_id}: unbinds (neutron_flavors.unbind)."""
    world, ctx = world_of(request), ctx_of(request)
    flavor = _get(world, KINDS["flavors"], _ident(request), ctx)
    neutron_flavors.unbind(world, flavor, request.match_info["profile"], ctx)
    return no_content()


async def tag_item(request: web.Request) -> web.Response:
    return await _tags(request, request.match_info["tag"])


async def _router_interface(request: web.Request, action: str) -> web.Response:
    world, ctx = world_of(request), ctx_of(request)
    router = _owned(world, KINDS["routers"], _ident(request), ctx, "update")
    body = await read_json(request, malformed="Body contains invalid data")
    if not isinstance(body, dict) or not (body.get("subnet_id") or body.get("port_id")):
        raise ApiError(400, "Bad router request: Either subnet_id or port_id must be specified.", "BadRequest")
    if body.get("subnet_id") and body.get("port_id") and action == "add_router_interface":
        raise ApiError(400, "Bad router request: Cannot specify both subnet-id and port-id.", "BadRequest")
    if body.get("subnet_id"):
        _get(world, KINDS["subnets"], body["subnet_id"], ctx)
    if body.get("port_id"):
        _get(world, KINDS["ports"], body["port_id"], ctx)
    if action == "add_router_interface":
        info = model.add_router_interface(world, router["id"], body.get("subnet_id"), port_id=body.get("port_id"))
    else:
        info = model.remove_router_interface(world, router["id"], body.get("subnet_id"), body.get("port_id"))
    return json_response(info)


MAX_TAGS = 50  # neutron/extensions/tagging.py: MAX_TAGS_COUNT, MAX_TAG_LEN
MAX_TAG_LEN = 255


def _tag_problem(tag: Any) -> str | None:
    """neutron_lib's validate_string(tag, 255): why a tag is not one, or None."""
    if not isinstance(tag, str):
        return f"'{tag}' is not a valid string"
    if len(tag) > MAX_TAG_LEN:
        return f"'{tag}' exceeds maximum length of {MAX_TAG_LEN}"
    return None


def _tags_problem(tags: Any) -> str | None:
    """neutron_lib's validate_list_of_unique_strings(tags, 255): why these are not tags, or None."""
    if not isinstance(tags, list):
        return f"'{tags}' is not a list"
    dups = [t for i, t in enumerate(tags) if t in tags[:i]]
    if dups:
        return f"Duplicate items in the list: '{', '.join(str(d) for d in dict.fromkeys(dups))}'"
    return next(filter(None, map(_tag_problem, tags)), None)


def _tags_body(body: Any) -> list[str]:
    """tagging.validate_tags: a {"tags": [...]} body of unique strings, refused in Neutron's words."""
    if not isinstance(body, dict) or "tags" not in body:
        raise ApiError(400, "Invalid input for operation: Invalid tags body.", "InvalidInput")
    problem = _tags_problem(body["tags"])
    if problem:
        raise ApiError(400, f"Invalid input for operation: {problem}.", "InvalidInput")
    return body["tags"]


def _tags_limit(kind: Kind, tags: list[str]) -> None:
    if len(set(tags)) > MAX_TAGS:
        raise ApiError(400, f"Bad {kind.list_key} request: The number of tags exceed the per-resource limit of "
                            f"{MAX_TAGS}.", "BadRequest")


async def _tags(request: web.Request, tag: str | None) -> web.Response:
    """The tagging extension (neutron/extensions/tagging.py, services/tag/tag_plugin.py): GET the list or one
    (204, or 404 TagNotFound), PUT all (answers the body), PUT one (201), POST several (tag-creation: adds the
    missing ones, answers the body with 201), DELETE all or one."""
    kind, world, ctx = _kind(request), world_of(request), ctx_of(request)
    if not kind.tags:
        raise web.HTTPNotFound()
    if tag is not None and (problem := _tag_problem(tag)):
        raise ApiError(400, f"Invalid input for operation: {problem}.", "InvalidInput")
    if request.method == "GET":
        item = _get(world, kind, _ident(request), ctx)
        if tag is None:
            return json_response({"tags": item["tags"]})
        if tag not in item["tags"]:
            raise ApiError(404, f"Tag {tag} could not be found.", "TagNotFound")
        return no_content()
    if request.method in ("PUT", "POST") and tag is None:
        tags = _tags_body(await read_json(request, malformed="Body contains invalid data"))
        item = _owned(world, kind, _ident(request), ctx, "update")
        _tags_limit(kind, tags)
        before = list(item["tags"])
        item["tags"] = sorted(set(item["tags"]) | set(tags)) if request.method == "POST" else sorted(set(tags))
        if item["tags"] != before:
            model.touch(world, item)
        return json_response({"tags": tags}, 201 if request.method == "POST" else 200)
    item = _owned(world, kind, _ident(request), ctx, "update")
    if request.method == "PUT":
        _tags_limit(kind, item["tags"] + [tag])
        if tag not in item["tags"]:
            item["tags"] = sorted(item["tags"] + [tag])
            model.touch(world, item)
        return no_content(201)
    if tag is None:
        if item["tags"]:
            item["tags"] = []
            model.touch(world, item)
    elif tag in item["tags"]:
        item["tags"].remove(tag)
        model.touch(world, item)
    else:
        raise ApiError(404, f"Tag {tag} could not be found.", "TagNotFound")
    return no_content()


# --- quotas and extensions -----------------------------------------------------------------------

def _quota_project(request: web.Request, project_id: str, action: str) -> str:
    ctx = ctx_of(request)
    if project_id != ctx["project_id"] and not is_admin(ctx):
        raise ApiError(403, f"rule:{action}_quota is disallowed by policy", "PolicyNotAuthorized")
    return project_id


def _limits(world: World, project_id: str) -> dict[str, int]:
    return {name: world.quota(project_id, "network", name, default) for name, default in QUOTA_DEFAULTS.items()}


def _quota_answer(request: web.Request, project_id: str, *, details: bool, default: bool = False) -> web.Response:
    world = world_of(request)
    pid = _quota_project(request, project_id, "get")
    limits = dict(QUOTA_DEFAULTS) if default else _limits(world, pid)
    if details:
        return json_response({"quota": {name: {"limit": limit, "used": _usage(world, pid, name), "reserved": 0}
                                        for name, limit in limits.items()}})
    return json_response({"quota": limits})


def _list_quotas(request: web.Request) -> web.Response:
    world, ctx = world_of(request), ctx_of(request)
    projects = world.quotas if is_admin(ctx) else [ctx["project_id"]]
    return json_response({"quotas": [{**_limits(world, pid), "project_id": pid, "tenant_id": pid}
                                     for pid in projects]})


async def _update_quota(request: web.Request) -> web.Response:
    world = world_of(request)
    pid = _quota_project(request, _ident(request), "update")
    if not is_admin(ctx_of(request)):
        raise ApiError(403, "rule:update_quota is disallowed by policy", "PolicyNotAuthorized")
    body = await read_json(request, malformed="Body contains invalid data")
    if not isinstance(body, dict) or not isinstance(body.get("quota"), dict):
        raise ApiError(400, "Unable to find 'quota' in request body")
    unknown = [k for k in body["quota"] if k not in QUOTA_DEFAULTS]
    if unknown:
        raise ApiError(400, f"Unrecognized attribute(s) '{', '.join(unknown)}'")
    values = {k: _int(k, v) for k, v in body["quota"].items()}
    world.quotas.setdefault(pid, {}).setdefault("network", {}).update(values)
    return json_response({"quota": _limits(world, pid)})


def _reset_quota(request: web.Request) -> web.Response:
    world = world_of(request)
    pid = _quota_project(request, _ident(request), "delete")
    if not is_admin(ctx_of(request)):
        raise ApiError(403, "rule:delete_quota is disallowed by policy", "PolicyNotAuthorized")
    world.quotas.get(pid, {}).pop("network", None)
    return no_content()


def _extension(entry: tuple[str, str, str, str]) -> dict:
    alias, name, description, updated = entry
    return {"name": name, "alias": alias, "description": description, "updated": updated, "links": []}


def _show_extension(alias: str) -> web.Response:
    for entry in EXTENSIONS:
        if entry[0] == alias:
            return json_response({"extension": _extension(entry)})
    raise ApiError(404, f"Extension with alias {alias} does not exist", "HTTPNotFound")


async def versions(request: web.Request) -> web.Response:
    base = world_of(request).base_url + "/network"
    return json_response({"versions": [{"id": "v2.0", "status": "CURRENT",
                                        "links": [{"rel": "self", "href": base + "/v2.0/"}]}]})


async def resources(request: web.Request) -> web.Response:
    base = _base(request)
    return json_response({"resources": [
        {"name": name, "collection": name + "s", "links": [{"rel": "self", "href": f"{base}/{name}s"}]}
        for name in ("network", "subnet", "subnetpool", "port")]})


def build_app(world: World) -> web.Application:
    app = service_app(world, "neutron", public={"/"})
    app.router.add_get("/", versions)
    app.router.add_get("/v2.0/", resources)
    app.router.add_get("/v2.0/{collection}", list_items)
    app.router.add_post("/v2.0/{collection}", create_item)
    app.router.add_get("/v2.0/{collection}/{id}", show_item)
    app.router.add_put("/v2.0/{collection}/{id}", update_item)
    app.router.add_delete("/v2.0/{collection}/{id}", delete_item)
    app.router.add_post("/v2.0/{collection}/{id}", post_item)
    for method in ("GET", "PUT", "DELETE"):
        app.router.add_route(method, "/v2.0/{collection}/{id}/{sub}", sub_resource)
        app.router.add_route(method, "/v2.0/{collection}/{id}/tags/{tag}", tag_item)
    app.router.add_post("/v2.0/{collection}/{id}/{sub}", sub_resource)  # POST .../tags: add several at once
    app.router.add_delete("/v2.0/flavors/{id}/service_profiles/{profile}", flavor_profile)
    return app

"""Neutron's subnet pools and address scopes on the demo, and subnets allocated from a pool.

Held against Neutron 29.0.0: neutron_lib/api/definitions/subnetpool.py and address_scope.py (attributes,
defaults), neutron/ipam/subnet_alloc.py (SubnetPoolReader: defaults min 8 / 64, max 32 / 128, default = min;
prefixes compacted; bounds checked; SubnetAllocator: the first free block of the asked size, in the smallest
free prefix that holds it), neutron/db/db_base_plugin_v2.py (create/update/delete_subnetpool, _get_subnetpool_id,
_update_subnetpool_dict: new prefixes must hold the old ones), neutron/db/address_scope_db.py, and the default
policies (only an admin shares a pool or scope or marks a pool default). A pool's prefix lengths come back as
strings from create, show and list, and as numbers from an update, as Neutron's do.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from . import neutron as model
from .common import ApiError
from .neutron_kinds import OWNER, Kind, is_admin, owner_of, policy_error, to_bool, to_int
from .world import World

KINDS = [
    Kind("subnetpools", "subnetpool", "subnetpools", "Subnet pool {} could not be found.", "SubnetPoolNotFound",
         OWNER | {"name", "prefixes", "default_quota", "default_prefixlen", "min_prefixlen", "max_prefixlen",
                  "is_default", "shared", "address_scope_id", "description"},
         frozenset({"name", "prefixes", "default_quota", "default_prefixlen", "min_prefixlen", "max_prefixlen",
                    "is_default", "address_scope_id", "description"}),
         required=("name", "prefixes"), admin_only=("shared", "is_default")),
    Kind("address-scopes", "address_scope", "address_scopes", "Address scope {} could not be found.",
         "AddressScopeNotFound", OWNER | {"name", "shared", "ip_version"}, frozenset({"name", "shared"}),
         required=("ip_version",), admin_only=("shared",), tags=False),
]
FIELDS = {
    "subnetpools": ("id", "name", "tenant_id", "project_id", "prefixes", "default_quota", "ip_version",
                    "default_prefixlen", "min_prefixlen", "max_prefixlen", "is_default", "shared", "address_scope_id",
                    "description", "tags", "created_at", "updated_at", "revision_number"),
    "address_scopes": ("id", "name", "tenant_id", "project_id", "shared", "ip_version"),
}
BITS = {4: 32, 6: 128}
DEFAULT_MIN = {4: 8, 6: 64}


def _bad(message: str, kind: str = "BadRequest") -> ApiError:
    return ApiError(400, message, kind)


def _prefixes(value: Any) -> list:
    """validate_subnet_list, then SubnetPoolReader: one IP version, overlaps compacted."""
    if not isinstance(value, list):
        raise _bad(f"Invalid input for prefixes. Reason: '{value}' is not a list.", "HTTPBadRequest")
    dups = [p for i, p in enumerate(value) if p in value[:i]]
    if dups:
        raise _bad(f"Invalid input for prefixes. Reason: Duplicate items in the list: "
                   f"'{', '.join(map(str, dict.fromkeys(dups)))}'.", "HTTPBadRequest")
    blocks = []
    for text in value:
        try:
            block = ipaddress.ip_network(text, strict=False)
            if not isinstance(text, str) or "/" not in text or (block.version == 4 and str(block) != text):
                raise ValueError(text)
        except (TypeError, ValueError):
            raise _bad(f"Invalid input for prefixes. Reason: '{text}' is not a valid IP subnet.",
                       "HTTPBadRequest") from None
        blocks.append(block)
    if not blocks:
        raise _bad("Empty subnet pool prefix list.", "EmptySubnetPoolPrefixList")
    if len({b.version for b in blocks}) > 1:
        raise _bad("Cannot mix IPv4 and IPv6 prefixes in a subnet pool.", "PrefixVersionMismatch")
    return list(ipaddress.collapse_addresses(blocks))  # type: ignore[type-var]


def _non_negative(key: str, value: Any) -> int | None:
    number = to_int(key, value, f"Invalid input for {key}. Reason: '{value}' is not an integer.")
    if number is not None and number < 0:
        raise _bad(f"Invalid input for {key}. Reason: '{value}' should be non-negative.", "HTTPBadRequest")
    return number


def _bounds(version: int, attrs: dict, old: dict | None = None) -> tuple[int, int, int]:
    """SubnetPoolReader._read_prefix_bounds: min, max and default prefix lengths, checked."""
    def pick(key: str, default: int) -> int:
        if key in attrs and attrs[key] is not None:
            return _non_negative(key, attrs[key]) or 0
        return int(old[key]) if old is not None else default
    low = pick("min_prefixlen", DEFAULT_MIN[version])
    high = pick("max_prefixlen", BITS[version])
    default = pick("default_prefixlen", low)
    if old is None and "default_prefixlen" not in attrs:
        default = low
    if low > high:
        raise _bounds_error("min_prefixlen", low, "max_prefixlen", high)
    if high > BITS[version]:
        raise _bounds_error("max_prefixlen", high, "ip_version_max", BITS[version])
    if default < low:
        raise _bounds_error("default_prefixlen", default, "min_prefixlen", low)
    if default > high:
        raise _bounds_error("default_prefixlen", default, "max_prefixlen", high)
    return low, high, default


def _bounds_error(kind: str, length: int, base: str, base_length: int) -> ApiError:
    return _bad(f"Illegal prefix bounds: {kind}={length}, {base}={base_length}.", "IllegalSubnetPoolPrefixBounds")


def _check_default(world: World, version: int, pool_id: str | None = None) -> None:
    if any(p["is_default"] and p["ip_version"] == version and p["id"] != pool_id for p in world.subnetpools.values()):
        raise _bad("Invalid input for operation: A default subnetpool for this IP family has already been set. Only "
                   "one default may exist per IP family.", "InvalidInput")


def _scope_for(world: World, scope_id: Any, pool_id: str, version: int, ctx: dict) -> str | None:
    """_validate_address_scope_id: the scope exists for the caller and has the pool's IP version."""
    if scope_id is None:
        return None
    scope = world.address_scopes.get(scope_id)
    if scope is None or not visible(world, "address_scopes", scope, ctx):
        raise ApiError(404, f"Address scope {scope_id} could not be found.", "AddressScopeNotFound")
    if scope["ip_version"] != version:
        raise _bad(f"Illegal subnetpool association: subnetpool {pool_id} cannot associate with address scope "
                   f"{scope_id} because subnetpool ip_version is not {scope['ip_version']}.",
                   "IllegalSubnetPoolIpVersionAssociationToAddressScope")
    return scope_id


def create_subnetpool(world: World, attrs: dict, ctx: dict) -> dict:
    kind = KINDS[0]
    denied = [k for k in ("shared", "is_default") if to_bool(k, attrs.get(k, False))]
    if denied and not is_admin(ctx):
        raise policy_error("create_subnetpool", denied)
    pid = owner_of(attrs, ctx, kind)
    if not isinstance(attrs["name"], str) or not attrs["name"].strip():
        raise _bad(f"Invalid input for name. Reason: '{attrs['name']}' Blank strings are not permitted.",
                   "HTTPBadRequest")
    blocks = _prefixes(attrs["prefixes"])
    version = blocks[0].version
    low, high, default = _bounds(version, attrs)
    is_default = to_bool("is_default", attrs.get("is_default", False))
    if is_default:
        _check_default(world, version)
    pool_id = model._uuid(world)
    pool = {"id": pool_id, "name": attrs["name"], "tenant_id": pid, "project_id": pid,
            "prefixes": [str(b) for b in blocks], "default_quota": _non_negative("default_quota",
                                                                                attrs.get("default_quota")),
            "ip_version": version, "default_prefixlen": default, "min_prefixlen": low, "max_prefixlen": high,
            "is_default": is_default, "shared": to_bool("shared", attrs.get("shared", False)),
            "address_scope_id": _scope_for(world, attrs.get("address_scope_id"), pool_id, version, ctx),
            "description": attrs.get("description") or "", **model._std_attrs(world)}
    world.subnetpools[pool_id] = pool
    return pool


def update_subnetpool(world: World, pool: dict, attrs: dict, ctx: dict) -> None:
    if "is_default" in attrs and not is_admin(ctx):
        raise policy_error("update_subnetpool", ["is_default"])
    if "prefixes" in attrs:
        wanted = _prefixes(attrs["prefixes"])
        if wanted[0].version != pool["ip_version"]:
            raise _bad("Cannot mix IPv4 and IPv6 prefixes in a subnet pool.", "PrefixVersionMismatch")
        old = [ipaddress.ip_network(p) for p in pool["prefixes"]]
        if not all(any(o.subnet_of(w) for w in wanted) for o in old):  # type: ignore[arg-type]
            raise _bad("Illegal update to prefixes: Existing prefixes must be a subset of the new prefixes.",
                       "IllegalSubnetPoolPrefixUpdate")
        pool["prefixes"] = [str(b) for b in wanted]
    low, high, default = _bounds(pool["ip_version"], attrs, pool)
    pool.update(min_prefixlen=low, max_prefixlen=high, default_prefixlen=default)
    if "is_default" in attrs:
        value = to_bool("is_default", attrs["is_default"])
        if value and not pool["is_default"]:
            _check_default(world, pool["ip_version"], pool["id"])
        pool["is_default"] = value
    if "address_scope_id" in attrs:
        pool["address_scope_id"] = _scope_for(world, attrs["address_scope_id"], pool["id"], pool["ip_version"], ctx)
    if "default_quota" in attrs:
        pool["default_quota"] = _non_negative("default_quota", attrs["default_quota"])
    for key in ("name", "description"):
        if key in attrs:
            pool[key] = attrs[key]
    model.touch(world, pool)


def delete_subnetpool(world: World, pool: dict) -> None:
    if any(s.get("subnetpool_id") == pool["id"] for s in world.subnets.values()):
        raise _bad("Unable to delete subnet pool: Subnet pool has existing allocations.", "SubnetPoolDeleteError")
    del world.subnetpools[pool["id"]]


def pool_view(pool: dict, *, updated: bool = False) -> dict:
    """_make_subnetpool_dict: prefix lengths as strings (an update's answer keeps them numbers)."""
    body = model.public_view(pool)
    if not updated:
        for key in ("default_prefixlen", "min_prefixlen", "max_prefixlen"):
            body[key] = str(body[key])
    return body


def create_address_scope(world: World, attrs: dict, ctx: dict) -> dict:
    shared = to_bool("shared", attrs.get("shared", False))
    if shared and not is_admin(ctx):
        raise policy_error("create_address_scope", ["shared"])
    pid = owner_of(attrs, ctx, KINDS[1])
    version = to_int("ip_version", attrs["ip_version"])
    if version not in (4, 6):
        raise _bad(f"Invalid input for ip_version. Reason: {version} is not in [4, 6].", "HTTPBadRequest")
    scope = {"id": model._uuid(world), "name": attrs.get("name", ""), "tenant_id": pid, "project_id": pid,
             "shared": shared, "ip_version": version}
    world.address_scopes[scope["id"]] = scope
    return scope


def update_address_scope(world: World, scope: dict, attrs: dict, ctx: dict) -> None:
    if "shared" in attrs:
        shared = to_bool("shared", attrs["shared"])
        if not is_admin(ctx):
            raise policy_error("update_address_scope", ["shared"])
        if scope["shared"] and not shared:
            raise _bad(f"Unable to update address scope {scope['id']} : Shared address scope can't be unshared.",
                       "AddressScopeUpdateError")
        scope["shared"] = shared
    if "name" in attrs:
        scope["name"] = attrs["name"]


def delete_address_scope(world: World, scope: dict) -> None:
    if any(p["address_scope_id"] == scope["id"] for p in world.subnetpools.values()):
        raise ApiError(409, f"Unable to complete operation on address scope {scope['id']}. There are one or more "
                            "subnet pools in use on the address scope.", "AddressScopeInUse")
    del world.address_scopes[scope["id"]]


def visible(world: World, table: str, item: dict, ctx: dict) -> bool:
    """Owner, admin, or shared (with everyone, or with the caller's project by an RBAC policy)."""
    from .neutron_rbac import granted  # the RBAC module builds on this one's tables
    return (is_admin(ctx) or item["project_id"] == ctx["project_id"] or bool(item.get("shared"))
            or granted(world, table, item["id"], ctx["project_id"]))


# --- subnets from a pool ----------------------------------------------------------------------------

def pool_for_subnet(world: World, attrs: dict, ctx: dict) -> dict | None:
    """_get_subnetpool_id: the pool a subnet create names (subnetpool_id, or use_default_subnetpool for its IP
    version), or None."""
    use_default = to_bool("use_default_subnetpool", attrs.pop("use_default_subnetpool", False))
    pool_id = attrs.get("subnetpool_id")
    if use_default and pool_id:
        raise _bad("Bad subnets request: subnetpool_id and use_default_subnetpool cannot both be specified.")
    if pool_id:
        pool = world.subnetpools.get(pool_id)
        if pool is None or not visible(world, "subnetpools", pool, ctx):
            raise ApiError(404, f"Subnet pool {pool_id} could not be found.", "SubnetPoolNotFound")
        return pool
    if not use_default:
        return None
    version = (ipaddress.ip_network(attrs["cidr"], strict=False).version if attrs.get("cidr")
               else to_int("ip_version", attrs.get("ip_version")))
    for pool in world.subnetpools.values():
        if pool["is_default"] and pool["ip_version"] == version:
            return pool
    raise _bad(f"Bad subnets request: No default subnetpool found for IPv{version}.")


def allocate(world: World, pool: dict, attrs: dict, project_id: str, network: dict) -> str:
    """The CIDR a subnet gets from `pool` (SubnetAllocator.allocate_subnet): the asked one if the pool's free
    space holds it, else the first free block of `prefixlen` (the pool's default)."""
    version = to_int("ip_version", attrs.get("ip_version"))
    if version is not None and version != pool["ip_version"]:
        raise _bad(f"Bad subnets request: Cannot allocate IPv{version} subnet from IPv{pool['ip_version']} subnet "
                   "pool.")
    others = {s.get("subnetpool_id") for s in (world.subnets[i] for i in network["subnets"])
              if s["ip_version"] == pool["ip_version"]}
    if others - {pool["id"]}:
        raise _bad("Subnets hosted on the same network must be allocated from the same subnet pool.",
                   "NetworkSubnetPoolAffinityError")
    cidr = attrs.get("cidr")
    if cidr and attrs.get("prefixlen") is not None:
        raise _bad("Bad subnets request: cidr and prefixlen must not be supplied together.")
    if not cidr and attrs.get("allocation_pools"):
        raise _bad("Bad subnets request: allocation_pools allowed only for specific subnet requests.")
    wanted = model.parse_cidr(cidr) if cidr else None
    asked = _non_negative("prefixlen", attrs.get("prefixlen"))
    length: int = wanted.prefixlen if wanted is not None else pool["default_prefixlen"] if asked is None else asked
    if length > pool["max_prefixlen"]:
        raise _bad(f"Unable to allocate subnet with prefix length {length}, maximum allowed prefix is "
                   f"{pool['max_prefixlen']}.", "MaxPrefixSubnetAllocationError")
    if length < pool["min_prefixlen"]:
        raise _bad(f"Unable to allocate subnet with prefix length {length}, minimum allowed prefix is "
                   f"{pool['min_prefixlen']}.", "MinPrefixSubnetAllocationError")
    _check_pool_quota(world, pool, project_id, length)
    free = _free(world, pool)
    if wanted is not None:
        if any(wanted.subnet_of(block) for block in free):  # type: ignore[arg-type]
            return str(wanted)
        raise ApiError(500, "Failed to allocate subnet: Cannot allocate requested subnet from the available set of "
                            "prefixes.", "SubnetAllocationError")
    for block in sorted(free, key=lambda b: -b.prefixlen):
        if length >= block.prefixlen:
            return str(next(block.subnets(new_prefix=length)))
    raise ApiError(500, f"Failed to allocate subnet: Insufficient prefix space to allocate subnet size /{length}.",
                   "SubnetAllocationError")


def _free(world: World, pool: dict) -> list:
    """The pool's prefixes less its allocations, as CIDRs."""
    free = [ipaddress.ip_network(p) for p in pool["prefixes"]]
    for subnet in world.subnets.values():
        if subnet.get("subnetpool_id") != pool["id"]:
            continue
        used = ipaddress.ip_network(subnet["cidr"])
        rest: list = []
        for block in free:
            if used.subnet_of(block):  # type: ignore[arg-type]
                rest.extend(block.address_exclude(used))  # type: ignore[arg-type]
            elif block.subnet_of(used):  # type: ignore[arg-type]
                continue
            else:
                rest.append(block)
        free = rest
    return list(ipaddress.collapse_addresses(free))  # type: ignore[type-var]


def _check_pool_quota(world: World, pool: dict, project_id: str, length: int) -> None:
    """_check_subnetpool_project_quota: default_quota counts /32s (IPv4) or /64s (IPv6) a project holds."""
    quota = pool["default_quota"]
    if not quota:
        return
    unit = 32 if pool["ip_version"] == 4 else 64
    used = sum(2 ** (unit - ipaddress.ip_network(s["cidr"]).prefixlen) for s in world.subnets.values()
               if s.get("subnetpool_id") == pool["id"] and s["project_id"] == pool["project_id"])
    if used + 2 ** (unit - length) > quota:
        raise ApiError(409, "Per-project subnet pool prefix quota exceeded.", "SubnetPoolQuotaExceeded")


def scope_of(world: World, network: dict, version: int) -> str | None:
    """_extend_network_dict_address_scope: a network's address scope for an IP version is its pool's."""
    for subnet_id in network["subnets"]:
        subnet = world.subnets.get(subnet_id)
        if subnet is not None and subnet["ip_version"] == version and subnet.get("subnetpool_id"):
            pool = world.subnetpools.get(subnet["subnetpool_id"])
            if pool is not None:
                return pool["address_scope_id"]
    return None


def prefix_op(world: World, pool: dict, action: str, body: Any, ctx: dict) -> dict:
    """subnetpool-prefix-ops: PUT .../add_prefixes merges prefixes in (as an update would); .../remove_prefixes takes
    them out unless a subnet holds some of them (db_base_plugin_v2.add_prefixes, remove_prefixes)."""
    prefixes = body.get("prefixes") if isinstance(body, dict) else None
    if not prefixes or not isinstance(prefixes, list):
        raise ApiError(400, "Request body contains invalid data", "HTTPBadRequest")
    if action == "add_prefixes":
        update_subnetpool(world, pool, {"prefixes": pool["prefixes"] + prefixes}, ctx)
        return {"prefixes": pool["prefixes"]}
    gone = _prefixes(prefixes)
    have = [ipaddress.ip_network(p) for p in pool["prefixes"]]
    if not any(g.overlaps(h) for g in gone for h in have):
        return {"prefixes": pool["prefixes"]}
    held = [ipaddress.ip_network(s["cidr"]) for s in world.subnets.values() if s.get("subnetpool_id") == pool["id"]]
    if any(g.overlaps(h) for g in gone for h in held):
        raise _bad("Illegal update to prefixes: One or more the prefixes to be removed is in use by a subnet.",
                   "IllegalSubnetPoolPrefixUpdate")
    rest: list = have
    for block in gone:
        rest = [piece for h in rest for piece in (
            [h] if not block.overlaps(h) else [] if h.subnet_of(block)  # type: ignore[arg-type]
            else list(h.address_exclude(block)))]  # type: ignore[arg-type]
    pool["prefixes"] = [str(b) for b in ipaddress.collapse_addresses(rest)]  # type: ignore[type-var]
    model.touch(world, pool)
    return {"prefixes": pool["prefixes"]}

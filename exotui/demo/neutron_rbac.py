"""Neutron's RBAC policies on the demo (`/v2.0/rbac-policies`): who besides its owner may use a network
(access_as_shared, access_as_external), a subnet pool, an address scope, an address group or a security group.

Held against Neutron 29.0.0: neutron/extensions/rbac.py (attributes; object types; target_tenant a UUID or
'*'), neutron/db/rbac_db_mixin.py (create, update, delete; the answer's fields), neutron/db/rbac_db_models.py
(the actions each type allows), objects/rbac_db.py and db_base_plugin_v2's network check (only an admin
manipulates a policy on an object it does not own), and the default policy (only an admin shares with '*').
An object's `shared` is a policy sharing it with '*': setting the one makes or removes the other, as Neutron's
update_shared does; a network's `router:external` is likewise an access_as_external policy for '*'.
"""

from __future__ import annotations

import re
import uuid

from . import neutron as model
from .common import ApiError
from .neutron_kinds import OWNER, Kind, is_admin, owner_of, policy_error
from .world import World

KINDS = [
    Kind("rbac-policies", "rbac_policy", "rbac_policies", "RBAC policy of type unknown with ID {} not found",
         "RbacPolicyNotFound", OWNER | {"object_type", "object_id", "target_tenant", "action"},
         frozenset({"target_tenant"}), required=("object_type", "object_id", "target_tenant", "action"), tags=False),
]
FIELDS = {"rbac_policies": ("id", "project_id", "action", "object_id", "target_tenant", "object_type", "tenant_id")}

SHARED, EXTERNAL = "access_as_shared", "access_as_external"
# object type -> (World table, its actions in Neutron's order, its not-found message)
TYPES = {
    "address_group": ("address_groups", (SHARED,), "Address group {} could not be found."),
    "address_scope": ("address_scopes", (SHARED,), "Address scope {} could not be found."),
    "network": ("networks", (SHARED, EXTERNAL), "Network {} could not be found."),
    "security_group": ("security_groups", (SHARED,), "Security group {} does not exist"),
    "subnetpool": ("subnetpools", (SHARED,), "Subnet pool {} could not be found."),
}
TABLE_TYPE = {table: otype for otype, (table, _, _) in TYPES.items()}
FLAG = {SHARED: "shared", EXTERNAL: "router:external"}
UUID = re.compile(r"^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$", re.IGNORECASE)
NAMESPACE = uuid.UUID("6f1c1d1e-54a5-4c39-9b7e-2a4c1f0d9a11")  # the wildcard policies of seeded objects


def _invalid(message: str) -> ApiError:
    return ApiError(400, f"Invalid input for operation: {message}.", "InvalidInput")


def granted(world: World, table: str, object_id: str, project_id: str) -> bool:
    """Whether a policy shares the object with this project (by name or with everyone)."""
    otype = TABLE_TYPE.get(table)
    return any(p["object_type"] == otype and p["object_id"] == object_id and p["target_tenant"] in ("*", project_id)
               for p in world.rbac_policies.values())


def adopt(world: World) -> None:
    """Give every shared (or external) object that has no wildcard policy yet its policy, as Neutron made one
    when the object was created shared: seeded ones and those made below the API."""
    have = {(p["object_id"], p["action"]) for p in world.rbac_policies.values() if p["target_tenant"] == "*"}
    for otype, (table, actions, _) in TYPES.items():
        for item in getattr(world, table).values():
            for action in actions:
                if item.get(FLAG[action]) and (item["id"], action) not in have:
                    _add(world, otype, item, action, "*", item["project_id"],
                         str(uuid.uuid5(NAMESPACE, f"{item['id']}:{action}")))


def _add(world: World, otype: str, item: dict, action: str, target: str, project_id: str,
         ident: str | None = None) -> dict:
    policy = {"id": ident or model._uuid(world), "project_id": project_id, "action": action,
              "object_id": item["id"], "target_tenant": target, "object_type": otype, "tenant_id": project_id}
    world.rbac_policies[policy["id"]] = policy
    if target == "*":
        item[FLAG[action]] = True
    return policy


def set_flag(world: World, table: str, item: dict, action: str, value: bool) -> None:
    """An object's `shared` (or a network's `router:external`) set through its own API: the wildcard policy
    follows (update_shared)."""
    adopt(world)
    otype = TABLE_TYPE[table]
    wildcard = [p for p in world.rbac_policies.values()
                if p["object_id"] == item["id"] and p["action"] == action and p["target_tenant"] == "*"]
    if value and not wildcard:
        _add(world, otype, item, action, "*", item["project_id"])
    elif not value:
        for policy in wildcard:
            del world.rbac_policies[policy["id"]]
    item[FLAG[action]] = value


def forget(world: World, object_id: str) -> None:
    """The policies of a deleted object go with it."""
    for ident in [i for i, p in world.rbac_policies.items() if p["object_id"] == object_id]:
        del world.rbac_policies[ident]


def visible(world: World, policy: dict, ctx: dict) -> bool:
    return is_admin(ctx) or policy["project_id"] == ctx["project_id"]


def create(world: World, attrs: dict, ctx: dict) -> dict:
    adopt(world)
    kind = KINDS[0]
    target = attrs["target_tenant"]
    otype = attrs["object_type"]  # the attributes are checked before the policy
    if not isinstance(otype, str) or otype.strip().lower() not in TYPES:
        raise _invalid(f"'{otype}' is not a valid RBAC object type")
    otype = otype.strip().lower()
    if not isinstance(target, str) or (target != "*" and not UUID.match(target)):
        raise _invalid(f"'{target}' is not a valid target project ID; expected a UUID or '*'")
    if target == "*" and not is_admin(ctx):
        raise policy_error("create_rbac_policy", ["target_tenant"])
    pid = owner_of(attrs, ctx, kind)
    table, actions, missing = TYPES[otype]
    action = attrs["action"]
    if action not in actions:
        raise _invalid(f"Invalid action '{action}' for object type '{otype}'. Valid actions: {actions}")
    object_id = attrs["object_id"]
    if not isinstance(object_id, str) or not UUID.match(object_id):
        raise ApiError(400, f"Invalid input for object_id. Reason: '{object_id}' is not a valid UUID.",
                       "HTTPBadRequest")
    item = getattr(world, table).get(object_id)
    if item is None or (otype == "network" and not is_admin(ctx) and not model.visible(item, ctx["project_id"])
                        and not granted(world, table, object_id, ctx["project_id"])):
        raise ApiError(404, missing.format(object_id), missing.split()[0] + "NotFound")
    if not is_admin(ctx) and item["project_id"] != ctx["project_id"]:
        what = "networks" if otype == "network" else "objects"
        raise _invalid(f"Only admins can manipulate policies on {what} they do not own")
    if any(p["object_id"] == object_id and p["action"] == action and p["target_tenant"] == target
           for p in world.rbac_policies.values()):
        raise ApiError(409, "An RBAC policy already exists with those values.", "DuplicateRbacPolicy")
    policy = _add(world, otype, item, action, target, pid)
    _refresh_flag(world, policy, item)
    return policy


def update(world: World, policy: dict, attrs: dict, ctx: dict) -> None:
    target = attrs.get("target_tenant", policy["target_tenant"])
    if target == "*" and policy["target_tenant"] != "*" and not is_admin(ctx):
        raise policy_error("update_rbac_policy", ["target_tenant"])
    if not isinstance(target, str) or (target != "*" and not UUID.match(target)):
        raise _invalid(f"'{target}' is not a valid target project ID; expected a UUID or '*'")
    item = _object(world, policy)
    policy["target_tenant"] = target
    if item is not None:
        _refresh_flag(world, policy, item)


def delete(world: World, policy: dict) -> None:
    del world.rbac_policies[policy["id"]]
    item = _object(world, policy)
    if item is not None:
        _refresh_flag(world, policy, item)


def _object(world: World, policy: dict) -> dict | None:
    return getattr(world, TYPES[policy["object_type"]][0]).get(policy["object_id"])


def _refresh_flag(world: World, policy: dict, item: dict) -> None:
    item[FLAG[policy["action"]]] = any(
        p["object_id"] == item["id"] and p["action"] == policy["action"] and p["target_tenant"] == "*"
        for p in world.rbac_policies.values())
    if policy["action"] == EXTERNAL:  # a network's subnets mirror its router:external
        for subnet_id in item["subnets"]:
            world.subnets[subnet_id]["router:external"] = item["router:external"]
    if "revision_number" in item:
        model.touch(world, item)

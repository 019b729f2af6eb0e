"""What every Neutron resource kind of the demo shares: the Kind record (attributes a create or update may
carry, who may set which), the admin test, Neutron's policy and conversion errors in its words.

neutron_api serves the kinds; neutron_pools, neutron_rbac and neutron_address_groups add theirs to it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from .common import ApiError


def is_admin(ctx: dict) -> bool:
    return any(r["name"] == "admin" for r in ctx.get("roles", ()))


def policy_error(action: str, keys: list[str]) -> ApiError:
    """Neutron's 403 for attributes a member may not set: ((rule:a and rule:a:k1) and rule:a:k2) ..."""
    rule = f"rule:{action}"
    for key in keys:
        rule = f"({rule} and rule:{action}:{key})"
    return ApiError(403, f"{rule} is disallowed by policy", "PolicyNotAuthorized")


@dataclass(frozen=True)
class Kind:
    collection: str  # URL segment and list key ("security-groups" -> "security_groups")
    singular: str
    table: str  # the World attribute holding the items
    not_found: str  # message with {} for the id
    not_found_type: str
    post: frozenset[str]  # attributes a create body may carry
    put: frozenset[str]  # attributes an update body may carry
    required: tuple[str, ...] = ()
    admin_only: tuple[str, ...] = ()  # attributes only an admin may set
    tags: bool = True

    @property
    def list_key(self) -> str:
        return self.collection.replace("-", "_")


OWNER = frozenset({"tenant_id", "project_id"})


def to_bool(key: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false", "1", "0"):
        return value.lower() in ("true", "1")
    raise ApiError(400, f"Invalid input for {key}. Reason: '{value}' cannot be converted to boolean.")


def to_int(key: str, value: Any, message: str | None = None) -> int | None:
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and re.fullmatch(r"-?\d+", value.strip()):
        return int(value)
    raise ApiError(400, message or f"Invalid input for {key}. Reason: '{value}' is not an integer.")


def owner_of(attrs: dict, ctx: dict, kind: Kind) -> str:
    """The project a create is for: the caller's, unless an admin names another."""
    pid = attrs.pop("project_id", None) or attrs.pop("tenant_id", None) or ctx["project_id"]
    attrs.pop("tenant_id", None)
    if pid != ctx["project_id"] and not is_admin(ctx):
        raise policy_error(f"create_{kind.singular}", ["project_id"])
    return pid

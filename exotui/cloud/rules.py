"""What may be done to an instance now, and why not: Nova's state rules plus a cloud's own rules.

Nova's rules are its code's (nova/compute/api.py decorators), declared with each action in
action_table.py and checked against real Nova's answers in tests/oracle/nova-action-matrix.json; Nova's
docs disagree and lose. A cloud's own rules (Jetstream2: no suspend on r3/GPU flavors, no resize from
full-GPU ones) are data in cloud_rules.json.
"""

from __future__ import annotations

import fnmatch
import json
import re
from dataclasses import dataclass, field
from importlib import resources
from typing import Any, Iterable, Mapping
from urllib.parse import urlparse

from .action_table import SERVER_ACTION, SERVER_ACTIONS, NovaRule
from .models import Flavor, Quota, Server


@dataclass(frozen=True, slots=True)
class Verdict:
    """May it be done? If not, `reason` says why in the user's words."""

    allowed: bool
    reason: str | None = None

    def __bool__(self) -> bool:
        return self.allowed


ALLOWED = Verdict(True)


def refused(reason: str) -> Verdict:
    return Verdict(False, reason)


# --- Nova's rules ------------------------------------------------------------------------------

# Nova's rule for each action is declared with the action (action_table.py)
NOVA_RULES: Mapping[str, NovaRule] = {a.name: a.nova for a in SERVER_ACTIONS}
ACTIONS = tuple(NOVA_RULES)

# vm_state when a cloud hides the extended status (policy): guessed from the API status
_VM_STATE_OF_STATUS = {
    "ACTIVE": "active", "SHUTOFF": "stopped", "SUSPENDED": "suspended", "PAUSED": "paused", "SHELVED": "shelved",
    "SHELVED_OFFLOADED": "shelved_offloaded", "VERIFY_RESIZE": "resized", "REVERT_RESIZE": "resized",
    "RESCUE": "rescued", "ERROR": "error", "BUILD": "building", "DELETED": "deleted", "SOFT_DELETED": "soft_deleted",
}

_WORDS = {"active": "running", "stopped": "stopped", "suspended": "suspended", "paused": "paused",
          "shelved": "shelved", "shelved_offloaded": "shelved", "resized": "waiting for resize confirmation",
          "rescued": "in rescue mode", "error": "in error", "building": "still being built",
          "soft_deleted": "deleted", "deleted": "deleted"}
# what to do first when the instance's state blocks an action
_FIRST = {"stopped": "start it first", "suspended": "resume it first", "paused": "unpause it first",
          "shelved": "unshelve it first", "shelved_offloaded": "unshelve it first",
          "resized": "confirm or revert it first", "rescued": "unrescue it first",
          "error": "a hard reboot or a stop may recover it", "building": "wait until it is built"}


def vm_state_of(server: Server) -> str:
    return server.vm_state or _VM_STATE_OF_STATUS.get(server.status, server.status.lower())


def nova_verdict(action: str, server: Server) -> Verdict:
    """Nova's answer to the instance's owner for `action` now, without asking Nova."""
    rule = NOVA_RULES[action]
    if rule.admin_only:
        return refused("only a cloud administrator may do this (Nova's default policy)")
    if rule.lock and server.locked:
        return refused("the instance is locked: unlock it first")
    vm_state = vm_state_of(server)
    if rule.task_states is not None and server.task_state not in rule.task_states:
        return refused(f"Nova is busy with this instance (task: {server.task_state})")
    if rule.needs_host and vm_state == "shelved_offloaded":
        return refused("the instance is shelved: unshelve it first")
    if rule.vm_states is None or vm_state in rule.vm_states:
        return ALLOWED
    words = _WORDS.get(vm_state, vm_state)
    declared = SERVER_ACTION[action]
    if declared.needs:  # an action that undoes one state: "not X" says more than a hint to leave this one
        return refused(f"{declared.needs} (it is {words})")
    if vm_state in declared.already:
        return refused(f"the instance is already {words}")
    if vm_state in _FIRST:
        return refused(f"the instance is {words}: {_FIRST[vm_state]}")
    return refused(f"Nova does not allow this while the instance is {words}")


# --- a cloud's own rules -------------------------------------------------------------------------

@dataclass(frozen=True)
class FlavorGroup:
    name: str
    title: str
    pattern: re.Pattern
    refuse: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class CloudRules:
    """One cloud's rule table (empty for a cloud exotui knows nothing special about)."""

    name: str = ""
    title: str = ""
    cloud_names: tuple[str, ...] = ()
    auth_url_hosts: tuple[str, ...] = ()
    groups: tuple[FlavorGroup, ...] = ()
    resize_refuse: tuple[tuple[str, str, str], ...] = ()  # (from group, to group, reason)

    def group_of(self, flavor_name: str | None) -> FlavorGroup | None:
        for group in self.groups:
            if flavor_name and group.pattern.search(flavor_name):
                return group
        return None

    def refusal(self, action: str, flavor_name: str | None) -> str | None:
        group = self.group_of(flavor_name)
        return group.refuse.get(action) if group else None

    def resize_refusal(self, from_name: str | None, to_name: str | None) -> str | None:
        """Why this cloud forbids resizing from one flavor to another (None: it does not)."""
        source, target = self.group_of(from_name), self.group_of(to_name)
        for from_group, to_group, reason in self.resize_refuse:
            if source and target and source.name == from_group and target.name == to_group:
                return reason
        return None

    def matches(self, cloud_name: str | None, auth_url: str | None) -> bool:
        name = (cloud_name or "").lower()
        if name and any(fnmatch.fnmatchcase(name, pattern.lower()) for pattern in self.cloud_names):
            return True
        host = (urlparse(auth_url).hostname or "").lower() if auth_url else ""
        return bool(host) and any(host == h or host.endswith("." + h) for h in self.auth_url_hosts)


NO_RULES = CloudRules()


def _parse(name: str, entry: Mapping[str, Any]) -> CloudRules:
    match = entry.get("match") or {}
    groups = tuple(FlavorGroup(g["name"], g.get("title", g["name"]), re.compile(g["pattern"]),
                               dict(g.get("refuse") or {})) for g in entry.get("flavor_groups") or [])
    refuse = tuple((r["from"], r["to"], r["reason"]) for r in entry.get("resize_refuse") or [])
    return CloudRules(name, entry.get("title", name), tuple(match.get("cloud_names") or []),
                      tuple(match.get("auth_url_hosts") or []), groups, refuse)


def load_cloud_rules(data: Mapping[str, Any] | None = None) -> dict[str, CloudRules]:
    """Every cloud's rule table, from `data` or the shipped cloud_rules.json."""
    if data is None:
        data = json.loads(resources.files(__package__).joinpath("cloud_rules.json").read_text())
    return {name: _parse(name, entry) for name, entry in (data.get("clouds") or {}).items()}


def rules_for_cloud(cloud_name: str | None = None, auth_url: str | None = None, *, explicit: str | None = None,
                    tables: Mapping[str, CloudRules] | None = None) -> CloudRules:
    """The rule table for a cloud: named `explicit`ly (settings), else matched by name or auth URL."""
    tables = load_cloud_rules() if tables is None else tables
    if explicit:
        return tables.get(explicit, NO_RULES)
    return next((t for t in tables.values() if t.matches(cloud_name, auth_url)), NO_RULES)


# --- flavors ---------------------------------------------------------------------------------------

GENERAL, LARGE_MEMORY, GPU = "general", "large_memory", "gpu"
FAMILY_TITLES = {GENERAL: "General purpose", LARGE_MEMORY: "Large memory", GPU: "GPU"}
_GPU_WORDS = re.compile(r"gpu|a100|h100|h200|l40|v100|a30|a40|t4|rtx|nvidia|tesla|10de", re.I)


def flavor_family(flavor: Flavor) -> str:
    """general, large_memory or gpu: from the extra specs Nova schedules by, else the name's prefix."""
    for key, value in flavor.extra_specs.items():
        if key in ("resources:VGPU", "resources:PGPU") or (
                key.startswith(("resources:CUSTOM_", "trait:CUSTOM_", "pci_passthrough:alias"))
                and _GPU_WORDS.search(f"{key}={value}")):
            return GPU
        if "LARGE_MEMORY" in key.upper():
            return LARGE_MEMORY
    if re.match(r"^g\d+\.", flavor.name):
        return GPU
    if re.match(r"^r\d+\.", flavor.name):
        return LARGE_MEMORY
    return GENERAL


def server_flavor(server: Server, flavors: Iterable[Flavor] = ()) -> Flavor:
    """The instance's flavor: from the flavor list (by ID, else name), else its embedded copy (2.47+)."""
    flavors = list(flavors)
    for flavor in flavors:
        if server.flavor_id and flavor.id == server.flavor_id:
            return flavor
    for flavor in flavors:
        if server.flavor_name and flavor.name == server.flavor_name:
            return flavor
    return Flavor(id=server.flavor_id or "", name=server.flavor_name or "", vcpus=server.flavor_vcpus or 0,
                  ram_mb=server.flavor_ram_mb or 0, disk_gb=server.flavor_disk_gb or 0,
                  extra_specs=dict(server.flavor_extra_specs))


# --- together ----------------------------------------------------------------------------------

def allowed_actions(server: Server, flavor: Flavor | None = None,
                    cloud_rules: CloudRules | None = None) -> dict[str, Verdict]:
    """Every action (see ACTIONS) with its verdict for this instance now.

    A cloud's own refusal comes first: it lasts, where Nova's ("stopped: start it first") passes.
    """
    rules = cloud_rules or NO_RULES
    name = flavor.name if flavor is not None else server.flavor_name
    verdicts = {}
    for action in NOVA_RULES:
        reason = rules.refusal(action, name)
        verdicts[action] = refused(reason) if reason else nova_verdict(action, server)
    return verdicts


def _headroom(quotas: Iterable[Quota] | Mapping[str, Quota], resource: str) -> Quota | None:
    items = quotas.values() if isinstance(quotas, Mapping) else quotas
    return next((q for q in items if q.service == "compute" and q.resource == resource), None)


def _in(resource: str, number: int) -> str:
    """RAM (MiB in Nova's quota) in GiB, as the flavors beside it; cores as they are."""
    return f"{round(number / 1024, 1):g}" if resource == "ram" else str(number)


def resize_verdict(server: Server, current: Flavor, target: Flavor, quotas: Iterable[Quota] | Mapping = (),
                   cloud_rules: CloudRules | None = None) -> Verdict:
    """May this instance be resized to `target` now? (The instance's own state first, then the target.)"""
    rules = cloud_rules or NO_RULES
    now = allowed_actions(server, current, rules)["resize"]
    if not now:
        return now
    if target.id == current.id or target.name == current.name:
        return refused("this is the instance's current flavor")
    # a volume-backed instance's root disk is the volume: the flavor's disk does not matter
    if server.image_id is not None and target.disk_gb < current.disk_gb:
        return refused(f"its root disk ({target.disk_gb} GB) is smaller than the current one "
                       f"({current.disk_gb} GB): Nova cannot shrink a disk")
    reason = rules.resize_refusal(current.name, target.name)
    if reason:
        return refused(reason)
    for resource, more, unit in (("cores", target.vcpus - current.vcpus, "vCPUs"),
                                 ("ram", target.ram_mb - current.ram_mb, "GiB of RAM")):
        quota = _headroom(quotas, resource)
        if more > 0 and quota is not None and quota.headroom is not None and more > quota.headroom:
            return refused(f"needs {_in(resource, more)} more {unit}; the project has "
                           f"{_in(resource, max(quota.headroom, 0))} left (quota {_in(resource, quota.limit)})")
    return ALLOWED


_FAMILY_ORDER = {GENERAL: 0, LARGE_MEMORY: 1, GPU: 2}


def resize_targets(server: Server, current_flavor: Flavor | None, flavors: Iterable[Flavor],
                   quotas: Iterable[Quota] | Mapping = (), cloud_rules: CloudRules | None = None
                   ) -> list[tuple[Flavor, Verdict]]:
    """Every flavor with its verdict as a resize target, by family (general, large memory, GPU) then size."""
    flavors = list(flavors)
    current = current_flavor or server_flavor(server, flavors)
    ordered = sorted(flavors, key=lambda f: (_FAMILY_ORDER[flavor_family(f)], f.vcpus, f.ram_mb, f.disk_gb, f.name))
    return [(f, resize_verdict(server, current, f, quotas, cloud_rules)) for f in ordered]

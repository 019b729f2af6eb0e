"""Neutron security groups and their rules: create and delete a group, add and remove a rule. Adding a
group to an instance and removing it are server actions (servers.py): Nova does them."""

from __future__ import annotations

from ..models import SecurityGroup
from ..session import CloudError
from .base import ActionRefused, ActionResult, ActionsBase, failed


class SecurityGroupActions(ActionsBase):
    async def add_rule(self, group_id: str, direction: str = "ingress", protocol: str | None = None,
                       port_min: int | None = None, port_max: int | None = None, remote_cidr: str | None = None,
                       remote_group_id: str | None = None, ethertype: str = "IPv4",
                       description: str = "") -> ActionResult:
        """A rule in a security group; the value is the new rule's ID."""
        group = self._item("security_groups", group_id, "this security group is not in the project")
        if port_min is not None and port_max is not None and port_min > port_max:
            raise ActionRefused("the first port must not be above the last")
        wanted = (direction, ethertype, protocol, port_min, port_max, remote_cidr, remote_group_id)
        if any((r.direction, r.ethertype, r.protocol, r.port_min, r.port_max, r.remote_cidr, r.remote_group_id)
               == wanted for r in group.rules):
            raise ActionRefused(f"{group.name} already has this rule")
        spec = {"security_group_id": group_id, "direction": direction, "ethertype": ethertype,
                "protocol": protocol, "port_range_min": port_min, "port_range_max": port_max,
                "remote_ip_prefix": remote_cidr, "remote_group_id": remote_group_id, "description": description}
        with self._claim(group_id, f"add_rule {wanted}", f"adding this rule to {group.name}"):
            try:
                answer = await self._send("network", "POST", "/security-group-rules", {"security_group_rule": spec})
            except CloudError as err:
                return failed(f"add the rule to {group.name}", err)
            await self._try_refresh("security_groups", group_id)
        return ActionResult(True, f"rule added to {group.name}", value=answer["security_group_rule"]["id"])

    async def remove_rule(self, rule_id: str) -> ActionResult:
        group = next((g for g in self.store.get("security_groups").values() if any(r.id == rule_id for r in g.rules)),
                     None)
        if group is None:
            raise ActionRefused("this rule is not in any of the project's security groups")
        with self._claim(rule_id, "remove_rule", f"removing this rule from {group.name}"):
            try:
                await self._send("network", "DELETE", f"/security-group-rules/{rule_id}")
            except CloudError as err:
                return failed(f"remove the rule from {group.name}", err)
            await self._try_refresh("security_groups", group.id)
        return ActionResult(True, f"rule removed from {group.name}")

    async def create_security_group(self, name: str, description: str = "") -> ActionResult:
        """A new security group (Neutron gives it its two egress rules); the value is the SecurityGroup."""
        name = name.strip()
        if not name:
            raise ActionRefused("a security group needs a name")
        if name == "default":
            raise ActionRefused("every project has its own 'default' group already: choose another name")
        if any(g.name == name for g in self.store.get("security_groups").values()):
            raise ActionRefused(f"the project has a security group named {name} already")
        with self._claim(name, "create_group", f"creating {name}"):
            try:
                answer = await self._send("network", "POST", "/security-groups",
                                          {"security_group": {"name": name, "description": description}})
            except CloudError as err:
                return failed(f"create {name}", err)
        group = SecurityGroup.from_api(answer["security_group"])
        self.store.merge("security_groups", [group])
        return ActionResult(True, f"created {name}", value=group)

    def why_not_delete_security_group(self, group: SecurityGroup) -> str | None:
        """Why this group cannot be deleted now (None: it can): the default one, or one an instance uses."""
        if group.name == "default":
            return "the project's 'default' group cannot be deleted: every project keeps its default group"
        users = sorted(s.name for s in self.store.get("servers").values() if group.name in s.security_groups)
        if users:
            return f"{group.name} is attached to {', '.join(users)}: detach it first"
        return None

    async def delete_security_group(self, group_id: str) -> ActionResult:
        group = self._item("security_groups", group_id, "this security group is not in the project")
        if reason := self.why_not_delete_security_group(group):
            raise ActionRefused(reason)
        with self._claim(group_id, "delete_group", f"deleting {group.name}"):
            try:
                await self._send("network", "DELETE", f"/security-groups/{group_id}")
            except CloudError as err:  # e.g. 409: in use by a port the store has not seen yet
                return failed(f"delete {group.name}", err)
            self.store.merge("security_groups", [], [group_id])
            self.poller.kick("security_groups")  # rules of other groups that named this one went with it
        return ActionResult(True, f"deleted {group.name}")

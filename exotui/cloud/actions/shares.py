"""Manila shares: create, extend, delete, grant access (a cephx name or an ip) and revoke it, each through
`_send` (so read-only mode refuses it before it leaves) under `_claim` (a double key press sends once), and
followed until Manila settles it: a share through the store (the poller lists shares fast while asked), a rule
through its own state."""

from __future__ import annotations

import asyncio
import ipaddress
import string
from typing import Any

from ..session import CloudError
from ..shares import MV, PROTOCOLS, SERVICE, AccessRule, Share, cephx_name_for, fetch_rule, fetch_rules
from .base import ActionRefused, ActionResult, ActionsBase, failed

NAME_MAX = 255


def cephx_problem(name: str) -> str | None:
    """Manila's own checks of a cephx client name (api/common.validate_cephx_id), said before sending."""
    if not name:
        return "a cephx name may not be empty"
    if not set(name) <= set(string.printable) or any(c.isspace() for c in name):
        return "a cephx name is printable ASCII with no spaces"
    if "." in name:
        return "a cephx name has no periods (Manila adds the client. prefix itself)"
    return None


def ip_problem(text: str) -> str | None:
    try:
        ipaddress.ip_network(text, strict=True)
    except ValueError as err:
        return str(err)
    return None


class ShareActions(ActionsBase):
    def _share(self, share_id: str) -> Share:
        return self._item("shares", share_id, "this share is not in the project (deleted, or not loaded yet)")

    @staticmethod
    def why_not_extend_share(share: Share, new_size_gb: int | None = None) -> str | None:
        if share.status != "available":
            return f"the share is {share.status}: Manila extends only an available share"
        if new_size_gb is not None and new_size_gb <= share.size_gb:
            return f"the new size must be more than {share.size_gb} GB"
        return None

    @staticmethod
    def why_not_delete_share(share: Share) -> str | None:
        if share.status not in ("available", "error", "inactive"):
            return f"the share is {share.status}: Manila deletes it once it is available (or in error)"
        return None

    @staticmethod
    def why_not_change_access(share: Share) -> str | None:
        if share.status != "available":
            return f"the share is {share.status}: its access rules change once it is available"
        return None

    async def _share_call(self, ident: str, action: str, what: str, method: str, path: str, body: Any,
                          judge, timeout: float | None) -> ActionResult:
        with self._claim(ident, action, what):
            try:
                answer = await self._send(SERVICE, method, path, body, MV)
            except CloudError as err:
                if err.status == 404 and action == "delete":
                    self.store.merge("shares", [], [ident])
                    return ActionResult(True, f"{what}: it was already gone")
                return failed(what, err)
            if isinstance(answer, dict) and isinstance(answer.get("share"), dict):  # a new share
                ident = answer["share"].get("id", ident)
                self.store.merge("shares", [Share.from_api(answer["share"])])
            self.poller.kick("shares")
            result = await self._follow("shares", ident, judge, timeout or self.timeout)
            return result or ActionResult(False, f"{what}: still under way", still_running=True, value=ident)

    async def create_share(self, name: str, size_gb: int, proto: str = "CEPHFS", *, share_type: str | None = None,
                           description: str | None = None, timeout: float | None = None) -> ActionResult:
        """A new share, followed until available (or error); the value is its ID."""
        if size_gb < 1:
            raise ActionRefused("a share needs at least 1 GB")
        if proto.upper() not in PROTOCOLS:
            raise ActionRefused(f"the protocol is one of {', '.join(PROTOCOLS)}")
        if len(name) > NAME_MAX or len(description or "") > NAME_MAX:
            raise ActionRefused(f"a share's name and description hold at most {NAME_MAX} characters")
        spec: dict[str, Any] = {"name": name or None, "size": size_gb, "share_proto": proto.upper()}
        if description:
            spec["description"] = description
        if share_type:
            spec["share_type"] = share_type
        label = name or "(no name)"

        def judge(share: Share | None) -> ActionResult | None:
            if share is None or share.status in ("creating", "creating_from_snapshot"):
                return None
            ok = share.status == "available"
            return ActionResult(ok, f"share {label} " + ("created" if ok else f"is {share.status}"), share.status,
                                value=share.id)

        return await self._share_call(name or "new share", "create_share", f"create share {label}", "POST", "/shares",
                                      {"share": spec}, judge, timeout)

    async def extend_share(self, share_id: str, new_size_gb: int, *, timeout: float | None = None) -> ActionResult:
        share = self._share(share_id)
        if reason := self.why_not_extend_share(share, new_size_gb):
            raise ActionRefused(reason)

        def judge(now: Share | None) -> ActionResult | None:
            if now is None or now.status.startswith("error") or now.status.endswith("_error"):
                return ActionResult(False, f"share {share.name} is {now.status if now else 'gone'}")
            if now.size_gb >= new_size_gb and now.status == "available":
                return ActionResult(True, f"share {share.name} is now {now.size_gb} GB", now.status)
            return None

        return await self._share_call(share_id, "extend_share", f"extend share {share.name}", "POST",
                                      f"/shares/{share_id}/action", {"extend": {"new_size": new_size_gb}}, judge,
                                      timeout)

    async def delete_share(self, share_id: str, *, timeout: float | None = None) -> ActionResult:
        """Delete the share (its access rules go with it). The UI asks first (delete always asks)."""
        share = self._share(share_id)
        if reason := self.why_not_delete_share(share):
            raise ActionRefused(reason)

        def judge(now: Share | None) -> ActionResult | None:
            if now is None:
                return ActionResult(True, f"share {share.name} deleted")
            if now.status.startswith("error"):
                return ActionResult(False, f"share {share.name} is {now.status}", now.status)
            return None

        return await self._share_call(share_id, "delete_share", f"delete share {share.name}", "DELETE",
                                      f"/shares/{share_id}", None, judge, timeout)

    async def grant_access(self, share_id: str, access_type: str, access_to: str, level: str = "rw", *,
                           timeout: float | None = None) -> ActionResult:
        """A new access rule (cephx: a Ceph client name; ip: an address or CIDR), followed until Manila has
        applied it (state active, and for cephx a key made); the value is the AccessRule."""
        share = self._share(share_id)
        if reason := self.why_not_change_access(share):
            raise ActionRefused(reason)
        if access_type not in ("cephx", "ip"):
            raise ActionRefused("exotui grants cephx or ip access")
        if level not in ("rw", "ro"):
            raise ActionRefused("the access level is rw or ro")
        problem = cephx_problem(access_to) if access_type == "cephx" else ip_problem(access_to)
        if problem:
            raise ActionRefused(problem)
        what = f"grant {access_type} {access_to} on share {share.name}"
        body = {"allow_access": {"access_type": access_type, "access_to": access_to, "access_level": level}}
        with self._claim(share_id, f"grant {access_type}:{access_to}", what):
            try:
                answer = await self._send(SERVICE, "POST", f"/shares/{share_id}/action", body, MV, secret=True)
            except CloudError as err:
                return failed(what, err)
            rule = AccessRule.from_api((answer or {}).get("access") or {}, share_id)
            if not rule.id:
                return ActionResult(False, f"{what}: Manila did not say which rule it made", still_running=True)
            return await self._follow_rule(rule, what, timeout, gone_is_done=False)

    async def revoke_access(self, rule: AccessRule, *, timeout: float | None = None) -> ActionResult:
        """Deny the rule; followed until Manila no longer lists it. The UI asks first."""
        share = self._share(rule.share_id)
        if reason := self.why_not_change_access(share):
            raise ActionRefused(reason)
        what = f"revoke {rule.access_type} {rule.access_to} on share {share.name}"
        with self._claim(rule.id, "revoke_access", what):
            try:
                await self._send(SERVICE, "POST", f"/shares/{rule.share_id}/action",
                                 {"deny_access": {"access_id": rule.id}}, MV)
            except CloudError as err:
                if err.status == 404:
                    return ActionResult(True, f"{what}: it was already gone")
                return failed(what, err)
            return await self._follow_rule(rule, what, timeout, gone_is_done=True)

    async def _follow_rule(self, rule: AccessRule, what: str, timeout: float | None, *,
                           gone_is_done: bool) -> ActionResult:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + (timeout or self.timeout)
        while True:
            try:
                now: AccessRule | None = await fetch_rule(self.session, rule.id)
            except CloudError as err:
                if err.status != 404:
                    now = rule  # a poll that failed: try again until the deadline
                else:
                    now = None
            if now is None:
                self.poller.kick("shares")
                return ActionResult(gone_is_done, f"{what}: done" if gone_is_done else f"{what}: the rule is gone")
            if not gone_is_done and now.state == "active" and (now.has_key or now.access_type != "cephx"):
                self.poller.kick("shares")
                return ActionResult(True, f"{what}: active", now.state, value=now)
            if now.state == "error":
                return ActionResult(False, f"could not {what}: Manila put the rule in error", now.state, value=now)
            if loop.time() >= deadline:
                return ActionResult(False, f"{what}: still under way", now.state, still_running=True, value=now)
            await asyncio.sleep(max(self.poller.intervals.fast, 0.05))

    async def rule_for(self, share_id: str, access_type: str, access_to: str) -> AccessRule | None:
        """The share's rule for this client, if it has one (the mount flow reuses it rather than making one)."""
        for rule in await fetch_rules(self.session, share_id):
            if rule.access_type == access_type and rule.raw_to == access_to:
                return rule
        return None

    async def mount_rule(self, share_id: str, *, timeout: float | None = None) -> ActionResult:
        """The cephx rule to mount the share with: its first active cephx rule, else a new one named after the
        share (granted read-write and followed until Manila has made its key). The value is the AccessRule."""
        share = self._share(share_id)
        if share.proto.upper() != "CEPHFS":
            raise ActionRefused(f"share {share.name} is {share.proto}: only CephFS shares mount with a cephx rule")
        for rule in await fetch_rules(self.session, share_id):
            if rule.access_type == "cephx" and rule.state == "active" and rule.has_key:
                return ActionResult(True, f"share {share.name}: uses its cephx rule {rule.access_to}", rule.state,
                                    value=rule)
        return await self.grant_access(share_id, "cephx", cephx_name_for(share), timeout=timeout)

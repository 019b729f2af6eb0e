"""Credentials made and removed: EC2 pairs for S3, application credentials (name, expiry, roles, access
rules). Every request goes through `_send`, with keystoneauth's logging off where an answer holds a secret."""

from __future__ import annotations

import datetime as dt

from ..credentials import AppCredential, Ec2Credential
from ..models import printable
from ..session import CloudError
from .base import ActionRefused, ActionResult, ActionsBase, failed

ACCESS_RULE_METHODS = ("DELETE", "GET", "HEAD", "PATCH", "POST", "PUT")


class CredentialActions(ActionsBase):
    async def _user_id(self) -> str:
        conn = await self.session.connection()
        return conn.current_user_id

    async def create_ec2(self) -> ActionResult:
        """A new EC2 pair for this project; the value is the Ec2Credential (its secret hidden from repr)."""
        what = "create EC2 credentials"
        with self._claim("ec2", "create_ec2", what):
            try:
                user_id = await self._user_id()
                project_id = self.session.project_id
                answer = await self._send("identity", "POST", f"/users/{user_id}/credentials/OS-EC2",
                                          {"tenant_id": project_id}, secret=True)
            except CloudError as err:
                return failed(what, err)
        cred = Ec2Credential.from_api((answer or {}).get("credential") or {})
        return ActionResult(True, f"EC2 credentials {cred.access} created", value=cred)

    async def delete_ec2(self, access: str) -> ActionResult:
        what = f"delete EC2 credentials {printable(access)}"
        with self._claim(access, "delete_ec2", what):
            try:
                user_id = await self._user_id()
                await self._send("identity", "DELETE", f"/users/{user_id}/credentials/OS-EC2/{access}")
            except CloudError as err:
                return failed(what, err)
        return ActionResult(True, f"{what}: done")

    async def create_app_credential(self, name: str, *, description: str | None = None,
                                    expires_at: dt.datetime | None = None, roles: list[str] | None = None,
                                    access_rules: list[dict] | None = None,
                                    unrestricted: bool = False) -> ActionResult:
        """A new application credential of this project; the value is an AppCredential, the only time its
        secret is known. `roles` by name (default: all of the token's); `access_rules` as Keystone takes
        them ({"service", "method", "path"})."""
        if not name.strip():
            raise ActionRefused("an application credential needs a name")
        if expires_at is not None and expires_at.tzinfo is None:
            raise ActionRefused("the expiry needs a time zone")
        for rule in access_rules or []:
            if rule.get("method") not in ACCESS_RULE_METHODS or not str(rule.get("path", "")).startswith("/") \
                    or not rule.get("service"):
                raise ActionRefused("an access rule needs a service type, a method (GET, PUT, ...) and a path "
                                    "starting with /")
        spec: dict = {"name": name}
        if description:
            spec["description"] = description
        if expires_at is not None:
            spec["expires_at"] = expires_at.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")
        if roles:
            spec["roles"] = [{"name": r} for r in roles]
        if access_rules:
            spec["access_rules"] = [{k: rule[k] for k in ("service", "method", "path")} for rule in access_rules]
        if unrestricted:
            spec["unrestricted"] = True
        what = f"create application credential {printable(name)}"
        with self._claim(name, "create_app_credential", what):
            try:
                user_id = await self._user_id()
                answer = await self._send("identity", "POST", f"/users/{user_id}/application_credentials",
                                          {"application_credential": spec}, secret=True)
            except CloudError as err:
                return failed(what, err)
        made = (answer or {}).get("application_credential") or {}
        cred = AppCredential(str(made.get("id", "")), printable(str(made.get("name", name))),
                             str(made.get("project_id", "")), made.get("expires_at"),
                             tuple(printable(str(r.get("name", ""))) for r in made.get("roles") or []),
                             str(made.get("secret", "")))
        return ActionResult(True, f"application credential {cred.name} created", value=cred)

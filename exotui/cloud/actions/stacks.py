"""Heat stacks: create from a template file with parameters, and delete, each followed through the stack's
own status (and its event log, reported as progress) until it settles. Both go through `_send`, so the
read-only mode refuses them before they leave; `_claim` keeps a double key press from sending twice."""

from __future__ import annotations

import asyncio
from typing import Any

from ..models import Stack
from ..session import CloudError
from ..stacks import SERVICE, EventLog, TemplateFile, fetch_stack, stack_path
from .base import ActionRefused, ActionResult, ActionsBase, Progress, failed

_MADE_KINDS = ("stacks", "servers", "volumes", "networks", "subnets", "ports", "floating_ips")


class StackActions(ActionsBase):
    @staticmethod
    def why_not_delete_stack(stack: Stack) -> str | None:
        if stack.status == "DELETE_IN_PROGRESS":
            return "the stack is being deleted already"
        if stack.status == "DELETE_COMPLETE":
            return "the stack is deleted"
        return None

    async def create_stack(self, name: str, template: TemplateFile, parameters: dict[str, str] | None = None, *,
                           timeout_mins: int | None = None, progress: Progress | None = None,
                           timeout: float | None = None) -> ActionResult:
        """A new stack, followed until CREATE_COMPLETE or CREATE_FAILED; the value is the stack's ID.
        `progress` hears each event as Heat records it ("server: CREATE_COMPLETE")."""
        if not name or not name[0].isalpha() or not all(c.isalnum() or c in "_-." for c in name) or len(name) > 255:
            raise ActionRefused("a stack name starts with a letter and holds only letters, digits and _-.")
        body: dict[str, Any] = {"stack_name": name, "template": template.text, "parameters": dict(parameters or {}),
                                "disable_rollback": True}
        if timeout_mins:
            body["timeout_mins"] = timeout_mins
        what = f"create stack {name}"
        with self._claim(name, "create_stack", what):
            try:
                answer = await self._send(SERVICE, "POST", "/stacks", body)
            except CloudError as err:
                return failed(what, err)
            ident = ((answer or {}).get("stack") or {}).get("id")
            if not ident:
                return ActionResult(False, f"{what}: Heat did not say which stack it made", still_running=True)
            stack = Stack(id=ident, name=name, raw_name=name)
            return await self._follow_stack(stack, "CREATE", what, progress, timeout)

    async def delete_stack(self, stack: Stack, *, progress: Progress | None = None,
                           timeout: float | None = None) -> ActionResult:
        """Delete the stack and everything it made; followed until Heat says DELETE_COMPLETE (or the stack
        is gone). The UI asks first (delete always asks)."""
        if reason := self.why_not_delete_stack(stack):
            raise ActionRefused(reason)
        what = f"delete stack {stack.name}"
        with self._claim(stack.id, "delete_stack", what):
            try:
                await self._send(SERVICE, "DELETE", stack_path(stack))
            except CloudError as err:
                if err.status == 404:
                    return ActionResult(True, f"stack {stack.name} was already gone")
                return failed(what, err)
            return await self._follow_stack(stack, "DELETE", what, progress, timeout)

    async def _follow_stack(self, stack: Stack, action: str, what: str, progress: Progress | None,
                            timeout: float | None) -> ActionResult:
        log = EventLog(stack)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + (timeout or self.timeout)
        async def tell() -> None:
            for event in await log.poll(self.session):
                if progress is not None:
                    progress(f"{event.resource_name}: {event.status}"
                             + (f" ({event.status_reason})" if event.status_reason not in ("", "state changed")
                                else ""))

        while True:
            try:
                await tell()
                now = await fetch_stack(self.session, stack)
                if not now.in_progress:
                    await tell()  # the events of the moment it settled, between the two reads
            except CloudError as err:
                if err.status == 404 and action == "DELETE":
                    self.poller.kick(*_MADE_KINDS)
                    return ActionResult(True, f"stack {stack.name} deleted", "DELETE_COMPLETE")
                now = None  # a poll that failed: try again until the deadline
            if now is not None and now.status.startswith(action) and not now.in_progress:
                self.poller.kick(*_MADE_KINDS)  # what the stack made or removed shows up now, not in 5 minutes
                ok = now.status == f"{action}_COMPLETE"
                done = {"CREATE": "created", "DELETE": "deleted"}[action]
                message = f"stack {stack.name} {done}" if ok else f"could not {what}: {now.status_reason or now.status}"
                return ActionResult(ok, message, now.status, value=stack.id)
            if loop.time() >= deadline:
                return ActionResult(False, f"{what}: still under way", now.status if now else None,
                                    still_running=True, value=stack.id)
            await asyncio.sleep(max(self.poller.intervals.fast, 0.05))

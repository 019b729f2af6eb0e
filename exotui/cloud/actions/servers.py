"""Nova instances: every server action of action_table.py run and followed until it settles, fails or runs
long; launching; the console log; and what Nova and Keystone say about an instance's user and password."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import re
from dataclasses import replace
from typing import Any

from ..action_table import GROUPS, LAUNCH_SETTLES, SERVER_ACTION, VOLUME, ServerAction
from ..models import TRANSITIONAL, Server, Volume, printable, printable_lines
from ..rules import allowed_actions, resize_verdict, server_flavor
from ..session import CloudError
from .base import LOST_ANSWER_WAIT, READ_ONLY, ActionRefused, ActionResult, ActionsBase, Progress, failed, where
from .volumes import VolumeActions

USER_DATA_MAX = 65535  # Nova's limit on the base64 text


class ServerActions(ActionsBase):
    async def run(self, server_id: str, action: str, *, progress: Progress | None = None,
                  timeout: float | None = None, **params: Any) -> ActionResult:
        """Run `action` (a name in action_table.SERVER_ACTIONS) on an instance and follow it until it settles.

        params: resize flavor_id; create_image name (the result's value is the image ID); lock reason;
        delete release_floating_ips; attach_volume/detach_volume volume_id;
        add_security_group/remove_security_group name. `progress` hears each task_state.
        """
        declared = SERVER_ACTION.get(action)
        if declared is None or not declared.writes:
            raise ValueError(f"unknown action {action!r}")
        verb = declared.verb
        server = self._server(server_id)
        with self._claim(server_id, action, f"{verb} {server.name}"):
            self._check(server, action, params)
            method, path, body = declared.request(server.id, params, self.session.compute_mv)
            self.poller.pending.add(server_id)
            try:
                try:
                    answer = await self._send("compute", method, path, body)
                except CloudError as err:
                    if not err.answer_lost:
                        return replace(failed(f"{verb} {server.name}", err, server.status),
                                       task_state=server.task_state)
                    answer = None
                    result = await self._after_lost_answer(server, action, params, progress, err,
                                                           min(timeout or self.timeout, LOST_ANSWER_WAIT))
                else:
                    self.poller.kick()
                    result = await self._settle(server, action, params, progress, timeout or self.timeout)
            finally:
                self.poller.pending.discard(server_id)
            if action == "create_image":
                result = replace(result, value=(answer or {}).get("image_id"))
            if result.ok and action == "delete" and params.get("release_floating_ips"):
                result = await self._release_after_delete(server, result)
            if declared.then_poll and (result.ok or action != "delete"):  # a failed delete freed nothing
                self.poller.kick(*declared.then_poll)
            return result

    async def _after_lost_answer(self, server: Server, action: str, params: dict, progress: Progress | None,
                                 err: CloudError, wait: float) -> ActionResult:
        """The request went out and its answer was lost: the cloud may have done it. It is not sent again;
        the instance is followed for a while, and the result says what it shows."""
        verb = SERVER_ACTION[action].verb
        self.poller.kick()
        result = await self._settle(server, action, params, progress, wait)
        if result.ok:
            return replace(result, message=f"{result.message} (the cloud's answer was lost, but the instance "
                                           "shows it done)")
        now = where(self.store.item("servers", server.id) or server)
        return replace(result, ok=False, message=f"{verb} {server.name}: {err.message}; not sent again, and "
                                                  f"after {wait:g} s the instance is {now}: it may still happen, "
                                                  "or try again")

    def why_not_now(self, server: Server) -> dict[str, str | None]:
        """Each server action with why it is not offered for this instance now (None: it is): Nova's rules and
        the cloud's, then what the store says stands in the way, then an identical action under way, then
        read-only mode. The action menu shows exactly this."""
        verdicts = allowed_actions(server, server_flavor(server, self.store.get("flavors").values()),
                                   self.cloud_rules)
        reasons: dict[str, str | None] = {}
        for action, verdict in verdicts.items():
            reason = verdict.reason if not verdict else self._in_the_way(server, action)
            if reason is None and self.busy(server.id, action):
                reason = "already in progress"
            if reason is None and self.readonly:
                reason = READ_ONLY
            reasons[action] = reason
        return reasons

    def _in_the_way(self, server: Server, action: str) -> str | None:
        """What the store says stands in the way of offering `action`, beyond Nova's state rules."""
        store = self.store
        # Nova takes these as 202 no-ops (rules.py holds Nova's answer); offered as possible they mislead
        if action == "lock" and server.locked:
            return "the instance is already locked"
        if action == "unlock" and not server.locked:
            return "the instance is not locked"
        if action == "attach_volume" and not any(v.status == "available" for v in store.get("volumes").values()):
            return "no volume is available to attach: create one in the Volumes view"
        if action == "detach_volume" and not self.attached_volumes(server):
            return "no volume is attached"
        if action == "add_security_group" and not [g for g in store.get("security_groups").values()
                                                   if g.api_name not in server.api_security_groups]:
            return "it is in every security group of the project"
        if action == "remove_security_group" and not server.security_groups:
            return "it is in no security group"
        return None

    def attached_volumes(self, server: Server) -> list[Volume]:
        """The project's volumes attached to this instance."""
        return [v for v in self.store.get("volumes").values() if any(a.server_id == server.id
                                                                     for a in v.attachments)]

    def _check(self, server: Server, action: str, params: dict) -> None:
        current = server_flavor(server, self.store.get("flavors").values())
        verdict = allowed_actions(server, current, self.cloud_rules)[action]
        if action == "resize" and verdict:
            target = self._item("flavors", str(params.get("flavor_id", "")), "choose a flavor this project can use")
            # quotas are left to Nova: a stale local copy must not refuse what the cloud would allow
            verdict = resize_verdict(server, current, target, (), self.cloud_rules)
        if not verdict:
            raise ActionRefused(verdict.reason or "not allowed now")
        if action == "create_image" and not str(params.get("name") or "").strip():
            raise ActionRefused("a snapshot needs a name")
        if action in ("attach_volume", "detach_volume"):
            volume = self._item("volumes", str(params.get("volume_id", "")), "this volume is not in the project")
            attached = [a.server_id for a in volume.attachments]
            if action == "attach_volume" and (reason := VolumeActions.why_not_attach_volume(volume)):
                raise ActionRefused(reason)
            if action == "detach_volume" and server.id not in attached:
                raise ActionRefused("the volume is not attached to this instance")
        if action in ("add_security_group", "remove_security_group"):
            name = str(params.get("name") or "")
            if (name in server.api_security_groups) == (action == "add_security_group"):
                raise ActionRefused(f"the instance is {'already' if action == 'add_security_group' else 'not'} "
                                    f"in security group {name}")

    async def _settle(self, before: Server, action: str, params: dict, progress: Progress | None,
                      timeout: float) -> ActionResult:
        """Follow what the accepted action does until it ends."""
        declared = SERVER_ACTION[action]
        done, name = declared.done, before.name
        if declared.follows == VOLUME:
            volume_id, attach = params["volume_id"], action == "attach_volume"

            def judge_volume(volume: Volume | None) -> ActionResult | None:
                if volume is None or volume.status.startswith("error"):
                    return ActionResult(False, f"{name}: the volume is {volume.status if volume else 'gone'}")
                attached = before.id in {a.server_id for a in volume.attachments}
                if volume.status in ("available", "in-use") and attached == attach:
                    return ActionResult(True, f"{name}: {done}", volume.status)
                return None

            await self._try_refresh("volumes", volume_id)
            result = await self._follow("volumes", volume_id, judge_volume, timeout)
            await self._try_refresh("servers", before.id)  # its volume list
            return result or ActionResult(False, f"{name}: still waiting for the volume", still_running=True)

        if declared.follows == GROUPS:
            wanted = action == "add_security_group"

            def judge_groups(server: Server | None) -> ActionResult | None:
                if server is not None and (params["name"] in server.api_security_groups) == wanted:
                    return ActionResult(True, f"{name}: {done}", server.status, server.task_state)
                return None

            # Neutron changes the ports; the server's `updated` stays, so changes-since never brings it
            self.poller.kick("ports")
            result = await self._follow("servers", before.id, judge_groups, timeout,
                                        nudge=lambda: self._try_refresh("servers", before.id))
            return result or ActionResult(False, f"{name}: the change has not shown up yet", still_running=True)

        return await self._follow_server(before, action, progress, timeout)

    async def _follow_server(self, before: Server, action: str, progress: Progress | None,
                             timeout: float) -> ActionResult:
        follower = ServerFollower(before, action, progress)
        with contextlib.suppress(CloudError):
            follower.trust(await self._refresh("servers", before.id))
        result = await self._follow("servers", before.id, follower.judge, timeout)
        if result is None:
            server = self.store.item("servers", before.id) or before
            return ActionResult(False, f"{before.name}: still under way after {timeout:g} s ({where(server)})",
                                server.status, server.task_state, still_running=True)
        if not result.ok and follower.quiet_failure:
            # no fault to show: Nova's instance-action record often says why (e.g. "No valid host")
            with contextlib.suppress(CloudError, AttributeError, TypeError):
                body = await self.session.get_json("compute", f"/servers/{before.id}/os-instance-actions",
                                                   microversion=self.session.compute_mv)
                latest = (body.get("instanceActions") or [{}])[0]
                if latest.get("message"):
                    result = replace(result, message=f"{result.message}: {latest['message']}")
        return result

    async def attach_volume(self, server_id: str, volume_id: str, **kw: Any) -> ActionResult:
        return await self.run(server_id, "attach_volume", volume_id=volume_id, **kw)

    async def detach_volume(self, server_id: str, volume_id: str, **kw: Any) -> ActionResult:
        return await self.run(server_id, "detach_volume", volume_id=volume_id, **kw)

    async def attach_security_group(self, server_id: str, name: str, **kw: Any) -> ActionResult:
        return await self.run(server_id, "add_security_group", name=name, **kw)

    async def detach_security_group(self, server_id: str, name: str, **kw: Any) -> ActionResult:
        return await self.run(server_id, "remove_security_group", name=name, **kw)

    async def _release_after_delete(self, server: Server, result: ActionResult) -> ActionResult:
        problems = []
        for fip in [f for f in self.store.get("floating_ips").values() if f.address in server.floating_ips]:
            try:
                await self._send("network", "DELETE", f"/floatingips/{fip.id}")
                self.store.merge("floating_ips", [], [fip.id])
            except CloudError as err:
                problems.append(f"could not release {fip.address}: {err.message}")
        return replace(result, message="; ".join([result.message, *problems])) if problems else result

    async def console_log(self, server_id: str, length: int | None = None) -> ActionResult:
        """The instance's console output (its last `length` lines) as the result's value."""
        server = self._server(server_id)
        verdict = allowed_actions(server)["console_log"]
        if not verdict:
            raise ActionRefused(verdict.reason or "not available")
        declared = SERVER_ACTION["console_log"]
        method, path, request = declared.request(server_id, {"length": length}, self.session.compute_mv)
        try:
            body = await self._send("compute", method, path, request, write=declared.writes)
        except CloudError as err:
            return failed(f"read the console of {server.name}", err, server.status)
        output = (body or {}).get("output")
        return ActionResult(True, f"{server.name}: console log read", server.status,
                            value=printable_lines(output) if isinstance(output, str) else "")

    async def user_name(self, user_id: str) -> str | None:
        """The name Keystone gives a user ID (shown, made printable), or None where Keystone will not say
        (members may usually read only themselves: 403). Asked once per ID."""
        names = self.__dict__.setdefault("_user_names", {})
        if user_id not in names:
            try:
                body = await self.session.get_json("identity", f"/users/{user_id}")
                name = ((body or {}).get("user") or {}).get("name") if isinstance(body, dict) else None
            except CloudError:
                name = None
            names[user_id] = printable(name) if isinstance(name, str) and name else None
        return names[user_id]

    async def server_password(self, server_id: str) -> str | None:
        """The password the instance posted to Nova (os-server-password): on Exosphere-built instances,
        the generated passphrase of `exouser`. None when there is none or the cloud will not say.
        A secret: the caller uses it and shows or logs it nowhere."""
        try:
            body = await self.session.get_json("compute", f"/servers/{server_id}/os-server-password",
                                               microversion=self.session.compute_mv, secret=True)
        except CloudError:
            return None
        password = (body or {}).get("password") if isinstance(body, dict) else None
        return password if isinstance(password, str) and password else None

    async def launch(self, name: str, image_id: str | None, flavor_id: str, network_ids: list[str] | None = None,
                     key_name: str | None = None, security_groups: list[str] | None = None,
                     user_data: str | bytes | None = None, boot_volume_size_gb: int | None = None, count: int = 1, *,
                     min_count: int | None = None, boot_volume_id: str | None = None, floating_ip: bool = False,
                     progress: Progress | None = None, timeout: float | None = None) -> ActionResult:
        """Create up to `count` instances (at least `min_count`, as Nova's max_count and min_count: Nova builds as
        many as the quota allows between the two) and follow them until ACTIVE; the value is the tuple of their IDs.

        boot_volume_size_gb: boot from a new volume of that size made from the image (deleted with the instance);
        boot_volume_id: boot from that existing bootable volume (kept when the instance goes; one instance only).
        floating_ip: once ACTIVE, each instance gets a new floating IP from the external network.
        network_ids None: Nova's "auto" (the project's own network).
        """
        name = name.strip()
        least = count if min_count is None else min_count
        if not name or least < 1:
            raise ActionRefused("an instance needs a name" if not name else "launch at least one instance")
        if least > count:
            raise ActionRefused(f"at least {least} cannot be more than the count ({count})")
        if self.store.state("flavors").loaded and self.store.item("flavors", flavor_id) is None:
            raise ActionRefused("choose a flavor this project can use")
        spec: dict[str, Any] = {"name": name, "flavorRef": flavor_id, "min_count": least, "max_count": count,
                                "networks": [{"uuid": n} for n in network_ids] if network_ids else "auto"}
        if boot_volume_id:
            if count > 1:
                raise ActionRefused("one volume boots one instance: launch one, or boot from new volumes")
            volume = self.store.item("volumes", boot_volume_id)
            if volume is not None and (volume.status != "available" or not volume.bootable):
                raise ActionRefused(f"volume {volume.name or volume.id[:8]} is "
                                    + ("not bootable" if volume.status == "available" else volume.status))
            spec["block_device_mapping_v2"] = [{"boot_index": 0, "uuid": boot_volume_id, "source_type": "volume",
                                                "destination_type": "volume", "delete_on_termination": False}]
        elif not image_id:
            raise ActionRefused("choose an image to boot from")
        elif boot_volume_size_gb:
            spec["block_device_mapping_v2"] = [{"boot_index": 0, "uuid": image_id, "source_type": "image",
                                                "destination_type": "volume", "volume_size": boot_volume_size_gb,
                                                "delete_on_termination": True}]
        else:
            spec["imageRef"] = image_id
        if key_name:
            spec["key_name"] = key_name
        if security_groups:
            spec["security_groups"] = [{"name": g} for g in security_groups]
        if user_data:
            if problem := user_data_problem(user_data):
                raise ActionRefused(problem)
            spec["user_data"] = encode_user_data(user_data)
        with self._claim(name, "launch", f"launching {name}"):
            known = set(self.store.get("servers"))
            try:
                answer = await self._send("compute", "POST", "/servers", {"server": spec})
                ids = [answer["server"]["id"]]
                if count > 1:  # Nova answers with the first only; all are named name-1, name-2 ...
                    page = await self.session.get_list("compute", "/servers/detail", "servers",
                                                       params={"name": f"^{re.escape(name)}-\\d+$"},
                                                       microversion=self.session.compute_mv)
                    ids += [s["id"] for s in page.items if s.get("id") not in known and s.get("id") not in ids]
            except CloudError as err:
                return failed(f"launch {name}", err)
            self.poller.pending.update(ids)
            self.poller.kick()
            try:
                results = await asyncio.gather(*(self._follow_server(Server(i, name, "BUILD"), "launch", progress,
                                                                     timeout or self.timeout) for i in ids))
            finally:
                self.poller.pending.difference_update(ids)
                self.poller.kick("ports")  # the new instances' ports
        bad = [r for r in results if not r.ok]
        if bad:
            return replace(bad[0], value=tuple(ids))
        what = name if len(ids) == 1 else f"{len(ids)} instances"
        fewer = f" (the quota allowed {len(ids)} of {count})" if len(ids) < count else ""
        if floating_ip:
            addresses, problem = await self._floating_ips_for(ids)
            if problem:
                return ActionResult(False, f"{what}: launched and ACTIVE{fewer}, but {problem}", "ACTIVE",
                                    value=tuple(ids))
            return ActionResult(True, f"{what}: launched and ACTIVE{fewer} at {', '.join(addresses)}", "ACTIVE",
                                value=tuple(ids))
        return ActionResult(True, f"{what}: launched and ACTIVE{fewer}", "ACTIVE", value=tuple(ids))

    async def _floating_ips_for(self, server_ids: list[str]) -> tuple[list[str], str | None]:
        """A new floating IP for each instance, one after the other (one external network's allocation is one
        claim); the addresses, and what went wrong first (the instances stay either way)."""
        addresses: list[str] = []
        for server_id in server_ids:
            made = await self.allocate_floating_ip(description=f"for {self._server(server_id).name}")  # type: ignore[attr-defined]
            if not made.ok:
                return addresses, f"no floating IP: {made.message}"
            assigned = await self.assign_floating_ip(made.value.id, server_id)  # type: ignore[attr-defined]
            if not assigned.ok:
                return addresses, f"{made.value.address} was not assigned: {assigned.message}"
            addresses.append(made.value.address)
        return addresses, None


def encode_user_data(user_data: str | bytes) -> str:
    """User data as Nova takes it: base64 text."""
    raw = user_data.encode() if isinstance(user_data, str) else user_data
    return base64.b64encode(raw).decode()


def user_data_problem(user_data: str | bytes, raw: int | None = None) -> str | None:
    """Nova's limit on user data is 65535 characters of its base64 (about 48 KiB of script): what is wrong, or None.
    `raw`: its size in bytes when only its start was read (a file)."""
    if raw is None:
        raw = len(user_data.encode() if isinstance(user_data, str) else user_data)
    size = 4 * -(-raw // 3)  # base64's length
    if size > USER_DATA_MAX:
        return (f"the user data is too long: {raw:,} bytes is {size:,} in base64; Nova takes at most "
                f"{USER_DATA_MAX:,} ({USER_DATA_MAX * 3 // 4:,} bytes)")
    return None


class ServerFollower:
    """Judges each picture of one instance after Nova accepted an action: done, failed, or not yet."""

    def __init__(self, before: Server, action: str, progress: Progress | None):
        self.before = before
        self.action = action
        self.progress = progress
        declared: ServerAction | None = SERVER_ACTION.get(action)  # None: "launch"
        settles = declared.settles if declared is not None else LAUNCH_SETTLES
        self.targets = settles or {before.status}
        self.done = declared.done if declared is not None else "launched"
        self.started = action == "launch"  # evidence that a picture shows the action's effects
        self.floor = ""  # pictures older than this (Nova's `updated`) are stale polls
        self.last_task: str | None = None
        self.seen_task = False
        self.quiet_failure = False  # failed with no fault to show

    def trust(self, fresh: Server | None) -> None:
        """The picture fetched right after Nova answered. Nova sets the task before it answers, so
        this one shows the action under way or already done (a reboot that kept ACTIVE included)."""
        self.started = True
        if fresh is not None:
            self.floor = fresh.updated

    def judge(self, server: Server | None) -> ActionResult | None:
        name = self.before.name
        if server is None:
            if self.action == "delete":
                return ActionResult(True, f"{name}: deleted", "DELETED")
            return ActionResult(False, f"{name} is gone (deleted meanwhile?)", "DELETED") if self.started else None
        if self.floor and server.updated < self.floor:
            return None
        if server.task_state != self.last_task:
            self.last_task = server.task_state
            if server.task_state is not None:
                self.seen_task = True
                if self.progress is not None:
                    self.progress(server.task_state)
        if server.task_state or server.status != self.before.status or server.updated > self.before.updated:
            self.started = True
        if not self.started or server.task_state is not None:
            return None
        if server.status == "ERROR" and "ERROR" not in self.targets:
            return ActionResult(False, f"{name} went into ERROR: {server.fault or 'Nova gave no reason'}", "ERROR")
        if self.action == "delete":
            return None  # gone is the only end (a pending resize shows ACTIVE on the way)
        if server.status in self.targets and (self.action not in ("lock", "unlock")
                                              or server.locked == (self.action == "lock")):
            return ActionResult(True, f"{name}: {self.done}", server.status)
        if server.status in TRANSITIONAL or (server.status == self.before.status and not self.seen_task):
            return None  # e.g. confirmResize: VERIFY_RESIZE with no task until the compute host is done
        self.quiet_failure = not server.fault
        return ActionResult(False, f"{name} ended {server.status}, not {'/'.join(sorted(self.targets))}"
                            + (f": {server.fault}" if server.fault else ""), server.status)

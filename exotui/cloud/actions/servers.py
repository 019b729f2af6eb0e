"""Running actions on a project's resources and following each until it settles, fails or runs long.

Every action is checked locally first (rules.py) and refused with ActionRefused before anything is
sent; an identical action already under way is refused too, so a double key press never sends twice.
What the cloud answers arrives as an ActionResult in plain words: a 409 or a quota 403 is a failed
result carrying the cloud's message, never a traceback, and nothing is resent. Progress is read from
the store, which the poller keeps fresh (fast while `poller.pending` names the server).

Read-only (`exotui --readonly`, or `exotui: {readonly: true}` for the cloud in clouds.yaml): `_send`, which
every write goes through, refuses each one with READ_ONLY before anything leaves; reads still work.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import re
import time
from dataclasses import dataclass, replace
from typing import Any, Awaitable, Callable

from .models import TRANSITIONAL, FloatingIP, Port, SecurityGroup, Server, Volume, printable, printable_lines
from .poller import ProjectPoller
from .rules import CloudRules, allowed_actions, resize_verdict, server_flavor
from .session import CloudError, CloudSession
from .store import Change, ProjectStore

Progress = Callable[[str], Any]

# action -> (what the user asked for, as a verb; how it reads when done)
_WORDS = {
    "start": ("start", "started"), "stop": ("stop", "stopped"), "reboot_soft": ("reboot", "rebooted"),
    "reboot_hard": ("hard-reboot", "rebooted (hard)"), "pause": ("pause", "paused"),
    "unpause": ("unpause", "unpaused"), "suspend": ("suspend", "suspended"), "resume": ("resume", "resumed"),
    "shelve": ("shelve", "shelved"), "unshelve": ("unshelve", "unshelved"),
    "resize": ("resize", "resized: confirm or revert the resize"),
    "confirm_resize": ("confirm the resize of", "resize confirmed"),
    "revert_resize": ("revert the resize of", "resize reverted"), "rescue": ("rescue", "in rescue mode"),
    "unrescue": ("unrescue", "out of rescue mode"), "lock": ("lock", "locked"), "unlock": ("unlock", "unlocked"),
    "create_image": ("snapshot", "snapshot taken"), "delete": ("delete", "deleted"),
    "attach_volume": ("attach the volume to", "volume attached"),
    "detach_volume": ("detach the volume from", "volume detached"),
    "add_security_group": ("add the security group to", "security group added"),
    "remove_security_group": ("remove the security group from", "security group removed"),
}
SERVER_ACTIONS = tuple(_WORDS)
# Nova's action bodies for the actions that take no parameters
_BODIES: dict[str, dict] = {
    "start": {"os-start": None}, "stop": {"os-stop": None}, "reboot_soft": {"reboot": {"type": "SOFT"}},
    "reboot_hard": {"reboot": {"type": "HARD"}}, "pause": {"pause": None}, "unpause": {"unpause": None},
    "suspend": {"suspend": None}, "resume": {"resume": None}, "shelve": {"shelve": None},
    "unshelve": {"unshelve": None}, "confirm_resize": {"confirmResize": None},
    "revert_resize": {"revertResize": None}, "rescue": {"rescue": None}, "unrescue": {"unrescue": None},
    "unlock": {"unlock": None},
}
# the statuses an action settles in (with no task); absent: the status the server had
_SETTLES = {
    "start": {"ACTIVE"}, "stop": {"SHUTOFF"}, "reboot_soft": {"ACTIVE"}, "reboot_hard": {"ACTIVE"},
    "pause": {"PAUSED"}, "unpause": {"ACTIVE"}, "suspend": {"SUSPENDED"}, "resume": {"ACTIVE"},
    "shelve": {"SHELVED_OFFLOADED", "SHELVED"},  # SHELVED stays when the cloud never offloads
    "unshelve": {"ACTIVE"}, "resize": {"VERIFY_RESIZE"},
    "confirm_resize": {"ACTIVE", "SHUTOFF"}, "revert_resize": {"ACTIVE", "SHUTOFF"},  # SHUTOFF: resized while off
    "rescue": {"RESCUE"}, "unrescue": {"ACTIVE"}, "launch": {"ACTIVE"},
}
LOST_ANSWER_WAIT = 60.0  # how long an action whose answer was lost is watched for a sign it was done
DEFAULT_TIMEOUT = 900.0  # Jetstream2 says shelving can take "up to ~15ish minutes"
USER_DATA_MAX = 65535  # Nova's limit on the base64 text
READ_ONLY = "read-only: not sent"


@dataclass(frozen=True)
class ActionResult:
    """How an action ended. `still_running`: it had not settled when the wait ran out."""

    ok: bool
    message: str
    status: str | None = None  # the resource's status at the end
    task_state: str | None = None
    still_running: bool = False
    http_status: int | None = None  # set when the cloud refused the request
    value: Any = None  # what the action made: image ID, server IDs, volume ID, FloatingIP, rule ID, console text


class ActionRefused(Exception):
    """Refused locally, before anything was sent; `reason` says why in the user's words."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def _where(server: Server) -> str:
    """Its status, with the task under way: "ACTIVE · rebooting"."""
    return server.status + (f" · {server.task_state}" if server.task_state else "")


def _failed(what: str, err: CloudError, status: str | None = None) -> ActionResult:
    if err.answer_lost:  # it went out: the cloud may have done it, and the poller will show it if so
        return ActionResult(False, f"{what}: {err.message}; it may have been done (not sent again): "
                                   "the tables show what the cloud did", status, still_running=True)
    return ActionResult(False, f"could not {what}: {err.message}", status, http_status=err.status)


# the first segment of an action's path -> the store's kind it acts on
_PATH_KINDS = {"servers": "servers", "volumes": "volumes", "floatingips": "floating_ips", "ports": "ports",
               "security-groups": "security_groups", "security-group-rules": "security_group_rules"}


class Actions:
    """Actions on one project: `await actions.run(server_id, "stop")` and the resource methods below."""

    def __init__(self, session: CloudSession, store: ProjectStore, poller: ProjectPoller, *,
                 cloud_rules: CloudRules | None = None, timeout: float = DEFAULT_TIMEOUT, readonly: bool = False):
        self.session = session
        self.readonly = readonly  # every write refused before it is sent (READ_ONLY)
        self.store = store
        self.poller = poller
        self.cloud_rules = cloud_rules
        self.timeout = timeout
        self.in_flight: set[tuple[str, str]] = set()  # (resource ID, action) under way

    # --- plumbing --------------------------------------------------------------------------------

    @contextlib.contextmanager
    def _claim(self, ident: str, action: str, what: str):
        # checked and taken before the first await: a second press sees the first one's claim
        if (ident, action) in self.in_flight:
            raise ActionRefused(f"{what}: already in progress")
        self.in_flight.add((ident, action))
        try:
            yield
        finally:
            self.in_flight.discard((ident, action))

    async def _send(self, service: str, method: str, path: str, body: Any = None, mv: str | None = None,
                    *, write: bool = True) -> Any:
        """Every request that may change something goes through here (`write=False`: a read that has to be
        a POST, like the console log), so read-only mode refuses it here, before it is sent."""
        if write and self.readonly:
            raise ActionRefused(READ_ONLY)
        if service == "compute":
            mv = self.session.compute_mv
        try:
            return await self.session.request(service, method, path, json=body, microversion=mv)
        except CloudError as err:
            if err.status == 404:
                await self._gone(path)
            raise

    async def _gone(self, path: str) -> None:
        """The cloud answered 404 about `path`: re-check the resource it names at once, so a row the
        cloud no longer has leaves the table now rather than at the next full list."""
        parts = path.strip("/").split("/")
        if len(parts) < 2:
            return
        kind = _PATH_KINDS.get(parts[0])
        if kind is None:
            return
        if kind == "security_group_rules":  # a rule lives in its group: list the groups again
            self.poller.kick("security_groups")
            return
        with contextlib.suppress(CloudError):  # else the poller's reconciliation removes it later
            await self.poller.recheck(kind, parts[1])

    async def _refresh(self, kind: str, ident: str) -> Any | None:
        """Fetch one resource now into the store; None (and removed from the store) if it is gone."""
        service, path, key, model = {
            "servers": ("compute", f"/servers/{ident}", "server", Server),
            "volumes": ("block_storage", f"/volumes/{ident}", "volume", Volume),
            "security_groups": ("network", f"/security-groups/{ident}", "security_group", SecurityGroup),
        }[kind]
        sent = time.monotonic()
        try:
            body = await self.session.get_json(service, path, microversion=self.session.compute_mv
                                               if service == "compute" else None)
            item = model.from_api(body.get(key) or {})
        except CloudError as err:
            if err.status != 404:
                raise
            item = None
        if item is None or (kind == "servers" and item.deleted):
            self.store.merge(kind, [], [ident], as_of=sent)
            return None
        self.store.merge(kind, [item], as_of=sent)
        return self.store.item(kind, ident)

    async def _try_refresh(self, kind: str, ident: str) -> None:
        with contextlib.suppress(CloudError):  # the poller brings it later
            await self._refresh(kind, ident)

    async def _follow(self, kind: str, ident: str, judge: Callable[[Any], ActionResult | None], timeout: float,
                      nudge: Callable[[], Awaitable[Any]] | None = None) -> ActionResult | None:
        """Judge the store's copy of one resource on each change of it until there is a result (None: timed out).

        After a fast-poll interval with nothing new, `nudge` runs (default: ask the poller for `kind`).
        """
        loop = asyncio.get_running_loop()
        wake = asyncio.Event()
        news = False

        def listener(change: Change) -> None:
            nonlocal news
            if change.kind == kind and ident in (change.added | change.updated | change.removed):
                news = True
                wake.set()

        unsubscribe = self.store.subscribe(listener)
        deadline = loop.time() + timeout
        try:
            while (result := judge(self.store.item(kind, ident))) is None:
                remaining = deadline - loop.time()
                if remaining <= 0:
                    return None
                news = False
                wake.clear()
                # a timer rather than wait_for, which on Python < 3.12 can swallow a cancel
                timer = loop.call_later(min(remaining, max(self.poller.intervals.fast, 0.05)), wake.set)
                try:
                    await wake.wait()
                finally:
                    timer.cancel()
                if not news:
                    if nudge is None:
                        self.poller.kick(kind)
                    else:
                        await nudge()
            return result
        finally:
            unsubscribe()

    def _item(self, kind: str, ident: str, missing: str) -> Any:
        item = self.store.item(kind, ident)
        if item is None:
            raise ActionRefused(missing)
        return item

    def _server(self, server_id: str) -> Server:
        return self._item("servers", server_id, "this instance is not in the project (deleted, or not loaded yet)")

    # --- server actions ----------------------------------------------------------------------------

    async def run(self, server_id: str, action: str, *, progress: Progress | None = None,
                  timeout: float | None = None, **params: Any) -> ActionResult:
        """Run `action` (see SERVER_ACTIONS) on an instance and follow it until it settles.

        params: resize flavor_id; create_image name (the result's value is the image ID); lock reason;
        delete release_floating_ips; attach_volume/detach_volume volume_id;
        add_security_group/remove_security_group name. `progress` hears each task_state.
        """
        if action not in _WORDS:
            raise ValueError(f"unknown action {action!r}")
        verb = _WORDS[action][0]
        server = self._server(server_id)
        with self._claim(server_id, action, f"{verb} {server.name}"):
            self._check(server, action, params)
            method, path, body = self._server_request(server, action, params)
            self.poller.pending.add(server_id)
            try:
                try:
                    answer = await self._send("compute", method, path, body)
                except CloudError as err:
                    if not err.answer_lost:
                        return replace(_failed(f"{verb} {server.name}", err, server.status),
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
                self.poller.kick("images")
                result = replace(result, value=(answer or {}).get("image_id"))
            if result.ok and action == "delete":
                if params.get("release_floating_ips"):
                    result = await self._release_after_delete(server, result)
                self.poller.kick("ports", "floating_ips", "volumes")  # what the instance held is free now
            return result

    async def _after_lost_answer(self, server: Server, action: str, params: dict, progress: Progress | None,
                                 err: CloudError, wait: float) -> ActionResult:
        """The request went out and its answer was lost: the cloud may have done it. It is not sent again;
        the instance is followed for a while, and the result says what it shows."""
        verb = _WORDS[action][0]
        self.poller.kick()
        result = await self._settle(server, action, params, progress, wait)
        if result.ok:
            return replace(result, message=f"{result.message} (the cloud's answer was lost, but the instance "
                                           "shows it done)")
        where = _where(self.store.item("servers", server.id) or server)
        return replace(result, ok=False, message=f"{verb} {server.name}: {err.message}; not sent again, and "
                                                  f"after {wait:g} s the instance is {where}: it may still happen, "
                                                  "or try again")

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
            if action == "attach_volume" and volume.status != "available":
                raise ActionRefused(f"the volume is {volume.status}" + (": detach it first" if attached else ""))
            if action == "detach_volume" and server.id not in attached:
                raise ActionRefused("the volume is not attached to this instance")
        if action in ("add_security_group", "remove_security_group"):
            name = str(params.get("name") or "")
            if (name in server.api_security_groups) == (action == "add_security_group"):
                raise ActionRefused(f"the instance is {'already' if action == 'add_security_group' else 'not'} "
                                    f"in security group {name}")

    def _server_request(self, server: Server, action: str, params: dict) -> tuple[str, str, Any]:
        base = f"/servers/{server.id}"
        if action in _BODIES:
            return "POST", f"{base}/action", _BODIES[action]
        if action == "resize":
            return "POST", f"{base}/action", {"resize": {"flavorRef": str(params["flavor_id"])}}
        if action == "lock":
            # locked_reason arrived with 2.73; older clouds reject the key
            newer = tuple(map(int, (self.session.compute_mv or "2.1").split("."))) >= (2, 73)
            reason = params.get("reason")
            return "POST", f"{base}/action", {"lock": {"locked_reason": reason} if reason and newer else None}
        if action == "create_image":
            return "POST", f"{base}/action", {"createImage": {"name": str(params["name"]).strip(),
                                                              "metadata": dict(params.get("metadata") or {})}}
        if action == "delete":
            return "DELETE", base, None
        if action == "attach_volume":
            return "POST", f"{base}/os-volume_attachments", {"volumeAttachment": {"volumeId": params["volume_id"]}}
        if action == "detach_volume":
            return "DELETE", f"{base}/os-volume_attachments/{params['volume_id']}", None
        key = "addSecurityGroup" if action == "add_security_group" else "removeSecurityGroup"
        return "POST", f"{base}/action", {key: {"name": params["name"]}}

    async def _settle(self, before: Server, action: str, params: dict, progress: Progress | None,
                      timeout: float) -> ActionResult:
        """Follow what the accepted action does until it ends."""
        done, name = _WORDS[action][1], before.name
        if action in ("attach_volume", "detach_volume"):
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

        if action in ("add_security_group", "remove_security_group"):
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
        follower = _ServerFollower(before, action, progress)
        with contextlib.suppress(CloudError):
            follower.trust(await self._refresh("servers", before.id))
        result = await self._follow("servers", before.id, follower.judge, timeout)
        if result is None:
            server = self.store.item("servers", before.id) or before
            return ActionResult(False, f"{before.name}: still under way after {timeout:g} s ({_where(server)})",
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
        try:
            body = await self._send("compute", "POST", f"/servers/{server_id}/action",
                                    {"os-getConsoleOutput": {"length": length}}, write=False)
        except CloudError as err:
            return _failed(f"read the console of {server.name}", err, server.status)
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

    # --- launch ----------------------------------------------------------------------------------

    async def launch(self, name: str, image_id: str | None, flavor_id: str, network_ids: list[str] | None = None,
                     key_name: str | None = None, security_groups: list[str] | None = None,
                     user_data: str | None = None, boot_volume_size_gb: int | None = None, count: int = 1, *,
                     progress: Progress | None = None, timeout: float | None = None) -> ActionResult:
        """Create `count` instances and follow them until ACTIVE; the value is the tuple of their IDs.

        boot_volume_size_gb: boot from a new volume of that size made from the image (deleted with
        the instance). network_ids None: Nova's "auto" (the project's own network).
        """
        name = name.strip()
        if not name or count < 1:
            raise ActionRefused("an instance needs a name" if not name else "launch at least one instance")
        if self.store.state("flavors").loaded and self.store.item("flavors", flavor_id) is None:
            raise ActionRefused("choose a flavor this project can use")
        if not image_id:
            raise ActionRefused("choose an image to boot from")
        spec: dict[str, Any] = {"name": name, "flavorRef": flavor_id, "min_count": count, "max_count": count,
                                "networks": [{"uuid": n} for n in network_ids] if network_ids else "auto"}
        if boot_volume_size_gb:
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
            spec["user_data"] = base64.b64encode(user_data.encode()).decode()
            if len(spec["user_data"]) > USER_DATA_MAX:
                raise ActionRefused(f"the user data is too long ({len(spec['user_data'])} bytes encoded; "
                                    f"Nova takes {USER_DATA_MAX})")
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
                return _failed(f"launch {name}", err)
            self.poller.pending.update(ids)
            self.poller.kick()
            try:
                results = await asyncio.gather(*(self._follow_server(Server(i, name, "BUILD"), "launch", progress,
                                                                     timeout or self.timeout) for i in ids))
            finally:
                self.poller.pending.difference_update(ids)
                self.poller.kick("ports")  # the new instances' ports
        failed = [r for r in results if not r.ok]
        if failed:
            return replace(failed[0], value=tuple(ids))
        what = name if len(ids) == 1 else f"{len(ids)} instances"
        return ActionResult(True, f"{what}: launched and ACTIVE", "ACTIVE", value=tuple(ids))

    # --- volumes ----------------------------------------------------------------------------------

    async def _volume_call(self, ident: str, action: str, what: str, method: str, path: str, body: Any,
                           judge: Callable[[Volume | None], ActionResult | None], timeout: float | None,
                           mv: str | None = None) -> ActionResult:
        with self._claim(ident, action, what):
            try:
                answer = await self._send("block_storage", method, path, body, mv)
            except CloudError as err:
                return _failed(what, err)
            if isinstance(answer, dict) and isinstance(answer.get("volume"), dict):  # a new volume
                ident = answer["volume"].get("id", ident)
                self.store.merge("volumes", [Volume.from_api(answer["volume"])])
            else:
                await self._try_refresh("volumes", ident)
            result = await self._follow("volumes", ident, judge, timeout or self.timeout)
            return result or ActionResult(False, f"{what}: still under way", still_running=True, value=ident)

    def _volume(self, volume_id: str) -> Volume:
        return self._item("volumes", volume_id, "this volume is not in the project")

    async def create_volume(self, name: str, size_gb: int, *, description: str | None = None,
                            volume_type: str | None = None, timeout: float | None = None) -> ActionResult:
        """A new empty volume, followed until available; the value is its ID."""
        if size_gb < 1:
            raise ActionRefused("a volume needs at least 1 GB")
        spec = {"name": name, "size": size_gb, "description": description}
        if volume_type:
            spec["volume_type"] = volume_type

        def judge(volume: Volume | None) -> ActionResult | None:
            if volume is None or volume.status == "creating":
                return None
            ok = volume.status == "available"
            return ActionResult(ok, f"volume {name} " + ("created" if ok else f"is {volume.status}"), volume.status,
                                value=volume.id)

        return await self._volume_call(name, "create_volume", f"create volume {name}", "POST", "/volumes",
                                       {"volume": spec}, judge, timeout)

    async def extend_volume(self, volume_id: str, new_size_gb: int, *, timeout: float | None = None) -> ActionResult:
        volume = self._volume(volume_id)
        if new_size_gb <= volume.size_gb:
            raise ActionRefused(f"the new size must be more than {volume.size_gb} GB (volumes only grow)")
        if volume.status not in ("available", "in-use"):
            raise ActionRefused(f"the volume is {volume.status}")

        def judge(vol: Volume | None) -> ActionResult | None:
            if vol is None or vol.status.startswith("error"):
                return ActionResult(False, f"volume {volume.name} is {vol.status if vol else 'gone'}")
            if vol.size_gb >= new_size_gb and vol.status in ("available", "in-use"):
                return ActionResult(True, f"volume {volume.name} is now {vol.size_gb} GB", vol.status)
            return None

        # an attached volume grows only from Cinder 3.42 on
        return await self._volume_call(volume_id, "extend", f"extend volume {volume.name}", "POST",
                                       f"/volumes/{volume_id}/action", {"os-extend": {"new_size": new_size_gb}},
                                       judge, timeout, "3.42" if volume.status == "in-use" else None)

    async def delete_volume(self, volume_id: str, *, timeout: float | None = None) -> ActionResult:
        volume = self._volume(volume_id)
        if volume.attachments:
            raise ActionRefused("the volume is attached to an instance: detach it first")

        def judge(vol: Volume | None) -> ActionResult | None:
            if vol is None:
                return ActionResult(True, f"volume {volume.name} deleted")
            if vol.status.startswith("error"):
                return ActionResult(False, f"volume {volume.name} is {vol.status}", vol.status)
            return None

        return await self._volume_call(volume_id, "delete", f"delete volume {volume.name}", "DELETE",
                                       f"/volumes/{volume_id}", None, judge, timeout)

    async def attach_volume(self, server_id: str, volume_id: str, **kw: Any) -> ActionResult:
        return await self.run(server_id, "attach_volume", volume_id=volume_id, **kw)

    async def detach_volume(self, server_id: str, volume_id: str, **kw: Any) -> ActionResult:
        return await self.run(server_id, "detach_volume", volume_id=volume_id, **kw)

    # --- floating IPs and security-group rules (Neutron answers at once: into the store it goes) ----

    def _floating_ip(self, floating_ip_id: str) -> FloatingIP:
        return self._item("floating_ips", floating_ip_id, "this floating IP is not in the project")

    async def allocate_floating_ip(self, network_id: str | None = None, description: str = "") -> ActionResult:
        """A new floating IP from `network_id` (default: the one external network); the value is the FloatingIP."""
        if network_id is None:
            external = [n for n in self.store.get("networks").values() if n.external]
            if len(external) != 1:
                raise ActionRefused("choose the external network to take the address from"
                                    if external else "no external network is visible to this project")
            network_id = external[0].id
        spec = {"floating_network_id": network_id, "description": description}
        with self._claim(network_id, "allocate", "allocating a floating IP"):
            try:
                answer = await self._send("network", "POST", "/floatingips", {"floatingip": spec})
            except CloudError as err:
                return _failed("allocate a floating IP", err)
        fip = FloatingIP.from_api(answer["floatingip"])
        self.store.merge("floating_ips", [fip])
        return ActionResult(True, f"allocated {fip.address}", fip.status, value=fip)

    async def assign_floating_ip(self, floating_ip_id: str, server_id: str,
                                 fixed_address: str | None = None) -> ActionResult:
        """Point a floating IP at an instance's port (the one holding `fixed_address`, else its first)."""
        fip, server = self._floating_ip(floating_ip_id), self._server(server_id)
        if fip.port_id:
            raise ActionRefused(f"{fip.address} is already assigned to {fip.fixed_address}: unassign it first")
        with self._claim(fip.id, "update", f"assigning {fip.address}"):
            ports = [p for p in self.store.get("ports").values() if p.device_id == server_id]
            try:
                if not ports:  # a new instance's ports reach the store with the next full refresh
                    page = await self.session.get_list("network", "/ports", "ports", params={"device_id": server_id})
                    ports = [Port.from_api(p) for p in page.items]
                    self.store.merge("ports", ports)
            except CloudError as err:
                return _failed(f"find the ports of {server.name}", err)
            ports = [p for p in ports if not fixed_address or fixed_address in {ip.ip_address for ip in p.fixed_ips}]
            if not ports:
                raise ActionRefused(f"{server.name} has no network port to point {fip.address} at")
            spec = {"port_id": ports[0].id, **({"fixed_ip_address": fixed_address} if fixed_address else {})}
            return await self._update_floating_ip(fip, spec, f"{fip.address} assigned to {server.name}")

    async def unassign_floating_ip(self, floating_ip_id: str) -> ActionResult:
        fip = self._floating_ip(floating_ip_id)
        if not fip.port_id:
            raise ActionRefused(f"{fip.address} is not assigned")
        with self._claim(fip.id, "update", f"unassigning {fip.address}"):
            return await self._update_floating_ip(fip, {"port_id": None}, f"{fip.address} unassigned")

    async def _update_floating_ip(self, fip: FloatingIP, spec: dict, done: str) -> ActionResult:
        try:
            answer = await self._send("network", "PUT", f"/floatingips/{fip.id}", {"floatingip": spec})
        except CloudError as err:
            return _failed(f"change {fip.address}", err)
        updated = FloatingIP.from_api(answer["floatingip"])
        self.store.merge("floating_ips", [updated])  # the store shows it on the instance at once (Neutron's word)
        return ActionResult(True, done, updated.status, value=updated)

    async def release_floating_ip(self, floating_ip_id: str) -> ActionResult:
        fip = self._floating_ip(floating_ip_id)
        with self._claim(fip.id, "release", f"releasing {fip.address}"):
            try:
                await self._send("network", "DELETE", f"/floatingips/{fip.id}")
            except CloudError as err:
                return _failed(f"release {fip.address}", err)
            self.store.merge("floating_ips", [], [fip.id])
        return ActionResult(True, f"released {fip.address}")

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
                return _failed(f"add the rule to {group.name}", err)
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
                return _failed(f"remove the rule from {group.name}", err)
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
                return _failed(f"create {name}", err)
        group = SecurityGroup.from_api(answer["security_group"])
        self.store.merge("security_groups", [group])
        return ActionResult(True, f"created {name}", value=group)

    async def delete_security_group(self, group_id: str) -> ActionResult:
        group = self._item("security_groups", group_id, "this security group is not in the project")
        if group.name == "default":
            raise ActionRefused("the project's 'default' group cannot be deleted")
        users = sorted(s.name for s in self.store.get("servers").values() if group.name in s.security_groups)
        if users:
            raise ActionRefused(f"{group.name} is attached to {', '.join(users)}: detach it first")
        with self._claim(group_id, "delete_group", f"deleting {group.name}"):
            try:
                await self._send("network", "DELETE", f"/security-groups/{group_id}")
            except CloudError as err:  # e.g. 409: in use by a port the store has not seen yet
                return _failed(f"delete {group.name}", err)
            self.store.merge("security_groups", [], [group_id])
            self.poller.kick("security_groups")  # rules of other groups that named this one went with it
        return ActionResult(True, f"deleted {group.name}")

    async def attach_security_group(self, server_id: str, name: str, **kw: Any) -> ActionResult:
        return await self.run(server_id, "add_security_group", name=name, **kw)

    async def detach_security_group(self, server_id: str, name: str, **kw: Any) -> ActionResult:
        return await self.run(server_id, "remove_security_group", name=name, **kw)


class _ServerFollower:
    """Judges each picture of one instance after Nova accepted an action: done, failed, or not yet."""

    def __init__(self, before: Server, action: str, progress: Progress | None):
        self.before = before
        self.action = action
        self.progress = progress
        self.targets = _SETTLES.get(action, {before.status})
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
            return ActionResult(True, f"{name}: {_WORDS.get(self.action, ('', 'launched'))[1]}", server.status)
        if server.status in TRANSITIONAL or (server.status == self.before.status and not self.seen_task):
            return None  # e.g. confirmResize: VERIFY_RESIZE with no task until the compute host is done
        self.quiet_failure = not server.fault
        return ActionResult(False, f"{name} ended {server.status}, not {'/'.join(sorted(self.targets))}"
                            + (f": {server.fault}" if server.fault else ""), server.status)

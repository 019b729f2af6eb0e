"""What the views' keys start: a dialog or two, then an action through `project.actions` in a worker.

The app holds one Flows (`ExotuiApp.flows`) and starts its flows when a view posts what its key asked for
(ui/intents.py). What each server action is (its label, its confirmation, whether a dialog follows) comes from
cloud/action_table.py. Results and refusals come back as notifications in plain words, never a traceback; what
the action changed arrives through the store like everything else. An action already under way (same
resource, same action) is refused by the cloud layer's one guard (`Actions._claim`) and shown as such.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import time
from typing import Any, Awaitable, Callable

from textual.app import App

from ..cloud.action_table import (
    INSTANCE_COMMAND,
    INSTANCE_COMMANDS,
    MENU,
    RESOURCE_ACTION,
    SERVER_ACTION,
    ResourceAction,
)
from ..cloud.actions import READ_ONLY, ActionRefused, ActionResult, InFlight
from ..cloud.models import Server
from ..cloud.rules import FAMILY_TITLES, allowed_actions, flavor_family, resize_targets, server_flavor
from ..cloud.units import gpu_fraction, server_su_per_hour, su_per_hour
from . import resources
from .dialogs import Choice, ChoiceDialog, ConfirmDialog, ConfirmOptionDialog, PromptDialog
from .plain import escape, middle
from .screens.detail import InstanceDetail
from .workers import run_guarded

LAUNCH = "launch"
WAITING_EVERY = 5.0  # seconds: an action without an answer says so this often (a hung cloud held it 60 s in silence)
DOCTOR = "doctor"  # not a Nova action: the SSH doctor's checklist for one instance, whatever its state
SSH = "ssh"  # not a Nova action: a shell on the instance in a tab of the sessions screen (the `s` key)
FORWARD = "forward"  # not a Nova action: ssh -L, a port of the instance on 127.0.0.1 here (a session's ctrl+f5)


def _names(items: list[Any], most: int = 4) -> str:
    return _listed([middle(getattr(i, "name", "") or i.id[:8]) for i in items], most)


def _listed(words: list[str], most: int = 4) -> str:
    return ", ".join(words[:most]) + (f" and {len(words) - most} more" if len(words) > most else "")


class Flows:
    def __init__(self, app: App) -> None:
        self.app = app
        self.started = 0  # flows started: the app tells from it whether an intent started one

    # --- plumbing -------------------------------------------------------------------------------

    def _start(self, flow: Awaitable[Any], name: str) -> None:
        """Run a flow; the keys typed behind the one that started it wait for its first dialog (ui/typeahead.py)."""
        self.started += 1
        typeahead = getattr(self.app, "typeahead", None)
        if typeahead is None:
            run_guarded(self.app, flow, name, group="flows")
            return

        async def then_keys_back() -> Any:
            try:
                return await flow
            finally:
                typeahead.release()

        typeahead.hold()
        run_guarded(self.app, then_keys_back(), name, group="flows")

    async def ask(self, screen) -> Any:
        screen.in_flow = True  # its answer holds the keys behind it for what the flow shows next
        return await self.app.push_screen_wait(screen)

    def _project(self, project=None):
        project = project or getattr(self.app, "project", None)
        if project is None:
            self.app.notify("no project is open yet", severity="warning")
        return project

    def read_only(self, project, what: str) -> bool:
        """In read-only mode, say so at once rather than after a dialog (the cloud layer refuses the write anyway)."""
        if not getattr(getattr(project, "actions", None), "readonly", False):
            return False
        self.app.notify(f"{what}: {READ_ONLY}", title="not sent", severity="warning")
        return True

    async def run(self, project, what: str, call: Callable[[], Awaitable[ActionResult]],
                  *, quiet: bool = False) -> ActionResult | None:
        """Run one action and say how it ended (unless `quiet`); the cloud layer refuses it if it is under way
        already (InFlight), and that is said too."""
        started = time.monotonic()

        def still_waiting() -> None:
            """Every few seconds without an answer, say so (and why, if the cloud has stopped answering)."""
            error = project.store.state("servers").last_error
            why = f": {project.key.cloud} is not answering ({error})" if error else ""
            self.app.notify(f"{what}: still waiting for the cloud, {time.monotonic() - started:.0f} s{why}",
                            severity="warning", timeout=WAITING_EVERY)

        waiting = self.app.set_interval(WAITING_EVERY, still_waiting)
        if getattr(self.app, "typeahead", None) is not None:
            self.app.typeahead.release()  # the cloud may take a while: the keys typed meanwhile are the screen's
        try:
            result = await call()
        except InFlight:
            self.app.notify(f"{what}: already in progress", severity="warning")
            return None
        except ActionRefused as err:
            self.app.notify(f"{what}: {err.reason}", title="not sent", severity="warning")
            return None
        except Exception as err:  # the user sees what went wrong, never a traceback
            message = getattr(err, "message", None) or str(err) or type(err).__name__
            self.app.notify(f"{what}: {message}", title="failed", severity="error", timeout=10)
            return None
        finally:
            waiting.stop()
        if not quiet:
            self.say(result)
        return result

    def say(self, result: ActionResult) -> None:
        severity = "information" if result.ok else "warning" if result.still_running else "error"
        self.app.notify(result.message, severity=severity, timeout=6 if result.ok else 10)

    # --- instances ------------------------------------------------------------------------------

    def open_detail(self, server_id: str, project=None) -> None:
        project = self._project(project)
        if project is not None and project.store.item("servers", server_id) is not None:
            self.app.push_screen(InstanceDetail(project, server_id))

    def _servers(self, project, ids: list[str]) -> list[Server]:
        return [s for s in (project.store.item("servers", i) for i in ids) if s is not None]

    def menu_choices(self, project, servers: list[Server]) -> list[Choice]:
        """Every action of action_table.MENU with what stops it (for several instances: how many it applies to),
        always in that order: what the state forbids stays in its place, dimmed with its reason, so the same
        keys reach the same action whatever the state (a repeated `a Down Down Enter` ran Hard reboot instead
        of Reboot). The reasons are the cloud layer's (`Actions.why_not_now`)."""
        why_not = {s.id: project.actions.why_not_now(s) for s in servers}
        choices = []
        if len(servers) == 1:  # SSH leads the list, or says why not
            choices.append(Choice(SSH, "SSH: a shell in a tab (s)", None if servers[0].status == "ACTIVE" else
                                  f"{servers[0].status}: only an ACTIVE instance answers SSH"))
        for declared in MENU:
            action, label = declared.name, declared.label or declared.name
            reasons = [why_not[s.id][action] for s in servers]
            ok = sum(r is None for r in reasons)
            if len(servers) == 1:
                reason = reasons[0]
            elif declared.dialog:
                reason = "one instance at a time: unmark the others"
            elif ok == 0:
                reason = f"none of them: {reasons[0]}"
            else:
                reason = None
                if ok < len(servers):
                    label += f" ({ok} of {len(servers)})"
            choices.append(Choice(action, label, reason))
        if len(servers) == 1:
            choices += [Choice(DOCTOR, "SSH doctor: why can't I connect?…"),
                        Choice(FORWARD, "Forward a port (ssh -L)…", None if servers[0].status == "ACTIVE" else
                               f"{servers[0].status}: only an ACTIVE instance answers SSH"),
                        *(Choice(c.name, c.label, None if servers[0].status == "ACTIVE" else
                                 f"{servers[0].status}: only an ACTIVE instance answers SSH")
                          for c in INSTANCE_COMMANDS),
                        Choice(LAUNCH, "Launch a new instance…")]
        return choices

    def server_menu(self, ids: list[str], project=None) -> None:
        project = self._project(project)
        if project is not None and ids:
            self._start(self._server_menu(project, ids), "action menu")

    async def _server_menu(self, project, ids: list[str]) -> None:
        servers = self._servers(project, ids)
        if not servers:
            return
        title = f"Actions: {middle(servers[0].name)} ({servers[0].status})" if len(servers) == 1 else \
            f"Actions on {len(servers)} marked instances: {_names(servers, 3)}"
        action = await self.ask(ChoiceDialog(title, self.menu_choices(project, servers)))
        if action is not None:
            await self._chosen(project, servers, action)

    def server_action(self, ids: list[str], action: str, project=None) -> None:
        """One action of the menu on these instances, as if chosen there (the command palette's)."""
        project = self._project(project)
        servers = self._servers(project, ids) if project is not None else []
        if servers:
            self._start(self._chosen(project, servers, action), "action")

    async def _chosen(self, project, servers: list[Server], action: str) -> None:
        if action == LAUNCH:
            await self._launch(project)
        elif action == SSH:
            from .screens.sessions import open_session  # asyncssh loads on the first session, not at start-up

            open_session(self.app, project, servers[0].id)
        elif action == FORWARD:
            from .screens.sessions import forward_port

            forward_port(self.app, project, servers[0].id)
        elif action == DOCTOR:
            from .screens.doctor import DoctorScreen

            self.app.push_screen(DoctorScreen(project, servers[0].id))
        elif action in INSTANCE_COMMAND:  # commands run in the instance over SSH, with consent
            from .reporter import usage_reporter

            await usage_reporter(self, project, servers[0], action)
        elif action == "delete":
            await self._delete(project, servers)
        elif SERVER_ACTION[action].dialog:
            await self.dialogs()[action](project, servers[0])
        else:
            if SERVER_ACTION[action].confirm and not await self.confirm_disruptive(project, servers, action):
                return
            await self.run_on_servers(project, servers, action)

    def dialogs(self) -> dict[str, Callable[[Any, Server], Awaitable[None]]]:
        """The dialog that gathers what each server action declared with `dialog=True` needs (one instance)."""
        return {"resize": self._resize, "create_image": self._create_image, "attach_volume": self._attach_volume,
                "detach_volume": self.detach_volume, "add_security_group": self._add_security_group,
                "remove_security_group": self._remove_security_group}

    def su_change(self, project, servers: list[Server], status: str | None = None, flavor=None) -> str:
        """"SU/h 16 → 0": what the instances cost now and after (in `status`, or on `flavor`)."""
        flavors = list(project.store.get("flavors").values())
        before = sum(server_su_per_hour(s, flavors) for s in servers)
        after = sum(su_per_hour(flavor or server_flavor(s, flavors), status or s.status) for s in servers)
        return f"SU/h {before:g} → {after:g}"

    async def confirm_disruptive(self, project, servers: list[Server], action: str, **params: Any) -> bool:
        """Ask before what stops or loses something, naming the instances and the cost; No is focused.
        The cloud's `exotui: {confirm: {ACTION: false}}` in clouds.yaml turns the question off for that action."""
        confirm = SERVER_ACTION[action].confirm
        assert confirm is not None, f"{action} is not declared as asking first"
        if project.profile.confirms(action):
            what = f"instance {middle(servers[0].name)}" if len(servers) == 1 else f"{len(servers)} instances"
            message = f"{_names(servers, 6)}: {'it' if len(servers) == 1 else 'each'} {confirm.happens} " \
                      f"({self.su_change(project, servers, confirm.status)})"
            if not await self.ask(ConfirmDialog(f"{confirm.title} {what}?", message, confirm=confirm.button)):
                return False
        return await self.typed_for_others(project, servers, confirm.title.lower())

    @staticmethod
    def others(project, servers: list[Server]) -> list[Server]:
        """The instances another user of the allocation created (Nova's `user_id` is not the one logged in)."""
        me = getattr(project, "user_id", "")
        return [s for s in servers if me and s.user_id and s.user_id != me]

    async def typed_for_others(self, project, servers: list[Server], verb: str) -> bool:
        """Before a destructive action on someone else's instance, its name must be typed (for several such
        instances, how many there are); whatever the confirmation settings say. True: go on."""
        others = self.others(project, servers)
        if not others:
            return True
        if len(others) == 1:
            server = others[0]
            wanted = server.name.strip() or server.id
            creator = server.user_id
            with contextlib.suppress(Exception):  # the ID alone when Keystone will not name the user
                name = await project.actions.user_name(server.user_id)
                creator = f"{middle(name)}, {server.user_id}" if name else creator
            title = (f"{middle(server.name)} was created by another user ({creator}), not you: "
                     f"type its name to {verb} it")
            wrong = "that is not its name"
        else:
            wanted = str(len(others))
            title = (f"{len(others)} of these were created by other users ({_names(others, 4)}): "
                     f"type {wanted} to {verb} them")
            wrong = f"type {wanted}"
        answer = await self.ask(PromptDialog(title, validate=lambda value: None if value == wanted else wrong,
                                             hint=f"enter: {verb} · esc: cancel"))
        return answer == wanted

    async def run_on_servers(self, project, servers: list[Server], action: str, **params: Any) -> list[ActionResult]:
        """`action` on each instance that allows it now; the others are named with why they were skipped."""
        flavors = project.store.get("flavors").values()
        go, skipped = [], []
        for s in servers:
            verdict = allowed_actions(s, server_flavor(s, flavors), project.rules)[action]
            (go if verdict else skipped).append((s, verdict.reason))
        if skipped:
            self.app.notify("; ".join(f"{s.name}: {r or ''}" for s, r in skipped[:5]),
                            title=f"{action.replace('_', ' ')}: skipped {len(skipped)}", severity="warning")
        if not go:
            return []
        if len(go) > 1:
            self.app.notify(f"{action.replace('_', ' ')}: {len(go)} instances…", timeout=3)
        results = await asyncio.gather(*(
            self.run(project, f"{action.replace('_', ' ')} {s.name}",
                     lambda s=s: project.actions.run(s.id, action, **params), quiet=len(go) > 1)
            for s, _ in go))
        done = [r for r in results if r is not None]
        if len(go) > 1:
            failed = [r for r in done if not r.ok]
            self.app.notify(f"{len(done) - len(failed)} of {len(go)} done"
                            + "".join(f"\n{r.message}" for r in failed[:4]),
                            title=action.replace("_", " "), severity="error" if failed else "information",
                            timeout=10 if failed else 6)
        return done

    def delete_servers(self, ids: list[str], project=None) -> None:
        project = self._project(project)
        if project is not None and ids and not self.read_only(project, "delete"):
            self._start(self._delete(project, self._servers(project, ids)), "delete instances")

    async def _delete(self, project, servers: list[Server]) -> None:
        if not servers:
            return
        ips = [ip for s in servers for ip in s.floating_ips]
        one = len(servers) == 1
        what = f"instance {middle(servers[0].name)}" if one else f"{len(servers)} instances"
        message = f"{_names(servers, 6)} will be deleted with " + ("its root disk." if one else "their root disks.")
        if not ips:
            if await self.ask(ConfirmDialog(f"Delete {what}?", message)) and \
                    await self.typed_for_others(project, servers, "delete"):
                await self.run_on_servers(project, servers, "delete")
            return
        # off by default: an address may be in DNS or a firewall elsewhere, and a released one is gone
        message += f" Unless released, {'its floating IP stays' if len(ips) == 1 else 'their floating IPs stay'} " \
                   "allocated to the project."
        option = f"also release {'its' if one else 'their'} floating IP{'s' if len(ips) > 1 else ''} {_listed(ips, 6)}"
        answer = await self.ask(ConfirmOptionDialog(f"Delete {what}?", message, option))
        if answer is not None and await self.typed_for_others(project, servers, "delete"):
            await self.run_on_servers(project, servers, "delete",
                                      **({"release_floating_ips": True} if answer.option else {}))

    async def _resize(self, project, server: Server) -> None:
        store = project.store
        flavors = list(store.get("flavors").values())
        current = server_flavor(server, flavors)
        now = su_per_hour(current)
        choices, family = [], None
        for flavor, verdict in resize_targets(server, current, flavors, store.get("quotas"), project.rules):
            if flavor_family(flavor) != family:
                family = flavor_family(flavor)
                choices.append(Choice(family, FAMILY_TITLES[family], heading=True))
            share = gpu_fraction(flavor)
            gpu = "" if family != "gpu" else "GPU all" if not share or share >= 1 else f"GPU {share:.0%}"
            su = su_per_hour(flavor)
            label = (f"{escape(flavor.name):<10} {flavor.vcpus:>3} vCPU {flavor.ram_mb / 1024:>5g} GiB "
                     f"{flavor.disk_gb:>3} GB {gpu:<7} {su:>4g} SU/h ({su - now:+g})")
            choices.append(Choice(flavor.id, label, verdict.reason))
        title = f"Resize {middle(server.name)} from {current.name} ({now:g} SU/h when active)"
        flavor_id = await self.ask(ChoiceDialog(title, choices, hint="enter: resize · esc: cancel"))
        target = store.item("flavors", flavor_id) if flavor_id is not None else None
        if target is None:
            return
        if (not project.profile.confirms("resize") or await self.ask(ConfirmDialog(
                f"Resize instance {middle(server.name)} to {target.name}?",
                f"{middle(server.name)} reboots onto the new flavor, then waits for you to confirm or revert "
                f"({self.su_change(project, [server], 'ACTIVE', target)} when active).", confirm="Resize"))) \
                and await self.typed_for_others(project, [server], "resize"):
            await self.run_on_servers(project, [server], "resize", flavor_id=flavor_id)

    async def _create_image(self, project, server: Server) -> None:
        name = await self.ask(PromptDialog(
            f"Snapshot {middle(server.name)} as image", value=f"{server.name}-{dt.date.today():%Y-%m-%d}",
            validate=lambda v: None if v else "the image needs a name",
            hint="enter: take the snapshot · esc: cancel"))
        if name:
            await self.run_on_servers(project, [server], "create_image", name=name)

    async def _attach_volume(self, project, server: Server) -> None:
        volumes = sorted(project.store.get("volumes").values(), key=lambda v: v.name)
        choices = [Choice(v.id, f"{escape(v.name or v.id[:8])} ({v.size_gb} GB)",
                          None if v.status == "available" else f"it is {v.status}") for v in volumes]
        volume_id = await self.ask(ChoiceDialog(f"Attach a volume to {middle(server.name)}", choices))
        if volume_id:
            await self.run_on_servers(project, [server], "attach_volume", volume_id=volume_id)

    async def detach_volume(self, project, server: Server, volume_id: str | None = None) -> None:
        attached = project.actions.attached_volumes(server)
        if volume_id is None:
            volume_id = await self.ask(ChoiceDialog(f"Detach a volume from {middle(server.name)}", [
                Choice(v.id, f"{escape(v.name or v.id[:8])} ({v.size_gb} GB)") for v in attached]))
        volume = project.store.item("volumes", volume_id) if volume_id else None
        if volume is not None and await self.ask(ConfirmDialog(
                f"Detach volume {middle(volume.name) or volume.id[:8]} from {middle(server.name)}?",
                "Unmount it inside the instance first, or data not yet written may be lost.", confirm="Detach")):
            await self.run_on_servers(project, [server], "detach_volume", volume_id=volume.id)

    async def _add_security_group(self, project, server: Server) -> None:
        groups = sorted((g for g in project.store.get("security_groups").values()
                         if g.api_name not in server.api_security_groups), key=lambda g: g.name)
        chosen = await self.ask(ChoiceDialog(f"Add a security group to {middle(server.name)}",
                                             [Choice(g.id, escape(middle(g.name))) for g in groups]))
        group = project.store.item("security_groups", chosen) if chosen else None
        if group is not None:  # its name as Neutron has it, not as shown ("nl1␊nl2 is not found")
            await self.run_on_servers(project, [server], "add_security_group", name=group.api_name)

    async def _remove_security_group(self, project, server: Server) -> None:
        name = await self.ask(ChoiceDialog(f"Remove a security group from {middle(server.name)}",
                                           [Choice(g, escape(middle(g))) for g in server.security_groups]))
        if name and await self.ask(ConfirmDialog(
                f"Remove security group {middle(name)} from {middle(server.name)}?",
                "The connections its rules let in (SSH, for one) may stop reaching the instance.", confirm="Remove")):
            await self.run_on_servers(project, [server], "remove_security_group", name=server.api_security_group(name))

    def launch(self, project=None) -> None:
        project = self._project(project)
        if project is not None and not self.read_only(project, "launch"):
            self._start(self._launch(project), "launch")

    async def _launch(self, project) -> None:
        from .launch import launch_call, launch_form

        values = await self.ask(launch_form(project))
        if values is not None:
            self.app.notify(f"launching {values['name']}…", timeout=3)
            await self.run(project, f"launch {values['name']}", launch_call(project, values))

    # --- volumes, floating IPs, security groups and their rules --------------------------------------

    def resource(self, kind: str, name: str, item: Any, project=None, ident: str | None = None) -> None:
        """Start the flow of action_table's ResourceAction (`kind`, `name`) on `item` as the store held it at the
        key press, not on its ID to look up again: the poller may drop the item before the flow's worker runs
        (a floating IP released by a delete that ran meanwhile: the monkey found "'NoneType' object has no
        attribute 'port_id'"). `ident`: look the item up now (when the key had no project to look it in)."""
        project = self._project(project)
        if project is None:
            return
        declared: ResourceAction = RESOURCE_ACTION[kind, name]
        if item is None and ident:
            item = project.store.item(kind, ident)
        if (item is None and not declared.makes) or (declared.writes and self.read_only(project, declared.verb)):
            return
        self._start(resources.FLOWS[declared](self, project, item), declared.verb)

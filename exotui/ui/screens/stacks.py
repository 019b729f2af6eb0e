"""The `:stacks` screen (Heat): each stack with its status and reason, and a stack's detail: status, outputs,
resources (enter opens the instance, volume or network it is) and its event log followed live. Delete is
action_table's ("stacks", "delete"), started through the app's flows like the views' actions."""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.content import Content
from textual.widgets import DataTable, Footer, RichLog, Static

from ...cloud.action_table import RESOURCE_ACTION
from ...cloud.models import Stack, StackResource
from ...cloud.stacks import EventLog, fetch_resources, fetch_stack
from ..intents import ResourceFlow
from ..plain import middle
from ..workers import run_guarded
from .listing import ListingScreen

FOLLOW_EVERY = 2.0  # seconds between event-log polls while a detail is open (one small request each)
_DELETE = RESOURCE_ACTION["stacks", "delete"]
_CREATE = RESOURCE_ACTION["stacks", "create"]
DELETE_KEY = Binding(_DELETE.key, "stack('delete')", _DELETE.label, tooltip="the stack and all it made (asks first)")


def status_style(status: str) -> str:
    if status.endswith("_FAILED"):
        return "$error"
    if status.endswith("_IN_PROGRESS"):
        return "$warning"
    return "$success" if status.endswith("_COMPLETE") else "$text-muted"


class StackWatching:
    """The project's poller lists stacks as often as a shown view's kinds while the screen is up."""

    project: Any

    def watch_stacks(self) -> None:
        poller = self.project.poller
        poller.watch(poller.watched | {"stacks"})
        poller.kick("stacks")

    def unwatch_stacks(self, app) -> None:
        """Back to what the view on screen shows, once no stack screen is left open."""
        restore = getattr(app, "_watch_current", None)
        if restore is not None and not any(isinstance(s, StackWatching) and s is not self for s in app.screen_stack):
            restore()


class StacksScreen(StackWatching, ListingScreen):
    """Stacks of the project, from the store (kind `stacks`), redrawn when a poll changes them."""

    kind = "stacks"
    columns = ("name", "status", "reason", "created")
    empty_hint = f"No stacks here: {_CREATE.key} creates one from a Heat template (HOT); esc goes back."
    BINDINGS = [
        Binding("escape", "close", "Back", tooltip="the screen before"),
        Binding("enter", "open", "Detail", tooltip="outputs, resources and the event log, followed live"),
        Binding(_CREATE.key, "stack('create')", _CREATE.label, tooltip="a stack from a Heat template file and its "
                "parameters"),
        DELETE_KEY,
        Binding("ctrl+r", "reload", "Reload", show=False, tooltip="list again now"),
    ]

    _unsubscribe = None

    def on_mount(self) -> None:
        super().on_mount()
        self._unsubscribe = self.project.store.subscribe(self._changed)
        self.watch_stacks()
        self.when_composed("#listing", lambda _t: self.redraw())

    def on_unmount(self) -> None:
        if self._unsubscribe:
            self._unsubscribe()
        self.unwatch_stacks(self.app)

    def _changed(self, change) -> None:
        if change.kind == "stacks":
            self.call_later(self.redraw)

    def redraw(self) -> None:
        stacks = sorted(self.project.store.get("stacks").values(), key=lambda s: (s.name, s.id))
        self.set_bar(f"Stacks │ {self.project.label}")
        self.fill((s.id, (middle(s.name, 28), s.status, s.status_reason, s.created_at[:16].replace("T", " ")))
                  for s in stacks)
        state = self.project.store.state("stacks")
        if not state.loaded:
            self.set_status("loading stacks…")
        elif state.last_error:
            self.set_status(f"⚠ {state.last_error}")
        else:
            self.set_status(f"{len(stacks)} stacks · enter: detail" if stacks else
                            "no stacks in this project (or no Heat in this cloud)")
        self.say_empty(state.loaded and not state.last_error and not stacks)

    def action_reload(self) -> None:
        self.project.poller.kick("stacks")

    def action_open(self) -> None:
        stack = self.project.store.item("stacks", self.current or "")
        if stack is not None:
            self.app.push_screen(StackDetail(self.project, stack))

    def action_stack(self, what: str) -> None:
        if self.current or what == "create":
            self.post_message(ResourceFlow(self.kind, what, self.current, self.project))


class StackDetail(StackWatching, ListingScreen):
    """One stack: status and reason, outputs, its resources (a table) and its events as Heat records them."""

    kind = "stacks"
    columns = ("resource", "type", "status", "made (enter opens →)")
    BINDINGS = [
        Binding("escape", "close", "Back", tooltip="the stacks"),
        Binding("enter", "open", "Open", tooltip="the instance, volume or network this resource is"),
        DELETE_KEY,
    ]

    def __init__(self, project, stack: Stack) -> None:
        super().__init__(project)
        self.stack = stack
        self.resources: dict[str, StackResource] = {}
        self.event_log = EventLog(stack)
        self._following = True

    def compose(self) -> ComposeResult:
        from ..widgets.crumb import ScreenCrumb

        yield ScreenCrumb()  # which cloud and project, as over the views
        yield Static("", classes="listing-bar", markup=False)
        yield Static(" ", id="stack-summary")
        table: DataTable[Any] = DataTable(cursor_type="row", id="listing")
        table.add_columns(*self.columns)
        yield table
        yield RichLog(id="stack-events", markup=False, wrap=False, max_lines=500)
        yield Static(" ", id="listing-status", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        self.when_composed("#listing", lambda table: table.focus())
        self.watch_stacks()
        self.when_composed("#stack-events", lambda _log: self._follow())

    def on_unmount(self) -> None:
        self._following = False
        self.unwatch_stacks(self.app)

    def _follow(self) -> None:
        """One poll, then the next armed when it is done: polls never overlap, a slow Heat slows them."""
        if self._following and self.is_attached:
            run_guarded(self, self._poll(), "following the stack", group="stack-follow")

    async def _poll(self) -> None:
        session = self.project.session
        try:
            stack = await fetch_stack(session, self.stack)
            resources = await fetch_resources(session, self.stack)
            events = await self.event_log.poll(session)
        except Exception as err:  # noqa: BLE001 (a gone stack, a failed poll: one line, then try again)
            status = getattr(err, "status", None)
            self.set_status("the stack is gone" if status == 404 else
                            f"cannot read the stack: {getattr(err, 'message', None) or err}")
            if status == 404:
                self._following = False
                return
        else:
            self.stack = stack
            self._show(stack, resources)
            log = self.part("#stack-events", RichLog)
            if log is not None:
                for e in events:
                    reason = f" ({e.status_reason})" if e.status_reason not in ("", "state changed") else ""
                    log.write(Content.assemble((e.time[11:19] + " ", "$text-muted"), f"{e.resource_name}: ",
                                               (e.status, status_style(e.status)), reason))
            self.set_status(f"{len(self.event_log.events)} events · followed every {FOLLOW_EVERY:.0f} s"
                            if stack.in_progress else f"{len(self.event_log.events)} events")
        if self._following:
            self.set_timer(FOLLOW_EVERY, self._follow)

    def _show(self, stack: Stack, resources: list[StackResource]) -> None:
        self.set_bar(f"Stack {middle(stack.name, 40)} │ {self.project.label}")
        lines = [Content.assemble((stack.status, status_style(stack.status)),
                                  f" · {stack.status_reason}" if stack.status_reason else "")]
        for out in stack.outputs:
            value = out.error and f"⚠ {out.error}" or out.value
            lines.append(Content.assemble((f"{out.key}: ", "bold"), middle(value, 70)))
        summary = self.part("#stack-summary", Static)
        if summary is not None:
            summary.update(Content("\n").join(lines))
        self.resources = {r.name: r for r in resources}
        self.fill((r.name, (r.name, r.type.removeprefix("OS::"), r.status, self._what(r))) for r in resources)

    def _what(self, resource: StackResource) -> str:
        if resource.kind is None or not resource.physical_id:
            return resource.physical_id[:12]
        item = self.project.store.item(resource.kind, resource.physical_id)
        name = getattr(item, "name", "") if item is not None else ""
        return ("→ " if item is not None else "") + (name or resource.physical_id[:8])

    def action_open(self) -> None:
        resource = self.resources.get(self.current or "")
        if resource is None or resource.kind is None or not resource.physical_id:
            return
        if self.project.store.item(resource.kind, resource.physical_id) is None:
            self.app.notify(f"{resource.name}: not in this project's {resource.kind.replace('_', ' ')} (yet)",
                            severity="warning", timeout=4)
            return
        if resource.kind == "servers":
            from .detail import InstanceDetail

            self.app.push_screen(InstanceDetail(self.project, resource.physical_id))
            return
        show = getattr(self.app, "show_resource", None)
        if show is not None:
            show(resource.kind, resource.physical_id)

    def action_stack(self, what: str) -> None:
        self.post_message(ResourceFlow(self.kind, what, self.stack.id, self.project))

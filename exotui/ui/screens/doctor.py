"""The SSH doctor screen: "why can't I SSH to X?", its checklist and its fixes, numbered; a digit runs one.

The checks are exotui.net.doctor's; a fix runs through ui/fixes.py once the user confirms it.
"""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Footer, Static

from ...cloud.actions import ActionRefused
from ...net import doctor
from ...net.view import NetView
from ..fixes import apply_fix
from ..tcss import beside
from ..widgets.crumb import ScreenCrumb
from ..workers import run_guarded
from .base import AnswerOnce, StoreWatching

MARKS = {doctor.PASS: ("ok  ", "$success"), doctor.WARN: ("warn", "$warning"), doctor.FAIL: ("FAIL", "bold $error"),
         doctor.SKIP: ("--  ", "$text-muted")}


class DoctorScreen(StoreWatching, AnswerOnce, Screen[None]):
    """"Why can't I SSH to X?": the checklist, and its fixes numbered; a digit runs one (confirmed).
    Checked again when the project's network changes (a fix lands through the store), and on r."""

    CSS_PATH = beside(__file__, "doctor.tcss")
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Back"),
        Binding("f", "source", "From address", tooltip="check from this source address"),
        Binding("r", "refresh", "Recheck"),
        *(Binding(str(n), f"fix({n})", "Fix", show=n == 1, tooltip="run the fix of that number (asks first)")
          for n in range(1, 10))]

    # what the checks read: a change to any of these can turn one from FAIL to ok
    watched_kinds = frozenset({"servers", "images", "networks", "subnets", "routers", "ports", "floating_ips",
                               "security_groups"})
    drawn_in = "#doctor-body"
    redraw_on_resize = False  # the checklist wraps by itself

    def __init__(self, project, server_id: str, source: str | None = None) -> None:
        super().__init__()
        self.project = project
        self.server_id = server_id
        self.source = source
        self.fixes: list[doctor.Fix] = []
        self.console: str | None = None  # the console log, once read

    def compose(self) -> ComposeResult:
        yield ScreenCrumb()  # which cloud and project, live or stale, as over the views
        yield Static("", id="doctor-title")
        yield Static("", id="doctor-body")
        yield Footer()

    def on_mount(self) -> None:  # (StoreWatching draws it once composed)
        run_guarded(self, self._read_console(), "reading the console log", group="console", exclusive=True)

    async def _read_console(self) -> None:
        """The console log's host keys tell a rebuilt instance from a known one, without connecting. The whole
        log: cloud-init prints the keys at boot, and a tail loses them once anything writes to the console
        (Exosphere's usage line a minute puts them outside the last 400 lines within seven hours)."""
        try:
            result = await self.project.actions.console_log(self.server_id)
        except ActionRefused:
            return
        if result.ok and isinstance(result.value, str):
            self.console = result.value
            self.redraw()

    def _reach(self, server):
        """exotui's own way to the instance, as `s` decides it (ssh.target.reach)."""
        from ...ssh.target import reach

        project = self.project
        image = project.store.item("images", server.image_id) if server.image_id else None
        profile = project.profile
        config = profile.cloud_region.config if profile.cloud_region else {}
        return reach(server, image, config, profile.source, console=self.console)

    def action_refresh(self) -> None:
        self.redraw()

    def redraw(self) -> None:
        self._pending = False
        view = NetView.from_store(self.project.store)
        server = view.servers.get(self.server_id)
        title, body = self.part("#doctor-title", Static), self.part("#doctor-body", Static)
        if title is None or body is None:
            return  # not composed yet (on_mount draws it), or closed before the console log came
        if server is None:
            title.update("SSH doctor: the instance is gone")
            return
        result = doctor.diagnose(view, server, self.source, reach=self._reach(server))
        title.update(Content(f"SSH doctor │ {server.name} │ from {self.source or 'anywhere (f: your address)'}"))
        parts: list[tuple[str, str]] = []
        self.fixes = []
        for check in result.checks:
            mark, style = MARKS[check.status]
            parts += [(f"[{mark}] ", style), (f"{check.name}: ", "bold"), (f"{check.summary}\n", "")]
            parts += [(f"        {e}\n", "$text-muted") for e in check.evidence]
            for fix in check.fixes:
                self.fixes.append(fix)
                parts += [(f"        {len(self.fixes)}) ", "bold $accent"), (f"{fix.label}\n", "$accent")]
        parts.append(("every check passed: " + (result.command or "") if result.ok else "some checks failed",
                      "bold $success" if result.ok else "bold $error"))
        body.update(Content.assemble(*parts))

    def action_close(self) -> None:
        self.dismiss(None)

    def action_source(self) -> None:
        from ..dialogs import PromptDialog

        def chosen(value: str | None) -> None:
            if value is None:
                return
            problem = doctor.source_problem(value)
            if problem:
                self.notify(problem, severity="warning", markup=False)
                return
            self.source = value.strip() or None
            self.redraw()

        self.app.push_screen(PromptDialog("Connect from which address?", value=self.source or "",
                                          placeholder="203.0.113.5"), chosen)

    def action_fix(self, number: int) -> None:
        if not 1 <= number <= len(self.fixes):
            return
        fix = self.fixes[number - 1]
        if fix.action == "manual":
            self.notify("run: " + "; ".join(fix.args.get("commands", ())), timeout=10)
            return
        from ..dialogs import ConfirmDialog

        def confirmed(yes: bool | None) -> None:
            if yes:
                run_guarded(self, self._apply(fix), "applying the fix", group="fix", exclusive=True)

        self.app.push_screen(ConfirmDialog(f"{fix.label}?", "exotui doctor suggests this fix.", confirm="Run"),
                             confirmed)

    async def _apply(self, fix: doctor.Fix) -> None:
        try:
            message = await apply_fix(self.project, fix)
        except ActionRefused as err:
            message = err.reason
        self.notify(message)
        self.redraw()

"""The `:map` screen (the project's network as a navigable tree) and the SSH doctor screen.

The drawing is exotui.net.topology's; this module only colours its roles with theme variables,
moves between nodes and runs a doctor's fix through cloud.actions once the user confirms it.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Footer, OptionList, Static
from textual.widgets.option_list import Option

from ...cloud.actions import ActionRefused
from ...cloud.store import Change
from ...net import doctor, topology
from ...net.view import NetView
from ..dialogs import AnswerOnce, Choices
from ..workers import run_guarded

# roles from net.topology -> theme styles (never literal colours: a theme change reaches the map)
ROLES = {"tree": "$text-muted", "external": "bold $accent", "router": "bold $secondary", "network": "bold $primary",
         "name": "bold", "ip": "$text-muted", "fip": "$success", "group": "$warning", "dim": "$text-muted",
         "warn": "$error", "hint": "italic $text-muted", "section": "bold $warning", "collapsed": "$accent",
         "instance": "$primary", "fips": "$success", "link": "$text-muted"}
STATUS = {"ACTIVE": "$success", "ERROR": "$error", "SHUTOFF": "$text-muted"}
_WATCHED = frozenset({"servers", "networks", "subnets", "routers", "ports", "floating_ips", "security_groups"})
MARKS = {doctor.PASS: ("ok  ", "$success"), doctor.WARN: ("warn", "$warning"), doctor.FAIL: ("FAIL", "bold $error"),
         doctor.SKIP: ("--  ", "$text-muted")}


def _style(role: str) -> str:
    if role.startswith("status:"):
        return STATUS.get(role[7:], "$warning")
    return ROLES.get(role, "")


def styled(line: topology.Line) -> Content:
    return Content.assemble(*((text, _style(role)) for text, role in line.segments))


class NetMap(Choices):  # Choices: page keys that cannot crash
    """One option per map line; the highlight is the node the keys act on."""

    DEFAULT_CSS = """
    NetMap, NetMap:focus { height: 1fr; border: none; padding: 0; }
    NetMap > .option-list--option-highlighted { background: $accent 30%; }
    """


class StoreWatching:
    """For a screen drawn from the project's store: `redraw()` on mount, on resize, and once per poll
    that changed one of `watched_kinds` (not once per kind). The screen defines `project`, `watched_kinds`,
    `redraw()` and the widget class `focus_on` to put the focus on."""

    watched_kinds: frozenset[str] = frozenset()
    focus_on: type | None = None
    _unsubscribe = None
    _pending = False

    def on_mount(self) -> None:
        self._unsubscribe = self.project.store.subscribe(self._changed)
        self.redraw()
        if self.focus_on is not None:
            self.when_composed(self.focus_on.__name__, lambda widget: widget.focus())

    def on_unmount(self) -> None:
        if self._unsubscribe:
            self._unsubscribe()

    def on_resize(self) -> None:
        self.redraw()

    def _changed(self, change: Change) -> None:
        if change.kind in self.watched_kinds and not self._pending:
            self._pending = True
            self.call_later(self.redraw)


class NetMapScreen(StoreWatching, AnswerOnce, Screen[None]):
    """Pushed over the views; esc goes back. Redraws when the project's network changes."""

    DEFAULT_CSS = """
    NetMapScreen #map-title { height: 1; background: $primary; color: $text; padding: 0 1; text-style: bold; }
    NetMapScreen #map-detail { height: 4; background: $panel; color: $foreground; padding: 0 1; }
    """
    BINDINGS = [
        Binding("escape", "close", "Back"),
        Binding("enter", "open", "Open"),
        Binding("left,h", "parent", "Parent", show=False),
        Binding("right,l", "child", "Child/expand", show=False),
        Binding("e", "toggle", "Expand"),
        Binding("d", "doctor", "SSH doctor"),
        Binding("m", "matrix", "Who may connect"),
    ]

    watched_kinds = _WATCHED
    focus_on = NetMap

    def __init__(self, project) -> None:
        super().__init__()
        self.project = project
        self.expanded: set[str] = set()
        self.lines: list[topology.Line] = []
        self.topo: topology.Topology | None = None
        self.view: NetView | None = None

    def compose(self) -> ComposeResult:
        yield Static(f"Network map │ {self.project.label}", id="map-title", markup=False)
        yield NetMap(id="map")
        yield Static("", id="map-detail")
        yield Footer()

    @property
    def current(self) -> str | None:
        option_list = self.part("#map", NetMap)
        index = option_list.highlighted if option_list is not None else None
        return self.lines[index].node_id if index is not None and index < len(self.lines) else None

    def redraw(self, focus: str | None = None) -> None:
        self._pending = False
        keep = focus or self.current
        self.view = NetView.from_store(self.project.store)
        self.topo = topology.build(self.view)
        width = max(40, (self.size.width or 80) - 2)
        self.lines = topology.layout(self.topo, self.view, width, self.expanded)
        option_list = self.part("#map", NetMap)
        if option_list is None:
            return  # torn down: a redraw queued by a store change came after the screen closed
        option_list.clear_options()
        option_list.add_options(Option(styled(line), disabled=line.node_id is None) for line in self.lines)
        self._go(keep)

    def _index(self, node_id: str | None) -> int | None:
        return next((i for i, line in enumerate(self.lines) if line.node_id == node_id), None)

    def _go(self, node_id: str | None) -> None:
        option_list = self.part("#map", NetMap)
        if option_list is None:
            return
        index = self._index(node_id)
        if index is None and self.lines:
            index = 0
        option_list.highlighted = index
        self._show_detail()

    def on_option_list_option_highlighted(self, _event: OptionList.OptionHighlighted) -> None:
        self._show_detail()

    def on_option_list_option_selected(self, _event: OptionList.OptionSelected) -> None:
        self.action_open()

    def _show_detail(self) -> None:
        node = self.current
        lines = topology.detail(self.topo, self.view, node) if node and self.topo and self.view else []
        detail = self.part("#map-detail", Static)
        if detail is not None:
            detail.update(Content(" · ".join(lines[:1] + lines[2:]) or " "))

    # --- keys --------------------------------------------------------------------------------------

    def action_close(self) -> None:
        self.dismiss(None)

    def action_parent(self) -> None:
        node = self.current
        if node and self.topo:
            parent = self.topo.nodes.get(node.split("#")[0])
            target = node.split("#")[0] if "#" in node else (parent.parent if parent else None)
            if target:
                self._go(target)

    def action_child(self) -> None:
        node = self.current
        if node is None or self.topo is None:
            return
        if node.endswith("#more"):
            self.action_toggle()
            return
        kids = [k for k in self.topo.children.get(node, ()) if self._index(k) is not None]
        if kids:
            self._go(kids[0])
        elif self._index(f"{node}#more") is not None:
            self._go(f"{node}#more")

    def action_toggle(self) -> None:
        """Expand a collapsed network (or collapse an expanded one)."""
        node = self.current
        if node is None:
            return
        network = node.split("#")[0]
        if self.topo and network in self.topo.nodes and self.topo.nodes[network].kind == "instance":
            network = self.topo.nodes[network].parent or network
        if network in self.expanded:
            self.expanded.discard(network)
            self.redraw(network)
        elif self.topo and network in self.topo.nodes and self.topo.nodes[network].kind == "network":
            self.expanded.add(network)
            self.redraw(node if "#" not in node else network)

    def action_open(self) -> None:
        node = self.current
        if node is None or self.topo is None:
            return
        if node.endswith("#more"):
            self.action_toggle()
            return
        item = self.topo.nodes.get(node)
        if item is not None and item.kind == "instance":
            from .detail import InstanceDetail

            self.app.push_screen(InstanceDetail(self.project, item.ref))

    def action_matrix(self) -> None:
        from .matrix import MatrixScreen

        self.app.push_screen(MatrixScreen(self.project))

    def action_doctor(self) -> None:
        node = self.topo.nodes.get(self.current or "") if self.topo else None
        if node is None or node.kind != "instance":
            self.notify("the SSH doctor works on an instance: move to one", severity="warning")
            return
        self.app.push_screen(DoctorScreen(self.project, node.ref))


class DoctorScreen(AnswerOnce, Screen[None]):
    """"Why can't I SSH to X?": the checklist, and its fixes numbered; a digit runs one (confirmed)."""

    DEFAULT_CSS = """
    DoctorScreen #doctor-title { height: 1; background: $primary; color: $text; padding: 0 1; text-style: bold; }
    DoctorScreen #doctor-body { height: 1fr; padding: 0 1; }
    """
    BINDINGS = [Binding("escape", "close", "Back"), Binding("f", "source", "From address"),
                Binding("r", "refresh", "Recheck")] + [
        Binding(str(n), f"fix({n})", "Fix", show=n == 1) for n in range(1, 10)]

    def __init__(self, project, server_id: str, source: str | None = None) -> None:
        super().__init__()
        self.project = project
        self.server_id = server_id
        self.source = source
        self.fixes: list[doctor.Fix] = []
        self.console: str | None = None  # the console log, once read

    def compose(self) -> ComposeResult:
        yield Static("", id="doctor-title")
        yield Static("", id="doctor-body")
        yield Footer()

    def on_mount(self) -> None:
        self.action_refresh()
        run_guarded(self, self._read_console(), "reading the console log", group="console", exclusive=True)

    async def _read_console(self) -> None:
        """The console log's host keys tell a rebuilt instance from a known one, without connecting."""
        try:
            result = await self.project.actions.console_log(self.server_id, length=400)
        except ActionRefused:
            return
        if result.ok and isinstance(result.value, str):
            self.console = result.value
            self.action_refresh()

    def _reach(self, server):
        """exotui's own way to the instance, as `s` decides it (ssh.target.reach)."""
        from ...ssh.target import reach

        project = self.project
        image = project.store.item("images", server.image_id) if server.image_id else None
        profile = project.profile
        config = profile.cloud_region.config if profile.cloud_region else {}
        return reach(server, image, config, profile.source, console=self.console)

    def action_refresh(self) -> None:
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
            self.action_refresh()

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
        self.action_refresh()


async def apply_fix(project, fix: doctor.Fix) -> str:
    """Run one doctor Fix through cloud.actions; the answer in plain words."""
    actions, args = project.actions, dict(fix.args)
    if fix.action == "run":
        result = await actions.run(args["server_id"], args["action"])
    elif fix.action == "add_rule":
        result = await actions.add_rule(**args)
    elif fix.action == "assign_floating_ip":
        result = await actions.assign_floating_ip(args["floating_ip_id"], args["server_id"])
    elif fix.action == "allocate_and_assign_floating_ip":
        result = await actions.allocate_floating_ip(args.get("network_id"))
        if result.ok:
            result = await actions.assign_floating_ip(result.value.id, args["server_id"])
    elif fix.action == "attach_security_group":
        result = await actions.attach_security_group(args["server_id"], args["name"])
    elif fix.action == "console_log":
        return "open the instance (enter on the map) and press l for its console log"
    elif fix.action == "forget_host_key":
        from ...ssh.hostkeys import KnownHosts

        gone = KnownHosts().forget(args["host"], args["port"])
        return f"forgot {gone} pinned key{'s' if gone != 1 else ''} for {args['host']}"
    else:
        return f"nothing to run for {fix.label}"
    return result.message

"""One instance described (k9s `d`): flavor, image, addresses, volumes, security groups and their
rules, ports, metadata, timestamps, fault, usage sparklines and the exouser passphrase (asked for); its
console log, followed; and its action history. Live from the store."""

from __future__ import annotations

from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Footer, Static, Tab, Tabs

from ...cloud.actions import ActionRefused
from ...cloud.models import Server
from ...cloud.rules import FAMILY_TITLES, flavor_family, server_flavor
from ...cloud.state_words import full
from ...cloud.units import gpu_fraction, su_per_hour
from ..plain import escape
from ..tcss import beside
from ..widgets.console_log import ConsoleLog
from ..widgets.views import age, rule_summary
from ..workers import run_guarded
from .base import AnswerOnce, StoreWatching
from .instance_extras import exosphere_built, history_text, passphrase_row, usage_text

CONSOLE_LINES = 500  # the tail fetched each time: enough for cloud-init's key blocks, cheap to redraw
FOLLOW_EVERY = 3.0  # seconds between console fetches while following
TITLE_NAME_CELLS = 40  # a longer name is cut in the title, so the status still shows at 80 columns
SIDE_BY_SIDE_AT = 160  # columns from which details and console log show side by side instead of as tabs


def _row(label: str, value: str) -> str:
    return f"[b]{label:<16}[/]{value}"


def describe(store, server: Server, *, passphrase: str | None = None, usage: str | None = None) -> str:
    """The instance as console markup, every value escaped; `passphrase` the Passphrase field's markup and
    `usage` the Usage section's (ui/screens/instance_extras.py), where the instance has them."""
    flavors = store.get("flavors").values()
    flavor = server_flavor(server, flavors)
    share = gpu_fraction(flavor)
    family = flavor_family(flavor)
    gpu = "" if family != "gpu" else f" · GPU {'whole' if not share or share >= 1 else f'{share:.0%}'}"
    lines = [
        _row("Name", escape(server.name)),  # whole: the title may have cut it
        _row("ID", server.id),
        _row("Flavor", f"{escape(flavor.name or '?')} ({FAMILY_TITLES[family]})"),
        _row("Size", f"{flavor.vcpus} vCPU · {flavor.ram_mb / 1024:g} GiB RAM · {flavor.disk_gb} GB disk{gpu}"),
        _row("SU/h", f"{su_per_hour(flavor, server.status):g} now ({server.status}); "
                     f"{su_per_hour(flavor):g} when active"),
    ]
    image = store.item("images", server.image_id) if server.image_id else None
    lines.append(_row("Image", escape(image.name if image else server.image_id or "booted from a volume")))
    lines.append(_row("Key pair", escape(server.key_name or "none")))
    if passphrase is not None:
        lines.append(_row("Passphrase", passphrase))
    lines.append(_row("Zone", escape(server.availability_zone or "-")))
    if server.locked:
        lines.append(_row("Locked", escape(server.locked_reason or "yes")))
    lines.append(_row("Created", f"{escape(server.created)} ({age(server.created)} ago)"))
    lines.append(_row("Launched", escape(server.launched_at or "-")))
    lines.append(_row("Updated", escape(server.updated)))
    if server.fault:
        lines.append(_row("Fault", f"[$error]{escape(server.fault)}[/]"))

    if usage is not None:
        lines += ["", "[b $accent]Usage[/]", usage]

    lines += ["", "[b $accent]Addresses[/]"]
    lines += [f"  {escape(a.network)}: {a.addr} ({a.kind}, IPv{a.version})" for a in server.addresses] or ["  none"]

    lines += ["", "[b $accent]Volumes[/]"]
    volumes = store.get("volumes")
    attached = [v for v in volumes.values() if any(a.server_id == server.id for a in v.attachments)]
    known = {v.id for v in attached}
    for v in attached:
        device = next(a.device for a in v.attachments if a.server_id == server.id)
        lines.append(f"  {escape(v.name or v.id[:8])} {v.size_gb} GB {escape(device)} ({v.status})")
    lines += [f"  {vid}" for vid in server.volume_ids if vid not in known]
    if not attached and not server.volume_ids:
        lines.append("  none")

    lines += ["", "[b $accent]Ports[/]"]
    networks = store.get("networks")
    ports = [p for p in store.get("ports").values() if p.device_id == server.id]
    for p in ports:
        net = networks.get(p.network_id)
        ips = ", ".join(ip.ip_address for ip in p.fixed_ips)
        lines.append(f"  {p.id[:8]} {escape(net.name if net else p.network_id[:8])} {ips} {p.mac_address} "
                     f"({p.status})")
    if not ports:
        lines.append("  none known")

    lines += ["", "[b $accent]Security groups[/]"]
    groups = {g.name: g for g in store.get("security_groups").values()}
    for name in server.security_groups:
        lines.append(f"  [b]{escape(name)}[/]")
        group = groups.get(name)
        rules_text = [rule_summary(r) for r in group.rules] if group else ["(not loaded)"]
        lines += [f"    {escape(r)}" for r in rules_text]
    if not server.security_groups:
        lines.append("  none")

    lines += ["", "[b $accent]Metadata[/]"]
    lines += [f"  {escape(k)} = {escape(v)}" for k, v in sorted(server.metadata.items())] or ["  none"]
    if server.description:
        lines += ["", "[b $accent]Description[/]", f"  {escape(server.description)}"]
    return "\n".join(lines)


class InstanceDetail(StoreWatching, AnswerOnce, Screen[None]):
    """Pushed over the views; esc goes back. Redrawn from the project's store while shown."""

    CSS_PATH = beside(__file__, "detail.tcss")
    BINDINGS = [
        Binding("escape", "close", "Back"),
        Binding("a", "actions", "Actions", tooltip="on the instance: only what its state allows"),
        Binding("l", "show('console')", "Console log", tooltip="side by side with the details from 160 columns"),
        Binding("i", "show('details')", "Details"),
        Binding("h", "show('history')", "History", tooltip="the instance's actions (who, when, request ID, result) "
                "and their events, newest first; failed ones marked FAILED. h again reads it afresh"),
        Binding("p", "passphrase", "Passphrase", show=False, tooltip="the exouser passphrase of an Exosphere-built "
                "instance: shown after asking (p again hides it); never logged"),
        Binding("c", "copy_passphrase", "Copy passphrase", show=False, tooltip="the exouser passphrase to your "
                "clipboard through OSC 52 (asks first unless shown)"),
        Binding("f", "follow", "Follow", tooltip="the console log, or pause it"),
        # the pane on show scrolls with no Tab first (the tabs took the focus, and the keys with it)
        Binding("j,down", "scroll_pane('down')", "Down", show=False, tooltip="scroll the pane shown"),
        Binding("k,up", "scroll_pane('up')", "Up", show=False, tooltip="scroll the pane shown"),
        Binding("pagedown", "scroll_pane('page_down')", "Page down", show=False, tooltip="scroll the pane shown"),
        Binding("pageup", "scroll_pane('page_up')", "Page up", show=False, tooltip="scroll the pane shown"),
        Binding("home,g", "scroll_pane('home')", "Top", show=False, tooltip="of the pane shown"),
        Binding("end,G", "scroll_pane('end')", "Bottom", show=False, tooltip="of the pane shown"),
        Binding("y", "yaml", "YAML", show=False, tooltip="the cloud's own fields for it, as YAML (/ searches)"),
        Binding("o", "links", "Links", show=False, tooltip="its fields and related items (volumes, ports, groups, "
                "network), each a link"),
        Binding("ctrl+d", "delete", "Delete", show=False, tooltip="asks first, naming it"),
        # the command line lives on the views' screen: go back there, then open it
        # priority, as on the app: the keys after ':' in the same read are the line's, not 'a' (actions)
        Binding("colon", "leave(':')", "View", key_display=":", priority=True,
                tooltip="back to the views, to open one"),
        Binding("slash", "leave('/')", "Filter", key_display="/", show=False, priority=True,
                tooltip="back to the views, to filter the table"),
    ]

    # kinds whose changes alter what this screen shows
    watched_kinds = frozenset({"servers", "flavors", "images", "volumes", "ports", "floating_ips", "security_groups",
                               "networks"})
    drawn_in = "#detail-body"  # inside a container: composed after the screen mounts
    redraw_on_resize = False  # a resize only moves the panes (on_resize below)

    def __init__(self, project, server_id: str) -> None:
        super().__init__()
        self.project = project
        self.server_id = server_id
        self.following = True
        self._console_text: str | None = None
        self._passphrase = None  # a cloud.kinds.Passphrase once asked for; dropped with the screen
        self._passphrase_shown = False
        self._history_read = False

    @property
    def server(self) -> Server | None:
        return self.project.store.item("servers", self.server_id)

    def compose(self) -> ComposeResult:
        from ..widgets.crumb import ScreenCrumb

        yield ScreenCrumb()  # the views' header: which cloud and project, live or stale
        yield Static("", id="detail-title")
        yield Tabs(Tab("Details", id="tab-details"), Tab("Console log", id="tab-console"),
                   Tab("History", id="tab-history"), id="detail-tabs")
        with Horizontal(id="detail-panes"):
            with VerticalScroll(id="details"):
                yield Static("", id="detail-body")
            with VerticalScroll(id="history"):
                yield Static("", id="history-state", markup=False)
                yield Static("", id="history-body")
            with Vertical(id="console-pane"):
                yield Static("", id="console-state")
                yield ConsoleLog(id="console")
        yield Footer()

    @property
    def side_by_side(self) -> bool:
        return self.has_class("-side-by-side")

    def on_resize(self, event: events.Resize) -> None:
        self.set_class(event.size.width >= SIDE_BY_SIDE_AT, "-side-by-side")

    @on(Tabs.TabActivated, "#detail-tabs")
    def _tab_chosen(self, event: Tabs.TabActivated) -> None:
        self.set_class(event.tab.id == "tab-console", "-console")
        self.set_class(event.tab.id == "tab-history", "-history")
        if event.tab.id == "tab-history" and not self._history_read:
            self.fetch_history()
        self.call_after_refresh(self._focus_pane)  # its keys scroll it, with no Tab first

    def on_mount(self) -> None:  # (StoreWatching subscribes and draws)
        self.set_class(self.app.size.width >= SIDE_BY_SIDE_AT, "-side-by-side")
        self.call_after_refresh(self.fetch_console)
        self.set_interval(FOLLOW_EVERY, self._tick)

    def redraw(self) -> None:
        self._pending = False
        server = self.server
        title, body = self.part("#detail-title", Static), self.part("#detail-body", Static)
        if title is None or body is None:
            return  # not composed yet (on_mount draws once it is) or torn down
        if server is None:
            title.update("Instance (gone: deleted, or not in this project)")
            return
        state = full(server.status, server.task_state)  # Nova's names, with the table's words
        name = Text(server.name)
        name.truncate(TITLE_NAME_CELLS, overflow="ellipsis")
        title.update(f"Instance {escape(name.plain)} │ {escape(state)}" + (" │ 🔒" if server.locked else ""))
        passphrase = passphrase_row(server, self._passphrase.shown if self._passphrase_shown and self._passphrase
                                    else None)
        body.update(describe(self.project.store, server, passphrase=passphrase, usage=self._usage(server)))

    def _usage(self, server: Server) -> str | None:
        """The Usage section from the app's usage watcher (ui/usage.py), for a running instance."""
        usage = getattr(self.app, "usage", None)
        if usage is None or server.status != "ACTIVE":
            return None
        return usage_text(*usage.picture(self.project, server))

    # --- the console log ---------------------------------------------------------------------------

    def _tick(self) -> None:
        if self.following and self.server is not None:
            self.fetch_console()

    def fetch_console(self) -> None:
        run_guarded(self, self._read_console(), "reading the console log", group="console", exclusive=True)

    async def _read_console(self) -> None:
        state = self.part("#console-state", Static)
        if state is None:
            return  # not composed yet, or closed: the next tick reads it
        try:
            result = await self.project.actions.console_log(self.server_id, CONSOLE_LINES)
        except ActionRefused as err:
            state.update(f"console log unavailable: {escape(err.reason)}")
            return
        if not result.ok:
            state.update(escape(result.message))
            return
        text = (result.value or "").replace("\r", "")
        self._say_following()
        if text == self._console_text:
            return
        self._console_text = text
        log = self.part("#console", ConsoleLog)
        if log is None:
            return
        log.show(text, scroll_end=log.is_vertical_scroll_end or self.following)

    def _say_following(self) -> None:
        state = self.part("#console-state", Static)
        if state is not None and self._console_text is not None:
            follow = "following (f stops)" if self.following else "paused (f follows)"
            state.update(f"last {CONSOLE_LINES} lines · {follow}")

    # --- keys ----------------------------------------------------------------------------------------

    def action_close(self) -> None:
        self.dismiss(None)

    def action_leave(self, mode: str) -> None:
        self.dismiss(None)  # off the stack at once: the main screen is the app's screen from here on
        if self.app.screen is self.app.screen_stack[0]:  # (not if this screen was answered already)
            self.app.action_command_line(mode)  # before the app reads the next key

    def action_show(self, tab: str) -> None:
        """Narrow: switch tabs. Side by side: both show already, so put the focus (and the keys that
        scroll) on the one asked for (history takes the details' place)."""
        tabs, target = self.part("#detail-tabs", Tabs), self.part(f"#detail-tabs #tab-{tab}", Tab)
        if tabs is None or target is None:
            return  # not composed yet (Tabs mounts its tabs after it mounts itself: the monkey found that gap)
        if tab == "history" and tabs.active == target.id:
            self.fetch_history()  # h again: read it afresh
        tabs.active = target.id
        if self.side_by_side and tab != "console":
            self.set_class(tab == "history", "-history")
        pane = self.part({"console": "#console", "history": "#history"}.get(tab, "#details"), Widget) \
            if self.side_by_side else None
        if pane is not None:
            pane.focus()

    # --- the action history ------------------------------------------------------------------------

    def fetch_history(self) -> None:
        self._history_read = True
        run_guarded(self, self._read_history(), "reading the action history", group="history", exclusive=True)

    async def _read_history(self) -> None:
        from ...cloud.kinds import fetch_history
        from ...cloud.session import CloudError

        state = self.part("#history-state", Static)
        if state is not None:
            state.update("reading the action history…")
        try:
            actions = await fetch_history(self.project.session, self.server_id)
        except CloudError as err:
            if state is not None:
                state.update(f"action history unavailable: {err}")
            return
        users = {}
        for user_id in dict.fromkeys(a.user_id for a in actions if a.user_id):
            name = await self.project.actions.user_name(user_id)
            if name:
                users[user_id] = name
        state, body = self.part("#history-state", Static), self.part("#history-body", Static)
        if state is None or body is None:
            return  # closed meanwhile
        failed = sum(1 for a in actions if a.failed)
        plural = "s" if len(actions) != 1 else ""
        state.update(f"{len(actions)} action{plural}, newest first" + (f" · {failed} FAILED" if failed else "")
                     + " · h reads again")
        body.update(history_text(actions, users))

    # --- the exouser passphrase ----------------------------------------------------------------------

    def action_passphrase(self) -> None:
        if self._passphrase_shown:
            self._passphrase_shown = False
            self.redraw()
            return
        run_guarded(self, self._get_passphrase(show=True), "reading the passphrase", group="passphrase",
                    exclusive=True)

    def action_copy_passphrase(self) -> None:
        run_guarded(self, self._get_passphrase(show=False), "reading the passphrase", group="passphrase",
                    exclusive=True)

    async def _get_passphrase(self, *, show: bool) -> None:
        """Ask first (unless it is on the screen already), fetch it once, then show it or copy it."""
        from ...cloud.kinds import fetch_passphrase
        from ...cloud.session import CloudError
        from ..dialogs import ConfirmDialog

        server = self.server
        if server is None or not exosphere_built(server):
            self.notify("this instance has no exouser passphrase (not built by Exosphere)", severity="warning")
            return
        if not self._passphrase_shown:
            what = "Show" if show else "Copy"
            asked = ConfirmDialog(f"{what} the exouser passphrase of {server.name}?",
                                  "Anyone who sees it can log in to the instance as exouser (Guacamole, sudo)."
                                  if show else "It goes to your clipboard through your terminal (OSC 52).",
                                  confirm=what)
            if not await self.app.push_screen_wait(asked):
                return
        if self._passphrase is None:
            try:
                self._passphrase = await fetch_passphrase(self.project.session, self.server_id)
            except CloudError as err:
                self.notify(f"passphrase not read: {err}", severity="error")
                return
            if self._passphrase is None:
                self.notify(f"{server.name} has no exouser passphrase (none in its tags or os-server-password)",
                            severity="warning")
                return
        if show:
            self._passphrase_shown = True
            self.redraw()
        else:
            self.app.copy_to_clipboard(self._passphrase.value)  # the terminal's own OSC 52, as copy mode does
            self.notify("exouser passphrase copied to the clipboard (OSC 52)", timeout=3)

    def action_follow(self) -> None:
        self.following = not self.following
        self.notify("following the console log" if self.following else "console log paused", timeout=2)
        self._say_following()  # at once: the label said "following" until the next read, which pausing stops
        if self.following:
            self.fetch_console()

    def _pane(self) -> Widget | None:
        """The pane on show (side by side: the focused one, else the details)."""
        tabs = self.part("#detail-tabs", Tabs)
        if tabs is None:
            return None
        if self.side_by_side:
            focused = self.focused
            if focused is not None and focused.id in ("details", "history", "console"):
                return focused
            return self.part("#history" if self.has_class("-history") else "#details", Widget)
        return self.part({"tab-console": "#console", "tab-history": "#history"}.get(tabs.active or "", "#details"),
                         Widget)

    def action_scroll_pane(self, how: str) -> None:
        pane = self._pane()
        if pane is not None:
            getattr(pane, f"scroll_{how}")(animate=False)

    def _focus_pane(self) -> None:
        pane = self._pane()
        if pane is not None and pane.focusable:
            pane.focus()

    def action_actions(self) -> None:
        from ..intents import ServerMenu  # the app starts what a screen asks for (ui/intents.py)

        self.post_message(ServerMenu([self.server_id], self.project))

    def action_yaml(self) -> None:
        from .kind_detail import open_item

        open_item(self.app, "servers", self.server_id, self.project, yaml=True)

    def action_links(self) -> None:
        from .kind_detail import KindDetail

        if self.server is not None:
            self.app.push_screen(KindDetail(self.project, "servers", self.server_id))

    def action_delete(self) -> None:
        from ..intents import DeleteServers

        self.post_message(DeleteServers([self.server_id], self.project))

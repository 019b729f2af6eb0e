"""The exotui Textual app: a breadcrumb, one resource view at a time, a command line, a footer."""

from __future__ import annotations

import asyncio
import gc
import time
from typing import TYPE_CHECKING, Callable

from textual import events, on
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.notifications import SeverityLevel
from textual.widgets import ContentSwitcher, Footer, Input, Static

from . import intents
from .collector import Collector
from .commands import ViewCommands
from .plain import escape
from .tcss import beside, tcss
from .textual_compat import quiet_linux_driver
from .themes import register_themes, start_theme
from .typeahead import TypeAhead
from .widgets.kind_views import KIND_VIEWS
from .widgets.projects import ProjectsView
from .widgets.table import ResourceTable
from .widgets.views import ALIASES, RESOURCE_VIEWS, ResourceView, view_for, views_beginning
from .workers import run_guarded

if TYPE_CHECKING:  # the cloud layer (and openstacksdk behind it) loads after the first frame
    from ..cloud.store import Change
    from ..cloud.workspace import CloudProblem, Project, Workspace
    from .flows import Flows
    from .usage import UsageFollow

# What each view shows, beyond the servers and floating IPs every view of a project keeps fresh: the
# project on screen has these listed every few seconds, so a change made elsewhere shows within 5 s
VIEW_KINDS = {"volumes": ("volumes",), "networks": ("networks", "subnets", "routers", "ports"),
              "floating_ips": ("floating_ips", "ports"), "security_groups": ("security_groups",),
              "images": ("images",), "keypairs": ("keypairs",), "routers": ("routers", "networks", "ports"),
              "subnets": ("subnets", "networks"), "ports": ("ports", "routers"),
              "volume_snapshots": ("volume_snapshots", "volumes"), "server_groups": ("server_groups",)}

# views that are screens pushed over the project (from ':'): name -> (module, class), loaded when opened
PUSHED_SCREENS = {"objects": (".screens.objects", "ObjectsScreen"), "ec2": (".screens.credentials", "Ec2Screen"),
                  "stacks": (".screens.stacks", "StacksScreen"), "shares": (".screens.shares", "SharesScreen"),
                  "clusters": (".screens.clusters", "ClustersScreen")}

STALE_AFTER = 60.0  # seconds without a successful server poll before the header says so


class StoreChanged(Message):
    def __init__(self, change: Change) -> None:
        super().__init__()
        self.change = change


class ProjectAdded(Message):
    def __init__(self, project: Project) -> None:
        super().__init__()
        self.project = project


class Breadcrumb(Static):
    """cloud / project / region, and whether what is shown is live or stale."""

    DEFAULT_CSS = tcss(__file__, "breadcrumb.tcss")
    text = ""  # what it shows now


class CommandLine(Input):
    """The k9s prompt: ':' opens a view by name, '/' filters the current table."""

    DEFAULT_CSS = tcss(__file__, "command_line.tcss")
    mode = ":"

    @property
    def focusable(self) -> bool:
        """Not while hidden: the start-up focus would land here and take the first key typed."""
        return self.display and super().focusable

    async def _on_key(self, event: events.Key) -> None:
        """enter runs the line at once (esc closes it), not through a binding: that waits for the key to come back
        up to the app, by when the keys typed behind it in the same read (`:search` enter `web`) were the hidden
        line's. Those keys, reaching the line once it is closed, go back to the app for what the line opened."""
        plain = event.key.removeprefix("alt+")
        if self.display and plain != event.key and len(plain.removeprefix("shift+")) == 1 and plain[-1].isalnum():
            # esc and a key in one read (a laggy link, tmux send-keys) parse as alt+key: the line's esc, then the key
            event.stop()
            event.prevent_default()
            if isinstance(self.app, ExotuiApp):
                self.app.action_back()
            char = plain[-1].upper() if plain.startswith("shift+") else plain
            self.app.post_message(events.Key(char, char))
            return
        if not self.display or event.key in ("enter", "escape"):
            event.stop()
            event.prevent_default()
            if self.display and isinstance(self.app, ExotuiApp):
                if event.key == "enter":
                    self.app.run_line(self.value)
                else:
                    self.app.action_back()
            elif not getattr(event, "bounced", False):  # once: never back and forth while the focus moves
                again = events.Key(event.key, event.character)
                again.bounced = True  # type: ignore[attr-defined]
                self.app.post_message(again)
            return
        await super()._on_key(event)


CRUMB_QUIET = 5.0  # seconds between two looks at a header that says `● live` (see _tick_crumb)


class ExotuiApp(App[int]):
    TITLE = "exotui"
    COMMANDS = App.COMMANDS | {ViewCommands}
    CSS_PATH = beside(__file__, "app.tcss")
    BINDINGS = [
        # priority: taken by the app as it reads the key, before the keys after it are passed on, so ':net'
        # in one read (a paste, a laggy link) is the line's and never the view's n, e, t (see check_action)
        Binding("colon", "command_line(':')", "View", key_display=":", priority=True,
                tooltip="a view by its name or an alias (below); :map the network, :matrix who may connect"),
        Binding("slash", "command_line('/')", "Filter", key_display="/", priority=True,
                tooltip="the table's shown columns, by a regular expression (!text inverts, *text every column and "
                "the ID); esc clears"),
        # the footer keeps to what fits 80 columns with ? in it; the rest are in ? help and the palette
        Binding("w", "wide", "Wide", show=False, tooltip="more columns"),
        Binding("ctrl+r", "refresh", "Refresh", show=False, tooltip="now: full lists, failed logins tried again"),
        Binding("question_mark", "help", "Help", key_display="?", tooltip="these keys, the screen's own"),
        Binding("escape", "back", "Back", show=False, tooltip="the filter cleared, or the view before"),
        Binding("q", "quit", "Quit", show=False, tooltip="asks first while SSH sessions are open"),
    ]

    def __init__(self, workspace: Workspace | Callable[[], Workspace], *, start_view: str = "servers",
                 theme: str | None = None) -> None:
        """`workspace` may be a function that makes it (reading the clouds' config through openstacksdk):
        it then runs in a thread after the first frame, and a ProfileError it raises ends the app with
        status 1 and the message in `failure`."""
        super().__init__()
        self.workspace: Workspace | None = None if callable(workspace) else workspace
        self._make_workspace = workspace if callable(workspace) else None
        self.failure: str | None = None
        self.project: Project | None = None
        self.start_view = start_view
        self._history: list[str] = []
        self._crumb: Breadcrumb | None = None  # found once: this runs every second
        self._collector: Collector | None = None  # the cyclic collector off the idle path (ui/collector.py)
        self._flows: Flows | None = None
        self.usage: UsageFollow | None = None  # instance usage, for the project on screen (ui/usage.py)
        self.read_usage = True  # False: no usage reads from the start (tests that count what the app sends)
        self.typeahead = TypeAhead(self)  # keys typed ahead of a flow's dialog wait for it (ui/typeahead.py)
        register_themes(self)
        if theme:
            start_theme(self, theme)

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.Key) and self.typeahead.take(event):  # a flow's dialog is on its way
            event.stop()
            event.prevent_default()
            return
        await super().on_event(event)

    @property
    def flows(self) -> Flows:
        """The app's one Flows: what the views' keys start (made on first use: it loads the cloud layer)."""
        if self._flows is None:
            from .flows import Flows

            self._flows = Flows(self)
        return self._flows

    # what a view's key asks for (ui/intents.py), started here: the views never reach the flows
    @on(intents.OpenDetail)
    def _open_detail(self, asked: intents.OpenDetail) -> None:
        self.flows.open_detail(asked.server_id, asked.project)

    @on(intents.OpenItem)
    def _open_item(self, asked: intents.OpenItem) -> None:
        from .screens.kind_detail import open_item  # (ShowYaml is an OpenItem too)

        open_item(self, asked.kind, asked.ident, asked.project, yaml=isinstance(asked, intents.ShowYaml))

    @on(intents.ServerMenu)
    def _server_menu(self, asked: intents.ServerMenu) -> None:
        self._flow_or_keys_back(lambda: self.flows.server_menu(asked.ids, asked.project))

    @on(intents.DeleteServers)
    def _delete_servers(self, asked: intents.DeleteServers) -> None:
        self._flow_or_keys_back(lambda: self.flows.delete_servers(asked.ids, asked.project))

    @on(intents.Launch)
    def _launch(self, asked: intents.Launch) -> None:
        self._flow_or_keys_back(lambda: self.flows.launch(asked.project))

    @on(intents.ResourceFlow)
    def _resource_flow(self, asked: intents.ResourceFlow) -> None:
        self._flow_or_keys_back(
            lambda: self.flows.resource(asked.kind, asked.name, asked.item, asked.project, asked.ident))

    def _flow_or_keys_back(self, start: Callable[[], None]) -> None:
        """Start what an intent that opens a dialog asked for; if no flow started (nothing to act on, no
        project), the keys its making held go back at once (ui/typeahead.py)."""
        before = self.flows.started
        start()
        if self.flows.started == before:
            self.typeahead.release()

    @on(intents.ShowItem)
    def _show_item(self, asked: intents.ShowItem) -> None:
        from .goto import show_item

        show_item(self, asked.project, asked.kind, asked.item_id)

    def _views(self):
        """Every view as a fresh widget: (name, widget class)."""
        yield "projects", ProjectsView
        for view in (*RESOURCE_VIEWS, *KIND_VIEWS):
            yield view.kind, view

    def get_driver_class(self):
        """Textual's own choice, but on a terminal of Linux or macOS the driver whose input thread sleeps
        until there is input (textual_compat.quiet_linux_driver: an idle dashboard's cost)."""
        chosen = super().get_driver_class()
        if (chosen.__module__, chosen.__name__) == ("textual.drivers.linux_driver", "LinuxDriver"):
            return quiet_linux_driver() or chosen
        return chosen

    def compose(self) -> ComposeResult:
        yield Breadcrumb("exotui │ connecting…", id="crumb", markup=False)  # names and errors from clouds
        with ContentSwitcher(initial=self.start_view, id="body"):
            # the view on screen only: the others mount after the first frame (see _mount_views)
            yield from (view(id=name) for name, view in self._views() if name == self.start_view)
        yield CommandLine(id="command")
        yield Footer()

    async def on_mount(self) -> None:
        self._tick_crumb()
        # the first frame comes first; the hidden views, logins and the first load follow
        self.call_after_refresh(self._focus_table)  # not the hidden command line
        self.call_after_refresh(self._after_first_frame)

    async def _after_first_frame(self) -> None:
        gc.enable()  # the CLI pauses the collector until the first frame (cli._gc_paused)
        self._collector = Collector(asyncio.get_running_loop())
        self._collector.start()
        await self._mount_views()
        self._open_workspace()

    async def _mount_views(self) -> None:
        """Mount the views not yet mounted (all but the first one shown), before anything needs them."""
        switcher = self.query_one("#body", ContentSwitcher)
        missing = [view(id=name) for name, view in self._views() if not switcher.query_children(f"#{name}")]
        for widget in missing:
            widget.display = False  # as ContentSwitcher does for the children it is composed with
        if missing:
            await switcher.mount_all(missing)

    def notify(self, message: str, *, title: str = "", severity: SeverityLevel = "information",
               timeout: float | None = None, markup: bool = True) -> None:
        """Every notification is plain text, whoever asks (widgets pass markup=True): they carry names and
        messages from the cloud, where "[/b]" in a server's name crashed the toast as markup."""
        super().notify(message, title=title, severity=severity, timeout=timeout, markup=False)

    def _open_workspace(self) -> None:
        run_guarded(self, self._load_and_open(), "opening the clouds")

    async def _load_and_open(self) -> None:
        if self.workspace is None and self._make_workspace is not None:
            from ..cloud.profiles import ProfileError

            try:
                self.workspace = await asyncio.to_thread(self._make_workspace)
            except Exception as err:  # e.g. a ProfileError the CLI's quick look at the config could not see
                message = str(err) if isinstance(err, ProfileError) else f"cannot open the clouds: {err}"
                self.failure = message.splitlines()[0] if message else type(err).__name__
                self.exit(return_code=1)
                return
        await self.workspace.open(on_project=lambda p: self.post_message(ProjectAdded(p)), on_problem=self._problem)

    def _problem(self, problem: CloudProblem) -> None:
        """A login failed (first time: a toast; after that the header and `:projects` keep saying it)."""
        if problem.attempts == 1:
            self.notify(f"{problem.cloud}: {problem.message}", title="cannot open cloud", severity="error", timeout=15)
        self._show_problems()

    def _show_problems(self) -> None:
        if self.workspace is None or not self.is_running or not self.screen_stack:
            return
        for projects in self.screen_stack[0].query(ProjectsView):
            projects.show_problems(self.workspace.problems)
        self.update_crumb()

    def on_project_added(self, message: ProjectAdded) -> None:
        project = message.project
        project.store.subscribe(lambda change: self.post_message(StoreChanged(change)))
        self.query_one(ProjectsView).add_project(project)
        self._show_problems()  # a cloud that logged in at last is no longer one
        if project.warning:
            self.notify(project.warning, title=project.label, severity="warning", timeout=15)
        if self.project is None:
            self.select_project(project)
        else:
            project.poller.watch(())  # not on screen: its servers are polled slowly

    def select_project(self, project: Project) -> None:
        previous, self.project = self.project, project
        if previous is not None and previous is not project:
            previous.poller.watch(())
        for view in self.query(ResourceView):
            view.show(project)
        self._watch_current()
        self.update_crumb()
        if self.usage is None:
            from .usage import UsageFollow

            self.usage = UsageFollow(self)
            self.usage.paused = not self.read_usage
        self.usage.follow(project)

    def watch_app_focus(self, focused: bool) -> None:
        """The terminal says whether anyone is looking (focus reports, DECSET 1004: tmux with `focus-events on`
        when the session is detached or another window is shown, most desktop terminals when another window
        is raised). Unlooked at, the shown project is polled as an unshown one (servers every 15 s, the rest
        every 5 minutes): a dashboard left open for weeks costs next to nothing. Focus back, or any key,
        and what is on screen is listed at once and every 3.5 s again."""
        if not focused:
            if self.project is not None:
                self.project.poller.watch(())
        else:
            self._watch_current()

    def _watch_current(self) -> None:
        """Tell the shown project's poller what is on screen (polled fast), the others nothing."""
        if self.project is not None and self.app_focus:
            kinds = {"servers", "floating_ips", *VIEW_KINDS.get(self.current_view, ())}
            self.project.poller.watch(kinds)

    def on_store_changed(self, message: StoreChanged) -> None:
        if not self.is_running or not self.screen_stack:
            return  # the app is shutting down
        change = message.change
        main = self.screen_stack[0]
        # each view takes the changes it shows: the Projects view every project's, the others the current one's
        for view in main.query(ResourceView):  # (absent while the app shuts down)
            view.changed(change)
        current = self.project is not None and change.project == self.project.key
        if current and (change.error or change.recovered or change.loaded) and change.kind == "servers":
            self.update_crumb()
        if self.screen is not main and hasattr(self.screen, "changed"):
            self.screen.changed(change)  # a detail screen follows its resource

    MAIN_SCREEN_ACTIONS = {"command_line", "wide", "refresh", "quit"}

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """The view keys (':', '/', 'w', 'q', ctrl+r) belong to the main screen, not to dialogs over it."""
        if action in self.MAIN_SCREEN_ACTIONS and len(self.screen_stack) > 1:
            return False
        if action == "command_line" and isinstance(self.focused, Input):
            return False  # a ':' or '/' typed into the line itself (or any field) is text
        return True

    # --- header ---------------------------------------------------------------------------

    def _tick_crumb(self) -> None:
        """The header again each second while something in it counts (stale for N s, retrying in N s, loading);
        while it only says `● live`, every CRUMB_QUIET seconds (idle cost: a wake-up a second was 60 a minute).
        Errors and changes of project redraw it at once anyway (update_crumb's other callers)."""
        self.update_crumb()
        quiet = self._crumb is not None and self._crumb.text.endswith("● live")
        self.set_timer(CRUMB_QUIET if quiet else 1.0, self._tick_crumb, name="crumb")

    def update_crumb(self) -> None:
        crumb = self._crumb
        if crumb is None or not crumb.is_attached:
            crumbs = self.screen_stack[0].query(Breadcrumb) if self.screen_stack else None
            if not crumbs:
                return  # not composed yet, or shutting down
            crumb = self._crumb = crumbs.first()  # the main screen's, not the palette's or a dialog's
        project = self.project
        problems = self.workspace.problems if self.workspace else []
        if problems:  # the countdowns move
            for projects in self.screen_stack[0].query(ProjectsView):
                projects.show_problems(problems)
        if len(problems) == 1:
            failed = f"⚠ {problems[0].cloud}: {problems[0].line} (ctrl+r: now)"
        else:
            failed = f"⚠ {len(problems)} clouds not logged in, see :projects (ctrl+r: retry now)" if problems else ""
        # read-only (exotui --readonly, or the cloud's exotui: readonly): said before anything else
        ro = "RO │ " if (project.actions.readonly if project is not None else
                          self.workspace is not None and self.workspace.readonly) else ""
        if project is None:
            self._set_crumb(crumb, f"exotui │ {ro}" + (failed or "connecting…"))
            return
        key = project.key
        where = " / ".join(x for x in (key.cloud, key.project_name or key.project_id, key.region) if x)
        state = project.store.state("servers")
        age = project.store.age("servers")
        if not state.loaded:
            status = "loading…" if state.last_error is None else f"⚠ {state.last_error}"
        elif state.last_error or (age is not None and age > self._stale_after(project)):
            status = f"⚠ stale {int(age or 0)}s" + (f": {state.last_error}" if state.last_error else "")
        else:
            status = "● live"
        self._set_crumb(crumb, f"exotui │ {ro}{where} │ {status}" + (f" │ {failed}" if failed else ""))

    @staticmethod
    def _set_crumb(crumb: Breadcrumb, text: str) -> None:
        """Only a changed header is drawn again: this runs every second, and an update relayouts the screen."""
        if crumb.text != text:
            crumb.text = text
            crumb.update(text)

    @staticmethod
    def _stale_after(project: Project) -> float:
        """Two polls missed (a poll failing past its deadline says so sooner, through last_error)."""
        poller = project.poller
        return min(STALE_AFTER, 2 * poller.next_delay() + poller.intervals.deadline)

    # --- views and the command line ---------------------------------------------------------

    @property
    def current_view(self) -> str:
        return self.query_one(ContentSwitcher).current or self.start_view

    def show_view(self, name: str) -> None:
        switcher = self.query_one(ContentSwitcher)
        if not switcher.query_children(f"#{name}"):  # asked for before the views are all mounted
            self.call_later(self._show_when_mounted, name)
            return
        if switcher.current != name:
            self._history.append(switcher.current or self.start_view)
            switcher.current = name
            self._watch_current()
        self.call_after_refresh(self._focus_table)

    async def _show_when_mounted(self, name: str) -> None:
        await self._mount_views()
        if self.query_one(ContentSwitcher).query_children(f"#{name}"):  # else no such view: once, not forever
            self.show_view(name)

    def _focus_table(self) -> None:
        if self.query_one(CommandLine).display:
            return  # ':' or '/' typed before the start-up focus came: the keys that follow are the line's
        view = self.query_one(f"#{self.current_view}")
        tables = view.query(ResourceTable)
        if tables:
            tables.first().focus()

    def action_command_line(self, mode: str) -> None:
        line = self.query_one(CommandLine)
        line.mode = mode
        line.placeholder = ("view: servers, vol, net, fips, sg, images, keypairs, projects" if mode == ":"
                            else "filter: regex on the columns shown; !regex inverts; *regex every column")
        table = self._table()
        line.value = table.filter_text if mode == "/" and table else ""
        line.border_subtitle = escape(table.filter_error or "") if mode == "/" and table else ""
        line.display = True  # at once, not by a class on the next refresh: keys typed fast must land here
        # focused now, not by focus()'s call_later: the keys behind ':' in the same read are forwarded to
        # whatever has the focus when the app reads them, which must be the line
        self.screen.set_focus(line)

    def _table(self) -> ResourceTable | None:
        tables = self.query_one(f"#{self.current_view}").query(ResourceTable)
        return tables.first() if tables else None

    @on(Input.Changed, "#command")
    def live_filter(self, event: Input.Changed) -> None:
        lines = self.query(CommandLine)  # (the app may be closing)
        # a change arriving after enter or esc closed the line is old news: enter set the filter, esc cleared it
        if lines and lines.first().display:
            self._set_filter(event.value)

    def _set_filter(self, text: str) -> None:
        line, table = self.query_one(CommandLine), self._table()
        if line.mode == "/" and table is not None:
            table.set_filter(text)
            line.border_subtitle = escape(table.filter_error or "")  # a bad or slow regex is said here, never raised
            view = self.query_one(f"#{self.current_view}")
            if isinstance(view, ResourceView):
                view.update_title()

    @on(Input.Submitted, "#command")
    def run_command(self, event: Input.Submitted) -> None:
        self.run_line(event.value)

    def run_line(self, value: str) -> None:
        """The command line's text run (enter): a view opened by its name, a screen pushed, or the filter kept."""
        line = self.query_one(CommandLine)
        if line.mode == "/":
            self._set_filter(value)  # the whole text: its last changes may not have arrived yet
        line.display = False
        if line.mode == ":":
            text = value.strip().lstrip(":")
            if text == "q!":
                self.exit(0)
                return
            if text in ("q", "quit"):
                self.action_quit()
                return
            word, _, rest = text.partition(" ")
            name = view_for(word) if text else None
            if name == "search":
                self.open_search(rest)
            elif name == "units":
                from .screens.allocations import open_units

                open_units(self)
            elif name is None:
                several = views_beginning(word)
                if several:
                    names = ", ".join(ALIASES[v][0] for v in several)
                    self.notify(f"':{word}' could be {names}: type more of it", severity="warning")
                elif text:
                    self.notify(f"no view called '{text}'; try servers, vol, net, fips, sg, images, keypairs, "
                                "projects, routers, subnets, ports, snapshots, servergroups, map, matrix",
                                severity="warning")
            elif name in ("map", "matrix"):
                self.open_network_screen(name)
            elif name in PUSHED_SCREENS:
                self.open_screen(name)
            else:
                self.show_view(name)
        self._focus_table()

    def open_network_screen(self, name: str) -> None:
        """`map` (the network map) or `matrix` (who may connect), over the current project."""
        if self.project is None:
            self.notify("no project is open yet", severity="warning")
            return
        if name == "map":
            from .screens.netmap import NetMapScreen

            self.push_screen(NetMapScreen(self.project))
        else:
            from .screens.matrix import MatrixScreen

            self.push_screen(MatrixScreen(self.project))

    def open_screen(self, name: str) -> None:
        """One of PUSHED_SCREENS (`objects`, ...) over the current project."""
        if self.project is None:
            self.notify("no project is open yet", severity="warning")
            return
        import importlib

        module, cls = PUSHED_SCREENS[name]
        self.push_screen(getattr(importlib.import_module(module, __package__), cls)(self.project))

    def show_resource(self, kind: str, item_id: str) -> None:
        """The view of `kind` with its cursor on `item_id`, over nothing (a stack's resource, linked)."""
        if kind not in VIEW_KINDS or kind == "servers":
            self.notify(f"exotui has no view of {kind.replace('_', ' ')} yet", severity="warning", timeout=4)
            return
        while len(self.screen_stack) > 1:
            self.pop_screen()
        self.show_view(kind)

        def point() -> None:
            tables = self.query_one(f"#{kind}").query(ResourceTable)
            if tables and item_id in tables.first().shown:
                tables.first().cursor = tables.first().shown.index(item_id)

        self.call_after_refresh(point)

    def open_search(self, query: str = "") -> None:
        """`:search` (and the palette's): every open project's items by name, ID, IP, MAC or fingerprint."""
        from .screens.search import SearchScreen

        if self.workspace is not None:
            self.push_screen(SearchScreen(self.workspace, query))

    def action_command_palette(self) -> None:
        """Textual's, unless a palette is anywhere in the stack: Textual looks only at the top screen,
        and a command that pushed a screen (the map) while its palette was still closing left one
        below, so a second ctrl+p raised DuplicateIds (found by the monkey)."""
        if self.use_command_palette and not any(screen.id == "--command-palette" for screen in self.screen_stack):
            from .dialogs.palette import Palette  # (through textual_compat: the palette list's page keys guarded)

            self.push_screen(Palette(id="--command-palette"))

    def search_themes(self) -> None:
        """Textual's theme picker ("Change theme" in the palette), in the palette that closes once."""
        from textual.theme import ThemeProvider

        from .dialogs.palette import Palette

        self.push_screen(Palette(providers=[ThemeProvider], placeholder="Search for themes…"))

    def action_back(self) -> None:
        line = self.query_one(CommandLine)
        if line.display:
            line.display = False
            if line.mode == "/":
                table = self._table()
                if table is not None:
                    table.set_filter("")
                    view = self.query_one(f"#{self.current_view}")
                    view.update_title()
            self._focus_table()
            return
        table = self._table()
        if table is not None and table.filter_text:
            table.set_filter("")
            self.query_one(f"#{self.current_view}").update_title()
            return
        if self._history:
            self.query_one(ContentSwitcher).current = self._history.pop()
            self._watch_current()
            self.call_after_refresh(self._focus_table)

    def ssh_sessions(self) -> int:
        """How many SSH session tabs are open (the sessions module loads with the first one)."""
        import sys

        sessions = sys.modules.get(f"{__package__}.screens.sessions")
        if sessions is None or not self.is_screen_installed(sessions.SCREEN):
            return 0
        return self.get_screen(sessions.SCREEN).count

    def action_quit(self) -> None:
        """q (and :q): asks first while SSH sessions are open, since their shells end with the app; :q! does not."""
        count = self.ssh_sessions()
        if not count:
            self.exit(0)
            return
        from .dialogs import ConfirmDialog

        self.push_screen(ConfirmDialog(f"Quit exotui with {count} SSH session{'s' if count > 1 else ''} open?",
                                       "Their shells end with it, and whatever runs in them in the foreground.",
                                       confirm="Quit"),
                         lambda yes: self.exit(0) if yes else None)

    def action_wide(self) -> None:
        table = self._table()
        if table is not None:
            table.wide = not table.wide

    def action_refresh(self) -> None:
        retried = self.workspace.retry_now() if self.workspace is not None else 0  # failed logins, now
        if self.project is not None:
            self.project.poller.refresh_all()  # full lists: the store made equal to the cloud
        if self.project is not None or retried:
            self.notify("refreshing", timeout=2)  # the header tells of the logins tried again

    def action_help(self) -> None:
        from .screens.help import HelpScreen

        self.push_screen(HelpScreen(self.screen))  # the keys of the screen it is opened over

    @on(ResourceTable.Selected)
    def open_item(self, event: ResourceTable.Selected) -> None:
        if event.table.id == "table-projects":
            project = self.query_one(ProjectsView).project_for(event.item_id)
            if project is not None:
                self.select_project(project)
                self.show_view("servers")

    async def on_unmount(self) -> None:
        if self._collector is not None:
            self._collector.stop()
        if self.workspace is not None:
            await self.workspace.close()


def run_app(workspace: Workspace | Callable[[], Workspace], *, theme: str | None = None) -> int:
    """Run the dashboard; a config problem found only after the first frame is printed once the
    terminal is back, as one line on stderr."""
    started = time.perf_counter()
    app = ExotuiApp(workspace, theme=theme)
    app.started = started  # type: ignore[attr-defined]
    app.run()
    if app.failure:
        import sys

        print(f"exotui: {app.failure}", file=sys.stderr)
        return 1
    return app.return_code or 0

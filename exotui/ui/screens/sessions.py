"""SSH sessions as tabs: a screen of TerminalViews, kept installed so leaving it closes nothing.

`s` on an instance (or "SSH" in its action menu) opens a session (open_session); ctrl+] goes back
to the dashboard with every session still running; `S` on the dashboard comes back.
shift+pageup/shift+pagedown scroll back and forth, shift+up enters copy mode (search, select, copy
through OSC 52; see terminal.py), ctrl+pageup/ctrl+pagedown switch tabs, ctrl+f4 ends the current
session, f12 opens it in the user's
own terminal (the app is suspended and the system `ssh` runs with the same target, user, keys and
pinned known_hosts), ctrl+f5 forwards a port of the instance to this host (dialogs/forward.py; "Forward a
port" in the action menu opens a session first when none is open); a session's forwards close with it.
A session whose remote shell exits closes its tab; the last one closed returns to the dashboard.
Host keys: with no key block in the console log the fingerprint is shown and the user decides; a key
that no longer matches its pin is refused, and the tab offers to forget the pin (a dialog naming the
host, Cancel focused). As exouser, Exosphere's passphrase from Nova is tried after the keys.
"""

from __future__ import annotations

import asyncio
import subprocess
from itertools import count

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer, Static, TabbedContent, TabPane

from ...cloud.actions.base import ActionRefused
from ...cloud.models import Server
from ...ssh.client import HostKeyChanged, HostKeyUnknown, SSHError, connect
from ...ssh.hostkeys import KnownHosts
from ...ssh.target import EXOSPHERE_USER, Target, TargetError, reach
from ..textual_compat import FocusSafeTabbedContent
from ..widgets.terminal import TerminalView
from ..workers import run_guarded

SCREEN = "ssh-sessions"
_ids = count(1)


def sessions_screen(app) -> "SessionsScreen":
    """The app's one sessions screen, installed on first use (installed screens survive pop_screen)."""
    if not app.is_screen_installed(SCREEN):
        app.install_screen(SessionsScreen(), SCREEN)
    return app.get_screen(SCREEN)


def open_session(app, project, server_id: str, user: str | None = None, *, forward: bool = False) -> None:
    """A new session to the instance in a new tab; the sessions screen comes to the front. `forward`: the
    port-forward dialog opens once it is connected."""
    server = project.store.item("servers", server_id) if project is not None else None
    if server is None:
        app.notify("no such instance", severity="warning")
        return
    screen = sessions_screen(app)
    if app.screen is not screen:
        app.push_screen(screen)
    screen.call_after_refresh(screen.add_session, project, server, user, forward=forward)


def forward_port(app, project, server_id: str) -> None:
    """The port-forward dialog on a session to the instance (a connected one first, else one still connecting,
    once it connects), or on a new session once it connects."""
    if app.is_screen_installed(SCREEN):
        screen = app.get_screen(SCREEN)
        mine = [s for s in screen.sessions() if s.server.id == server_id and not s.ended.is_set()]
        session = next((s for s in mine if s.shell is not None), None) or next(iter(mine), None)
        if session is not None:
            if app.screen is not screen:
                app.push_screen(screen)
            screen.show(session)
            if session.shell is not None:
                session.open_forwards()
            else:
                session.forward_when_connected = True
            return
    open_session(app, project, server_id, forward=True)


def show_sessions(app) -> None:
    if app.is_screen_installed(SCREEN) and app.get_screen(SCREEN).count and app.screen is not app.get_screen(SCREEN):
        app.push_screen(SCREEN)
    else:
        app.notify("no SSH session is open: press s on an instance", timeout=4)


class SSHSession(Vertical):
    """One tab: a status line and a terminal, and the worker that connects and pumps output."""

    DEFAULT_CSS = """
    SSHSession { height: 1fr; }
    SSHSession > .ssh-status { height: 1; background: $panel; color: $text-muted; padding: 0 1; }
    """

    def __init__(self, project, server: Server, user: str | None = None, forward: bool = False, **kwargs) -> None:
        super().__init__(**kwargs)
        self.project, self.server, self.user = project, server, user
        self.forward_when_connected = forward
        self.target: Target | None = None
        self.store = KnownHosts()
        self.shell = None
        self.connection = None
        self.ended = asyncio.Event()
        self.connected = asyncio.Event()  # the shell is open (a share's mount flow types into it then)

    def compose(self) -> ComposeResult:
        yield Static(f"{self.server.name}: connecting…", classes="ssh-status", markup=False)
        yield TerminalView()

    @property
    def terminal(self) -> TerminalView:
        return self.query_one(TerminalView)

    def status(self, text: str) -> None:
        self._status = text
        self._status_line(self._forwarding() + text)

    def _forwarding(self) -> str:
        forwards = self.connection.forwards.open_now() if self.connection is not None else []
        if not forwards:
            return ""
        return "⇄ " + " ".join(f"{f.remote_port}→:{f.local_port}" for f in forwards[:3]) + (
            " …" if len(forwards) > 3 else "") + " · "

    def notice(self, text: str) -> None:
        """A passing note after the status (copy mode: "copied N characters", search results)."""
        # the note first: the end of the line is cut at 80 columns
        self._status_line(f"{text} · {getattr(self, '_status', '')}")

    def _status_line(self, text: str) -> None:
        # the tab may be closed while its worker still says something (the worker is cancelled just after)
        for line in self.query(".ssh-status").results(Static):
            line.update(text)

    def on_mount(self) -> None:
        self.terminal.on_notice = self.notice
        self.terminal.focus()
        run_guarded(self, self._run(), f"ssh {self.server.name}")

    async def _run(self) -> None:
        try:
            try:
                await self._session()
            except HostKeyChanged as changed:
                self.status(f"✗ {changed}")
                if not await self._ask_forget(changed):
                    raise
                changed.forget()  # the console log vouches for the new key, or the user is asked
                self.status(f"{self.server.name}: old host key forgotten; connecting again…")
                await self._session()
        except (SSHError, TargetError, ActionRefused) as err:  # refused: the instance went while we asked
            self.status(f"✗ {err}")
            self.app.notify(str(err), title=f"ssh {self.server.name}", severity="error", timeout=15)
        finally:
            if self.shell is not None:
                self.shell.close()
            if self.connection is not None:
                await self.connection.close()
            self.ended.set()

    async def _session(self) -> None:
        project, server = self.project, self.server
        image = project.store.item("images", server.image_id) if server.image_id else None
        profile = project.profile
        config = profile.cloud_region.config if profile.cloud_region else {}
        way = reach(server, image, config, profile.source, self.user, check_host_key=False)  # connect() checks
        if way.target is None and way.wake:
            server = await self._wake(server, way.wake)
            way = reach(server, image, config, profile.source, self.user, check_host_key=False)
        if way.target is None:
            raise TargetError(way.problem)
        self.target = target = way.target
        self.status(f"{target.label} ({target.host}:{target.port}): reading the console log for its host key…")
        console = await self._console_log()
        password = await self._passphrase()
        try:
            self.connection = await self._connect(target, console, password, patient=way.wake is not None)
        except HostKeyUnknown as unknown:
            if not await self._ask_trust(unknown):
                raise SSHError("unknown_key", f"not connected: the host key of {target.name} was not trusted") from None
            unknown.accept()
            self.connection = await connect(target, console, store=self.store, password=password)
        del password
        trust = {"pinned": "host key pinned", "console": "host key from the console log, now pinned",
                 "fingerprints": "host key matched the console log's fingerprint, now pinned",
                 "ask": "host key trusted by you, now pinned"}[self.connection.trust.source]
        if self.connection.by_password:
            trust += " · logged in with the passphrase from Nova"
        terminal = self.terminal
        await terminal.sized.wait()  # the PTY opens at the pane's real size
        self.shell = shell = await self.connection.shell(terminal.emulator.columns, terminal.emulator.lines)
        terminal.on_input = shell.write
        terminal.on_size = shell.resize
        terminal.emulator.reply = shell.write  # answers to DA/DSR queries
        terminal.on_fault = self._emulator_failed
        self.connected.set()
        self.status(f"● {target.label} {target.host}:{target.port} · {trust} · ctrl+] dashboard")
        if self.forward_when_connected:
            self.forward_when_connected = False
            self.open_forwards()
        while True:
            data = await shell.read()
            if not data:
                break
            await terminal.feed(data)
        status = shell.exit_status
        self.status("session ended" + (f" (exit {status})" if status is not None else ""))
        self.screen.post_message(SessionsScreen.Ended(self))

    async def _connect(self, target: Target, console: str | None, password: str | None, *, patient: bool):
        """connect(); an instance just woken may refuse for a while (sshd not up yet): retried for a minute."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + (60 if patient else 0)
        while True:
            try:
                return await connect(target, console, store=self.store, password=password)
            except SSHError as err:
                if err.kind not in ("refused", "timeout", "unreachable", "closed") or loop.time() > deadline:
                    raise
                self.status(f"{target.label} ({target.host}:{target.port}): waiting for SSH to answer…")
                await asyncio.sleep(1)

    async def _wake(self, server: Server, action: str) -> Server:
        """Offer to start/resume/unshelve a stopped instance (a dialog, Cancel focused); once confirmed,
        run it and wait until the instance is ACTIVE with an address. Raises TargetError otherwise."""
        from ..dialogs import ConfirmDialog

        name, status = server.name, server.status
        self.status(f"{name} is {status}: {action} it to connect?")
        if not await self.app.push_screen_wait(ConfirmDialog(
                f"{name} is {status}: {action} it?",
                f"{name} does not answer SSH while it is {status}. {action.capitalize()} it now, and connect once it "
                "is ACTIVE?", confirm=action.capitalize())):
            raise TargetError(f"not connected: {name} is {status}")
        self.status(f"{name}: {action}…")
        result = await self.project.actions.run(server.id, action)
        if not result.ok:
            raise TargetError(f"{action} {name}: {result.message}")
        store = self.project.store
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 120
        while loop.time() < deadline:  # the poller brings the new status and the floating IP
            fresh = store.item("servers", server.id)
            if fresh is not None and fresh.status == "ACTIVE" and (fresh.floating_ips or fresh.fixed_ips):
                self.server = fresh
                return fresh
            await asyncio.sleep(0.2)
        raise TargetError(f"{name} did not become ACTIVE after {action}")

    def _emulator_failed(self, message: str) -> None:
        """The terminal emulator failed on some output and was reset: the session goes on, and says so."""
        self.status(f"⚠ {self.target.label if self.target else self.server.name}: the terminal was reset after an "
                    f"emulator error ({message[:120]}); the session goes on · ctrl+] dashboard")
        self.app.notify(f"terminal reset after an emulator error: {message[:200]}", title=f"ssh {self.server.name}",
                        severity="warning", timeout=10)

    async def _console_log(self) -> str | None:
        """The console log, or None when the cloud will not give it (then the user decides on the key)."""
        if self.store.lookup(self.target.host, self.target.port):
            return None  # pinned already: the log is not needed
        try:
            result = await self.project.actions.console_log(self.server.id)
        except Exception:  # refused (e.g. no host) or the cloud failed: fall back to asking
            return None
        return result.value if result.ok else None

    async def _passphrase(self) -> str | None:
        """Exosphere's exouser passphrase from Nova (os-server-password), offered after the keys; None when
        the instance has none. Never shown: it goes to the SSH client and nowhere else."""
        if self.target.user != EXOSPHERE_USER:
            return None
        try:
            return await self.project.actions.server_password(self.server.id)
        except Exception:  # a convenience: without it the keys still work
            return None

    async def _ask_forget(self, changed: HostKeyChanged) -> bool:
        """Where the mismatch is reported: forget the pinned key? Cancel has the focus."""
        from ..dialogs import ConfirmDialog

        where = f"{changed.target.host}:{changed.target.port}"
        whose = (f"instance {changed.pinned_for}" if changed.pinned_for and changed.pinned_for != self.server.id
                 else f"{self.server.name}")
        message = (f"{changed}\n\nForgetting drops the key pinned for {where} (pinned for {whose}); the next key is "
                   "then checked against the console log again, or shown to you. Do it only if you know why the "
                   "key changed (you rebuilt the instance, or moved the floating IP).")
        return bool(await self.app.push_screen_wait(ConfirmDialog(
            f"Forget the pinned host key of {where} ({self.server.name})?", message, confirm="Forget")))

    async def _ask_trust(self, unknown: HostKeyUnknown) -> bool:
        from ..dialogs import ConfirmDialog

        message = (f"{unknown.target.host}:{unknown.target.port} offers this host key, and the instance's console log"
                   f" has no key block to check it against:\n\n  {unknown.key_type} {unknown.fingerprint}\n\n"
                   "Trust it only if you can confirm the fingerprint another way.")
        return bool(await self.app.push_screen_wait(ConfirmDialog(f"Trust the host key of {self.server.name}?",
                                                                  message, confirm="Trust")))

    def open_forwards(self) -> None:
        """The port-forward dialog for this session's connection (its forwards listed there)."""
        from ..dialogs.forward import ForwardDialog

        if self.connection is None or self.shell is None:
            self.app.notify("not connected yet: the forward opens on a connected session", severity="warning")
            return
        self.app.push_screen(ForwardDialog(self.server.name, self.connection.forwards),
                             lambda _: self.status(getattr(self, "_status", "")))

    def open_outside(self) -> None:
        """The k9s escape hatch: suspend the app and run the system ssh to the same target."""
        target = self.target
        if target is None or self.connection is None:
            self.app.notify("not connected yet", severity="warning")
            return
        try:
            with self.app.suspend():
                subprocess.run(target.ssh_command(self.store.path))
        except Exception as err:  # SuspendNotSupported (headless, web) or no ssh binary
            self.app.notify(f"cannot open your terminal: {err or type(err).__name__}", severity="error")
            return
        self.terminal.refresh()


class SessionTabs(FocusSafeTabbedContent):
    """The session tabs: a focus from a pane whose tab was closed is ignored (textual_compat)."""


class SessionsScreen(Screen):
    BINDINGS = [
        Binding("ctrl+right_square_bracket", "dashboard", "Dashboard", key_display="ctrl+]", priority=True),
        # not priority: the terminal lets these through (terminal.RESERVED), a dialog or prompt keeps them
        Binding("shift+pageup", "scroll(1)", "Scroll back", key_display="shift+pgup"),
        Binding("shift+pagedown", "scroll(-1)", "Scroll fwd", key_display="shift+pgdn", show=False),
        Binding("shift+up", "copy_mode", "Copy/search", key_display="shift+↑"),
        Binding("ctrl+pagedown", "tab(1)", "Next tab", priority=True),
        Binding("ctrl+pageup", "tab(-1)", "Prev tab", priority=True),
        Binding("ctrl+f4", "close", "End session", priority=True),
        Binding("f12", "outside", "My terminal", priority=True),
        Binding("ctrl+f5", "forward", "Forward port", priority=True,
                tooltip="ssh -L: a port of the instance on 127.0.0.1 here, with the URL and your laptop's line"),
    ]
    DEFAULT_CSS = """
    SessionsScreen TabbedContent { height: 1fr; }
    SessionsScreen TabPane { padding: 0; height: 1fr; }
    """

    class Ended(Message):
        """The remote shell finished."""

        def __init__(self, session: SSHSession) -> None:
            super().__init__()
            self.session = session

    def compose(self) -> ComposeResult:
        yield SessionTabs(id="ssh-tabs")
        yield Footer()

    @property
    def count(self) -> int:
        return len(self.query(SSHSession))

    def sessions(self) -> list[SSHSession]:
        return list(self.query(SSHSession))

    async def add_session(self, project, server: Server, user: str | None = None, *,
                          forward: bool = False) -> SSHSession:
        tabs = self.query_one(TabbedContent)
        pane_id = f"ssh-{next(_ids)}"
        session = SSHSession(project, server, user, forward)
        await tabs.add_pane(TabPane(server.name, session, id=pane_id))
        tabs.active = pane_id
        session.terminal.focus()
        return session

    def show(self, session: SSHSession) -> None:
        """Bring `session`'s tab to the front."""
        pane = session.parent
        if pane is not None and pane.id:
            self.query_one(TabbedContent).active = pane.id

    def current(self) -> SSHSession | None:
        tabs = self.query_one(TabbedContent)
        pane = tabs.active_pane
        return pane.query_one(SSHSession) if pane is not None else None

    def on_tabbed_content_tab_activated(self, event: TabbedContent.TabActivated) -> None:
        for terminal in event.pane.query(TerminalView):
            terminal.focus()

    def action_scroll(self, direction: int) -> None:
        session = self.current()
        if session is not None:
            session.terminal.action_scroll_page(direction)

    def action_copy_mode(self) -> None:
        session = self.current()
        if session is not None:
            session.terminal.action_copy_mode()

    def action_dashboard(self) -> None:
        self.app.pop_screen()

    def action_tab(self, step: int) -> None:
        tabs = self.query_one(SessionTabs)
        panes = [p.id for p in tabs.query(TabPane) if p.id and tabs.has_tab(p.id)]  # not one closing
        if panes and tabs.active in panes:
            tabs.active = panes[(panes.index(tabs.active) + step) % len(panes)]

    async def action_close(self) -> None:
        session = self.current()
        if session is not None:
            await self.close_session(session)

    def action_forward(self) -> None:
        session = self.current()
        if session is not None:
            session.open_forwards()

    def action_outside(self) -> None:
        session = self.current()
        if session is not None:
            session.open_outside()

    async def on_sessions_screen_ended(self, message: "SessionsScreen.Ended") -> None:
        await self.close_session(message.session)

    async def close_session(self, session: SSHSession) -> None:
        """End the session (the worker's cleanup closes the channel and connection) and drop its tab."""
        pane = session.parent
        await self.query_one(TabbedContent).remove_pane(pane.id)  # cancels the worker
        if not self.count and self.app.screen is self:
            self.app.pop_screen()


# --- `exotui ssh NAME`: the dashboard, straight into a session ----------------------------------------

def ssh_app(workspace, name: str, *, theme: str | None = None, user: str | None = None):
    """The dashboard app that opens a session to instance `name` as soon as a project shows it."""
    from ..app import ExotuiApp

    class SSHApp(ExotuiApp):
        async def on_mount(self) -> None:
            # no super().on_mount(): Textual runs ExotuiApp.on_mount itself (each class's handler in the
            # MRO), and calling it here too opened every cloud twice
            run_guarded(self, self._find_and_open(), "ssh on start")

        async def _find_and_open(self) -> None:
            """Wait for the projects to load; open a session to the first instance called `name`."""
            loop = asyncio.get_running_loop()
            deadline, settled = loop.time() + 60, None  # logins and first loads run concurrently
            while loop.time() < deadline:
                for project in self.workspace.projects:
                    servers = project.store.get("servers").values()
                    server = next((s for s in servers if s.name == name or s.id == name), None)
                    if server is not None:
                        self.select_project(project)
                        open_session(self, project, server.id, user)
                        return
                projects = self.workspace.projects
                if projects and all(p.store.state("servers").loaded for p in projects):
                    settled = settled or loop.time()
                    if loop.time() - settled > 3:  # every project shown has loaded, and no other came
                        break
                await asyncio.sleep(0.05)
            self.notify(f"no instance called {name!r} in any project", severity="error", timeout=15)

    return SSHApp(workspace, theme=theme)


def run_ssh_app(workspace, name: str, *, theme: str | None = None, user: str | None = None) -> int:
    app = ssh_app(workspace, name, theme=theme, user=user)
    app.run()
    return app.return_code or 0

"""The embedded terminal in the app, against the demo cloud's web-frontend instance: `s` opens a session
whose host key comes from the console log, output shows in the widget, `stty size` follows the pane,
alternate-screen programs leave no trace, ctrl+] goes back to the dashboard without closing anything."""

from __future__ import annotations

import re

import pytest

from textual import events

from exotui.ssh.hostkeys import KnownHosts
from exotui.ui.screens.sessions import SCREEN, SessionsScreen
from exotui.ui.widgets.terminal import TerminalView

pytestmark = pytest.mark.timeout(120)


async def on_web_frontend(ui):
    app = ui.app
    project = next(p for p in app.workspace.projects if p.key.project_name == "BIO230045")
    app.select_project(project)
    await ui.until(lambda: project.store.state("servers").loaded and project.store.state("images").loaded,
                   what="the first project")
    sid = next(s.id for s in project.store.get("servers").values() if s.name == "web-frontend")
    table = app.query_one("#table-servers")
    await ui.until(lambda: sid in table.shown, what="web-frontend in the table")
    ui.point_at(sid)
    return project, sid


def screen_text(terminal: TerminalView) -> str:
    return "\n".join(line.rstrip() for line in terminal.screen_text())


async def type_line(ui, terminal: TerminalView, text: str, paste: bool = False) -> None:
    """Type `text` key by key, or paste it (bash turns bracketed paste on: that path is tested too)."""
    if paste:
        terminal.post_message(events.Paste(text))
    else:
        await ui.pilot.press(*(char if char != " " else "space" for char in text))
    await ui.pilot.press("enter")


async def test_a_session_from_the_dashboard(open_ui):
    async with open_ui(size=(100, 30)) as ui:
        project, sid = await on_web_frontend(ui)
        await ui.pilot.press("s")
        await ui.until(lambda: isinstance(ui.app.screen, SessionsScreen), what="the sessions screen")
        screen = ui.app.screen
        await ui.until(lambda: screen.count == 1, what="a session tab")
        session = screen.sessions()[0]
        terminal = session.terminal
        await ui.until(lambda: session.shell is not None, timeout=20, what="the shell")
        await ui.until(lambda: "$" in screen_text(terminal), what="the prompt")
        # the host key came from the console log and is pinned now, tied to the server ID
        assert session.connection.trust.source == "console"
        pins = KnownHosts().lookup(session.target.host, session.target.port)
        assert pins and pins[0].server_id == sid

        # keys go to the shell; output appears in the widget
        await type_line(ui, terminal, "echo hel''lo")
        await ui.until(lambda: re.search(r"^hello$", screen_text(terminal), re.M), what="hello")
        # the PTY has the pane's size, and follows a resize
        await type_line(ui, terminal, "stty size")
        size = f"{terminal.size.height} {terminal.size.width}"
        await ui.until(lambda: size in screen_text(terminal), what=f"stty size {size}")
        await ui.pilot.resize_terminal(120, 40)
        await ui.pilot.pause(0.2)
        await type_line(ui, terminal, "clear; stty size", paste=True)
        size2 = f"{terminal.size.height} {terminal.size.width}"
        assert size2 != size
        await ui.until(lambda: size2 in screen_text(terminal), what=f"stty size {size2} after the resize")

        # an alternate-screen program leaves no trace once it exits
        await type_line(ui, terminal, r"printf '\033[?1049h\033[2J\033[HALT''SCREEN'; sleep 0.3; printf '\033[?1049l'; echo do''ne", paste=True)
        await ui.until(lambda: "ALTSCREEN" in screen_text(terminal) or "\ndone" in screen_text(terminal),
                       what="the alternate screen")
        await ui.until(lambda: re.search(r"^done$", screen_text(terminal), re.M), what="done")
        assert "ALTSCREEN" not in screen_text(terminal)

        # ctrl+c reaches the shell (and does not quit or copy in the app)
        await type_line(ui, terminal, "sleep 30")
        await ui.pilot.press("ctrl+c")
        await type_line(ui, terminal, "echo after''ctrlc")
        await ui.until(lambda: re.search(r"^afterctrlc$", screen_text(terminal), re.M), what="ctrl+c then echo")

        # ctrl+] returns to the dashboard; the session lives on; S brings it back
        await ui.pilot.press("ctrl+right_square_bracket")
        await ui.until(lambda: not isinstance(ui.app.screen, SessionsScreen), what="the dashboard")
        assert session.shell is not None and not session.ended.is_set()
        ui.point_at(sid)
        await ui.pilot.press("S")
        await ui.until(lambda: isinstance(ui.app.screen, SessionsScreen), what="the sessions again")

        # a second session in a second tab; exiting its shell closes only that tab
        await ui.pilot.press("ctrl+right_square_bracket")
        ui.point_at(sid)
        await ui.pilot.press("s")
        await ui.until(lambda: ui.app.get_screen(SCREEN).count == 2, what="a second tab")
        second = ui.app.get_screen(SCREEN).sessions()[1]
        await ui.until(lambda: second.shell is not None and "$" in screen_text(second.terminal), what="shell 2")
        await type_line(ui, second.terminal, "exit")
        await ui.until(lambda: ui.app.get_screen(SCREEN).count == 1, what="the second tab to close")
        assert second.ended.is_set()

        # ctrl+f4 ends the first session cleanly: the channel and connection close, back to the dashboard
        await ui.pilot.press("ctrl+f4")
        await ui.until(lambda: session.ended.is_set(), what="the first session to end")
        await ui.until(lambda: not isinstance(ui.app.screen, SessionsScreen), what="the dashboard at the end")
        assert session.connection.conn.is_closed()


async def test_exotui_ssh_name_starts_in_a_session(demo, demo_dir):
    """`exotui ssh web-frontend`: the dashboard opens straight into a session to it."""
    from exotui.cli import build_parser
    from exotui.cloud.poller import Intervals
    from exotui.cloud.profiles import find_profile, load_profiles
    from exotui.cloud.workspace import Workspace
    from exotui.demo.app import CLOUD_NAME
    from exotui.ui.screens.sessions import ssh_app

    args = build_parser().parse_args(["--cloud", CLOUD_NAME, "ssh", "web-frontend", "--user", "exouser"])
    assert (args.command, args.name, args.user) == ("ssh", "web-frontend", "exouser")
    profile = find_profile(load_profiles(config_file=demo_dir / "clouds.yaml"), CLOUD_NAME)
    app = ssh_app(Workspace([profile], intervals=Intervals(fast=0.1, idle=0.5)), "web-frontend", user="exouser")
    async with app.run_test(size=(90, 26)) as pilot:
        for _ in range(300):
            screen = app.screen
            if (isinstance(screen, SessionsScreen) and screen.count and screen.sessions()[0].query(TerminalView)
                    and "$" in screen_text(screen.sessions()[0].terminal)):
                break  # the session may not have composed its terminal yet
            await pilot.pause(0.05)
        else:
            raise AssertionError("no session to web-frontend")
        session = app.screen.sessions()[0]
        assert session.target.user == "exouser" and session.target.name == "web-frontend"
        assert "exouser@web-frontend" in screen_text(session.terminal)


async def test_exotui_ssh_opens_one_workspace(demo, demo_dir, monkeypatch):
    """`exotui ssh NAME` logs in to each cloud once: as many projects as the cloud gives the user, each once."""
    from exotui.cloud import workspace as workspace_module
    from exotui.cloud.poller import Intervals
    from exotui.cloud.profiles import discover, find_profile, load_profiles
    from exotui.cloud.workspace import Workspace
    from exotui.demo.app import CLOUD_NAME
    from exotui.ui.screens.sessions import ssh_app

    profile = find_profile(load_profiles(config_file=demo_dir / "clouds.yaml"), CLOUD_NAME)
    expected = {p.id for p in discover(profile).projects}
    logins = []
    real = workspace_module._discover

    async def counted(profile):
        logins.append(profile.name)
        return await real(profile)

    monkeypatch.setattr(workspace_module, "_discover", counted)
    app = ssh_app(Workspace([profile], intervals=Intervals(fast=0.1, idle=0.5)), "no-such-instance")
    async with app.run_test(size=(90, 26)) as pilot:
        def opened() -> bool:
            # finished workers leave app.workers: none still opening, and projects there
            running = [w for w in app.workers if w.name == "open workspace" and not w.is_finished]
            return not running and bool(app.workspace and app.workspace.projects)
        for _ in range(300):
            if opened():
                break
            await pilot.pause(0.05)
        else:
            raise AssertionError("the workspace did not open")
        keys = [p.key for p in app.workspace.projects]
        assert logins == [CLOUD_NAME]
        assert len(keys) == len(set(keys)) == len(expected)
        assert {k.project_id for k in keys} == expected

"""Port forwards from the app, against the demo cloud's web-frontend instance (a real PTY shell behind the demo's
sshd): a python http.server started in the session's terminal, ctrl+f5 lists it among the instance's listening
ports, enter forwards it to 127.0.0.1 here and the page is fetched through it; bad ports get one line; the action
menu reaches the same dialog, and opens a session first when none is; the forward is gone once the tab closes."""

from __future__ import annotations

import asyncio
import re
import socket
import urllib.request

import pytest
from test_sessions_ui import on_web_frontend, screen_text, type_line
from test_snapshots import screen_text as svg_rows
from textual.widgets import Input, OptionList, Static
from waiting import settled_screenshot

from exotui.ui.dialogs.choice import ChoiceDialog
from exotui.ui.dialogs.forward import ForwardDialog
from exotui.ui.flows import FORWARD
from exotui.ui.screens.sessions import SCREEN, SessionsScreen

pytestmark = pytest.mark.timeout(120)


def fetch(port: int) -> str:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/index.html", timeout=5) as answer:
        return answer.read().decode()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def said(dialog: ForwardDialog) -> str:
    return str(dialog.query_one(".dialog-error", Static).render())


async def typed_port(ui, dialog: ForwardDialog, text: str) -> None:
    field = dialog.query_one("#forward-port", Input)
    field.value = ""
    field.focus()
    await ui.pilot.press(*text, "enter")


async def from_the_menu(ui, sid: str, option: str) -> None:
    """`option` chosen in the instance's action menu (`a` on its row, then enter on it)."""
    ui.point_at(sid)
    await ui.pilot.press("a")
    await ui.until(lambda: isinstance(ui.app.screen, ChoiceDialog), what="the action menu")
    menu = ui.app.screen.query_one(OptionList)
    menu.highlighted = menu.get_option_index(option)
    await ui.pilot.press("enter")


async def forward_from_the_menu(ui, sid: str) -> None:
    """"Forward a port" in the instance's action menu, until the forward dialog shows."""
    await from_the_menu(ui, sid, FORWARD)
    await ui.until(lambda: isinstance(ui.app.screen, ForwardDialog), timeout=20, what="the forward dialog")


async def test_forward_a_port_from_a_session(open_ui):
    async with open_ui(size=(80, 24)) as ui:
        project, sid = await on_web_frontend(ui)
        await ui.pilot.press("s")
        await ui.until(lambda: isinstance(ui.app.screen, SessionsScreen) and ui.app.screen.count == 1,
                       what="a session tab")
        session = ui.app.screen.sessions()[0]
        terminal = session.terminal
        await ui.until(lambda: session.shell is not None and "$" in screen_text(terminal), timeout=20,
                       what="the prompt")
        # a Jupyter of sorts: jupyter is not installed here, so ~/.local/bin/jupyter says what
        # `jupyter server list --json` says; the page is python's http.server, in the terminal's foreground
        port = free_port()
        await type_line(ui, terminal, (
            f"mkdir -p ~/.local/bin && printf '#!/bin/sh\\ncat ~/jupyter.json\\n' > ~/.local/bin/jupyter && "
            f"chmod +x ~/.local/bin/jupyter && echo '{{\"port\": {port}, \"token\": \"tok123\", \"base_url\": \"/\"}}' "
            "> ~/jupyter.json && "
            f"echo forwarded-ok > index.html && exec python3 -m http.server {port} --bind 127.0.0.1"), paste=True)
        await ui.until(lambda: re.search(rf"Serving HTTP on 127\.0\.0\.1 port {port}", screen_text(terminal)),
                       timeout=20, what="http.server")

        await ui.pilot.press("ctrl+f5")
        await ui.until(lambda: isinstance(ui.app.screen, ForwardDialog), what="the forward dialog")
        dialog = ui.app.screen
        ports = dialog.query_one("#forward-ports", OptionList)
        await ui.until(lambda: dialog.read and ports.option_count, timeout=15, what="the listening ports")
        shown = {ports.get_option_at_index(n).id: str(ports.get_option_at_index(n).prompt)
                 for n in range(ports.option_count)}
        assert "Jupyter" in shown[str(port)]  # named by `jupyter server list`
        assert "nothing listens" in shown.get("8787", "nothing listens")  # the well-known ones, dimmed when idle

        # bad input: one line each, nothing forwarded
        for text, line in (("abc", "'abc' is not a port number (1-65535)"),
                           ("0", "0 is not a port: ports are 1-65535"),
                           ("70000", "70000 is not a port: ports are 1-65535")):
            await typed_port(ui, dialog, text)
            await ui.until(lambda: said(dialog) == line, what=line)
        idle = next(p for p in range(port + 1, 65536) if str(p) not in shown)
        await typed_port(ui, dialog, str(idle))
        await ui.until(lambda: said(dialog) == f"nothing listens on port {idle} on web-frontend",
                       what="nothing listens")
        forwards = session.connection.forwards
        assert forwards.open_now() == []

        # the listed port, chosen with the keys
        ports.focus()
        ports.highlighted = ports.get_option_index(str(port))
        await ui.pilot.press("enter")
        await ui.until(lambda: forwards.open_now(), what="the forward")
        forward = forwards.open_now()[0]
        assert forward.remote_port == port and forward.local_port != port  # the instance is this machine
        assert await asyncio.to_thread(fetch, forward.local_port) == "forwarded-ok\n"
        assert forward.url == f"http://127.0.0.1:{forward.local_port}/?token=tok123"
        target = session.target
        assert forward.laptop == target.command_with("-L", f"{forward.local_port}:localhost:{port}")
        assert forward.laptop.startswith(f"ssh -L {forward.local_port}:localhost:{port} -p {target.port} -i ")
        assert forward.laptop.endswith(f"{target.user}@{target.host}") and said(dialog) == ""
        listed = str(dialog.query_one("#forward-list", Static).render())
        assert forward.url in listed and forward.laptop in listed
        # at 80x24 the dialog shows it all: the ports, the field, the URL and the start of the laptop's line
        svg = await settled_screenshot(ui.pilot, ui.app, what="the forward dialog")
        rows = "\n".join(svg_rows(svg))
        for seen in ("Forward a port of web-frontend", f"{port}  Jupyter", str(idle),
                     f"127.0.0.1:{forward.local_port} → web-frontend:{port} (Jupyter)", f"open  {forward.url}",
                     f"laptop  ssh -L {forward.local_port}:localhost:{port} -p {target.port}", "esc: close"):
            assert seen in rows, f"{seen!r} not on the screen:\n{rows}"

        ports.focus()
        await ui.pilot.press("c")  # both lines to the outer terminal's clipboard
        await ui.until(lambda: ui.app.clipboard == f"{forward.url}\n{forward.laptop}\n", what="copied")

        await ui.pilot.press("escape")
        await ui.until(lambda: isinstance(ui.app.screen, SessionsScreen), what="the session again")
        status = str(session.query_one(".ssh-status", Static).render())
        assert status.startswith(f"⇄ {port}→:{forward.local_port} · ")

        # the action menu reaches the same session's dialog, its forward listed
        await ui.pilot.press("ctrl+right_square_bracket")
        await ui.until(lambda: not isinstance(ui.app.screen, SessionsScreen), what="the dashboard")
        await forward_from_the_menu(ui, sid)
        assert ui.app.screen.forwards is forwards
        assert forward.url in str(ui.app.screen.query_one("#forward-list", Static).render())
        await ui.pilot.press("escape")

        # the tab closes: the forward is gone with it
        await ui.until(lambda: isinstance(ui.app.screen, SessionsScreen), what="the session")
        await ui.pilot.press("ctrl+f4")
        await ui.until(lambda: session.ended.is_set(), what="the session to end")
        assert forwards.open_now() == []
        with pytest.raises(OSError):
            await asyncio.to_thread(fetch, forward.local_port)

        # with no session open, the menu opens one and then the dialog
        await ui.until(lambda: not isinstance(ui.app.screen, SessionsScreen), what="the dashboard")
        await forward_from_the_menu(ui, sid)
        assert ui.app.get_screen(SCREEN).count == 1
        assert ui.app.screen.forwards is not forwards and ui.app.screen.forwards.open_now() == []
        await ui.pilot.press("escape")

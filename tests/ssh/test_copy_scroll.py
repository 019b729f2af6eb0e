"""Copy and scroll in the embedded terminal (issue 16 item 4), with both cores: scrollback that new
output does not yank, a plain-text search, a keyboard copy mode whose copy reaches the outer terminal as
exotui's own OSC 52 and nothing else. The app tests drive a real OpenSSH sshd on 127.0.0.1."""

from __future__ import annotations

import base64
import re

import pytest
from textual.color import Color

from exotui.ssh import vt as engines
from exotui.ssh.terminal import PyteEmulator
from exotui.ui.widgets.copymode import search, selected_text

from test_emulator_faults import open_on_openssh, sessions_on_openssh  # noqa: F401 - a fixture
from test_sessions_ui import screen_text, type_line

pytestmark = pytest.mark.timeout(180)

ENGINES = [PyteEmulator] + ([engines.GhosttyEmulator] if engines.UNAVAILABLE is None else [])
ENGINE_NAMES = ["pyte"] + (["ghostty"] if engines.UNAVAILABLE is None else [])


def numbered(emulator_class, count: int = 500):
    emulator = emulator_class(40, 10, history=2000)
    emulator.feed(b"".join(b"%d\r\n" % i for i in range(1, count + 1)) + b"$ ")
    return emulator


@pytest.mark.parametrize("Emulator", ENGINES)
def test_search_and_selection_over_the_history(Emulator):
    e = numbered(Emulator)
    bottom = e.lines - 1
    found = search(e, "250", bottom, 0, -1)
    assert found is not None and found[1:] == (0, 3)
    assert selected_text(e, (found[0], 0), (found[0] + 2, 39)) == "250\n251\n252"
    assert selected_text(e, (found[0], 1), (found[0], 1)) == "5"
    again = search(e, "250", found[0], found[1], -1)  # the only one: found again after wrapping
    assert again == found
    assert search(e, "49", found[0], 0, 1)[0] > found[0]  # newer: 349
    assert search(e, "no such text", bottom, 0, -1) is None
    assert search(e, "(.*)*$", bottom, 0, -1) is None  # plain text: a regex means nothing, costs nothing


def rendered(terminal, y: int) -> str:
    return "".join(segment.text for segment in terminal.render_line(y))


@pytest.fixture(params=ENGINE_NAMES)
def engine(request, monkeypatch):
    if request.param == "pyte":
        monkeypatch.setenv("EXOTUI_TERMINAL", "pyte")
    else:
        monkeypatch.delenv("EXOTUI_TERMINAL", raising=False)
    return request.param


async def test_scroll_search_and_copy_in_a_real_session(open_ui, sessions_on_openssh, engine):
    async with open_ui(size=(100, 30)) as ui:
        app = ui.app
        written: list[str] = []
        write = app._driver.write
        app._driver.write = lambda data: (written.append(data), write(data))[1]
        session, terminal = await open_on_openssh(ui)
        assert terminal.emulator.name == ("pyte" if engine == "pyte" else "libghostty-vt")

        # the remote tries to set the outer clipboard and title: it stays inside the emulator
        await type_line(ui, terminal, r"printf '\033]52;c;ZXZpbA==\a\033]0;pwned\a'; seq 1 500", paste=True)
        await ui.until(lambda: re.search(r"^500$", screen_text(terminal), re.M), what="seq 1 500")

        # scrollback: shift+pageup goes back, shift+pagedown forward again
        await ui.pilot.press("shift+pageup")
        assert terminal.scroll_back == terminal.size.height // 2
        await ui.pilot.press("shift+pageup", "shift+pageup", "shift+pagedown")
        back = terminal.size.height // 2 * 2
        await ui.until(lambda: terminal.scroll_back == back, what="two half pages back")
        top = rendered(terminal, 1)
        assert re.match(r"\d+ ", top) and f"{back} lines back · shift+pgdn" in rendered(terminal, 0)

        # new output while scrolled back does not move the view; the marker counts the lines
        terminal.on_input(b"seq 1001 1040\r")  # as if typed by another hand: the view stays back
        await ui.until(lambda: "1040" in screen_text(terminal), what="the new output")
        await ui.until(lambda: terminal.scroll_back >= back + 40, what="the view kept in place")
        assert rendered(terminal, 1) == top
        assert f"{terminal.scroll_back} lines back" in rendered(terminal, 0)

        # any typed key returns to the live screen (and reaches the shell)
        await ui.pilot.press("space")
        assert terminal.scroll_back == 0
        await ui.pilot.press("backspace")

        # the keys are in the footer, after ctrl+] (the key to leave); copy mode's own only in copy mode
        def footer() -> list[str]:
            return [b.binding.key for b in ui.app.screen.active_bindings.values() if b.binding.show and b.enabled]
        keys = footer()
        assert keys.index("ctrl+right_square_bracket") < keys.index("shift+pageup") < keys.index("shift+up")
        assert "v" not in keys and "y" not in keys

        # copy mode: search for 250 (plain text), the view jumps to it and it is highlighted
        await ui.pilot.press("shift+up")
        assert terminal.copy is not None
        await ui.pilot.pause()
        assert {"v", "y", "slash", "n", "N", "escape"} <= set(footer())
        await ui.pilot.press("slash", "2", "5", "0", "enter")
        copy = terminal.copy
        assert copy.match is not None and copy.query == "250"
        line = copy.match[0]
        row = line + terminal.scroll_back
        assert terminal.scroll_back > 0 and 0 <= row < terminal.size.height
        assert rendered(terminal, row).startswith("250 ")
        strip = terminal.render_line(row)
        marked = {s.style.bgcolor.name: s.text for s in strip if s.style.bgcolor is not None}
        theme = ui.app.theme_variables  # the theme's accent for the copy cursor, its warning for the match
        accent, warning = (Color.parse(theme[name]).rich_color.name for name in ("accent", "warning"))
        assert marked.get(accent) == "2" and marked.get(warning) == "50"  # copy cursor on the match
        # n: the next older match; there is no other, so it wraps back onto this one
        await ui.pilot.press("n")
        assert terminal.copy.match[0] == line
        assert "search wrapped" in str(session.query_one(".ssh-status").render())

        # y with no selection copies the cursor's line; through OSC 52 with base64 of just that text
        written.clear()
        await ui.pilot.press("y")
        assert app.clipboard == "250" and terminal.copy is None and terminal.scroll_back == 0
        assert "copied 3 characters" in str(session.query_one(".ssh-status").render())
        osc = [w for w in written if "\x1b]52;" in w]
        assert osc == [f"\x1b]52;c;{base64.b64encode(b'250').decode()}\a"]

        # a selection over three lines: v starts it, j j and $ extend it, y copies it
        await ui.pilot.press("shift+up", "slash", "2", "5", "0", "enter", "0", "v", "j", "j", "dollar_sign", "y")
        assert app.clipboard == "250\n251\n252"
        assert "copied 11 characters" in str(session.query_one(".ssh-status").render())

        # escape leaves copy mode without copying; keys go to the shell again
        await ui.pilot.press("shift+up", "escape")
        assert terminal.copy is None
        await type_line(ui, terminal, "echo $((6*7))")
        await ui.until(lambda: re.search(r"^42$", screen_text(terminal), re.M), what="42")

        # nothing the remote sent reached the outer terminal raw
        everything = "".join(w for w in written if isinstance(w, str))
        assert "ZXZpbA" not in everything and "pwned" not in everything
        assert ui.app.is_running


@pytest.mark.skipif(engines.UNAVAILABLE is not None, reason="libghostty-vt does not load here")
@pytest.mark.parametrize("columns", [80, 200])
def test_libghostty_keeps_the_history_asked_for_at_any_width(columns):
    """Its default byte cap, not the line limit, used to decide: ~360 rows kept at 200 columns of 2000."""
    e = engines.GhosttyEmulator(columns, 50, history=2000)
    e.feed(b"".join(b"\x1b[32mline %d\x1b[m words\r\n" % i for i in range(10000)))
    assert e.history_size >= 1500
    e.resize(columns + 100, 50)
    e.feed(b"".join(b"line %d words\r\n" % i for i in range(10000)))
    assert e.history_size >= 1500

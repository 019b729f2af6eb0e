"""An emulator fault never kills the app: sequences pyte 0.8.2 raised on (`CSI ? 4 m`, vim's
modifyOtherKeys query) are ignored; any other failure while feeding resets that session's emulator
with a notice in its tab and the session goes on; random bytes never raise. The app tests run a real
OpenSSH sshd on 127.0.0.1 (tests/ssh/conftest.py) behind the demo's web-frontend instance."""

from __future__ import annotations

import random
import re

import pytest

from exotui.ssh import terminal as vt
from exotui.ssh import vt as engines
from exotui.ssh.target import Reach
from exotui.ssh.terminal import PyteEmulator

ENGINES = [PyteEmulator] + ([engines.GhosttyEmulator] if engines.UNAVAILABLE is None else [])

from test_openssh import target_for
from test_sessions_ui import on_web_frontend, screen_text, type_line

pytestmark = pytest.mark.timeout(180)


@pytest.mark.parametrize("Emulator", ENGINES)
def test_private_sgr_is_ignored_not_fatal(Emulator):
    emulator = Emulator(40, 5)
    emulator.feed(b"a\x1b[?4mb\x1b[?5Ac\x1b[>4;2md\x1b[1;31me")  # vim: query, then set modifyOtherKeys
    assert emulator.faults == 0
    assert emulator.display()[0].rstrip() == "abcde"
    assert emulator.runs(0)[0] == ("abcd", vt.Style())  # `CSI > 4 ; 2 m` is not SGR 4 (underline)
    assert emulator.runs(0)[1][1].fg == "red"


def break_on_dsr(monkeypatch, emulator) -> None:
    """Make the emulator's engine raise on a DSR query (ESC [ 6 n), as an engine bug would."""
    if isinstance(emulator, PyteEmulator):
        def write_process_input(self, data):  # pyte calls it to answer DSR
            raise RuntimeError("bell exploded")

        monkeypatch.setattr(vt._Screen, "write_process_input", write_process_input)
    else:
        terminal_class = type(emulator._term)
        feed = terminal_class.feed

        def failing(self, data):
            if b"\x1b[6n" in data:
                raise RuntimeError("bell exploded")
            return feed(self, data)

        monkeypatch.setattr(terminal_class, "feed", failing)


@pytest.mark.parametrize("Emulator", ENGINES)
def test_a_fault_resets_the_screen_with_a_notice(monkeypatch, Emulator):
    emulator = Emulator(60, 6)
    emulator.feed(b"before\r\n")
    break_on_dsr(monkeypatch, emulator)
    emulator.feed(b"x\x1b[6ny")  # must not raise
    assert emulator.faults == 1 and "bell exploded" in emulator.fault
    assert "terminal emulator failed" in emulator.display()[0]
    monkeypatch.undo()
    emulator.feed(b"after")
    assert any(line.startswith("after") for line in emulator.display())


def random_stream(size: int, seed: int) -> bytes:
    """Random bytes, half of them biased towards escape sequences (ESC, '[', digits, ';', '?')."""
    rng = random.Random(seed)
    noise = rng.randbytes(size // 2)
    alphabet = b"\x1b\x1b\x1b[[[??;;;0123456789:mHJKlhABCDrPM@XLcn\x07\x9b\x90\x9d]\\\r\n\t\x08 abc\xe4\xb8\x80"
    biased = bytes(rng.choice(alphabet) for _ in range(size - len(noise)))
    return noise + biased


@pytest.mark.slow
@pytest.mark.parametrize("Emulator", ENGINES)
def test_ten_megabytes_of_random_bytes_never_raise(Emulator):
    rng = random.Random(7)
    emulator = Emulator(80, 24)
    data = random_stream(10 << 20, seed=16)
    at = 0
    while at < len(data):  # cut at random chunk boundaries, as reads arrive
        n = rng.randint(1, 65536)
        emulator.write(data[at:at + n])
        while emulator.pending:
            emulator.step(4096, hold=rng.random() < 0.5)
        at += n
        if rng.random() < 0.01:
            emulator.resize(rng.randint(1, 200), rng.randint(1, 60))
        for y in (0, emulator.lines - 1, -1):
            emulator.runs(y)
    assert emulator.faults == 0  # nothing pyte failed on is left unhandled by _tolerant
    emulator.resize(80, 24)
    emulator.feed(b"\x18\x1b\\\x1bc\x1b[mstill here")  # CAN, ST: out of any string; RIS: a known state
    assert "still here" in "".join(emulator.display())


@pytest.fixture()
def sessions_on_openssh(openssh, monkeypatch):
    """`s` on web-frontend reaches the real OpenSSH sshd instead (its target and console log)."""
    from exotui.ui.screens import sessions

    monkeypatch.setattr(sessions, "reach", lambda *args, **kwargs: Reach(target_for(openssh)))

    async def console_log(self):
        return openssh.console_log()

    monkeypatch.setattr(sessions.SSHSession, "_console_log", console_log)
    return openssh


async def open_on_openssh(ui):
    from exotui.ui.screens.sessions import SessionsScreen

    await on_web_frontend(ui)
    await ui.pilot.press("s")
    await ui.until(lambda: isinstance(ui.app.screen, SessionsScreen) and ui.app.screen.count == 1,
                   what="a session tab")
    session = ui.app.screen.sessions()[0]
    await ui.until(lambda: session.shell is not None, timeout=20, what="the shell on sshd")
    terminal = session.terminal
    await type_line(ui, terminal, "echo rea''dy", paste=True)
    await ui.until(lambda: re.search(r"^ready$", screen_text(terminal), re.M), what="ready")
    return session, terminal


async def test_private_sgr_from_a_real_session_keeps_the_app(open_ui, sessions_on_openssh):
    async with open_ui(size=(100, 30)) as ui:
        session, terminal = await open_on_openssh(ui)
        await type_line(ui, terminal, r"printf '\033[?4m'; echo sur''vived", paste=True)
        await ui.until(lambda: re.search(r"^survived$", screen_text(terminal), re.M), what="survived")
        assert ui.app.is_running and not session.ended.is_set()
        assert terminal.emulator.faults == 0
        await type_line(ui, terminal, "echo $((6*7))")
        await ui.until(lambda: re.search(r"^42$", screen_text(terminal), re.M), what="42: still usable")


async def test_an_emulator_fault_resets_only_that_session(open_ui, sessions_on_openssh, monkeypatch):
    async with open_ui(size=(100, 30)) as ui:
        session, terminal = await open_on_openssh(ui)

        break_on_dsr(monkeypatch, terminal.emulator)
        await type_line(ui, terminal, r"printf '\033[6n'; echo", paste=True)
        await ui.until(lambda: terminal.emulator.faults == 1, what="the fault")
        monkeypatch.undo()
        status = str(session.query_one(".ssh-status").render())
        assert "terminal was reset" in status and "bell exploded" in status
        assert ui.app.is_running and not session.ended.is_set()
        await type_line(ui, terminal, "echo $((6*7))")
        await ui.until(lambda: re.search(r"^42$", screen_text(terminal), re.M), what="42 after the reset")

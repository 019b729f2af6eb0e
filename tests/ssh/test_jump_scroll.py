"""Jump scrolling (ssh/terminal.py): a flood of plain lines is not emulated line by line, yet the screen,
the cursor, the colours and every scrollback row must be exactly what emulating every byte gives. Held
against pyte itself (the same emulator with jumping turned off), on generated floods and on a real
`cat` through OpenSSH into the widget."""

from __future__ import annotations

import asyncio
import random

import pytest
from textual.app import App, ComposeResult

from exotui.ssh.client import connect
from exotui.ssh.hostkeys import KnownHosts
from exotui.ssh.terminal import PyteEmulator
from exotui.ui.widgets.terminal import TerminalView

pytestmark = pytest.mark.timeout(120)


class EveryByte(PyteEmulator):
    """The reference: the same emulator, every byte through pyte."""

    def _jump(self) -> int:
        return 0


WORDS = ["cloud", "instance", "x" * 70, "\x1b[31m", "\x1b[0m", "\x1b[1;44m", "\x1b[m", "\x1b[38;5;200m",
         "\x1b[38;2;1;2;3m", "\x1b[7;4m", "quota", "\t", "\t" * 12 + "past the last tab stop", "Zürich", "€"]


def flood(rng: random.Random, lines: int, odd: float = 0.003) -> bytes:
    """Plain lines with colours, wraps, tabs, one-cell UTF-8 and erase-line; now and then a line jumping
    cannot take (wide characters, a bare LF) so the two paths keep handing over to each other."""
    out = []
    for _ in range(lines):
        line = " ".join(rng.choice(WORDS) for _ in range(rng.randrange(0, 12)))
        roll = rng.random()
        if roll < odd:
            line += " 日本語"
        elif roll > 0.98:
            line += "\x1b[K"  # erase-line: shown through pyte, not the cheap runs
        out.append(line + ("\n" if odd <= roll < 2 * odd else "\r\n"))
    return "".join(out).encode()


def scrollback(emulator: PyteEmulator) -> list:
    return [emulator.runs(-i) for i in range(emulator.history_size, 0, -1)]


def assert_same(jumping: PyteEmulator, reference: PyteEmulator) -> None:
    assert jumping.display() == reference.display()
    assert [jumping.runs(y) for y in range(jumping.lines)] == [reference.runs(y) for y in range(reference.lines)]
    assert jumping.cursor == reference.cursor
    assert jumping._screen.cursor.attrs == reference._screen.cursor.attrs  # the colours carry on
    assert scrollback(jumping) == scrollback(reference)


@pytest.mark.parametrize("seed, size", [(1, (80, 24, 2000)), (2, (40, 10, 50)), (3, (200, 50, 300)),
                                        (4, (30, 5, 0)), (5, (20, 8, 7))])
def test_a_jump_shows_what_every_byte_would(seed, size):
    rng = random.Random(seed)
    columns, lines, history = size
    data = flood(rng, 2500)
    jumping, reference = PyteEmulator(columns, lines, history), EveryByte(columns, lines, history)
    at = 0
    while at < len(data):  # reads of any size, cut anywhere; rendered now and then as the widget does
        chunk = data[at:at + rng.randrange(1, 40000)]
        at += len(chunk)
        reference.feed(chunk)
        jumping.write(chunk)
        while jumping.pending and jumping.step(rng.choice([512, 4096]), hold=rng.random() < 0.8):
            if rng.random() < 0.2:
                jumping.display()
    while jumping.pending:  # what the widget's next repaint does with a held line start
        jumping.step()
    assert jumping.jumped_lines > 1000  # it did jump (else this test would prove nothing)
    assert_same(jumping, reference)
    jumping.feed(b"\x1b[2J\x1b[Hafter the flood\r\n\x1b[32mgreen")  # pyte takes over from lazy rows
    reference.feed(b"\x1b[2J\x1b[Hafter the flood\r\n\x1b[32mgreen")
    assert_same(jumping, reference)


@pytest.mark.parametrize("mode", [b"\x1b[?1049h", b"\x1b[2;8r", b"\x1b[?7l", b"\x1b[?5h", b"\x1b[4h"],
                         ids=["alternate screen", "scrolling region", "no auto-wrap", "reverse screen", "insert"])
def test_no_jump_where_the_screen_is_not_plain(mode):
    data = b"".join(b"%03d plain line %s\r\n" % (i, b"long " * (i % 15)) for i in range(100))
    emulator, reference = PyteEmulator(40, 10, 100), EveryByte(40, 10, 100)
    for each in (emulator, reference):
        each.feed(b"\x1b[10;1H" + mode + data)
    assert emulator.jumped_lines == 0
    assert_same(emulator, reference)


class Term(App):
    def compose(self) -> ComposeResult:
        yield TerminalView(history=500)


@pytest.mark.parametrize("engine", ["pyte", "ghostty"])
async def test_a_cat_flood_through_openssh_into_the_widget(openssh, use_engine, tmp_path, engine):
    """2 MB of coloured lines from a real sshd's PTY: the widget ends with exactly what emulating every
    byte shows (screen, colours, scrollback), then a command typed after the flood works as usual.
    With pyte the widget jump-scrolls (and matches pyte fed every byte); with libghostty-vt it matches
    a terminal of its own fed every byte at once."""
    from exotui.ssh import vt

    use_engine(engine)
    rng = random.Random(9)
    text = flood(rng, 30000, odd=0.0005).replace(b"\r\n", b"\n")  # the PTY turns LF into CRLF again
    (tmp_path / "flood.txt").write_bytes(text)
    conn = await connect(openssh.target(), openssh.console_log(), store=KnownHosts())
    app = Term()
    try:
        async with app.run_test(size=(100, 30)) as pilot:
            term = app.query_one(TerminalView)
            await term.sized.wait()
            shell = await conn.shell(term.emulator.columns, term.emulator.lines, command="/bin/sh")
            term.on_input = shell.write
            term.emulator.reply = shell.write
            received = bytearray()

            async def pump():
                while data := await shell.read():
                    received.extend(data)
                    await term.feed(data)

            pumping = asyncio.create_task(pump())
            await pilot.press(*f"cat {tmp_path}/flood.txt; echo cat-done", "enter")

            def shown(marker: str) -> bool:
                return any(line.rstrip().endswith(marker) for line in term.screen_text())

            for _ in range(600):
                if shown("cat-done") and not term.emulator.pending:
                    break
                await pilot.pause(0.05)
            assert shown("cat-done"), term.screen_text()
            if engine == "pyte":
                assert term.emulator.jumped_lines > 10000
                reference = EveryByte(term.emulator.columns, term.emulator.lines, 500)
                reference.feed(bytes(received))
                assert_same(term.emulator, reference)
            else:
                assert isinstance(term.emulator, vt.GhosttyEmulator)
                reference = vt.GhosttyEmulator(term.emulator.columns, term.emulator.lines, 500)
                reference.feed(bytes(received))
                rows = range(-term.emulator.history_size, term.emulator.lines)
                assert term.emulator.history_size == reference.history_size > 0
                assert [term.emulator.runs(y) for y in rows] == [reference.runs(y) for y in rows]
                assert term.emulator.cursor == reference.cursor
            await pilot.press(*"echo after''flood", "enter")
            for _ in range(100):
                if shown("afterflood"):
                    break
                await pilot.pause(0.05)
            assert shown("afterflood"), term.screen_text()
            shell.write(b"exit\n")
            await asyncio.wait_for(pumping, 10)
    finally:
        await conn.close()

"""Conformance against a reference emulator: tmux. The same bytes go to an 80x24 tmux pane (its own
tmux server; the pane's tty raw, so nothing is translated) and to exotui's emulator; the screen text
and the cursor position must match. The corpus (tests/ssh/corpus/*.bin) is real programs' output
recorded with `script` in an 80x24 tmux pane (tests/ssh/corpus/record.py): vim editing a file, less
paging, top -n 1, top driven by keys (sort, colours, highlight), htop (sort menu, tree view), man, tmux
inside the session (status line, a split pane), dialog's menu (DEC line drawing), whiptail's yes/no,
ls --color, git log --graph --color. Each file is compared at a third, two thirds (inside the full-screen
programs' alternate screen) and at its end. What no screen shows is not compared: the foreground, bold,
italic and strike of blank cells; a cursor past the last column (a wrap pending) counts as on it."""

from __future__ import annotations

import itertools
import os
import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest
from pyte.charsets import VT100_MAP

from exotui.ssh import vt
from exotui.ssh.terminal import PyteEmulator

pytestmark = [pytest.mark.timeout(120),
              pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")]

CORPUS = sorted((Path(__file__).parent / "corpus").glob("*.bin"))
CUTS = (1 / 3, 2 / 3, 1)
COLUMNS, LINES = 80, 24
_names = itertools.count()


def _line_drawing(rows: list[str]) -> list[str]:
    """`capture-pane -e` rows with their DEC special graphics (shifted in by SO, out by SI: dialog's boxes;
    a shift may carry on into the next row) as the Unicode characters a VT100 draws for them."""
    out, shifted = [], False
    for row in rows:
        pieces = []
        for piece in re.split("(\x1b\\[[0-9;:]*m|[\x0e\x0f])", row):
            if piece in ("\x0e", "\x0f"):
                shifted = piece == "\x0e"
            elif shifted and not piece.startswith("\x1b"):
                pieces.append(piece.translate(VT100_MAP))
            else:
                pieces.append(piece)
        out.append("".join(pieces))
    return out


class Tmux:
    def __init__(self) -> None:
        self.socket = f"exotui-conformance-{os.getpid()}"
        self.run("new-session", "-d", "-s", "keep", "-x", "20", "-y", "5", "sleep 3600")

    def run(self, *args: str) -> str:
        return subprocess.run(["tmux", "-L", self.socket, *args], check=True, capture_output=True,
                              text=True).stdout

    def screen(self, path: Path) -> tuple[list[str], tuple[int, int], list[str]]:
        """What an 80x24 pane shows after `cat path` on a raw tty: its rows, its cursor, and its rows
        with their attributes as SGR sequences (`capture-pane -e`)."""
        name = f"c{next(_names)}"
        done = f"{name}-done"
        self.run("new-session", "-d", "-s", name, "-x", str(COLUMNS), "-y", str(LINES),
                 f"stty raw -echo -opost; cat {path}; tmux -L {self.socket} wait-for -S {done}; exec sleep 600")
        try:
            self.run("wait-for", done)
            last, deadline = None, time.monotonic() + 10
            while True:  # the pane's output may still be in flight when the signal arrives: wait until steady
                now = (self.run("capture-pane", "-p", "-t", name),
                       self.run("display-message", "-p", "-t", name, "#{cursor_x} #{cursor_y}"),
                       self.run("capture-pane", "-p", "-e", "-t", name))
                if now == last or time.monotonic() > deadline:
                    break
                last = now
                time.sleep(0.05)
        finally:
            self.run("kill-session", "-t", name)
        text, cursor, styled = now
        rows = text.split("\n")[:LINES]
        rows += [""] * (LINES - len(rows))
        styled_rows = _line_drawing(styled.split("\n")[:LINES])
        if "\x0e" in styled:  # line drawing: the plain capture shows the charset's letters ("lqqk")
            rows = [re.sub("\x1b\\[[0-9;:]*m", "", row) for row in styled_rows]
            rows += [""] * (LINES - len(rows))
        x, y = (int(v) for v in cursor.split())
        return [row.rstrip() for row in rows], (min(x, COLUMNS - 1), y), styled_rows

    def close(self) -> None:
        subprocess.run(["tmux", "-L", self.socket, "kill-server"], capture_output=True)


@pytest.fixture(scope="module")
def tmux():
    server = Tmux()
    yield server
    server.close()


ENGINES = {"default": vt.Emulator, "pyte": PyteEmulator}


def _xterm_hex(n: int) -> str:
    if n >= 232:
        level = 8 + (n - 232) * 10
        return f"#{level:02x}{level:02x}{level:02x}"
    n -= 16
    steps = [0, 95, 135, 175, 215, 255]
    return "#" + "".join(f"{steps[v]:02x}" for v in (n // 36, n // 6 % 6, n % 6))


def _colour(value: str | None):
    """One spelling per colour: 0-15 by index, the rest as #rrggbb (pyte spells 256 colours as hex)."""
    if value is None:
        return None
    names = ["black", "red", "green", "yellow", "blue", "magenta", "cyan", "white"]
    if value in names:
        return names.index(value)
    if value.startswith("bright_") and value[7:] in names:
        return 8 + names.index(value[7:])
    if value.startswith("color("):
        n = int(value[6:-1])
        return n if n < 16 else _xterm_hex(n)
    return value.lower()


def cell_styles(runs) -> list[tuple]:
    """A row's runs as one normalised style per cell (a wide character's two cells, two entries)."""
    from wcwidth import wcwidth

    out = []
    for text, style in runs:
        key = (_colour(style.fg), _colour(style.bg), style.bold, style.italic, style.underline, style.strike,
               style.reverse)
        # a blank shows its background, underline and reverse, not its foreground (unless reversed), bold,
        # italic or strike: tmux's capture leaves those out, and emulators keep whatever SGR was current
        blank = (key[0] if style.reverse else None, key[1], False, False, style.underline, False, style.reverse)
        for char in text:
            out += [blank if char == " " else key] * max(wcwidth(char), 1)
    return out


def tmux_styles(styled_rows: list[str]) -> list[list[tuple]]:
    """`capture-pane -e` rows as styles per cell: its SGR state carries on from row to row."""
    state: list = [None, None, False, False, False, False, False]
    rows = []
    for row in styled_rows:
        cells: list[tuple] = []
        pos = 0
        for match in list(re.finditer(r"\x1b\[([0-9;:]*)m", row)) + [None]:
            piece = row[pos:match.start()] if match else row[pos:]
            runs = [(piece, vt.Style(*state))]
            cells += cell_styles(runs)
            if match:
                vt._apply_sgr(match.group(1), state)
                pos = match.end()
        rows.append(cells)
    return rows


def exotui_screen(engine, data: bytes):
    emulator = ENGINES[engine](COLUMNS, LINES)
    emulator.feed(data)
    x, y, _ = emulator.cursor  # past the last column (a wrap pending) is shown on the last column
    return ([row.rstrip() for row in emulator.display()], (min(x, COLUMNS - 1), y),
            [cell_styles(emulator.runs(y)) for y in range(LINES)])


@pytest.mark.parametrize("engine", list(ENGINES))
@pytest.mark.parametrize("cut", CUTS, ids=lambda c: f"{c:.2f}")
@pytest.mark.parametrize("path", CORPUS, ids=lambda p: p.stem)
def test_the_screen_matches_tmux(tmux, tmp_path, path, cut, engine):
    """Text and cursor of every corpus cut; the attributes (colours, bold, italic, underline, strike,
    reverse) of every cell that holds text."""
    data = path.read_bytes()
    data = data[:int(len(data) * cut)]
    (tmp_path / "piece").write_bytes(data)
    text, cursor, styled = tmux.screen(tmp_path / "piece")
    got_text, got_cursor, got_styles = exotui_screen(engine, data)
    assert got_text == text, "\n".join(f"{a!r}\n{b!r}" for a, b in zip(got_text, text) if a != b)
    assert got_cursor == cursor, "cursor"
    for y, (mine, theirs) in enumerate(zip(got_styles, tmux_styles(styled))):
        n = len(text[y])  # cells up to the last one with text: tmux leaves trailing blanks unstyled
        assert mine[:n] == theirs[:n], f"row {y} attributes: {text[y]!r}"

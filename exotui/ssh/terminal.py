"""The VT emulator behind the embedded terminal, as a small interface that another engine can fill.

`PyteEmulator` is the default. Measured here (200x50, 32 KiB chunks, this module's wrapper included):
pyte 0.8.2 parses 0.6-0.8 MiB/s, bittty 0.3.0's Board 6-8 MiB/s, about ten times faster. pyte stays
the default for now: it is proven (termtosvg, textual-terminal), while bittty is pre-alpha and its
API changed shape between 0.1 and 0.3 (a "Board" of devices, local-PTY oriented). A BitttyEmulator
filling this interface is the obvious next step for throughput; the widget would not change. pyte's gaps and what is done about them here:
- no alternate screen: modes 47/1047/1049 are implemented by saving and restoring the buffer, so
  vim/less/htop leave no trace;
- colon-style SGR (`38:2::r:g:b`, `4:3`) is printed as text: rewritten to the `;` form before parsing;
- terminal queries (DA, DSR cursor position) are answered through `reply`, not dropped;
- `HistoryScreen` is 3-7x slower: scrollback is kept by overriding `index()` only.
Nothing here knows about SSH or Textual: bytes in, rows of styled runs out.
"""

from __future__ import annotations

import copy
import re
from collections import deque
from typing import Callable, NamedTuple

import pyte
from pyte.screens import StaticDefaultDict

ALT_MODES = (47, 1047, 1049)
DECCKM = 1 << 5  # pyte stores private modes shifted by 5
BRACKETED_PASTE = 2004 << 5


class Style(NamedTuple):
    """How a run of cells looks; colours are Rich colour names or "#rrggbb", None for the default."""

    fg: str | None = None
    bg: str | None = None
    bold: bool = False
    italic: bool = False
    underline: bool = False
    strike: bool = False
    reverse: bool = False


Run = tuple[str, Style]


def _colour(name: str) -> str | None:
    if name == "default":
        return None
    if len(name) == 6 and all(c in "0123456789abcdefABCDEF" for c in name):
        return f"#{name}"
    name = name.replace("brown", "yellow")  # pyte's name for SGR 33
    return f"bright_{name[6:]}" if name.startswith("bright") else name


_COLON_SGR = re.compile(rb"\x1b\[([0-9;:]*:[0-9;:]*)m")
_PARTIAL_CSI = re.compile(rb"\x1b(?:\[[0-9;:?]*)?$")


def _fix_sgr(match: re.Match) -> bytes:
    """`38:2::10:20:30` -> `38;2;10;20;30`, `4:3` -> `4` (pyte would print these as text)."""
    out = []
    for group in match.group(1).split(b";"):
        parts = group.split(b":")
        if len(parts) == 1:
            out.append(group)
        elif parts[0] in (b"38", b"48") and parts[1:2] == [b"2"] and len(parts) >= 5:
            out.append(b";".join([parts[0], b"2", *parts[-3:]]))
        elif parts[0] in (b"38", b"48") and parts[1:2] == [b"5"] and len(parts) >= 3:
            out.append(b";".join([parts[0], b"5", parts[2]]))
        elif parts[0] == b"4":
            out.append(b"24" if parts[1:2] == [b"0"] else b"4")
        # anything else (58: underline colour...) is dropped rather than shown as text
    return b"\x1b[" + b";".join(g for g in out if g) + b"m"


class _Screen(pyte.Screen):
    """pyte.Screen plus alternate screen, scrollback and query replies."""

    def __init__(self, columns: int, lines: int, history: int) -> None:
        self.history: deque = deque(maxlen=history)
        self.reply: Callable[[bytes], None] | None = None
        self._saved: tuple[dict, object] | None = None  # the main screen while the alternate one shows
        super().__init__(columns, lines)

    @property
    def in_alt(self) -> bool:
        return self._saved is not None

    def write_process_input(self, data: str) -> None:
        if self.reply is not None:
            self.reply(data.encode())

    def index(self) -> None:
        top, bottom = self.margins or (0, self.lines - 1)
        if self.cursor.y == bottom and top == 0 and not self.in_alt and self.history.maxlen:
            row = self.buffer.get(0)
            self.history.append(row if row is not None else StaticDefaultDict(self.default_char))
        super().index()

    def set_mode(self, *modes: int, **kwargs) -> None:
        if kwargs.get("private"):
            for mode in (m for m in modes if m in ALT_MODES):
                self._enter_alt(mode)
            modes = tuple(m for m in modes if m not in ALT_MODES)
        if modes:
            super().set_mode(*modes, **kwargs)

    def reset_mode(self, *modes: int, **kwargs) -> None:
        if kwargs.get("private"):
            for mode in (m for m in modes if m in ALT_MODES):
                self._leave_alt(mode)
            modes = tuple(m for m in modes if m not in ALT_MODES)
        if modes:
            super().reset_mode(*modes, **kwargs)

    def _enter_alt(self, mode: int) -> None:
        if self._saved is not None:
            return
        rows = {}
        for y, row in self.buffer.items():  # pyte edits rows in place: copy them
            saved = StaticDefaultDict(row.default)
            saved.update(row)
            rows[y] = saved
        self._saved = (rows, copy.copy(self.cursor) if mode == 1049 else None)
        self.buffer.clear()  # the alternate screen starts blank
        self.dirty.update(range(self.lines))

    def _leave_alt(self, mode: int) -> None:
        if self._saved is None:
            return
        rows, cursor = self._saved
        self._saved = None
        self.buffer.clear()
        self.buffer.update({y: row for y, row in rows.items() if y < self.lines})
        if cursor is not None:
            self.cursor = cursor
            self.ensure_hbounds()
            self.ensure_vbounds()
        self.dirty.update(range(self.lines))


class PyteEmulator:
    """The emulator interface: feed(bytes), resize(), take_dirty(), runs(y), cursor, modes, history."""

    name = "pyte"

    def __init__(self, columns: int = 80, lines: int = 24, history: int = 2000) -> None:
        self._screen = _Screen(columns, lines, history)
        self._stream = pyte.ByteStream(self._screen)
        self._tail = b""  # an escape sequence cut in half by the previous chunk

    # --- input -------------------------------------------------------------------------------

    @property
    def reply(self) -> Callable[[bytes], None] | None:
        return self._screen.reply

    @reply.setter
    def reply(self, callback: Callable[[bytes], None] | None) -> None:
        self._screen.reply = callback

    def feed(self, data: bytes) -> None:
        data = self._tail + data
        self._tail = b""
        partial = _PARTIAL_CSI.search(data, max(0, len(data) - 64))
        if partial:  # hold it back: the colon-SGR rewrite needs the whole sequence
            data, self._tail = data[:partial.start()], data[partial.start():]
        if b":" in data:
            data = _COLON_SGR.sub(_fix_sgr, data)
        self._stream.feed(data)

    def resize(self, columns: int, lines: int) -> None:
        self._screen.resize(lines=lines, columns=columns)  # pyte's order is (lines, columns)

    # --- output ------------------------------------------------------------------------------

    @property
    def columns(self) -> int:
        return self._screen.columns

    @property
    def lines(self) -> int:
        return self._screen.lines

    def take_dirty(self) -> set[int]:
        dirty = set(self._screen.dirty)
        self._screen.dirty.clear()
        return dirty

    @property
    def cursor(self) -> tuple[int, int, bool]:
        c = self._screen.cursor
        return c.x, c.y, not c.hidden

    @property
    def app_cursor_keys(self) -> bool:
        return DECCKM in self._screen.mode

    @property
    def bracketed_paste(self) -> bool:
        return BRACKETED_PASTE in self._screen.mode

    @property
    def in_alt_screen(self) -> bool:
        return self._screen.in_alt

    @property
    def history_size(self) -> int:
        return len(self._screen.history)

    def runs(self, y: int) -> list[Run]:
        """Row y as runs of equal style; negative y reads scrollback (-1 is the newest line)."""
        screen = self._screen
        if y < 0:
            history = screen.history
            if -y > len(history):
                return [(" " * screen.columns, Style())]
            row = history[y]
        else:
            row = screen.buffer.get(y)
            if row is None:
                return [(" " * screen.columns, Style())]
        runs: list[Run] = []
        text: list[str] = []
        last = None
        for x in range(screen.columns):
            char = row[x]
            key = (char.fg, char.bg, char.bold, char.italics, char.underscore, char.strikethrough, char.reverse)
            if key != last:
                if text:
                    runs.append(("".join(text), _style(last)))
                text, last = [], key
            text.append(char.data)  # "" after a wide character: it already covers two cells
        if text:
            runs.append(("".join(text), _style(last)))
        return runs

    def display(self) -> list[str]:
        """The screen as plain text, one string per row (for tests and logs)."""
        return ["".join(text for text, _ in self.runs(y)) for y in range(self.lines)]


_STYLES: dict[tuple, Style] = {}


def _style(key: tuple) -> Style:
    style = _STYLES.get(key)
    if style is None:
        fg, bg, *flags = key
        style = _STYLES[key] = Style(_colour(fg), _colour(bg), *flags)
    return style


Emulator = PyteEmulator  # the default engine; the widget only uses the methods above

"""The terminal core behind the embedded terminal: libghostty-vt (Ghostty's terminal core, through the
`pyghostty` wheel) when it loads, else the hardened pyte of exotui.ssh.terminal.

Why libghostty-vt (bench/terminal_engines.py, 200x50, 64 KiB reads, MB per CPU-second, one run on
this 2-core shared machine): on 20 MB of colour + cursor-addressed output pyte 0.8.2 does ~0.6,
exotui's pyte with jump scrolling the same ~0.6 (jumping only helps plain lines), libghostty-vt
~16-25x pyte; on plain lines libghostty-vt is ~400x pyte and far above jump scrolling. It also brings
what pyte lacks: wide characters and graphemes, 24-bit colour, alternate screen, scroll regions,
reflow on resize, bracketed paste and mouse modes, and it does not raise on unknown sequences.

`GhosttyEmulator` fills the same interface as `PyteEmulator` (write/step/feed, resize, take_dirty,
runs, cursor, modes, history, reply, faults). Rows are read through the library's own VT formatter
(one C call per frame for the whole screen, ~0.2 ms at 200x50), parsed into runs here (a row's text once:
a line scrolling up is not parsed again), and compared
with the last frame's so that `take_dirty` names only the rows that changed. OSC titles and every
other sequence stay inside the library: nothing is passed to the outer terminal.

`EXOTUI_TERMINAL=pyte` forces pyte. A failure of the library while feeding resets that session's
terminal with a notice (as PyteEmulator does); it never reaches the app.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Callable

from wcwidth import wcwidth

from .mouse import Tracking
from .terminal import MOUSE_MODES, PyteEmulator, Run, Style

log = logging.getLogger("exotui.ssh.vt")

# pyghostty<0.2 (pyproject pins it): a manylinux wheel with libghostty-vt, loaded through cffi. Loaded on
# the first terminal, not at import: parsing its cffi declarations costs ~0.3 s (`exotui ssh NAME` would
# pay it before its first frame).
pyghostty = _lib = _init_sized = _read_buf = None
_error: str | None = None
_tried = False


def _library() -> bool:
    """Load pyghostty once; False (and UNAVAILABLE says why) when it cannot load here."""
    global pyghostty, _lib, _init_sized, _read_buf, _error, _tried
    if not _tried:
        _tried = True
        try:
            import pyghostty as module
            from pyghostty.core import init_sized, read_buf
        except Exception as err:  # noqa: BLE001 - no wheel for this platform, or the library fails to load
            _error = f"{type(err).__name__}: {err}"
        else:
            pyghostty, _lib, _init_sized, _read_buf = module, module.lib, init_sized, read_buf
    return pyghostty is not None


def _ffi():
    from pyghostty.core import ffi
    return ffi


def __getattr__(name: str):
    if name == "UNAVAILABLE":  # why libghostty-vt cannot be used here (None: it can)
        _library()
        return _error
    raise AttributeError(name)

_NAMES = ("black", "red", "green", "yellow", "blue", "magenta", "cyan", "white")
_PALETTE_PREFIX = re.compile(r"\x1b\]4;[^\x1b\x07]*(?:\x1b\\|\x07)")  # the formatter's palette dump
_SGR = re.compile(r"\x1b\[([0-9;:]*)m")
_OTHER_ESCAPE = re.compile(r"\x1b(?:\[[0-9;:?]*[A-Za-z]|\][^\x1b\x07]*(?:\x1b\\|\x07)|[()][0-9A-Za-z])")
# The scrollback is bounded by bytes only. libghostty-vt prunes a byte-capped scrollback by recycling whole
# pages, but a line limit it enforces row by row: with pyghostty's line limit binding, a flood of plain lines
# fed at 35 MB per CPU-second instead of 330 (bench/terminal_engines.py, 200x50). So the line limit is set
# out of reach and the byte cap sized to keep at least `history` rows: ~10 bytes a cell plus page
# granularity; 14 kept 2400-3000 rows for 2000 asked at 80-300 columns (measured).
BYTES_PER_CELL = 14
NO_LINE_LIMIT = 1 << 31
PARSED = 4  # screens' worth of parsed rows kept for reuse
READ_BUDGET = 1 << 16  # bytes fed per step: ~1 ms of escape-heavy output, so a step never holds the loop long


def _palette(n: int) -> str:
    if n < 8:
        return _NAMES[n]
    if n < 16:
        return f"bright_{_NAMES[n - 8]}"
    return f"color({n})"


# SGR parameters that turn one attribute on or off: code -> (its slot in the state, on)
_SGR_FLAGS = {1: (2, True), 3: (3, True), 4: (4, True), 9: (5, True), 7: (6, True),
              22: (2, False), 23: (3, False), 24: (4, False), 29: (5, False), 27: (6, False)}


def _apply_sgr(params: str, state: list) -> None:
    """state = [fg, bg, bold, italic, underline, strike, reverse], changed by one SGR's parameters."""
    values = [int(p) if p.isdigit() else 0 for p in re.split(r"[;:]", params)] if params else [0]
    i = 0
    while i < len(values):
        v = values[i]
        if v == 0:
            state[:] = [None, None, False, False, False, False, False]
        elif v in _SGR_FLAGS:
            slot, on = _SGR_FLAGS[v]
            state[slot] = on
        elif 30 <= v <= 37:
            state[0] = _NAMES[v - 30]
        elif 40 <= v <= 47:
            state[1] = _NAMES[v - 40]
        elif 90 <= v <= 97:
            state[0] = f"bright_{_NAMES[v - 90]}"
        elif 100 <= v <= 107:
            state[1] = f"bright_{_NAMES[v - 100]}"
        elif v == 39:
            state[0] = None
        elif v == 49:
            state[1] = None
        elif v in (38, 48, 58) and i + 1 < len(values):
            where = 0 if v == 38 else 1 if v == 48 else None
            if values[i + 1] == 5 and i + 2 < len(values):
                if where is not None:
                    state[where] = _palette(values[i + 2] & 255)
                i += 2
            elif values[i + 1] == 2 and i + 4 < len(values):
                if where is not None:
                    r, g, b = (x & 255 for x in values[i + 2:i + 5])
                    state[where] = f"#{r:02x}{g:02x}{b:02x}"
                i += 4
        i += 1


_TRANSITIONS: dict[tuple[Style, str], Style] = {}  # (style, SGR parameters) -> the style after them


def _after_sgr(style: Style, params: str) -> Style:
    """`style` changed by one SGR's parameters; remembered, since the same few follow each other all along a
    screen (half the cost of reading an escape-heavy row went into re-applying them)."""
    found = _TRANSITIONS.get((style, params))
    if found is None:
        state = list(style)
        _apply_sgr(params, state)
        found = Style(*state)
        if len(_TRANSITIONS) > 4096:
            _TRANSITIONS.clear()
        _TRANSITIONS[style, params] = found
    return found


_PLAIN = Style()


def _row_runs(text: str, columns: int) -> list[Run]:
    """One row of the formatter's VT output as runs, padded with blanks to `columns` cells."""
    runs: list[Run] = []
    style = _PLAIN
    width = 0
    pos = 0
    for match in _SGR.finditer(text):
        start = match.start()
        if start > pos:
            width += _add(runs, text[pos:start], style)
        style = _after_sgr(style, match.group(1))
        pos = match.end()
    if pos < len(text):
        width += _add(runs, text[pos:], style)
    if width < columns:
        if runs and runs[-1][1] == _PLAIN:
            runs[-1] = (runs[-1][0] + " " * (columns - width), _PLAIN)
        else:
            runs.append((" " * (columns - width), _PLAIN))
    return runs


def _add(runs: list[Run], piece: str, style: Style) -> int:
    """Append `piece` in `style` to `runs` (joined to the last run when it has the same style); its cells."""
    if "\x1b" in piece:
        piece = _OTHER_ESCAPE.sub("", piece)
    if runs and runs[-1][1] == style:
        runs[-1] = (runs[-1][0] + piece, style)
    else:
        runs.append((piece, style))
    return len(piece) if piece.isascii() else sum(max(wcwidth(c), 0) if c >= " " else 0 for c in piece)


class GhosttyEmulator:
    """The emulator interface (see PyteEmulator) over a libghostty-vt terminal."""

    name = "libghostty-vt"

    def __init__(self, columns: int = 80, lines: int = 24, history: int = 2000) -> None:
        if not _library():
            raise RuntimeError(f"libghostty-vt is unavailable: {_error}")
        self._history_limit = history
        self._queue = bytearray()
        self._reply: Callable[[bytes], None] | None = None
        self.faults = 0
        self.fault: str | None = None
        self.jumped_lines = 0  # PyteEmulator's jump-scrolling counter: nothing to jump here
        self._new_terminal(columns, lines)

    def _new_terminal(self, columns: int, lines: int) -> None:
        self._term = pyghostty.Terminal(max(columns, 1), max(lines, 1), scrollback=NO_LINE_LIMIT)
        self._term.on_reply(self._on_reply)
        self._columns, self._lines = max(columns, 1), max(lines, 1)
        self._byte_budget()
        self._rows: list[list[Run]] | None = None  # the last frame read (None: read again)
        self._shown: list[list[Run]] = []  # the rows take_dirty last reported on
        self._history_cache: dict[int, list[Run]] = {}
        self._parsed: dict[str, list[Run]] = {}  # a row's formatter text -> its runs (see _frame)
        self._cursor: tuple[int, int, bool] | None = None
        self._changed = True

    def _byte_budget(self) -> None:
        """Room for at least `history` rows at this width (see BYTES_PER_CELL). The cap is a ceiling;
        pages are allocated as used. Without it the library's default cap kept ~1050 rows at 80 columns
        and ~360 at 200."""
        try:
            budget = _ffi().new("size_t*", self._history_limit * max(self._columns, 80) * BYTES_PER_CELL)
            _lib.ghostty_terminal_set(self._term._t[0], _lib.GHOSTTY_TERMINAL_OPT_SCROLLBACK_MAX_BYTES, budget)
        except Exception as err:  # noqa: BLE001 - the library's default cap then
            log.warning("libghostty-vt scrollback budget not set: %s", err)

    def _on_reply(self, data: bytes) -> None:
        if self._reply is not None:
            self._reply(data)

    @property
    def reply(self) -> Callable[[bytes], None] | None:
        return self._reply

    @reply.setter
    def reply(self, callback: Callable[[bytes], None] | None) -> None:
        self._reply = callback

    # --- input ---------------------------------------------------------------------------------

    def write(self, data: bytes) -> None:
        self._queue += data

    @property
    def pending(self) -> int:
        return len(self._queue)

    def feed(self, data: bytes) -> None:
        self.write(data)
        while self._queue:
            self.step(READ_BUDGET)

    def step(self, budget: int = 4096, hold: bool = False) -> int:
        """Feed queued output (at least `budget` bytes' worth of time: the library is ~100x pyte, so
        up to READ_BUDGET). A failure resets this terminal with a notice, as PyteEmulator.step."""
        used = min(len(self._queue), max(budget, READ_BUDGET))
        if not used:
            return 0
        chunk = bytes(self._queue[:used])
        del self._queue[:used]
        try:
            self._term.feed(chunk)
        except Exception as err:  # noqa: BLE001 - the session resets, the app goes on
            self._reset(err)
        self._changed = True
        self._history_cache.clear()
        return used

    def _reset(self, err: BaseException) -> None:
        self.faults += 1
        self.fault = f"{type(err).__name__}: {err}"
        log.warning("terminal emulator failed and was reset: %s", self.fault, exc_info=err)
        self._queue.clear()
        self._new_terminal(self._columns, self._lines)
        notice = f"[exotui: the terminal emulator failed ({self.fault[:200]}) and was reset]"
        try:
            self._term.feed(b"\x1b[7m" + notice.encode("utf-8", "replace") + b"\x1b[m\r\n")
        except Exception:  # noqa: BLE001 - a blank terminal then
            self._new_terminal(self._columns, self._lines)

    def resize(self, columns: int, lines: int) -> None:
        columns, lines = max(columns, 1), max(lines, 1)
        try:
            self._term.resize(columns, lines)  # reflows the primary screen
        except Exception as err:  # noqa: BLE001
            self._columns, self._lines = columns, lines
            self._reset(err)
        self._columns, self._lines = columns, lines
        self._byte_budget()
        self._changed = True
        self._shown = []
        self._parsed.clear()  # rows are padded to the width
        self._history_cache.clear()

    # --- output --------------------------------------------------------------------------------

    @property
    def columns(self) -> int:
        return self._columns

    @property
    def lines(self) -> int:
        return self._lines

    def _format(self, y0: int, y1: int, tag: str = "active") -> str:
        """Rows y0..y1 as the library's VT formatter writes them (styles as SGR, rows CRLF-separated).
        Uses the handle `Terminal._t` (private: pyghostty 0.1 has no public call to format with styles;
        its own `_format_sel` emits plain text only) and the library's raw selection-format call."""
        term = self._term
        selection = _init_sized("GhosttySelection")
        selection.start = term.ref(0, y0, tag)[0]
        selection.end = term.ref(self._columns - 1, y1, tag)[0]
        options = _init_sized("GhosttyTerminalSelectionFormatOptions")
        options.emit = _lib.GHOSTTY_FORMATTER_FORMAT_VT
        options.unwrap, options.trim, options.selection = False, False, selection
        handle = term._t[0]  # private: see above
        text = _read_buf(lambda buf, size, out: _lib.ghostty_terminal_selection_format_buf(
            handle, options[0], buf, size, out), "format")
        return _PALETTE_PREFIX.sub("", text)

    def _frame(self) -> list[list[Run]]:
        """The screen as rows of runs, read once per change: one formatter call for the whole screen, and
        only rows whose text is new are parsed (a scrolled row is the same text one line up: PARSED
        keeps the last few screens' parses, so a flood of lines parses each line once)."""
        if self._rows is None or self._changed:
            try:
                text = self._format(0, self._lines - 1).split("\r\n")
            except Exception as err:  # noqa: BLE001 - a screen that cannot be read shows blank
                log.warning("terminal screen unreadable: %s", err, exc_info=err)
                text = []
            text += [""] * (self._lines - len(text))
            parsed, columns = self._parsed, self._columns
            rows = []
            for row in text[:self._lines]:
                runs = parsed.get(row)
                if runs is None:
                    runs = parsed[row] = _row_runs(row, columns)
                rows.append(runs)
            if len(parsed) > PARSED * self._lines:
                for row in list(parsed)[:len(parsed) - PARSED * self._lines // 2]:  # the oldest first
                    del parsed[row]
            self._rows = rows
            self._cursor = None
            self._changed = False
        return self._rows

    def take_dirty(self) -> set[int]:
        """The rows that differ from what the last call saw (all of them after a resize)."""
        rows = self._frame()
        shown = self._shown
        dirty = {y for y, row in enumerate(rows) if y >= len(shown) or shown[y] is not row}
        self._shown = list(rows)
        return dirty

    @property
    def cursor(self) -> tuple[int, int, bool]:
        """(x, y, visible), read once per change (the widget asks for every row it draws)."""
        if self._cursor is None or self._changed:
            try:
                x, y = self._term.cursor
                visible = bool(self._term.get("cursor_visible", "bool"))
            except Exception:  # noqa: BLE001
                return 0, 0, False
            self._cursor = (min(x, self._columns - 1), min(y, self._lines - 1), visible)
        return self._cursor

    def _mode(self, number: int) -> bool:
        try:
            return self._term.mode(number)
        except Exception:  # noqa: BLE001
            return False

    @property
    def app_cursor_keys(self) -> bool:
        return self._mode(1)

    @property
    def bracketed_paste(self) -> bool:
        return self._mode(2004)

    @property
    def mouse_tracking(self) -> Tracking | None:
        """The mouse reports the remote asked for (DECSET 1003/1002/1000/9, 1006), None: none."""
        for mode in MOUSE_MODES:
            if self._mode(mode):
                return Tracking(mode, self._mode(1006))
        return None

    @property
    def in_alt_screen(self) -> bool:
        try:
            return self._term.get("active_screen", "int") != _lib.GHOSTTY_TERMINAL_SCREEN_PRIMARY
        except Exception:  # noqa: BLE001
            return False

    @property
    def history_size(self) -> int:
        if self.in_alt_screen:
            return 0
        try:
            return int(self._term.get("scrollback_rows", "size_t"))
        except Exception:  # noqa: BLE001
            return 0

    def runs(self, y: int) -> list[Run]:
        """Row y as runs of equal style; negative y reads scrollback (-1 is the newest line)."""
        blank = [(" " * self._columns, Style())]
        if y >= 0:
            rows = self._frame()
            return rows[y] if y < len(rows) else blank
        size = self.history_size
        if -y > size:
            return blank
        cached = self._history_cache.get(y)
        if cached is None:
            try:
                cached = _row_runs(self._format(size + y, size + y, "screen").split("\r\n")[0], self._columns)
            except Exception as err:  # noqa: BLE001
                log.warning("terminal scrollback row %d unreadable: %s", y, err, exc_info=err)
                cached = blank
            self._history_cache[y] = cached
        return cached

    def display(self) -> list[str]:
        return ["".join(text for text, _ in self.runs(y)) for y in range(self.lines)]


def engine() -> type:
    """The emulator class to use: libghostty-vt unless it is unavailable or EXOTUI_TERMINAL=pyte."""
    if os.environ.get("EXOTUI_TERMINAL", "").lower() == "pyte" or not _library():
        return PyteEmulator
    return GhosttyEmulator


def Emulator(columns: int = 80, lines: int = 24, history: int = 2000):  # noqa: N802 - used as a class
    """A new emulator of the chosen engine (see engine())."""
    return engine()(columns, lines, history=history)

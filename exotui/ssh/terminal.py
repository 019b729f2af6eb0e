"""The VT emulator behind the embedded terminal, as a small interface that another engine can fill.

`PyteEmulator` is the fallback engine: exotui/ssh/vt.py picks libghostty-vt when it loads (measured
there), this one where it cannot or with EXOTUI_TERMINAL=pyte. Measured earlier on bench/ssh.py's
20 MB `cat` (`bench/ssh.py --engines`:
200x50, 64 KiB reads, MB per CPU-second): pyte 0.8.2 alone 0.6-0.8, bittty 0.3.0's Board 5.4-7.1,
this wrapper with jump scrolling (below) as the widget drives it 55-90. pyte stays: it is proven
(termtosvg, textual-terminal), bittty is pre-alpha and its API changed shape between 0.1 and 0.3, and
jump scrolling beats it on the floods that matter. bittty would still win on floods jumping cannot
take (wide characters, cursor addressing, full-screen programs); a BitttyEmulator filling this
interface would not change the widget.

Jump scrolling (`_jump`), as a VT100 does: a burst of plain lines (printable text of one cell per
character, tabs, SGR, erase-line, CRLF) arriving at the bottom of the screen is not emulated cell by
cell. Its rows go to the screen and the scrollback as lazy rows (the bytes plus the SGR state they
start with), turned into styled runs only when shown, and into pyte rows only if pyte must work on
the screen again; SGR sequences are replayed so colours carry on. The result is exactly what
emulating every byte gives (tests/ssh/test_jump_scroll.py holds it against pyte).

pyte's gaps and what is done about them here:
- no alternate screen: modes 47/1047/1049 are implemented by saving and restoring the buffer, so
  vim/less/htop leave no trace;
- colon-style SGR (`38:2::r:g:b`, `4:3`) is printed as text: rewritten to the `;` form before parsing;
- terminal queries (DA, DSR cursor position) are answered through `reply`, not dropped;
- `HistoryScreen` is 3-7x slower: scrollback is kept by overriding `index()` only.
- pyte's parser raised on sequences it half-knows (`CSI ? 4 m` from vim: TypeError on `private`;
  extra CSI parameters; unknown erase selectors), inside its generator, which is then dead: its CSI
  handlers are wrapped to ignore what they do not take (`_tolerant`), and any other failure resets
  the screen with a notice (`step`), so a fault never leaves this object.
Nothing here knows about SSH or Textual: bytes in, rows of styled runs out.
"""

from __future__ import annotations

import copy
import inspect
import logging
import re
from collections import deque
from itertools import groupby, repeat
from operator import itemgetter
from typing import Callable, NamedTuple

import pyte
from pyte import modes as pyte_modes
from pyte.charsets import LAT1_MAP
from pyte.screens import StaticDefaultDict
from wcwidth import wcwidth  # pyte's own measure of a character's cells

from .mouse import Tracking

# pyte's private names this adapter leans on (tests/ssh/test_pyte_private.py is the canary; pyte is pinned <0.9):
# ByteStream._taking_plain_text says the parser is between sequences, so jump scrolling may take the bytes
# ahead of it without a half-parsed escape sequence being lost (pyte offers no public way to ask).
PYTE_PRIVATE = {pyte.ByteStream: ("_taking_plain_text",)}

log = logging.getLogger("exotui.ssh.terminal")

ALT_MODES = (47, 1047, 1049)
MOUSE_MODES = (1003, 1002, 1000, 9)  # the most the remote asked for first
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
_PARTIAL_CSI = re.compile(rb"\x1b(?:\[[0-9;:?>]*|[()])?$")
# pyte ignores charset designations (ESC ( 0, ESC ) 0) and SO/SI once in UTF-8 mode, so dialog's and
# whiptail's boxes showed as "lqqqk"; xterm, tmux and libghostty-vt honour them in UTF-8 too: done here
_CHARSET = re.compile(rb"\x1b([()])([0AB])|[\x0e\x0f]")
# `CSI > Ps ; Ps m` sets xterm's key modifier options (vim sends `CSI > 4 ; 2 m`); pyte would read it
# as SGR (underline on): dropped before parsing
_XTMODKEYS = re.compile(rb"\x1b\[>[0-9;]*m")
# jump scrolling: output made only of printable text, tabs, SGR (and erase-line) sequences and CRLF.
# Non-ASCII runs are only roughly UTF-8 here; _jump checks them (valid, one cell per character).
_PLAIN = re.compile(rb"(?:[\x20-\x7e\t]++|[\xc2-\xf4][\x80-\xbf]++|\x1b\[[0-9;]*+[mK]|\r\n)++")  # possessive
_ESCAPE = re.compile(rb"\x1b\[[0-9;]*[mK]")
_SGR = re.compile(rb"\x1b\[([0-9;]*)m")
JUMP_SCAN = 1 << 18  # bytes a step examines for a jump: ~4 ms of work here (the scan alone ~7 ms per MiB)
LAZY_GROUP = 32  # lines per _LazyLines: emulated together when scrolled back to


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


class _LazyLines:
    """A few plain lines that jump scrolling did not emulate: their bytes (CRLF-separated) and the
    SGR state they started with. Until shown they cost their bytes, not a dict of Chars per row (which
    also keeps the garbage collector's full passes short). Shown, they become runs straight from the
    bytes (`_plain_runs`, ~20x cheaper than pyte); pyte emulates them (on a scratch screen of their
    own size) only when the screen needs real rows again, or for erase-line sequences."""

    __slots__ = ("_rows", "_runs", "attrs", "columns", "count", "data")

    def __init__(self, data: bytes, attrs, columns: int, count: int) -> None:
        self.data, self.attrs, self.columns, self.count = data, attrs, columns, count
        self._rows: list | None = None
        self._runs: list | None = None

    def rows(self) -> list:
        if self._rows is None:
            scratch = pyte.Screen(self.columns, self.count)
            scratch.cursor.attrs = self.attrs
            pyte.ByteStream(scratch).feed(self.data)
            self._rows = [scratch.buffer[y] for y in range(self.count)]
        return self._rows

    def runs(self, index: int) -> list[Run]:
        if self._runs is None:
            if self._rows is None and b"K" not in self.data:  # no erase-line: "K" is no other escape's end
                self._runs = _plain_runs(self.data, self.attrs, self.columns)
            else:
                self._runs = [_row_runs(row, self.columns) for row in self.rows()]
        return self._runs[index]


# A row of the screen or scrollback is a pyte row (a dict of Chars), or a lazy one: the tuple
# (_LazyLines, index of the row in them). Tuples, because a jump makes thousands (zip builds them in C).


def _width(line: bytes) -> int:
    """Cells a plain line (see _PLAIN; checked by _one_cell_each if not ASCII) covers, tabs aside."""
    if not line.isascii():
        return len(_ESCAPE.sub(b"", line).decode("utf-8"))
    if b"\x1b" not in line:
        return len(line)
    return len(line) - sum(len(e) for e in _ESCAPE.findall(line))


def _one_cell_each(line: bytes) -> bool:
    """A non-ASCII plain line is valid UTF-8 whose characters all take one cell, as pyte draws them."""
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return all(wcwidth(char) == 1 for char in text if char > "\x7e")


def _rows(line: bytes, columns: int) -> int:
    """Rows a plain line covers once auto-wrapped."""
    if b"\t" not in line:
        return max(1, -(-_width(line) // columns))
    rows, x = 1, 0
    bare = _ESCAPE.sub(b"", line)
    parts = bare.split(b"\t") if bare.isascii() else bare.decode("utf-8").split("\t")
    for i, part in enumerate(parts):
        if i:
            x = _tab_stop(x, columns)
        n = len(part)
        while n:
            if x == columns:
                rows, x = rows + 1, 0
            take = min(n, columns - x)
            x, n = x + take, n - take
    return rows


def _tab_stop(x: int, columns: int) -> int:
    """Where pyte's tab moves the cursor with the default stops (every 8; the last column if none is
    left, without wrapping)."""
    stop = (x // 8 + 1) * 8
    return stop if stop < columns else columns - 1


def _tolerant(method: Callable) -> Callable:
    """A CSI handler of pyte's that takes what xterm sends without raising. pyte's parser calls its
    handlers with every parameter given and `private=True` for `CSI ? ...`; many take one parameter
    and no `private`: `CSI ? 4 m` (vim's modifyOtherKeys query) or `CSI 1 ; 2 A` raised TypeError
    inside pyte's parser, which kills its generator for good. Here a private sequence the handler has
    no meaning for is ignored (as xterm ignores what it does not know), extra parameters are dropped,
    and erase-in-line/display with an unknown selector do nothing (pyte fails on them)."""
    params = list(inspect.signature(method).parameters.values())[1:]
    takes_private = any(p.name == "private" or p.kind is p.VAR_KEYWORD for p in params)
    positional = (None if any(p.kind is p.VAR_POSITIONAL for p in params)
                  else sum(p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and p.name != "private"
                           for p in params))
    selectors = {"erase_in_line": (0, 1, 2), "erase_in_display": (0, 1, 2, 3)}.get(method.__name__)

    def handler(self, *args, private: bool = False, **kwargs):
        if private and not takes_private:
            return None
        if positional is not None and len(args) > positional:
            args = args[:positional]
        if selectors and args and args[0] not in selectors:
            return None
        if private:
            kwargs["private"] = True
        return method(self, *args, **kwargs)

    handler.__name__ = method.__name__
    handler.__doc__ = method.__doc__
    return handler


class _Screen(pyte.Screen):
    """pyte.Screen plus alternate screen, scrollback and query replies."""

    def __init__(self, columns: int, lines: int, history: int) -> None:
        self.history: deque = deque(maxlen=history)
        self.reply: Callable[[bytes], None] | None = None
        self._saved: tuple[dict, object] | None = None  # the main screen while the alternate one shows
        self._cursor_1049: object | None = None  # the cursor the last `CSI ? 1049 h` saved
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
        if mode == 1049:  # xterm: 1049 saves the cursor (DECSC) and 1049 l restores it, in either screen
            self._cursor_1049 = copy.copy(self.cursor)
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
            if mode == 1049 and self._cursor_1049 is not None:  # dialog leaves the alternate screen twice
                self.cursor = copy.copy(self._cursor_1049)
                self.ensure_hbounds()
                self.ensure_vbounds()
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


for _name in set(pyte.ByteStream.csi.values()):
    setattr(_Screen, _name, _tolerant(getattr(_Screen, _name)))


class PyteEmulator:
    """The emulator interface: feed(bytes), resize(), take_dirty(), runs(y), cursor, modes, history."""

    name = "pyte"

    def __init__(self, columns: int = 80, lines: int = 24, history: int = 2000) -> None:
        self._screen = _Screen(columns, lines, history)
        self._stream = pyte.ByteStream(self._screen)
        self._tail = b""  # an escape sequence cut in half by the previous chunk
        self._queue = bytearray()  # written, not emulated yet
        self._lazy_screen = False  # rows on the screen may be lazy (after a jump)
        self.jumped_lines = 0  # lines jump scrolling skipped (tests, benchmarks)
        self.faults = 0  # times pyte failed and the screen was reset (see _reset)
        self.fault: str | None = None  # what the last failure was

    # --- input -------------------------------------------------------------------------------

    @property
    def reply(self) -> Callable[[bytes], None] | None:
        return self._screen.reply

    @reply.setter
    def reply(self, callback: Callable[[bytes], None] | None) -> None:
        self._screen.reply = callback

    def feed(self, data: bytes) -> None:
        """Emulate `data` now, all of it."""
        self.write(data)
        while self._queue:
            self.step(1 << 20)

    def write(self, data: bytes) -> None:
        """Queue remote output; `step()` emulates it a bounded piece at a time."""
        data = self._tail + data
        self._tail = b""
        partial = _PARTIAL_CSI.search(data, max(0, len(data) - 64))
        if partial:  # hold it back: the colon-SGR rewrite needs the whole sequence
            data, self._tail = data[:partial.start()], data[partial.start():]
        if b":" in data:
            data = _COLON_SGR.sub(_fix_sgr, data)
        if b"[>" in data:
            data = _XTMODKEYS.sub(b"", data)
        self._queue += data

    @property
    def pending(self) -> int:
        """Bytes written and not emulated yet."""
        return len(self._queue)

    def step(self, budget: int = 4096, hold: bool = False) -> int:
        """`_step`, where a failure of pyte (an exception on some sequence: its parser is a generator,
        dead after one) never reaches the caller: the screen is reset with a notice on it, the output
        queued so far is dropped (it may hold the same sequence again), and `faults`/`fault` tell."""
        try:
            return self._step(budget, hold)
        except Exception as err:  # noqa: BLE001 - any fault of the emulator ends here, not in the app
            dropped = len(self._queue)
            self._reset(err)
            return max(dropped, 1)

    def _reset(self, err: BaseException) -> None:
        """A fresh screen of the same size (the scrollback and the reply callback kept), saying why."""
        self.faults += 1
        self.fault = f"{type(err).__name__}: {err}"
        log.warning("terminal emulator failed and was reset: %s", self.fault, exc_info=err)
        old = self._screen
        screen = _Screen(old.columns, old.lines, 0)
        screen.history, screen.reply = old.history, old.reply
        self._screen, self._stream = screen, pyte.ByteStream(screen)
        self._queue.clear()
        self._tail = b""
        self._lazy_screen = False
        notice = f"[exotui: the terminal emulator failed ({self.fault[:200]}) and was reset]"
        try:
            self._stream.feed(b"\x1b[7m" + notice.encode("utf-8", "replace") + b"\x1b[m\r\n")
        except Exception:  # noqa: BLE001 - a blank screen then
            self._screen, self._stream = screen, pyte.ByteStream(screen)
        screen.dirty.update(range(screen.lines))

    def _step(self, budget: int, hold: bool) -> int:
        """Emulate some queued output; returns the bytes used. A flood of plain lines is jumped over
        in one step (`_jump`); anything else costs at most `budget` bytes of pyte, cut after a line
        end if there is one so that the next step may jump. With `hold`, the start of a plain line
        after a jump waits (0 is returned) for the rest of its flood: emulating it would mean emulating
        the whole screen first; the caller steps again without `hold` if nothing more comes soon."""
        queue = self._queue
        if not queue:
            return 0
        used = self._jump()
        if not used:
            if (hold and self._lazy_screen and len(queue) <= 4096 and b"\n" not in queue
                    and _PLAIN.fullmatch(queue, 0, len(queue) - queue.endswith(b"\r"))):
                return 0
            used = min(budget, len(queue))
            if self._screen.cursor.x:  # mid-line (a read ends anywhere): only to its end, then try to jump
                cut = queue.find(b"\r\n", 0, used)
            else:
                cut = queue.rfind(b"\r\n", 0, used) if used < len(queue) else -1
            if cut >= 0:
                used = cut + 2
            self._materialize()
            self._feed(bytes(queue[:used]))
        del queue[:used]
        return used

    def _feed(self, data: bytes) -> None:
        """pyte's stream, with the charset designations and shifts it drops in UTF-8 mode (_CHARSET)."""
        if not any(mark in data for mark in (b"\x1b(", b"\x1b)", b"\x0e", b"\x0f")):
            self._stream.feed(data)
            return
        pos, screen = 0, self._screen
        for match in _CHARSET.finditer(data):
            self._stream.feed(data[pos:match.start()])
            pos = match.end()
            if match.group(1):
                screen.define_charset(match.group(2).decode(), match.group(1).decode())
            elif match.group() == b"\x0e":
                screen.shift_out()
            else:
                screen.shift_in()
        self._stream.feed(data[pos:])

    def _jump(self) -> int:
        """Jump scrolling, as a VT100 does: when the queue starts with a screenful or more of plain lines
        (text, SGR, erase-line, CRLF) and the cursor is at the start of a blank bottom row, none of them
        is emulated now. The rows they make scroll into the scrollback (the last `history` of them) and
        onto the screen as lazy rows, emulated only when shown (at most once a frame, however many
        jumps came in between) or before pyte touches the screen again; their SGR sequences are
        replayed so the colours carry on as if every byte had been parsed. Returns the bytes used."""
        screen, stream = self._screen, self._stream
        lines, columns, cursor = screen.lines, screen.columns, screen.cursor
        if (cursor.x or cursor.y != lines - 1 or screen.in_alt or screen.buffer.get(lines - 1)
                or (screen.margins is not None and tuple(screen.margins) != (0, lines - 1))
                or pyte_modes.DECAWM not in screen.mode or pyte_modes.IRM in screen.mode
                or pyte_modes.DECSCNM in screen.mode or screen.tabstops != set(range(8, columns, 8))
                or screen.charset or screen.g0_charset is not LAT1_MAP
                or stream._taking_plain_text is not True or stream.utf8_decoder.getstate()[0]):
            return 0
        queue = self._queue
        match = _PLAIN.match(queue, 0, JUMP_SCAN)
        if not match:
            return 0
        end = queue.rfind(b"\r\n", 0, match.end()) + 2  # whole lines only
        if end < 2:
            return 0
        block = bytes(queue[:end])
        line_list = block.split(b"\r\n")[:-1]
        if not block.isascii():  # up to the first line whose characters are not all one cell wide
            bad = next((i for i, line in enumerate(line_list) if not line.isascii() and not _one_cell_each(line)),
                       None)
            if bad is not None:
                end = sum(len(line) + 2 for line in line_list[:bad])
                block, line_list = block[:end], line_list[:bad]
        total = len(line_list)
        if total < lines:  # less than a screenful: pyte is as quick, and proven
            return 0
        retained = min(total, (screen.history.maxlen or 0) + lines)  # each line makes one row or more
        skipped = total - retained
        at = end - sum(len(line) + 2 for line in line_list[skipped:])
        if skipped:  # scrolled beyond the scrollback: only their colours matter
            self._replay_sgr(block, 0, at)
        rows: list = [] if skipped else [screen.buffer.get(y) or StaticDefaultDict(screen.default_char)
                                         for y in range(lines - 1)]
        for first in range(skipped, total, LAZY_GROUP):
            group = line_list[first:first + LAZY_GROUP]
            size = sum(map(len, group)) + 2 * len(group)
            count = (len(group) if max(map(len, group)) <= columns and b"\t" not in block[at:at + size]
                     else sum(_rows(g, columns) for g in group))
            lazy = _LazyLines(block[at:at + size - 2], cursor.attrs, columns, count)
            rows.extend(zip(repeat(lazy), range(count)))
            self._replay_sgr(block, at, at + size)
            at += size
        # rows pushed off the top go to the scrollback, the last ones stay above the (blank) cursor row
        on_screen = len(rows) - (lines - 1)
        if screen.history.maxlen:
            screen.history.extend(rows[:on_screen])
        for y in range(lines - 1):
            screen.buffer[y] = rows[on_screen + y]
        self._lazy_screen = True
        self.jumped_lines += total
        screen.dirty.update(range(lines))
        return end

    def _materialize(self) -> None:
        """Emulate the screen's lazy rows (before pyte works on the screen: it edits rows in place)."""
        if self._lazy_screen:
            buffer = self._screen.buffer
            for y, row in list(buffer.items()):
                if type(row) is tuple:
                    buffer[y] = row[0].rows()[row[1]]
            self._lazy_screen = False

    def _replay_sgr(self, data: bytes, start: int, end: int) -> None:
        """Apply the SGR sequences of data[start:end] as pyte's parser would, from the last full reset on
        (what came before it cannot matter)."""
        start = max(data.rfind(b"\x1b[m", start, end), data.rfind(b"\x1b[0m", start, end), start)
        select = self._screen.select_graphic_rendition
        for sgr in _SGR.finditer(data, start, end):
            select(*(min(int(p or 0), 9999) for p in sgr.group(1).split(b";")))

    def resize(self, columns: int, lines: int) -> None:
        try:
            self._materialize()
            screen = self._screen
            if screen.tabstops == set(range(8, screen.columns, 8)):  # default stops stay default (as in xterm)
                screen.tabstops = set(range(8, columns, 8))
            self._screen.resize(lines=lines, columns=columns)  # pyte's order is (lines, columns)
        except Exception as err:  # noqa: BLE001 - as in step(): reset, at the new size
            self._screen.columns, self._screen.lines = columns, lines
            self._reset(err)

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
    def mouse_tracking(self) -> Tracking | None:
        """The mouse reports the remote asked for (DECSET 1003/1002/1000/9, 1006), None: none."""
        modes = self._screen.mode
        for mode in MOUSE_MODES:
            if mode << 5 in modes:
                return Tracking(mode, 1006 << 5 in modes)
        return None

    @property
    def in_alt_screen(self) -> bool:
        return self._screen.in_alt

    @property
    def history_size(self) -> int:
        return len(self._screen.history)

    def runs(self, y: int) -> list[Run]:
        """Row y as runs of equal style; negative y reads scrollback (-1 is the newest line). A row that
        cannot be read shows blank rather than failing the frame."""
        try:
            return self._runs(y)
        except Exception as err:  # noqa: BLE001
            log.warning("terminal row %d unreadable: %s", y, err, exc_info=err)
            return [(" " * self._screen.columns, Style())]

    def _runs(self, y: int) -> list[Run]:
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
        if type(row) is tuple:
            return row[0].runs(row[1])
        return _row_runs(row, screen.columns)

    def display(self) -> list[str]:
        """The screen as plain text, one string per row (for tests and logs)."""
        return ["".join(text for text, _ in self.runs(y)) for y in range(self.lines)]


_STYLES: dict[tuple, Style] = {}
_LOOK = itemgetter(1, 2, 3, 4, 5, 6, 7)  # a pyte Char's fg, bg, bold, italics, underscore, strikethrough, reverse
_BLANK = pyte.screens.Char(" ")
_SGR_SCREEN = pyte.Screen(1, 1)  # computes SGR effects for _plain_runs exactly as pyte does


def _row_runs(row, columns: int) -> list[Run]:
    """A pyte row as runs of equal style."""
    cells = [row[x] for x in range(columns)]
    # a wide character's second cell holds "": the character already covers it
    return [("".join([char[0] for char in group]), _style(key)) for key, group in groupby(cells, _LOOK)]


def _plain_runs(data: bytes, attrs, columns: int) -> list[list[Run]]:
    """The rows of plain CRLF-separated lines (printable ASCII and SGR only), as pyte would show them
    from `attrs` on, without emulating them cell by cell."""
    rows: list[list[Run]] = []
    blank = _style(_LOOK(_BLANK))
    sgr_screen = _SGR_SCREEN
    for line in data.split(b"\r\n"):
        pieces: list[Run] = []
        pos = 0
        if b"\x1b" in line:
            for sgr in _SGR.finditer(line):
                if sgr.start() > pos:
                    pieces.append((line[pos:sgr.start()].decode("utf-8"), _style(_LOOK(attrs))))
                sgr_screen.cursor.attrs = attrs
                sgr_screen.select_graphic_rendition(*(min(int(p or 0), 9999) for p in sgr.group(1).split(b";")))
                attrs, pos = sgr_screen.cursor.attrs, sgr.end()
        if pos < len(line):
            pieces.append((line[pos:].decode("utf-8"), _style(_LOOK(attrs))))
        if b"\t" in line:
            rows.extend(_tabbed_rows(pieces, columns, blank))
            continue
        row: list[Run] = []
        x = 0
        for text, style in pieces:
            while text:
                if x == columns:  # auto-wrap, only when more comes (as pyte does)
                    rows.append(row)
                    row, x = [], 0
                take, text = text[:columns - x], text[columns - x:]
                _add_run(row, take, style)
                x += len(take)
        if x < columns:
            _add_run(row, " " * (columns - x), blank)
        rows.append(row)
    return rows


def _tabbed_rows(pieces: list[Run], columns: int, blank: Style) -> list[list[Run]]:
    """The rows of one plain line with tabs, cell by cell: a tab skips cells (they stay blank) and
    may move back onto the last column."""
    chars, styles = [[" "] * columns], [[blank] * columns]
    x = 0
    for text, style in pieces:
        for i, part in enumerate(text.split("\t")):
            if i:
                x = _tab_stop(x, columns)
            while part:
                if x == columns:
                    chars.append([" "] * columns)
                    styles.append([blank] * columns)
                    x = 0
                take, part = part[:columns - x], part[columns - x:]
                chars[-1][x:x + len(take)] = take
                styles[-1][x:x + len(take)] = [style] * len(take)
                x += len(take)
    rows = []
    for row_chars, row_styles in zip(chars, styles):
        row, x = [], 0
        for style, same in groupby(row_styles):
            n = sum(1 for _ in same)
            row.append(("".join(row_chars[x:x + n]), style))
            x += n
        rows.append(row)
    return rows


def _add_run(row: list[Run], text: str, style: Style) -> None:
    if row and row[-1][1] == style:
        row[-1] = (row[-1][0] + text, style)
    else:
        row.append((text, style))


def _style(key: tuple) -> Style:
    style = _STYLES.get(key)
    if style is None:
        fg, bg, *flags = key
        style = _STYLES[key] = Style(_colour(fg), _colour(bg), *flags)
    return style


Emulator = PyteEmulator  # this module's engine; the widget takes exotui.ssh.vt.Emulator (the chosen one)

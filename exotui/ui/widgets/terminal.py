"""TerminalView: a Line-API widget that shows a VT emulator and sends keys to a remote PTY.

Output is fed in small slices (a flood never holds the event loop for long) and repaints are
coalesced: at once when the last one is a frame old (an echo reaches Textual's next screen update),
at most 60 per second while typing and 10 during a flood, only the rows the emulator marked dirty, and
a row's strip is built once while it scrolls up the screen. While it has focus
every key goes to the remote side (tab, ctrl+c... never reach app bindings) except the few the
session screen reserves (RESERVED). The PTY opens on the first real size: the widget is 0x0 at mount.

Copy and scroll (keys in the footer): shift+pageup/shift+pagedown scroll through the emulator's history
(the mouse wheel too); new output does not move the view while scrolled back (a marker says how many
lines back), and any key typed for the remote returns to the live screen. shift+up enters copy mode
(tmux-like, keys stay local): arrows/hjkl move a cursor, v or space starts a selection, y or enter copies
it to the outer terminal's clipboard through OSC 52 (App.copy_to_clipboard: only base64 of the selected
text reaches the outer terminal), / searches older output for plain text, n/N the next older/newer
match, escape or q leaves. See copymode.py.

The mouse: when the remote program asks for mouse reports (DECSET 9/1000/1002/1003, SGR 1006: vim's
`mouse=a`, htop, dialog, tmux), clicks, drags and the wheel on the live screen go to it
(ssh/mouse.py encodes them); otherwise the wheel scrolls the history.
"""

from __future__ import annotations

import asyncio
from functools import lru_cache
from time import monotonic
from typing import Callable

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style as RichStyle
from textual import events
from textual.binding import Binding
from textual.color import Color
from textual.geometry import Region, Size
from textual.strip import Strip
from textual.widget import Widget

from ...ssh import mouse
from ...ssh.terminal import Style
from ...ssh.vt import Emulator
from .copymode import CopyMode, find_all, line_text, search, selected_text

SLICE = 2048  # bytes of pyte between yields, ~4 ms (a jump-scrolled flood goes in bigger, cheap steps)
FRAME = 1 / 60  # least time between repaints while typing
FLOOD_FRAME = 1 / 10  # while output floods in: a 200x50 screen of colour costs ~10 ms of CPU to read and draw
STRIPS = 512  # rows' strips kept for reuse (a few screens' worth)
FLOOD_BYTES = 16384  # more than this between two repaints counts as a flood
# keys the session screen handles, so they never go to the remote side
RESERVED = frozenset({"ctrl+right_square_bracket", "ctrl+pageup", "ctrl+pagedown", "ctrl+f4", "ctrl+f5", "f12",
                      "shift+pageup", "shift+pagedown", "shift+up"})
COPY_KEYS = {"up": (-1, 0), "k": (-1, 0), "down": (1, 0), "j": (1, 0), "left": (0, -1), "h": (0, -1),
             "right": (0, 1), "l": (0, 1)}

_KEYS = {
    "enter": b"\r", "tab": b"\t", "shift+tab": b"\x1b[Z", "backspace": b"\x7f", "escape": b"\x1b",
    "ctrl+h": b"\x08", "delete": b"\x1b[3~", "insert": b"\x1b[2~", "home": b"\x1b[H", "end": b"\x1b[F",
    "pageup": b"\x1b[5~", "pagedown": b"\x1b[6~", "space": b" ", "ctrl+space": b"\x00", "ctrl+at": b"\x00",
    "ctrl+backslash": b"\x1c", "ctrl+circumflex_accent": b"\x1e", "ctrl+underscore": b"\x1f",
    "ctrl+left_square_bracket": b"\x1b",
    "f1": b"\x1bOP", "f2": b"\x1bOQ", "f3": b"\x1bOR", "f4": b"\x1bOS", "f5": b"\x1b[15~", "f6": b"\x1b[17~",
    "f7": b"\x1b[18~", "f8": b"\x1b[19~", "f9": b"\x1b[20~", "f10": b"\x1b[21~", "f11": b"\x1b[23~",
}
_ARROWS = {"up": b"A", "down": b"B", "right": b"C", "left": b"D"}
_MODIFIERS = {"shift": 2, "alt": 3, "shift+alt": 4, "ctrl": 5, "ctrl+shift": 6}


def key_bytes(key: str, character: str | None, app_cursor: bool = False) -> bytes | None:
    """What a terminal sends for a Textual key (None: nothing sensible)."""
    if key in _KEYS:
        return _KEYS[key]
    if key in _ARROWS:
        return (b"\x1bO" if app_cursor else b"\x1b[") + _ARROWS[key]
    modifiers, _, base = key.rpartition("+")
    if base in _ARROWS and modifiers in _MODIFIERS:
        return b"\x1b[1;%d%s" % (_MODIFIERS[modifiers], _ARROWS[base])
    if modifiers == "ctrl" and len(base) == 1 and base.isalpha():
        return bytes([ord(base.lower()) - 96])  # event.character is None for ctrl keys under Pilot
    if modifiers == "alt":
        inner = key_bytes(base, character[-1] if character else None, app_cursor)
        return b"\x1b" + inner if inner else None
    if character and character.isprintable():
        return character.encode()
    return None


@lru_cache(maxsize=1024)
def _styled(base: RichStyle, style: Style) -> RichStyle:
    return base + _rich(style)


@lru_cache(maxsize=1024)
def _rich(style: Style) -> RichStyle:
    return RichStyle(color=style.fg, bgcolor=style.bg, bold=style.bold or None, italic=style.italic or None,
                     underline=style.underline or None, strike=style.strike or None,
                     reverse=style.reverse or None)


_CURSOR = RichStyle(reverse=True)
_SELECTION = RichStyle(reverse=True)
_OTHER_MATCH = RichStyle(underline=True, bold=True)
# Bidi controls and zero-width characters the remote printed (a hostname, a file name): they take no cell in
# the emulator's grid, and passed to the outer terminal a bidi one would reorder what the user sees there
_INVISIBLE = dict.fromkeys([0x061C, *range(0x200B, 0x2010), *range(0x2028, 0x202F), *range(0x2060, 0x206A), 0xFEFF])


@lru_cache(maxsize=8)
def _marks(background: str, accent: str, warning: str) -> tuple[RichStyle, RichStyle, RichStyle]:
    """The copy cursor, the current match and the scroll marker, in the theme's colours (text in the
    theme's background on its accent or warning colour), so a theme change reaches them too."""
    on = Color.parse(background).rich_color
    copy_cursor = RichStyle(color=on, bgcolor=Color.parse(accent).rich_color, reverse=False)
    match = RichStyle(color=on, bgcolor=Color.parse(warning).rich_color, reverse=False)
    return copy_cursor, match, match + RichStyle(bold=True)


class TerminalView(Widget, can_focus=True):
    """Shows `emulator`; `on_input(bytes)` sends to the remote; `on_size(cols, lines)` the first size
    and every change; `await feed(data)` for output."""

    DEFAULT_CSS = """
    TerminalView { height: 1fr; width: 1fr; background: $background; }
    """
    # copy mode's keys, shown in the footer only in copy mode (every key is handled in on_key there; these
    # name the main ones). shift+pageup/shift+pagedown/shift+up are the session screen's bindings: its
    # footer puts them after ctrl+], the key to leave, so that one stays visible at 80 columns.
    BINDINGS = [
        Binding("v", "select", "Select"),
        Binding("y", "copy", "Copy"),
        Binding("slash", "search", "Search", key_display="/"),
        Binding("n", "next_match(-1)", "Older match"),
        Binding("N", "next_match(1)", "Newer match"),
        Binding("escape", "leave_copy", "Leave copy", key_display="esc"),
    ]
    _COPY_ACTIONS = frozenset({"select", "copy", "search", "next_match", "leave_copy"})

    def __init__(self, *, history: int = 2000, **kwargs) -> None:
        super().__init__(**kwargs)
        self.emulator = Emulator(80, 24, history=history)
        self._history = history
        self.on_input: Callable[[bytes], None] = lambda data: None
        self.on_size: Callable[[int, int], None] = lambda columns, lines: None
        self.on_fault: Callable[[str], None] = lambda message: None  # the emulator failed and was reset
        self.on_notice: Callable[[str], None] = lambda message: None  # "copied N characters", search results
        self.copy: CopyMode | None = None  # copy mode's state (None: not in copy mode)
        self._seen_history = 0  # history_size at the last render: its growth keeps a scrolled-back view still
        self._faults = 0
        self.sized = asyncio.Event()  # set on the first real size
        self.scroll_back = 0  # lines scrolled into the history (0: the live screen)
        self._repaint_pending = False
        self._last_repaint = 0.0
        self._since_repaint = 0  # bytes fed since the last repaint
        self._flooding = False
        self._last_output = 0.0  # when output last came (a pause ends a flood)
        self._feeding = asyncio.Lock()
        self._base_style: RichStyle | None = None
        self._mouse_held: int | None = None  # the button pressed in a mouse report, until its release
        self._strips: dict[tuple, Strip] = {}  # a row's runs (and cursor cell, width) -> its strip
        self._view = Size(0, 0)  # the size at this render (see render_lines)
        self.bytes_fed = 0

    # --- size ----------------------------------------------------------------------------------

    def on_resize(self, event: events.Resize) -> None:
        width, height = self._view = self.size
        if width <= 0 or height <= 0:
            return
        if (width, height) != (self.emulator.columns, self.emulator.lines) or not self.sized.is_set():
            self.emulator.resize(width, height)  # never raises: a fault resets the emulator at the new size
            self._check_faults()
            self.on_size(width, height)
        self.sized.set()
        self.refresh()

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return container.height

    # --- output ----------------------------------------------------------------------------------

    async def feed(self, data: bytes) -> None:
        """Parse remote output a slice at a time, yielding between slices; repaints are coalesced. Never
        raises for what the output holds: the emulator resets itself on a fault (reported through
        `on_fault`), and should even that fail the widget starts a new emulator."""
        async with self._feeding:
            try:
                emulator = self.emulator
                emulator.write(data)
                self.bytes_fed += len(data)
                self._since_repaint += len(data)
                now = monotonic()
                if now - self._last_output > FLOOD_FRAME:  # output after a pause: not a flood (yet)
                    self._flooding = False
                self._last_output = now
                while emulator.pending:
                    if not emulator.step(SLICE, hold=True):  # a flood of plain lines is jumped over in one step
                        break  # the start of a line, held for the rest of the flood (or the next repaint)
                    self._schedule_repaint()
                    await asyncio.sleep(0)
            except Exception as err:  # noqa: BLE001 - one session's emulator never takes the app down
                self._replace_emulator(err)
            self._check_faults()
            self._schedule_repaint()

    def _replace_emulator(self, err: BaseException) -> None:
        old = self.emulator
        self.emulator = Emulator(old.columns, old.lines, history=self._history)
        self.emulator.reply = old.reply
        self.emulator.faults, self.emulator.fault = old.faults + 1, f"{type(err).__name__}: {err}"
        self.refresh()

    def _check_faults(self) -> None:
        emulator = self.emulator
        if emulator.faults != self._faults:
            self._faults = emulator.faults
            self.on_fault(emulator.fault or "unknown error")

    def _schedule_repaint(self) -> None:
        """A repaint at the next frame boundary: at once when the last one is a frame old (an echo shows in
        the same loop turn), else a frame after it (a flood is drawn 10 times a second)."""
        if not self._repaint_pending:
            self._repaint_pending = True
            delay = self._last_repaint + (FLOOD_FRAME if self._flooding else FRAME) - monotonic()
            if delay > 0.001:
                self.set_timer(delay, self._repaint)
            else:  # (Textual's timers divide by their delay)
                self.call_later(self._repaint)

    def _repaint(self) -> None:
        self._repaint_pending = False
        self._last_repaint = monotonic()
        emulator = self.emulator
        if emulator.pending and not self._feeding.locked():  # held by feed(): no more came, so show it
            try:
                while emulator.pending:
                    emulator.step(SLICE)
            except Exception as err:  # noqa: BLE001 - as in feed()
                self._replace_emulator(err)
            self._check_faults()
        if self._since_repaint > FLOOD_BYTES:  # a flood until output pauses for a frame (see feed)
            self._flooding = True
        self._since_repaint = 0
        dirty = self.emulator.take_dirty()
        _, cy, _ = self.emulator.cursor
        dirty.add(cy)
        dirty.update(getattr(self, "_last_cursor_rows", ()))
        self._last_cursor_rows = (cy,)
        width, height = self.size
        if self.scroll_back or len(dirty) > height // 2:
            self.refresh()
        else:
            self.refresh(*(Region(0, y, width, 1) for y in dirty if 0 <= y < height))

    def render_lines(self, crop: Region) -> list[Strip]:
        self._follow_history()
        self._view = self.size  # Widget.size looks the widget up in its screen: ~30 us, twice a row it was 3 ms a frame
        return super().render_lines(crop)

    def _follow_history(self) -> None:
        """New output scrolled lines into the history: a view scrolled back (or copy mode) stays on the
        same text instead of being yanked (k9s/tmux). Once the history is full, old lines drop out and
        the view drifts with them."""
        size = self.emulator.history_size
        grown, self._seen_history = size - self._seen_history, size
        if grown > 0 and (self.scroll_back or self.copy is not None):
            self.scroll_back = min(size, self.scroll_back + grown)
            if self.copy is not None:
                self.copy.shift(grown, -size)
        elif self.scroll_back > size:
            self.scroll_back = size

    def _theme_marks(self) -> tuple[RichStyle, RichStyle, RichStyle]:
        variables = self.app.theme_variables
        return _marks(variables["background"], variables["accent"], variables["warning"])

    def render_line(self, y: int) -> Strip:
        strip = self._render_row(y)
        copy, width = self.copy, self._view.width
        copy_cursor, match, marker = self._theme_marks()
        row = y - self.scroll_back
        if copy is not None:
            selection = copy.selection()
            if selection is not None:
                (l0, x0), (l1, x1) = selection
                if l0 <= row <= l1:
                    strip = _overlay(strip, x0 if row == l0 else 0, x1 + 1 if row == l1 else width, _SELECTION)
            if copy.query:
                for x0, x1 in find_all(line_text(self.emulator, row), copy.query):
                    strip = _overlay(strip, x0, x1, _OTHER_MATCH)
            if copy.match is not None and copy.match[0] == row:
                strip = _overlay(strip, copy.match[1], copy.match[2], match)
            if row == copy.line:
                strip = _overlay(strip, copy.x, copy.x + 1, copy_cursor)
        if y == 0 and (self.scroll_back or copy is not None):
            label = (f" COPY · {self.scroll_back} lines back " if copy is not None else
                     f" {self.scroll_back} lines back · shift+pgdn, or type: live ")
            strip = _label(strip, label, width - cell_len(label), width, marker)
        if copy is not None and copy.prompt is not None and y == self._view.height - 1:
            label = f" search older output (plain text, esc cancels): {copy.prompt}█"
            strip = _label(strip, label.ljust(width)[:width], 0, width, marker)
        return strip

    def _render_row(self, y: int) -> Strip:
        emulator = self.emulator
        row = y - self.scroll_back
        width = self._view.width
        if row >= emulator.lines:
            return Strip.blank(width, self.rich_style)
        runs = emulator.runs(row)  # negative: the scrollback
        base = self._base_style
        if base is None:  # rich_style walks the ancestors' styles: ~0.1 ms, per row it was 5 ms a frame
            base = self._base_style = self.rich_style
            self._strips.clear()
        cx, cy, visible = emulator.cursor
        show_cursor = visible and row == cy and self.has_focus and not self.scroll_back and self.copy is None
        # a row's strip depends on its runs alone (and the cursor on it): a line scrolling up a flood is built once
        key = (tuple(runs), cx if show_cursor else -1, width)
        strip = self._strips.get(key)
        if strip is None:
            strip = self._strips[key] = _strip(runs, base, cx if show_cursor else -1, width)
            if len(self._strips) > STRIPS:
                del self._strips[next(iter(self._strips))]  # the oldest
        return strip

    # --- input ----------------------------------------------------------------------------------

    def check_consume_key(self, key: str, character: str | None) -> bool:
        """Every key is the remote's while focused (so app/screen bindings like tab and ctrl+c do not
        fire), except the reserved ones."""
        return key not in RESERVED

    def on_key(self, event: events.Key) -> None:
        if event.key in RESERVED:
            return  # the bindings (this widget's and the screen's) take it
        event.stop()
        event.prevent_default()
        if self.copy is not None:
            self._copy_key(event.key, event.character)
            return
        data = key_bytes(event.key, event.character, self.emulator.app_cursor_keys)
        if data:
            self.scroll_history(-self.scroll_back)  # typing returns to the live screen
            self.on_input(data)

    def check_action(self, action: str, parameters: tuple) -> bool | None:
        if action in self._COPY_ACTIONS:
            return self.copy is not None
        return True

    def action_scroll_page(self, direction: int) -> None:
        self.scroll_history(max(1, self.size.height // 2) * direction)
        if self.copy is not None:  # the copy cursor stays in view
            top = -self.scroll_back
            self.copy.line = max(top, min(top + self.size.height - 1, self.copy.line))

    def action_copy_mode(self) -> None:
        """Enter copy mode: the cursor starts at the terminal's cursor (or the view's last row when
        scrolled back)."""
        if self.copy is not None:
            return
        self._follow_history()
        cx, cy, _ = self.emulator.cursor
        if self.scroll_back:
            cy, cx = min(cy, self.size.height - 1 - self.scroll_back), 0
        self.copy = CopyMode(cy, cx)
        self._copy_changed()

    def action_leave_copy(self) -> None:
        if self.copy is not None:
            self.copy = None
            self.scroll_back = 0
            self._copy_changed()

    def action_select(self) -> None:
        copy = self.copy
        if copy is not None:
            copy.anchor = None if copy.anchor is not None else (copy.line, copy.x)
            self.refresh()

    def action_copy(self) -> None:
        """Copy the selection (or the cursor's line without one) to the clipboard through OSC 52."""
        copy = self.copy
        if copy is None:
            return
        start, end = copy.selection() or ((copy.line, 0), (copy.line, self.emulator.columns))
        text = selected_text(self.emulator, start, end)
        self.app.copy_to_clipboard(text)
        self.on_notice(f"copied {len(text)} characters")
        self.action_leave_copy()

    def action_search(self) -> None:
        if self.copy is not None:
            self.copy.prompt = ""
            self.refresh()

    def action_next_match(self, direction: int) -> None:
        copy = self.copy
        if copy is None or not copy.query:
            return
        found = search(self.emulator, copy.query, copy.line, copy.x, direction)
        if found is None:
            copy.match = None
            self.on_notice(f"no match for {copy.query!r}")
        else:
            wrapped = (found[0], found[1]) >= (copy.line, copy.x) if direction < 0 else (
                (found[0], found[1]) <= (copy.line, copy.x))
            copy.match = found
            copy.line, copy.x = found[0], found[1]
            self._show_line(found[0], center=True)
            wrap_note = " (search wrapped)" if wrapped else ""
            self.on_notice(f"{copy.query!r} at {self.scroll_back} lines back{wrap_note}")
        self.refresh()

    def _copy_key(self, key: str, character: str | None) -> None:
        copy = self.copy
        if copy.prompt is not None:  # typing the search
            if key == "escape":
                copy.prompt = None
            elif key == "enter":
                copy.query, copy.prompt = copy.prompt, None
                if copy.query:
                    self.action_next_match(-1)
            elif key in ("backspace", "ctrl+h"):
                copy.prompt = copy.prompt[:-1]
            elif character and character.isprintable() and len(copy.prompt) < 200:
                copy.prompt += character
            self.refresh()
            return
        if key in ("escape", "q", "ctrl+c"):
            self.action_leave_copy()
        elif key in COPY_KEYS:
            dy, dx = COPY_KEYS[key]
            self._move(copy.line + dy, copy.x + dx)
        elif key in ("pageup", "ctrl+b", "pagedown", "ctrl+f"):
            step = max(1, self.size.height - 1) * (-1 if key in ("pageup", "ctrl+b") else 1)
            self._move(copy.line + step, copy.x)
        elif key in ("home", "0"):
            self._move(copy.line, 0)
        elif key in ("end", "dollar_sign"):
            self._move(copy.line, cell_len(line_text(self.emulator, copy.line).rstrip()) - 1)
        elif key == "g":
            self._move(-self.emulator.history_size, 0)
        elif key == "G":
            self._move(self.emulator.lines - 1, 0)
        elif key in ("v", "space"):
            self.action_select()
        elif key in ("y", "enter"):
            self.action_copy()
        elif key in ("slash", "question_mark") or character in ("/", "?"):
            self.action_search()
        elif key == "n" or character == "n":
            self.action_next_match(-1)
        elif key == "N" or character == "N":
            self.action_next_match(1)

    def _move(self, line: int, x: int) -> None:
        copy = self.copy
        copy.line = max(-self.emulator.history_size, min(self.emulator.lines - 1, line))
        copy.x = max(0, min(self.emulator.columns - 1, x))
        self._show_line(copy.line)
        self.refresh()

    def _show_line(self, line: int, center: bool = False) -> None:
        """Scroll so that `line` is in view (in the middle with center)."""
        height = max(1, self.size.height)
        top = -self.scroll_back
        if center and not top <= line < top + height - 1:
            top = line - height // 2
        elif line < top:
            top = line
        elif line >= top + height:
            top = line - height + 1
        limit = 0 if self.emulator.in_alt_screen else self.emulator.history_size
        self.scroll_back = max(0, min(limit, -top))

    def _copy_changed(self) -> None:
        self.refresh_bindings()
        self.refresh()

    def on_paste(self, event: events.Paste) -> None:
        event.stop()
        text = event.text.replace("\r\n", "\r").replace("\n", "\r").encode()
        if self.emulator.bracketed_paste:
            text = b"\x1b[200~" + text.replace(b"\x1b[201~", b"") + b"\x1b[201~"
        self.on_input(text)

    def on_mouse_scroll_up(self, event: events.MouseScrollUp) -> None:
        event.stop()
        if not self._report_mouse("wheel", mouse.WHEEL["up"], event):
            self.scroll_history(3)

    def on_mouse_scroll_down(self, event: events.MouseScrollDown) -> None:
        event.stop()
        if not self._report_mouse("wheel", mouse.WHEEL["down"], event):
            self.scroll_history(-3)

    # the remote program's, when it asked for mouse reports (vim's `set mouse=a`, htop, dialog, tmux...)

    def _report_mouse(self, action: str, button: int, event: events.MouseEvent) -> bool:
        """Send `event` to the remote as a mouse report, if it asked for them and the live screen shows
        (not scrolled back, not in copy mode); True when sent."""
        if self.copy is not None or self.scroll_back:
            return False
        data = mouse.report(self.emulator.mouse_tracking, action, button, event.x, event.y, shift=event.shift,
                            meta=event.meta, ctrl=event.ctrl, held=self._mouse_held)
        if data is None:
            return False
        self.on_input(data)
        return True

    def on_mouse_down(self, event: events.MouseDown) -> None:
        if self._report_mouse("press", event.button, event):
            self._mouse_held = event.button
            event.stop()

    def on_mouse_up(self, event: events.MouseUp) -> None:
        held, self._mouse_held = self._mouse_held, None
        if self._report_mouse("release", event.button or held or 0, event):
            event.stop()

    def on_mouse_move(self, event: events.MouseMove) -> None:
        if self._report_mouse("motion", 0, event):
            event.stop()

    def scroll_history(self, lines: int) -> None:
        limit = 0 if self.emulator.in_alt_screen else self.emulator.history_size
        value = max(0, min(limit, self.scroll_back + lines))
        if value != self.scroll_back:
            self.scroll_back = value
            self.refresh()

    def notify_style_update(self) -> None:
        self._base_style = None
        super().notify_style_update()

    def on_focus(self) -> None:
        self.refresh()

    def on_blur(self) -> None:
        self.refresh()

    def screen_text(self) -> list[str]:
        """The live screen as plain text (tests)."""
        return self.emulator.display()


def _strip(runs: list, base: RichStyle, cursor: int, width: int) -> Strip:
    """One row of runs as a Strip `width` cells wide; `cursor` the cell to show the cursor on (-1: none)."""
    segments = []
    x = 0
    for text, style in runs:
        if not text.isascii():
            text = text.translate(_INVISIBLE)
        rich = _styled(base, style)
        cells = cell_len(text)
        if x <= cursor < x + cells:
            before, at, after = _split_at(text, cursor - x)
            if before:
                segments.append(Segment(before, rich))
            segments.append(Segment(at or " ", rich + _CURSOR))
            if after:
                segments.append(Segment(after, rich))
        else:
            segments.append(Segment(text, rich))
        x += cells
    return Strip(segments, x).adjust_cell_length(width, base)


def _overlay(strip: Strip, x0: int, x1: int, style: RichStyle) -> Strip:
    """`strip` with `style` laid over cells x0..x1-1."""
    width = strip.cell_length
    x0, x1 = max(0, x0), min(width, x1)
    if x0 >= x1:
        return strip
    left, middle, right = strip.crop(0, x0), strip.crop(x0, x1), strip.crop(x1, width)
    return Strip.join([left, Strip(list(Segment.apply_style(middle, post_style=style))), right])


def _label(strip: Strip, text: str, x0: int, width: int, style: RichStyle) -> Strip:
    """`strip` with `text` written over it from cell x0, in the marker's style."""
    x0 = max(0, x0)
    text = text[:max(0, width - x0)]
    left = strip.crop(0, x0)
    right = strip.crop(x0 + cell_len(text), width)
    return Strip.join([left, Strip([Segment(text, style)]), right])


def _split_at(text: str, cell: int) -> tuple[str, str, str]:
    """text split around the character covering cell `cell`."""
    x = 0
    for i, char in enumerate(text):
        width = cell_len(char)
        if x + width > cell:
            return text[:i], char, text[i + 1:]
        x += width
    return text, "", ""

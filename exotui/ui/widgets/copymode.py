"""Scrollback, search and a keyboard copy mode over an emulator's history and screen (TerminalView).

Lines are addressed as the emulator's `runs(y)` does: 0..lines-1 is the screen, -1 the newest line of
the scrollback, -history_size the oldest. Columns are cells (a wide character takes two). The search is
plain text (str.find, case-insensitive unless the query has a capital): no pattern can stall the UI.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.cells import cell_len


def line_text(emulator, y: int) -> str:
    return "".join(text for text, _ in emulator.runs(y))


def cell_starts(text: str) -> list[int]:
    """The first cell of each character of `text`, and one past the end."""
    starts, x = [], 0
    for char in text:
        starts.append(x)
        x += cell_len(char)
    starts.append(x)
    return starts


def slice_cells(text: str, x0: int, x1: int) -> str:
    """The characters of `text` covering cells x0..x1 (inclusive)."""
    starts = cell_starts(text)
    return "".join(char for char, start, end in zip(text, starts, starts[1:]) if end > x0 and start <= x1)


def find_all(text: str, query: str) -> list[tuple[int, int]]:
    """Every match of `query` in `text` as (first cell, last cell + 1); smart case, plain text."""
    if not query:
        return []
    haystack = text if any(c.isupper() for c in query) else text.lower()
    needle = query if haystack is text else query.lower()
    starts = cell_starts(text)
    found, i = [], haystack.find(needle)
    while i >= 0:
        found.append((starts[i], starts[i + len(needle)]))
        i = haystack.find(needle, i + 1)
    return found


@dataclass
class CopyMode:
    """The state of copy mode: a cursor, an optional selection anchor, the search and its prompt."""

    line: int
    x: int
    anchor: tuple[int, int] | None = None
    query: str = ""
    prompt: str | None = None  # the search being typed (None: no prompt open)
    match: tuple[int, int, int] | None = None  # (line, first cell, last cell + 1) of the current match

    def shift(self, lines: int, oldest: int) -> None:
        """The content moved up by `lines` (new output scrolled that many into the history)."""
        self.line = max(oldest, self.line - lines)
        if self.anchor is not None:
            self.anchor = (max(oldest, self.anchor[0] - lines), self.anchor[1])
        if self.match is not None:
            self.match = (self.match[0] - lines, *self.match[1:]) if self.match[0] - lines >= oldest else None

    def selection(self) -> tuple[tuple[int, int], tuple[int, int]] | None:
        """(start, end) in reading order, both inclusive, or None without a selection."""
        if self.anchor is None:
            return None
        a, b = self.anchor, (self.line, self.x)
        return (a, b) if a <= b else (b, a)


def selected_text(emulator, start: tuple[int, int], end: tuple[int, int]) -> str:
    """The text from start to end (inclusive, reading order), one line per row, trailing blanks dropped."""
    (l0, x0), (l1, x1) = start, end
    rows = []
    for y in range(l0, l1 + 1):
        text = line_text(emulator, y)
        first = x0 if y == l0 else 0
        last = x1 if y == l1 else cell_len(text)
        rows.append(slice_cells(text, first, last).rstrip())
    return "\n".join(rows)


def search(emulator, query: str, line: int, x: int, direction: int) -> tuple[int, int, int] | None:
    """The next match of `query` from (line, x): direction -1 goes up (older), +1 down (newer); wraps
    around once. None when there is no match anywhere."""
    if not query:
        return None
    top, bottom = -emulator.history_size, emulator.lines - 1
    total = bottom - top + 1
    line = max(top, min(bottom, line))
    for step in range(total + 1):
        y = top + (line - top + direction * step) % total
        matches = find_all(line_text(emulator, y), query)
        if step == 0:  # the cursor's own line: only matches beyond the cursor
            matches = [m for m in matches if (m[0] < x if direction < 0 else m[0] > x)]
        elif step == total:  # back on it after wrapping: the rest of the line
            matches = [m for m in matches if (m[0] >= x if direction < 0 else m[0] <= x)]
        if matches:
            x0, x1 = matches[-1] if direction < 0 else matches[0]
            return y, x0, x1
    return None

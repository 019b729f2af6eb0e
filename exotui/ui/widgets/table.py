"""A table of resources keyed by ID, drawn with the Line API, updated by diff.

DataTable measures every cell of every row it is given (5,000 rows: about 1.2 s before the first
paint) and must be cleared to re-filter; this table renders only the visible lines, caches them,
and filters by keeping a list of visible IDs, so a keystroke costs a string match per row.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Mapping

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.binding import Binding
from textual.cache import LRUCache
from textual.geometry import Region, Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from ..tcss import tcss
from ..textfilter import TableFilter


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    width: int  # cells; a flexible column takes what is left and never less than this
    render: Callable[[Any], Text | str]
    sort: Callable[[Any], Any] | None = None
    flex: bool = False
    wide_only: bool = False  # shown only in the wide view
    justify: str = "left"
    max_width: int = 48  # a flexible column stops growing here; what is left stays blank


class ResourceTable(ScrollView, can_focus=True):
    """Rows are resources (anything with `.id`); columns say how to draw them."""

    DEFAULT_CSS = tcss(__file__, "table.tcss")
    COMPONENT_CLASSES = {"resource-table--header", "resource-table--cursor", "resource-table--marked"}
    BINDINGS = [
        Binding("up,k", "cursor(-1)", "Up", show=False),
        Binding("down,j", "cursor(1)", "Down", show=False),
        Binding("pageup", "page(-1)", "Page up", show=False),
        Binding("pagedown", "page(1)", "Page down", show=False),
        Binding("home,g", "jump(0)", "Top", show=False),
        Binding("end,G", "jump(-1)", "Bottom", show=False),
        Binding("space", "mark", "Mark", show=False, tooltip="a row, for a bulk action"),
        Binding("enter", "select", "Open", show=False, tooltip="the row (an instance described, a project current)"),
    ]

    cursor = reactive(0, always_update=True, repaint=False)
    wide = reactive(False)

    class Selected(Message):
        """Enter on a row."""

        def __init__(self, table: "ResourceTable", item_id: str) -> None:
            super().__init__()
            self.table = table
            self.item_id = item_id

    class Highlighted(Message):
        def __init__(self, table: "ResourceTable", item_id: str | None) -> None:
            super().__init__()
            self.table = table
            self.item_id = item_id

    def __init__(self, columns: Iterable[Column], *, name: str | None = None, id: str | None = None,
                 classes: str | None = None) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.all_columns = tuple(columns)
        self.items: dict[str, Any] = {}
        self._cells: dict[str, tuple[Text, ...]] = {}
        self._search: dict[str, str] = {}
        self._order: list[str] = []
        self.shown: list[str] = []
        self.marks: set[str] = set()
        self.filter_text = ""
        self.filter = TableFilter("")
        self.sort_column: str | None = None
        self.sort_reverse = False
        self._line_cache: LRUCache[tuple, Strip] = LRUCache(1024)
        self._generation = 0  # bumps whenever every cached line is wrong
        self._behind: dict[int, set[str]] = {}  # column position -> rows whose cell refresh_column left for later
        self._base_style: tuple[tuple, Style] | None = None  # rich_style for the line cache's (generation, focus)

    # --- data ------------------------------------------------------------------------------

    @property
    def columns(self) -> tuple[Column, ...]:
        return tuple(c for c in self.all_columns if self.wide or not c.wide_only)

    def load(self, items: Mapping[str, Any]) -> None:
        """Replace everything (first load)."""
        current = self.current_id
        self.items = dict(items)
        self._cells = {}
        self._search = {}
        self._behind.clear()
        for ident, item in self.items.items():
            self._index(ident, item)
        self._resort(keep=current)

    def apply(self, items: Mapping[str, Any], added: Iterable[str] = (), updated: Iterable[str] = (),
              removed: Iterable[str] = ()) -> None:
        """Change only these rows; `items` is the store's current mapping."""
        current = self.current_id
        for ident in removed:
            self.items.pop(ident, None)
            self._cells.pop(ident, None)
            self._search.pop(ident, None)
            self.marks.discard(ident)
        for ident in (*added, *updated):
            item = items.get(ident)
            if item is not None:
                self.items[ident] = item
                self._index(ident, item)
        self._resort(keep=current)

    def refresh_column(self, key: str) -> int:
        """Render one column's cells again (AGE, as time passes). Only the rows on screen are rendered now,
        and only the cells whose text changed are repainted; the others catch up when they are drawn,
        filtered or sorted (at 1,000 rows, rendering every cell each minute was most of the idle cost).
        Returns how many rows on screen changed."""
        position = next((n for n, c in enumerate(self.all_columns) if c.key == key), None)
        if position is None:
            return 0
        on_screen = self._on_screen()
        self._behind[position] = set(self.items).difference(on_screen)
        changed = [ident for ident in on_screen if self._catch_up_cell(ident, position)]
        if changed:
            span = self._column_span(position)
            if span is not None:
                x, width = span
                for ident in changed:
                    self.refresh(Region(x, on_screen[ident] + 1, width, 1))
        return len(changed)

    def _on_screen(self) -> dict[str, int]:
        """The IDs of the rows on screen, with their line below the header."""
        top = self.scroll_offset.y
        rows = max(0, self.size.height - 1)
        return {ident: n for n, ident in enumerate(self.shown[top:top + rows])}

    def _column_span(self, position: int) -> tuple[int, int] | None:
        """Where column `position` is drawn (x, width), or None if it is not shown (a wide-only column)."""
        column = self.all_columns[position]
        if column not in self.columns:
            return None
        widths = self._widths(self.size.width)
        n = self.columns.index(column)
        return sum(widths[:n]) + n, widths[n]

    def _catch_up_cell(self, ident: str, position: int) -> bool:
        """Render one cell again; True if its text changed."""
        cells = self._cells.get(ident)
        item = self.items.get(ident)
        if cells is None or item is None:
            return False
        cell = _as_text(self.all_columns[position].render(item))
        if cell.plain == cells[position].plain:
            return False
        self._cells[ident] = cells[:position] + (cell,) + cells[position + 1:]
        self._search[ident] = " ".join(c.plain for c in self._cells[ident]).lower()
        return True

    def _catch_up(self, ident: str | None = None) -> None:
        """Cells left behind by refresh_column, rendered now: one row's (to draw it) or all (to filter)."""
        for position, behind in self._behind.items():
            if ident is None:
                for each in behind:
                    self._catch_up_cell(each, position)
                behind.clear()
            elif ident in behind:
                behind.discard(ident)
                self._catch_up_cell(ident, position)

    def _index(self, ident: str, item: Any) -> None:
        cells = tuple(_as_text(c.render(item)) for c in self.all_columns)
        for behind in self._behind.values():
            behind.discard(ident)
        self._cells[ident] = cells
        self._search[ident] = " ".join(cell.plain for cell in cells).lower()

    def _resort(self, keep: str | None = None) -> None:
        column = next((c for c in self.all_columns if c.key == self.sort_column), None)
        if column is not None:
            key = column.sort or (lambda item, c=column: _as_text(c.render(item)).plain.lower())
            self._order = sorted(self.items, key=lambda i: _sort_safe(key(self.items[i])), reverse=self.sort_reverse)
        else:
            self._order = sorted(self.items, key=lambda i: natural(self._search[i]))
        self._refilter(keep)

    def _refilter(self, keep: str | None = None) -> None:
        if self.filter_text:
            self._catch_up()  # the filter reads every row's text
        self.shown = self.filter.select(self._order, self._search)
        self._generation += 1
        self.virtual_size = Size(self.size.width, len(self.shown) + 1)
        if keep is not None and keep in self.shown:
            self.cursor = self.shown.index(keep)
        else:
            self.cursor = min(self.cursor, max(0, len(self.shown) - 1))
        self.refresh()

    def set_filter(self, text: str) -> None:
        """k9s-style filter: a regular expression, `!` in front inverts it; plain text if it is no regex or
        too slow (`filter_error` says which, for the prompt)."""
        self.filter_text = text
        self.filter = TableFilter(text)
        self._refilter(self.current_id)

    @property
    def filter_error(self) -> str | None:
        return self.filter.error

    def sort_by(self, key: str) -> None:
        """Sort by a column; the same column again reverses the order."""
        if self.sort_column == key:
            self.sort_reverse = not self.sort_reverse
        else:
            self.sort_column, self.sort_reverse = key, False
        self._resort(self.current_id)

    @property
    def current_id(self) -> str | None:
        return self.shown[self.cursor] if 0 <= self.cursor < len(self.shown) else None

    @property
    def current(self) -> Any | None:
        ident = self.current_id
        return self.items.get(ident) if ident else None

    def marked_or_current(self) -> list[str]:
        return [i for i in self._order if i in self.marks] or ([self.current_id] if self.current_id else [])

    # --- drawing ---------------------------------------------------------------------------

    def watch_wide(self) -> None:
        self._generation += 1
        self.refresh()

    def watch_cursor(self, old: int, new: int) -> None:
        self._scroll_to_cursor()
        self.refresh()
        self.post_message(self.Highlighted(self, self.current_id))

    def on_resize(self) -> None:
        self.virtual_size = Size(self.size.width, len(self.shown) + 1)
        self._generation += 1

    def _widths(self, total: int) -> list[int]:
        columns = self.columns
        fixed = sum(c.width for c in columns if not c.flex) + len(columns) - 1
        flexible = [c for c in columns if c.flex]
        spare = max(0, total - fixed - sum(c.width for c in flexible))
        widths = []
        for c in columns:
            if c.flex:
                widths.append(min(c.max_width, c.width + spare // len(flexible)))
            else:
                widths.append(c.width)
        return widths

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        if y == 0:
            return self._header(width)
        index = self.scroll_offset.y + y - 1
        if index >= len(self.shown):
            return Strip.blank(width, self.rich_style)
        ident = self.shown[index]
        if self._behind:
            self._catch_up(ident)
        is_cursor = index == self.cursor
        marked = ident in self.marks
        key = (ident, width, self._generation, is_cursor, marked, self.has_focus, id(self._cells.get(ident)))
        cached = self._line_cache.get(key)
        if cached is not None:
            return cached
        strip = self._row(ident, width, is_cursor, marked)
        self._line_cache[key] = strip
        return strip

    def _row_style(self) -> Style:
        """rich_style walks every ancestor's styles (about 1 ms); the line cache already keys on the
        generation and the focus, and so may the base style its rows are drawn in."""
        key = (self._generation, self.has_focus)
        if self._base_style is None or self._base_style[0] != key:
            self._base_style = (key, self.rich_style)
        return self._base_style[1]

    def _header(self, width: int) -> Strip:
        style = self.get_component_rich_style("resource-table--header")
        cells = []
        for column in self.columns:
            label = column.label
            if column.key == self.sort_column:
                label += " ▼" if self.sort_reverse else " ▲"
            cells.append(Text(label, justify=column.justify))
        return self._draw(cells, width, style)

    def _row(self, ident: str, width: int, is_cursor: bool, marked: bool) -> Strip:
        all_cells = self._cells[ident]
        cells = [cell for column, cell in zip(self.all_columns, all_cells) if self.wide or not column.wide_only]
        base = self._row_style()
        if marked:
            base = base + self.get_component_rich_style("resource-table--marked")
        strip = self._draw(cells, width, base, marked)
        if is_cursor:
            # post_style: the cursor's colours win over each cell's own (apply_style lets cells win)
            cursor = self.get_component_rich_style("resource-table--cursor")
            strip = Strip(Segment.apply_style(strip, post_style=cursor), strip.cell_length)
        return strip

    def _draw(self, cells: list[Text], width: int, style: Style, marked: bool = False) -> Strip:
        segments: list[Segment] = []
        widths = self._widths(width)
        for n, (cell, cell_width, column) in enumerate(zip(cells, widths, self.columns)):
            if n:
                segments.append(Segment(" ", style))
            text = cell.copy()
            if text.style:  # Text.render drops the style of a Text without spans: make it a span
                text.stylize(text.style)
            if n == 0 and marked:
                text = Text("✓ ") + text
            text.truncate(cell_width, overflow="ellipsis")
            padding = Text(" " * (cell_width - text.cell_len))
            text = padding + text if column.justify == "right" else text + padding
            segments.extend(Segment(s.text, style + s.style if s.style else style) for s in
                            text.render(self.app.console))
        return Strip(segments).adjust_cell_length(width, style).simplify()

    def _scroll_to_cursor(self) -> None:
        rows_visible = max(1, self.size.height - 1)
        top = self.scroll_offset.y
        if self.cursor < top:
            self.scroll_to(y=self.cursor, animate=False)
        elif self.cursor >= top + rows_visible:
            self.scroll_to(y=self.cursor - rows_visible + 1, animate=False)

    # --- keys ------------------------------------------------------------------------------

    def action_cursor(self, delta: int) -> None:
        if self.shown:
            self.cursor = max(0, min(len(self.shown) - 1, self.cursor + delta))

    def action_page(self, direction: int) -> None:
        self.action_cursor(direction * max(1, self.size.height - 2))

    def action_jump(self, where: int) -> None:
        if self.shown:
            self.cursor = 0 if where == 0 else len(self.shown) - 1

    def action_mark(self) -> None:
        ident = self.current_id
        if ident is None:
            return
        self.marks.symmetric_difference_update({ident})
        self.action_cursor(1)
        self.refresh()

    def action_select(self) -> None:
        if self.current_id is not None:
            self.post_message(self.Selected(self, self.current_id))

    def on_click(self, event) -> None:
        row = self.scroll_offset.y + event.y - 1
        if event.y >= 1 and 0 <= row < len(self.shown):
            if row == self.cursor and event.chain >= 2:
                self.action_select()
            self.cursor = row


def _as_text(value: Text | str | None) -> Text:
    if isinstance(value, Text):
        return value
    return Text("" if value is None else str(value), no_wrap=True, overflow="ellipsis")


def _sort_safe(value: Any) -> tuple:
    """Sort keys of mixed types (None first) without TypeError; text in natural order."""
    if value is None:
        return (0, ())
    if isinstance(value, (int, float)):
        return (1, value)
    return (2, natural(str(value)))


_RUNS = re.compile(r"(\d+)")


@functools.lru_cache(maxsize=65536)
def natural(text: str) -> tuple:
    """A key that puts text in the order people count: node-2 before node-10, and 127.64.0.3 before
    127.64.0.11 (an address is runs of digits between dots). Cached: a table re-sorts on every change."""
    return tuple(_number(run) if n % 2 else (1, 0, run, "") for n, run in enumerate(_RUNS.split(text)) if run)


def _number(digits: str) -> tuple:
    """A run of digits by its value, without int(): a cloud's 5,000-digit name would exceed Python's limit."""
    value = digits.lstrip("0")
    return (0, len(value), value, digits)

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
    # when the table is too narrow for every column, the lowest priority goes first (the first column never):
    # the dropped ones come into view by scrolling the columns sideways (left/right)
    priority: int = 50


class ResourceTable(ScrollView, can_focus=True):
    """Rows are resources (anything with `.id`); columns say how to draw them. Too narrow for them all, the
    table drops columns by priority; left/right scroll the columns after the first (it stays) sideways, the
    dropped ones last, and the header marks ‹ › where columns are out of sight."""

    DEFAULT_CSS = tcss(__file__, "table.tcss")
    COMPONENT_CLASSES = {"resource-table--header", "resource-table--cursor", "resource-table--marked"}
    BINDINGS = [
        Binding("up,k", "cursor(-1)", "Up", show=False),
        Binding("down,j", "cursor(1)", "Down", show=False),
        Binding("pageup", "page(-1)", "Page up", show=False),
        Binding("pagedown", "page(1)", "Page down", show=False),
        Binding("home,g", "jump(0)", "Top", show=False),
        Binding("end,G", "jump(-1)", "Bottom", show=False),
        Binding("left,h", "columns(-1)", "Columns ←", show=False, tooltip="scroll the columns back (‹ in the header: "
                "some are out of sight to the left; the first column stays)"),
        Binding("right,l", "columns(1)", "Columns →", show=False, tooltip="scroll the columns sideways (› in the "
                "header: more to the right, those a narrow terminal or w's wide view could not fit)"),
        Binding("greater_than_sign", "sort(1)", "Sort by next", key_display=">", show=False,
                tooltip="sort by the next column in sight (▲ in the header; natural and address order)"),
        Binding("less_than_sign", "sort(-1)", "Sort by previous", key_display="<", show=False,
                tooltip="sort by the column before"),
        Binding("exclamation_mark", "sort(0)", "Reverse", key_display="!", show=False,
                tooltip="the sort reversed (▼ in the header)"),
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
        # what a filter matches: the shown columns' text (`w` adds the wide view's); with * in front
        # (TableFilter.every) every column and the ID, made when such a filter asks
        self._search: dict[str, str] = {}
        self._search_wide: dict[str, str] = {}
        self._narrow = tuple(n for n, c in enumerate(self.all_columns) if not c.wide_only)
        self._wide_only = tuple(n for n, c in enumerate(self.all_columns) if c.wide_only)
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
        self.column_offset = 0  # columns after the first scrolled out of sight to the left
        self._layouts: dict[tuple, Layout] = {}

    # --- data ------------------------------------------------------------------------------

    @property
    def columns(self) -> tuple[Column, ...]:
        return tuple(c for c in self.all_columns if self.wide or not c.wide_only)

    def load(self, items: Mapping[str, Any]) -> None:
        """Replace everything (first load)."""
        current = self.current_id
        self.items = dict(items)
        self._cells = {}
        for texts in self._texts():
            texts.clear()
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
            for texts in self._texts():
                texts.pop(ident, None)
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
        x = 0
        for shown, width in self.layout(self._width()).columns:
            if shown == position:
                return x, width
            x += width + 1
        return None

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
        self._index_text(ident)
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
        self._index_text(ident)

    def _index_text(self, ident: str) -> None:
        cells = self._cells[ident]
        narrow = self._search[ident] = " ".join([cells[n].plain for n in self._narrow]).lower()
        self._search_wide[ident] = (f"{narrow} {' '.join([cells[n].plain for n in self._wide_only]).lower()}"
                                    if self._wide_only else narrow)

    def _texts(self) -> tuple[dict[str, str], ...]:
        return self._search, self._search_wide

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
        texts: Mapping[str, str] = self._search_wide if self.wide or self.filter.every else self._search
        if self.filter.every:
            texts = {ident: f"{text} {ident.lower()}" for ident, text in texts.items()}
        self.shown = self.filter.select(self._order, texts)
        self._generation += 1
        self.virtual_size = Size(0, len(self.shown) + 1)  # no horizontal scrollbar: the columns scroll
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
        self.column_offset = 0
        if self.filter_text:
            self._refilter(self.current_id)  # the filter matches what is shown: the wide view's columns too
        self._generation += 1
        self.refresh()

    def watch_cursor(self, old: int, new: int) -> None:
        self._scroll_to_cursor()
        self.refresh()
        self.post_message(self.Highlighted(self, self.current_id))

    def on_resize(self) -> None:
        self.virtual_size = Size(0, len(self.shown) + 1)  # no horizontal scrollbar: the columns scroll
        self._generation += 1

    def _width(self) -> int:
        """The cells a row has: the vertical scrollbar's are not (more than a screenful of rows drew the last
        column under it)."""
        return self.scrollable_content_region.width

    def layout(self, total: int) -> Layout:
        """The columns drawn in `total` cells at the present sideways scroll."""
        key = (total, self.wide, self.column_offset)
        layout = self._layouts.get(key)
        if layout is None:
            if len(self._layouts) > 64:
                self._layouts.clear()
            layout = self._layouts[key] = _lay_out(self.all_columns, self.wide, total, self.column_offset)
        return layout

    def render_line(self, y: int) -> Strip:
        width = self._width()
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
        layout = self.layout(width)
        cells = []
        for position, _ in layout.columns:
            column = self.all_columns[position]
            label = column.label
            if column.key == self.sort_column:
                label += " ▼" if self.sort_reverse else " ▲"
            cells.append(Text(label, justify=column.justify))
        strip = self._draw(cells, width, style, gaps=("‹" if layout.left else " "))
        if layout.right and width > 1:  # more columns to the right: said in the header's last cell
            strip = Strip.join([strip.crop(0, width - 1), Strip([Segment("›", style)])])
        return strip

    def _row(self, ident: str, width: int, is_cursor: bool, marked: bool) -> Strip:
        all_cells = self._cells[ident]
        cells = [all_cells[position] for position, _ in self.layout(width).columns]
        base = self._row_style()
        if marked:
            base = base + self.get_component_rich_style("resource-table--marked")
        strip = self._draw(cells, width, base, marked)
        if is_cursor:
            # post_style: the cursor's colours win over each cell's own (apply_style lets cells win)
            cursor = self.get_component_rich_style("resource-table--cursor")
            strip = Strip(Segment.apply_style(strip, post_style=cursor), strip.cell_length)
        return strip

    def _draw(self, cells: list[Text], width: int, style: Style, marked: bool = False, gaps: str = " ") -> Strip:
        """`gaps`: the character between the first column and the second (the header's ‹ when scrolled)."""
        segments: list[Segment] = []
        for n, (cell, (position, cell_width)) in enumerate(zip(cells, self.layout(width).columns)):
            column = self.all_columns[position]
            if n:
                segments.append(Segment(gaps if n == 1 else " ", style))
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

    def action_columns(self, step: int) -> None:
        """Scroll the columns after the first sideways, a column a step, no further than the last in sight."""
        offset = max(0, min(self.layout(self._width()).last_offset, self.column_offset + step))
        if offset != self.column_offset:
            self.column_offset = offset
            self._generation += 1
            self.refresh()

    def action_sort(self, step: int) -> None:
        """Sort by the next (1) or previous (-1) column in sight, wrapping to the table's own order (by name),
        or reverse the sort (0)."""
        if step == 0:
            self.sort_column = self.sort_column or self.all_columns[0].key
            self.sort_reverse = not self.sort_reverse
            self._resort(self.current_id)
            return
        keys = [self.all_columns[position].key for position, _ in self.layout(self._width()).columns]
        order: list[str | None] = [None, *keys]
        at = order.index(self.sort_column) if self.sort_column in order else 0
        self.sort_column, self.sort_reverse = order[(at + step) % len(order)], False
        self._resort(self.current_id)

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


@dataclass(frozen=True)
class Layout:
    columns: tuple[tuple[int, int], ...]  # (position in all_columns, width) of each column drawn, in order
    left: bool  # columns out of sight to the left (scrolled)
    right: bool  # columns out of sight to the right (dropped, or not scrolled to yet)
    last_offset: int  # the sideways scroll that brings the last column into sight


def _lay_out(all_columns: tuple[Column, ...], wide: bool, total: int, offset: int, marker: int = 0) -> Layout:
    """Which columns `total` cells hold: the first always; the others, if they do not all fit, without the lowest
    priorities; scrolled `offset` columns sideways, the columns after the first follow in their order with the
    dropped ones last, as many as fit. Columns left out to the right leave the last cell to the header's ›."""
    shown = [n for n, c in enumerate(all_columns) if wide or not c.wide_only]
    if not shown:
        return Layout((), False, False, 0)
    first, rest = shown[0], shown[1:]

    def need(positions: list[int]) -> int:
        return all_columns[first].width + sum(all_columns[n].width + 1 for n in positions)

    kept = list(rest)
    while kept and need(kept) > total:
        kept.remove(min(reversed(kept), key=lambda n: all_columns[n].priority))  # the lowest; the rightmost of equals
    sequence = kept + [n for n in rest if n not in kept]
    last_offset = next((k for k in range(len(sequence)) if need(sequence[k:]) <= total), len(sequence))
    offset = max(0, min(offset, last_offset))
    chosen = [first]
    for n in sequence[offset:]:
        if need([*chosen[1:], n]) > total - marker:
            break
        chosen.append(n)
    if not marker and len(chosen) - 1 < len(sequence) - offset:
        return _lay_out(all_columns, wide, total, offset, marker=1)
    flexible = [n for n in chosen if all_columns[n].flex]
    spare = max(0, total - marker - need(chosen[1:]))
    widths = tuple((n, min(all_columns[n].max_width, all_columns[n].width + spare // len(flexible))
                    if n in flexible else all_columns[n].width) for n in chosen)
    return Layout(widths, offset > 0, len(chosen) - 1 < len(sequence) - offset, last_offset)


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

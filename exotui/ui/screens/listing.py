"""A screen that is one table under a title bar with a status line: the base of the object-storage,
EC2 and stacks screens. Cells are Content (text, never markup): every name comes from a cloud."""

from __future__ import annotations

from typing import Any, Iterable

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.content import Content
from textual.screen import Screen
from textual.widgets import DataTable, Footer, ProgressBar, Static

from ..tcss import beside
from ..widgets.crumb import ScreenCrumb
from .base import AnswerOnce


def size(n: int) -> str:
    """Bytes for a column: "613 B", "48.2 kB", "1.3 GB" (decimal, as Swift and Horizon count)."""
    value = float(n)
    for unit in ("B", "kB", "MB", "GB", "TB"):
        if value < 1000 or unit == "TB":
            return f"{int(value)} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    return f"{n} B"


class ListingScreen(AnswerOnce, Screen[None]):
    """The views' header (cloud / project), a title bar, one table (rows keyed by a string), a status line and a
    progress bar for transfers. An empty table says what to do in its place (`empty_hint`)."""

    CSS_PATH = beside(__file__, "listing.tcss")
    BINDINGS = [Binding("escape", "close", "Back", tooltip="the screen before")]
    columns: tuple[str, ...] = ()
    empty_hint = ""  # said where the rows would be when there are none (not while loading)

    def __init__(self, project) -> None:
        super().__init__()
        self.project = project
        self.keys: list[str] = []  # row keys, in the table's order

    def compose(self) -> ComposeResult:
        yield ScreenCrumb()  # which cloud and project, live or stale, as over the views
        yield Static("", classes="listing-bar", markup=False)
        table: DataTable[Any] = DataTable(cursor_type="row", zebra_stripes=False, id="listing")
        table.add_columns(*self.columns)
        yield table
        yield Static("", id="listing-empty", markup=False)
        yield ProgressBar(id="listing-progress", show_eta=False)
        yield Static(" ", id="listing-status", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        self.when_composed("#listing", lambda table: table.focus())
        self.when_composed("#listing-progress", lambda bar: setattr(bar, "display", False))

    def say_empty(self, empty: bool) -> None:
        """The table's place taken by `empty_hint` while it has no rows (`empty`), the rows' back once it has."""
        table, hint = self.part("#listing", DataTable), self.part("#listing-empty", Static)
        if table is None or hint is None:
            return
        shown = empty and bool(self.empty_hint)
        hint.update(Content(self.empty_hint))
        hint.display = shown
        table.set_class(shown, "-empty")

    def set_bar(self, text: str) -> None:
        bar = self.query(".listing-bar")
        if bar:
            bar.first(Static).update(Content(text))

    def set_status(self, text: str) -> None:
        status = self.part("#listing-status", Static)
        if status is not None:
            status.update(Content(text or " "))

    def fill(self, rows: Iterable[tuple[str, tuple[str, ...]]], *, append: bool = False) -> None:
        """The table's rows as (key, cells); the cursor stays on the row it was on where it still exists. Cells are
        rich Text (plain: a name's "[b]" is no markup), which the DataTable measures for its column widths."""
        table = self.part("#listing", DataTable)
        if table is None:
            return
        keep = self.current
        if not append:
            table.clear()
            self.keys = []
        for key, cells in rows:
            table.add_row(*(Text(c, no_wrap=True, overflow="ellipsis") for c in cells), key=key)
            self.keys.append(key)
        if keep in self.keys:
            table.move_cursor(row=self.keys.index(keep))

    @property
    def current(self) -> str | None:
        table = self.part("#listing", DataTable)
        if table is None or not self.keys or table.cursor_row is None:
            return None
        row = table.cursor_row
        return self.keys[row] if 0 <= row < len(self.keys) else None

    def show_progress(self, what: str, done: int, total: int | None) -> None:
        bar = self.part("#listing-progress", ProgressBar)
        if bar is None:
            return
        bar.display = True
        bar.update(total=total, progress=done)
        self.set_status(f"{what}: {size(done)}" + (f" of {size(total)}" if total else ""))

    def hide_progress(self) -> None:
        bar = self.part("#listing-progress", ProgressBar)
        if bar is not None:
            bar.display = False

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        """enter on a row (the table's own binding, before the screen's) opens it."""
        event.stop()
        self.action_open()

    def action_open(self) -> None:
        """What enter does on the current row (nothing here)."""

    def action_close(self) -> None:
        self.dismiss(None)

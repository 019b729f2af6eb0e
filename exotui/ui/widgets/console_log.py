"""An instance's console log wrapped at its pane's width, so a host-key fingerprint line is whole at 80 columns."""

from __future__ import annotations

from rich.cells import chop_cells
from textual.widgets import Log

MIN_COLUMNS = 20  # before the first layout the pane has no width: wrap at this until it has


class ConsoleLog(Log):
    """A Log of the whole text, wrapped at the pane's width (the scrollbar's cells left free) and wrapped again
    when the pane changes width; no line runs out of sight to the right."""

    DEFAULT_CSS = "ConsoleLog { overflow-x: hidden; }"

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(highlight=False, id=id)
        self.text = ""
        self._wrapped_at = 0

    def show(self, text: str, *, scroll_end: bool) -> None:
        """The log's text now (all of it): at its end if `scroll_end`, else where the reader left it."""
        self.text = text
        self._wrap(scroll_end)

    def _columns(self) -> int:
        return max(MIN_COLUMNS, self.size.width - self.styles.scrollbar_size_vertical)

    def _wrap(self, scroll_end: bool) -> None:
        width = self._wrapped_at = self._columns()
        lines: list[str] = []
        for line in self.text.expandtabs().split("\n"):
            lines.extend(chop_cells(line, width) or [""])
        top = self.scroll_y
        self.clear()
        self.write_lines(lines, scroll_end=scroll_end)
        if not scroll_end:
            self.scroll_to(y=top, animate=False, immediate=True)

    def on_resize(self) -> None:
        self._rewrap()

    def on_show(self) -> None:
        """Shown at last (the tab chosen): the text read while the pane was hidden was wrapped at no width."""
        self._rewrap()

    def _rewrap(self) -> None:
        if self.text and self.size.width and self._columns() != self._wrapped_at:
            self._wrap(self.is_vertical_scroll_end)

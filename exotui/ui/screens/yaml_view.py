"""Raw YAML of one item (k9s' `y`): the cloud's own fields, fetched fresh, every string printable, secrets
hidden; scrolled with no Tab first, searched with `/`."""

from __future__ import annotations

import asyncio
from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Footer, Input, Static, TextArea
from textual.widgets.text_area import Selection

from ..tcss import beside
from ..widgets.crumb import ScreenCrumb
from ..workers import report_failure
from .base import AnswerOnce
from .kind_detail import KIND_TITLES, lookup, name_of


def _location(text: str, index: int) -> tuple[int, int]:
    """(row, column) of a character of `text`."""
    return text.count("\n", 0, index), index - (text.rfind("\n", 0, index) + 1)


class YamlScreen(AnswerOnce, Screen[None]):
    """Pushed over a view or a detail; esc goes back (or leaves the search first)."""

    CSS_PATH = beside(__file__, "yaml_view.tcss")
    BINDINGS = [
        Binding("escape", "close", "Back"),
        # priority: the keys typed after / in the same read (a paste, a fast typist) are the search's
        Binding("slash", "search", "Search", key_display="/", priority=True,
                tooltip="the YAML, for text (enter finds it; n the next, N the one before)"),
        Binding("n", "next_match(1)", "Next", tooltip="the next match of the search"),
        Binding("N", "next_match(-1)", "Previous", show=False, tooltip="the match before"),
        Binding("r", "reload", "Reload", show=False, tooltip="fetch the item again"),
    ]

    def __init__(self, project, kind: str, ident: str) -> None:
        super().__init__()
        self.project = project
        self.kind = kind
        self.ident = ident
        self.query_text = ""
        self.text = ""

    def compose(self) -> ComposeResult:
        yield ScreenCrumb()
        item = lookup(self.kind, self.ident, self.project)
        what = KIND_TITLES.get(self.kind, self.kind)
        yield Static(f"{what} {name_of(item) if item is not None else self.ident} │ YAML", id="yaml-title",
                     markup=False)
        yield TextArea("# loading…", id="yaml-body", read_only=True, soft_wrap=True, show_line_numbers=False)
        yield Input(placeholder="search: text, enter for the next", id="yaml-search")
        yield Footer()

    def on_mount(self) -> None:
        self.when_composed("#yaml-body", lambda body: body.focus())
        self.action_reload()

    def action_reload(self) -> None:
        # the worker is given the method, not a coroutine: one cancelled before it starts (esc at once, r r)
        # then leaves no coroutine never awaited behind (the monkey found those warnings)
        load: Any = self._load_reported  # (Textual types a worker's coroutine as Coroutine[None, None, T])
        self.run_worker(load, name="reading the item's fields", group="yaml", exclusive=True, exit_on_error=False)

    async def _load_reported(self) -> None:
        try:
            await self._load()
        except asyncio.CancelledError:
            raise
        except Exception as err:  # noqa: BLE001 (a bug of its own: said, never a traceback over the UI)
            report_failure(self, "reading the item's fields", err)

    async def _load(self) -> None:
        from ...cloud.models import printable
        from ...cloud.raw import RAW_PATHS, as_yaml, fetch_raw, model_fields
        from ...cloud.session import CloudError

        note = ""
        fields = None
        if self.kind in RAW_PATHS:
            try:
                fields = await fetch_raw(self.project.session, self.kind, self.ident)
            except CloudError as err:
                reason = printable(" ".join(str(err).split()))[:200]
                note = f"# the cloud did not answer ({reason}): the fields last listed\n"
        if fields is None:
            item = lookup(self.kind, self.ident, self.project)
            if item is None:
                fields, note = {}, "# gone: deleted, or not in this project\n"
            else:
                fields = model_fields(item)
                note = note or "# as exotui holds it (no GET of its own)\n"
        self.text = note + as_yaml(fields)
        body = self.part("#yaml-body", TextArea)
        if body is not None:
            body.load_text(self.text)

    # --- search -----------------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "search" and isinstance(self.focused, Input):
            return False  # a '/' typed into the search is text
        return True

    def action_search(self) -> None:
        search = self.part("#yaml-search", Input)
        if search is not None:
            search.display = True
            search.value = self.query_text
            self.set_focus(search)  # now, not on the next refresh: the keys typed after / are the search's

    @on(Input.Submitted, "#yaml-search")
    def _searched(self, event: Input.Submitted) -> None:
        event.stop()
        self.query_text = event.value
        event.input.display = False
        self.action_next_match(1)

    def action_next_match(self, step: int) -> None:
        body = self.part("#yaml-body", TextArea)
        if body is None or not self.query_text:
            return
        text, needle = body.text.lower(), self.query_text.lower()
        row, column = body.cursor_location
        here = sum(len(line) + 1 for line in text.split("\n")[:row]) + column
        if step > 0:
            found = text.find(needle, here + 1)
            found = text.find(needle) if found < 0 else found
        else:
            found = text.rfind(needle, 0, max(0, here))
            found = text.rfind(needle) if found < 0 else found
        if found < 0:
            self.notify(f"not found: {self.query_text}", severity="warning", timeout=2)
            body.focus()
            return
        start, end = _location(text, found), _location(text, found + len(needle))
        body.selection = Selection(start, end)
        body.scroll_cursor_visible(center=True)
        body.focus()

    def action_close(self) -> None:
        search = self.part("#yaml-search", Input)
        if search is not None and search.has_focus:
            search.display = False
            body = self.part("#yaml-body", TextArea)
            if body is not None:
                body.focus()
            return
        self.dismiss(None)

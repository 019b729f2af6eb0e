"""Textual's Select, with a value line that survives being set before it is composed (the form dialog's)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.css.query import NoMatches
from textual.widgets import Select, Static

from ..textual_compat import SelectCurrent


class _SelectCurrent(SelectCurrent):
    """Select's value line, safe to update before it is composed. Textual 8.2.8's Select sets its value
    when it mounts; under load its SelectCurrent may not have composed its label yet, and update() then
    raises NoMatches and kills the form (found by the monkey). The label is kept and drawn at compose."""

    def update(self, label) -> None:
        try:
            super().update(label)  # sets self.label first, then queries the label widget
        except NoMatches:
            pass

    def compose(self) -> ComposeResult:
        for widget in super().compose():
            if widget.id == "label" and isinstance(widget, Static) and self.label is not Select.NULL:
                widget.update(self.label)  # type: ignore[arg-type]  # (not Select.NULL, checked above)
            yield widget


class FormSelect(Select):
    """Select with a value line that survives being set before it is composed (see _SelectCurrent)."""

    def compose(self) -> ComposeResult:
        for widget in super().compose():
            yield _SelectCurrent(widget.placeholder) if type(widget) is SelectCurrent else widget

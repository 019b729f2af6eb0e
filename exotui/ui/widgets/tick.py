"""A checkbox that reads the same without colour."""

from __future__ import annotations

from textual.binding import Binding
from textual.widgets import Static

from ..tcss import tcss


class Tick(Static, can_focus=True):
    """A checkbox that reads the same without colour: "[ ] label" / "[x] label"; space, enter or a click
    toggles it. (Textual's Checkbox draws an X either way and tells on from off by colour alone.)"""

    DEFAULT_CSS = tcss(__file__, "tick.tcss")
    BINDINGS = [Binding("space,enter", "toggle", "Tick", show=False)]

    def __init__(self, label: str, value: bool = False, *, id: str | None = None) -> None:
        super().__init__(id=id, markup=False)
        self.label = label
        self.value = value
        self._show()

    def _show(self) -> None:
        self.update(f"[{'x' if self.value else ' '}] {self.label}")

    def action_toggle(self) -> None:  # type: ignore[override]  # DOMNode.action_toggle takes an attribute name
        self.value = not self.value
        self._show()

    def on_click(self) -> None:
        self.action_toggle()

"""One line of text, checked before it is returned."""

from __future__ import annotations

from typing import Callable

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Input, Static

from ..plain import escape
from .base import Dialog


class PromptDialog(Dialog[str | None]):
    """One line of text, checked by `validate` (returns why not, or None) before it is returned."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, title: str, *, value: str = "", placeholder: str = "", hint: str = "",
                 validate: Callable[[str], str | None] | None = None, restrict: str | None = None) -> None:
        super().__init__()
        self.title_text = title
        self.value = value
        self.placeholder = placeholder
        self.hint = hint
        self.validate = validate
        self.restrict = restrict

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(escape(self.title_text), classes="dialog-title")
            yield Input(self.value, placeholder=self.placeholder, restrict=self.restrict, id="prompt-input")
            yield Static("", classes="dialog-error")
            yield Static(escape(self.hint or "enter: OK · esc: cancel"), classes="dialog-hint")

    @on(Input.Submitted)
    def submitted(self, event: Input.Submitted) -> None:
        value = event.value.strip()
        problem = self.validate(value) if self.validate else None
        if problem:
            self.query_one(".dialog-error", Static).update(escape(problem))
            return
        self.dismiss(value)

    def action_cancel(self) -> None:
        self.dismiss(None)

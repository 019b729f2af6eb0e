"""Confirmations: "Delete instance web-1?" (ConfirmDialog, a bool) and the same with one option to tick
(ConfirmOptionDialog, a Confirmed or None)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Static

from ..plain import escape
from ..tcss import tcss
from ..textual_compat import message_clock
from ..widgets.tick import Tick
from .base import Dialog, ShowsFullNames


class ConfirmDialog(ShowsFullNames, Dialog[Any]):
    """"Delete instance web-1?": y confirms; n, esc and the focused Cancel button refuse. Returns a bool."""

    DEFAULT_CSS = tcss(__file__, "confirm.tcss")
    BINDINGS = [Binding("y", "answer(True)", "Yes"), Binding("n,escape", "answer(False)", "No"),
                Binding("f", "full_names", "Full names", show=False)]
    keys_hint = "y: yes · n/esc: no"
    _said_early = False  # the refusal of a key typed before the question is said once

    def __init__(self, title: str, message: str = "", confirm: str = "Delete") -> None:
        super().__init__()
        self.title_text = title
        self.message = message
        self.confirm_label = confirm
        # asked now: a key typed before this (type-ahead held behind a menu, a paste) is no answer (ui/typeahead.py)
        self.asked_at = message_clock()

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(escape(self.title_text), classes="dialog-title")
            if self.message:
                yield Static(escape(self.message))
            yield from self.compose_options()
            yield Static(self.keys_hint + self.full_names_hint(), classes="dialog-hint")
            with Horizontal(classes="dialog-buttons"):
                yield Button(self.confirm_label, id="confirm-yes", compact=True)
                yield Button("Cancel", id="confirm-no", compact=True)

    def compose_options(self) -> ComposeResult:
        """What a subclass offers between the message and the keys (nothing here)."""
        yield from ()

    def on_mount(self) -> None:
        # a stray enter cancels: the safe answer has the focus (not if a fast key answered it already)
        self.when_composed("#confirm-no", lambda button: button.focus())

    def on_key(self, event: events.Key) -> None:
        """A key typed before the question was on screen (type-ahead behind a menu, a paste) answers nothing."""
        if event.time < self.asked_at:
            event.stop()
            event.prevent_default()
            if not self._said_early:
                self._said_early = True
                self.notify(f"{event.key}: typed before this question was shown, so not taken as an answer",
                            severity="warning")

    @on(Button.Pressed)
    def pressed(self, event: Button.Pressed) -> None:
        self.action_answer(event.button.id == "confirm-yes")

    def action_answer(self, yes: bool) -> None:
        if self._answered:
            return  # a second key: its children may be gone already
        self.dismiss(self.answer(yes))

    def answer(self, yes: bool) -> Any:
        """What the dialog returns for a yes or a no."""
        return yes


@dataclass(frozen=True)
class Confirmed:
    """A yes from a ConfirmOptionDialog, and whether its option was ticked."""

    option: bool


class ConfirmOptionDialog(ConfirmDialog):
    """A ConfirmDialog with one option, off until ticked (r, or space on the box): "also release its
    floating IP 203.0.113.5". Returns None on no, else Confirmed(option=...)."""

    DEFAULT_CSS = tcss(__file__, "confirm_option.tcss")
    BINDINGS = [Binding("r", "tick", "Option")]
    keys_hint = ConfirmDialog.keys_hint + " · r: tick or untick"

    def __init__(self, title: str, message: str, option: str, confirm: str = "Delete") -> None:
        super().__init__(title, message, confirm)
        self.option = option

    def compose_options(self) -> ComposeResult:
        yield Tick(self.option, id="confirm-option")

    def action_tick(self) -> None:
        if not self._answered:
            self.query_one("#confirm-option", Tick).action_toggle()

    def answer(self, yes: bool) -> Confirmed | None:
        return Confirmed(self.query_one("#confirm-option", Tick).value) if yes else None

"""Consent to commands run on an instance: a ConfirmDialog that shows, in a scrolling box, exactly the text that
will run there (Cancel focused; tab reaches the box, whose arrows scroll it)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from ..plain import escape
from ..tcss import tcss
from .confirm import ConfirmDialog


class CommandsDialog(ConfirmDialog):
    """"Install the usage reporter on web-1?" with the commands below the message. Returns a bool."""

    DEFAULT_CSS = tcss(__file__, "commands.tcss")
    keys_hint = "y: yes · n/esc: no · tab, ↑↓: read them all"

    def __init__(self, title: str, message: str, commands: str, confirm: str) -> None:
        super().__init__(title, message, confirm)
        self.commands = commands

    def compose_options(self) -> ComposeResult:
        with VerticalScroll(id="commands"):
            yield Static(escape(self.commands), id="commands-text")

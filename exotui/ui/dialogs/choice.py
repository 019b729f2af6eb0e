"""Pick one of a list: the lines that cannot be chosen stay visible, dimmed, with their reason."""

from __future__ import annotations

from dataclasses import dataclass

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from ..plain import escape
from ..tcss import tcss
from ..widgets.choices import Choices
from .base import Dialog, ShowsFullNames


@dataclass(frozen=True)
class Choice:
    """One line of a ChoiceDialog: refused (dimmed, with why) when `reason` is set; a heading is never chosen."""

    id: str
    label: str  # markup
    reason: str | None = None
    heading: bool = False


class ChoiceDialog(ShowsFullNames, Dialog[str | None]):
    """Pick one of a list; refused lines stay visible, dimmed, with their reason, and cannot be chosen."""

    DEFAULT_CSS = tcss(__file__, "choice.tcss")
    BINDINGS = [Binding("escape,q", "cancel", "Cancel"), Binding("f", "full_names", "Full names", show=False)]

    def __init__(self, title: str, choices: list[Choice], *, hint: str = "", width: int | None = None) -> None:
        super().__init__()
        self.title_text = title
        self.choices = choices
        self.hint = hint
        self.width = width

    def compose(self) -> ComposeResult:
        # reasons line up in a column after short labels; after long ones they get a line of their own
        lengths = {c.id: Content.from_markup(c.label).cell_length for c in self.choices}
        width = max((n for i, n in lengths.items() if n <= 28), default=0)

        def pad(choice: Choice) -> str:
            return "\n    " if lengths[choice.id] > 28 else " " * (width + 2 - lengths[choice.id])

        options = []
        for choice in self.choices:
            if choice.heading:
                options.append(Option(f"[b $accent]{choice.label}[/]", id=f"-{choice.id}", disabled=True))
            elif choice.reason:
                options.append(Option(f"{choice.label}{pad(choice)}[i]{escape(choice.reason)}[/]", id=choice.id,
                                      disabled=True))
            else:
                options.append(Option(choice.label, id=choice.id))
        with Vertical() as frame:
            if self.width:
                frame.styles.width = self.width
            yield Static(escape(self.title_text), classes="dialog-title")
            yield Choices(*options, id="choices", compact=True)
            yield Static(escape((self.hint or "enter: choose · esc: cancel") + self.full_names_hint()),
                         classes="dialog-hint")

    def on_mount(self) -> None:
        self.when_composed("#choices", self._highlight_first)

    def _highlight_first(self, options: OptionList) -> None:
        options.highlighted = next((n for n, c in enumerate(self.choices) if not c.heading and not c.reason), None)
        options.focus()

    @on(OptionList.OptionSelected)
    def chosen(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(event.option_id)

    def _texts(self) -> list[str]:
        return [self.title_text, *(c.label for c in self.choices)]

    def action_cancel(self) -> None:
        self.dismiss(None)

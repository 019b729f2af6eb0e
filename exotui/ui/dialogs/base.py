"""The Dialog every exotui dialog is: a modal screen answered once, in the frame of dialog.tcss."""

from __future__ import annotations

from textual import events, on
from textual.app import ComposeResult
from textual.await_complete import AwaitComplete
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen, ScreenResultType
from textual.widgets import Static

from ..plain import cut_names_in
from ..screens.base import AnswerOnce
from ..tcss import tcss


class Dialog(AnswerOnce, ModalScreen[ScreenResultType]):
    """A modal screen that returns a typed value once. Its CSS (dialog.tcss: centred, 76 columns at most, a
    thick $primary frame, .dialog-title, .dialog-hint, .dialog-error, .dialog-buttons) is inherited by every
    subclass, which adds its own in a .tcss file of its own."""

    DEFAULT_CSS = tcss(__file__, "dialog.tcss")
    in_flow = False  # asked by a flow (Flows.ask), which goes on after the answer

    @on(events.DescendantFocus)
    def _keys_typed_ahead(self) -> None:
        """Ready for keys: those typed before it opened come now (ui/typeahead.py)."""
        typeahead = getattr(self.app, "typeahead", None)
        if typeahead is not None and self.app.screen is self:
            typeahead.release()

    def dismiss(self, result=None) -> AwaitComplete:
        typeahead = getattr(self.app, "typeahead", None)
        if self.in_flow and not self._answered and typeahead is not None:
            typeahead.hold()  # the keys behind the answer are for what the flow shows next
        return super().dismiss(result)


class FullNames(Dialog[None]):
    """The names a dialog showed cut in the middle, whole (f in a confirmation or a menu)."""

    DEFAULT_CSS = tcss(__file__, "full_names.tcss")
    BINDINGS = [Binding("escape,q,f", "close", "Back")]

    def __init__(self, names: list[str]) -> None:
        super().__init__()
        self.names = names

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static("Full names", classes="dialog-title")
            with VerticalScroll(id="full-names"):
                for name in self.names:
                    yield Static(Content(name))  # text, never markup
            yield Static("esc: back", classes="dialog-hint")

    def action_close(self) -> None:
        self.dismiss(None)


class ShowsFullNames:
    """Mixed into a dialog whose texts may hold names cut by plain.middle: f shows them whole."""

    def _texts(self) -> list[str]:
        return [self.title_text, getattr(self, "message", "")]  # type: ignore[attr-defined]

    def full_names_hint(self) -> str:
        return " · f: full names" if cut_names_in(*self._texts()) else ""

    def action_full_names(self) -> None:
        names = cut_names_in(*self._texts())
        if names:
            self.app.push_screen(FullNames(names))  # type: ignore[attr-defined]

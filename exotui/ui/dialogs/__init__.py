"""Small modal dialogs that return typed values: confirm (bool), prompt (str), choice (an option's ID)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, TypeVar

from textual import on
from textual.app import ComposeResult
from textual.await_complete import AwaitComplete
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.css.query import NoMatches
from textual.screen import ModalScreen
from textual.widgets import Button, Input, OptionList, Static
from textual.widgets.option_list import Option

from ..plain import cut_names_in, escape
from ..textual_compat import ClosingOncePalette, find_next_enabled  # also guards every OptionList's page keys

# the frame every dialog shares: fits 80x24, centred, theme colours only
DIALOG_CSS = """
{name} {{ align: center middle; }}
{name} > Vertical {{ width: 76; max-width: 100%; height: auto; max-height: 100%;
    border: thick $primary; background: $surface; padding: 0 1; }}
{name} .dialog-title {{ text-style: bold; color: $primary; height: auto; }}
{name} .dialog-hint {{ color: $text-muted; height: auto; }}
{name} .dialog-error {{ color: $error; height: auto; }}
{name} .dialog-buttons {{ height: 1; align-horizontal: right; margin-top: 1; }}
{name} .dialog-buttons Button {{ margin-left: 2; }}
"""


def dialog_css(name: str) -> str:
    return DIALOG_CSS.format(name=name)


W = TypeVar("W")


async def _nothing() -> None:
    pass


class AnswerOnce:
    """Mixed into a screen: it is dismissed once. Keys typed faster than the pop lands (y y, enter enter)
    would dismiss it again, and Textual would then call its callback twice and pop the screen below."""

    _answered = False

    def dismiss(self, result=None) -> AwaitComplete:
        if self._answered:
            return AwaitComplete(_nothing())
        self._answered = True
        return super().dismiss(result)  # type: ignore[misc]

    def part(self, selector: str, kind: type[W]) -> W | None:
        """One of the screen's widgets, or None while it is not composed yet or already torn down: keys,
        store events and finished workers can reach a screen before its widgets exist and after they are
        gone (under load the monkey found both, on the detail and doctor screens)."""
        try:
            return self.query_one(selector, kind)  # type: ignore[attr-defined]
        except NoMatches:
            return None

    def when_composed(self, selector: str, then: Callable[[Any], None], tries: int = 250) -> None:
        """then(widget) once `selector` exists: widgets inside containers compose after the screen mounts,
        later still under load (the monkey found forms focusing a field not there yet). Nothing once answered."""
        if self._answered or not self.is_attached:  # type: ignore[attr-defined]
            return
        try:
            widget = self.query_one(selector)  # type: ignore[attr-defined]
        except NoMatches:
            if tries > 1:  # every 20 ms for up to 5 s: a widget that never comes is not waited for forever
                self.set_timer(0.02, lambda: self.when_composed(selector, then, tries - 1))  # type: ignore[attr-defined]
            return
        then(widget)


class Palette(AnswerOnce, ClosingOncePalette):
    """Textual's command palette, closed once (see textual_compat.ClosingOncePalette)."""


class Choices(OptionList):
    """The OptionList of exotui's own lists (its page keys are guarded, as every OptionList's is).

    Past the last line that can be chosen, down scrolls on instead of wrapping to the top, so the dimmed
    lines below it and their reasons can be read with keys on a small terminal (80x24); up likewise."""

    def action_cursor_down(self) -> None:
        self._step(1)

    def action_cursor_up(self) -> None:
        self._step(-1)

    def _step(self, direction: int) -> None:
        here = self.highlighted
        after = find_next_enabled(self.options, anchor=here, direction=direction)
        wraps = here is not None and (after is None or (after - here) * direction <= 0)
        can_scroll = self.scroll_y < self.max_scroll_y if direction > 0 else self.scroll_y > 0
        if wraps and can_scroll:
            self.scroll_relative(y=direction, animate=False)
        else:
            self.highlighted = after


class FullNames(AnswerOnce, ModalScreen[None]):
    """The names a dialog showed cut in the middle, whole (f in a confirmation or a menu)."""

    DEFAULT_CSS = dialog_css("FullNames") + """
    FullNames VerticalScroll { height: auto; max-height: 18; }
    """
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


class ConfirmDialog(ShowsFullNames, AnswerOnce, ModalScreen[bool]):
    """"Delete instance web-1?": y confirms; n, esc and the focused Cancel button refuse."""

    DEFAULT_CSS = dialog_css("ConfirmDialog") + """
    ConfirmDialog > Vertical { border: thick $error; width: 64; }
    ConfirmDialog #confirm-yes { background: $error; color: $text; }
    """
    BINDINGS = [Binding("y", "answer(True)", "Yes"), Binding("n,escape", "answer(False)", "No"),
                Binding("f", "full_names", "Full names", show=False)]

    def __init__(self, title: str, message: str = "", confirm: str = "Delete") -> None:
        super().__init__()
        self.title_text = title
        self.message = message
        self.confirm_label = confirm

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(escape(self.title_text), classes="dialog-title")
            if self.message:
                yield Static(escape(self.message))
            yield Static("y: yes · n/esc: no" + self.full_names_hint(), classes="dialog-hint")
            with Horizontal(classes="dialog-buttons"):
                yield Button(self.confirm_label, id="confirm-yes", compact=True)
                yield Button("Cancel", id="confirm-no", compact=True)

    def on_mount(self) -> None:
        # a stray enter cancels: the safe answer has the focus (not if a fast key answered it already)
        self.when_composed("#confirm-no", lambda button: button.focus())

    @on(Button.Pressed)
    def pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "confirm-yes")

    def action_answer(self, answer: bool) -> None:
        self.dismiss(answer)


class Tick(Static, can_focus=True):
    """A checkbox that reads the same without colour: "[ ] label" / "[x] label"; space, enter or a click
    toggles it. (Textual's Checkbox draws an X either way and tells on from off by colour alone.)"""

    DEFAULT_CSS = """
    Tick { height: auto; }
    Tick:focus { text-style: bold reverse; }
    """
    BINDINGS = [Binding("space,enter", "toggle", "Tick", show=False)]

    def __init__(self, label: str, value: bool = False, *, id: str | None = None) -> None:
        super().__init__(id=id, markup=False)
        self.label = label
        self.value = value
        self._show()

    def _show(self) -> None:
        self.update(f"[{'x' if self.value else ' '}] {self.label}")

    def action_toggle(self) -> None:
        self.value = not self.value
        self._show()

    def on_click(self) -> None:
        self.action_toggle()


@dataclass(frozen=True)
class Confirmed:
    """A yes from a ConfirmOptionDialog, and whether its option was ticked."""

    option: bool


class ConfirmOptionDialog(ShowsFullNames, AnswerOnce, ModalScreen[Confirmed | None]):
    """A ConfirmDialog with one option, off until ticked (r, or space on the box): "also release its
    floating IP 203.0.113.5". Returns None on no, else Confirmed(option=...)."""

    DEFAULT_CSS = ConfirmDialog.DEFAULT_CSS.replace("ConfirmDialog", "ConfirmOptionDialog") + """
    ConfirmOptionDialog #confirm-option { margin-top: 1; height: auto; }
    """
    BINDINGS = [Binding("y", "answer(True)", "Yes"), Binding("n,escape", "answer(False)", "No"),
                Binding("r", "tick", "Option"), Binding("f", "full_names", "Full names", show=False)]

    def __init__(self, title: str, message: str, option: str, confirm: str = "Delete") -> None:
        super().__init__()
        self.title_text = title
        self.message = message
        self.option = option
        self.confirm_label = confirm

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(escape(self.title_text), classes="dialog-title")
            yield Static(escape(self.message))
            yield Tick(self.option, id="confirm-option")
            yield Static("y: yes · n/esc: no · r: tick or untick" + self.full_names_hint(), classes="dialog-hint")
            with Horizontal(classes="dialog-buttons"):
                yield Button(self.confirm_label, id="confirm-yes", compact=True)
                yield Button("Cancel", id="confirm-no", compact=True)

    def on_mount(self) -> None:
        self.when_composed("#confirm-no", lambda button: button.focus())

    def action_tick(self) -> None:
        if not self._answered:
            self.query_one("#confirm-option", Tick).action_toggle()

    @on(Button.Pressed)
    def pressed(self, event: Button.Pressed) -> None:
        self.action_answer(event.button.id == "confirm-yes")

    def action_answer(self, yes: bool) -> None:
        if self._answered:
            return  # a second key: its children may be gone already
        self.dismiss(Confirmed(self.query_one("#confirm-option", Tick).value) if yes else None)


class PromptDialog(AnswerOnce, ModalScreen[str | None]):
    """One line of text, checked by `validate` (returns why not, or None) before it is returned."""

    DEFAULT_CSS = dialog_css("PromptDialog")
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


@dataclass(frozen=True)
class Choice:
    """One line of a ChoiceDialog: refused (dimmed, with why) when `reason` is set; a heading is never chosen."""

    id: str
    label: str  # markup
    reason: str | None = None
    heading: bool = False


class ChoiceDialog(ShowsFullNames, AnswerOnce, ModalScreen[str | None]):
    """Pick one of a list; refused lines stay visible, dimmed, with their reason, and cannot be chosen."""

    DEFAULT_CSS = dialog_css("ChoiceDialog") + """
    ChoiceDialog OptionList { height: auto; max-height: 75vh; border: none; padding: 0; }
    """
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

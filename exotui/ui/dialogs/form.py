"""A compact form dialog (one line per field, fits 80x24) that returns its values, checked, or None."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.widgets import Button, Checkbox, Input, Label, Select, SelectionList, Static, TextArea

from ..plain import escape
from ..tcss import tcss
from ..widgets.form_select import FormSelect
from .base import Dialog


@dataclass(frozen=True)
class Field:
    """One line of a form. kind: text, int, select (options: (label, value)), multi (several values), check (a
    box: True or False) or lines (a few lines of text, enter a new line; ctrl+s submits).
    Labels are plain text: they are names from the cloud, where "[/x]" is no markup."""

    id: str
    label: str
    kind: str = "text"
    value: Any = None
    options: tuple[tuple[str, Any], ...] = ()
    placeholder: str = ""
    allow_blank: bool = False  # select: may stay empty (its value is then None)
    selected: tuple[Any, ...] = field(default=())  # multi: what starts ticked


MAX_DIGITS = 12  # more is no size or count any cloud takes; int() of 5,000 digits raised and closed the form


def whole_number(text: str) -> int | None:
    """A typed whole number (a leading '-' allowed), or None if it is none or longer than MAX_DIGITS."""
    text = text.strip()
    digits = text[1:] if text.startswith("-") else text
    if not (digits.isascii() and digits.isdigit()) or len(digits) > MAX_DIGITS:
        return None
    return int(text)


Validator = Callable[[dict[str, Any]], str | None]


class FormDialog(Dialog[dict[str, Any] | None]):
    """Fields in, a dict of their values out (ints as int, an empty select as None, multi as a list).

    `validate` sees the values and says what is wrong (or None); the dialog stays open until it is happy.
    """

    DEFAULT_CSS = tcss(__file__, "form.tcss")
    BINDINGS = [Binding("escape", "cancel", "Cancel"), Binding("ctrl+s", "submit", "Submit")]

    def __init__(self, title: str, fields: list[Field], *, validate: Validator | None = None,
                 submit: str = "OK") -> None:
        super().__init__()
        self.title_text = title
        self.fields = fields
        self.validate = validate
        self.submit_label = submit

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(escape(self.title_text), classes="dialog-title")
            with VerticalScroll():
                for f in self.fields:
                    with Horizontal(classes="form-row"):
                        yield Label(f.label, classes="form-label")
                        yield self._widget(f)
            yield Static("", classes="dialog-error")
            lines = next((f.label for f in self.fields if f.kind == "lines"), None)
            yield Static("tab: next field · enter/ctrl+s: submit · esc: cancel" if lines is None else
                         f"tab: next · ctrl+s: submit · enter: new line in {lines} · esc: cancel",
                         classes="dialog-hint", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button(self.submit_label, id="form-submit", variant="primary", compact=True)
                yield Button("Cancel", id="form-cancel", compact=True)

    def _widget(self, f: Field):
        wid = f"field-{f.id}"
        if f.kind in ("text", "int"):
            return Input("" if f.value is None else str(f.value), placeholder=f.placeholder, id=wid, compact=True,
                         type="integer" if f.kind == "int" else "text")
        if f.kind == "select":
            value = f.value if any(v == f.value for _, v in f.options) else Select.NULL
            return FormSelect(((Content(label), v) for label, v in f.options), value=value,
                          allow_blank=f.allow_blank or value is Select.NULL, prompt=f.placeholder or "choose", id=wid,
                          compact=True)
        if f.kind == "check":
            return Checkbox(f.placeholder, bool(f.value), id=wid, compact=True)
        if f.kind == "lines":
            return TextArea(f.value or "", id=wid, compact=True, soft_wrap=False, tab_behavior="focus",
                            placeholder=f.placeholder, highlight_cursor_line=False)
        return SelectionList(*((Content(label), value, value in f.selected) for label, value in f.options), id=wid,
                             compact=True)

    def on_mount(self) -> None:
        if self.fields:
            self.when_composed(f"#field-{self.fields[0].id}", lambda field: field.focus())

    def values(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for f in self.fields:
            widget = self.query_one(f"#field-{f.id}")
            if f.kind == "text":
                out[f.id] = widget.value.strip()
            elif f.kind == "int":
                text = widget.value.strip()
                out[f.id] = whole_number(text)
            elif f.kind == "select":
                out[f.id] = None if widget.is_blank() else widget.value
            elif f.kind == "check":
                out[f.id] = bool(widget.value)
            elif f.kind == "lines":
                out[f.id] = widget.text
            else:
                out[f.id] = list(widget.selected)
        return out

    @on(Input.Submitted)
    @on(Button.Pressed, "#form-submit")
    def action_submit(self) -> None:
        if self._answered or (self.fields and not self.query(f"#field-{self.fields[0].id}")):
            return  # a key before the form was composed, or after it was answered (found by the monkey)
        values = self.values()
        problem = self.validate(values) if self.validate else None
        if problem:
            self.query_one(".dialog-error", Static).update(escape(problem))
            return
        self.dismiss(values)

    @on(Button.Pressed, "#form-cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)

"""Text to take away (a temporary URL, an rclone or aws config, a clouds.yaml): shown once, copied to the
terminal's clipboard (OSC 52) or written to a new file only its owner can read (mode 600)."""

from __future__ import annotations

import os
from pathlib import Path

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.widgets import Input, Static

from ..plain import escape, middle
from ..tcss import tcss
from .base import Dialog


def private_path_problem(text: str, example: str = "~/rclone.conf or ./openrc.sh") -> str | None:
    """Why a path typed for a new private file cannot be used, or None. A directory is asked for, so a stray
    word and enter writes nothing where the user did not mean."""
    if "/" not in text:
        return f"give a path with a directory, e.g. {example}"
    path = Path(os.path.expanduser(text))
    try:
        if "\x00" in text:  # pathlib answers False for it rather than raise; the open would raise
            return "a path holds no NUL character"
        if len(os.fsencode(path.name)) > 255:
            return "a file name is at most 255 bytes"
        if not path.parent.is_dir():
            return f"no directory {middle(str(path.parent), 60)}"
        if path.exists() or path.is_symlink():
            return f"{middle(str(path), 60)} exists: exotui does not overwrite it"
    except (OSError, ValueError) as err:  # a name too long, a NUL in it (the monkey pasted both)
        return f"not a usable path: {getattr(err, 'strerror', None) or err}"
    return None


class TextDialog(Dialog[None]):
    """Shown once: c copies it (OSC 52), w writes it to a new file with mode 600, esc closes."""

    DEFAULT_CSS = tcss(__file__, "text.tcss")
    BINDINGS = [Binding("c", "copy", "Copy", tooltip="to the terminal's clipboard (OSC 52)"),
                Binding("w", "write", "Write", tooltip="to a new file only you can read (mode 600)"),
                Binding("f", "next_format", "Format", tooltip="the same in its other format (clouds.yaml, openrc)"),
                Binding("escape", "close", "Close")]

    def __init__(self, title: str, text: str, *, note: str = "", file_hint: str = "",
                 formats: tuple[tuple[str, str, str], ...] = ()) -> None:
        """`formats`: (name, text, file hint) to switch between with f; the first is shown first."""
        super().__init__()
        self.title_text = title
        self.formats = formats or (("", text, file_hint),)
        self.shown = 0
        self.text = self.formats[0][1]
        self.note = note
        self.file_hint = self.formats[0][2] or file_hint
        self.written: Path | None = None

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(escape(self.title_text), classes="dialog-title")
            if self.note:
                yield Static(escape(self.note), classes="dialog-hint")
            with VerticalScroll(id="text-body"):
                yield Static(Content(self.text), id="text-content")
            yield Input(placeholder=self.file_hint or "path of a new file", id="text-path")
            yield Static("", classes="dialog-error")
            more = f" · f: {self.formats[1][0]}" if len(self.formats) > 1 else ""
            yield Static(f"c: copy · w: write to the file above (mode 600){more} · esc: close", classes="dialog-hint")

    def on_mount(self) -> None:
        self.when_composed("#text-body", lambda body: body.focus())

    def action_next_format(self) -> None:
        if len(self.formats) < 2 or self._answered:
            return
        self.shown = (self.shown + 1) % len(self.formats)
        name, self.text, hint = self.formats[self.shown]
        self.query_one("#text-content", Static).update(Content(self.text))
        self.query_one("#text-path", Input).placeholder = hint or self.file_hint
        following = self.formats[(self.shown + 1) % len(self.formats)][0]
        self.query_one(".dialog-hint:last-of-type", Static).update(
            f"c: copy · w: write to the file above (mode 600) · f: {following} · esc: close")

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return len(self.formats) > 1 if action == "next_format" else True

    def action_copy(self) -> None:
        self.app.copy_to_clipboard(self.text)
        self.app.notify("copied to the clipboard (OSC 52: your terminal must allow it)", timeout=4)

    def action_write(self) -> None:
        field = self.part("#text-path", Input)
        if field is None:
            return
        if not field.value.strip():
            field.focus()
            return
        self._write(field.value.strip())

    @on(Input.Submitted, "#text-path")
    def submitted(self, event: Input.Submitted) -> None:
        self._write(event.value.strip())

    def _write(self, typed: str) -> None:
        from ...cloud.credentials import write_private

        error = self.query_one(".dialog-error", Static)
        problem = private_path_problem(typed)
        if problem is None:
            try:
                self.written = write_private(Path(os.path.expanduser(typed)), self.text)
            except OSError as err:
                problem = f"cannot write {typed}: {err.strerror or err}"
        if problem:
            error.update(escape(problem))
            return
        self.app.notify(f"written to {self.written} (mode 600)", timeout=6)
        self.dismiss(None)

    def action_close(self) -> None:
        self.dismiss(None)

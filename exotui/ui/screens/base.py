"""What exotui's screens share: answered once (AnswerOnce), and drawn from the project's store (StoreWatching)."""

from __future__ import annotations

from typing import Any, Callable, ClassVar, TypeVar

from textual.await_complete import AwaitComplete
from textual.css.query import NoMatches

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


class StoreWatching:
    """Mixed into a screen drawn from the project's store (before AnswerOnce): `redraw()` once `drawn_in` is
    composed, on resize (unless `redraw_on_resize` is off), and once per poll that changed one of
    `watched_kinds` (not once per kind: many changes land in one poll). The screen defines `project`,
    `watched_kinds`, `drawn_in`, `redraw()` (which clears `_pending`) and may name the widget class
    `focus_on` to put the focus on."""

    watched_kinds: ClassVar[frozenset[str]] = frozenset()
    drawn_in: ClassVar[str] = ""  # the selector of the widget redraw() writes to
    focus_on: ClassVar[type | None] = None
    redraw_on_resize: ClassVar[bool] = True
    _unsubscribe: Callable[[], None] | None = None
    _pending = False

    project: Any

    def redraw(self) -> None:
        raise NotImplementedError

    def on_mount(self) -> None:
        self._unsubscribe = self.project.store.subscribe(self._store_changed)
        self.when_composed(self.drawn_in, lambda _widget: self.redraw())  # type: ignore[attr-defined]
        if self.focus_on is not None:
            self.when_composed(self.focus_on.__name__, lambda widget: widget.focus())  # type: ignore[attr-defined]

    def on_unmount(self) -> None:
        if self._unsubscribe:
            self._unsubscribe()

    def on_resize(self) -> None:
        if self.redraw_on_resize:
            self.redraw()

    def _store_changed(self, change) -> None:
        if change.kind in self.watched_kinds and not self._pending:
            self._pending = True
            self.call_later(self.redraw)  # type: ignore[attr-defined]

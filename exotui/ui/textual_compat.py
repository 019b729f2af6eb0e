"""Every use of Textual's private names, in one place, each with the upstream behaviour it works around.

Textual is pinned below its next major release (pyproject.toml), and tests/ui/test_textual_compat.py is the
canary: it fails loudly, naming the name, when an upgrade renames or removes one of these, instead of the
guard silently doing nothing.
"""

from __future__ import annotations

import logging
import os

from textual import _time, _widget_navigation, work
from textual._context import active_app  # noqa: F401  (ui/intents.py: the app whose handler made an intent)
from textual.command import CommandPalette
from textual.css.query import NoMatches
from textual.widgets import OptionList, TabbedContent, TabPane
from textual.widgets._select import SelectCurrent  # noqa: F401  (widgets/form_select.py subclasses it: Select's value line)

# the private names used below, for the canary test
PRIVATE_NAMES = {
    OptionList: ("_move_page",),
    CommandPalette: ("_select_or_command", "_action_escape", "_gather_commands", "_GATHER_COMMANDS_GROUP"),
    TabbedContent: ("_on_tab_pane_focused",),
}
PRIVATE_MODULES = ("textual.widgets._select", "textual._widget_navigation", "textual._loop", "textual._parser",
                   "textual._xterm_parser", "textual._context", "textual._time")

# the clock of every Message's `time` (dialogs/confirm.py: a key typed before the question is no answer)
message_clock = _time.get_time

# the next enabled option from an anchor, as OptionList's own keys find it (widgets.choices.Choices scrolls past
# the last choosable line to the dimmed ones below instead of wrapping)
find_next_enabled = _widget_navigation.find_next_enabled


class ClosingOncePalette(CommandPalette):
    """The command palette's answers, ignored once the screen has answered (`_answered`, set by
    screens.base.AnswerOnce). Two enters (or enter and esc) queued before it closes each dismissed it in Textual
    8.2.8: the second popped the dashboard itself (ScreenStackError, found by the monkey), and a second
    enter would also run the chosen command again."""

    _answered = False

    def _select_or_command(self, event=None) -> None:
        if not self._answered:
            super()._select_or_command(event)

    def _action_escape(self) -> None:
        if not self._answered:
            super()._action_escape()

    @work(exclusive=True, group=CommandPalette._GATHER_COMMANDS_GROUP)
    async def _gather_commands(self, search_value: str) -> None:
        """Textual's search, which a key typed as the palette opens or closes starts while its list is not
        there: its NoMatches would stop the app. A closing palette has nothing to search for; one that is
        still composing (the monkey found it: a search worker ran before CommandList was mounted, with the
        palette open and unanswered) shows its results on the next key. Either way the search is dropped."""
        try:
            await CommandPalette._gather_commands.__wrapped__(self, search_value)
        except NoMatches:
            logging.getLogger("exotui.ui").debug("palette search dropped: its list is not mounted")


class FocusSafeTabbedContent(TabbedContent):
    """Textual's TabbedContent makes a pane active when a widget in it takes focus; under load that Focused
    message can arrive after the pane's tab was closed, and setting `active` to a tab that is gone raises
    ValueError and stops the app (found by the monkey). A focus from a pane whose tab is gone is ignored."""

    def _on_tab_pane_focused(self, event: TabPane.Focused) -> None:
        event.stop()
        event.prevent_default()  # TabbedContent's own handler would run after this one
        pane_id = event.tab_pane.id
        if pane_id and self.has_tab(pane_id):
            self.active = pane_id

    def has_tab(self, pane_id: str) -> bool:
        try:
            self.get_tab(pane_id)
        except NoMatches:
            return False
        return True


def _page_safely(move_page):
    """Textual 8.2.8's OptionList raises KeyError when paged before it is laid out (found by the monkey
    test: in our lists, in Select's overlay, in the command palette's). Every OptionList gets the guard,
    since Select and the palette build theirs inside Textual."""

    def guarded(self, direction) -> None:
        try:
            move_page(self, direction)
        except KeyError:
            pass  # not laid out yet: the page key does nothing, as before the list is drawn

    guarded._exotui_guarded = True  # type: ignore[attr-defined]
    return guarded


if not getattr(OptionList._move_page, "_exotui_guarded", False):
    OptionList._move_page = _page_safely(OptionList._move_page)  # type: ignore[method-assign]


# Textual's LinuxDriver.run_input_thread as QuietLinuxDriver copies it (tests/ui/test_textual_compat.py holds the
# hash of the source it was copied from: a Textual that changes it fails there, and the copy is looked at again)
INPUT_THREAD_SOURCE_SHA256 = "d796af6d69db337d6fa6bd463984f7d17188d991dbb22f60efb92a8a9619507c"


def quiet_linux_driver() -> type | None:
    """Textual's LinuxDriver, with an input thread that sleeps until there is input. Textual's wakes every
    0.1 s to see whether the app is leaving (`exit_event`) and to time out a lone ESC; on an idle dashboard
    that was 600 wake-ups a minute, 0.04-0.06 CPU-s, a third of issue 14's idle budget. Here the thread
    waits in select() with no timeout, except while the parser holds a part of an escape sequence
    (`Parser._timeout_time`, Textual's own 0.1 s then), and the exit event also writes to a pipe the thread
    waits on. None where Textual's Linux driver does not load (Windows)."""
    try:
        import selectors
        import threading
        from codecs import getincrementaldecoder

        from textual._loop import loop_last
        from textual._parser import ParseError
        from textual._xterm_parser import XTermParser
        from textual.drivers.linux_driver import LinuxDriver
    except ImportError:
        return None

    class WakingEvent(threading.Event):
        """The driver's exit event: setting it also wakes the input thread out of its select()."""

        wake_fd = -1  # the running input thread's pipe (a suspended app's next thread makes a new one)

        def set(self) -> None:
            super().set()
            if self.wake_fd >= 0:
                try:
                    os.write(self.wake_fd, b"x")
                except OSError:  # closed: the thread is gone already
                    pass

    class QuietLinuxDriver(LinuxDriver):
        def __init__(self, *args, **kwargs) -> None:
            super().__init__(*args, **kwargs)
            self.exit_event = WakingEvent()

        def run_input_thread(self) -> None:
            """Textual 8.2's run_input_thread, but select() waits without a timeout when no escape sequence is
            pending, and wakes for the exit event's pipe."""
            wake_read, wake_write = os.pipe()
            self.exit_event.wake_fd = wake_write
            selector = selectors.SelectSelector()
            selector.register(self.fileno, selectors.EVENT_READ)
            selector.register(wake_read, selectors.EVENT_READ)
            fileno = self.fileno
            parser = XTermParser(self._debug)
            feed = parser.feed
            tick = parser.tick
            decode = getincrementaldecoder("utf-8")().decode
            read = os.read

            def process_selector_events(selector_events, final: bool = False) -> None:
                ours = [(key, mask) for key, mask in selector_events if key.fd == fileno]
                if len(ours) != len(selector_events):
                    os.read(wake_read, 64)  # the exit event's wake-up: the loop checks the event
                for last, (_key, mask) in loop_last(ours):
                    if mask & selectors.EVENT_READ:
                        unicode_data = decode(read(fileno, 1024 * 4), final=final and last)
                        if not unicode_data:
                            break  # stdin piped and closed
                        for event in feed(unicode_data):
                            self.process_message(event)
                for event in tick():
                    self.process_message(event)

            def timeout() -> float | None:
                return None if parser._timeout_time is None else 0.1

            try:
                while not self.exit_event.is_set():
                    process_selector_events(selector.select(timeout()))
                selector.unregister(self.fileno)
                process_selector_events(selector.select(0.1), final=True)
            finally:
                selector.close()
                self.exit_event.wake_fd = -1
                for fd in (wake_read, wake_write):
                    try:
                        os.close(fd)
                    except OSError:
                        pass
                try:
                    for _event in feed(""):
                        pass
                except (EOFError, ParseError):
                    pass

    return QuietLinuxDriver

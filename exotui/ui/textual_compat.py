"""Every use of Textual's private names, in one place, each with the upstream behaviour it works around.

Textual is pinned below its next major release (pyproject.toml), and tests/ui/test_textual_compat.py is the
canary: it fails loudly, naming the name, when an upgrade renames or removes one of these, instead of the
guard silently doing nothing.
"""

from __future__ import annotations

import logging

from textual import _widget_navigation, work
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
PRIVATE_MODULES = ("textual.widgets._select", "textual._widget_navigation")

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

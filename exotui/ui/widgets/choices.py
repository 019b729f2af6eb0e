"""The OptionList of exotui's own lists (whose cursor scrolls on past the last line that can be chosen), and the
map's and the matrix's."""

from __future__ import annotations

from typing import Literal

from textual.widgets import OptionList

from ..tcss import tcss
from ..textual_compat import find_next_enabled  # importing it also guards every OptionList's page keys


class Choices(OptionList):
    """The OptionList of exotui's own lists (its page keys are guarded, as every OptionList's is).

    Past the last line that can be chosen, down scrolls on instead of wrapping to the top, so the dimmed
    lines below it and their reasons can be read with keys on a small terminal (80x24); up likewise."""

    def action_select(self) -> None:
        """Enter on a line a flow's menu offers: the keys typed behind it are for what the flow shows next, held
        from this moment (ui/typeahead.py; the menu closes only once its message has gone round)."""
        typeahead = getattr(self.app, "typeahead", None)
        chosen = self.highlighted is not None and not self.get_option_at_index(self.highlighted).disabled
        if chosen and getattr(self.screen, "in_flow", False) and typeahead is not None:
            typeahead.hold()
        super().action_select()

    def action_cursor_down(self) -> None:
        self._step(1)

    def action_cursor_up(self) -> None:
        self._step(-1)

    def _step(self, direction: Literal[-1, 1]) -> None:
        here = self.highlighted
        after = find_next_enabled(self.options, anchor=here, direction=direction)
        wraps = here is not None and (after is None or (after - here) * direction <= 0)
        can_scroll = self.scroll_y < self.max_scroll_y if direction > 0 else self.scroll_y > 0
        if wraps and can_scroll:
            self.scroll_relative(y=direction, animate=False)
        else:
            self.highlighted = after


class NetMap(Choices):  # Choices: page keys that cannot crash
    """One option per map line; the highlight is the node the keys act on."""

    DEFAULT_CSS = tcss(__file__, "net_map.tcss")


class MatrixList(Choices):
    """One option per instance of the matrix; the highlight is the instance enter and d act on."""

    DEFAULT_CSS = tcss(__file__, "matrix_list.tcss")


class SearchList(Choices):
    """The search screen's hits, one option per hit; enter opens it."""

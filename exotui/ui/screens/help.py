"""`?`: the keys that work on the screen it was opened over, k9s-style, read from that screen's bindings.

Nothing here is written by hand: each row is a Binding (its keys, its description and its tooltip) declared
by exotui on the focused widget, the widgets around it, the screen or the app, so help cannot go stale and
shows each screen's own keys. The footer is Textual's, drawn from the same bindings (those with show=True).
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.style import Style
from rich.table import Table
from rich.text import Text
from textual.actions import parse
from textual.app import ComposeResult
from textual.binding import Binding
from textual.color import Color
from textual.containers import VerticalScroll
from textual.dom import DOMNode
from textual.screen import ModalScreen, Screen
from textual.widgets import Static

from ..tcss import beside
from ..widgets.views import ALIASES
from .base import AnswerOnce


@dataclass(frozen=True)
class KeyHelp:
    """One row of help: the keys of one binding (or of several with the same description on one node)."""

    keys: tuple[str, ...]  # as displayed: "ctrl+d", "?"
    description: str  # the binding's, as the footer shows it
    tooltip: str  # the binding's longer explanation ("" if none)
    node: DOMNode  # where it is declared


def declared_bindings(node: DOMNode) -> list[Binding]:
    """The bindings exotui's own classes declare for `node`, one Binding per key, subclass first. (The
    bindings Textual's widgets bring with them, such as an OptionList's arrows, are Textual's to explain.)"""
    found: list[Binding] = []
    for cls in type(node).__mro__:
        if cls.__module__.startswith("exotui.") and "BINDINGS" in cls.__dict__:
            found += Binding.make_bindings(cls.__dict__["BINDINGS"])
    return found


def _enabled(node: DOMNode, binding: Binding) -> bool:
    """Not hidden by the node's check_action (the app's view keys, for one, belong to the main screen)."""
    _, name, parameters = parse(binding.action)
    return node.check_action(name, parameters) is not False


def keys_of(screen: Screen) -> list[KeyHelp]:
    """What each key does on `screen`, as Textual resolves it: priority bindings from the app inwards, then
    the others from the focused widget outwards, a key taken once only. The footer's keys that are Textual's
    own (ctrl+p, the palette) are there too."""
    app = screen.app
    focused = screen.focused
    chain: list[DOMNode] = list(focused.ancestors_with_self) if focused is not None else [screen, app]
    taken: set[str] = set()
    chosen: list[tuple[DOMNode, Binding]] = []

    def take(node: DOMNode, binding: Binding) -> None:
        if binding.key not in taken and not binding.system and binding.description and _enabled(node, binding):
            taken.add(binding.key)
            chosen.append((node, binding))

    for node in reversed(chain):
        for binding in declared_bindings(node):
            if binding.priority:
                take(node, binding)
    for node in chain:
        for binding in declared_bindings(node):
            if not binding.priority:
                take(node, binding)
    for key, active in screen.active_bindings.items():  # as the footer draws them, ctrl+p (palette) included
        if (active.binding.show or key == app.COMMAND_PALETTE_BINDING) and key not in taken:
            take(active.node, active.binding)

    # the order shown: what the screen (or the view around the focus) offers, then the focused widget's own
    # keys (a table's cursor), then the app's
    order = [*chain[1:-1], chain[0], chain[-1]] if len(chain) > 2 else chain
    rows: dict[tuple[int, str], KeyHelp] = {}
    for node, binding in sorted(chosen, key=lambda nb: order.index(nb[0]) if nb[0] in order else len(order)):
        ident = (id(node), binding.description)
        key = app.get_key_display(binding)
        row = rows.get(ident)
        rows[ident] = KeyHelp(((*row.keys, key) if row else (key,)), binding.description,
                              (row.tooltip if row else "") or binding.tooltip, node)
    return list(rows.values())


class HelpScreen(AnswerOnce, ModalScreen[None]):
    """The keys of the screen below it (`over`), from its bindings; and the views' aliases where ':' opens one."""

    CSS_PATH = beside(__file__, "help.tcss")
    BINDINGS = [Binding("escape,q,question_mark", "dismiss", "Close")]

    def __init__(self, over: Screen) -> None:
        super().__init__()
        self.keys = keys_of(over)  # now: the focus and the enabled keys are the screen's as ? was pressed

    def compose(self) -> ComposeResult:
        # a table, so a long line wraps under its own text rather than under the keys
        keys = Table.grid(padding=(0, 1))
        # through Textual's Color: an ANSI theme's accent has a Textual name, which Rich cannot parse
        accent = Color.parse(self.app.theme_variables["accent"]).rich_color
        keys.add_column(no_wrap=True, style=Style(bold=True, color=accent))
        keys.add_column()
        for row in self.keys:
            keys.add_row(", ".join(row.keys), Text(row.description + (f": {row.tooltip}" if row.tooltip else "")))
        with VerticalScroll():
            yield Static(Text("exotui keys\n", style="bold"))
            yield Static(keys)
            if any(":" in row.keys for row in self.keys):  # ':' opens a view from here
                aliases = "aliases: " + "; ".join(f"{view}: {' '.join(names)}" for view, names in ALIASES.items())
                yield Static(Text("\n" + aliases))

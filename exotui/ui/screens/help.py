"""`?`: the keys that work, k9s-style."""

from __future__ import annotations

from rich.style import Style
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.color import Color
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from ..widgets.views import ALIASES
from .base import AnswerOnce

KEYS = [
    ("a", "actions on the instance (or the marked ones): only what its state allows, refusals explained"),
    ("d, enter", "instance detail: flavor, addresses, volumes, groups and rules, console log (f follows); "
                 "l / i switch between log and details, side by side from 160 columns"),
    ("n", "new: launch an instance / create a volume / allocate an IP / add a rule (in those views)"),
    ("ctrl+d", "delete (asks first, naming it); an instance's floating IPs stay unless you tick r"),
    ("s, S", "SSH session to the instance in a tab / back to the open sessions"),
    ("ctrl+]", "in a session: back to the dashboard (sessions stay open); ctrl+pgup/pgdn switch tabs, "
               "ctrl+f4 ends one, f12 opens it in your own terminal"),
    ("shift+pgup", "in a session: scroll back through its history, shift+pgdn forward (new output does not move "
                   "the view; any key typed returns to the live screen)"),
    ("shift+↑", "in a session: copy mode: arrows/hjkl move, v selects, y copies to your terminal's clipboard "
                "(OSC 52, through tmux and SSH), / searches older output (plain text), n/N older/newer, esc leaves"),
    ("x, u, e", "detach a volume or remove a rule / unassign an IP / extend a volume"),
    (":name", "open a view: " + ", ".join(names[0] if names[0] != "fips" else "fips" for names in ALIASES.values())),
    ("/text", "filter the table (a regular expression; !text inverts); esc clears"),
    ("enter", "open the row (a project becomes the current one)"),
    ("space", "mark a row for a bulk action"),
    ("w", "wide view: more columns"),
    ("ctrl+r", "refresh now (full lists; failed logins tried again)"),
    ("ctrl+p", "command palette"),
    ("esc", "back"),
    ("q", "quit"),
]


class HelpScreen(AnswerOnce, ModalScreen[None]):
    CSS_PATH = "help.tcss"
    BINDINGS = [Binding("escape,q,question_mark", "dismiss", "Close")]

    def compose(self) -> ComposeResult:
        # a table, so a long line wraps under its own text rather than under the keys
        keys = Table.grid(padding=(0, 1))
        # through Textual's Color: an ANSI theme's accent has a Textual name, which Rich cannot parse
        accent = Color.parse(self.app.theme_variables["accent"]).rich_color
        keys.add_column(no_wrap=True, style=Style(bold=True, color=accent))
        keys.add_column()
        for key, what in KEYS:
            keys.add_row(key, what)
        aliases = "aliases: " + "; ".join(f"{view}: {' '.join(names)}" for view, names in ALIASES.items())
        with VerticalScroll():
            yield Static(Text("exotui keys\n", style="bold"))
            yield Static(keys)
            yield Static(Text("\n" + aliases))

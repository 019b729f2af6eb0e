"""The `:matrix` screen: instances by common services (SSH, HTTP, HTTPS, ICMP, all TCP), who may connect.

The figures are exotui.net.matrix's (from each instance's effective rules); this module lays them
out to the terminal's width, colours them with theme variables and opens the doctor on enter.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Footer, OptionList, Static
from textual.widgets.option_list import Option

from ...net.matrix import SERVICES, Access, exposed, matrix
from ...net.risky import Exposure
from ...net.view import NetView
from ..tcss import beside
from ..widgets.choices import MatrixList
from ..widgets.crumb import ScreenCrumb
from .base import AnswerOnce, StoreWatching

CELL = 9


def cell_style(access: Access) -> str:
    if access.world:
        return "bold $warning"  # open to the internet: fine for HTTP, worth a look for the rest
    if access.cidrs or access.servers:
        return "$success"
    return "$text-muted"


def describe(access: Access, names: dict[str, str]) -> str:
    """Who may connect, in words: "anywhere", "10.0.0.0/8, 2 instances (web-1, db)", "nobody"."""
    if access.world:
        return "anywhere"
    parts = list(access.cidrs)
    if access.servers:
        shown = ", ".join(names.get(s, s[:8]) for s in access.servers[:3])
        more = f" +{len(access.servers) - 3}" if len(access.servers) > 3 else ""
        parts.append(f"{len(access.servers)} instance{'s' if len(access.servers) != 1 else ''} ({shown}{more})")
    return ", ".join(parts) or "nobody"


class MatrixScreen(StoreWatching, AnswerOnce, Screen[None]):
    """Pushed over the views; esc goes back, enter opens the SSH doctor for the instance."""

    CSS_PATH = beside(__file__, "matrix.tcss")
    BINDINGS = [Binding("escape", "close", "Back"),
                Binding("enter", "doctor", "SSH doctor", tooltip="why can't I SSH to this instance?"),
                Binding("d", "describe", "Describe", tooltip="the instance's detail")]

    watched_kinds = frozenset({"servers", "ports", "security_groups"})
    drawn_in = "#matrix"
    focus_on = MatrixList

    def __init__(self, project) -> None:
        super().__init__()
        self.project = project
        self.rows: list[str] = []  # server IDs, in the list's order
        self.table: dict[str, dict[str, Access]] = {}
        self.names: dict[str, str] = {}
        self.exposed: dict[str, tuple[Exposure, ...]] = {}  # server ID -> its risky rules (net/risky.py)

    def compose(self) -> ComposeResult:
        yield ScreenCrumb()  # which cloud and project, live or stale, as over the views
        yield Static(f"Who may connect │ {self.project.label} │ enter: SSH doctor", classes="matrix-bar",
                     markup=False)
        yield Static("", id="matrix-head")
        yield MatrixList(id="matrix")
        yield Static(" ", id="matrix-detail")
        yield Footer()

    def _name_width(self) -> int:
        return max(8, min(30, (self.size.width or 80) - 2 - (CELL + 1) * len(SERVICES)))

    def redraw(self) -> None:
        self._pending = False
        keep = self.current
        view = NetView.from_store(self.project.store)
        self.table = matrix(view)
        self.exposed = exposed(view)
        self.names = {sid: server.name for sid, server in view.servers.items()}
        self.rows = sorted(self.table, key=lambda sid: (self.names[sid], sid))
        width = self._name_width()
        head = "instance".ljust(width) + "".join(f" {s.name:>{CELL}}" for s in SERVICES)
        head_line, listing = self.part("#matrix-head", Static), self.part("#matrix", MatrixList)
        if head_line is None or listing is None:
            return  # torn down: a redraw queued by a store change came after the screen closed
        head_line.update(Content(head))
        options = []
        for sid in self.rows:
            name = self.names[sid]
            risky = sid in self.exposed
            room = width - 2 if risky else width  # "⚠ " before an exposed instance: the mark is a word below
            name = name if len(name) <= room else name[:room - 1] + "…"
            parts = [("⚠ ", "bold $warning")] if risky else []
            parts.append((name.ljust(room), "bold"))
            for service in SERVICES:
                access = self.table[sid][service.name]
                parts.append((f" {access.short(CELL):>{CELL}}", cell_style(access)))
            options.append(Option(Content.assemble(*parts)))
        if not options:
            options.append(Option(Content.assemble(("no instances in this project", "$text-muted")), disabled=True))
        listing.clear_options()
        listing.add_options(options)
        listing.highlighted = self.rows.index(keep) if keep in self.rows else (0 if self.rows else None)
        self._show_detail()

    @property
    def current(self) -> str | None:
        listing = self.part("#matrix", MatrixList)
        index = listing.highlighted if listing is not None else None
        return self.rows[index] if index is not None and index < len(self.rows) else None

    def on_option_list_option_highlighted(self, _event: OptionList.OptionHighlighted) -> None:
        self._show_detail()

    def on_option_list_option_selected(self, _event: OptionList.OptionSelected) -> None:
        self.action_doctor()

    def _show_detail(self) -> None:
        sid = self.current
        text = " "
        if sid is not None:
            row = self.table[sid]
            text = f"{self.names[sid]}: " + " · ".join(
                f"{s.name} from {describe(row[s.name], self.names)}" for s in SERVICES)
        risks = self.exposed.get(sid or "", ())
        detail = self.part("#matrix-detail", Static)
        if detail is not None:
            parts: list[tuple[str, str] | str] = [text]
            if risks:  # in words as well as the colour: RISKY, then what is open to whom
                parts += ["\n", ("⚠ RISKY: ", "bold $warning"), "; ".join(e.message for e in risks)]
            detail.update(Content.assemble(*parts))

    def action_close(self) -> None:
        self.dismiss(None)

    def action_doctor(self) -> None:
        if self.current is not None:
            from .doctor import DoctorScreen

            self.app.push_screen(DoctorScreen(self.project, self.current))

    def action_describe(self) -> None:
        if self.current is not None:
            from .detail import InstanceDetail

            self.app.push_screen(InstanceDetail(self.project, self.current))

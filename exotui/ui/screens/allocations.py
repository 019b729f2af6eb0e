"""The service-units screen (`:units`, `u` in Projects): every allocation of a project (CPU, GPU, large memory,
storage) with its balance, its burn in SU/h from the instances charged to it, its runway in days at that burn
against its end date, and what shelving the instances marked in the Instances view would add.

The figures are cloud/units.py's (rates are data: su_rates.json); this module lays them out at any width."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Static

from ..plain import middle
from ..tcss import beside
from ..widgets.crumb import ScreenCrumb
from ..widgets.projects import SHORT
from ..widgets.views import CellColours, clock
from .base import AnswerOnce, StoreWatching


def _su(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 10 or value == int(value) else f"{value:,.1f}"


def _days(days: float | None) -> str:
    if days is None:
        return "-"
    return f"{days:.0f}d" if days < 9999.5 else ">9999d"


def marked_instances(app: Any, project: Any) -> list[str]:
    """The instances marked (space) in the Instances view, when it shows this project: the what-if's selection."""
    from ..widgets.table import ResourceTable

    if project is not app.project or not app.query("#table-servers"):
        return []
    table = app.query_one("#table-servers", ResourceTable)
    return [ident for ident in table.marked_or_current() if ident in table.marks]


def open_units(app: Any, project: Any = None) -> None:
    """The screen for `project` (the current one by default), with the Instances view's marks as the what-if."""
    project = project or app.project
    if project is None:
        app.notify("no project is open yet", severity="warning")
        return
    app.push_screen(UnitsScreen(project, marked_instances(app, project)))


class UnitsScreen(StoreWatching, AnswerOnce, Screen[None]):
    """Pushed over the views; esc goes back. Redrawn when the instances, flavors or allocations change."""

    CSS_PATH = beside(__file__, "allocations.tcss")
    BINDINGS = [Binding("escape", "close", "Back", tooltip="to the view below"),
                Binding("i", "instances", "Instances", tooltip="the project's instances: mark some (space), then "
                        ":units again to see what shelving them adds")]

    watched_kinds = frozenset({"servers", "flavors", "allocations"})
    drawn_in = "#units-body"
    focus_on = VerticalScroll  # its keys scroll at once, without tab

    def __init__(self, project: Any, selected: list[str] | tuple[str, ...] = ()) -> None:
        super().__init__()
        self.project = project
        self.selected = list(selected)
        self.lines: list[str] = []  # what redraw wrote, as text (for tests)

    def compose(self) -> ComposeResult:
        yield ScreenCrumb()  # which cloud and project, live or stale, as over the views
        yield Static(f"Service units │ {self.project.label}", classes="units-bar", markup=False)
        with VerticalScroll(id="units-scroll"):
            yield Static("", id="units-body")
        yield Footer()

    def redraw(self) -> None:
        from ...cloud.units import what_if_shelved

        self._pending = False
        body = self.part("#units-body", Static)
        if body is None:
            return
        store = self.project.store
        servers = store.get("servers")
        flavors = list(store.get("flavors").values())
        allocations = list(store.get("allocations").values())
        chosen = [sid for sid in self.selected if sid in servers]
        palette = CellColours(self.app)
        today = clock().date()
        text = Text()
        if not store.state("allocations").loaded:
            text.append("loading the allocations…", style=palette.dim)
        elif not allocations:
            text.append("This project has no allocation from the accounting service (not a Jetstream2 project?).",
                        style=palette.dim)
        rows = what_if_shelved(allocations, servers.values(), chosen, flavors)
        width = max(40, (self.size.width or 80) - 4)
        if rows:
            burn = sum(r.now.burn_per_hour for r in rows)
            text.append(f"Burning {_su(burn)} SU/h now; balances as last counted (about daily)\n",
                        style=palette.dim)
            text.append(f"{'':6}{'LEFT':>10} {'OF':>9} {'USED':>5} {'SU/h':>6} {'RUNWAY':>8} {'ENDS IN':>8}\n",
                        style="bold")
        for row in rows:
            b = row.now
            short = SHORT.get(b.family, b.title[:5])
            runs_out = b.runs_out_before_end(today)
            to_end = b.days_to_end(today)
            line = Text(f"{short:6}{_su(b.remaining):>10} {_su(b.allocated):>9} {b.fraction_used:>5.0%} "
                        f"{_su(b.burn_per_hour):>6} ")
            line.append(f"{('⚠' if runs_out else '') + _days(b.runway_days):>8}",
                        style=f"bold {palette.bad}" if runs_out else "")
            line.append(f" {_days(to_end) if to_end is not None else '-':>8}")
            if not b.active:
                line.append(" inactive", style=palette.dim)
            text.append_text(line)
            text.append("\n")
        text.append_text(self._what_if(rows, chosen, servers, palette, width))
        for row in rows:  # what each allocation is charged for, and when it runs out first
            b = row.now
            short = SHORT.get(b.family, b.title[:5])
            text.append(f"\n{b.title}", style="bold")
            text.append(f" ({middle(b.resource, 44)})", style=palette.dim)
            text.append(f", ends {b.end_date[:10] or '?'}\n")
            shortfall = b.shortfall_days(today)
            if shortfall is not None:
                text.append(f"  ⚠ at {_su(b.burn_per_hour)} SU/h its SUs run out {shortfall:.0f} days before it ends\n",
                            style=palette.bad)
            charged = sorted((b.by_server or {}).items(), key=lambda kv: (-kv[1], kv[0]))
            charged = [(sid, rate) for sid, rate in charged if rate > 0]
            if charged:
                names = ", ".join(f"{middle(servers[sid].name, 24)} {_su(rate)}" for sid, rate in charged[:8]
                                  if sid in servers)
                more = f" +{len(charged) - 8} more" if len(charged) > 8 else ""
                text.append(_wrap(f"  charged now (SU/h): {names}{more}", width) + "\n")
            elif b.family != "storage":
                text.append("  nothing charged to it now\n", style=palette.dim)
            else:
                text.append("  charged for volume and object storage, not by instances\n", style=palette.dim)
        body.update(text)
        self.lines = text.plain.splitlines()

    def _what_if(self, rows, chosen: list[str], servers, palette: CellColours, width: int) -> Text:
        text = Text()
        if not chosen:
            hint = "What if: mark instances with space in the Instances view (i), then :units, to see what " \
                   "shelving them would add."
            text.append("\n" + _wrap(hint, width), style=palette.dim)
            return text.append("\n")
        names = ", ".join(middle(servers[sid].name, 24) for sid in chosen[:6])
        more = f" +{len(chosen) - 6} more" if len(chosen) > 6 else ""
        plural = "s" if len(chosen) > 1 else ""
        text.append("\n" + _wrap(f"What if the {len(chosen)} marked instance{plural} were shelved ({names}{more}):",
                                 width) + "\n", style="bold")
        changed = [row for row in rows if row.saves_per_hour > 0]
        if not changed:
            text.append("  nothing: they burn no SUs now\n", style=palette.dim)
        for row in changed:
            short = SHORT.get(row.now.family, row.now.title[:5])
            after = row.shelved.runway_days
            gain = row.adds_days
            if after is None:
                said = "nothing burns it then: it lasts to its end"
            else:
                said = f"runway {_days(row.now.runway_days)} → {_days(after)}" + (
                    f" (+{gain:.0f} days)" if gain is not None else "")
            text.append(f"  {short}: {_su(row.now.burn_per_hour)} → {_su(row.shelved.burn_per_hour)} SU/h, "
                        f"saves {_su(row.saves_per_hour * 24)} SU a day; {said}\n", style=palette.ok)
        return text

    def action_close(self) -> None:
        self.dismiss(None)

    def action_instances(self) -> None:
        app: Any = self.app
        self.dismiss(None)
        if self.project is not app.project:
            app.select_project(self.project)
        app.show_view("servers")


def _wrap(line: str, width: int) -> str:
    """A long line broken at spaces, the lines after it indented."""
    import textwrap

    return "\n".join(textwrap.wrap(line, width, subsequent_indent="    ", break_on_hyphens=False)) or line

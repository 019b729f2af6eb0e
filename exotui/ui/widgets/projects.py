"""The Projects view: every cloud and project side by side, with quota meters and service units."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Mapping

from rich.text import Text
from textual.binding import Binding
from textual.widgets import Static

from .table import Column
from .views import CellColours, ResourceView, clock

SHORT = {"general": "CPU", "gpu": "GPU", "large_memory": "LM", "storage": "Store"}  # allocation titles in 11 cells


def runway_text(balance) -> str:
    """"GPU 76d": an allocation's runway at the current burn in a few cells ("CPU idle" when nothing burns it)."""
    short = SHORT.get(balance.family, balance.title[:5])
    days = balance.runway_days
    if days is None:
        return f"{short} idle"
    return f"{short} {days:.0f}d" if days < 999.5 else f"{short} >999d"

if TYPE_CHECKING:  # cloud/ loads after the first frame (tests/ui/test_startup.py)
    from ...cloud.quotas import QuotaLine
    from ...cloud.store import Change


@dataclass(frozen=True)
class ProjectRow:
    """What one line of the view shows; rebuilt from the project's store on each change."""

    id: str
    cloud: str
    project: str
    region: str
    active: int
    servers: int
    cores: tuple[int, int]
    ram_gb: tuple[int, int]
    volume_gb: tuple[int, int]
    fips: tuple[int, int]
    su_per_hour: float
    su_left: float | None
    loaded: bool
    error: str | None
    runway: str = "-"  # the tightest allocation's runway at the current burn: "GPU 76d"
    runs_out: bool = False  # ... and it runs out before the allocation's end date
    tight: tuple[QuotaLine, ...] = ()  # the three fullest quotas (cloud/quotas.tightest), fullest first


def share_style(share: float, palette: CellColours) -> str:
    return f"bold {palette.bad}" if share >= 0.9 else palette.busy if share >= 0.7 else palette.ok


def bar(share: float, palette: CellColours, width: int = 6) -> Text:
    """▇▇▇░░░: how full, in `width` cells, coloured by how full."""
    filled = round(min(1.0, share) * width)
    return Text("▇" * filled, style=share_style(share, palette)) + Text("░" * (width - filled), style=palette.dim)


def meter(used: int, limit: int, palette: CellColours, width: int = 6) -> Text:
    """▇▇▇░░░ 12/20: a quota meter in text (limit -1 = unlimited), coloured by how full it is."""
    if limit is None or limit < 0:
        return Text(f"{used}/∞")
    return bar(0.0 if limit == 0 else used / limit, palette, width) + Text(f" {used}/{limit}")


def tight_text(tight: tuple[QuotaLine, ...], palette: CellColours) -> Text:
    """"RAM 92%  cores 80%  FIPs 50%": the fullest quotas in a few cells, each coloured by how full."""
    text = Text()
    for line in tight:
        if text:
            text.append("  ")
        text.append(f"{line.name.short} {min(line.share or 0.0, 9.99):.0%}", style=share_style(line.share or 0.0,
                                                                                              palette))
    return text or Text("-")


QUOTA_LABEL = 30  # cells for a quota's name on the project detail ("Snapshots of type __DEFAULT__" is 28)
QUOTA_BAR = 10


def quota_line(line: QuotaLine, palette: CellColours) -> Text:
    """"RAM                  ▇▇▇▇▇▇▇░░░  72%  360 GiB of 500 GiB" (a per-item cap or no limit: no bar)."""
    title = line.name.title if len(line.name.title) < QUOTA_LABEL else line.name.title[:QUOTA_LABEL - 2] + "…"
    text = Text(f"{title:<{QUOTA_LABEL}}")
    if line.share is None:
        return text + Text(" " * (QUOTA_BAR + 7)) + Text(line.text, style=palette.dim)
    return text + bar(line.share, palette, QUOTA_BAR) + Text(f" {min(line.share, 9.99):>4.0%}  ") + Text(line.text)


def quota_sections(store, palette: CellColours) -> list[tuple[str, list[Text]]]:
    """The project detail's meters: every quota the cloud reports, service by service, in human units."""
    from ...cloud.quotas import SERVICE_TITLES, SERVICES, lines

    every = lines(store.get("quotas"))
    if not every:
        return [("Quotas", [Text("not loaded yet" if not store.state("quotas").loaded else "none reported")])]
    return [(f"{SERVICE_TITLES.get(service, service)} quotas", [quota_line(q, palette) for q in every
                                                                if q.quota.service == service])
            for service in dict.fromkeys([*SERVICES, *(q.quota.service for q in every)])
            if any(q.quota.service == service for q in every)]


def row_for(project) -> ProjectRow:
    from ...cloud.quotas import tightest as tightest_quotas
    from ...cloud.units import allocation_balances, project_burn_rate, tightest  # after the first frame

    store = project.store
    quotas = store.get("quotas")

    def quota(service: str, resource: str, scale: int = 1) -> tuple[int, int]:
        q = quotas.get(f"{service}:{resource}")
        if q is None:
            return (0, -1)
        return (q.in_use // scale, q.limit // scale if q.limit >= 0 else -1)

    servers = list(store.get("servers").values())
    burn = project_burn_rate(servers, store.get("flavors").values())
    balances = allocation_balances(store.get("allocations").values(), burn)
    cpu = next((b for b in balances if b.family == "general"), None)
    today = clock().date()
    tight = tightest(balances, today)
    key = project.key
    state = store.state("servers")
    return ProjectRow(
        id=str(key), cloud=key.cloud, project=key.project_name or key.project_id, region=key.region,
        active=sum(1 for s in servers if s.status == "ACTIVE"), servers=len(servers),
        cores=quota("compute", "cores"), ram_gb=quota("compute", "ram", 1024), volume_gb=quota("volume", "gigabytes"),
        fips=quota("network", "floatingip"), su_per_hour=burn.per_hour, su_left=cpu.remaining if cpu else None,
        loaded=state.loaded, error=state.last_error, runway=runway_text(tight) if tight else "-",
        runs_out=bool(tight and tight.runs_out_before_end(today)), tight=tuple(tightest_quotas(quotas)))


class ProjectsView(ResourceView):
    """A ResourceView whose rows are the projects themselves, every cloud's, whichever one is current."""

    kind = "projects"
    title = "Projects"
    enter_describes = False  # enter makes the project current; d describes it
    BINDINGS = [Binding("u", "units", "Units", tooltip="service units: every allocation of the project: balance, burn, "
                        "runway against its end date, what shelving the marked instances adds")]

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.projects: dict[str, object] = {}
        self.rows: dict[str, ProjectRow] = {}

    def on_mount(self) -> None:
        self.update_title()  # "Projects (0)" until the first project logs in

    def items(self) -> Mapping[str, ProjectRow]:
        return self.rows

    def show(self, project) -> None:
        """Every project has its row here, whichever is current: nothing to load."""

    def columns(self) -> list[Column]:
        def state(row: ProjectRow) -> Text:
            if row.error:
                return Text("⚠ " + row.error, style=self.palette.bad)
            return Text(f"{row.active}/{row.servers}" if row.loaded else "loading…")

        def runway(row: ProjectRow) -> Text:
            """The tightest allocation (cloud/units.tightest), ⚠ when its SUs end before it does."""
            if row.runs_out:
                return Text("⚠" + row.runway, style=f"bold {self.palette.bad}")
            return Text(row.runway)

        def gauge(used_limit: tuple[int, int], width: int = 6) -> Text:
            return meter(*used_limit, self.palette, width)

        return [
            Column("project", "CLOUD / PROJECT", 18, lambda r: f"{r.cloud} / {r.project}", flex=True),
            Column("region", "REGION", 9, lambda r: r.region, wide_only=True),
            Column("vms", "UP/VMS", 7, state),
            Column("tight", "TIGHTEST QUOTAS", 30, lambda r: tight_text(r.tight, self.palette),
                   sort=lambda r: -(r.tight[0].share or 0.0) if r.tight else 0.0),
            Column("cores", "CORES", 17, lambda r: gauge(r.cores), sort=lambda r: r.cores[0], wide_only=True),
            Column("ram", "RAM GiB", 17, lambda r: gauge(r.ram_gb), sort=lambda r: r.ram_gb[0], wide_only=True),
            Column("volumes", "VOLUME GB", 17, lambda r: gauge(r.volume_gb), wide_only=True),
            Column("fips", "FIPS", 12, lambda r: gauge(r.fips, 4), wide_only=True),
            Column("su", "SU/h", 6, lambda r: f"{r.su_per_hour:g}", justify="right", sort=lambda r: r.su_per_hour),
            Column("left", "SU LEFT", 9, lambda r: "-" if r.su_left is None else f"{r.su_left:,.0f}",
                   justify="right", sort=lambda r: r.su_left or 0, wide_only=True),
            Column("runway", "SU RUNWAY", 10, runway),
        ]

    def add_project(self, project) -> None:
        ident = str(project.key)
        self.projects[ident] = project
        self.rows[ident] = row_for(project)
        self.table.apply(self.rows, added=[ident])
        self.update_title()

    def show_problems(self, problems) -> None:
        """A row for each cloud not logged in: its reason and when it is tried again (ctrl+r: now)."""
        rows = {f"{p.cloud} ⚠": ProjectRow(id=f"{p.cloud} ⚠", cloud=p.cloud, project="(not logged in)", region="",
                                           active=0, servers=0, cores=(0, -1), ram_gb=(0, -1), volume_gb=(0, -1),
                                           fips=(0, -1), su_per_hour=0.0, su_left=None, loaded=False, error=p.line)
                for p in problems}
        gone = [ident for ident in self.rows if ident.endswith(" ⚠") and ident not in self.projects
                and ident not in rows]
        added = [ident for ident in rows if ident not in self.rows]
        updated = [ident for ident in rows if ident in self.rows and self.rows[ident] != rows[ident]]
        if not (gone or added or updated):
            return
        for ident in gone:
            del self.rows[ident]
        self.rows.update(rows)
        self.table.apply(self.rows, added=added, updated=updated, removed=gone)
        self.update_title()

    def project_of(self, ident: str):
        return self.project_for(ident)

    def action_units(self) -> None:
        from ..screens.allocations import open_units

        project = self.projects.get(self.table.current_id or "")
        if project is not None:
            open_units(self.app, project)

    def project_for(self, ident: str):
        return self.projects.get(ident)

    def changed(self, change: Change) -> None:
        """A change to any project's store (the other views take only the current project's)."""
        ident = str(change.project)
        project = self.projects.get(ident)
        if project is None or change.kind not in ("servers", "quotas", "allocations", "flavors"):
            return
        self.rows[ident] = row_for(project)
        self.table.apply(self.rows, updated=[ident])

    def update_title(self) -> None:
        table = self.table
        extra = f"  filter: /{table.filter_text}" if table.filter_text else ""
        self.query_one(".view-title", Static).update(f"Projects ({len(table.shown)}){extra}")

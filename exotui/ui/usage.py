"""The dashboard's instance usage (issue 20 item 5): one cloud/usage_watch.UsageWatcher per project, polled
for the project on screen only, about a minute apart while the app runs (a one-shot timer re-armed when a
poll ends, so a slow cloud slows the polls down instead of stacking them).

What a poll costs: one console tail for each ACTIVE instance known to write usage lines (a few hundred bytes
each), plus at most PROBES other ACTIVE instances a minute, in turn, to find reporters (their first read
is the whole log, later ones a PROBE_LINES tail; after a few reads without a line, one every SELDOM polls).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable

from ..cloud.usage import Alert, Idle, Series
from ..cloud.usage_history import UsageHistory
from ..cloud.usage_watch import SELDOM, STRIKES, UsageWatcher
from ..paths import state_dir
from .widgets import views
from .workers import run_guarded

if TYPE_CHECKING:
    from ..cloud.models import Server
    from ..cloud.workspace import Project

EVERY = 60.0  # seconds between polls: Exosphere's reporter writes one line a minute
FIRST_AFTER = 2.0  # the first poll of a project, once its servers are listed
PROBES = 5  # instances not (yet) known to report, asked per poll


class UsageFollow:
    """Owned by the app: `follow(project)` when a project comes on screen; `picture(project, server)` for the
    detail; `cpu(project, server)` for the wide view's CPU% column."""

    def __init__(self, app: Any, clock: Callable[[], float] | None = None) -> None:
        self.app = app
        # the ages' clock by default: screenshots/make.py stands it still beside the demo's
        self.clock = clock or (lambda: views.clock().timestamp())
        self.watchers: dict[Any, UsageWatcher] = {}
        self.project: Project | None = None
        self.history = UsageHistory(state_dir() / "usage")
        self.polls = 0
        self._probed: dict[str, int] = {}  # server ID -> the poll it was last probed in
        self._timer: Any = None
        self._candidates: dict[str, Idle] = {}
        self._asking: set[str] = set()  # instances the detail asked for, being read
        self.paused = False  # no usage reads at all (tests of other things count what the app sends)

    def watcher(self, project: Project) -> UsageWatcher:
        found = self.watchers.get(project.key)
        if found is None:
            found = self.watchers[project.key] = UsageWatcher(
                project.actions, project.key.cloud, project.key.project_id or "", self.history,
                clock=lambda: self.clock())
        return found

    def follow(self, project: Project) -> None:
        """The project on screen: polled from now on (the one before is left alone)."""
        if project is self.project:
            return
        self.project = project
        self._arm(FIRST_AFTER)

    def _arm(self, delay: float) -> None:
        if self._timer is not None:
            self._timer.stop()
        self._timer = self.app.set_timer(delay, self._tick)

    def _tick(self) -> None:
        run_guarded(self.app, self.poll(), "reading instance usage", group="usage", exclusive=True)

    def chosen(self, project: Project) -> list[Server]:
        """This poll's instances: every ACTIVE one known to report, and a few of the others in turn."""
        watcher = self.watcher(project)
        active = [s for s in project.store.get("servers").values() if s.status == "ACTIVE"]
        reporting = [s for s in active if (series := watcher.series(s.id)) is not None and len(series)]
        quiet_due = self.polls % SELDOM == 0

        def waiting(server: Server) -> bool:
            follower = watcher.followers.get(server.id)
            return follower is None or follower.polls_without_news < STRIKES or quiet_due

        others = sorted((s for s in active if s not in reporting and waiting(s)),
                        key=lambda s: (self._probed.get(s.id, -1), s.name))
        for server in others[:PROBES]:
            self._probed[server.id] = self.polls
        return reporting + others[:PROBES]

    async def poll(self, servers: list[Server] | None = None) -> dict[str, list]:
        """One poll of the project on screen (or of `servers`, as the detail asks for its instance)."""
        project = self.project
        if project is None:
            return {}
        try:
            if self.paused:
                return {}  # (the timer is re-armed all the same: unpaused, the polls go on)
            if servers is None:
                self.polls += 1
            watcher = self.watcher(project)
            watcher._polls = self.polls - 1 if servers is None else SELDOM - 1  # its own SELDOM counting, as ours
            found = await watcher.poll(self.chosen(project) if servers is None else servers)
        finally:
            if servers is None and self.app.is_running:
                self._arm(EVERY)
        if found and self.app.is_running:
            self._tell(project, found)
        return found

    def _tell(self, project: Project, found: dict[str, list]) -> None:
        """The views and the detail on screen draw the new figures; a new shelve candidate is said once."""
        flavors = list(project.store.get("flavors").values())
        for server, idle in self.watcher(project).shelve_candidates(flavors):
            if server.id not in self._candidates and idle.su_per_hour_saved > 0:
                self.app.notify(f"{server.name} has been idle for a day: shelving it saves "
                                f"{idle.su_per_hour_saved:g} SU/h", title="shelve?", timeout=8)
            self._candidates[server.id] = idle
        screen = self.app.screen
        if getattr(screen, "server_id", None) in found and hasattr(screen, "redraw"):
            screen.redraw()
        for table in self.app.screen_stack[0].query("#table-servers"):
            table.refresh_column("cpu")

    # --- what the screens read ------------------------------------------------------------------------------

    def picture(self, project: Project, server: Server) -> tuple[Series | None, float, list[Alert], Idle | None]:
        """(series, now, alerts, shelve candidate) for usage_text: None series while never read."""
        watcher = self.watchers.get(project.key)
        follower = watcher.followers.get(server.id) if watcher is not None else None
        if watcher is None or follower is None or not follower.series and not follower.polls_without_news:
            if project is self.project and server.status == "ACTIVE" and server.id not in self._asking \
                    and not self.paused:
                self._asking.add(server.id)  # read it now rather than in up to a minute; once at a time
                run_guarded(self.app, self._ask(server), "reading instance usage")
            return None, self.clock(), [], None
        series = follower.series
        return series, self.clock(), watcher.alerts(server.id), self._candidates.get(server.id)

    async def _ask(self, server: Server) -> None:
        try:
            await self.poll([server])
        finally:
            self._asking.discard(server.id)

    def cpu(self, project: Project | None, server: Server) -> tuple[int | None, Idle | None]:
        """The newest CPU% (None: none known) and the shelve candidate, for the CPU% column."""
        watcher = self.watchers.get(project.key) if project is not None else None
        series = watcher.series(server.id) if watcher is not None else None
        newest = series.newest if series is not None else None
        if newest is None or self.clock() - newest.epoch > 3600:
            return None, None
        return newest.cpu, self._candidates.get(server.id)

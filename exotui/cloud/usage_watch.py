"""Following one project's instance usage: each poll reads the console tail of each running instance (through
`Actions.console_log`, a read that has to be a POST, so read-only mode still reads), feeds its
ConsoleFollower, and keeps the history on disk; the UI asks it for series, alerts and shelve candidates.

An instance that has written no usage line after a few reads (not Exosphere-built, no reporter installed)
is asked again only now and then, as Exosphere gives up on one after its polling strikes.
"""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING, Callable, Iterable

from .models import Flavor, Server
from .session import CloudError
from .units import server_su_per_hour
from .usage import Alert, ConsoleFollower, Idle, Sample, Series, alerts, idle
from .usage_history import UsageHistory

if TYPE_CHECKING:
    from .actions import Actions

STRIKES = 3  # reads without a usage line before an instance is asked only every SELDOM-th poll
SELDOM = 10
CONCURRENT = 4  # console reads at once: a project of hundreds must not flood the cloud


class UsageWatcher:
    def __init__(self, actions: Actions, cloud: str, project_id: str, history: UsageHistory | None = None,
                 clock: Callable[[], float] = time.time):
        self.actions = actions
        self.cloud = cloud
        self.project_id = project_id
        self.history = history
        self.clock = clock
        self.followers: dict[str, ConsoleFollower] = {}
        self._polls = 0

    def follower(self, server_id: str) -> ConsoleFollower:
        follower = self.followers.get(server_id)
        if follower is None:
            series = self.history.load(self.cloud, self.project_id, server_id) if self.history else Series()
            follower = self.followers[server_id] = ConsoleFollower(series)
        return follower

    def series(self, server_id: str) -> Series | None:
        follower = self.followers.get(server_id)
        return follower.series if follower is not None else None

    def _due(self, follower: ConsoleFollower) -> bool:
        quiet = not follower.series and follower.polls_without_news >= STRIKES
        return not quiet or self._polls % SELDOM == 0

    async def poll(self, servers: Iterable[Server] | None = None) -> dict[str, list[Sample]]:
        """Read each running instance's new usage lines (default: every ACTIVE one in the store)."""
        self._polls += 1
        chosen = [s for s in (servers if servers is not None else self.actions.store.get("servers").values())
                  if s.status == "ACTIVE"]
        gate = asyncio.Semaphore(CONCURRENT)
        found: dict[str, list[Sample]] = {}

        async def read(server: Server) -> None:
            follower = self.follower(server.id)
            if not self._due(follower):
                return
            length = follower.length(self.clock())
            async with gate:
                try:
                    result = await self.actions.console_log(server.id, length)
                except CloudError:
                    return  # the next poll tries again
            if not result.ok or not isinstance(result.value, str):
                return
            new = follower.feed(result.value, length)
            found[server.id] = new
            if new and self.history is not None:
                await asyncio.to_thread(self.history.save, self.cloud, self.project_id, server.id, follower.series)

        from .actions import ActionRefused

        async def guarded(server: Server) -> None:
            try:
                await read(server)
            except ActionRefused:  # not readable in its state, or already being read
                pass

        await asyncio.gather(*(guarded(s) for s in chosen))
        return found

    def alerts(self, server_id: str) -> list[Alert]:
        series = self.series(server_id)
        return alerts(series, self.clock()) if series is not None else []

    def shelve_candidates(self, flavors: Iterable[Flavor] = ()) -> list[tuple[Server, Idle]]:
        """ACTIVE instances idle for a day, with the SU/h shelving would save (shelved they burn none)."""
        flavors = list(flavors)
        now = self.clock()
        out = []
        for server in self.actions.store.get("servers").values():
            series = self.series(server.id)
            if server.status != "ACTIVE" or series is None:
                continue
            found = idle(series, now, su_per_hour=server_su_per_hour(server, flavors)
                         - server_su_per_hour(_shelved(server), flavors))
            if found is not None:
                out.append((server, found))
        return sorted(out, key=lambda pair: -pair[1].su_per_hour_saved)


def _shelved(server: Server) -> Server:
    from dataclasses import replace

    return replace(server, status="SHELVED_OFFLOADED")

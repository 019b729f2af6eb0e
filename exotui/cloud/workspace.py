"""Every cloud and project the user can reach, each with its session, store, poller and actions.

What the UI opens on start: profiles are discovered at once (logins run in threads), then one
project after another comes alive as its first load lands. No Textual here.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Callable

from .actions import Actions
from .poller import Intervals, ProjectPoller
from .profiles import CloudProfile, ProfileError, discover
from .rules import CloudRules, rules_for_cloud
from .session import CloudSession
from .store import ProjectKey, ProjectStore


@dataclass
class Project:
    """One (cloud, project, region) and everything that keeps it live."""

    key: ProjectKey
    profile: CloudProfile
    session: CloudSession
    store: ProjectStore
    poller: ProjectPoller
    actions: Actions
    rules: CloudRules
    warning: str | None = None  # e.g. an application credential about to expire

    @property
    def label(self) -> str:
        return str(self.key)


@dataclass
class CloudProblem:
    cloud: str
    message: str


# A login that meets a 5xx or a dropped connection is tried again after these pauses, so one hiccup
# at start does not lose the cloud for the whole session; bad credentials or config fail at once.
LOGIN_RETRIES = (0.5, 1.0, 2.0, 4.0)


def _transient(err: BaseException) -> bool:
    from keystoneauth1 import exceptions as ksa  # loaded by discover already

    cause = err.__cause__
    status = getattr(cause, "http_status", None) or getattr(cause, "status_code", None)
    return (isinstance(status, int) and status >= 500) or isinstance(cause, (ksa.ConnectFailure, ksa.ConnectTimeout))


async def _discover(profile: CloudProfile):
    for pause in (*LOGIN_RETRIES, None):
        try:
            return await asyncio.to_thread(discover, profile)
        except ProfileError as err:
            if pause is None or not _transient(err):
                raise
        await asyncio.sleep(pause)


@dataclass
class Workspace:
    profiles: list[CloudProfile]
    intervals: Intervals | None = None
    projects: list[Project] = field(default_factory=list)
    problems: list[CloudProblem] = field(default_factory=list)
    opened: bool = False  # open() runs once per workspace, whoever calls it again

    async def open(self, on_project: Callable[[Project], None] | None = None,
                   on_problem: Callable[[CloudProblem], None] | None = None) -> None:
        """Log in to every cloud at once; start each project's poller as soon as it is known.
        A second call does nothing: one login, one poller and one store per project per process."""
        if self.opened:
            return
        self.opened = True

        async def one(profile: CloudProfile) -> None:
            try:
                found = await _discover(profile)
            except ProfileError as err:
                problem = CloudProblem(profile.name, str(err))
                self.problems.append(problem)
                if on_problem:
                    on_problem(problem)
                return
            regions = profile.region_names or (None,)
            for project in found.projects:
                for region in regions:
                    self._add(profile, project.id, project.name, region, found.warning, on_project)

        await asyncio.gather(*(one(p) for p in self.profiles))

    def _add(self, profile: CloudProfile, project_id: str, project_name: str, region: str | None,
             warning: str | None, on_project) -> Project:
        key = ProjectKey(profile.name, project_id, region or "", project_name)
        session = CloudSession.for_project(profile, project_id, region)
        store = ProjectStore(key)
        poller = ProjectPoller(session, store, self.intervals)
        rules = rules_for_cloud(profile.name, profile.auth_url)
        project = Project(key, profile, session, store, poller, Actions(session, store, poller, cloud_rules=rules),
                          rules, warning)
        self.projects.append(project)
        if on_project:
            on_project(project)
        asyncio.get_running_loop().create_task(poller.start())
        return project

    def find(self, key: ProjectKey) -> Project | None:
        return next((p for p in self.projects if p.key == key), None)

    async def close(self) -> None:
        await asyncio.gather(*(p.poller.stop() for p in self.projects), return_exceptions=True)
        for project in self.projects:
            project.session.close()

"""Every cloud and project the user can reach, each with its session, store, poller and actions.

What the UI opens on start: profiles are discovered at once (logins run in threads), then one
project after another comes alive as its first load lands. No Textual here.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from . import cache
from .actions import Actions
from .poller import Intervals, ProjectPoller
from .profiles import CloudProfile, ProfileError, discover
from .rules import CloudRules, rules_for_cloud
from .search import SearchIndex
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
    user_id: str = ""  # who is logged in (Keystone's token): an instance with another `user_id` is someone else's

    @property
    def label(self) -> str:
        return str(self.key)


@dataclass
class CloudProblem:
    """A cloud whose login failed: why (one line), how often, and when it is tried again."""

    cloud: str
    message: str
    attempts: int = 1
    retry_at: float | None = None  # time.monotonic() of the next attempt in the background

    def retry_in(self) -> int | None:
        return None if self.retry_at is None else max(0, round(self.retry_at - time.monotonic()))

    @property
    def line(self) -> str:
        """What the header and the projects view say: the reason and when it is tried again."""
        later = self.retry_in()
        return self.message + (" · not retried by itself" if later is None else f" · retrying in {later} s")


# A login that meets a 5xx is tried again at once after these pauses, so one hiccup at start does not
# show an error. A refused connection or an unknown host is not: it cannot heal within seconds, and
# the user hears of it at once (the background retries below follow it).
LOGIN_RETRIES = (0.5, 1.0, 2.0)
# A login that failed is tried again in the background after these pauses (then the last, forever)
LOGIN_BACKOFF = (2.0, 4.0, 8.0, 15.0, 30.0, 60.0, 120.0, 300.0)


def _worth_retrying(err: BaseException) -> bool:
    """Can waiting heal it? Not refused credentials (401/403: retrying a wrong password may lock the
    account where Keystone counts failures) nor a config without a cause from the network."""
    cause = err.__cause__
    status = getattr(cause, "http_status", None) or getattr(cause, "status_code", None)
    if status in (401, 403):
        return False
    return cause is not None


def _transient(err: BaseException) -> bool:
    cause = err.__cause__
    status = getattr(cause, "http_status", None) or getattr(cause, "status_code", None)
    return isinstance(status, int) and status >= 500


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
    readonly: bool = False  # `exotui --readonly`: no write to any cloud (a cloud's own `exotui: readonly` adds to it)
    projects: list[Project] = field(default_factory=list)
    problems: list[CloudProblem] = field(default_factory=list)  # one per cloud not logged in now
    opened: bool = False  # open() runs once per workspace, whoever calls it again
    cache_dir: Path | None = None  # where each project's last picture is kept (cloud/cache.py); None: nowhere
    search: SearchIndex = field(default_factory=SearchIndex)  # every open project's items, by name, ID, IP...
    _retries: list = field(default_factory=list)  # the background login tasks
    _unfollow: list = field(default_factory=list)  # each project's search.follow stopper
    _retry_now: dict = field(default_factory=dict)  # cloud name -> asyncio.Event that cuts its pause short

    async def open(self, on_project: Callable[[Project], None] | None = None,
                   on_problem: Callable[[CloudProblem], None] | None = None) -> None:
        """Log in to every cloud at once; start each project's poller as soon as it is known.
        A second call does nothing: one login, one poller and one store per project per process."""
        if self.opened:
            return
        self.opened = True
        if self.cache_dir is not None:  # the last picture first, marked stale by its age; the logins follow
            folder = self.cache_dir
            cached = await asyncio.gather(*(asyncio.to_thread(cache.pictures, folder, p.name) for p in self.profiles))
            for profile, found in zip(self.profiles, cached):
                for picture in found:
                    key = picture.key
                    self._add(profile, key.project_id, key.project_name, key.region or None, None, on_project,
                              picture.user_id, picture=picture)

        async def one(profile: CloudProfile) -> bool:
            try:
                found = await _discover(profile)
            except ProfileError as err:
                self._failed(profile, str(err), on_problem, _worth_retrying(err))
                return False
            self._opened(profile, found, on_project)
            return True

        results = await asyncio.gather(*(one(p) for p in self.profiles))
        loop = asyncio.get_running_loop()
        for profile, ok in zip(self.profiles, results):
            if not ok:  # tried again in the background; open() does not wait for it
                self._retries.append(loop.create_task(self._keep_trying(profile, on_project, on_problem),
                                                      name=f"login {profile.name}"))

    def _opened(self, profile: CloudProfile, found, on_project) -> None:
        self.problems[:] = [p for p in self.problems if p.cloud != profile.name]
        regions = profile.region_names or (None,)
        for project in found.projects:
            for region in regions:
                cached = self.find_place(profile.name, project.id, region or "")
                if cached is not None:  # shown from the cache already: what the login adds
                    cached.warning, cached.user_id = found.warning, found.user_id or cached.user_id
                    continue
                self._add(profile, project.id, project.name, region, found.warning, on_project, found.user_id)

    def _failed(self, profile: CloudProfile, message: str, on_problem, retry: bool = True) -> CloudProblem:
        old = self.problem(profile.name)
        attempts = old.attempts + 1 if old else 1
        pause = LOGIN_BACKOFF[min(attempts, len(LOGIN_BACKOFF)) - 1]
        line = message.splitlines()[0] if message else "login failed"
        problem = CloudProblem(profile.name, line, attempts, time.monotonic() + pause if retry else None)
        self.problems[:] = [p for p in self.problems if p.cloud != profile.name] + [problem]
        self._retry_now.setdefault(profile.name, asyncio.Event())  # ctrl+r may come before its task runs
        if on_problem:
            on_problem(problem)
        return problem

    def problem(self, cloud: str) -> CloudProblem | None:
        return next((p for p in self.problems if p.cloud == cloud), None)

    async def _keep_trying(self, profile: CloudProfile, on_project, on_problem) -> None:
        """Log in again after each pause (longer each time) until it works; `retry_now` cuts a pause short."""
        wake = self._retry_now.setdefault(profile.name, asyncio.Event())
        while True:
            problem = self.problem(profile.name)
            # no retry_at: only ctrl+r tries again
            pause = max(0.0, problem.retry_at - time.monotonic()) if problem and problem.retry_at else None
            waiter = asyncio.ensure_future(wake.wait())
            try:
                await asyncio.wait({waiter}, timeout=pause)
            finally:
                waiter.cancel()
            wake.clear()
            try:
                found = await _discover(profile)
            except ProfileError as err:
                self._failed(profile, str(err), on_problem, _worth_retrying(err))
                continue
            self._opened(profile, found, on_project)
            return

    def retry_now(self) -> int:
        """Try every failed login again now (ctrl+r); how many there are."""
        for problem in self.problems:
            event = self._retry_now.get(problem.cloud)
            if event is not None:
                event.set()
        return len(self.problems)

    def _add(self, profile: CloudProfile, project_id: str, project_name: str, region: str | None,
             warning: str | None, on_project, user_id: str = "", picture: cache.Picture | None = None) -> Project:
        key = ProjectKey(profile.name, project_id, region or "", project_name)
        session = CloudSession.for_project(profile, project_id, region)
        store = ProjectStore(key)
        if picture is not None:
            cache.restore(store, picture)
        poller = ProjectPoller(session, store, self.intervals)
        rules = rules_for_cloud(profile.name, profile.auth_url)
        actions = Actions(session, store, poller, cloud_rules=rules, readonly=self.readonly or profile.readonly)
        project = Project(key, profile, session, store, poller, actions, rules, warning, user_id or "")
        self.projects.append(project)
        self._unfollow.append(self.search.follow(store))
        if on_project:
            on_project(project)
        asyncio.get_running_loop().create_task(poller.start())
        return project

    def find(self, key: ProjectKey) -> Project | None:
        return next((p for p in self.projects if p.key == key), None)

    def find_place(self, cloud: str, project_id: str, region: str) -> Project | None:
        return next((p for p in self.projects if (p.key.cloud, p.key.project_id, p.key.region)
                     == (cloud, project_id, region)), None)

    def save_pictures(self) -> None:
        """Each project's picture into the cache (on leaving); a failure is one log line, never an error."""
        if self.cache_dir is None:
            return
        for project in self.projects:
            try:
                cache.save(self.cache_dir, project.store, project.user_id)
            except OSError as err:
                logging.getLogger("exotui.cache").warning("cache: cannot save %s (%s)", project.key, err)

    async def close(self) -> None:
        self.save_pictures()
        for task in self._retries:
            task.cancel()
        await asyncio.gather(*self._retries, return_exceptions=True)
        await asyncio.gather(*(p.poller.stop() for p in self.projects), return_exceptions=True)
        for project in self.projects:
            project.session.close()
        for unfollow in self._unfollow:
            unfollow()

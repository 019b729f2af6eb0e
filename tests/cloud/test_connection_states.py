"""Honest connection states: a cloud that stops answering is stale within 10 s, a refused or unknown
login is reported in under 2 s, and a failed login is tried again in the background until it works."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from clouds import seconds_until

from exotui.cloud.poller import Intervals, ProjectPoller
from exotui.cloud.profiles import find_profile, load_profiles
from exotui.cloud.session import CloudSession
from exotui.cloud.store import ProjectKey, ProjectStore
from exotui.cloud.workspace import Workspace
from exotui.demo.app import CLOUD_NAME
from exotui.demo.seed import DEMO_PROJECTS

pytestmark = pytest.mark.timeout(120)


async def _seconds_until(condition, timeout: float = 30.0) -> float:
    return await seconds_until(condition, timeout)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class DemoProcess:
    """`exotui demo-cloud` as a process of its own, so that it can be stopped (SIGSTOP) like a hung API."""

    def __init__(self, config_dir: Path, port: int = 0) -> None:
        self.config_dir = config_dir
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "exotui", "demo-cloud", "--config-dir", str(config_dir), "--no-ssh",
             "--delay-scale", "0", "--port", str(port)],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        line = self.proc.stdout.readline()  # "exotui demo cloud ready at ..."
        assert "ready" in line, line

    @property
    def clouds_yaml(self) -> Path:
        return self.config_dir / "clouds.yaml"

    def end(self) -> None:
        self.proc.send_signal(signal.SIGCONT)
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)


@pytest.fixture()
def demo_process(tmp_path):
    made = DemoProcess(tmp_path / "cloud")
    yield made
    made.end()


def _profile(clouds_yaml: Path, name: str = CLOUD_NAME):
    return find_profile(load_profiles(config_file=clouds_yaml, env={}), name)


async def test_a_cloud_that_stops_answering_is_stale_within_10_s(demo_process):
    profile = _profile(demo_process.clouds_yaml)
    session = CloudSession.for_project(profile)
    store = ProjectStore(ProjectKey(CLOUD_NAME, DEMO_PROJECTS[0][0]))
    poller = ProjectPoller(session, store, Intervals())  # the defaults the app runs with
    try:
        await poller.start()
        assert await _seconds_until(lambda: store.state("servers").loaded) < 30
        demo_process.proc.send_signal(signal.SIGSTOP)  # connections are accepted (backlog), nothing answers
        took = await _seconds_until(lambda: store.state("servers").last_error is not None, timeout=30)
        print(f"a stopped cloud marked stale after {took:.1f} s")
        assert took < 10.0
        assert "no answer" in store.state("servers").last_error
        demo_process.proc.send_signal(signal.SIGCONT)
        assert await _seconds_until(lambda: store.state("servers").last_error is None, timeout=60) < 60
    finally:
        demo_process.proc.send_signal(signal.SIGCONT)
        await poller.stop()
        session.close()


def _unreachable_yaml(tmp_path: Path, auth_url: str) -> Path:
    path = tmp_path / "clouds.yaml"
    path.write_text(yaml.safe_dump({"clouds": {"away": {
        "auth": {"auth_url": auth_url, "username": "demo", "password": "not-used", "project_name": "x",
                 "user_domain_name": "Default", "project_domain_name": "Default"},
        "auth_type": "password", "region_name": "RegionOne", "identity_api_version": 3}}}))
    os.chmod(path, 0o600)
    return path


@pytest.mark.parametrize("auth_url, words", [
    (None, "refused"),  # a free port on 127.0.0.1: refused
    ("http://no-such-host.invalid:5000/v3", ""),  # DNS failure
], ids=["refused", "dns"])
async def test_a_refused_or_unknown_login_is_reported_in_under_2_s(tmp_path, auth_url, words):
    url = auth_url or f"http://127.0.0.1:{_free_port()}/identity/v3"
    workspace = Workspace(load_profiles(config_file=_unreachable_yaml(tmp_path, url), env={}))
    problems = []
    started = time.monotonic()
    await workspace.open(on_problem=problems.append)
    took = time.monotonic() - started
    try:
        print(f"login to {url} reported after {took:.2f} s: {problems[0].message}")
        assert took < 2.0 and len(problems) == 1
        assert words in problems[0].message.lower()
        assert "retrying in" in problems[0].line and problems[0].retry_at is not None
    finally:
        await workspace.close()


async def test_a_failed_login_is_retried_until_the_cloud_is_there(tmp_path):
    """The cloud is down when exotui starts: the login fails, says when it is tried again, is tried
    again in the background with growing pauses, and the cloud's projects come when it is back."""
    port = _free_port()
    config = tmp_path / "cloud"
    # the clouds.yaml the cloud will write, known in advance: the same port
    workspace = None
    cloud = DemoProcess(config, port)
    clouds_yaml = cloud.clouds_yaml
    profile_text = clouds_yaml.read_text()
    cloud.end()
    copy = tmp_path / "clouds.yaml"
    copy.write_text(profile_text)
    os.chmod(copy, 0o600)
    workspace = Workspace([_profile(copy)])
    problems, projects = [], []
    try:
        await workspace.open(on_project=projects.append, on_problem=problems.append)
        assert not projects and len(problems) == 1 and problems[0].attempts == 1
        assert await _seconds_until(lambda: len(problems) >= 2, timeout=10) < 10, "tried again by itself"
        assert problems[1].attempts == 2 and problems[1].retry_at - time.monotonic() > 2, "the pause grows"
        cloud = DemoProcess(config, port)
        assert workspace.retry_now() == 1  # ctrl+r: now, not after the pause
        assert await _seconds_until(lambda: projects, timeout=15) < 15
        assert workspace.problems == []
    finally:
        await workspace.close()
        cloud.end()


async def test_refused_credentials_are_not_retried_by_themselves(target, tmp_path):
    """A wrong password cannot heal by waiting, and retrying it may lock the account where Keystone
    counts failures: it waits for ctrl+r (retry_now) instead. On real Keystone as on the demo."""
    clouds = yaml.safe_load(target.clouds_yaml.read_text())
    entry = clouds["clouds"][target.cloud_name]
    entry["auth"]["password"] = "not-the-password"
    path = tmp_path / "clouds.yaml"
    path.write_text(yaml.safe_dump({"clouds": {"wrong": entry}}))
    os.chmod(path, 0o600)
    workspace = Workspace([_profile(path, "wrong")])
    problems = []
    try:
        await workspace.open(on_problem=problems.append)
        assert len(problems) == 1 and "401" in problems[0].message
        assert problems[0].retry_at is None and "not retried by itself" in problems[0].line
        assert workspace.retry_now() == 1
        assert await _seconds_until(lambda: len(problems) == 2, timeout=10) < 10
        assert problems[1].attempts == 2 and problems[1].retry_at is None
    finally:
        await workspace.close()


async def test_a_forgotten_token_is_replaced_without_a_failed_call_when_many_calls_meet_it(fresh_demo, tmp_path):
    """Keystone forgets the token (restart, revocation, expiry earlier than the clients think) while
    several polls are on the wire: every one of them logs in again or waits for the login that is under
    way, and none reports a 401 (it used to reach the header as "⚠ stale: ... (HTTP 401)")."""
    session = CloudSession.for_project(_profile(tmp_path / "clouds.yaml"))
    calls = ("/servers/detail", "servers"), ("/flavors/detail", "flavors"), ("/os-keypairs", "keypairs")
    failed: list[str] = []
    try:
        await session.connection()
        for _ in range(12):
            before = len(fresh_demo.world.tokens)
            fresh_demo.call(lambda: [t.update(expires=fresh_demo.world.now()) for t in fresh_demo.world.tokens.values()])
            answers = await asyncio.gather(*(session.get_list("compute", path, key) for path, key in calls * 3),
                                           return_exceptions=True)
            failed += [str(a) for a in answers if isinstance(a, BaseException)]
            assert len(fresh_demo.world.tokens) > before  # each round did log in again
        assert failed == []
    finally:
        session.close()

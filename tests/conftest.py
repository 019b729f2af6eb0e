"""Fixtures every tier shares: the demo cloud in a background thread and clients pointed at it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from exotui.demo.app import CLOUD_NAME, DemoCloudThread
from exotui.demo.world import Knobs


@pytest.fixture(scope="session", autouse=True)
def private_state_dir(tmp_path_factory):
    """exotui's log, pinned host keys and cached pictures go to directories of the test run, never the user's."""
    previous = {name: os.environ.get(name) for name in ("EXOTUI_STATE_DIR", "EXOTUI_CACHE_DIR")}
    os.environ["EXOTUI_STATE_DIR"] = str(tmp_path_factory.mktemp("exotui-state"))
    os.environ["EXOTUI_CACHE_DIR"] = str(tmp_path_factory.mktemp("exotui-cache"))
    yield
    for name, value in previous.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


@pytest.fixture(scope="session")
def demo_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("demo-cloud")


@pytest.fixture(scope="session")
def demo(demo_dir):
    """One demo cloud for the session: instant transitions, SSH on. Tests that change state
    create their own servers (or use `fresh_demo`) so they do not depend on each other."""
    with DemoCloudThread(Knobs(delay_scale=0.0, seed=1), state_dir=demo_dir / "state") as cloud:
        cloud.cloud.write_config(demo_dir)
        yield cloud


@pytest.fixture()
def fresh_demo(tmp_path):
    """A demo cloud of the test's own, for tests that need the seed untouched or other knobs."""
    with DemoCloudThread(Knobs(delay_scale=0.0, seed=2), state_dir=tmp_path / "state") as cloud:
        cloud.cloud.write_config(tmp_path)
        yield cloud


@pytest.fixture()
def clouds_env(demo, demo_dir, monkeypatch):
    """Environment that makes openstacksdk and the `openstack` CLI find the demo cloud."""
    monkeypatch.setenv("OS_CLIENT_CONFIG_FILE", str(demo_dir / "clouds.yaml"))
    for key in list(os.environ):
        if key.startswith("OS_") and key != "OS_CLIENT_CONFIG_FILE":
            monkeypatch.delenv(key)
    return demo_dir / "clouds.yaml"


@pytest.fixture()
def conn(demo, clouds_env):
    """An openstacksdk Connection to the demo cloud's first project (password auth)."""
    import openstack

    connection = openstack.connect(cloud=CLOUD_NAME)
    yield connection
    connection.close()


@pytest.fixture()
def openstack_cli(clouds_env):
    """Run the real `openstack` CLI against the demo cloud: openstack_cli("server", "list", "-f", "json")
    returns the CompletedProcess (text mode); `.json()` is not added, parse stdout yourself."""
    import subprocess
    import sys

    exe = Path(sys.executable).parent / "openstack"

    def run(*args: str, check: bool = True, cloud: str = CLOUD_NAME) -> subprocess.CompletedProcess:
        done = subprocess.run([str(exe), "--os-cloud", cloud, *args], capture_output=True, text=True,
                              timeout=120, env=os.environ.copy())
        if check and done.returncode != 0:
            raise AssertionError(f"openstack {' '.join(args)} failed ({done.returncode}):\n{done.stderr}")
        return done

    return run


@pytest.fixture(autouse=True)
def one_real_test_at_a_time(request, tmp_path_factory):
    """Under pytest-xdist (`-n 2 --dist loadfile`, pyproject's addopts) each test file runs whole on one
    worker; the real tier's tests, spread over many files, take a lock the workers share, since they share
    the one real stack and one of them restarts its APIs. Autouse, so it is taken before the test's other
    function fixtures are set up and let go after they are torn down. (xdist's own grouping, loadgroup,
    cannot be used: with pytest 9 the group it writes into a test's ID is lost.)"""
    if request.node.get_closest_marker("realcloud") is None or not os.environ.get("PYTEST_XDIST_WORKER"):
        yield
        return
    import fcntl

    with open(tmp_path_factory.getbasetemp().parent / "realcloud.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)

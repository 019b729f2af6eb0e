"""`target`: the cloud layer's integration tests run once on the demo cloud and once on the real stack."""

from __future__ import annotations

import os

import pytest
from clouds import DemoTarget, RealTarget, require_real_stack

from exotui.demo.app import CLOUD_NAME


@pytest.fixture(params=["demo", pytest.param("real", marks=pytest.mark.realcloud)])
def target(request, monkeypatch):
    if request.param == "demo":
        clouds_yaml = request.getfixturevalue("demo_dir") / "clouds.yaml"
        made = DemoTarget(request.getfixturevalue("demo"), clouds_yaml)
    else:
        clouds_yaml = require_real_stack()
        made = RealTarget(clouds_yaml)
    monkeypatch.setenv("OS_CLIENT_CONFIG_FILE", str(clouds_yaml))
    for key in list(os.environ):
        if key.startswith("OS_") and key != "OS_CLIENT_CONFIG_FILE":
            monkeypatch.delenv(key)
    yield made
    made.cleanup()


@pytest.fixture()
async def loaded(clouds_env):
    """The demo's first project loaded through the real data path: (session, store, poller)."""
    import openstack

    from exotui.cloud.poller import Intervals, ProjectPoller
    from exotui.cloud.session import CloudSession
    from exotui.cloud.store import ProjectKey, ProjectStore

    session = CloudSession(lambda: openstack.connect(cloud=CLOUD_NAME), label="test")
    store = ProjectStore(ProjectKey(CLOUD_NAME, "BIO230045"))
    poller = ProjectPoller(session, store, Intervals(fast=0.05, idle=0.2, others=0.5))
    await poller.load_all()
    yield session, store, poller
    await poller.stop()
    session.close()

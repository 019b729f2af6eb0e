"""The cloud layer survives what real clouds do: tokens expiring mid-session, slow answers, 5xx,
a cloud that goes away and comes back. Each outcome is a plain CloudError line, then recovery."""

from __future__ import annotations

import asyncio
import socket
import time

import openstack
import pytest

from exotui.cloud.poller import Intervals, ProjectPoller
from exotui.cloud.session import CloudError, CloudSession
from exotui.cloud.store import ProjectKey, ProjectStore
from exotui.demo.app import DemoCloudThread
from exotui.demo.seed import DEMO_PASSWORD, DEMO_PROJECTS
from exotui.demo.world import Knobs


async def test_a_token_expiring_mid_session_is_renewed_silently():
    with DemoCloudThread(Knobs(delay_scale=0, ssh=False, token_lifetime=1.5)) as cloud:
        session = CloudSession(cloud.connect)
        store = ProjectStore(ProjectKey("expiring", "BIO230045"))
        poller = ProjectPoller(session, store)
        await poller.load_all()
        first = set(cloud.world.tokens)
        await asyncio.sleep(2.0)  # every token issued so far has expired
        await poller.poll_servers()
        await poller.load_all(["volumes", "networks"])
        assert store.state("servers").last_error is None and store.state("volumes").last_error is None
        assert set(cloud.world.tokens) - first, "keystoneauth should have fetched a new token"
        session.close()


async def test_a_slow_cloud_times_out_with_a_plain_line():
    with DemoCloudThread(Knobs(delay_scale=0, ssh=False, latency_ms=1500)) as cloud:
        session = CloudSession(lambda: cloud.connect(api_timeout=0.5))
        started = time.perf_counter()
        with pytest.raises(CloudError) as caught:
            await session.get_list("compute", "/servers/detail", "servers")
        assert time.perf_counter() - started < 10
        message = caught.value.message
        assert "Traceback" not in message and "\n" not in message
        assert "timed out" in message.lower() or "timeout" in message.lower()
        session.close()


async def test_a_cloud_that_goes_away_and_comes_back():
    with DemoCloudThread(Knobs(delay_scale=0, ssh=False)) as cloud:
        session = CloudSession(cloud.connect)
        store = ProjectStore(ProjectKey("flaky", "BIO230045"))
        poller = ProjectPoller(session, store, Intervals(fast=0.05, idle=0.05, others=60, max_backoff=0.4))
        await poller.load_all()
        assert store.state("servers").loaded
        cloud.world.knobs.error_rate = 1.0  # every API answer is now a 503
        await poller.start()
        for _ in range(100):
            await asyncio.sleep(0.05)
            if store.state("servers").last_error:
                break
        assert "(HTTP 503)" in store.state("servers").last_error
        assert len(store.get("servers")) == 8, "what we knew stays on screen while the cloud fails"
        age_when_failing = store.age("servers")
        cloud.world.knobs.error_rate = 0.0
        for _ in range(200):
            await asyncio.sleep(0.05)
            if store.state("servers").last_error is None:
                break
        assert store.state("servers").last_error is None, "the poller should recover by itself"
        assert store.age("servers") < age_when_failing + 5
        await poller.stop()
        session.close()


async def test_an_unreachable_cloud_is_one_line():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # nothing listens here once the socket closes
    session = CloudSession(lambda: openstack.connect(
        auth_url=f"http://127.0.0.1:{port}/identity/v3", username="demo", password=DEMO_PASSWORD,
        project_name=DEMO_PROJECTS[0][0], user_domain_name="Default", project_domain_name="Default"))
    with pytest.raises(CloudError) as caught:
        await session.get_list("compute", "/servers", "servers")
    assert "\n" not in caught.value.message and DEMO_PASSWORD not in caught.value.message
    assert "connect" in caught.value.message.lower() or "refused" in caught.value.message.lower()
    session.close()

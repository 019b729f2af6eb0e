"""The cloud layer survives what real clouds do: tokens expiring mid-session, slow answers, 5xx,
a cloud that goes away and comes back. Each outcome is a plain CloudError line, then recovery."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import time

import openstack
import pytest
from clouds import until

from exotui.cloud.actions import Actions
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
        cloud.call(cloud.world.advance, 2.0)  # every token issued so far has expired, on the cloud's clock
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
        await until(lambda: store.state("servers").last_error, what="the failure")
        assert "(HTTP 503)" in store.state("servers").last_error
        assert len(store.get("servers")) == 8, "what we knew stays on screen while the cloud fails"
        age_when_failing = store.age("servers")
        cloud.world.knobs.error_rate = 0.0
        await until(lambda: store.state("servers").last_error is None, what="the poller to recover by itself")
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


async def _lose_the_answer_to(cloud, action_path: str, run) -> object:
    """Run `run()` while the demo holds every answer 1.5 s (the client gives up at 0.5 s); once the action's
    request has been carried out and its answer is on the slow way back, answers are quick again."""
    handled = cloud.world.handled.count(("POST", action_path))
    cloud.world.knobs.answer_latency_ms = 1500
    task = asyncio.ensure_future(run())
    # the handler is done; the middleware sleeps on the answer
    await until(lambda: cloud.world.handled.count(("POST", action_path)) > handled, what="the action to be carried out")
    cloud.world.knobs.answer_latency_ms = 0
    return await task


@contextlib.asynccontextmanager
async def _lossy_layer(others: float):
    """The cloud layer over a demo cloud, its calls giving up after 0.5 s; the poller running."""
    with DemoCloudThread(Knobs(delay_scale=0.05, ssh=False)) as cloud:
        session = CloudSession(lambda: cloud.connect(api_timeout=0.5))
        store = ProjectStore(ProjectKey("lossy", DEMO_PROJECTS[0][0]))
        poller = ProjectPoller(session, store, Intervals(fast=0.1, idle=0.3, others=others))
        await poller.load_all()
        await poller.start()
        try:
            yield cloud, store, poller, Actions(session, store, poller, timeout=20)
        finally:
            await poller.stop()
            session.close()


async def test_an_action_whose_answer_is_lost_is_sent_once_and_judged_by_the_instance():
    """A stop carried out by Nova whose answer never arrives: exotui neither resends it nor calls it a
    failure; it watches the instance and says it was done, and that the answer was lost."""
    async with _lossy_layer(others=60) as (cloud, store, poller, actions):
        target = next(s for s in store.get("servers").values() if s.status == "ACTIVE" and not s.locked)
        path = f"/compute/v2.1/servers/{target.id}/action"
        result = await _lose_the_answer_to(cloud, path, lambda: actions.run(target.id, "stop"))
        assert cloud.world.asked.count(("POST", path)) == 1, "never resent"
        assert result.ok and result.status == "SHUTOFF", result
        assert "answer was lost" in result.message and "\n" not in result.message

        # the same, for a request Nova refused (409: locked behind the store's back): the refusal is lost
        await poller.stop()  # so the store keeps believing the instance unlocked
        await asyncio.to_thread(lambda: cloud.connect().compute.lock_server(target.id))
        before = cloud.world.asked.count(("POST", path))  # the stop, and the lock just sent
        result = await _lose_the_answer_to(cloud, path, lambda: actions.run(target.id, "start", timeout=1.5))
        assert cloud.world.asked.count(("POST", path)) == before + 1, "never resent"
        assert not result.ok and result.status == "SHUTOFF"
        assert "answer never came" in result.message and "not sent again" in result.message, result.message
        assert not actions.in_flight and target.id not in poller.pending


def test_a_cloud_without_api_timeout_gets_one_and_a_set_one_is_kept(tmp_path):
    """openstacksdk waits forever by default: a cloud that takes a request and hangs would hold a poll or
    an action for good, and nothing would ever be marked stale."""
    from exotui.cloud.profiles import API_TIMEOUT, find_profile, load_profiles

    with DemoCloudThread(Knobs(delay_scale=0, ssh=False)) as cloud:
        path = cloud.cloud.write_config(tmp_path)
        profiles = load_profiles(config_file=path)
        assert float(find_profile(profiles, "exotui-demo").scoped().config["api_timeout"]) == API_TIMEOUT
        text = path.read_text().replace("  exotui-demo:\n", "  exotui-demo:\n    api_timeout: 7\n", 1)
        assert text != path.read_text()
        path.write_text(text)
        profiles = load_profiles(config_file=path)
        assert float(find_profile(profiles, "exotui-demo").scoped().config["api_timeout"]) == 7


async def test_a_create_whose_answer_is_lost_says_it_may_have_been_done_and_the_table_shows_it():
    """A volume create carried out by Cinder whose answer never arrives: no "could not", no resend; the
    poller brings the volume."""
    async with _lossy_layer(others=0.3) as (cloud, store, poller, actions):
        path = "/volume/v3/volumes"
        result = await _lose_the_answer_to(cloud, path, lambda: actions.create_volume("lost-answer", 1))
        assert cloud.world.asked.count(("POST", path)) == 1, "never resent"
        assert not result.ok and result.still_running
        assert "may have been done (not sent again)" in result.message and "could not" not in result.message
        await until(lambda: any(v.name == "lost-answer" for v in store.get("volumes").values()),
                    what="the poller to show it")

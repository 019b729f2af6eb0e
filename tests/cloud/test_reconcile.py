"""Reconciliation: after an outage, an API restart or a 404, the store equals what the cloud holds.

changes-since only reports what changed while the poller was listening; these are the cases where it
was not (the demo cloud restarted with other contents on the same port, a server deleted and purged
while every answer was a 503) and the 404 an action meets on a row the cloud no longer has.
"""

from __future__ import annotations

import asyncio

import pytest
from clouds import until

from exotui.cloud.actions import Actions
from exotui.cloud.poller import Intervals, ProjectPoller
from exotui.cloud.session import CloudSession
from exotui.cloud.store import KINDS, ProjectKey, ProjectStore
from exotui.demo import nova
from exotui.demo.app import DemoCloudThread
from exotui.demo.seed import DEMO_PROJECTS
from exotui.demo.world import Knobs

pytestmark = pytest.mark.timeout(120)
PROJECT = DEMO_PROJECTS[0][0]


def _cloud_servers(cloud: DemoCloudThread) -> dict[str, str]:
    """The cloud's own answer (openstacksdk, as `openstack server list` would give it): ID -> name."""
    conn = cloud.connect()
    try:
        return {s.id: s.name for s in conn.compute.servers()}
    finally:
        conn.close()


async def _until(condition, timeout: float = 20.0, what: str = "") -> None:
    await until(condition, timeout, what)


def _purge(world, server_id: str) -> None:
    """Deleted and archived (nova-manage db archive_deleted_rows): changes-since will never tell."""
    nova.delete(world, world.servers[server_id])
    world.servers.pop(server_id, None)


async def test_a_restart_with_other_contents_on_the_same_port_within_one_poll():
    """No outage seen at all (the restart falls between two polls): the next poll meets a token the new
    API does not know, logs in again, and that is enough to list everything afresh."""
    first = DemoCloudThread(Knobs(delay_scale=0, ssh=False, seed=1))
    first.__enter__()
    port = first.cloud.port
    session = CloudSession(first.connect)
    store = ProjectStore(ProjectKey("restart", PROJECT))
    poller = ProjectPoller(session, store, Intervals(fast=0.05, idle=0.2, others=60))
    second = None
    try:
        await poller.load_all()
        before = set(store.get("servers"))
        assert before == set(_cloud_servers(first))
        first.stop()
        second = DemoCloudThread(Knobs(delay_scale=0, ssh=False, seed=7, servers=3), port=port)
        second.__enter__()
        cloud = _cloud_servers(second)
        assert not (set(cloud) & before), "the restarted cloud holds other servers"
        await poller.poll_servers()  # one poll
        shown = {s.id: s.name for s in store.get("servers").values()}
        assert shown == cloud
        assert len(store.get("servers")) == len(set(store.get("servers")))
        for kind in KINDS:  # every other kind comes again with the next round
            assert kind == "servers" or kind in poller._refresh_kinds
    finally:
        session.close()
        if second is not None:
            second.stop()
        first.stop()


async def test_a_restart_seen_as_an_outage_by_the_running_poller():
    """The cloud stopped (connection refused) and started with other contents: the running poller
    makes the store equal the cloud with its first good poll, servers and every other kind."""
    first = DemoCloudThread(Knobs(delay_scale=0, ssh=False, seed=1))
    first.__enter__()
    port = first.cloud.port
    session = CloudSession(lambda: first.connect(api_timeout=2))
    store = ProjectStore(ProjectKey("restart", PROJECT))
    poller = ProjectPoller(session, store, Intervals(fast=0.05, idle=0.1, others=60, max_backoff=0.4))
    second = None
    try:
        await poller.load_all()
        await poller.start()
        await asyncio.to_thread(first.stop)  # the poller goes on meanwhile
        await _until(lambda: store.state("servers").last_error, what="the outage to be seen")
        second = DemoCloudThread(Knobs(delay_scale=0, ssh=False, seed=7, servers=3), port=port)
        second.__enter__()
        cloud = _cloud_servers(second)
        volumes = second.connect().block_storage.volumes()
        cloud_volumes = {v.id for v in volumes}
        await _until(lambda: {s.id: s.name for s in store.get("servers").values()} == cloud,
                     what="the store to equal the restarted cloud")
        await _until(lambda: set(store.get("volumes")) == cloud_volumes, what="volumes to equal the cloud's")
        assert store.state("servers").last_error is None
    finally:
        await poller.stop()
        session.close()
        if second is not None:
            second.stop()
        first.stop()


async def test_a_server_deleted_during_an_outage_leaves_the_store():
    with DemoCloudThread(Knobs(delay_scale=0, ssh=False)) as cloud:
        session = CloudSession(cloud.connect)
        store = ProjectStore(ProjectKey("outage", PROJECT))
        poller = ProjectPoller(session, store, Intervals(fast=0.05, idle=0.1, others=60, max_backoff=0.4))
        try:
            await poller.load_all()
            victim = next(s for s in store.get("servers").values() if s.name == "db-primary")
            await poller.start()
            cloud.world.knobs.error_rate = 1.0  # every answer a 503
            await _until(lambda: store.state("servers").last_error, what="the outage to be seen")
            cloud.call(_purge, cloud.world, victim.id)
            cloud.world.knobs.error_rate = 0.0
            await _until(lambda: victim.id not in store.get("servers"), what="the deleted server to leave")
            assert set(store.get("servers")) == set(_cloud_servers(cloud))
        finally:
            await poller.stop()
            session.close()


async def test_the_slow_reconciliation_finds_what_changes_since_missed():
    """No outage, no restart: a server purged behind changes-since's back goes at the next reconciliation."""
    with DemoCloudThread(Knobs(delay_scale=0, ssh=False)) as cloud:
        session = CloudSession(cloud.connect)
        store = ProjectStore(ProjectKey("purged", PROJECT))
        poller = ProjectPoller(session, store, Intervals(fast=0.05, idle=0.1, others=60, reconcile=1.0))
        try:
            await poller.load_all()
            victim = next(s for s in store.get("servers").values() if s.name == "db-primary")
            cloud.call(_purge, cloud.world, victim.id)
            await poller.poll_servers()
            assert victim.id in store.get("servers"), "changes-since cannot know"
            await poller.start()
            await _until(lambda: victim.id not in store.get("servers"), what="the reconciliation")
            assert set(store.get("servers")) == set(_cloud_servers(cloud))
        finally:
            await poller.stop()
            session.close()


async def test_refresh_all_lists_everything_again():
    """ctrl+r: a full list, whatever changes-since says."""
    with DemoCloudThread(Knobs(delay_scale=0, ssh=False)) as cloud:
        session = CloudSession(cloud.connect)
        store = ProjectStore(ProjectKey("ctrl-r", PROJECT))
        poller = ProjectPoller(session, store, Intervals(fast=0.05, idle=30, others=60))
        try:
            await poller.load_all()
            victim = next(s for s in store.get("servers").values() if s.name == "db-primary")
            cloud.call(_purge, cloud.world, victim.id)
            await poller.start()
            poller.refresh_all()
            await _until(lambda: victim.id not in store.get("servers"), timeout=10, what="ctrl+r's full list")
        finally:
            await poller.stop()
            session.close()


async def test_an_action_answered_404_removes_the_row_at_once():
    with DemoCloudThread(Knobs(delay_scale=0, ssh=False)) as cloud:
        session = CloudSession(cloud.connect)
        store = ProjectStore(ProjectKey("ghost", PROJECT))
        poller = ProjectPoller(session, store, Intervals(fast=0.05, idle=30, others=60))
        actions = Actions(session, store, poller, timeout=5)
        try:
            await poller.load_all()
            victim = next(s for s in store.get("servers").values() if s.name == "db-primary")
            cloud.call(_purge, cloud.world, victim.id)
            result = await actions.run(victim.id, "reboot_soft")
            assert not result.ok and "404" in result.message
            assert victim.id not in store.get("servers")
            volume = next(v for v in store.get("volumes").values() if v.status == "available")
            cloud.call(lambda world: world.volumes.pop(volume.id), cloud.world)
            result = await actions.extend_volume(volume.id, volume.size_gb + 1)
            assert not result.ok and volume.id not in store.get("volumes")
        finally:
            session.close()

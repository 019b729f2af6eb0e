"""Changes made by another client (the CLI, Horizon, a script) reach the store within 5 s, with the
default intervals: the project on screen has its floating IPs and the shown view's kinds listed often."""

from __future__ import annotations

import asyncio

import pytest
from clouds import seconds_until

from exotui.cloud.poller import Intervals, ProjectPoller
from exotui.cloud.session import CloudSession
from exotui.cloud.store import ProjectKey, ProjectStore
from exotui.demo.app import DemoCloudThread
from exotui.demo.seed import DEMO_PROJECTS
from exotui.demo.world import Knobs

pytestmark = pytest.mark.timeout(120)
PROJECT = DEMO_PROJECTS[0][0]


async def _seconds_until(condition, timeout: float = 15.0) -> float:
    return await seconds_until(condition, timeout)


@pytest.fixture()
async def watched():
    with DemoCloudThread(Knobs(delay_scale=0, ssh=False)) as cloud:
        session = CloudSession(cloud.connect)
        store = ProjectStore(ProjectKey("outside", PROJECT))
        poller = ProjectPoller(session, store, Intervals())  # the defaults the app runs with
        await poller.start()
        other = await asyncio.to_thread(cloud.connect)  # someone else's connection
        try:
            assert await _seconds_until(lambda: store.state("floating_ips").loaded) < 15
            yield cloud, store, poller, other
        finally:
            await poller.stop()
            session.close()
            other.close()


async def test_a_floating_ip_assigned_elsewhere_shows_within_5_s(watched):
    cloud, store, poller, other = watched
    server = next(s for s in store.get("servers").values() if s.status == "ACTIVE" and not s.floating_ips)
    public = next(n for n in store.get("networks").values() if n.external)

    def assign():
        port = next(iter(other.network.ports(device_id=server.id)))
        return other.network.create_ip(floating_network_id=public.id, port_id=port.id).floating_ip_address

    address = await asyncio.to_thread(assign)
    took = await _seconds_until(lambda: address in store.item("servers", server.id).floating_ips)
    print(f"outside floating IP assignment on screen after {took:.2f} s")
    assert took < 5.0


async def test_the_watched_view_kinds_follow_within_5_s(watched):
    """Volumes while the volumes view is on screen; a project not on screen is not listed that often."""
    cloud, store, poller, other = watched
    poller.watch({"servers", "floating_ips", "volumes"})
    volume = await asyncio.to_thread(lambda: other.block_storage.create_volume(name="made-elsewhere", size=1))
    took = await _seconds_until(lambda: volume.id in store.get("volumes"))
    assert took < 5.0
    group = await asyncio.to_thread(lambda: other.network.create_security_group(name="made-elsewhere"))
    poller.watch({"servers", "floating_ips", "security_groups"})
    took = await _seconds_until(lambda: group.id in store.get("security_groups"))
    assert took < 5.0
    poller.watch(())
    assert poller.next_delay() == poller.intervals.background


async def test_ports_follow_incrementally_with_changed_since(watched):
    """Ports (one per instance: 1,000s) come as what changed since the last list plus an ID-only list."""
    cloud, store, poller, other = watched
    poller.watch({"servers", "floating_ips", "ports"})
    assert await _seconds_until(lambda: "ports" in poller._since) < 10
    network = next(n for n in store.get("networks").values() if n.name == "auto_allocated_network")
    asked = len(cloud.world.asked)
    port = await asyncio.to_thread(lambda: other.network.create_port(network_id=network.id, name="made-elsewhere"))
    assert await _seconds_until(lambda: port.id in store.get("ports")) < 5.0
    queries = [q for m, q in list(cloud.world.asked)[asked:] if "/ports" in q and m == "GET"]
    assert any("changed_since=" in q for q in queries) and any("fields=id" in q for q in queries), queries
    await asyncio.to_thread(other.network.delete_port, port.id)
    assert await _seconds_until(lambda: port.id not in store.get("ports")) < 5.0


async def test_volumes_follow_incrementally_with_cinders_time_filter(watched):
    """Volumes, like ports: Cinder's `updated_at=gte:` (3.60) brings what changed, the summary list what
    is gone; a new volume never updated (a null updated_at, which no comparison matches) brings a full list."""
    cloud, store, poller, other = watched
    poller.watch({"servers", "floating_ips", "volumes"})
    assert await _seconds_until(lambda: "volumes" in poller._since) < 10
    asked = len(cloud.world.asked)
    volume = await asyncio.to_thread(lambda: other.block_storage.create_volume(name="made-elsewhere", size=1))
    assert await _seconds_until(lambda: volume.id in store.get("volumes")) < 5.0
    await asyncio.to_thread(lambda: other.block_storage.wait_for_status(volume, "available", wait=10))
    assert await _seconds_until(lambda: store.item("volumes", volume.id).status == "available") < 5.0
    renamed = len(cloud.world.asked)
    await asyncio.to_thread(lambda: other.block_storage.update_volume(volume, name="renamed-elsewhere"))
    assert await _seconds_until(lambda: store.item("volumes", volume.id).name == "renamed-elsewhere") < 5.0
    details = [q for m, q in list(cloud.world.asked)[renamed:] if "/volumes/detail" in q and m == "GET"]
    assert details and all("updated_at=gte" in q for q in details), details  # no full list for a change
    await asyncio.to_thread(other.block_storage.delete_volume, volume)
    assert await _seconds_until(lambda: volume.id not in store.get("volumes")) < 5.0
    assert "volumes" not in poller._no_changed_since

"""Changes made by another client (the CLI, Horizon, a script) reach the store within 5 s, with the
default intervals: the project on screen has its floating IPs and the shown view's kinds listed often.
On both clouds (`target`): the demo and the real stack, whose Neutron and Cinder answer the incremental
filters (`changed_since`, `updated_at=gte:`) as they do, or not."""

from __future__ import annotations

import asyncio

import openstack
import pytest
from clouds import PROJECT, seconds_until

from exotui.cloud.poller import Intervals, ProjectPoller
from exotui.cloud.session import CloudSession
from exotui.cloud.store import ProjectKey, ProjectStore

pytestmark = pytest.mark.timeout(180)


async def _seconds_until(condition, timeout: float = 15.0) -> float:
    return await seconds_until(condition, timeout)


class Watched:
    """The store and poller under test, someone else's connection, and every list the poller asked for."""

    def __init__(self, target, session: CloudSession, store: ProjectStore, poller: ProjectPoller, other) -> None:
        self.target, self.session, self.store, self.poller, self.other = target, session, store, poller, other
        self.asked: list[tuple[str, str, dict]] = []
        self.made: list[tuple[str, object]] = []  # (kind, item) made elsewhere, deleted afterwards
        get_list = session.get_list

        async def recording(service, path, key, **kw):
            self.asked.append((service, path, dict(kw.get("params") or {})))
            return await get_list(service, path, key, **kw)

        session.get_list = recording

    def queries(self, since: int, path: str) -> list[str]:
        """The lists asked for `path` since the `since`-th, each as its query string."""
        return ["&".join(f"{k}={v}" for k, v in params.items()) for _, p, params in self.asked[since:] if p == path]

    def cleanup(self) -> None:
        for kind, item in reversed(self.made):
            try:
                if kind == "volume":
                    self.other.block_storage.delete_volume(item, ignore_missing=True)
                elif kind == "group":
                    self.other.network.delete_security_group(item, ignore_missing=True)
                elif kind == "fip":
                    self.other.network.delete_ip(item, ignore_missing=True)
            except openstack.exceptions.SDKException:
                pass  # gone already, or still in use: the cloud's own cleanup (and the stack's next run) takes it


def _clockless(watched: Watched, kind: str) -> bool:
    """The cloud sent no Date header, so the poller has no cloud time to ask "changed since" from: the real
    stack's uWSGI answers without one (so do the oracle's recordings); the demo sends it, as an HTTP server with
    a clock must (RFC 9110, 6.6.1) and as Apache in front of an API does."""
    clockless = watched.poller._since.get(kind) is None
    assert clockless == watched.target.real, "which cloud sends a Date header changed: see tests/realcloud"
    return clockless


@pytest.fixture()
async def watched(target):
    session = CloudSession(lambda: openstack.connect(cloud=target.cloud_name))
    store = ProjectStore(ProjectKey("outside", PROJECT))
    poller = ProjectPoller(session, store, Intervals())  # the defaults the app runs with
    other = await asyncio.to_thread(lambda: openstack.connect(cloud=target.cloud_name))  # someone else's
    made = Watched(target, session, store, poller, other)
    await poller.start()
    try:
        assert await _seconds_until(lambda: store.state("floating_ips").loaded, timeout=30) < 30
        yield made
    finally:
        await poller.stop()
        session.close()
        await asyncio.to_thread(made.cleanup)
        other.close()


async def test_a_floating_ip_assigned_elsewhere_shows_within_5_s(watched):
    store, other = watched.store, watched.other
    sid = await asyncio.to_thread(watched.target.boot, "outside-fip")
    assert await _seconds_until(lambda: store.item("servers", sid) is not None, timeout=30) < 30
    public = next(n for n in store.get("networks").values() if n.external)

    def assign():
        port = next(iter(other.network.ports(device_id=sid)))
        fip = other.network.create_ip(floating_network_id=public.id, port_id=port.id)
        watched.made.append(("fip", fip))
        return fip.floating_ip_address

    address = await asyncio.to_thread(assign)
    took = await _seconds_until(lambda: address in store.item("servers", sid).floating_ips)
    print(f"outside floating IP assignment on screen after {took:.2f} s")
    assert took < 5.0


async def test_the_watched_view_kinds_follow_within_5_s(watched):
    """Volumes while the volumes view is on screen; a project not on screen is not listed that often."""
    store, poller, other = watched.store, watched.poller, watched.other
    poller.watch({"servers", "floating_ips", "volumes"})
    volume = await asyncio.to_thread(lambda: other.block_storage.create_volume(name="made-elsewhere", size=1))
    watched.made.append(("volume", volume))
    took = await _seconds_until(lambda: volume.id in store.get("volumes"))
    assert took < 5.0
    group = await asyncio.to_thread(lambda: other.network.create_security_group(name="made-elsewhere"))
    watched.made.append(("group", group))
    poller.watch({"servers", "floating_ips", "security_groups"})
    took = await _seconds_until(lambda: group.id in store.get("security_groups"))
    assert took < 5.0
    poller.watch(())
    assert poller.next_delay() == poller.intervals.background


async def test_ports_follow_incrementally_with_changed_since(watched):
    """Ports (one per instance: 1,000s) come as what changed since the last list plus an ID-only list."""
    store, poller, other = watched.store, watched.poller, watched.other
    poller.watch({"servers", "floating_ips", "ports"})
    assert await _seconds_until(lambda: "ports" in poller._since) < 10
    network = next(n for n in store.get("networks").values() if n.name == "auto_allocated_network")
    asked = len(watched.asked)
    port = await asyncio.to_thread(lambda: other.network.create_port(network_id=network.id, name="made-elsewhere"))
    assert await _seconds_until(lambda: port.id in store.get("ports")) < 5.0
    queries = watched.queries(asked, "/ports")
    if _clockless(watched, "ports"):  # no cloud clock to count from: full lists, never a guessed filter
        assert queries and all(q == "" for q in queries), queries
    else:
        assert any("changed_since=" in q for q in queries) and any("fields=id" in q for q in queries), queries
    assert "ports" not in poller._no_changed_since
    await asyncio.to_thread(other.network.delete_port, port.id)
    assert await _seconds_until(lambda: port.id not in store.get("ports")) < 5.0


async def test_volumes_follow_incrementally_with_cinders_time_filter(watched):
    """Volumes, like ports: Cinder's `updated_at=gte:` (3.60) brings what changed, the summary list what
    is gone; a new volume never updated (a null updated_at, which no comparison matches) brings a full list."""
    store, poller, other = watched.store, watched.poller, watched.other
    poller.watch({"servers", "floating_ips", "volumes"})
    assert await _seconds_until(lambda: "volumes" in poller._since) < 10
    volume = await asyncio.to_thread(lambda: other.block_storage.create_volume(name="made-elsewhere", size=1))
    watched.made.append(("volume", volume))
    assert await _seconds_until(lambda: volume.id in store.get("volumes")) < 5.0
    await asyncio.to_thread(lambda: other.block_storage.wait_for_status(volume, "available", wait=10))
    assert await _seconds_until(lambda: store.item("volumes", volume.id).status == "available") < 5.0
    renamed = len(watched.asked)
    await asyncio.to_thread(lambda: other.block_storage.update_volume(volume, name="renamed-elsewhere"))
    assert await _seconds_until(lambda: store.item("volumes", volume.id).name == "renamed-elsewhere") < 5.0
    details = watched.queries(renamed, "/volumes/detail")
    if _clockless(watched, "volumes"):
        assert details and all(q == "" for q in details), details
    else:
        assert details and all("updated_at=gte" in q for q in details), details  # no full list for a change
    await asyncio.to_thread(other.block_storage.delete_volume, volume)
    assert await _seconds_until(lambda: volume.id not in store.get("volumes")) < 5.0
    assert "volumes" not in poller._no_changed_since

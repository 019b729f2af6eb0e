"""Issue 18's kinds in the cloud layer on both clouds (issue 19 item 5; test_kinds_fetched.py has the demo's seeded
ones): routers, subnets and ports, volume snapshots and server groups reach the store as the cloud holds them, and
an instance's action history comes back with its events, as `openstack server event list` would show it."""

from __future__ import annotations

import asyncio
from contextlib import asynccontextmanager

import openstack
import pytest
from clouds import NETWORK

from exotui.cloud.kinds import fetch_history
from exotui.cloud.models import InstanceAction, ServerGroup, VolumeSnapshot
from exotui.cloud.poller import Intervals, ProjectPoller
from exotui.cloud.session import CloudSession
from exotui.cloud.store import ProjectKey, ProjectStore

pytestmark = [pytest.mark.slow, pytest.mark.timeout(240)]


@asynccontextmanager
async def loaded(target, kinds: tuple[str, ...]):
    session = CloudSession(lambda: openstack.connect(cloud=target.cloud_name), label="test")
    store = ProjectStore(ProjectKey(target.cloud_name, "BIO230045"))
    poller = ProjectPoller(session, store, Intervals(fast=0.05, idle=0.2, others=0.5))
    try:
        await poller.load_all(kinds)
        yield session, store, poller
    finally:
        await poller.stop()
        session.close()


async def test_routers_subnets_and_a_servers_ports_as_the_cloud_holds_them(target):
    sid = await asyncio.to_thread(target.boot, "kinds-ports")
    conn = target.conn
    router = conn.network.find_router("auto_allocated_router", ignore_missing=False)
    subnet = conn.network.find_subnet("auto_allocated_subnet_v4", ignore_missing=False)
    macs = {p.mac_address for p in conn.network.ports(device_id=sid)}
    async with loaded(target, ("servers", "routers", "subnets", "ports")) as (_session, store, _poller):
        held = store.get("routers")[router.id]
        assert held.external_network_id == router.external_gateway_info["network_id"] and held.external_ips
        assert store.get("subnets")[subnet.id].cidr == subnet.cidr
        assert store.get("subnets")[subnet.id].network_id == target.network_id(NETWORK)
        ports = [p for p in store.get("ports").values() if p.device_id == sid]
        assert {p.mac_address for p in ports} == macs and len(macs) == 1
        assert any(p.device_owner == "network:router_interface" and p.device_id == router.id
                   for p in store.get("ports").values())


async def test_a_snapshot_and_a_server_group_arrive_and_leave(target):
    conn = target.conn
    volume = conn.block_storage.create_volume(name="kinds-src", size=1)
    snapshot = group = None
    try:
        conn.block_storage.wait_for_status(volume, "available", wait=60)
        snapshot = conn.block_storage.create_snapshot(volume_id=volume.id, name="kinds-snap\x1b[31m")
        group = conn.compute.create_server_group(name="kinds-group", policy="anti-affinity")
        conn.block_storage.wait_for_status(snapshot, "available", wait=60)
        async with loaded(target, ("volume_snapshots", "server_groups")) as (_session, store, poller):
            snap = store.get("volume_snapshots")[snapshot.id]
            assert isinstance(snap, VolumeSnapshot)
            assert (snap.volume_id, snap.size_gb, snap.status) == (volume.id, 1, "available")
            assert "\x1b" not in snap.name and snap.name.startswith("kinds-snap")  # the trust boundary
            held = store.get("server_groups")[group.id]
            assert isinstance(held, ServerGroup) and (held.name, held.policy, held.member_ids) == (
                "kinds-group", "anti-affinity", ())
            conn.block_storage.delete_snapshot(snapshot)
            conn.compute.delete_server_group(group)
            conn.block_storage.wait_for_delete(snapshot, wait=60)
            await poller.load_all(("volume_snapshots", "server_groups"))
            assert snapshot.id not in store.get("volume_snapshots") and group.id not in store.get("server_groups")
            snapshot = group = None
    finally:
        if snapshot is not None:
            conn.block_storage.delete_snapshot(snapshot, ignore_missing=True)
            conn.block_storage.wait_for_delete(snapshot, wait=60)
        if group is not None:
            conn.compute.delete_server_group(group, ignore_missing=True)
        conn.block_storage.delete_volume(volume, ignore_missing=True)


async def test_an_instances_history_has_its_actions_and_events(target):
    sid = await asyncio.to_thread(target.boot, "kinds-history")
    compute = target.conn.compute
    compute.stop_server(sid)  # through the API on both clouds: Nova records the action and its event
    await asyncio.to_thread(compute.wait_for_server, compute.get_server(sid), status="SHUTOFF", wait=120,
                            interval=0.5)
    async with loaded(target, ("servers",)) as (session, _store, _poller):
        history = await fetch_history(session, sid)
        assert [a.action for a in history] == ["stop", "create"]  # newest first, as Nova lists them
        assert all(isinstance(a, InstanceAction) and a.request_id.startswith("req-") and a.user_id and a.start_time
                   and not a.failed for a in history)
        stop = history[0]
        assert [e.event for e in stop.events] == ["compute_stop_instance"] and stop.events[0].result == "Success"
        listed = {e.event for e in target.conn.compute.get_server_action(stop.request_id, sid).events}
        assert listed == {e.event for e in stop.events}
        newest = await fetch_history(session, sid, events_for=1)
        assert [bool(a.events) for a in newest] == [True, False]

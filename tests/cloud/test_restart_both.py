"""Reconciliation on both clouds (test_reconcile.py has the demo's own restarts): Compute and Network stop
answering and come back, on the real stack by stopping and starting its nova-api and neutron-server processes
(tests/realcloud/stack.py), and a server deleted and archived while the poller could not see the cloud is gone
after its first good poll. The store then equals `openstack server list`, with no ID twice."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path

import openstack
import pytest
from clouds import until

from exotui.cloud.poller import Intervals, ProjectPoller
from exotui.cloud.session import CloudSession
from exotui.cloud.store import KINDS, ProjectKey, ProjectStore

pytestmark = pytest.mark.timeout(240)


def _server_list(cloud: str) -> list[tuple[str, str]]:
    """`openstack server list`, as the user would ask it: (ID, name) of every row, in its order."""
    done = subprocess.run([str(Path(sys.executable).parent / "openstack"), "--os-cloud", cloud, "server", "list",
                           "-f", "json", "-c", "ID", "-c", "Name"], capture_output=True, text=True, timeout=120,
                          check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    return [(row["ID"], row["Name"]) for row in json.loads(done.stdout)]


async def test_after_an_outage_the_store_equals_the_server_list_within_one_poll(target):
    victim = await asyncio.to_thread(target.boot, "outage-victim")
    survivor = await asyncio.to_thread(target.boot, "outage-survivor")
    session = CloudSession(lambda: openstack.connect(cloud=target.cloud_name, api_timeout=10), label="test")
    store = ProjectStore(ProjectKey(target.cloud_name, "outage"))
    poller = ProjectPoller(session, store, Intervals(fast=0.05, idle=0.2, others=60, max_backoff=0.4))
    pids = target.api_pids() if target.real else {}
    down = False
    try:
        await poller.load_all()
        assert {victim, survivor} <= set(store.get("servers"))
        await poller.start()
        await asyncio.to_thread(target.apis_down)
        down = True
        await until(lambda: store.state("servers").last_error, timeout=30, what="the outage to be seen")
        await poller.stop()  # not looking while the server goes: deleted and archived during the outage
        await asyncio.to_thread(target.apis_up)
        down = False
        await asyncio.to_thread(target.purge, victim)
        full_lists = poller.full_lists
        await poller.poll_servers()  # the first good poll
        assert poller.full_lists == full_lists + 1, "after an outage the poll is a full list"
        listed = await asyncio.to_thread(_server_list, target.cloud_name)
        assert len({ident for ident, _ in listed}) == len(listed)
        assert sorted((s.id, s.name) for s in store.get("servers").values()) == sorted(listed)
        assert victim not in store.get("servers") and survivor in store.get("servers")
        assert store.state("servers").last_error is None
        assert set(KINDS) - {"servers"} <= poller._refresh_kinds  # every other kind is listed again next round
        if target.real:
            after = target.api_pids()
            assert set(after) == set(pids) == {"nova-api", "neutron-api"}
            assert all(after[name] != pids[name] for name in pids), "new processes answer"
    finally:
        if down:
            await asyncio.to_thread(target.apis_up)
        await poller.stop()
        session.close()

"""exotui against the `openstack` CLI on the real stack, side by side in one run: a 200-server project.

    python3 tests/realcloud/stack.py up          # first
    .venv/bin/python bench/realcloud_load.py [--servers 200] [--runs 5] [--keep]

Boots the servers into the real stack's BIO230045 (Nova's fake driver; ~1-2 min for 200, done once
and kept with --keep), then times, alternately:
  - exotui: every resource kind a view needs loaded into the store (session, token, catalog, all
    kinds concurrently), from a cold start in this process;
  - `openstack server list` (one process per run, as a user types it);
  - `openstack server list --long`.
Prints medians and the ratios exotui/CLI.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import openstack

from exotui.cloud.poller import ProjectPoller
from exotui.cloud.profiles import find_profile, load_profiles
from exotui.cloud.session import CloudSession
from exotui.cloud.store import KINDS, ProjectKey, ProjectStore

REPO = Path(__file__).resolve().parents[1]
CLOUD = "realcloud"
PREFIX = "bench-"


def ensure_servers(conn, count: int) -> None:
    have = [s for s in conn.compute.servers() if s.name.startswith(PREFIX)]
    missing = count - len(have)
    if missing <= 0:
        return
    flavor = conn.compute.find_flavor("m3.tiny", ignore_missing=False)
    image = conn.image.find_image("Featured-Ubuntu24", ignore_missing=False)
    network = conn.network.find_network("auto_allocated_network", ignore_missing=False)
    started = time.perf_counter()
    for batch in range(0, missing, 25):  # Nova boots a multi-create request as one
        size = min(25, missing - batch)
        conn.compute.create_server(name=f"{PREFIX}{len(have) + batch:03d}", flavor_id=flavor.id, image_id=image.id,
                                   networks=[{"uuid": network.id}], min_count=size, max_count=size)
    while True:
        states = [s.status for s in conn.compute.servers() if s.name.startswith(PREFIX)]
        if len(states) >= count and all(s in ("ACTIVE", "ERROR") for s in states):
            break
        time.sleep(2)
    print(f"booted {missing} servers in {time.perf_counter() - started:.0f} s "
          f"({states.count('ERROR')} in ERROR)", flush=True)


async def exotui_load() -> tuple[float, float, int]:
    """Seconds until the instances are in the store (what the first screen waits for), seconds
    until all kinds are, and the number of servers."""
    profile = find_profile(load_profiles(Path(os.environ["OS_CLIENT_CONFIG_FILE"]), env={}), CLOUD)  # as the dashboard does
    start = time.perf_counter()
    session = CloudSession.for_project(profile)
    store = ProjectStore(ProjectKey(CLOUD, "BIO230045"))
    arrived: dict[str, float] = {}
    store.subscribe(lambda change: arrived.setdefault(change.kind, time.perf_counter() - start))
    poller = ProjectPoller(session, store)
    await poller.load_all()
    elapsed = time.perf_counter() - start
    failed = [k for k in KINDS if not store.state(k).loaded]
    assert not failed, failed
    count = len(store.get("servers"))
    await poller.stop()
    session.close()
    return arrived.get("servers", elapsed), elapsed, count


def cli(*args: str) -> float:
    exe = Path(sys.executable).parent / "openstack"
    start = time.perf_counter()
    subprocess.run([str(exe), "--os-cloud", CLOUD, "server", "list", *args, "-f", "value", "-c", "ID"],
                   check=True, capture_output=True)
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--servers", type=int, default=200)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--keep", action="store_true", help="leave the servers for the next run")
    args = parser.parse_args()
    clouds = Path(os.environ.get("EXOTUI_REALCLOUD_DIR") or REPO / ".realcloud") / "clouds.yaml"
    if not clouds.exists():
        sys.exit(f"no real stack: {clouds} is missing; run `python3 tests/realcloud/stack.py up` first")
    os.environ["OS_CLIENT_CONFIG_FILE"] = str(clouds)
    conn = openstack.connect(cloud=CLOUD)
    ensure_servers(conn, args.servers)
    first, ours, plain, long, floor = [], [], [], [], []
    count = 0
    for _ in range(args.runs):
        servers_in, elapsed, count = asyncio.run(exotui_load())
        first.append(servers_in)
        ours.append(elapsed)
        plain.append(cli())
        long.append(cli("--long"))
        started = time.perf_counter()  # the floor: one warm GET of the list, token already held
        conn.compute.get("/servers/detail")
        floor.append(time.perf_counter() - started)
    m_first, m_ours, m_plain, m_long, m_floor = (statistics.median(x) for x in (first, ours, plain, long, floor))
    print(f"real stack, {count} servers in the project, {args.runs} runs each, medians:")
    print(f"  exotui: instances in the store              {m_first:6.2f} s  (min {min(first):.2f})")
    print(f"  exotui: all {len(KINDS)} kinds loaded                 {m_ours:6.2f} s  (min {min(ours):.2f})")
    print(f"  openstack server list                       {m_plain:6.2f} s  (min {min(plain):.2f})")
    print(f"  openstack server list --long                {m_long:6.2f} s  (min {min(long):.2f})")
    print(f"  floor: one warm GET /servers/detail         {m_floor:6.2f} s")
    print(f"  ratio exotui instances / server list        {m_first / m_plain:6.2f}x")
    print(f"  ratio exotui all kinds / server list        {m_ours / m_plain:6.2f}x")
    print(f"  ratio exotui all kinds / server list --long {m_ours / m_long:6.2f}x")
    if not args.keep:
        for server in [s for s in conn.compute.servers() if s.name.startswith(PREFIX)]:
            conn.compute.delete_server(server)
    return 0


if __name__ == "__main__":
    sys.exit(main())

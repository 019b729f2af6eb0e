"""Benchmark the cloud layer side by side, in one run, on one demo cloud:

1. time until every resource kind of a 1,000-server project is loaded, with 50 ms injected latency,
   against `openstack server list` (goal <= 0.33x) and against the floor of one token plus one
   server-list round trip (goal <= 1.5x);
2. bytes and CPU per idle poll at 1,000 servers (goal <= 2 KB);
3. parse time for 20,000 servers: our models from raw JSON against openstacksdk Resources.

    .venv/bin/python bench/cloud_load.py [--runs 3]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

from exotui.cloud.models import Server
from exotui.cloud.poller import ProjectPoller
from exotui.cloud.profiles import find_profile, load_profiles
from exotui.cloud.session import CloudSession
from exotui.cloud.store import ProjectKey, ProjectStore
from exotui.demo.app import CLOUD_NAME, DemoCloudThread
from exotui.demo.seed import DEMO_PASSWORD, DEMO_PROJECTS
from exotui.demo.world import Knobs

SEEDED = 8  # servers the seed puts in the first project


async def exotui_load(config: Path) -> tuple[float, int, ProjectPoller, CloudSession]:
    """As the dashboard does it: the profile from clouds.yaml, one session, every kind at once."""
    profile = find_profile(load_profiles(config, env={}), CLOUD_NAME)
    start = time.perf_counter()
    session = CloudSession.for_project(profile)
    store = ProjectStore(ProjectKey("bench", DEMO_PROJECTS[0][0]))
    poller = ProjectPoller(session, store)
    await poller.load_all()
    elapsed = time.perf_counter() - start
    failed = [k for k in ("servers", "flavors", "images", "volumes", "networks", "ports", "floating_ips",
                          "security_groups", "quotas") if not store.state(k).loaded]
    assert not failed, failed
    return elapsed, len(store.get("servers")), poller, session


def floor(auth_url: str, base: str) -> float:
    """One token, one server-list round trip: what no client can beat."""
    body = {"auth": {"identity": {"methods": ["password"], "password": {"user": {
        "name": "demo", "domain": {"name": "Default"}, "password": DEMO_PASSWORD}}},
        "scope": {"project": {"name": DEMO_PROJECTS[0][0], "domain": {"name": "Default"}}}}}
    start = time.perf_counter()
    with requests.Session() as http:
        token = http.post(auth_url + "/auth/tokens", json=body, timeout=30).headers["X-Subject-Token"]
        http.get(base + "/compute/v2.1/servers/detail", headers={"X-Auth-Token": token}, timeout=60).json()
    return time.perf_counter() - start


def cli(config: Path) -> float:
    env = dict(os.environ, OS_CLIENT_CONFIG_FILE=str(config))
    start = time.perf_counter()
    subprocess.run([str(Path(sys.executable).parent / "openstack"), "--os-cloud", CLOUD_NAME, "server", "list",
                    "-f", "value", "-c", "ID"], env=env, capture_output=True, check=True, timeout=900)
    return time.perf_counter() - start


async def idle_polls(poller: ProjectPoller, count: int = 5) -> tuple[float, float]:
    await asyncio.sleep(2.1)  # the Date header has whole seconds: 2 s puts the cloud's clock past the newest change
    await poller.poll_servers()  # may still carry the newest second
    bytes_before, cpu_before = poller.bytes_polled, time.process_time()
    for _ in range(count):
        await poller.poll_servers()
    return (poller.bytes_polled - bytes_before) / count, (time.process_time() - cpu_before) / count


def parse_20000() -> tuple[float, float, int]:
    with DemoCloudThread(Knobs(servers=20000 - SEEDED, delay_scale=0, ssh=False)) as cloud:
        conn = cloud.connect()
        items: list[dict] = []
        url = "/servers/detail"
        while url:
            body = conn.compute.get(url, microversion="2.100").json()
            items += body["servers"]
            url = next((link["href"] for link in body.get("servers_links", []) if link["rel"] == "next"), None)
        start = time.perf_counter()
        parsed = [Server.from_api(item) for item in items]
        ours = time.perf_counter() - start
        from openstack.compute.v2.server import Server as SDKServer

        sample = items[:2000]
        start = time.perf_counter()
        for item in sample:
            SDKServer.existing(connection=conn, **item)
        sdk = (time.perf_counter() - start) * len(items) / len(sample)
        conn.close()
        return ours, sdk, len(parsed)


async def main_async(runs: int) -> None:
    config_dir = Path(tempfile.mkdtemp(prefix="exotui-bench-"))
    with DemoCloudThread(Knobs(servers=1000 - SEEDED, latency_ms=50, delay_scale=0, ssh=False)) as cloud:
        config = cloud.cloud.write_config(config_dir)
        loads, floors, clis = [], [], []
        poller = session = None
        for _ in range(runs):
            elapsed, count, poller, session = await exotui_load(config)
            assert count == 1000, count
            loads.append(elapsed)
            floors.append(floor(cloud.auth_url, cloud.world.base_url))
        for _ in range(max(1, runs - 1)):
            clis.append(cli(config))
        load, flo, cli_time = statistics.median(loads), statistics.median(floors), statistics.median(clis)
        print(f"1,000 servers, 50 ms latency per request, medians of {runs} runs:")
        print(f"  exotui: every kind loaded (13 kinds)  {load * 1000:7.0f} ms")
        print(f"  floor: one token + one server list   {flo * 1000:7.0f} ms")
        print(f"  openstack server list                {cli_time * 1000:7.0f} ms")
        print(f"  ratio exotui / openstack CLI: {load / cli_time:.2f} (goal <= 0.33)")
        print(f"  ratio exotui / floor:         {load / flo:.2f} (goal <= 1.5)")
        per_poll, cpu = await idle_polls(poller)
        print(f"  idle poll at 1,000 servers: {per_poll:.0f} bytes of body, {cpu * 1000:.1f} ms CPU (goal <= 2 KB)")
        session.close()
    ours, sdk, count = parse_20000()
    print(f"parse {count} servers: exotui models {ours * 1000:.0f} ms, openstacksdk Resources ~{sdk * 1000:.0f} ms "
          f"(extrapolated from 2,000); ratio {ours / sdk:.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    asyncio.run(main_async(parser.parse_args().runs))


if __name__ == "__main__":
    main()

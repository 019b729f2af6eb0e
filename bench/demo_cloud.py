"""Benchmark: the demo cloud's full `servers/detail` at 5,000 servers against `openstack server list`.

Both run in this one process's time frame against the same demo cloud; prints each and the ratio.
The issue's target: the demo cloud answers in well under a tenth of what the CLI spends in total.

    .venv/bin/python bench/demo_cloud.py [--servers 5000] [--runs 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

from exotui.demo.app import CLOUD_NAME, DemoCloudThread
from exotui.demo.seed import DEMO_PASSWORD, DEMO_PROJECTS
from exotui.demo.world import Knobs


def token(auth_url: str) -> str:
    body = {"auth": {"identity": {"methods": ["password"], "password": {"user": {
        "name": "demo", "domain": {"name": "Default"}, "password": DEMO_PASSWORD}}},
        "scope": {"project": {"name": DEMO_PROJECTS[0][0], "domain": {"name": "Default"}}}}}
    return requests.post(auth_url + "/auth/tokens", json=body, timeout=30).headers["X-Subject-Token"]


def full_detail(base: str, tok: str, microversion: str) -> tuple[float, int, int]:
    """Seconds to fetch every page of servers/detail, servers seen, bytes received."""
    url = base + "/compute/v2.1/servers/detail"
    headers = {"X-Auth-Token": tok, "OpenStack-API-Version": f"compute {microversion}"}
    seen = size = 0
    start = time.perf_counter()
    with requests.Session() as http:
        while url:
            response = http.get(url, headers=headers, timeout=60)
            body = response.json()
            seen += len(body["servers"])
            size += len(response.content)
            links = body.get("servers_links") or []
            url = next((link["href"] for link in links if link["rel"] == "next"), None)
    return time.perf_counter() - start, seen, size


def cli_server_list(config: Path) -> tuple[float, int]:
    env = dict(os.environ, OS_CLIENT_CONFIG_FILE=str(config))
    exe = Path(sys.executable).parent / "openstack"
    start = time.perf_counter()
    done = subprocess.run([str(exe), "--os-cloud", CLOUD_NAME, "server", "list", "-f", "value", "-c", "ID"],
                          capture_output=True, text=True, env=env, timeout=600, check=True)
    return time.perf_counter() - start, len(done.stdout.split())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--servers", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    config_dir = Path(tempfile.mkdtemp(prefix="exotui-bench-"))
    started = time.perf_counter()
    with DemoCloudThread(Knobs(servers=args.servers, delay_scale=0, ssh=False)) as cloud:
        seeded = time.perf_counter() - started
        config = cloud.cloud.write_config(config_dir)
        tok = token(cloud.auth_url)
        base = cloud.world.base_url
        total = args.servers + 8
        print(f"demo cloud with {total} servers in the project, seeded in {seeded:.2f} s")
        rows = []
        for microversion in ("2.1", "2.104"):
            times = []
            for _ in range(args.runs):
                seconds, seen, size = full_detail(base, tok, microversion)
                assert seen == total, (seen, total)
                times.append(seconds)
            rows.append((microversion, statistics.median(times), size))
            print(f"demo cloud: servers/detail, all {seen} servers (pages of 1000) at {microversion}: "
                  f"median {statistics.median(times) * 1000:.0f} ms over {args.runs} runs, {size / 1e6:.1f} MB")
        cli_times = []
        for _ in range(max(2, args.runs // 2)):
            seconds, listed = cli_server_list(config)
            assert listed == total, (listed, total)
            cli_times.append(seconds)
        cli = statistics.median(cli_times)
        print(f"openstack server list ({total} servers): median {cli:.2f} s over {len(cli_times)} runs")
        for microversion, seconds, _size in rows:
            print(f"ratio demo-cloud answer / CLI total at {microversion}: {seconds / cli:.3f} "
                  f"(target < 0.1)")


if __name__ == "__main__":
    main()

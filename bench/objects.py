"""Benchmark object storage side by side, in one run, on one demo cloud:

1. listing a container of 10,000 objects: exotui's time to the first screen (one page of 1,000) and to
   every name (pages of 1,000, and one page of 10,000), against `openstack object list`;
2. uploading and downloading 100 MB through the demo: exotui's MB/s (one PUT, and 4 segments of 25 MB),
   against `swift upload`/`swift download` and `openstack object create`/`object save`.

Each CLI figure includes the CLI's start and login (printed as "floor"); exotui's session is logged in
already, as it is in the dashboard when the user opens a container.

    PYTHONPATH=. .venv/bin/python bench/objects.py [--mb 100] [--runs 1]
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

from exotui.cloud.actions import Actions
from exotui.cloud.objects import ObjectStore
from exotui.cloud.poller import ProjectPoller
from exotui.cloud.session import CloudSession
from exotui.cloud.store import ProjectKey, ProjectStore
from exotui.demo import swift as demo_swift
from exotui.demo.app import CLOUD_NAME, DemoCloudThread
from exotui.demo.seed import DEMO_PASSWORD, DEMO_PROJECTS, DEMO_USER
from exotui.demo.world import Knobs

BIN = Path(sys.executable).parent


def run(args: list[str], env: dict, cwd: Path | None = None) -> float:
    start = time.perf_counter()
    subprocess.run(args, env=env, cwd=cwd, capture_output=True, check=True, timeout=900)
    return time.perf_counter() - start


async def exotui_listing(session: CloudSession, container: str) -> tuple[float, float, float, int]:
    objects = ObjectStore(session)
    await objects.endpoint()  # logged in already, as the dashboard is when the user opens a container
    start = time.perf_counter()
    first = await objects.list_page(container, delimiter="")
    to_first = time.perf_counter() - start
    count = 0
    async for page in objects.pages(container, delimiter=""):
        count += len(page.entries)
    to_all = time.perf_counter() - start
    start = time.perf_counter()
    big = await objects.list_page(container, delimiter="", limit=10000)
    one_page = time.perf_counter() - start
    assert first.entries and len(big.entries) == count == 10000, count
    return to_first, to_all, one_page, count


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mb", type=int, default=100)
    parser.add_argument("--runs", type=int, default=1)
    opts = parser.parse_args()
    size = opts.mb << 20
    with tempfile.TemporaryDirectory() as tmp, DemoCloudThread(Knobs(delay_scale=0, ssh=False,
                                                                     object_store_cap=8 * size)) as cloud:
        tmpdir = Path(tmp)
        config = cloud.cloud.write_config(tmpdir)
        env = {k: v for k, v in os.environ.items() if not k.startswith("OS_")}
        cli_env = dict(env, OS_CLIENT_CONFIG_FILE=str(config))
        swift_env = dict(env, OS_AUTH_URL=cloud.auth_url, OS_USERNAME=DEMO_USER, OS_PASSWORD=DEMO_PASSWORD,
                         OS_PROJECT_NAME=DEMO_PROJECTS[0][0], OS_USER_DOMAIN_NAME="Default",
                         OS_PROJECT_DOMAIN_NAME="Default", OS_IDENTITY_API_VERSION="3", OS_REGION_NAME="RegionOne")
        conn = cloud.connect()
        project_id = conn.current_project_id
        cloud.call(demo_swift.fill, cloud.world, project_id, "ten-thousand", 10000)
        conn.object_store.create_container("bulk")
        session = CloudSession(lambda: cloud.connect(), label="bench")
        actions = Actions(session, ProjectStore(ProjectKey("bench", "p")),
                          ProjectPoller(session, ProjectStore(ProjectKey("bench", "p"))))
        src = tmpdir / "payload.bin"
        src.write_bytes(os.urandom(size))
        loop = asyncio.new_event_loop()
        rows: dict[str, list[float]] = {}

        def note(key: str, value: float) -> None:
            rows.setdefault(key, []).append(value)

        for _ in range(opts.runs):
            # each CLI run pays its start and a login; exotui's session is logged in: these are those costs
            note("floor: swift stat", run([str(BIN / "swift"), "stat"], swift_env))
            note("floor: openstack object store account show", run([str(BIN / "openstack"), "--os-cloud",
                                                                   CLOUD_NAME, "object", "store", "account",
                                                                   "show"], cli_env))
            first, every, one, _count = loop.run_until_complete(exotui_listing(session, "ten-thousand"))
            note("list: exotui first screen (1,000)", first)
            note("list: exotui all, pages of 1,000", every)
            note("list: exotui all, one page of 10,000", one)
            note("list: openstack object list (all)", run([str(BIN / "openstack"), "--os-cloud", CLOUD_NAME, "object",
                                                          "list", "ten-thousand", "--all", "-f", "value", "-c",
                                                          "Name"], cli_env))
            start = time.perf_counter()
            result = loop.run_until_complete(actions.upload(src, "bulk", "one-put.bin"))
            assert result.ok, result.message
            note("up: exotui, one PUT", time.perf_counter() - start)
            start = time.perf_counter()
            result = loop.run_until_complete(actions.upload(src, "bulk", "segmented.bin", segment_size=size // 4,
                                                            large_above=size // 2))
            assert result.ok, result.message
            note("up: exotui, 4 segments (resumable)", time.perf_counter() - start)
            note("up: swift upload", run([str(BIN / "swift"), "upload", "--object-name", "by-swift.bin", "bulk",
                                          str(src)], swift_env))
            note("up: swift upload, 4 segments", run([str(BIN / "swift"), "upload", "--segment-size",
                                                      str(size // 4), "--object-name", "by-swift-seg.bin",
                                                      "bulk", str(src)], swift_env))
            note("up: openstack object create", run([str(BIN / "openstack"), "--os-cloud", CLOUD_NAME, "object",
                                                     "create", "bulk", str(src), "--name", "by-osc.bin"], cli_env))
            dest = tmpdir / "down.bin"
            start = time.perf_counter()
            loop.run_until_complete(ObjectStore(session).download("bulk", "one-put.bin", dest, resume=False))
            note("down: exotui", time.perf_counter() - start)
            assert dest.stat().st_size == size
            dest.unlink()
            start = time.perf_counter()
            loop.run_until_complete(ObjectStore(session).download("bulk", "segmented.bin", dest, resume=False))
            note("down: exotui, segmented object", time.perf_counter() - start)
            dest.unlink()
            note("down: swift download", run([str(BIN / "swift"), "download", "bulk", "by-swift.bin", "-o",
                                              str(dest)], swift_env))
            dest.unlink()
            note("down: openstack object save", run([str(BIN / "openstack"), "--os-cloud", CLOUD_NAME, "object",
                                                     "save", "bulk", "by-osc.bin", "--file", str(dest)], cli_env))
            dest.unlink()
        session.close()
        conn.close()
        loop.close()

    med = {k: statistics.median(v) for k, v in rows.items()}
    print(f"object storage on the demo cloud ({opts.runs} run(s), median; {opts.mb} MB transfers)")
    for key in [k for k in med if k.startswith("floor:")]:
        print(f"  {key:42s} {med[key] * 1000:8.0f} ms   (start and login of one CLI run, inside its figures)")
    cli_list = med["list: openstack object list (all)"]
    for key in [k for k in med if k.startswith("list:")]:
        print(f"  {key:42s} {med[key] * 1000:8.0f} ms   {med[key] / cli_list:5.2f}x the CLI")
    for kind, base in (("up", "up: swift upload"), ("down", "down: swift download")):
        for key in [k for k in med if k.startswith(kind + ":")]:
            rate = opts.mb / med[key]
            print(f"  {key:42s} {rate:8.1f} MB/s {med[base] / med[key]:5.2f}x swift's speed")


if __name__ == "__main__":
    main()

"""Usage graphs: Exosphere's one-minute console lines parsed (tolerantly, incrementally), judged at
Exosphere's thresholds, idle-for-a-day shelve candidates, history on disk, and the reporter script."""

from __future__ import annotations

import json
import logging
import subprocess
import sys

import pytest

from exotui.cloud import usage
from exotui.cloud.models import Flavor
from exotui.cloud.units import su_per_hour
from exotui.cloud.usage import ConsoleFollower, Sample, Series, parse_line, parse_log
from exotui.cloud.usage_history import UsageHistory
from exotui.cloud.usage_reporter import SCRIPT, cron_line, install_script
from exotui.cloud.usage_watch import SELDOM, STRIKES
from exotui.demo.app import CLOUD_NAME, DemoCloudThread
from exotui.demo.world import Knobs

LINE = '{"epoch": 1733482800, "cpuPctUsed": 3, "memPctUsed": 21, "rootfsPctUsed": 40, "gpuPctUsed": null}'


# --- the parser -----------------------------------------------------------------------------------------

def test_a_line_as_exosphere_writes_it_plain_or_after_the_kernel_prefix():
    assert parse_line(LINE) == Sample(1733482800, 3, 21, 40, ())
    assert parse_line("[ 2915.727779] " + LINE + "\r") == Sample(1733482800, 3, 21, 40, ())
    assert parse_line("workshop-vm-1 login: " + LINE) == Sample(1733482800, 3, 21, 40, ())


def test_gpu_as_a_list_a_single_int_or_absent_as_exosphere_decodes_it():
    base = {"epoch": 10, "cpuPctUsed": 1, "memPctUsed": 2, "rootfsPctUsed": 3}
    assert parse_line(json.dumps({**base, "gpuPctUsed": [90, 7]})).gpu == (90, 7)
    assert parse_line(json.dumps({**base, "gpuPctUsed": 55})).gpu == (55,)
    assert parse_line(json.dumps(base)).gpu == ()
    # another key order or spacing goes through json, not the fast path
    assert parse_line('{"rootfsPctUsed":3,"memPctUsed":2,"cpuPctUsed":1,"epoch":10}') == Sample(10, 1, 2, 3, ())


@pytest.mark.parametrize("junk", [
    "", "[    0.000000] Linux version 6.8.0", '{"epoch": 1733482800, "cpuPctUsed": 3, "memPctU',  # cut short
    '{"exoSetup": "complete"}', '{"epoch": "soon", "cpuPctUsed": 1, "memPctUsed": 1, "rootfsPctUsed": 1}',
    '{"epoch": 5, "cpuPctUsed": true, "memPctUsed": 1, "rootfsPctUsed": 1}',
    '{"epoch": 5, "cpuPctUsed": 1, "memPctUsed": 1, "rootfsPctUsed": 1, "gpuPctUsed": ["x"]}',
    "[" * 5000 + '{"cpuPctUsed"' + "{" * 100_000, '["cpuPctUsed"]', "\x1b[31m{cpuPctUsed}\x1b[0m",
])
def test_junk_lines_are_skipped_never_raised(junk):
    assert parse_line(junk) is None
    assert list(parse_log(f"{junk}\n{LINE}\n{junk}")) == [Sample(1733482800, 3, 21, 40, ())]


def test_out_of_range_values_are_clamped():
    sample = parse_line('{"epoch": 9, "cpuPctUsed": 250, "memPctUsed": -4, "rootfsPctUsed": 101.5}')
    assert (sample.cpu, sample.mem, sample.disk) == (100, 0, 100)


def _samples(start: int, minutes: int, cpu=1, mem=20, disk=30) -> list[Sample]:
    return [Sample(start + 60 * i, cpu(i) if callable(cpu) else cpu, mem, disk) for i in range(minutes)]


def test_a_series_keeps_one_point_per_minute_in_order_and_only_its_days():
    series = Series(keep=3600)
    assert series.add(_samples(1000, 30)) == 30
    assert series.add(_samples(1000, 40)) == 10  # the overlap is not counted twice
    series.add([Sample(1030, 9, 9, 9)])  # late, in between
    assert series.epochs == sorted(series.epochs) and len(series) == 41
    series.add(_samples(1000 + 60 * 100, 1))
    assert series.epochs[0] >= series.epochs[-1] - 3600


# --- Exosphere's thresholds and idle instances ----------------------------------------------------------

def test_alerts_at_exospheres_thresholds_on_a_recent_point_only():
    def levels(disk, mem, cpu=1, age=60):
        series = Series([Sample(10_000, cpu, mem, disk)])
        return [(a.level, a.metric) for a in usage.alerts(series, 10_000 + age)]

    assert levels(90, 95) == []
    assert levels(91, 96) == [("warning", "disk"), ("warning", "memory")]
    assert levels(96, 10, cpu=96) == [("danger", "disk"), ("info", "cpu")]
    assert levels(99, 99, age=3600) == []  # an hour old: Exosphere shows nothing
    assert usage.level_of("disk", 95) == "warning" and usage.level_of("disk", 96) == "danger"


def test_idle_for_a_day_is_a_shelve_candidate_with_what_it_would_save():
    now = 200 * 86_400
    flavor = Flavor(id="3", name="m3.small", vcpus=2, ram_mb=6144, disk_gb=20)
    saves = su_per_hour(flavor) - su_per_hour(flavor, "SHELVED_OFFLOADED")
    quiet = Series(_samples(now - 30 * 3600, 30 * 60, cpu=lambda i: 1 if i % 7 == 0 else 0))
    found = usage.idle(quiet, now, su_per_hour=saves)
    assert found is not None and found.su_per_hour_saved == saves == 2.0
    assert found.since <= now - 29 * 3600  # idle longer than the day it takes to say so
    # a one-minute spike (apt, cron) does not hide it; an hour of work does
    spiky = Series(_samples(now - 25 * 3600, 25 * 60, cpu=lambda i: 60 if i == 700 else 0))
    assert usage.idle(spiky, now) is not None
    busy_hour = Series(_samples(now - 25 * 3600, 25 * 60, cpu=lambda i: 5 if 600 <= i < 660 else 0))
    assert usage.idle(busy_hour, now) is None
    # not a day of evidence yet, or a gap of hours in it: no verdict
    assert usage.idle(Series(_samples(now - 20 * 3600, 20 * 60, cpu=0)), now) is None
    gappy = Series(_samples(now - 25 * 3600, 6 * 60, cpu=0) + _samples(now - 12 * 3600, 12 * 60, cpu=0))
    assert usage.idle(gappy, now) is None


def test_sparkline_keeps_a_spike_when_squeezed():
    line = usage.sparkline([0] * 500 + [100] + [0] * 499, 20)
    assert len(line) == 20 and "█" in line and line.count(" ") == 19
    assert usage.sparkline([0, 50, 100], 10) == " ▄█"


# --- the demo's instances, read through openstacksdk ----------------------------------------------------

@pytest.fixture()
def timed_demo(tmp_path, monkeypatch):
    """A demo cloud of its own whose clock stands still until the test moves it."""
    knobs = Knobs(delay_scale=0.0, seed=3, frozen_at="2026-12-06T09:00:00+00:00", token_lifetime=30 * 86_400.0,
                  ssh=False)
    with DemoCloudThread(knobs, state_dir=tmp_path / "state") as cloud:
        cloud.cloud.write_config(tmp_path)
        monkeypatch.setenv("OS_CLIENT_CONFIG_FILE", str(tmp_path / "clouds.yaml"))
        yield cloud


@pytest.fixture()
def sdk(timed_demo):
    """openstacksdk connected to the timed demo."""
    import openstack

    conn = openstack.connect(cloud=CLOUD_NAME)
    yield conn


def _server(conn, name):
    return next(s for s in conn.compute.servers() if s.name == name)


def _read(conn, follower: ConsoleFollower, server, now: float) -> tuple[int | None, list[Sample]]:
    length = follower.length(now)
    output = conn.compute.get_server_console_output(server, length=length)["output"]
    return length, follower.feed(output, length)


def test_demo_instances_write_believable_curves(timed_demo, sdk):
    conn = sdk
    now = timed_demo.world.now().timestamp()
    seen = {}
    for name in ("web-frontend", "bigmem-assembly", "gpu-training", "db-primary", "notebook"):
        follower = ConsoleFollower()
        _read(conn, follower, _server(conn, name), now)
        seen[name] = follower.series
    idle, busy, gpu, filling = (seen[n] for n in ("web-frontend", "bigmem-assembly", "gpu-training", "db-primary"))
    assert len(idle) == 12 * 60 + 1 and max(s.cpu for s in idle.samples) <= 1
    assert min(s.cpu for s in busy.samples) >= 88 and busy.newest.mem > busy.samples[0].mem
    assert all(s.gpu for s in gpu.samples) and max(s.gpu[0] for s in gpu.samples) > 90
    assert min(s.gpu[0] for s in gpu.samples) < 15  # evaluation dips
    assert all(not s.gpu for s in idle.samples)
    assert [a.level for a in usage.alerts(filling, now)] == ["warning"]  # 93%: nearly full
    assert len(seen["notebook"]) == 0  # suspended: writes nothing
    assert seen["web-frontend"].newest.epoch == int(now) // 60 * 60


def test_the_console_is_cut_to_its_last_100_kib_as_libvirt_cuts_it(timed_demo, sdk):
    conn, world = sdk, timed_demo.world
    server = _server(conn, "web-frontend")
    before = conn.compute.get_server_console_output(server)["output"]
    assert "-----BEGIN SSH HOST KEY KEYS-----" in before  # twelve hours of lines: the boot is still there
    timed_demo.call(lambda: world.advance(20 * 3600))
    after = conn.compute.get_server_console_output(server)["output"]
    assert len(after.encode()) <= 100 * 1024 and "-----BEGIN SSH HOST KEY KEYS-----" not in after
    assert len(list(parse_log(after))) > 900  # cut mid-line at the front: that line is skipped, not misread
    rocky = conn.compute.get_server_console_output(_server(conn, "bigmem-assembly"), length=2)["output"]
    assert rocky.startswith("[") and parse_line(rocky.splitlines()[0]) is not None  # /dev/kmsg's prefix


def test_following_the_console_reads_only_the_tail_and_finds_the_idle_day(timed_demo, sdk):
    conn, world = sdk, timed_demo.world
    server = _server(conn, "web-frontend")
    follower = ConsoleFollower()
    asked, new = _read(conn, follower, server, world.now().timestamp())
    assert asked is None and len(new) == 12 * 60 + 1  # the first read takes everything
    assert usage.idle(follower.series, world.now().timestamp()) is None  # 12 hours is not a day

    timed_demo.call(lambda: world.advance(5 * 60))
    asked, new = _read(conn, follower, server, world.now().timestamp())
    assert asked == 20 and len(new) == 5  # five minutes later: a 20-line tail, five new points
    asked, new = _read(conn, follower, server, world.now().timestamp())
    assert asked == 10 and new == [] and follower.polls_without_news == 1

    timed_demo.call(lambda: world.advance(13 * 3600))  # the app was closed overnight
    asked, new = _read(conn, follower, server, world.now().timestamp())
    assert asked == 13 * 60 * 2 + 10 and len(new) == 13 * 60
    now = world.now().timestamp()
    found = usage.idle(follower.series, now, su_per_hour=2.0)
    assert found is not None and found.since <= now - 25 * 3600 and found.su_per_hour_saved == 2.0


def test_a_tail_that_skipped_points_makes_the_next_read_whole(timed_demo, sdk):
    conn, world = sdk, timed_demo.world
    server = _server(conn, "db-primary")
    follower = ConsoleFollower()
    _read(conn, follower, server, world.now().timestamp())
    timed_demo.call(lambda: world.advance(3 * 3600))
    # a client that asks too little (as Exosphere's fixed 10 lines would) learns it missed points
    output = conn.compute.get_server_console_output(server, length=10)["output"]
    follower.feed(output, 10)
    assert follower.length(world.now().timestamp()) is None
    _read(conn, follower, server, world.now().timestamp())
    epochs = follower.series.epochs
    assert all(b - a == 60 for a, b in zip(epochs, epochs[1:]))  # no hole left
    assert [a.level for a in usage.alerts(follower.series, world.now().timestamp())] == ["danger"]


# --- history on disk --------------------------------------------------------------------------------------

def test_history_round_trips_atomically_and_stays_bounded(tmp_path):
    history = UsageHistory(tmp_path / "usage", max_samples=100)
    series = Series(_samples(1_000_000, 300) + [Sample(1_000_000 + 300 * 60, 5, 6, 7, (80, 81))])
    history.save("demo", "p1", "srv-1", series)
    back = history.load("demo", "p1", "srv-1")
    assert len(back) == 100 and back.newest == Sample(1_000_000 + 300 * 60, 5, 6, 7, (80, 81))
    assert [p.name for p in (tmp_path / "usage").iterdir()] == [history.path("demo", "p1", "srv-1").name]
    assert len(history.load("demo", "p1", "srv-2")) == 0  # another instance: nothing
    # the ID never becomes a path
    assert history.path("demo", "p1", "../../etc/passwd").parent == tmp_path / "usage"


@pytest.mark.parametrize("content", ['{"v": 1, "server": "srv-1", "samples": [[1, 2', "\x00\xff",
                                     '{"v": 99, "server": "srv-1", "samples": []}', '[]',
                                     '{"v": 1, "server": "srv-1", "samples": [["x", 1, 1, 1, []]]}'])
def test_a_corrupt_history_file_is_ignored_with_one_log_line(tmp_path, caplog, content):
    history = UsageHistory(tmp_path)
    history.path("demo", "p1", "srv-1").write_bytes(content.encode("latin-1"))
    with caplog.at_level(logging.WARNING, logger="exotui.usage"):
        assert len(history.load("demo", "p1", "srv-1")) == 0
    assert len([r for r in caplog.records if r.name == "exotui.usage"]) == 1
    history.save("demo", "p1", "srv-1", Series(_samples(5000, 3)))  # and the next save replaces it
    assert len(history.load("demo", "p1", "srv-1")) == 3


# --- the reporter a non-Exosphere instance can be given ---------------------------------------------------

def test_the_reporter_script_writes_a_line_the_parser_reads(tmp_path):
    script = tmp_path / "system_load_json.py"
    script.write_text(SCRIPT)
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=30, check=True)
    sample = parse_line(done.stdout)
    assert sample is not None and done.stdout.endswith("\n") and done.stdout.count("\n") == 1
    assert 0 <= sample.cpu <= 100 and 0 < sample.mem <= 100 and 0 < sample.disk <= 100


def test_the_cron_entry_and_install_commands_match_exospheres_setup():
    assert cron_line("ubuntu") == "* * * * * root /opt/system_load_json.py > /dev/console"
    assert cron_line("rocky").endswith("> /dev/kmsg")
    text = install_script("ubuntu")
    assert SCRIPT.strip() in text and "/etc/cron.d/exotui-usage" in text
    done = subprocess.run(["bash", "-n"], input=text, capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr  # it parses as the shell it will be typed into


# --- the cloud layer following a project ------------------------------------------------------------------

async def test_the_watcher_follows_a_project_keeps_history_and_names_shelve_candidates(timed_demo, tmp_path):
    import openstack

    from exotui.cloud.actions import Actions
    from exotui.cloud.poller import Intervals, ProjectPoller
    from exotui.cloud.session import CloudSession
    from exotui.cloud.store import ProjectKey, ProjectStore
    from exotui.cloud.usage_watch import UsageWatcher

    world = timed_demo.world
    session = CloudSession(lambda: openstack.connect(cloud=CLOUD_NAME), label="usage-test")
    store = ProjectStore(ProjectKey(CLOUD_NAME, "BIO230045"))
    poller = ProjectPoller(session, store, Intervals(fast=0.05, idle=0.2, others=30))
    await poller.load_all()
    actions = Actions(session, store, poller)
    history = UsageHistory(tmp_path / "usage")
    clock = lambda: world.now().timestamp()  # noqa: E731  (the demo's clock, which the test moves)
    watcher = UsageWatcher(actions, CLOUD_NAME, "p", history, clock=clock)
    by_name = {s.name: s for s in store.get("servers").values()}

    found = await watcher.poll()
    assert {n for n, s in by_name.items() if found.get(s.id)} == {"web-frontend", "bigmem-assembly",
                                                                  "gpu-training", "db-primary"}
    assert [a.metric for a in watcher.alerts(by_name["db-primary"].id)] == ["disk"]
    assert watcher.shelve_candidates(store.get("flavors").values()) == []  # half a day is not a day

    timed_demo.call(lambda: world.advance(13 * 3600))
    again = UsageWatcher(actions, CLOUD_NAME, "p", history, clock=clock)  # exotui restarted: history read back
    assert again.follower(by_name["web-frontend"].id).length(clock()) == 13 * 60 * 2 + 10
    await again.poll()
    candidates = again.shelve_candidates(store.get("flavors").values())
    assert [(s.name, i.su_per_hour_saved) for s, i in candidates] == [("web-frontend", 2.0)]
    # an instance that never writes a line (no reporter) is asked only now and then
    from exotui.demo import nova

    def boot(world):
        old = next(s for s in world.servers.values() if s["name"] == "web-frontend")
        return nova.boot(world, old["tenant_id"], old["user_id"], "no-reporter", old["_flavor_id"],
                         old["image"]["id"], [])["id"]

    quiet_id = timed_demo.call(boot, world)
    await poller.load_all(["servers"])
    quiet = store.item("servers", quiet_id)
    asked = lambda: sum(1 for m, p in world.asked if m == "POST" and quiet_id in p)  # noqa: E731
    for _ in range(2 + SELDOM):
        await again.poll([quiet])
    assert again.follower(quiet_id).polls_without_news == STRIKES + 1 and asked() == STRIKES + 1
    await poller.stop()
    session.close()

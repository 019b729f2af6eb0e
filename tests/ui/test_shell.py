"""The dashboard's shell driven with Pilot against the demo cloud: views, ':' aliases, '/' filter,
projects, live rows, the staleness marker; and the command line's exits before any screen."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from waiting import highlighted_command, until

from exotui.cloud.poller import Intervals
from exotui.cloud.profiles import find_profile, load_profiles
from exotui.cloud.workspace import Workspace
from exotui.demo.app import CLOUD_NAME, DemoCloudThread
from exotui.demo.world import Knobs
from exotui.ui.app import Breadcrumb, ExotuiApp
from exotui.ui.widgets.table import ResourceTable


def _app(clouds_yaml: Path) -> ExotuiApp:
    profile = find_profile(load_profiles(config_file=clouds_yaml), CLOUD_NAME)
    return ExotuiApp(Workspace([profile], intervals=Intervals(fast=0.1, idle=0.3, others=2.0)))


def _crumb(app: ExotuiApp) -> str:
    return str(app.query_one(Breadcrumb).render())


def _title(app: ExotuiApp, view: str) -> str:
    return str(app.query_one(f"#{view} .view-title").render())


async def _loaded(pilot, app: ExotuiApp) -> None:
    await until(pilot, lambda: app.project is not None and app.project.store.state("servers").loaded
                 and len(app.query_one("#table-servers", ResourceTable).items) >= 8)


@pytest.fixture()
def demo_yaml(demo, demo_dir):
    return demo_dir / "clouds.yaml"


async def test_instances_show_with_breadcrumb_and_count(demo_yaml):
    app = _app(demo_yaml)
    async with app.run_test(size=(80, 24)) as pilot:
        await _loaded(pilot, app)
        await until(pilot, lambda: "● live" in _crumb(app))
        assert "exotui-demo / BIO230045 / RegionOne" in _crumb(app)
        table = app.query_one("#table-servers", ResourceTable)
        names = {table.items[i].name for i in table.shown}
        assert {"web-frontend", "archive-node", "gpu-training"} <= names
        assert _title(app, "servers").startswith("Instances (")


async def test_colon_opens_views_by_alias_and_escape_goes_back(demo_yaml):
    app = _app(demo_yaml)
    async with app.run_test(size=(80, 24)) as pilot:
        await _loaded(pilot, app)
        for alias, view in [("vol", "volumes"), ("net", "networks"), ("fips", "floating_ips"),
                            ("sg", "security_groups"), ("images", "images"), ("keypairs", "keypairs"),
                            ("projects", "projects"), ("vm", "servers")]:
            await pilot.press("colon", *alias, "enter")
            assert app.current_view == view, alias
        await pilot.press("colon", *"vol", "enter")
        volumes = app.query_one("#table-volumes", ResourceTable)
        assert {v.name for v in volumes.items.values()} >= {"results", "scratch-data", "spare"}
        await pilot.press("escape")
        assert app.current_view == "servers"
        await pilot.press("colon", *"nosuchview", "enter")
        assert app.current_view == "servers"


async def test_slash_filters_and_escape_clears(demo_yaml):
    app = _app(demo_yaml)
    async with app.run_test(size=(80, 24)) as pilot:
        await _loaded(pilot, app)
        table = app.query_one("#table-servers", ResourceTable)
        total = len(table.shown)
        await pilot.press("slash", *"web")
        await pilot.pause()
        assert [table.items[i].name for i in table.shown] == ["web-frontend"]
        assert "filter: /web" in _title(app, "servers")
        await pilot.press("enter")
        await pilot.press("escape")
        assert len(table.shown) == total
        await pilot.press("slash", *"!ACTIVE", "enter")
        await pilot.pause()
        assert all(table.items[i].status != "ACTIVE" for i in table.shown) and table.shown


async def test_projects_view_switches_the_current_project(demo_yaml):
    app = _app(demo_yaml)
    async with app.run_test(size=(80, 24)) as pilot:
        await _loaded(pilot, app)
        await pilot.press("colon", *"projects", "enter")
        projects = app.query_one("#table-projects", ResourceTable)
        await until(pilot, lambda: len(projects.items) == 2)
        while projects.current.project != "CIS240112":
            await pilot.press("down")
        await pilot.press("enter")
        assert app.current_view == "servers"
        assert app.project.key.project_name == "CIS240112"
        table = app.query_one("#table-servers", ResourceTable)
        await until(pilot, lambda: {table.items[i].name for i in table.shown} == {"workshop-vm-1", "workshop-vm-2"})
        assert "CIS240112" in _crumb(app)


async def test_wide_view_adds_columns(demo_yaml):
    app = _app(demo_yaml)
    async with app.run_test(size=(160, 45)) as pilot:
        await _loaded(pilot, app)
        table = app.query_one("#table-servers", ResourceTable)
        assert "FIXED IP" not in [c.label for c in table.columns]
        await pilot.press("w")
        assert "FIXED IP" in [c.label for c in table.columns] and "KEY" in [c.label for c in table.columns]


async def test_rows_follow_changes_made_elsewhere(demo_yaml, conn):
    app = _app(demo_yaml)
    async with app.run_test(size=(80, 24)) as pilot:
        await _loaded(pilot, app)
        table = app.query_one("#table-servers", ResourceTable)
        target = next(s for s in table.items.values() if s.name == "db-primary")
        conn.compute.lock_server(target.id)
        try:
            await until(pilot, lambda: table.items[target.id].locked, timeout=20)
            row = table._cells[target.id]
            assert "🔒" in row[0].plain  # in the NAME column: STATUS and TASK are words that fit
        finally:
            conn.compute.unlock_server(target.id)


async def test_a_failing_cloud_is_marked_stale(tmp_path):
    with DemoCloudThread(Knobs(delay_scale=0, ssh=False)) as cloud:
        path = cloud.cloud.write_config(tmp_path)
        app = _app(path)
        async with app.run_test(size=(80, 24)) as pilot:
            await _loaded(pilot, app)
            cloud.world.knobs.error_rate = 1.0
            await until(pilot, lambda: "⚠" in _crumb(app), timeout=30)
            assert "503" in _crumb(app)
            assert re.search(r"⚠ stale \d+s", _crumb(app)), "stale data shows its age"
            table = app.query_one("#table-servers", ResourceTable)
            assert len(table.items) == 8, "what was known stays shown"
            cloud.world.knobs.error_rate = 0.0
            await until(pilot, lambda: "● live" in _crumb(app), timeout=30)


async def test_a_slow_failing_cloud_leaves_the_keys_working_until_it_loads(tmp_path):
    """2 s on every answer and 30% of them 503: while nothing has arrived the views, the filter and help
    answer keys at once; the instances still arrive, retried past the 503s, and nothing is shown as an error
    for good."""
    from exotui.ui.screens.help import HelpScreen

    with DemoCloudThread(Knobs(delay_scale=0, ssh=False, latency_ms=2000, error_rate=0.3, seed=3)) as cloud:
        app = _app(cloud.cloud.write_config(tmp_path))
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.press("colon", *"vol", "enter")
            await until(pilot, lambda: "Volumes" in _title(app, "volumes"), what="the volumes view, at once")
            await pilot.press("question_mark")
            await until(pilot, lambda: isinstance(app.screen, HelpScreen), what="help, at once")
            assert app.project is None or not app.project.store.state("servers").loaded, \
                "the keys were answered before the cloud was"
            await pilot.press("escape", "colon", *"vm", "enter")
            await until(pilot, lambda: app.project is not None and app.project.store.state("servers").loaded
                        and len(app.query_one("#table-servers", ResourceTable).items) == 8, timeout=90,
                        what="the instances, through latency and 503s")
            await until(pilot, lambda: "● live" in _crumb(app), timeout=90, what="live again after the 503s")


def _exotui(*args: str, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "exotui", *args], capture_output=True, text=True, timeout=60,
                          env=env, stdin=subprocess.DEVNULL)


def test_unknown_cloud_exits_1_with_one_line(demo_yaml):
    env = {k: v for k, v in os.environ.items() if not k.startswith("OS_")}
    env["OS_CLIENT_CONFIG_FILE"] = str(demo_yaml)
    done = _exotui("--cloud", "nope", env=env)
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "nope" in lines[0] and "exotui-demo" in lines[0]
    assert "\x1b[" not in done.stderr, "no screen was drawn"


def test_broken_clouds_yaml_exits_1_with_its_line(tmp_path):
    broken = tmp_path / "clouds.yaml"
    broken.write_text("clouds:\n  mine:\n    auth: {auth_url: x\n  password: hunter2\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("OS_")}
    env["OS_CLIENT_CONFIG_FILE"] = str(broken)
    done = _exotui(env=env)
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "line" in lines[0] and "hunter2" not in done.stderr
    assert "\x1b[" not in done.stderr


async def test_the_palette_opens_views(demo_yaml):
    app = _app(demo_yaml)
    async with app.run_test(size=(80, 24)) as pilot:
        await _loaded(pilot, app)
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"open view volumes")
        await until(pilot, lambda: "volumes" in highlighted_command(app.screen).lower(), what="the palette's match")
        await pilot.press("enter")
        await until(pilot, lambda: app.current_view == "volumes")


async def test_the_palette_closes_once_however_often_it_is_answered(demo_yaml):
    """Two answers queued before the palette has closed (enter enter, enter esc) dismissed Textual's palette
    twice: the second popped the dashboard itself (ScreenStackError, found by the monkey in CI)."""
    from textual.command import CommandPalette

    app = _app(demo_yaml)
    async with app.run_test(size=(80, 24)) as pilot:
        await _loaded(pilot, app)
        for _ in range(2):
            await pilot.press("ctrl+p")
            await until(pilot, lambda: isinstance(app.screen, CommandPalette), what="the palette")
            palette = app.screen
            palette._action_escape()
            palette._action_escape()  # before the first pop has landed
            palette._select_or_command()
            await until(pilot, lambda: not palette.is_attached, what="the palette gone")
            await pilot.pause()  # and every pop queued with it, handled
            assert app.is_running and len(app.screen_stack) == 1 and not isinstance(app.screen, CommandPalette)
        # a search started by a key typed as the palette closes finds its list gone: nothing to search for
        await pilot.press("ctrl+p")
        await until(pilot, lambda: isinstance(app.screen, CommandPalette), what="the palette")
        palette = app.screen
        palette._action_escape()
        await until(pilot, lambda: not palette.is_attached, what="the palette gone")
        await palette._gather_commands("open").wait()
        await pilot.pause()  # what the search posted, handled
        assert app.is_running and app._exception is None
        # an open, unanswered palette whose list is not mounted (yet, or any more): the search is dropped
        from textual.command import CommandList

        await pilot.press("ctrl+p")
        await until(pilot, lambda: isinstance(app.screen, CommandPalette), what="the palette")
        palette = app.screen
        await palette.query_one(CommandList).remove()
        await palette._gather_commands("open").wait()
        await pilot.pause()
        assert app.is_running and app._exception is None and app.screen is palette
        palette._action_escape()
        await until(pilot, lambda: not palette.is_attached, what="the palette gone")
        await pilot.press("colon", *"vol", "enter")
        await until(pilot, lambda: app.current_view == "volumes", what="the dashboard, still answering")

"""What the header and pollers do for the project on screen: its view's kinds polled often, others not."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.timeout(120)


async def test_the_view_on_screen_is_watched(open_ui):
    async with open_ui() as ui:
        app = ui.app
        assert {"servers", "floating_ips"} <= ui.project.poller.watched
        others = [p for p in app.workspace.projects if p is not ui.project]
        assert others and all(not p.poller.watched for p in others)
        app.show_view("volumes")
        assert "volumes" in ui.project.poller.watched
        app.action_back()
        assert "volumes" not in ui.project.poller.watched and "servers" in ui.project.poller.watched


async def test_a_failed_login_stays_in_the_header_and_projects_until_it_works(tmp_path):
    import os
    import socket

    import yaml

    from exotui.cloud.profiles import load_profiles
    from exotui.cloud.workspace import Workspace
    from exotui.ui.app import Breadcrumb, ExotuiApp
    from exotui.ui.widgets.projects import ProjectsView
    from waiting import until

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    path = tmp_path / "clouds.yaml"
    path.write_text(yaml.safe_dump({"clouds": {"away": {
        "auth": {"auth_url": f"http://127.0.0.1:{port}/identity/v3", "username": "u", "password": "p",
                 "project_name": "x", "user_domain_name": "Default", "project_domain_name": "Default"},
        "auth_type": "password", "region_name": "RegionOne", "identity_api_version": 3}}}))
    os.chmod(path, 0o600)
    app = ExotuiApp(Workspace(load_profiles(config_file=path, env={})))
    async with app.run_test(size=(120, 30)) as pilot:
        def crumb() -> str:
            return str(app.screen_stack[0].query_one(Breadcrumb).render())

        await until(pilot, lambda: "retrying in" in crumb(), what="the failure in the header")
        assert "away" in crumb() and "connection refused" in crumb() and "ctrl+r" in crumb()
        projects = app.query_one(ProjectsView)
        assert "away ⚠" in projects.rows and "retrying in" in projects.rows["away ⚠"].error
        await until(pilot, lambda: app.workspace.problems[0].attempts == 2, timeout=5, what="a retry in the background")
        assert app.workspace.problems[0].retry_in() >= 3  # the pause grows: 2 s, then 4 s
        await pilot.press("ctrl+r")  # retry now, not after the pause
        await until(pilot, lambda: app.workspace.problems[0].attempts == 3, timeout=1.5, what="a retry at once")


async def test_age_moves_on_and_only_changed_rows_repaint(open_ui):
    """AGE is re-rendered once a minute (here: by hand), and only rows whose text changed are touched."""
    import datetime as dt

    from exotui.ui.widgets import views

    async with open_ui() as ui:
        table = ui.app.query_one("#table-servers")
        sid = await ui.boot("age-ticks")
        assert views.age(ui.store.item("servers", sid).created) == "<1m"
        before = dict(table._cells)
        assert table.refresh_column("age") == 0, "nothing changed: nothing repainted"
        assert all(table._cells[i] is before[i] for i in before)
        # two minutes after it was made by the cloud's clock (which other tests may have moved on)
        created = dt.datetime.fromisoformat(ui.store.item("servers", sid).created.replace("Z", "+00:00"))
        later = max(created, dt.datetime.now(dt.timezone.utc)) + dt.timedelta(minutes=2, seconds=1)
        real_age = views.age
        views.age = lambda created, now=None: real_age(created, now or later)
        painted = []
        real_refresh = table.refresh
        table.refresh = lambda *regions, **kw: (painted.extend(regions), real_refresh(*regions, **kw))
        try:
            changed = table.refresh_column("age")
        finally:
            views.age = real_age
            del table.refresh
        assert changed >= 1 and table._cells[sid] is not before[sid]
        # only the AGE cells are repainted, not their whole rows
        x, width = table._column_span(next(n for n, c in enumerate(table.all_columns) if c.key == "age"))
        assert painted and all(r.x == x and r.width == width == 4 and r.height == 1 for r in painted), painted
        assert "2m" in ui.row_text(sid)


async def test_an_action_without_an_answer_says_it_is_waiting(open_ui, monkeypatch):
    from exotui.ui import flows as flows_module

    monkeypatch.setattr(flows_module, "WAITING_EVERY", 0.3)
    async with open_ui() as ui:
        sid = await ui.boot("slow-answer")
        notes = []
        original = ui.app.notify
        monkeypatch.setattr(ui.app, "notify", lambda message, **kw: (notes.append(message), original(message, **kw)))
        ui.demo.world.knobs.latency_ms = 1500  # every answer comes late
        try:
            result = await ui.app.flows.run(ui.project, "lock slow-answer",
                                            lambda: ui.project.actions.run(sid, "lock"), quiet=True)
        finally:
            ui.demo.world.knobs.latency_ms = 0
        assert result is not None and result.ok
        assert any("lock slow-answer: still waiting for the cloud" in n for n in notes), notes
        running = [t for t in list(ui.app._timers) if t._task is not None
                   and "still_waiting" in getattr(t._callback, "__qualname__", "")]
        assert not running, "no more once it is answered: the note's timer is stopped"
        await ui.project.actions.run(sid, "unlock")


async def test_after_an_api_restart_the_table_equals_the_cloud(tmp_path):
    """The demo cloud stopped and started with other instances on the same port while the dashboard is
    open: the table shows exactly what `openstack server list` (here: openstacksdk) says, no ghosts."""
    import asyncio

    from exotui.cloud.poller import Intervals
    from exotui.cloud.profiles import find_profile, load_profiles
    from exotui.cloud.workspace import Workspace
    from exotui.demo.app import CLOUD_NAME, DemoCloudThread
    from exotui.demo.seed import DEMO_PROJECTS
    from exotui.demo.world import Knobs
    from exotui.ui.app import ExotuiApp
    from waiting import until

    name = DEMO_PROJECTS[0][0]
    first = DemoCloudThread(Knobs(delay_scale=0, ssh=False, seed=3))
    first.__enter__()
    second = None
    try:
        first.cloud.write_config(tmp_path)
        profile = find_profile(load_profiles(config_file=tmp_path / "clouds.yaml", env={}), CLOUD_NAME)
        app = ExotuiApp(Workspace([profile], intervals=Intervals(fast=0.1, idle=0.3, max_backoff=0.5)))
        async with app.run_test(size=(100, 30)) as pilot:
            def project():
                return next((p for p in app.workspace.projects if p.key.project_name == name), None)

            await until(pilot, lambda: project() is not None and project().store.state("servers").loaded,
                        what="the project")
            app.select_project(project())
            table = app.query_one("#table-servers")
            old = set(table.shown)
            assert old
            await asyncio.to_thread(first.stop)  # the app's loop goes on meanwhile, as with a real restart
            # the same seed (so the same project IDs, as a real cloud keeps them), other instances
            second = DemoCloudThread(Knobs(delay_scale=0, ssh=False, seed=3, servers=4), port=first.cloud.port)
            second.__enter__()
            conn = second.connect(project=name)
            cloud = {s.id for s in conn.compute.servers()}
            conn.close()
            assert cloud and not cloud & old
            await until(pilot, lambda: set(table.shown) == cloud, timeout=20, what="the table to equal the cloud")
            assert len(table.shown) == len(set(table.shown)) == len(cloud)
            assert "● live" in str(app.screen_stack[0].query_one("#crumb").render())
    finally:
        if second is not None:
            second.stop()
        first.stop()


async def test_nobody_looking_polls_slowly_until_focus_or_a_key_comes_back(open_ui):
    """A terminal's focus-out (tmux detached, another window raised) puts the shown project on the slow
    schedule; focus-in, or any key, lists what is on screen at once and watches it again."""
    from textual import events

    from waiting import until

    async with open_ui() as ui:
        app, poller = ui.app, ui.project.poller
        app.show_view("volumes")
        assert "volumes" in poller.watched
        app.post_message(events.AppBlur())
        await until(ui.pilot, lambda: not poller.watched, what="the shown project unwatched")
        assert poller.next_delay() == poller.intervals.background
        app.post_message(events.AppFocus())
        await until(ui.pilot, lambda: {"servers", "volumes"} <= poller.watched, what="watched again on focus")
        assert poller.next_delay() <= poller.intervals.idle
        app.post_message(events.AppBlur())
        await until(ui.pilot, lambda: not poller.watched, what="unwatched again")
        await ui.pilot.press("j")  # a key means someone is there, focus report or not
        await until(ui.pilot, lambda: "volumes" in poller.watched, what="watched again on a key")

"""The `:clusters` screen and a cluster's detail on the demo's Magnum: rows with status, nodes, masters, template and
age; the detail links to the Heat stack behind the cluster; `a` lists the actions (the table's), resize takes a
worker count typed (bad input: one line), delete asks first and is sent once, a kubeconfig is written mode 600.
And the 80x24 snapshots of both screens, on a demo cloud of their own."""

from __future__ import annotations

import datetime as dt
import stat

import pytest
from test_snapshots_storage import compare_snapshot
from textual.widgets import Input, Static
from waiting import settled_screenshot, until

from exotui.cloud.poller import Intervals
from exotui.cloud.profiles import find_profile, load_profiles
from exotui.cloud.workspace import Workspace
from exotui.demo import magnum
from exotui.demo.app import CLOUD_NAME, DemoCloudThread
from exotui.demo.world import Knobs
from exotui.ui.app import ExotuiApp
from exotui.ui.dialogs import ChoiceDialog, ConfirmDialog, PromptDialog
from exotui.ui.screens.clusters import ClusterDetail, ClustersScreen
from exotui.ui.screens.stacks import StackDetail
from exotui.ui.widgets import views

TEMPLATE = "kubernetes-1-30-jammy"
FROZEN = "2026-11-20T09:00:00+00:00"


def make_cluster(demo, name: str, project: str, nodes: int = 2) -> str:
    """A cluster put in the demo world behind the app's back (as Magnum's API would make it), with its stack."""

    def make(world) -> str:
        pid = next(p["id"] for p in world.projects.values() if p["name"] == project)
        user = next(u["id"] for u in world.users.values() if u["name"] == "demo")
        return magnum.new_cluster(world, {"project_id": pid, "user_id": user},
                                  {"cluster_template_id": TEMPLATE, "name": name, "node_count": nodes})["uuid"]

    return demo.call(make, demo.world)


async def open_clusters(ui, ident: str) -> ClustersScreen:
    for key in ("colon", *"clusters", "enter"):
        await ui.pilot.press(key)
    await ui.until(lambda: isinstance(ui.app.screen, ClustersScreen), what="the clusters screen")
    screen = ui.app.screen
    await ui.until(lambda: ident in screen.keys, what="the cluster's row")
    screen.query_one("#listing").move_cursor(row=screen.keys.index(ident))
    return screen


def notified(ui, words: str) -> bool:
    return any(words in n.message for n in ui.app._notifications)


async def test_list_detail_stack_link_and_resize_from_the_menu(open_ui):
    async with open_ui() as ui:
        ident = make_cluster(ui.demo, "ui-k8s", ui.project.key.project_name)
        screen = await open_clusters(ui, ident)
        await ui.until(lambda: ui.store.item("clusters", ident).status == "CREATE_COMPLETE", what="complete")
        row = [str(c) for c in screen.query_one("#listing").get_row(ident)]
        assert row[:5] == ["ui-k8s", "CREATE_COMPLETE", "2", "1", TEMPLATE] and row[5] in ("<1m", "1m")
        assert "clusters" in ui.project.poller.watched

        await ui.pilot.press("enter")
        await ui.until(lambda: isinstance(ui.app.screen, ClusterDetail), what="the detail")
        detail = ui.app.screen
        cluster = ui.store.item("clusters", ident)
        await ui.until(lambda: "stack" in detail.keys and ui.store.item("stacks", cluster.stack_id) is not None,
                       what="the stack row")
        await ui.until(lambda: str(detail.query_one("#listing").get_row("stack")[1]).startswith("→ ui-k8s-"),
                       what="the stack linked")
        assert str(detail.query_one("#listing").get_row("reason")[1]) == "Stack CREATE completed successfully"
        detail.query_one("#listing").move_cursor(row=detail.keys.index("stack"))
        await ui.pilot.press("enter")
        await ui.until(lambda: isinstance(ui.app.screen, StackDetail), what="the stack's detail")
        assert ui.app.screen.stack.id == cluster.stack_id
        await ui.pilot.press("escape")
        await ui.until(lambda: ui.app.screen is detail, what="back on the cluster")
        assert {"clusters", "stacks"} <= ui.project.poller.watched  # given back after the stack's screen closed

        # a: the table's actions; resize asks for the count, bad input gets one line
        await ui.pilot.press("a")
        await ui.until(lambda: isinstance(ui.app.screen, ChoiceDialog), what="the actions")
        assert [c.id for c in ui.app.screen.choices] == ["resize", "kubeconfig", "delete"]
        await ui.pilot.press("enter")
        await ui.until(lambda: isinstance(ui.app.screen, PromptDialog), what="the count prompt")
        prompt = ui.app.screen
        await ui.until(lambda: prompt.query(Input), what="its input")
        prompt.query_one(Input).value = ""
        await ui.pilot.press(*"two", "enter")
        error = prompt.query_one(".dialog-error", Static)
        await ui.until(lambda: "whole number" in str(error.render()), what="one line for bad input")
        assert str(error.render()).count("\n") == 0 and ui.app.screen is prompt
        prompt.query_one(Input).value = "2"
        await ui.pilot.press("enter")
        await ui.until(lambda: "2 worker nodes already" in str(error.render()), what="the same count refused")
        prompt.query_one(Input).value = "3"
        await ui.pilot.press("enter")
        await ui.until(lambda: ui.store.item("clusters", ident).node_count == 3, what="resized")
        await ui.until(lambda: str(detail.query_one("#listing").get_row("nodes")[1]).startswith("3 workers"),
                       what="the detail redrawn")
        resizes = [s for s in ui.sent if s[1] == "POST" and s[2] == f"/clusters/{ident}/actions/resize"]
        assert len(resizes) == 1
        await ui.pilot.press("escape")
        assert (await ui.project.actions.delete_cluster(ui.store.item("clusters", ident))).ok


async def test_delete_asks_first_and_is_sent_once_kubeconfig_mode_600(open_ui, tmp_path):
    async with open_ui() as ui:
        ident = make_cluster(ui.demo, "doomed-k8s", ui.project.key.project_name, nodes=1)
        screen = await open_clusters(ui, ident)
        await ui.until(lambda: ui.store.item("clusters", ident).status == "CREATE_COMPLETE", what="complete")

        await ui.pilot.press("k")
        await ui.until(lambda: isinstance(ui.app.screen, PromptDialog), what="where to write it")
        prompt = ui.app.screen
        await ui.until(lambda: prompt.query(Input), what="its input")
        assert prompt.query_one(Input).value == "~/doomed-k8s.kubeconfig"
        prompt.query_one(Input).value = str(tmp_path / "nowhere" / "config")
        await ui.pilot.press("enter")
        error = prompt.query_one(".dialog-error", Static)
        await ui.until(lambda: "no such folder" in str(error.render()), what="one line")
        target = tmp_path / "doomed.kubeconfig"
        prompt.query_one(Input).value = str(target)
        await ui.pilot.press("enter")
        await ui.until(lambda: target.exists() and notified(ui, "export KUBECONFIG="), what="written")
        assert stat.S_IMODE(target.stat().st_mode) == 0o600 and "client-key-data" in target.read_text()

        await ui.pilot.press("ctrl+d")
        await ui.until(lambda: isinstance(ui.app.screen, ConfirmDialog), what="the confirmation")
        assert "doomed-k8s" in ui.app.screen.title_text
        await ui.pilot.press("n")  # refused: nothing sent
        await ui.until(lambda: ui.app.screen is screen, what="back on the list")
        assert not [s for s in ui.sent if s[1] == "DELETE"]
        await ui.pilot.press("ctrl+d")
        await ui.until(lambda: isinstance(ui.app.screen, ConfirmDialog), what="asked again")
        await ui.pilot.press("y", "y")
        await ui.until(lambda: ident not in screen.keys, timeout=30, what="the cluster gone")
        assert len([s for s in ui.sent if s[1] == "DELETE" and s[2] == f"/clusters/{ident}"]) == 1


async def test_read_only_refuses_resize_in_one_line_but_writes_a_kubeconfig(open_ui, tmp_path):
    async with open_ui() as ui:
        ident = make_cluster(ui.demo, "ro-k8s", ui.project.key.project_name, nodes=1)
        ui.project.actions.readonly = True
        try:
            screen = await open_clusters(ui, ident)
            await ui.pilot.press("r")
            await ui.until(lambda: notified(ui, "read-only"), what="refused")
            assert not isinstance(ui.app.screen, PromptDialog)
            # a kubeconfig changes nothing in the cloud (its CSR's POST is a read): asked for, not refused
            await ui.pilot.press("k")
            await ui.until(lambda: isinstance(ui.app.screen, PromptDialog), what="where to write it")
            prompt = ui.app.screen
            await ui.until(lambda: prompt.query(Input), what="its input")
            prompt.query_one(Input).value = str(tmp_path / "ro.kubeconfig")
            await ui.pilot.press("enter")
            await ui.until(lambda: (tmp_path / "ro.kubeconfig").exists() and ui.app.screen is screen, what="written")
        finally:
            ui.project.actions.readonly = False
        assert (await ui.project.actions.delete_cluster(ui.store.item("clusters", ident))).ok


async def test_search_finds_a_cluster_and_enter_opens_its_detail(open_ui):
    from exotui.ui.screens.search import SearchScreen

    async with open_ui() as ui:
        ident = make_cluster(ui.demo, "findable-k8s", ui.project.key.project_name, nodes=1)
        ui.project.poller.kick("clusters")
        await ui.until(lambda: ui.store.item("clusters", ident) is not None, what="the cluster in the store")
        await ui.pilot.press("colon", *"search", "enter")
        await ui.until(lambda: isinstance(ui.app.screen, SearchScreen), what=":search")
        search = ui.app.screen
        await ui.pilot.press(*"findable")
        await ui.until(lambda: any(h.kind == "clusters" and h.item_id == ident for h in search.hits), what="the hit")
        await ui.until(lambda: search.current is not None and search.current.item_id == ident, what="highlighted")
        await ui.pilot.press("enter")
        await ui.until(lambda: isinstance(ui.app.screen, ClusterDetail), what="the cluster's detail")
        assert ui.app.screen.cluster_id == ident
        assert (await ui.project.actions.delete_cluster(ui.store.item("clusters", ident))).ok


async def test_help_lists_the_clusters_keys(open_ui):
    """? on :clusters and a cluster's detail: each screen's own keys with their descriptions (test_help's check)."""
    from test_help import check, read_help  # beside this file

    async with open_ui() as ui:
        app = ui.app
        ident = make_cluster(ui.demo, "help-k8s", ui.project.key.project_name, nodes=1)
        await open_clusters(ui, ident)
        rows, text = await read_help(ui)
        check(app, app.screen, [ClustersScreen, ExotuiApp], rows, text)
        assert any(row.description == "Resize" and "r" in row.keys for row in rows)
        await ui.pilot.press("enter")
        await ui.until(lambda: isinstance(app.screen, ClusterDetail), what="the detail")
        rows, text = await read_help(ui)
        check(app, app.screen, [ClusterDetail, ExotuiApp], rows, text)
        assert any(row.description == "Kubeconfig" for row in rows)
        assert (await ui.project.actions.delete_cluster(ui.store.item("clusters", ident))).ok


# --- snapshots ----------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def cluster_cloud(tmp_path_factory):
    folder = tmp_path_factory.mktemp("cluster-cloud")
    # the cloud's clock stands still (the same IDs and times every run); the ages are read 3 days on
    with DemoCloudThread(Knobs(delay_scale=0.0, seed=0, ssh=False, frozen_at=FROZEN),
                         state_dir=folder / "state") as cloud:
        make_cluster(cloud, "lab-k8s", project="BIO230045", nodes=3)
        make_cluster(cloud, "gpu-k8s", project="BIO230045", nodes=1)
        yield cloud.cloud.write_config(folder)


@pytest.fixture(autouse=True)
def no_user_themes(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    monkeypatch.setattr(views, "clock", lambda: dt.datetime.fromisoformat(FROZEN) + dt.timedelta(days=3))


@pytest.mark.parametrize("name", ["clusters", "cluster"])
async def test_snapshot(cluster_cloud, tmp_path, name):
    profile = find_profile(load_profiles(config_file=cluster_cloud), CLOUD_NAME)
    app = ExotuiApp(Workspace([profile], intervals=Intervals(fast=0.1, idle=0.5)))
    async with app.run_test(size=(80, 24)) as pilot:
        def bio():
            return next((p for p in app.workspace.projects if p.key.project_name == "BIO230045"
                         and p.store.state("servers").loaded), None)

        await until(pilot, bio, timeout=20, what="the project")
        project = bio()
        app.select_project(project)
        await pilot.press("colon", *"clusters", "enter")
        await until(pilot, lambda: isinstance(app.screen, ClustersScreen), what=":clusters")
        screen = app.screen
        await until(pilot, lambda: len(screen.keys) == 2, what="both clusters")
        if name == "cluster":
            screen.query_one("#listing").move_cursor(row=0)
            await pilot.press("enter")
            await until(pilot, lambda: isinstance(app.screen, ClusterDetail), what="the detail")
            screen = app.screen
            ready = lambda: str(screen.query_one("#listing").get_row("stack")[1]).startswith("→")  # noqa: E731
        else:
            ready = lambda: "2 clusters" in str(screen.query_one("#listing-status").render())  # noqa: E731
        svg = await settled_screenshot(pilot, app, ready, timeout=20, what=name)
    compare_snapshot(name, svg, tmp_path)

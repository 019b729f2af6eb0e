"""80x24 SVG snapshots of the instance detail with its usage sparklines (gpu-training: CPU, memory, disk, GPU)
and its History tab (analysis-rocky: a failed resize), on a demo cloud whose clock and the app's stand still
(as screenshots/make.py has them), so every run draws the same screen. Regenerate with
`EXOTUI_UPDATE_SNAPSHOTS=1 pytest tests/ui/test_instance_snapshots.py` and look at tests/ui/snapshots/."""

from __future__ import annotations

from datetime import datetime

import pytest
from test_snapshots import assert_snapshot  # beside this file
from textual.widgets import Static
from waiting import settled_screenshot, until

from exotui.cloud.poller import Intervals
from exotui.cloud.profiles import find_profile, load_profiles
from exotui.cloud.store import KINDS
from exotui.cloud.workspace import Workspace
from exotui.demo.app import CLOUD_NAME, DemoCloudThread
from exotui.demo.world import Knobs
from exotui.ui.app import Breadcrumb, ExotuiApp
from exotui.ui.screens.detail import InstanceDetail
from exotui.ui.widgets import views

FROZEN = "2026-12-01T12:00:00+00:00"


@pytest.fixture(scope="module")
def frozen_cloud(tmp_path_factory):
    folder = tmp_path_factory.mktemp("frozen-cloud")
    with DemoCloudThread(Knobs(delay_scale=0.0, seed=0, ssh=False, frozen_at=FROZEN),
                         state_dir=folder / "state") as cloud:
        yield cloud.cloud.write_config(folder)


@pytest.fixture(autouse=True)
def still(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    monkeypatch.setenv("EXOTUI_STATE_DIR", str(tmp_path / "state"))  # no usage history from another test
    monkeypatch.setattr(views, "clock", lambda: datetime.fromisoformat(FROZEN))


def _body(screen, selector: str) -> str:
    widget = screen.part(selector, Static)
    return str(widget.render()) if widget is not None else ""


async def detail_svg(clouds_yaml, name: str, tab: str | None, ready) -> str:
    profile = find_profile(load_profiles(config_file=clouds_yaml), CLOUD_NAME)
    app = ExotuiApp(Workspace([profile], intervals=Intervals(fast=0.1, idle=0.5)))
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: app.project is not None and all(app.project.store.state(k).loaded for k in KINDS)
                    and "● live" in str(app.query_one(Breadcrumb).render()), timeout=20, what="the demo loaded")
        sid = next(s.id for s in app.project.store.get("servers").values() if s.name == name)
        app.flows.open_detail(sid, app.project)
        await until(pilot, lambda: isinstance(app.screen, InstanceDetail) and app.screen.part("#detail-body", Static),
                    what="the detail")
        screen = app.screen
        if tab:
            await until(pilot, lambda: screen.part(f"#tab-{tab}", object) is not None, what="the tabs")
            await pilot.press(tab[0])
        return await settled_screenshot(pilot, app, lambda: ready(screen), what=f"{name}'s detail")


async def test_detail_with_usage_80x24(frozen_cloud, tmp_path):
    svg = await detail_svg(frozen_cloud, "gpu-training", None, lambda s: "GPU " in _body(s, "#detail-body"))
    assert "GPU" in svg and "Memory" in svg
    assert_snapshot("detail-usage-80x24", svg, tmp_path)


async def test_detail_history_80x24(frozen_cloud, tmp_path):
    svg = await detail_svg(frozen_cloud, "analysis-rocky", "history",
                           lambda s: "newest first" in _body(s, "#history-state"))
    assert "FAILED" in svg
    assert_snapshot("detail-history-80x24", svg, tmp_path)

"""SVG snapshots at 80x24 of the search screen and the service-units screen (regenerate with
EXOTUI_UPDATE_SNAPSHOTS=1 and look at tests/ui/snapshots/ before committing). The search screen runs on
test_snapshots' own seeded demo cloud; the units screen draws allocation dates the demo seeds relative to its
clock and days counted from the app's, so it runs on test_instance_snapshots' frozen cloud with the app's clock
stopped at the same moment (a snapshot taken on 2026-12-06 failed CI the next day: `ends 2027-05-20` had become
`ends 2027-05-21`)."""

from __future__ import annotations

from datetime import datetime

from test_instance_snapshots import FROZEN, frozen_cloud  # noqa: F401 (fixture)
from test_snapshots import assert_snapshot, no_user_themes, screen_svg, snapshot_cloud  # noqa: F401 (fixtures)

from exotui.ui.screens import allocations
from exotui.ui.widgets import views


async def test_search_snapshot(snapshot_cloud, tmp_path):  # noqa: F811
    svg = await screen_svg(snapshot_cloud, (80, 24), ("colon", *"search", "enter", *"web"))
    assert_snapshot("search-80x24", svg, tmp_path)


async def test_units_snapshot(frozen_cloud, tmp_path, monkeypatch):  # noqa: F811
    for module in (views, allocations):  # allocations imported views' clock by name
        monkeypatch.setattr(module, "clock", lambda: datetime.fromisoformat(FROZEN))
    # the first instance marked: the screen's what-if is about it
    svg = await screen_svg(frozen_cloud, (80, 24), ("space", "colon", *"units", "enter"))
    assert_snapshot("units-80x24", svg, tmp_path)

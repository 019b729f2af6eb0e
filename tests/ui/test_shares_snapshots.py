"""SVG snapshots at 80x24 of the `:shares` screen and a share's detail, on test_snapshots' own seeded demo cloud
(regenerate with EXOTUI_UPDATE_SNAPSHOTS=1 and look at tests/ui/snapshots/ before committing)."""

from __future__ import annotations

import pytest
from test_snapshots import assert_snapshot, no_user_themes, screen_svg, snapshot_cloud  # noqa: F401 (fixtures)


@pytest.mark.parametrize("name, keys", [
    ("shares-80x24", ("colon", *"shares", "enter")),
    # the first share (genomics-scratch) opened: its export location and its cephx rule
    ("share-detail-80x24", ("colon", *"shares", "enter", "enter")),
])
async def test_snapshot(snapshot_cloud, tmp_path, name, keys):  # noqa: F811
    svg = await screen_svg(snapshot_cloud, (80, 24), keys)
    assert_snapshot(name, svg, tmp_path)

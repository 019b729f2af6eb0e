"""SVG snapshots at 80x24 of the launch form (every option, scrolled to its end) and of a project's detail (a meter
for every quota the cloud reports), on the frozen demo cloud of test_instance_snapshots."""

from __future__ import annotations

import pytest
from test_instance_snapshots import frozen_cloud, still  # noqa: F401 (fixtures: the frozen cloud, a still clock)
from test_snapshots import assert_snapshot, screen_svg  # beside this file


@pytest.mark.parametrize("name, keys", [
    ("launch-form", ("n",)),
    ("project-detail", ("colon", *"projects", "enter", "d")),
    ("project-detail-quotas", ("colon", *"projects", "enter", "d", "end")),
])
async def test_launch_and_quota_snapshot(frozen_cloud, tmp_path, name, keys):  # noqa: F811
    svg = await screen_svg(frozen_cloud, (80, 24), keys)
    assert_snapshot(f"{name}-80x24", svg, tmp_path)

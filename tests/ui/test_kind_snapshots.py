"""SVG snapshots at 80x24 of the generic detail (a network: fields, then links) and of the YAML screen (a server
group), on the frozen demo cloud of test_instance_snapshots, so its IDs and times are the same every run."""

from __future__ import annotations

import pytest
from test_instance_snapshots import frozen_cloud, still  # noqa: F401 (fixtures: the frozen cloud, a still clock)
from test_snapshots import assert_snapshot, screen_svg  # beside this file


@pytest.mark.parametrize("name, keys", [
    ("network-detail", ("colon", *"net", "enter", "d")),
    ("servergroup-yaml", ("colon", *"servergroups", "enter", "y")),
    ("router-add-subnet", ("colon", *"routers", "enter", "a")),  # a write's choice, refusals dimmed with why
])
async def test_kind_snapshot(frozen_cloud, tmp_path, name, keys):  # noqa: F811
    svg = await screen_svg(frozen_cloud, (80, 24), keys)
    assert_snapshot(f"{name}-80x24", svg, tmp_path)

"""SVG snapshots at 80x24 of the generic detail (a network: fields, then links) and of the YAML screen (a server
group), on a demo cloud whose clock stands still, so its IDs and times are the same every run."""

from __future__ import annotations

import pytest
from test_snapshots import assert_snapshot, screen_svg  # beside this file

from exotui.demo.app import DemoCloudThread
from exotui.demo.world import Knobs

FROZEN = "2026-12-01T12:00:00+00:00"  # as screenshots/make.py


@pytest.fixture(scope="module")
def frozen_cloud(tmp_path_factory):
    folder = tmp_path_factory.mktemp("frozen-cloud")
    with DemoCloudThread(Knobs(delay_scale=0.0, seed=0, ssh=False, frozen_at=FROZEN),
                         state_dir=folder / "state") as cloud:
        yield cloud.cloud.write_config(folder)


@pytest.fixture(autouse=True)
def no_user_themes(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))


@pytest.mark.parametrize("name, keys", [
    ("network-detail", ("colon", *"net", "enter", "d")),
    ("servergroup-yaml", ("colon", *"servergroups", "enter", "y")),
])
async def test_kind_snapshot(frozen_cloud, tmp_path, name, keys):
    svg = await screen_svg(frozen_cloud, (80, 24), keys)
    assert_snapshot(f"{name}-80x24", svg, tmp_path)

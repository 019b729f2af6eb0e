"""A background worker's failure is said on screen in one line and logged with its traceback; the app
goes on. Textual drops the exception of a worker run with exit_on_error=False, and six were."""

from __future__ import annotations

import logging
from pathlib import Path

from waiting import until

from exotui.cloud.profiles import find_profile, load_profiles
from exotui.cloud.workspace import Workspace
from exotui.demo.app import CLOUD_NAME
from exotui.ui.app import ExotuiApp


async def test_a_failure_opening_the_clouds_is_shown_and_logged(demo, demo_dir, monkeypatch, caplog):
    async def broken_open(self, on_project, on_problem):
        raise RuntimeError("the catalog had no compute endpoint\nsecond line")

    monkeypatch.setattr(Workspace, "open", broken_open)
    profile = find_profile(load_profiles(config_file=Path(demo_dir) / "clouds.yaml"), CLOUD_NAME)
    app = ExotuiApp(Workspace([profile]))
    with caplog.at_level(logging.ERROR, logger="exotui.ui"):
        async with app.run_test(size=(80, 24)) as pilot:
            await until(pilot, lambda: any("opening the clouds" in n.message for n in app._notifications),
                        what="the failure on screen")
            note = next(n for n in app._notifications if "opening the clouds" in n.message)
            assert note.message == "opening the clouds: the catalog had no compute endpoint"
            assert note.severity == "error" and app.is_running
    logged = [r for r in caplog.records if r.name == "exotui.ui"]
    assert logged and logged[0].exc_info and "second line" in str(logged[0].exc_info[1])

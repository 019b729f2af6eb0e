"""80x24 SVG snapshots of the container browser, the EC2 screen and a stack's detail, on a demo cloud of their
own (a fixed EC2 pair put in its world, a stack made from a template before the app starts). Heat's IDs and
event times are the demo's own each run, so they are masked before the screens are compared.
Regenerate with `EXOTUI_UPDATE_SNAPSHOTS=1 pytest tests/ui/test_snapshots_storage.py` and look at them."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest
from test_snapshots import SNAPSHOTS, UPDATE, screen_text  # beside this file
from test_stacks import SMALL
from waiting import settled_screenshot, until

from exotui.cloud.poller import Intervals
from exotui.cloud.profiles import find_profile, load_profiles
from exotui.cloud.stacks import read_template
from exotui.cloud.workspace import Workspace
from exotui.demo.app import CLOUD_NAME, DemoCloudThread
from exotui.demo.world import Knobs
from exotui.ui.app import ExotuiApp
from exotui.ui.screens.credentials import Ec2Screen
from exotui.ui.screens.objects import ObjectsScreen
from exotui.ui.screens.stacks import StackDetail

_VARYING = re.compile(r"[0-9a-f]{8,}|\d\d:\d\d:\d\d|\d{4}-\d\d-\d\d[ T]\d\d:\d\d")


def masked(svg: str) -> list[str]:
    return [_VARYING.sub(lambda m: "#" * len(m.group()), row) for row in screen_text(svg)]


@pytest.fixture(scope="module")
def storage_cloud(tmp_path_factory):
    folder = tmp_path_factory.mktemp("storage-cloud")
    with DemoCloudThread(Knobs(delay_scale=0.0, seed=0, ssh=False), state_dir=folder / "state") as cloud:
        def ec2(world):
            user = next(u for u in world.users.values() if u["name"] == "demo")
            for n, name in enumerate(("BIO230045", "CIS240112")):
                project = next(p for p in world.projects.values() if p["name"] == name)
                access = f"{n + 1:x}" * 32
                world.ec2_creds[hashlib.sha256(access.encode()).hexdigest()] = {
                    "user_id": user["id"], "project_id": project["id"], "access": access, "secret": "s" * 32}

        cloud.call(ec2, cloud.world)
        yield cloud.cloud.write_config(folder), folder


@pytest.fixture(autouse=True)
def no_user_themes(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))


async def screen_of(clouds_yaml: Path, folder: Path, name: str) -> str:
    profile = find_profile(load_profiles(config_file=clouds_yaml), CLOUD_NAME)
    app = ExotuiApp(Workspace([profile], intervals=Intervals(fast=0.1, idle=0.5)))
    async with app.run_test(size=(80, 24)) as pilot:
        def bio():
            return next((p for p in app.workspace.projects if p.key.project_name == "BIO230045"
                         and p.store.state("servers").loaded), None)

        await until(pilot, bio, timeout=20, what="the project")
        project = bio()
        app.select_project(project)
        if name == "objects":
            await pilot.press("colon", *"objects", "enter")
            await until(pilot, lambda: isinstance(app.screen, ObjectsScreen), what="objects")
            screen = app.screen
            await until(pilot, lambda: "sequencing-runs" in screen.keys, what="containers")
            screen.query_one("#listing").move_cursor(row=screen.keys.index("sequencing-runs"))
            await pilot.press("enter")
            await until(pilot, lambda: "2026-11/" in screen.keys, what="the top folder")
            screen.query_one("#listing").move_cursor(row=screen.keys.index("2026-11/"))
            await pilot.press("enter")
            await until(pilot, lambda: "2026-11/sample06/" in screen.keys, what="a folder")
            ready = lambda: "shown" in str(screen.query_one("#listing-status").render())  # noqa: E731
        elif name == "ec2":
            await pilot.press("colon", *"ec2", "enter")
            await until(pilot, lambda: isinstance(app.screen, Ec2Screen), what="EC2")
            screen = app.screen
            ready = lambda: len(screen.keys) == 2  # noqa: E731
        else:
            template = folder / "small.yaml"
            template.write_text(SMALL)
            stacks = [s for s in project.store.get("stacks").values() if s.name == "lab"]
            if not stacks:
                assert (await project.actions.create_stack("lab", read_template(template))).ok
            await until(pilot, lambda: any(s.name == "lab" for s in project.store.get("stacks").values()),
                        what="the stack listed")
            stack = next(s for s in project.store.get("stacks").values() if s.name == "lab")
            app.push_screen(StackDetail(project, stack))
            await until(pilot, lambda: isinstance(app.screen, StackDetail), what="the detail")
            screen = app.screen
            ready = lambda: (len(screen.resources) == 4 and  # noqa: E731
                             all(str(screen.query_one("#listing").get_row(r)[3]).startswith("→")
                                 for r in ("server", "data", "net", "subnet"))
                             and "lab: CREATE_COMPLETE" in "".join(line.text for line in screen.query_one(
                                 "#stack-events").lines))
            await until(pilot, ready, timeout=20, what="the stack's detail")
        return await settled_screenshot(pilot, app, ready, timeout=20, what=name)


@pytest.mark.parametrize("name", ["objects", "ec2", "stack"])
async def test_snapshot(storage_cloud, tmp_path, name):
    clouds_yaml, folder = storage_cloud
    compare_snapshot(name, await screen_of(clouds_yaml, folder, name), tmp_path)


def compare_snapshot(name: str, svg: str, tmp_path: Path) -> None:
    """`svg` against snapshots/NAME-80x24.svg, IDs and times masked (written first when there is none)."""
    path = SNAPSHOTS / f"{name}-80x24.svg"
    if UPDATE or not path.exists():
        path.write_text(svg, encoding="utf-8")
        if not UPDATE:
            pytest.fail(f"new snapshot written to {path}: look at it, then run again")
        return
    expected, actual = masked(path.read_text(encoding="utf-8")), masked(svg)
    if expected != actual:
        (tmp_path / path.name).write_text(svg, encoding="utf-8")
        import difflib

        diff = "\n".join(difflib.unified_diff(expected, actual, "expected", "actual", lineterm="", n=1))
        pytest.fail(f"{path.name} differs (new: {tmp_path / path.name}):\n{diff}")


def test_masking_hides_ids_and_times_only():
    assert _VARYING.sub("#", "lab 0123abcd CREATE 09:58:01 2026-12-06 09:58") == "lab # CREATE # #"

"""Regenerate screenshots/*.svg from the demo cloud: `python screenshots/make.py [NAME...]`.

Each shot starts a fresh app on a fresh demo cloud (seed 0, instant transitions), waits until every
project has loaded, presses its keys and saves the screen once it has settled. The seed fixes names,
addresses and IDs, and the cloud's clock and the app's stand still at FROZEN, so two runs write the same
bytes: a changed SVG in a diff is a changed screen.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from textual.widgets import OptionList

from exotui.cloud.poller import Intervals
from exotui.cloud.profiles import find_profile, load_profiles
from exotui.cloud.store import KINDS
from exotui.cloud.workspace import Workspace
from exotui.demo.app import CLOUD_NAME, DemoCloudThread
from exotui.demo.seed import DEMO_PROJECTS
from exotui.demo.world import Knobs
from exotui.ui.app import Breadcrumb, ExotuiApp
from exotui.ui.widgets import views
from exotui.ui.widgets.table import ResourceTable

HERE = Path(__file__).resolve().parent
FROZEN = "2026-12-01T12:00:00+00:00"  # the time every shot is taken at, on both sides


@dataclass(frozen=True)
class Shot:
    name: str
    size: tuple[int, int]
    keys: tuple[str, ...] = ()
    theme: str | None = None
    point_at: str | None = None  # instance name the cursor goes to before the keys
    wait_for: str | None = None  # the class of the screen the keys open
    choose: str | None = None  # then pick this option of that screen's OptionList and wait for the next screen
    caption: str = ""


SHOTS = [
    Shot("instances-80x24", (80, 24), caption="Instances at 80x24"),
    Shot("instances-160x45", (160, 45), ("w",), caption="Instances at 160x45, wide view (w)"),
    Shot("projects", (80, 24), ("colon", *"projects", "enter"), caption="Projects: quotas and service units"),
    Shot("volumes", (80, 24), ("colon", *"vol", "enter"), caption="Volumes (:vol)"),
    Shot("filter", (80, 24), ("slash", *"active"), caption="Filtering with / (a regular expression)"),
    Shot("help", (80, 24), ("question_mark",), wait_for="HelpScreen", caption="Help (?)"),
    Shot("detail", (80, 24), ("d",), point_at="gpu-training", wait_for="InstanceDetail",
         caption="An instance described (d)"),
    Shot("resize", (80, 24), ("a",), point_at="db-primary", wait_for="ChoiceDialog", choose="resize",
         caption="Resize: the flavors allowed, and why the others are not"),
    Shot("launch", (80, 24), ("n",), wait_for="FormDialog", caption="Launch: boot source, user data, floating IP, count"),
    Shot("project-detail", (80, 24), ("colon", *"projects", "enter", "d"), wait_for="KindDetail",
         caption="A project described (d in Projects): a meter for every quota"),
    Shot("light", (80, 24), theme="exotui-light", caption="--theme exotui-light"),
    Shot("high-contrast", (80, 24), theme="exotui-high-contrast",
         caption="--theme exotui-high-contrast (readable in 16 colours)"),
]


async def capture(shot: Shot, clouds_yaml: Path) -> str:
    """The shot's screen as SVG."""
    profile = find_profile(load_profiles(config_file=clouds_yaml), CLOUD_NAME)
    app = ExotuiApp(Workspace([profile], intervals=Intervals(fast=0.1, idle=0.5)), theme=shot.theme)

    async def until(condition, what: str) -> None:
        for _ in range(400):
            if condition():
                return
            await pilot.pause(0.05)
        raise RuntimeError(f"{shot.name}: timed out waiting for {what}")

    async def settled() -> str:
        """The screen once two frames in a row are the same."""
        last = None
        for _ in range(400):
            await pilot.pause()
            svg = app.export_screenshot(title=f"exotui — {shot.caption or shot.name}")
            if svg == last:
                return svg
            last = svg
            await pilot.pause(0.05)
        raise RuntimeError(f"{shot.name}: the screen never settled")

    def everything_loaded() -> bool:
        projects = app.workspace.projects
        return (len(projects) == len(DEMO_PROJECTS) and app.project is not None
                and all(p.store.state(kind).loaded for p in projects for kind in KINDS)
                and "● live" in str(app.query_one(Breadcrumb).render()))

    async with app.run_test(size=shot.size) as pilot:
        await until(everything_loaded, "every project to load")
        await settled()  # the last change events reach the tables
        if shot.point_at:
            table = app.query_one("#table-servers", ResourceTable)
            table.cursor = next(n for n, i in enumerate(table.shown) if table.items[i].name == shot.point_at)
        await pilot.press(*shot.keys)
        if shot.wait_for:
            await until(lambda: type(app.screen).__name__ == shot.wait_for, shot.wait_for)
        if shot.choose:
            menu = app.screen
            options = menu.query_one(OptionList)
            options.highlighted = options.get_option_index(shot.choose)
            await pilot.press("enter")
            await until(lambda: app.screen is not menu and type(app.screen).__name__ == shot.wait_for,
                        f"the screen after {shot.choose}")
        return await settled()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help=f"only these shots (of {', '.join(s.name for s in SHOTS)})")
    parser.add_argument("--out", type=Path, default=HERE, help="where the SVGs go (default: screenshots/)")
    args = parser.parse_args(argv)
    shots = [s for s in SHOTS if not args.names or s.name in args.names]
    if not shots:
        parser.error("no such shot")
    args.out.mkdir(parents=True, exist_ok=True)
    views.clock = lambda: datetime.fromisoformat(FROZEN)  # the ages, as the cloud's clock has them
    with tempfile.TemporaryDirectory(prefix="exotui-shots-") as config:
        os.environ["XDG_CONFIG_HOME"] = config  # the developer's own themes must not change the pictures
        os.environ["EXOTUI_STATE_DIR"] = config  # nor their usage history (ui/usage.py) the sparklines
        for shot in shots:
            with tempfile.TemporaryDirectory() as scratch, DemoCloudThread(
                    Knobs(delay_scale=0.0, seed=0, ssh=False, frozen_at=FROZEN),
                    state_dir=Path(scratch) / "state") as cloud:
                svg = asyncio.run(capture(shot, cloud.cloud.write_config(Path(scratch))))
            path = args.out / f"{shot.name}.svg"
            path.write_text(svg, encoding="utf-8")
            print(f"{path}  {shot.caption}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

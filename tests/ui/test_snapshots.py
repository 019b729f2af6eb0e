"""SVG snapshots of the Instances and Projects views and the network map at 80x24 and 160x45, on a demo
cloud of their own.

Our own small helper around `App.export_screenshot()` rather than pytest-textual-snapshot: that
plugin pins syrupy 4.8, which needs pytest<9, and the rest of the suite runs on pytest 9.
Regenerate after an intended change with `EXOTUI_UPDATE_SNAPSHOTS=1 pytest tests/ui/test_snapshots.py`
and look at the SVGs in tests/ui/snapshots/ before committing them.
"""

from __future__ import annotations

import difflib
import html
import os
import re
from pathlib import Path

import pytest
from textual.widgets import Input

from exotui.cloud.poller import Intervals
from exotui.cloud.profiles import find_profile, load_profiles
from exotui.cloud.store import KINDS
from exotui.cloud.workspace import Workspace
from exotui.demo.app import CLOUD_NAME, DemoCloudThread
from exotui.demo.seed import DEMO_PROJECTS
from exotui.demo.world import Knobs
from exotui.ui.app import Breadcrumb, ExotuiApp
from waiting import settled_screenshot  # beside this file (tests/ui/conftest.py puts it on the path)

SNAPSHOTS = Path(__file__).parent / "snapshots"
UPDATE = os.environ.get("EXOTUI_UPDATE_SNAPSHOTS") == "1"

# Rich names the SVG's CSS classes after a hash of the whole screen: one changed cell renames them
# all, so they are made neutral to keep a failing diff down to the lines that changed. Nothing else
# varies: names, addresses and creation times come from the seed, and ages are whole days or hours
# counted from creation times the seed puts days back.
_CLASS_PREFIX = re.compile(r"terminal-\d+")


_TEXT = re.compile(r'<text class="[^"]*" x="([\d.]+)" y="([\d.]+)"[^>]*>([^<]*)</text>')


def normalise(svg: str) -> str:
    return _CLASS_PREFIX.sub("terminal", svg)


def screen_text(svg: str) -> list[str]:
    """The characters on the screen, row by row: what a failure shows first."""
    rows: dict[float, list[tuple[float, str]]] = {}
    for x, y, content in _TEXT.findall(svg):
        rows.setdefault(float(y), []).append((float(x), html.unescape(content).replace("\xa0", " ")))
    return ["".join(text for _, text in sorted(parts)).rstrip() for _, parts in sorted(rows.items())]


@pytest.fixture(scope="module")
def snapshot_cloud(tmp_path_factory):
    """The seeded demo cloud untouched: the session's `demo` gains servers from other tests."""
    folder = tmp_path_factory.mktemp("snapshot-cloud")
    with DemoCloudThread(Knobs(delay_scale=0.0, seed=0, ssh=False), state_dir=folder / "state") as cloud:
        yield cloud.cloud.write_config(folder)


@pytest.fixture(autouse=True)
def no_user_themes(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))


async def screen_svg(clouds_yaml: Path, size: tuple[int, int], keys: tuple[str, ...]) -> str:
    profile = find_profile(load_profiles(config_file=clouds_yaml), CLOUD_NAME)
    app = ExotuiApp(Workspace([profile], intervals=Intervals(fast=0.1, idle=0.5)))

    def settled() -> bool:
        projects = app.workspace.projects
        return (len(projects) == len(DEMO_PROJECTS) and app.project is not None
                and all(p.store.state(kind).loaded for p in projects for kind in KINDS)
                and "● live" in str(app.query_one(Breadcrumb).render()))

    async with app.run_test(size=size) as pilot:
        await settled_screenshot(pilot, app, settled, timeout=20, what="the demo cloud loaded")
        await pilot.press(*keys)
        await pilot.pause()
        for field in app.screen.query(Input):  # a blinking cursor made two settled frames differ run to run
            field.cursor_blink = False
        return await settled_screenshot(pilot, app, what="the keys' screen")


def assert_snapshot(name: str, svg: str, tmp_path: Path) -> None:
    path = SNAPSHOTS / f"{name}.svg"
    if UPDATE or not path.exists():
        SNAPSHOTS.mkdir(exist_ok=True)
        path.write_text(svg, encoding="utf-8")
        if not UPDATE:
            pytest.fail(f"new snapshot written to {path}: look at it, then run again")
        return
    expected = normalise(path.read_text(encoding="utf-8"))
    actual = normalise(svg)
    if actual != expected:
        shown = tmp_path / f"{name}.svg"
        shown.write_text(svg, encoding="utf-8")
        diff = list(difflib.unified_diff(screen_text(expected), screen_text(actual), "expected", "actual",
                                         lineterm="", n=1))
        what = "\n".join(diff[:40]) if diff else "the same characters in other colours or styles"
        pytest.fail(f"{name} differs from {path}; the new screen is {shown}. If the change is intended: "
                    f"EXOTUI_UPDATE_SNAPSHOTS=1 pytest {Path(__file__).name}\n{what}")


@pytest.mark.parametrize("size", [(80, 24), (160, 45)], ids=["80x24", "160x45"])
@pytest.mark.parametrize("view, keys", [("instances", ()), ("projects", ("colon", *"projects", "enter")),
                                        ("map", ("colon", *"map", "enter"))])
async def test_snapshot(snapshot_cloud, tmp_path, view, keys, size):
    svg = await screen_svg(snapshot_cloud, size, keys)
    assert_snapshot(f"{view}-{size[0]}x{size[1]}", svg, tmp_path)


def test_normalise_keeps_the_screen_and_drops_the_class_names():
    one = '<style>.terminal-123-r1 { fill: #fff }</style><text class="terminal-123-r1">83d</text>'
    assert normalise(one) == normalise(one.replace("123", "456"))
    assert normalise(one) != normalise(one.replace("#fff", "#000"))
    assert normalise(one) != normalise(one.replace("83d", "84d"))


def test_screen_text_reads_the_rows_back():
    svg = ('<text class="terminal-1-r1" x="0" y="20" textLength="24">ab&#160;</text>'
           '<text class="terminal-1-r2" x="36.6" y="20" textLength="12">c</text>'
           '<text class="terminal-1-r1" x="0" y="44.4" textLength="12">d</text>')
    assert screen_text(svg) == ["ab c", "d"]

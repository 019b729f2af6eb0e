"""Themes: files load and fail with one clear line, `--theme` and ctrl+p pick them, every shipped theme
keeps text readable (also in a 16-colour terminal for the high-contrast one), and widgets take their
colours only from theme variables."""

from __future__ import annotations

import ast
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from rich._palettes import STANDARD_PALETTE
from rich.color import ColorSystem
from rich.errors import StyleSyntaxError
from rich.style import Style
from rich.terminal_theme import DEFAULT_TERMINAL_THEME
from textual._color_constants import COLOR_NAME_TO_RGB

from waiting import highlighted_command, settled_screenshot, until

from exotui.cloud.poller import Intervals
from exotui.cloud.profiles import find_profile, load_profiles
from exotui.cloud.workspace import Workspace
from exotui.demo.app import CLOUD_NAME
from exotui.ui import themes
from exotui.ui.dialogs.palette import Palette
from exotui.ui.app import Breadcrumb, ExotuiApp
from exotui.ui.widgets.table import ResourceTable

SHIPPED = ("exotui-dark", "exotui-light", "exotui-high-contrast")
UI_DIR = Path(themes.__file__).parent


@pytest.fixture(autouse=True)
def user_config(tmp_path, monkeypatch) -> Path:
    """A config directory of the test's own, so the developer's themes never leak in."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    folder = tmp_path / "config" / "exotui" / "themes"
    folder.mkdir(parents=True)
    return folder


def _app(demo_dir: Path, theme: str | None = None) -> ExotuiApp:
    profile = find_profile(load_profiles(config_file=demo_dir / "clouds.yaml"), CLOUD_NAME)
    return ExotuiApp(Workspace([profile], intervals=Intervals(fast=0.1, idle=0.5)), theme=theme)


async def _loaded(pilot, app: ExotuiApp) -> None:
    await until(pilot, lambda: app.project is not None and app.project.store.state("servers").loaded
                 and app.query_one("#table-servers", ResourceTable).items
                 and "● live" in str(app.query_one(Breadcrumb).render()))


# --- files -----------------------------------------------------------------------------------

def test_shipped_themes_load_and_the_default_is_exotui_dark(user_config):
    loaded, problems = themes.load_themes()
    assert problems == []
    assert set(SHIPPED) <= set(loaded)
    assert themes.DEFAULT_THEME == "exotui-dark"
    assert loaded["exotui-light"].dark is False


@pytest.mark.parametrize("content, words", [
    ("{not json", "not JSON"),
    ('["a list"]', "expected a JSON object"),
    ('{"name": "x"}', "'primary' is required"),
    ('{"name": "x", "primary": "#123456", "primery": "#fff"}', "unknown key(s) primery"),
    ('{"name": "x", "primary": "blurple"}', "'primary' is not a colour: 'blurple'"),
    ('{"name": "x", "primary": "#123456", "dark": "yes"}', "'dark' must be true or false"),
    ('{"name": "x", "primary": "#123456", "variables": {"border": 3}}', "'variables' must map names to strings"),
])
def test_a_broken_theme_file_says_what_is_wrong_in_one_line(tmp_path, content, words):
    path = tmp_path / "broken.json"
    path.write_text(content)
    with pytest.raises(themes.ThemeError) as caught:
        themes.read_theme(path)
    message = str(caught.value)
    assert words in message and str(path) in message and "\n" not in message


def test_user_themes_come_from_the_config_directory_and_win_on_a_name_clash(user_config):
    assert themes.user_themes_dir() == user_config
    (user_config / "mine.json").write_text(json.dumps({"name": "mine", "primary": "#884488"}))
    (user_config / "dark.json").write_text(json.dumps({"name": "exotui-dark", "primary": "#ff0000"}))
    (user_config / "bad.json").write_text("{")
    loaded, problems = themes.load_themes()
    assert loaded["mine"].primary == "#884488"
    assert loaded["exotui-dark"].primary == "#ff0000"
    assert len(problems) == 1 and "bad.json" in problems[0]


def test_check_theme_accepts_ours_textuals_and_the_users(user_config):
    (user_config / "mine.json").write_text(json.dumps({"name": "mine", "primary": "#884488"}))
    for name in (*SHIPPED, "textual-dark", "nord", "mine"):
        assert themes.check_theme(name) is None, name
    reason = themes.check_theme("nope")
    assert reason.startswith("no theme called 'nope'; choose from exotui-dark,") and "\n" not in reason


def test_cli_rejects_an_unknown_theme_in_one_line_before_any_screen(tmp_path):
    env = {**os.environ, "XDG_CONFIG_HOME": str(tmp_path)}
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "exotui", "--demo", "--theme", "nope"], capture_output=True,
                          text=True, timeout=60, env=env)
    elapsed = time.perf_counter() - started
    assert done.returncode == 1
    assert done.stdout == ""
    assert done.stderr.startswith("exotui: no theme called 'nope'; choose from exotui-dark")
    assert done.stderr.count("\n") == 1 and "\x1b" not in done.stderr  # no screen was drawn
    assert elapsed < 5  # refused before the demo cloud or openstacksdk


# --- the running app -------------------------------------------------------------------------

async def test_the_app_starts_on_exotui_dark_and_theme_picks_another(demo, demo_dir):
    app = _app(demo_dir)
    async with app.run_test(size=(80, 24)):
        assert app.theme == "exotui-dark"
    app = _app(demo_dir, theme="exotui-high-contrast")
    async with app.run_test(size=(80, 24)):
        assert app.theme == "exotui-high-contrast"


async def test_a_broken_user_theme_is_a_warning_not_a_crash(demo, demo_dir, user_config):
    (user_config / "bad.json").write_text('{"name": "bad", "primary": "blurple"}')
    app = _app(demo_dir)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert app.theme == "exotui-dark"
        assert any("blurple" in n.message for n in app._notifications)


async def test_the_command_palette_lists_our_themes_and_switches(demo, demo_dir, user_config):
    (user_config / "mine.json").write_text(json.dumps({"name": "mine", "primary": "#884488"}))
    app = _app(demo_dir)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("ctrl+p", *"theme")  # Textual's own command, "Theme: change the current theme"
        await until(pilot, lambda: "theme" in highlighted_command(app.screen).lower(), what="the theme command")
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, Palette) and app.screen.id != "--command-palette")
        # the theme picker is the palette that closes once too (dialogs.Palette), not Textual's own
        await pilot.press(*"exotui-light")
        await until(pilot, lambda: "exotui-light" in highlighted_command(app.screen), what="the light theme")
        await pilot.press("enter")
        await until(pilot, lambda: app.theme == "exotui-light")
        assert {"exotui-dark", "exotui-light", "exotui-high-contrast", "mine"} <= set(app.available_themes)


# --- readability ---------------------------------------------------------------------------

def _luminance(rgb: tuple[int, int, int]) -> float:
    def channel(c: int) -> float:
        c /= 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = rgb
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def _contrast(a, b) -> float:
    """WCAG contrast ratio, 1 (none) to 21 (black on white)."""
    high, low = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def _rgb(color, sixteen: bool):
    if sixteen:
        # what a 16-colour terminal shows: Rich's downgrade, drawn in the VGA palette
        color = color.downgrade(ColorSystem.STANDARD)
        if color.number is not None and color.number < 16:
            return tuple(STANDARD_PALETTE[color.number])
    return tuple(color.get_truecolor(DEFAULT_TERMINAL_THEME))


def _is_text(char: str) -> bool:
    """Letters, digits, punctuation: not box drawing and block elements, which are decoration."""
    return not char.isspace() and not 0x2500 <= ord(char) <= 0x259F


def _poorly_readable(app: ExotuiApp, region, sixteen: bool, minimum: float) -> list[str]:
    found = []
    strips = app.screen._compositor.render_strips()
    for y in range(region.y, region.bottom):
        x = 0
        for segment in strips[y]:
            style = segment.style or Style()
            if region.x <= x < region.right and any(_is_text(c) for c in segment.text) and style.color \
                    and style.bgcolor:
                fg, bg = style.color, style.bgcolor
                if style.reverse:
                    fg, bg = bg, fg
                ratio = _contrast(_rgb(fg, sixteen), _rgb(bg, sixteen))
                if ratio < minimum:
                    found.append(f"{ratio:.2f} at {x},{y}: {segment.text.strip()!r}")
            x += segment.cell_length
    return found


@pytest.mark.parametrize("theme, sixteen", [(name, False) for name in SHIPPED] + [("exotui-high-contrast", True)])
async def test_text_stays_readable(demo, demo_dir, theme, sixteen):
    """WCAG AA (4.5:1) for every glyph of text on the main screens, in true colour; and for the
    high-contrast theme also as a 16-colour terminal shows it."""
    app = _app(demo_dir, theme=theme)
    async with app.run_test(size=(80, 24)) as pilot:
        await _loaded(pilot, app)
        problems = {}
        # the cursor on an ACTIVE row: a status colour on the cursor's background
        for label, keys in [("instances", ["down", "down"]), ("command line", ["colon"]),
                            ("projects", [*"projects", "enter"]), ("filter", ["slash", "b"])]:
            await pilot.press(*keys)
            await settled_screenshot(pilot, app, what=label)
            problems[label] = _poorly_readable(app, app.screen.region, sixteen, 4.5)
        await pilot.press("escape", "escape", "question_mark")
        await settled_screenshot(pilot, app, lambda: app.screen.query("VerticalScroll"), what="help")
        # the screen behind the help dialog is dimmed on purpose: judge the dialog only
        dialog = app.screen.query_one("VerticalScroll").region
        problems["help"] = _poorly_readable(app, dialog, sixteen, 4.5)
    poor = [f"{screen}: {line}" for screen, lines in problems.items() for line in lines]
    assert poor == [], f"{theme}: text below 4.5:1 (ratio at column,row):\n" + "\n".join(poor)


# --- colours only from the theme ----------------------------------------------------------------

HEX = re.compile(r"(?<![\w-])#(?:[0-9a-fA-F]{8}|[0-9a-fA-F]{6}|[0-9a-fA-F]{3,4})\b")
FUNCTION = re.compile(r"\b(?:rgba?|hsla?)\s*\(")
DECLARATION = re.compile(r"([\w-]+)\s*:\s*([^;{}]+)")
MARKUP = re.compile(r"\[([^\[\]/][^\[\]]*)\]")
NAMED = set(COLOR_NAME_TO_RGB) - {"transparent"}

# (file, literal) pairs that may stay; each needs a reason.
ALLOWED: set[tuple[str, str]] = set()


def _string_constants(tree: ast.AST):
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            yield node.lineno, node.value


def _colour_literals(text: str) -> list[str]:
    found = HEX.findall(text) + FUNCTION.findall(text) + re.findall(r"\bansi_\w+", text)
    if "{" in text:  # CSS: a colour name as a property's value
        for _, value in DECLARATION.findall(text):
            found += [word for word in value.split() if word.lower() in NAMED]
        return found
    for candidate in (text, *MARKUP.findall(text)):
        words = " ".join(w for w in candidate.split() if not w.startswith("$"))
        try:
            style = Style.parse(words) if words else Style()
        except StyleSyntaxError:
            continue
        if (style.color and not style.color.is_default) or (style.bgcolor and not style.bgcolor.is_default):
            found.append(candidate)
    return found


def test_widgets_take_colours_only_from_theme_variables():
    offenders = []
    for path in sorted(UI_DIR.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for line, text in _string_constants(tree):
            for literal in _colour_literals(text):
                if (str(path.relative_to(UI_DIR)), literal) not in ALLOWED:
                    offenders.append(f"{str(path.relative_to(UI_DIR))}:{line}: {literal!r}")
    stylesheets = sorted(UI_DIR.rglob("*.tcss"))
    assert stylesheets, "the styles live in .tcss files beside the code"
    for path in stylesheets:
        for literal in _colour_literals(path.read_text(encoding="utf-8")):
            if (str(path.relative_to(UI_DIR)), literal) not in ALLOWED:
                offenders.append(f"{path.relative_to(UI_DIR)}: {literal!r}")
    assert offenders == [], ("colour literals in exotui/ui (use $variables in CSS and app.theme_variables[...] "
                             "in Rich styles):\n" + "\n".join(offenders))


def test_the_literal_finder_finds_what_it_should():
    assert _colour_literals("Foo { background: $panel; color: $text; border: tall $accent; }") == []
    assert _colour_literals("Foo { color: red; background: #123456; }") == ["#123456", "red"]
    assert _colour_literals("bold red") == ["bold red"]
    assert _colour_literals("[b $accent]key[/] [on blue]x[/]") == ["on blue"]
    assert _colour_literals("rgb(1, 2, 3)") == ["rgb("]
    assert _colour_literals("#table-servers") == []
    assert _colour_literals("ACTIVE") == [] and _colour_literals("dim") == [] and _colour_literals("bold") == []

"""Every screen keeps the views' header (issue 18 item 8): the cloud / project line over :objects, :ec2, :stacks,
the map, the matrix, the doctor, :units and :search as over the views; an empty :stacks says what to do; and
`:search` with its text typed behind it in one read lands the text in the search line."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

from textual.widgets import Input, Static

from exotui.ui.app import Breadcrumb
from exotui.ui.screens.doctor import DoctorScreen
from exotui.ui.screens.search import SearchScreen
from exotui.ui.widgets.crumb import ScreenCrumb
from test_snapshots import screen_text  # beside this file (tests/ui/conftest.py puts it on the path)


def _monkey():
    """tests/hardening/test_monkey.py, loaded by its path: its `press` types keys as a terminal delivers them."""
    spec = importlib.util.spec_from_file_location("exotui_tests_monkey_for_headers",
                                                  Path(__file__).parents[1] / "hardening" / "test_monkey.py")
    module = sys.modules.get(spec.name)
    if module is None:
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module
        spec.loader.exec_module(module)
    return module


def top_line(app) -> str:
    return screen_text(app.export_screenshot())[0]


async def test_every_pushed_screen_keeps_the_cloud_and_project_header(open_ui):
    async with open_ui() as ui:
        app = ui.app
        header = app.query_one(Breadcrumb).text
        assert ui.project.key.project_name in header
        for alias in ("objects", "ec2", "stacks", "shares", "map", "matrix", "units", "search"):
            await ui.pilot.press("colon", *alias, "enter")
            await ui.until(lambda: len(app.screen_stack) == 2 and app.screen.query(ScreenCrumb)
                           and str(app.screen.query_one(ScreenCrumb).render()) == header, what=f":{alias}'s header")
            await ui.until(lambda: top_line(app).strip() == header, what=f":{alias}'s header on its top line")
            if alias == "matrix":
                await ui.pilot.press("enter")
                await ui.until(lambda: isinstance(app.screen, DoctorScreen), what="the doctor")
                await ui.until(lambda: top_line(app).strip() == header, what="the doctor's header")
                await ui.pilot.press("escape")
            while len(app.screen_stack) > 1:
                await ui.pilot.press("escape")
                await ui.pilot.pause()


async def test_an_empty_stacks_screen_says_what_to_do(open_ui):
    async with open_ui() as ui:
        assert not ui.store.get("stacks")
        await ui.pilot.press("colon", *"stacks", "enter")
        await ui.until(lambda: ui.app.screen.query("#listing-empty"), what=":stacks")
        hint = ui.app.screen.query_one("#listing-empty", Static)
        await ui.until(lambda: hint.display, what="the hint")
        assert "n creates one from a Heat template" in str(hint.render())
        assert len(str(hint.render())) <= 76, "one line at 80 columns"
        await ui.until(lambda: any("n creates one" in line for line in screen_text(ui.app.export_screenshot())),
                       what="the hint on screen")


async def test_search_typed_right_behind_its_enter_lands_in_the_search_line(open_ui):
    """`:search`, enter and the text in one read (tmux send-keys, a paste, a laggy link): the text is the search
    line's, not the hidden command line's."""
    async with open_ui() as ui:
        app = ui.app
        await _monkey().press(app, ["colon", *"search", "enter", *"web"], burst=True)
        await ui.until(lambda: isinstance(app.screen, SearchScreen), what="the search screen")
        await ui.until(lambda: app.screen.query(Input) and app.screen.query_one(Input).value == "web",
                       what="web in the search line")
        assert app.screen.query_text == "web"


async def test_a_key_typed_behind_esc_on_the_filter_line_reaches_the_table(open_ui):
    """`/zzz`, esc and j in one read: the filter is gone and j moves the cursor, instead of ending in the line."""
    async with open_ui() as ui:
        first, _second = await ui.boot_many(["behind-esc-1", "behind-esc-2"])
        table = ui.point_at(first)
        at = table.cursor
        await _monkey().press(ui.app, ["slash", *"zzz", "escape", "j"], burst=True)
        await ui.until(lambda: table.cursor == at + 1 and not table.filter_text, what="j on the table")
        assert not ui.app.query_one("#command", Input).display


async def test_esc_and_a_key_in_one_read_parse_as_alt_and_still_close_the_filter(open_ui):
    """The bytes `/zzz` ESC `j` in one read (tmux send-keys '/zzz' Escape 'j'; a laggy link) reach the app as
    alt+j, as every terminal parser reads ESC and a letter together: the line's esc, then j on the table (it
    used to type `zzzj` into the filter and every key after it, `q` included)."""
    from textual._xterm_parser import XTermParser

    async with open_ui() as ui:
        first, _second = await ui.boot_many(["esc-alt-1", "esc-alt-2"])
        table = ui.point_at(first)
        at = table.cursor
        parser = XTermParser()
        parsed = list(parser.feed("/zzz\x1bj"))  # ESC waits for the rest of a sequence, until the parser's timeout
        await ui.until(lambda: parsed.extend(parser.tick()) or parsed[-1].key == "alt+j", what="the bytes parsed")
        for event in parsed:
            ui.app.post_message(event)
        await ui.until(lambda: table.cursor == at + 1 and not table.filter_text, what="j on the table")
        assert not ui.app.query_one("#command", Input).display

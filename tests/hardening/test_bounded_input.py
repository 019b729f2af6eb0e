"""Bounded input (issue 15): a filter that does not compile is said in the prompt, matching is bounded in time,
and numbers in forms are parsed with bounds and checked against the quota before anything is sent."""

from __future__ import annotations

import sys
import time
from pathlib import Path

from textual import events
from textual.widgets import Input, Static

from exotui.ui.app import CommandLine
from exotui.ui.dialogs import PromptDialog
from exotui.ui.dialogs.form import FormDialog, whole_number
from exotui.ui.widgets.table import ResourceTable
from exotui.ui.textfilter import MATCH_BUDGET, TableFilter

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "ui"))
from test_bad_input import open_ui  # noqa: E402,F401  the app with its toasts drawn

UNCOMPILABLE = ["a{4294967296}", "(" * 1200, "(" * 1200 + "a" + ")" * 1200, "[", "a**", "(?P<x"]


def test_a_filter_that_does_not_compile_matches_as_text_and_says_why():
    rows = {"1": "a{4294967296} here", "2": "other"}
    for text in UNCOMPILABLE:
        chosen = TableFilter(text)
        assert chosen.error and "matched as text" in chosen.error, text
        assert chosen.select(["1", "2"], rows) == (["1"] if text == "a{4294967296}" else []), text
        assert TableFilter("!" + text).error


def test_a_catastrophic_filter_is_stopped_by_the_budget():
    rows = {str(i): "a" * 28 for i in range(200)}
    started = time.perf_counter()
    chosen = TableFilter("(?:a+){1,40}b")  # more than 2 s on one row with `regex`; minutes with `re`
    assert chosen.select(list(rows), rows) == []
    # unbounded, this is minutes (seconds a row); the bound leaves room for a loaded machine (0.88 s seen in CI)
    assert time.perf_counter() - started < 10 * MATCH_BUDGET + 1
    assert chosen.error and "too slow" in chosen.error
    assert chosen.select(list(rows), rows) == []  # as text from now on, at once


def test_ordinary_filters_are_regexes():
    rows = {"1": "web-1 active", "2": "db-2 shutoff", "3": "web-3 shutoff"}
    assert TableFilter("web-[13]").select(list(rows), rows) == ["1", "3"]
    assert TableFilter("!shutoff").select(list(rows), rows) == ["1"]
    assert TableFilter("WEB").select(list(rows), rows) == ["1", "3"]
    assert TableFilter("").select(list(rows), rows) == ["1", "2", "3"]
    assert TableFilter("web").error is None


def test_whole_numbers_are_bounded():
    assert whole_number("12") == 12 and whole_number(" -3 ") == -3
    assert whole_number("9" * 5000) is None and whole_number("1e3") is None and whole_number("١٢") is None
    assert whole_number("") is None and whole_number("-") is None


async def _filter(ui, text: str) -> ResourceTable:
    ui.app.post_message(events.Key("slash", "/"))
    ui.app.post_message(events.Paste(text))
    table = ui.app.query_one("#table-servers", ResourceTable)
    await ui.until(lambda: table.filter_text == text, what=f"the filter {text[:20]!r}")
    return table


async def test_filters_that_do_not_compile_say_so_in_the_prompt(open_ui):
    async with open_ui() as ui:
        for text in ("a{4294967296}", "(" * 1200):
            table = await _filter(ui, text)
            line = ui.app.query_one(CommandLine)
            assert "not a regex" in str(line.border_subtitle)
            await ui.pilot.press("escape")
            await ui.until(lambda: not line.display and not table.filter_text, what="the filter cleared")
        assert ui.app.is_running


async def test_a_catastrophic_filter_does_not_freeze_the_ui(open_ui):
    async with open_ui() as ui:
        await ui.boot("a" * 28)
        ui.app.post_message(events.Key("slash", "/"))
        started = time.perf_counter()
        for char in "(a+)+$":  # 18 s per key with `re` against the 28-character name
            await ui.pilot.press(char)
        table = ui.app.query_one("#table-servers", ResourceTable)
        await ui.until(lambda: table.filter_text == "(a+)+$", what="the filter")
        assert time.perf_counter() - started < 6 * (MATCH_BUDGET + 1)
        await ui.pilot.press("escape")


def _writes(ui, service: str) -> list:
    return [s for s in ui.sent if s[0] == service and s[1] in ("POST", "PUT", "DELETE")]


async def test_a_5000_digit_volume_size_is_refused_in_the_form(open_ui):
    async with open_ui() as ui:
        ui.app.show_view("volumes")
        await ui.until(lambda: isinstance(ui.app.focused, ResourceTable) and ui.app.current_view == "volumes")
        await ui.pilot.press("n")
        await ui.until(lambda: isinstance(ui.app.screen, FormDialog), what="the form")
        form = ui.app.screen
        for size, said in (("9" * 5000, "whole number"), ("999999", "quota")):
            form.query_one("#field-name", Input).value = "bounded"
            form.query_one("#field-size", Input).value = size
            form.query_one("#field-name", Input).focus()
            await ui.pilot.press("enter")
            await ui.until(lambda: said in str(form.query_one(".dialog-error", Static).render()), what=said)
            assert ui.app.screen is form and _writes(ui, "volume") == []
        await ui.pilot.press("escape")


async def test_extending_a_volume_past_the_quota_is_refused(open_ui):
    async with open_ui() as ui:
        vid = (await ui.project.actions.create_volume("bounded-extend", 1)).value
        try:
            ui.app.show_view("volumes")
            table = ui.app.query_one("#table-volumes", ResourceTable)
            await ui.until(lambda: vid in table.shown and ui.store.item("volumes", vid).status == "available",
                           what="the volume")
            ui.point_at(vid, "volumes")
            sent = len(ui.sent)
            await ui.pilot.press("e")
            await ui.until(lambda: isinstance(ui.app.screen, PromptDialog), what="the extend prompt")
            prompt = ui.app.screen
            for size, said in (("9" * 5000, "volumes only grow"), ("999999", "quota")):
                prompt.query_one(Input).value = size
                await ui.pilot.press("enter")
                await ui.until(lambda: said in str(prompt.query_one(".dialog-error", Static).render()), what=said)
                assert ui.app.screen is prompt
            assert not [s for s in ui.sent[sent:] if s[1] in ("POST", "PUT", "DELETE")], ui.sent[sent:]
            await ui.pilot.press("escape")
        finally:
            await ui.project.actions.delete_volume(vid)

"""The Instances table at 80x24 (issue 18 item 8): status and task in words that say on or off, the last column
whole beside the scrollbar, columns dropped by priority and scrolled into sight sideways, and a filter that
matches only the columns shown unless asked for every one."""

from __future__ import annotations

from test_snapshots import screen_text  # beside this file (tests/ui/conftest.py puts it on the path)

from exotui.demo import nova
from exotui.ui.screens.detail import InstanceDetail
from exotui.ui.widgets.table import Column, ResourceTable, _lay_out


def screen_lines(app) -> list[str]:
    """What the terminal shows, row by row (the scrollbar drawn over the table included)."""
    return screen_text(app.export_screenshot())


def set_task(ui, sid: str, task: str | None, vm_state: str | None = None) -> None:
    """Nova's task state (and vm_state) for the server, behind the app's back, as a running action sets it."""
    ui.demo.call(lambda world: nova._set(world, world.servers[sid], task, vm_state), ui.demo.world)
    ui.project.poller.kick("servers")


async def test_status_and_task_are_words_that_say_on_or_off(open_ui):
    """`SHUTOFF powering…` did not say on or off, `SHELVED_OFFLOADE…` was cut: each is a word of its own now,
    in a STATUS and a TASK column, and the detail says Nova's names in full."""
    async with open_ui() as ui:
        sid = await ui.boot("narrow-state", status="SHUTOFF")
        set_task(ui, sid, "powering-on")
        await ui.until(lambda: "starting" in ui.row_text(sid), what="starting")
        row = ui.row_text(sid)
        assert "shutoff" in row and "…" not in row
        header = "".join(s.text for s in ui.app.query_one("#table-servers", ResourceTable).render_line(0))
        assert "STATUS" in header and "TASK" in header
        set_task(ui, sid, "powering-off", "active")
        await ui.until(lambda: "stopping" in ui.row_text(sid), what="stopping")
        set_task(ui, sid, None, "shelved_offloaded")
        await ui.until(lambda: "shelved " in ui.row_text(sid), what="shelved")
        assert "…" not in ui.row_text(sid)
        set_task(ui, sid, "unshelving")
        await ui.pilot.press("d")
        await ui.until(lambda: isinstance(ui.app.screen, InstanceDetail), what="the detail")
        title = str(ui.app.screen.query_one("#detail-title").render())
        assert "SHELVED_OFFLOADED (shelved) · unshelving" in title, title


async def test_the_scrollbar_leaves_the_last_column_whole(open_ui):
    """More rows than the screen holds: the vertical scrollbar took the SU/h column's last two cells."""
    async with open_ui() as ui:
        await ui.boot_many([f"narrow-rows-{n:02}" for n in range(24)], "m3.tiny")
        await ui.until(lambda: ui.app.query_one("#table-servers", ResourceTable).show_vertical_scrollbar,
                       what="a scrollbar")
        lines = screen_lines(ui.app)
        header = next(line for line in lines if line.startswith("NAME"))
        assert header.rstrip().endswith("SU/h"), header
        assert not any(set(line.strip()) == {"▏"} for line in lines), "no horizontal scrollbar"


async def test_dropped_columns_scroll_into_sight_sideways(open_ui):
    """The wide view at 80 columns clipped AGE and SU/h with no way to see them: now the lowest priorities drop,
    › says there is more, and l / right scroll the columns after NAME into sight (h / left back)."""
    async with open_ui() as ui:
        sid = await ui.boot("narrow-wide")
        table = ui.point_at(sid)
        await ui.pilot.press("w")

        def header() -> str:
            return next(line for line in screen_lines(ui.app) if line.startswith("NAME"))

        await ui.until(lambda: "›" in header(), what="more columns to the right")
        assert "SU/h" in header() and "CPU%" not in header() and "KEY" not in header()
        for _ in range(6):
            await ui.pilot.press("l")
        await ui.until(lambda: "KEY" in header() and "CPU%" in header(), what="the dropped columns in sight")
        assert "‹" in header() and "STATUS" not in header() and header().startswith("NAME")
        assert "exotui-demo" in ui.row_text(sid)  # its key pair, in sight
        while table.column_offset:
            await ui.pilot.press("left")
        await ui.until(lambda: "STATUS" in header() and "‹" not in header(), what="back to the start")


async def test_a_filter_matches_the_columns_shown_unless_asked_for_every_one(open_ui):
    """`/exo` matched every instance through the hidden KEY column (exotui-demo): now only the shown columns
    count; `*exo` asks for every column (and the ID); the wide view shows KEY, so there it matches."""
    async with open_ui() as ui:
        sid = await ui.boot("narrow-filter")
        table = ui.point_at(sid)
        await ui.pilot.press("slash", *"exo", "enter")
        await ui.until(lambda: table.filter_text == "exo", what="the filter")
        assert sid not in table.shown
        await ui.pilot.press("slash", "ctrl+a", "ctrl+k", *"*exo", "enter")
        await ui.until(lambda: table.filter_text == "*exo" and sid in table.shown, what="every column")
        await ui.pilot.press("slash", "ctrl+a", "ctrl+k", *f"*{sid[:13]}", "enter")
        await ui.until(lambda: table.shown == [sid], what="by its ID")
        await ui.pilot.press("slash", "ctrl+a", "ctrl+k", *"exo", "enter", "w")
        await ui.until(lambda: table.wide and sid in table.shown, what="the wide view's KEY matched")


def test_columns_drop_lowest_priority_first_and_the_first_stays():
    columns = tuple(Column(key, key.upper(), 10, str, priority=p)
                    for key, p in (("name", 0), ("a", 90), ("b", 10), ("c", 50), ("d", 70)))
    layout = _lay_out(columns, False, 43, 0)  # b dropped; then d too, for the header's › cell
    assert [columns[n].key for n, _ in layout.columns] == ["name", "a", "c"] and layout.right and not layout.left
    assert [columns[n].key for n, _ in _lay_out(columns, False, 54, 0).columns] == ["name", "a", "b", "c", "d"]
    scrolled = _lay_out(columns, False, 43, 9)  # no further than the last column in sight
    assert [columns[n].key for n, _ in scrolled.columns] == ["name", "c", "d", "b"] and scrolled.left
    assert not scrolled.right

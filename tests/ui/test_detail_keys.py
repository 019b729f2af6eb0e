"""The instance detail at 80x24 (issue 18 item 8): the console log wrapped so the host-key fingerprint line is
whole, its "following" label true once `f` pauses it, and the scroll keys working with no Tab first."""

from __future__ import annotations

from rich.cells import cell_len
from textual.widgets import Static

from exotui.ui.screens.detail import InstanceDetail
from exotui.ui.widgets.console_log import ConsoleLog


async def open_detail(ui, name: str) -> InstanceDetail:
    sid = await ui.boot(name)
    ui.point_at(sid)
    await ui.pilot.press("d")
    await ui.until(lambda: isinstance(ui.app.screen, InstanceDetail), what="the detail")
    return ui.app.screen


async def test_the_fingerprint_line_is_whole_at_80_columns(open_ui):
    async with open_ui() as ui:
        screen = await open_detail(ui, "keys-wrap")
        log = screen.query_one("#console", ConsoleLog)
        await ui.until(lambda: "(ED25519)" in log.text, what="the console read while its tab is hidden")
        await ui.pilot.press("l")
        await ui.until(lambda: log.size.width > 0 and any("(ED25519)" in line for line in log.lines),
                       what="the fingerprint")
        fingerprint = next(line for line in log.text.splitlines() if "SHA256:" in line and "(ED25519)" in line)
        width = log.scrollable_content_region.width
        assert cell_len(fingerprint) > width, "the line is longer than the pane: the test must wrap it"
        assert all(cell_len(line) <= width for line in log.lines), "no line runs out of sight"
        assert max(cell_len(line) for line in log.lines) >= width - 2, "wrapped at the pane's width, not less"
        at = next(n for n, line in enumerate(log.lines) if fingerprint.startswith(line) and line)
        assert "".join(log.lines[at:at + 3]).startswith(fingerprint), "wrapped whole, in order"
        await ui.pilot.resize_terminal(100, 30)  # wrapped again at the new width
        await ui.until(lambda: log._wrapped_at > width, what="wrapped again")
        assert all(cell_len(line) <= log.scrollable_content_region.width for line in log.lines)


async def test_the_follow_label_says_paused_once_f_pauses(open_ui):
    async with open_ui() as ui:
        screen = await open_detail(ui, "keys-follow")
        await ui.pilot.press("l")
        state = screen.query_one("#console-state", Static)
        await ui.until(lambda: "following" in str(state.render()), what="following")
        await ui.pilot.press("f")
        await ui.until(lambda: "paused (f follows)" in str(state.render()), timeout=2, what="paused, said at once")
        await ui.pilot.press("f")
        await ui.until(lambda: "following (f stops)" in str(state.render()), timeout=2, what="following again")


async def test_scroll_keys_work_with_no_tab_first(open_ui):
    async with open_ui() as ui:
        screen = await open_detail(ui, "keys-scroll")
        details = screen.query_one("#details")
        await ui.until(lambda: details.max_scroll_y > 0, what="details longer than the screen")
        await ui.pilot.press("j", "j", "j")
        await ui.until(lambda: details.scroll_y >= 3, what="j scrolled the details")
        await ui.pilot.press("k")
        await ui.until(lambda: details.scroll_y == 2, what="k back a line")
        await ui.pilot.press("pagedown")
        await ui.until(lambda: details.scroll_y > 3, what="page down")
        await ui.pilot.press("g")
        await ui.until(lambda: details.scroll_y == 0, what="g to the top")
        await ui.pilot.press("l")
        log = screen.query_one("#console", ConsoleLog)
        await ui.until(lambda: log.max_scroll_y > 0 and log.is_vertical_scroll_end, what="the log at its end")
        await ui.pilot.press("pageup", "k")
        await ui.until(lambda: not log.is_vertical_scroll_end, what="the log scrolled up, no Tab pressed")

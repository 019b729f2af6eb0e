"""The instance detail screen's layout: details and console log as tabs at 80 columns, side by side from
160; and the delete dialog's offer to release the instance's floating IPs."""

from __future__ import annotations

from textual.widgets import Log, Static, Tabs

from exotui.ui.screens.detail import SIDE_BY_SIDE_AT, InstanceDetail
from exotui.ui.dialogs import ConfirmOptionDialog
from exotui.ui.widgets.tick import Tick


def _shown(screen, selector: str) -> bool:
    widget = screen.query_one(selector)
    return widget.display and widget.region.width > 0 and widget.region.height > 0


async def _open_detail(ui, sid: str) -> InstanceDetail:
    ui.point_at(sid)
    await ui.pilot.press("d")
    await ui.until(lambda: isinstance(ui.app.screen, InstanceDetail), what="the detail screen")
    await ui.pilot.pause()
    return ui.app.screen


async def _host_keys(ui, screen) -> None:
    log = screen.query_one("#console", Log)
    await ui.until(lambda: any("-----BEGIN SSH HOST KEY KEYS-----" in line for line in log.lines),
                   what="the host key block")


async def test_detail_and_console_are_tabs_at_80_columns(open_ui):
    async with open_ui((80, 24)) as ui:
        sid = await ui.boot("ui-detail-narrow")
        screen = await _open_detail(ui, sid)
        assert _shown(screen, "#detail-tabs") and _shown(screen, "#details")
        assert not _shown(screen, "#console-pane")
        await ui.pilot.press("l")
        await ui.pilot.pause()
        assert _shown(screen, "#console-pane") and not _shown(screen, "#details")
        assert screen.query_one("#detail-tabs", Tabs).active == "tab-console"
        await _host_keys(ui, screen)
        await ui.pilot.press("i")
        await ui.pilot.pause()
        assert _shown(screen, "#details") and not _shown(screen, "#console-pane")


async def test_detail_and_console_side_by_side_when_wide(open_ui):
    async with open_ui((SIDE_BY_SIDE_AT, 45)) as ui:
        sid = await ui.boot("ui-detail-wide")
        screen = await _open_detail(ui, sid)
        assert not _shown(screen, "#detail-tabs"), "no tabs when both show"
        details, console = screen.query_one("#details"), screen.query_one("#console-pane")
        assert _shown(screen, "#details") and _shown(screen, "#console-pane")
        assert details.region.y == console.region.y and details.region.right <= console.region.x
        assert "ui-detail-wide" in str(screen.query_one("#detail-body", Static).render())
        await _host_keys(ui, screen)
        await ui.pilot.press("l")  # both show: the key puts the focus on the log, to scroll it
        await ui.pilot.pause()
        assert ui.app.focused is screen.query_one("#console", Log) and _shown(screen, "#details")
        # narrower again: back to tabs, on the one chosen last
        await ui.pilot.resize_terminal(100, 30)
        await ui.until(lambda: _shown(screen, "#detail-tabs"), what="the tabs back at 100 columns")
        await ui.pilot.pause()
        assert _shown(screen, "#console-pane") and not _shown(screen, "#details")


async def _server_with_address(ui, name: str) -> tuple[str, str, str]:
    """A new server holding a new floating IP, both shown by the app: (server ID, IP ID, address)."""
    sid = await ui.boot(name)
    fip = (await ui.project.actions.allocate_floating_ip()).value
    assigned = await ui.project.actions.assign_floating_ip(fip.id, sid)
    assert assigned.ok, assigned.message
    await ui.until(lambda: fip.address in ui.store.item("servers", sid).floating_ips, what="the address on the server")
    return sid, fip.id, fip.address


async def _confirm_delete(ui, sid: str, address: str) -> ConfirmOptionDialog:
    ui.point_at(sid)
    await ui.pilot.press("ctrl+d")
    await ui.until(lambda: isinstance(ui.app.screen, ConfirmOptionDialog), what="the delete dialog")
    dialog = ui.app.screen
    await ui.pilot.pause()
    text = " ".join(str(w.render()) for w in dialog.query(Static))
    assert address in text and ui.store.item("servers", sid).name in text
    tick = dialog.query_one(Tick)
    assert tick.value is False and str(tick.render()).startswith("[ ]"), "releasing is off unless asked for"
    return dialog


async def test_delete_releases_the_floating_ip_when_ticked(open_ui):
    async with open_ui() as ui:
        sid, fip_id, address = await _server_with_address(ui, "ui-delete-release")
        dialog = await _confirm_delete(ui, sid, address)
        await ui.pilot.press("r")
        assert str(dialog.query_one(Tick).render()).startswith(f"[x] also release its floating IP {address}")
        await ui.pilot.press("y")
        await ui.until(lambda: ui.world_server(sid)["_deleted"], what="the server deleted")
        await ui.until(lambda: fip_id not in ui.demo.world.floatingips, what="the address released")
        await ui.until(lambda: fip_id not in ui.store.get("floating_ips"), what="the address gone from the app")
        assert ("network", "DELETE", f"/floatingips/{fip_id}") in ui.sent


async def test_delete_keeps_the_floating_ip_by_default(open_ui):
    async with open_ui() as ui:
        sid, fip_id, address = await _server_with_address(ui, "ui-delete-keep")
        await _confirm_delete(ui, sid, address)
        await ui.pilot.press("y")
        await ui.until(lambda: ui.world_server(sid)["_deleted"], what="the server deleted")
        await ui.until(lambda: sid not in ui.store.get("servers"), what="the row gone")
        await ui.app.workers.wait_for_complete()  # the delete's flow, and anything it started, has run
        assert fip_id in ui.demo.world.floatingips and ("network", "DELETE", f"/floatingips/{fip_id}") not in ui.sent
        await ui.project.actions.release_floating_ip(fip_id)  # the demo cloud is the session's: give it back


async def test_the_detail_screen_takes_keys_and_store_events_before_it_is_composed(open_ui):
    """Under load a store event or a key (l, i) can reach the screen before its widgets exist (the monkey
    stopped the app this way: NoMatches '#detail-body'). They wait for the widgets instead of crashing."""
    async with open_ui((80, 24)) as ui:
        sid = await ui.boot("ui-detail-early")
        screen = InstanceDetail(ui.app.project, sid)
        screen.redraw()  # not composed, not attached: nothing to draw into, and no error
        screen.action_show("console")
        await screen._read_console()
        await ui.app.push_screen(screen)
        await ui.until(lambda: "ui-detail-early" in str(screen.query_one("#detail-title", Static).render()),
                       what="the title, drawn once composed")
        await ui.until(lambda: screen.query_one("#console", Log).lines, what="the console log")


async def test_a_tab_key_before_the_tabs_are_mounted_waits(open_ui):
    """The tab bar can exist before its tabs do (Tabs mounts them after itself): under load the monkey
    pressed `l` in that gap and Textual raised ValueError "No Tab with id 'tab-console'". A missing tab
    is made here by removing it, so the gap is reproduced every time; the key then does nothing."""
    async with open_ui((80, 24)) as ui:
        sid = await ui.boot("ui-detail-tabs")
        screen = InstanceDetail(ui.app.project, sid)
        await ui.app.push_screen(screen)
        await ui.until(lambda: screen.query("#detail-tabs #tab-console"), what="the tabs")
        tabs = screen.query_one("#detail-tabs", Tabs)
        await ui.pilot.press("l")  # tabs that are there answer as before
        await ui.until(lambda: tabs.active == "tab-console", what="the console tab")
        await ui.pilot.press("i")
        await ui.until(lambda: tabs.active == "tab-details", what="the details tab")
        await tabs.remove_tab("tab-console")
        await ui.pilot.pause()
        await ui.pilot.press("l")
        await ui.pilot.pause()
        assert ui.app.is_running and ui.app._exception is None
        assert tabs.active == "tab-details"

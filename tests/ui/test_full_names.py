"""A 5,000-character name is cut in the middle in menus and confirmations (the buttons stay on screen),
and f shows it whole (issue 15: "full name available on demand")."""

from __future__ import annotations

from textual.widgets import Static

from exotui.ui.dialogs import ChoiceDialog, ConfirmDialog, ConfirmOptionDialog, FullNames

LONG = "analysis-" + "x" * 4980 + "-the-end"


async def test_f_shows_the_full_name_in_the_menu_and_the_confirmation(open_ui):
    async with open_ui() as ui:
        sid = await ui.boot("to-rename")
        ui.demo.call(lambda world: ui.world_server(sid).update(name=LONG), ui.demo.world)  # as the cloud holds it
        ui.project.poller.kick("servers")
        await ui.until(lambda: ui.store.item("servers", sid).name == LONG, what="the long name")
        ui.point_at(sid)
        await ui.pilot.press("a")
        await ui.until(lambda: isinstance(ui.app.screen, ChoiceDialog), what="the action menu")
        menu = ui.app.screen
        assert len(menu.title_text) < 80 and "…" in menu.title_text
        await ui.until(lambda: menu.query(".dialog-hint"), what="the hint")
        assert "f: full names" in str(menu.query_one(".dialog-hint", Static).render())
        await ui.pilot.press("f")
        await ui.until(lambda: isinstance(ui.app.screen, FullNames), what="the full names")
        assert ui.app.screen.names == [LONG]
        await ui.pilot.press("escape")
        await ui.until(lambda: ui.app.screen is menu, what="back on the menu")
        await ui.pilot.press("escape")

        ui.app.flows.delete_servers([sid], ui.project)
        await ui.until(lambda: isinstance(ui.app.screen, (ConfirmDialog, ConfirmOptionDialog)),
                       what="the delete confirmation")
        confirm = ui.app.screen
        await ui.until(lambda: confirm.query("#confirm-no"), what="its buttons")
        assert confirm.query_one("#confirm-no").region.bottom <= ui.app.size.height, "the buttons stay on screen"
        await ui.pilot.press("f")
        await ui.until(lambda: isinstance(ui.app.screen, FullNames), what="the full names")
        assert ui.app.screen.names == [LONG]
        await ui.pilot.press("escape", "n")
        await ui.until(lambda: not isinstance(ui.app.screen, (ConfirmDialog, ConfirmOptionDialog, FullNames)),
                       what="cancelled")
        await ui.app.workers.wait_for_complete()
        assert ui.actions_sent(sid) == []


"""Stable, reachable, confirmed actions (issue 15): the action menu has one order whatever the state, what is
refused stays in place and can be scrolled to at 80x24, Lock/Unlock follow the lock, disruptive actions ask
first naming the instances and their SU/h with No focused, q asks while SSH sessions are open, and a
5,000-character name leaves the menu and the confirmation usable."""

from __future__ import annotations

import pytest
from textual.widgets import Button, OptionList

from exotui.cloud.models import Server
from exotui.cloud.rules import allowed_actions
from exotui.ui.dialogs import ChoiceDialog, ConfirmDialog


async def menu(ui, sid: str) -> OptionList:
    ui.point_at(sid)
    await ui.pilot.press("a")
    await ui.until(lambda: isinstance(ui.app.screen, ChoiceDialog), what="the action menu")
    options = ui.app.screen.query_one(OptionList)
    await ui.until(lambda: options.highlighted is not None, what="the first line highlighted")
    return options


async def choose(ui, option_id: str) -> None:
    options = ui.app.screen.query_one(OptionList)
    options.highlighted = options.get_option_index(option_id)
    await ui.pilot.press("enter")


async def test_lock_is_refused_on_a_locked_instance_and_unlock_on_an_unlocked_one(open_ui):
    async with open_ui() as ui:
        flows = ui.app.flows

        def reasons(server: Server) -> dict:
            return {c.id: c.reason for c in flows.menu_choices(ui.project, [server])}

        locked = reasons(Server("s", "web", "ACTIVE", vm_state="active", locked=True))
        assert locked["lock"] == "the instance is already locked" and locked["unlock"] is None
        unlocked = reasons(Server("s", "web", "ACTIVE", vm_state="active"))
        assert unlocked["lock"] is None and unlocked["unlock"] == "the instance is not locked"
        assert allowed_actions(Server("s", "web", "ACTIVE", locked=True))["lock"]  # Nova's own answer: a no-op


async def test_the_menu_has_one_order_whatever_the_state(open_ui):
    async with open_ui() as ui:
        active = await ui.boot("order-active")
        shutoff = await ui.boot("order-shutoff", status="SHUTOFF")
        flows = ui.app.flows
        orders = {sid: [c.id for c in flows.menu_choices(ui.project, [ui.store.item("servers", sid)])]
                  for sid in (active, shutoff)}
        assert orders[active] == orders[shutoff]
        ui.project.actions.in_flight.add((active, "reboot_soft"))  # an action in flight moves nothing either
        try:
            busy = flows.menu_choices(ui.project, [ui.store.item("servers", active)])
        finally:
            ui.project.actions.in_flight.clear()
        assert [c.id for c in busy] == orders[active]
        assert next(c for c in busy if c.id == "reboot_soft").reason == "already in progress"


async def test_refused_lines_are_reachable_by_keys_at_80x24(open_ui):
    async with open_ui(size=(80, 24)) as ui:
        sid = await ui.boot("reach-shutoff", status="SHUTOFF")
        options = await menu(ui, sid)
        await ui.until(lambda: options.max_scroll_y > 0, what="a menu taller than the screen")
        seen = set()
        for _ in range(options.option_count + options.max_scroll_y):
            await ui.pilot.press("down")
            seen.add(options.scroll_y)
        assert options.max_scroll_y in seen, "the last lines (and their reasons) came into view"
        seen.clear()
        for _ in range(options.option_count + options.max_scroll_y):
            await ui.pilot.press("up")
            seen.add(options.scroll_y)
        assert 0 in seen
        await ui.pilot.press("escape")


@pytest.mark.parametrize("action, words", [("stop", "shuts off"), ("shelve", "stored"),
                                           ("reboot_hard", "pulling the plug"), ("rescue", "rescue image")])
async def test_disruptive_actions_ask_first_with_no_focused(open_ui, action, words):
    async with open_ui() as ui:
        sid = await ui.boot(f"ask-{action.replace('_', '-')}")
        await menu(ui, sid)
        await choose(ui, action)
        await ui.until(lambda: isinstance(ui.app.screen, ConfirmDialog), what="the confirmation")
        dialog = ui.app.screen
        assert f"ask-{action.replace('_', '-')}" in dialog.title_text and words in dialog.message
        assert "SU/h 2 → " in dialog.message
        await ui.until(lambda: isinstance(ui.app.focused, Button) and ui.app.focused.id == "confirm-no",
                       what="No focused")
        await ui.pilot.press("enter")  # a stray enter: the safe answer
        await ui.until(lambda: not isinstance(ui.app.screen, ConfirmDialog), what="the dialog closed")
        await ui.pilot.pause()
        assert ui.actions_sent(sid) == [] and ui.world_server(sid)["status"] == "ACTIVE"


async def test_q_with_ssh_sessions_open_asks_first(open_ui):
    async with open_ui() as ui:
        ui.app.ssh_sessions = lambda: 2  # the sessions screen's count, without a real sshd
        await ui.pilot.press("q")
        await ui.until(lambda: isinstance(ui.app.screen, ConfirmDialog), what="the quit question")
        assert "2 SSH sessions" in ui.app.screen.title_text
        await ui.pilot.press("n")
        await ui.until(lambda: len(ui.app.screen_stack) == 1, what="the dashboard")
        assert ui.app.is_running and ui.app.return_code is None


async def test_a_5000_character_name_keeps_menu_and_confirmation_usable_at_80x24(open_ui):
    async with open_ui(size=(80, 24)) as ui:
        name = "N" * 2500 + "-middle-" + "E" * 2492
        sid = await ui.boot(name)
        await menu(ui, sid)
        title = ui.app.screen.title_text
        assert "…" in title and len(title) < 80 and title.startswith("Actions: NNN") and "EEE (" in title
        await choose(ui, "stop")
        await ui.until(lambda: isinstance(ui.app.screen, ConfirmDialog), what="the confirmation")
        dialog = ui.app.screen
        assert "…" in dialog.title_text and len(dialog.message) < 300
        await ui.pilot.pause()
        for button in dialog.query(Button):
            region = button.region
            assert region.height and region.bottom <= 24 and region.right <= 80, f"{button.id} off screen"
        await ui.pilot.press("n")
        await ui.until(lambda: len(ui.app.screen_stack) == 1, what="the dashboard")
        ui.point_at(sid)
        await ui.pilot.press("ctrl+d")
        await ui.until(lambda: isinstance(ui.app.screen, ConfirmDialog), what="the delete confirmation")
        await ui.pilot.pause()
        assert "…" in ui.app.screen.title_text
        for button in ui.app.screen.query(Button):
            assert button.region.height and button.region.bottom <= 24, f"{button.id} off screen"
        await ui.pilot.press("n")
        assert ui.actions_sent(sid) == []

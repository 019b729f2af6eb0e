"""An instance another user of the allocation created (Nova's `user_id` is not the logged-in user's) asks for
its name to be typed before a destructive action, after the confirmation and whatever the settings say
(issue 15, item 5); one's own instances do not."""

from __future__ import annotations

from textual.widgets import Input

from exotui.ui.dialogs import ConfirmDialog, PromptDialog
from test_safe_actions import choose, menu


async def _answer_yes(ui) -> None:
    await ui.until(lambda: isinstance(ui.app.screen, ConfirmDialog), what="the confirmation")
    ui.app.screen.query_one("#confirm-yes").press()


async def _type(ui, text: str) -> None:
    # the dialog is the screen before its field is composed (under load the query found nothing)
    await ui.until(lambda: ui.app.screen.query("#prompt-input"), what="the name's field")
    field = ui.app.screen.query_one("#prompt-input", Input)
    field.value = text
    await ui.pilot.press("enter")
    await ui.pilot.pause()


async def test_someone_else_s_instance_asks_for_its_name(open_ui):
    async with open_ui() as ui:
        assert ui.project.user_id, "the logged-in user is known"
        sid = await ui.boot("theirs-web")
        ui.demo.call(lambda world: ui.world_server(sid).update(user_id="f" * 32), ui.demo.world)
        ui.project.poller.kick("servers")
        await ui.until(lambda: ui.store.item("servers", sid).user_id == "f" * 32, what="the other creator")

        await menu(ui, sid)
        await choose(ui, "stop")
        await _answer_yes(ui)
        await ui.until(lambda: isinstance(ui.app.screen, PromptDialog), what="the name asked for")
        assert "another user" in ui.app.screen.title_text and "f" * 32 in ui.app.screen.title_text
        await _type(ui, "theirs")  # not its name: nothing goes
        assert isinstance(ui.app.screen, PromptDialog) and ui.actions_sent(sid) == []
        await ui.pilot.press("escape")
        await ui.until(lambda: not isinstance(ui.app.screen, PromptDialog), what="cancelled")
        await ui.pilot.pause()
        assert ui.actions_sent(sid) == [] and ui.world_server(sid)["status"] == "ACTIVE"

        await menu(ui, sid)
        await choose(ui, "stop")
        await _answer_yes(ui)
        await ui.until(lambda: isinstance(ui.app.screen, PromptDialog), what="the name asked for again")
        await _type(ui, "theirs-web")
        await ui.until(lambda: ui.actions_sent(sid), what="the stop sent once the name was typed")
        assert ui.actions_sent(sid) == [("compute", "POST", f"/servers/{sid}/action")]


async def test_one_s_own_instance_is_only_confirmed(open_ui):
    async with open_ui() as ui:
        sid = await ui.boot("mine-web")
        assert ui.store.item("servers", sid).user_id == ui.project.user_id
        await menu(ui, sid)
        await choose(ui, "stop")
        await _answer_yes(ui)
        await ui.until(lambda: ui.actions_sent(sid), what="the stop sent")
        assert not isinstance(ui.app.screen, PromptDialog)


async def test_the_creator_is_named_where_keystone_allows(open_ui, monkeypatch):
    async with open_ui() as ui:
        sid = await ui.boot("named-theirs")
        ui.demo.call(lambda world: ui.world_server(sid).update(user_id="e" * 32), ui.demo.world)
        ui.project.poller.kick("servers")
        await ui.until(lambda: ui.store.item("servers", sid).user_id == "e" * 32, what="the other creator")
        assert await ui.project.actions.user_name("e" * 32) is None, "the demo's Keystone, like a real one, says 403"
        ui.project.actions._user_names["e" * 32] = "alice"  # as if Keystone had answered
        await menu(ui, sid)
        await choose(ui, "shelve")
        await _answer_yes(ui)
        await ui.until(lambda: isinstance(ui.app.screen, PromptDialog), what="the name asked for")
        assert f"another user (alice, {'e' * 32})" in ui.app.screen.title_text
        await ui.pilot.press("escape")
        await ui.pilot.pause()
        assert ui.actions_sent(sid) == []

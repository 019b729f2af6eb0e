"""Taking a security group off an instance can cut the user's own SSH: it asks first, naming the group and
the instance, and a "no" sends nothing. Driven with Pilot against the demo cloud."""

from __future__ import annotations

from screens import ui_fixtures  # beside this file
from textual.widgets import OptionList, Static

from exotui.ui.dialogs import ChoiceDialog, ConfirmDialog

open_ui = ui_fixtures().open_ui


async def _pick(ui, option_id: str) -> None:
    options = ui.app.screen.query_one(OptionList)
    options.highlighted = options.get_option_index(option_id)
    await ui.pilot.press("enter")


async def _ask_to_remove(ui, sid: str, group: str) -> ConfirmDialog:
    ui.point_at(sid)
    await ui.pilot.press("a")
    await ui.until(lambda: isinstance(ui.app.screen, ChoiceDialog), what="the action menu")
    await _pick(ui, "remove_security_group")
    await ui.until(lambda: isinstance(ui.app.screen, ChoiceDialog)
                   and "Remove a security group" in ui.app.screen.title_text, what="the group picker")
    await _pick(ui, group)
    await ui.until(lambda: isinstance(ui.app.screen, ConfirmDialog), what="the confirmation")
    return ui.app.screen


async def test_removing_a_security_group_asks_first_and_no_sends_nothing(open_ui):
    async with open_ui() as ui:
        sid = await ui.boot("sg-removal")
        assert ui.store.item("servers", sid).security_groups == ("default",)

        dialog = await _ask_to_remove(ui, sid, "default")
        title = str(dialog.query_one(".dialog-title", Static).render())
        assert title == "Remove security group default from sg-removal?"
        assert dialog.query_one("#confirm-no").has_focus, "a stray enter must cancel"
        await ui.pilot.press("n")
        await ui.until(lambda: not isinstance(ui.app.screen, ConfirmDialog), what="the dialog gone")
        await ui.app.workers.wait_for_complete()  # a flow started by the answer, if any, has run
        assert ui.actions_sent(sid) == []
        assert "default" in ui.store.item("servers", sid).security_groups

        await _ask_to_remove(ui, sid, "default")
        await ui.pilot.press("y", "y")  # the second y lands on no dialog: nothing is sent twice
        await ui.until(lambda: "default" not in ui.store.item("servers", sid).security_groups,
                       what="the group removed")
        assert ui.actions_sent(sid) == [("compute", "POST", f"/servers/{sid}/action")]


async def test_a_group_with_a_control_character_is_added_and_removed_by_its_real_name(open_ui):
    """Shown as "nl1␊nl2", sent as "nl1\\nnl2": the shown name sent back was "nl1␊nl2 is not found"."""
    from exotui.demo import neutron

    async with open_ui() as ui:
        sid = await ui.boot("sg-raw-name")
        project_id = ui.world_server(sid)["tenant_id"]
        gid = ui.demo.call(lambda world: neutron.create_security_group(world, project_id, "nl1\nnl2")["id"],
                           ui.demo.world)
        try:
            ui.project.poller.kick("security_groups")
            await ui.until(lambda: ui.store.item("security_groups", gid) is not None, what="the new group")
            assert ui.store.item("security_groups", gid).name == "nl1␊nl2"
            ui.point_at(sid)
            await ui.pilot.press("a")
            await ui.until(lambda: isinstance(ui.app.screen, ChoiceDialog), what="the action menu")
            await _pick(ui, "add_security_group")
            await ui.until(lambda: isinstance(ui.app.screen, ChoiceDialog)
                           and "Add a security group" in ui.app.screen.title_text, what="the group picker")
            await _pick(ui, gid)
            await ui.until(lambda: "nl1␊nl2" in ui.store.item("servers", sid).security_groups, what="the group added")
            dialog = await _ask_to_remove(ui, sid, "nl1␊nl2")
            assert "nl1␊nl2" in dialog.title_text
            await ui.pilot.press("y")
            await ui.until(lambda: "nl1␊nl2" not in ui.store.item("servers", sid).security_groups,
                           what="the group removed")
        finally:
            def drop(world):
                for port in world.ports.values():
                    port["security_groups"] = [g for g in port["security_groups"] if g != gid]
                neutron.delete_security_group(world, gid)

            ui.demo.call(drop, ui.demo.world)

"""The dashboard's action flows driven with Pilot against the demo cloud: the action menu, resize,
refusals, bulk marks, delete with confirmation, instance detail with its console log, launch, volumes.

Each test makes its own servers (DemoUI.boot) in the demo's second project and deletes them after."""

from __future__ import annotations

from textual.widgets import Input, Log, OptionList, Static

from exotui.ui.screens.detail import InstanceDetail
from exotui.ui.dialogs import ChoiceDialog, ConfirmDialog
from exotui.ui.dialogs.form import FormDialog
from exotui.ui.intents import ResourceFlow
from exotui.ui.widgets.table import ResourceTable


async def menu(ui, server_id: str | None = None) -> OptionList:
    """Open the action menu (on `server_id`, else on the marked rows) and return its list."""
    if server_id:
        ui.point_at(server_id)
    await ui.pilot.press("a")
    await ui.until(lambda: isinstance(ui.app.screen, ChoiceDialog), what="the action menu")
    return ui.app.screen.query_one(OptionList)


async def choose(ui, option_id: str) -> None:
    """Move to an option with the arrow keys and press enter, as a user would."""
    options = ui.app.screen.query_one(OptionList)
    target = options.get_option_index(option_id)
    for _ in range(options.option_count):
        if options.highlighted == target:
            break
        await ui.pilot.press("down" if options.highlighted < target else "up")
    assert options.highlighted == target, f"cannot reach {option_id}"
    await ui.pilot.press("enter")


def status(ui, sid: str) -> str:
    server = ui.store.item("servers", sid)
    return server.status if server else "GONE"


async def test_suspend_from_the_menu_until_the_table_shows_it(open_ui):
    async with open_ui() as ui:
        sid = await ui.boot("ui-suspend")
        await menu(ui, sid)
        await choose(ui, "suspend")
        await ui.until(lambda: "suspended" in ui.row_text(sid), what="suspended in the row")
        assert ui.world_server(sid)["status"] == "SUSPENDED"
        assert [s for s in ui.actions_sent(sid) if s[2].endswith("/action")] == [
            ("compute", "POST", f"/servers/{sid}/action")]


async def test_resize_then_confirm_shows_the_new_flavor(open_ui):
    async with open_ui() as ui:
        sid = await ui.boot("ui-resize")
        await menu(ui, sid)
        await choose(ui, "resize")
        await ui.until(lambda: "Resize ui-resize" in str(ui.app.screen.query_one(".dialog-title", Static).render()))
        picker = ui.app.screen.query_one(OptionList)
        current = picker.get_option(ui.flavor_id("m3.small"))
        assert current.disabled and "current flavor" in str(current.prompt)
        assert "(+6)" in str(picker.get_option(ui.flavor_id("g3.small")).prompt)  # 2 -> 8 SU/h
        await choose(ui, ui.flavor_id("g3.small"))
        await ui.until(lambda: isinstance(ui.app.screen, ConfirmDialog), what="the resize confirmation")
        confirm = ui.app.screen
        assert confirm.title_text == "Resize instance ui-resize to g3.small?"
        assert "SU/h 2 → 8" in confirm.message and ui.actions_sent(sid) == []
        await ui.pilot.press("y")
        await ui.until(lambda: "to confirm" in ui.row_text(sid), what="VERIFY_RESIZE (to confirm)")

        options = await menu(ui, sid)
        assert not options.get_option("confirm_resize").disabled
        assert not options.get_option("revert_resize").disabled
        await choose(ui, "confirm_resize")
        await ui.until(lambda: status(ui, sid) == "ACTIVE" and "g3.small" in ui.row_text(sid),
                       what="ACTIVE on g3.small")
        assert ui.demo.world.flavors[ui.world_server(sid)["_flavor_id"]]["name"] == "g3.small"


async def test_a_refused_action_shows_why_and_sends_nothing(open_ui):
    async with open_ui() as ui:
        sid = await ui.boot("ui-gpu", flavor="g3.small")
        options = await menu(ui, sid)
        suspend = options.get_option("suspend")
        assert suspend.disabled and "does not suspend GPU instances" in str(suspend.prompt)
        start = options.get_option("start")
        assert start.disabled and "already running" in str(start.prompt)
        # a refused line cannot be chosen, even with the highlight forced onto it
        options.highlighted = options.get_option_index("suspend")
        await ui.pilot.press("enter")
        assert isinstance(ui.app.screen, ChoiceDialog)
        await ui.pilot.press("escape")
        # and an action still under way is shown as such, not offered again
        ui.project.actions.in_flight.add((sid, "stop"))  # the cloud layer's one guard
        options = await menu(ui, sid)
        assert options.get_option("stop").disabled and "already in progress" in str(options.get_option("stop").prompt)
        await ui.pilot.press("escape")
        await ui.app.workers.wait_for_complete()  # whatever the menu's answer started has run
        assert ui.actions_sent(sid) == [] and status(ui, sid) == "ACTIVE"


async def test_bulk_suspend_on_marked_rows_skips_the_refused_one(open_ui):
    async with open_ui() as ui:
        plain = await ui.boot("ui-bulk-a")
        gpu = await ui.boot("ui-bulk-gpu", flavor="g3.small")
        for sid in (plain, gpu):
            ui.point_at(sid)
            await ui.pilot.press("space")
        options = await menu(ui)
        assert "(1 of 2)" in str(options.get_option("suspend").prompt)
        await choose(ui, "suspend")
        await ui.until(lambda: status(ui, plain) == "SUSPENDED", what="the plain one suspended")
        await ui.app.workers.wait_for_complete()  # the bulk flow has done all it will do
        assert status(ui, gpu) == "ACTIVE" and ui.actions_sent(gpu) == []
        assert not ui.app.query_one("#table-servers", ResourceTable).marks  # the action consumed the marks


async def test_delete_asks_first_and_cancel_keeps_the_server(open_ui):
    async with open_ui() as ui:
        sid = await ui.boot("ui-delete")
        ui.point_at(sid)
        await ui.pilot.press("ctrl+d")
        await ui.until(lambda: isinstance(ui.app.screen, ConfirmDialog), what="the confirmation")
        assert "ui-delete" in str(ui.app.screen.query_one(".dialog-title", Static).render())
        await ui.pilot.press("enter")  # the focused answer is Cancel
        await ui.until(lambda: not isinstance(ui.app.screen, ConfirmDialog), what="the dialog answered")
        await ui.app.workers.wait_for_complete()
        assert status(ui, sid) == "ACTIVE" and not ui.world_server(sid)["_deleted"] and ui.actions_sent(sid) == []

        await ui.pilot.press("ctrl+d")
        await ui.until(lambda: isinstance(ui.app.screen, ConfirmDialog))
        await ui.pilot.press("y")
        await ui.until(lambda: sid not in ui.app.query_one("#table-servers", ResourceTable).items, what="row gone")
        assert ui.world_server(sid)["_deleted"]
        assert ui.actions_sent(sid).count(("compute", "DELETE", f"/servers/{sid}")) == 1


async def test_detail_shows_the_console_host_keys_and_follows_the_store(open_ui):
    async with open_ui() as ui:
        sid = await ui.boot("ui-detail")
        ui.point_at(sid)
        await ui.pilot.press("enter")
        await ui.until(lambda: isinstance(ui.app.screen, InstanceDetail), what="the detail screen")
        screen = ui.app.screen
        body = str(screen.query_one("#detail-body", Static).render())
        assert "m3.small" in body and "Featured-Ubuntu24" in body and "exotui-demo" in body
        assert "in tcp 22" in body or "default" in body
        await ui.pilot.press("l")
        log = screen.query_one("#console", Log)
        await ui.until(lambda: any("-----BEGIN SSH HOST KEY KEYS-----" in line for line in log.lines),
                       what="the host key block")
        # live: an action from the detail screen shows up in its title
        await ui.pilot.press("a")
        await ui.until(lambda: isinstance(ui.app.screen, ChoiceDialog))
        await choose(ui, "stop")
        await ui.until(lambda: isinstance(ui.app.screen, ConfirmDialog), what="the stop confirmation")
        await ui.pilot.press("y")
        title = screen.query_one("#detail-title", Static)
        await ui.until(lambda: "SHUTOFF" in str(title.render()), what="SHUTOFF in the detail title")
        await ui.pilot.press("escape")
        assert not isinstance(ui.app.screen, InstanceDetail)


async def test_launch_form_checks_then_makes_an_active_server(open_ui):
    async with open_ui() as ui:
        await ui.pilot.press("n")
        await ui.until(lambda: isinstance(ui.app.screen, FormDialog), what="the launch form")
        form = ui.app.screen
        await ui.pilot.press("ctrl+s")
        assert "needs a name" in str(form.query_one(".dialog-error", Static).render())
        form.query_one("#field-name", Input).focus()
        await ui.pilot.press(*"ui-launched", "enter")
        await ui.until(lambda: not isinstance(ui.app.screen, FormDialog))

        def launched():
            return next((s for s in ui.store.get("servers").values() if s.name == "ui-launched"), None)

        await ui.until(lambda: launched() is not None, what="the new server")
        ui.booted.append(launched().id)
        await ui.until(lambda: launched().status == "ACTIVE" and "active" in ui.row_text(launched().id),
                       what="the new server ACTIVE")
        server = launched()
        assert server.flavor_name == "m3.small" and server.key_name == "exotui-demo"
        assert "default" in server.security_groups


async def test_volume_create_attach_detach_delete(open_ui):
    async with open_ui() as ui:
        sid = await ui.boot("ui-volumes")
        ui.app.show_view("volumes")
        await ui.pilot.pause()
        await ui.pilot.press("n")
        await ui.until(lambda: isinstance(ui.app.screen, FormDialog))
        ui.app.screen.query_one("#field-size", Input).value = "1"
        ui.app.screen.query_one("#field-name", Input).focus()
        await ui.pilot.press(*"ui-vol", "enter")

        def volume():
            return next((v for v in ui.store.get("volumes").values() if v.name == "ui-vol"), None)

        await ui.until(lambda: volume() is not None and volume().status == "available", what="the volume")
        vid = volume().id
        await ui.until(lambda: vid in ui.app.query_one("#table-volumes", ResourceTable).shown)
        ui.point_at(vid, "volumes")
        await ui.pilot.press("a")
        await ui.until(lambda: isinstance(ui.app.screen, ChoiceDialog))
        await choose(ui, sid)
        await ui.until(lambda: "ui-volumes" in ui.row_text(vid, "volumes") and volume().status == "in-use",
                       what="attached")
        assert sid in {a["server_id"] for a in ui.demo.world.volumes[vid]["attachments"]}

        ui.point_at(vid, "volumes")
        await ui.pilot.press("x")
        await ui.until(lambda: isinstance(ui.app.screen, ConfirmDialog), what="detach asks first")
        await ui.pilot.press("y")
        await ui.until(lambda: volume().status == "available" and not volume().attachments, what="detached")

        ui.point_at(vid, "volumes")
        await ui.pilot.press("ctrl+d")
        await ui.until(lambda: isinstance(ui.app.screen, ConfirmDialog), what="delete asks first")
        await ui.pilot.press("y")
        await ui.until(lambda: volume() is None, what="the volume deleted")


async def test_floating_ip_allocate_assign_release(open_ui):
    async with open_ui() as ui:
        sid = await ui.boot("ui-fip")
        before = set(ui.store.get("floating_ips"))
        ui.app.show_view("floating_ips")
        await ui.pilot.pause()
        await ui.pilot.press("n")
        await ui.until(lambda: set(ui.store.get("floating_ips")) - before, what="a new floating IP")
        (fid,) = set(ui.store.get("floating_ips")) - before
        address = ui.store.item("floating_ips", fid).address
        await ui.until(lambda: fid in ui.app.query_one("#table-floating_ips", ResourceTable).shown)
        ui.point_at(fid, "floating_ips")
        await ui.pilot.press("a")
        await ui.until(lambda: isinstance(ui.app.screen, ChoiceDialog))
        await choose(ui, sid)
        await ui.until(lambda: "ui-fip" in ui.row_text(fid, "floating_ips"), what="assigned")
        await ui.until(lambda: address in ui.store.item("servers", sid).floating_ips, what="the server's address")

        ui.point_at(fid, "floating_ips")
        await ui.pilot.press("ctrl+d")
        await ui.until(lambda: isinstance(ui.app.screen, ConfirmDialog), what="release asks first")
        assert address in str(ui.app.screen.query_one(".dialog-title", Static).render())
        await ui.pilot.press("y")
        await ui.until(lambda: fid not in ui.store.get("floating_ips"), what="released")
        assert fid not in ui.demo.world.floatingips


async def test_security_group_rule_add_and_remove(open_ui):
    async with open_ui() as ui:
        group = next(g for g in ui.store.get("security_groups").values() if g.name == "default")
        ui.app.show_view("security_groups")
        await ui.pilot.pause()
        ui.point_at(group.id, "security_groups")
        await ui.pilot.press("n")
        await ui.until(lambda: isinstance(ui.app.screen, FormDialog))
        ui.app.screen.query_one("#field-port_min", Input).value = "8080"
        ui.app.screen.query_one("#field-remote", Input).value = "not-a-cidr"
        await ui.pilot.press("ctrl+s")
        assert "not an address range" in str(ui.app.screen.query_one(".dialog-error", Static).render())
        ui.app.screen.query_one("#field-remote", Input).value = "203.0.113.0/24"
        await ui.pilot.press("ctrl+s")

        def rule():
            current = ui.store.item("security_groups", group.id)
            return next((r for r in current.rules if r.port_min == 8080), None)

        await ui.until(lambda: rule() is not None, what="the new rule")
        assert (rule().protocol, rule().port_max, rule().remote_cidr) == ("tcp", 8080, "203.0.113.0/24")
        ui.point_at(group.id, "security_groups")
        await ui.pilot.press("x")
        await ui.until(lambda: isinstance(ui.app.screen, ChoiceDialog))
        await choose(ui, rule().id)
        await ui.until(lambda: isinstance(ui.app.screen, ConfirmDialog), what="removal asks first")
        await ui.pilot.press("y")
        await ui.until(lambda: rule() is None, what="the rule removed")


async def test_security_group_create_and_delete(open_ui):
    async with open_ui() as ui:
        ui.app.show_view("security_groups")
        await ui.pilot.pause()
        default = next(g for g in ui.store.get("security_groups").values() if g.name == "default")
        ui.point_at(default.id, "security_groups")
        await ui.pilot.press("c")
        await ui.until(lambda: isinstance(ui.app.screen, FormDialog))
        ui.app.screen.query_one("#field-name", Input).value = "default"
        await ui.pilot.press("ctrl+s")
        assert "has a group named default already" in str(ui.app.screen.query_one(".dialog-error", Static).render())
        ui.app.screen.query_one("#field-name", Input).value = "ui-web"
        ui.app.screen.query_one("#field-description", Input).value = "made in the dashboard"

        def made():
            return next((g for g in ui.store.get("security_groups").values() if g.name == "ui-web"), None)

        await ui.pilot.press("ctrl+s")
        await ui.until(lambda: made() is not None, what="the new group")
        assert made().description == "made in the dashboard" and made().id in ui.demo.world.security_groups

        ui.point_at(default.id, "security_groups")
        await ui.pilot.press("ctrl+d")
        await ui.pilot.pause()
        assert not isinstance(ui.app.screen, ConfirmDialog), "the default group is refused before asking"
        assert any("every project keeps its default group" in n.message for n in ui.app._notifications)

        gid = made().id
        ui.point_at(gid, "security_groups")
        await ui.pilot.press("ctrl+d")
        await ui.until(lambda: isinstance(ui.app.screen, ConfirmDialog), what="delete asks first")
        assert "ui-web" in str(ui.app.screen.query_one(".dialog-title", Static).render())
        await ui.pilot.press("y")
        await ui.until(lambda: gid not in ui.store.get("security_groups"), what="deleted")
        assert gid not in ui.demo.world.security_groups


async def test_a_flow_keeps_the_item_it_was_started_on_when_the_store_drops_it(open_ui):
    """The key dispatches, then the poller drops the item before the flow's worker runs (a floating IP
    released by an instance delete that ran meanwhile: found by the monkey). The flow still asks about
    the item it was started on, naming it, and a yes ends in a plain "not sent", not in a flow's own bug."""
    async with open_ui() as ui:
        project = ui.app.project
        fip = (await project.actions.allocate_floating_ip()).value
        volume = ui.store.item("volumes", (await project.actions.create_volume("ui-gone", 1)).value)
        # as the views' keys do: the message takes the item at the key press
        cases = ((lambda: ui.app.post_message(ResourceFlow("floating_ips", "release", fip.id, project)),
                  "floating_ips", fip, fip.address),
                 (lambda: ui.app.post_message(ResourceFlow("volumes", "delete", volume.id, project)),
                  "volumes", volume, "ui-gone"))
        try:
            for start, kind, item, title in cases:
                start()
                ui.store.merge(kind, [], [item.id])  # before the flow's worker has run a line
                await ui.until(lambda: isinstance(ui.app.screen, ConfirmDialog), what=f"{kind}: asks first")
                assert title in str(ui.app.screen.query_one(".dialog-title", Static).render())
                await ui.pilot.press("y")
                await ui.until(lambda: any(n.title == "not sent" and "not in the project" in n.message
                                           for n in ui.app._notifications), what=f"{kind}: not sent, and why")
                assert not [n.message for n in ui.app._notifications if n.title == "something went wrong"]
                ui.app.clear_notifications()
            assert fip.id in ui.demo.world.floatingips and volume.id in ui.demo.world.volumes
        finally:
            for _, kind, item, _ in cases:
                ui.store.merge(kind, [item])
            await project.actions.release_floating_ip(fip.id)
            await project.actions.delete_volume(volume.id)

"""The `:map` screen and the SSH doctor screen on the demo cloud, driven by keys."""

from __future__ import annotations

from textual.widgets import OptionList

from exotui.ui.dialogs import ChoiceDialog, ConfirmDialog
from exotui.ui.flows import DOCTOR
from exotui.ui.netmap import DoctorScreen, NetMap, NetMapScreen


async def open_map(ui) -> NetMapScreen:
    for key in ("colon", *"map", "enter"):
        await ui.pilot.press(key)
    await ui.until(lambda: isinstance(ui.app.screen, NetMapScreen), what="the map")
    screen = ui.app.screen
    await ui.until(lambda: any(l.node_id and l.node_id.startswith("inst:") for l in screen.lines),
                   what="instances on the map")
    return screen


async def test_map_moves_node_to_node_and_opens_the_doctor(open_ui):
    async with open_ui() as ui:
        sid = await ui.boot("map-probe")
        screen = await open_map(ui)
        assert screen.lines[0].node_id.startswith("ext:")
        assert all(len(line.text) <= 78 for line in screen.lines)
        # down from the external network: the router, then its network, then an instance
        await ui.pilot.press("down", "down")
        assert screen.current.startswith("net:")
        await ui.pilot.press("right")
        assert screen.current.startswith("inst:")
        await ui.pilot.press("left")
        assert screen.current.startswith("net:")
        target = next(l.node_id for l in screen.lines if l.node_id and l.node_id.endswith(sid))
        screen._go(target)
        await ui.pilot.press("d")
        await ui.until(lambda: isinstance(ui.app.screen, DoctorScreen), what="the doctor")
        doctor = ui.app.screen
        assert doctor.server_id == sid
        body = str(doctor.query_one("#doctor-body").render())
        assert "instance status" in body and "ssh ingress" in body
        await ui.pilot.press("escape")
        assert isinstance(ui.app.screen, NetMapScreen)
        await ui.pilot.press("escape")
        assert not isinstance(ui.app.screen, NetMapScreen)


async def test_the_map_fits_80_columns(open_ui):
    async with open_ui() as ui:
        await ui.boot("map-width")
        screen = await open_map(ui)
        width = screen.query_one(NetMap).content_size.width
        assert all(len(line.text) <= width for line in screen.lines)


async def test_the_doctor_from_the_action_menu_starts_a_stopped_instance(open_ui):
    async with open_ui() as ui:
        sid = await ui.boot("doctor-probe", status="SHUTOFF")
        ui.point_at(sid)
        await ui.pilot.press("a")
        await ui.until(lambda: isinstance(ui.app.screen, ChoiceDialog), what="the action menu")
        options = ui.app.screen.query_one(OptionList)
        target = options.get_option_index(DOCTOR)
        while options.highlighted != target:  # the arrow keys, as a user would
            await ui.pilot.press("down" if options.highlighted < target else "up")
        await ui.pilot.press("enter")
        await ui.until(lambda: isinstance(ui.app.screen, DoctorScreen), what="the doctor")
        doctor = ui.app.screen
        assert doctor.server_id == sid
        assert "doctor-probe" in str(doctor.query_one("#doctor-title").render())
        body = lambda: str(doctor.query_one("#doctor-body").render())
        assert "[FAIL] instance status: SHUTOFF" in body() and "1) start doctor-probe" in body()
        await ui.pilot.press("1")
        await ui.until(lambda: isinstance(ui.app.screen, ConfirmDialog), what="the confirmation")
        await ui.pilot.press("y")
        await ui.until(lambda: ui.world_server(sid)["status"] == "ACTIVE", what="the demo cloud to start it")
        assert [s for s in ui.actions_sent(sid) if s[2].endswith("/action")] == [
            ("compute", "POST", f"/servers/{sid}/action")]
        await ui.until(lambda: ui.store.item("servers", sid).status == "ACTIVE", what="ACTIVE in the store")
        await ui.pilot.press("r")
        await ui.until(lambda: "[ok  ] instance status: ACTIVE" in body(), what="the recheck")
        await ui.pilot.press("escape")
        assert not isinstance(ui.app.screen, (DoctorScreen, ChoiceDialog))

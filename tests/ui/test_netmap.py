"""The `:map` screen and the SSH doctor screen on the demo cloud, driven by keys."""

from __future__ import annotations

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

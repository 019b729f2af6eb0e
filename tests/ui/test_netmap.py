"""The `:map` screen and the SSH doctor screen on the demo cloud, driven by keys."""

from __future__ import annotations

from textual.widgets import OptionList

from exotui.ui.dialogs import ChoiceDialog, ConfirmDialog
from exotui.ui.flows import DOCTOR
from exotui.ui.screens.doctor import DoctorScreen
from exotui.ui.screens.netmap import NetMap, NetMapScreen


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
        started = [a["action"] for a in ui.demo.world.instance_actions.get(sid, [])].count("start")
        assert started == 1, "one start sent (the doctor's console read is the other POST /action)"
        await ui.until(lambda: ui.store.item("servers", sid).status == "ACTIVE", what="ACTIVE in the store")
        await ui.pilot.press("r")
        await ui.until(lambda: "[ok  ] instance status: ACTIVE" in body(), what="the recheck")
        await ui.pilot.press("escape")
        assert not isinstance(ui.app.screen, (DoctorScreen, ChoiceDialog))


async def test_who_may_connect_follows_the_groups_and_opens_the_doctor(open_ui):
    from exotui.ui.screens.matrix import MatrixList, MatrixScreen

    async with open_ui() as ui:
        sid = await ui.boot("mx-probe")
        for key in ("colon", *"who", "enter"):
            await ui.pilot.press(key)
        await ui.until(lambda: isinstance(ui.app.screen, MatrixScreen), what="the matrix")
        screen = ui.app.screen
        await ui.until(lambda: sid in screen.rows, what="the instance's row")
        head = str(screen.query_one("#matrix-head").render())
        assert head.split()[:6] == ["instance", "SSH", "HTTP", "HTTPS", "ICMP", "all"]
        ssh = lambda: screen.table[sid]["SSH"]  # noqa: E731
        assert not ssh().world and ssh().servers, "default admits the group's own members only"
        width = screen.query_one(MatrixList).content_size.width
        assert all(len(str(o.prompt)) <= width for o in screen.query_one(MatrixList)._options)

        assert (await ui.project.actions.attach_security_group(sid, "ssh-icmp")).ok
        await ui.until(lambda: ssh().world, what="ssh-icmp opens SSH to the world")
        screen.query_one(MatrixList).highlighted = screen.rows.index(sid)
        await ui.pilot.pause()
        detail = str(screen.query_one("#matrix-detail").render())
        assert detail.startswith("mx-probe: SSH from anywhere") and "ICMP from anywhere" in detail
        assert "HTTP from 3 instances (" in detail, "default's remote-group rule, resolved to its members"
        await ui.pilot.press("enter")
        await ui.until(lambda: isinstance(ui.app.screen, DoctorScreen), what="the doctor")
        assert ui.app.screen.server_id == sid
        await ui.pilot.press("escape")
        assert ui.app.screen is screen
        await ui.pilot.press("escape")
        assert not isinstance(ui.app.screen, MatrixScreen)


async def test_the_doctor_tells_a_changed_host_key_from_the_console_log_and_forgets_it(open_ui):
    """No connection: the console log's host keys against exotui's pins for the instance's address."""
    import asyncssh

    from exotui.ssh.hostkeys import KnownHosts, parse_host_keys

    async with open_ui() as ui:
        srv = next(s for s in sorted(ui.store.get("servers").values(), key=lambda s: s.name)
                   if s.status == "ACTIVE" and s.floating_ips)
        address = srv.floating_ips[0]
        port = ui.demo.cloud.world.ssh_port  # the cloud's `exotui: ssh_port`, where `s` pins and checks
        where = f"{address}:{port}"
        stranger = asyncssh.generate_private_key("ssh-ed25519").export_public_key().decode().split()
        pins = KnownHosts()
        pins.pin(address, port, srv.id, [(stranger[0], stranger[1])])  # what a rebuild leaves behind
        ui.app.push_screen(DoctorScreen(ui.project, srv.id))
        await ui.until(lambda: isinstance(ui.app.screen, DoctorScreen), what="the doctor")
        doctor = ui.app.screen
        await ui.until(lambda: doctor.query("#doctor-body"), what="the doctor drawn")
        body = lambda: str(doctor.query_one("#doctor-body").render())  # noqa: E731
        await ui.until(lambda: "[FAIL] host key" in body(), what="the console log read and compared")
        assert f"the key pinned for {where} is not this instance's" in body()
        forget = next(n for n, fix in enumerate(doctor.fixes, 1) if fix.action == "forget_host_key")
        assert f"{forget}) forget the key pinned for {where}" in body()
        await ui.pilot.press(str(forget))
        await ui.until(lambda: isinstance(ui.app.screen, ConfirmDialog), what="forgetting asks first")
        await ui.pilot.press("y")
        await ui.until(lambda: not pins.lookup(address, port), what="the pin forgotten")
        await ui.until(lambda: f"[warn] host key: {where} is not in known_hosts" in body(), what="the recheck")

        pins.pin(address, port, srv.id, parse_host_keys(doctor.console))  # the keys it printed: trusted
        await ui.pilot.press("r")
        await ui.until(lambda: f"[ok  ] host key: {where} is in known_hosts" in body(), what="a known key")
        pins.pin(address, port, "another-instance-id", parse_host_keys(doctor.console))  # the address moved
        await ui.pilot.press("r")
        await ui.until(lambda: "[FAIL] host key" in body(), what="a pin made for another instance")
        pins.forget(address, port)


async def test_the_doctor_refuses_a_from_address_that_is_not_one(open_ui):
    """Typed into the doctor's 'from' prompt by the monkey: 'wS' crashed the app."""
    from exotui.ui.dialogs import PromptDialog

    async with open_ui() as ui:
        sid = await ui.boot("from-probe")
        ui.app.push_screen(DoctorScreen(ui.project, sid))
        await ui.until(lambda: isinstance(ui.app.screen, DoctorScreen) and ui.app.screen.query("#doctor-body"))
        doctor = ui.app.screen
        await ui.pilot.press("f")
        await ui.until(lambda: isinstance(ui.app.screen, PromptDialog), what="the prompt")
        await ui.pilot.press(*"wS", "enter")
        await ui.until(lambda: ui.app.screen is doctor, what="back on the doctor")
        await ui.pilot.pause()
        assert ui.app.is_running and doctor.source is None
        assert any("'wS' is not an address" in n.message for n in ui.app._notifications)
        await ui.pilot.press("f")
        await ui.until(lambda: isinstance(ui.app.screen, PromptDialog), what="the prompt again")
        await ui.pilot.press(*"203.0.113.5", "enter")
        await ui.until(lambda: doctor.source == "203.0.113.5", what="a real address taken")


async def test_map_matrix_and_doctor_take_late_and_early_calls_quietly(open_ui):
    """Under load a finished console read, a key (r) or a redraw queued by a store change can reach these
    screens before their widgets exist or after they closed (the monkey stopped the app on NoMatches
    '#doctor-title'). Such calls do nothing; an open screen still draws."""
    from exotui.ui.screens.matrix import MatrixScreen

    async with open_ui() as ui:
        sid = await ui.boot("late-probe")
        for make in (lambda: DoctorScreen(ui.project, sid), lambda: NetMapScreen(ui.project),
                     lambda: MatrixScreen(ui.project)):
            screen = make()
            redraw = screen.action_refresh if isinstance(screen, DoctorScreen) else screen.redraw
            redraw()  # before compose: nothing to draw into, and no error
            await ui.app.push_screen(screen)
            await ui.until(lambda: ui.app.screen is screen, what=type(screen).__name__)
            await ui.pilot.pause()
            if isinstance(screen, DoctorScreen):
                assert "late-probe" in str(screen.query_one("#doctor-title").render())
            else:
                assert screen.current is not None, "the open screen drew its list"
            await ui.pilot.press("escape")
            await ui.until(lambda: ui.app.screen is not screen and not screen.is_attached, what="closed")
            redraw()  # after close: e.g. the console log arriving late
            if not isinstance(screen, DoctorScreen):
                assert screen.current is None, "its list is gone"
            await ui.pilot.pause()
            assert ui.app.is_running and ui.app._exception is None

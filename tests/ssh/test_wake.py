"""`s` on a stopped instance offers to wake it (start, resume, unshelve: a dialog, Cancel focused) and
connects once it is ACTIVE; declining opens no dead session."""

from __future__ import annotations

import re

import pytest

from exotui.demo import neutron
from exotui.ui.dialogs import ConfirmDialog
from exotui.ui.screens.sessions import SessionsScreen

from test_sessions_ui import screen_text

pytestmark = pytest.mark.timeout(150)


async def stopped_instance(ui, name: str, status: str) -> str:
    """An instance in `status` with a floating IP, made behind the app's back."""
    sid = await ui.boot(name, status=status)

    def assign(world):
        server = world.servers[sid]
        public = next(n for n in world.networks.values() if n["name"] == "public")
        port = neutron.device_ports(world, sid)[0]
        neutron.create_floating_ip(world, server["tenant_id"], public["id"], port_id=port["id"])
        server["_addresses"] = None
        world.changed("servers", sid)

    ui.demo.call(assign, ui.demo.world)
    ui.project.poller.kick("servers")
    ui.project.poller.kick("floating_ips")
    await ui.until(lambda: (s := ui.store.item("servers", sid)) is not None and s.status == status
                   and s.floating_ips, what=f"{name} {status} with a floating IP")
    return sid


@pytest.mark.parametrize("status, verb", [("SHUTOFF", "start"), ("SUSPENDED", "resume"), ("SHELVED_OFFLOADED", "unshelve")])
async def test_s_on_a_stopped_instance_wakes_it_then_connects(open_ui, status, verb):
    async with open_ui(size=(100, 30)) as ui:
        sid = await stopped_instance(ui, f"wake-{verb}", status)
        ui.point_at(sid)
        await ui.pilot.press("s")
        await ui.until(lambda: isinstance(ui.app.screen, ConfirmDialog), what=f"the offer to {verb}")
        await ui.pilot.press("y")
        await ui.until(lambda: isinstance(ui.app.screen, SessionsScreen), what="the sessions screen")
        session = ui.app.screen.sessions()[0]
        await ui.until(lambda: session.shell is not None, timeout=60, what="a shell once ACTIVE")
        await ui.until(lambda: "$" in screen_text(session.terminal), timeout=20, what="the prompt")
        assert ui.store.item("servers", sid).status == "ACTIVE"


async def test_declining_to_start_opens_no_session(open_ui):
    async with open_ui(size=(100, 30)) as ui:
        sid = await stopped_instance(ui, "wake-declined", "SHUTOFF")
        ui.point_at(sid)
        await ui.pilot.press("s")
        await ui.until(lambda: isinstance(ui.app.screen, ConfirmDialog), what="the offer to start")
        await ui.pilot.press("escape")
        await ui.until(lambda: isinstance(ui.app.screen, SessionsScreen), what="the sessions screen")
        session = ui.app.screen.sessions()[0]
        await ui.until(lambda: session.ended.is_set(), what="the session to end")
        status = str(session.query_one(".ssh-status").render())
        assert re.search(r"not connected: wake-declined is SHUTOFF", status), status
        assert ui.store.item("servers", sid).status == "SHUTOFF"


async def test_an_instance_deleted_while_the_offer_is_open_ends_the_session_with_one_line(open_ui):
    """Deleted elsewhere between the offer and the answer: the tab says so, and nothing is reported as a bug."""
    async with open_ui(size=(100, 30)) as ui:
        sid = await stopped_instance(ui, "wake-gone", "SHUTOFF")
        ui.point_at(sid)
        await ui.pilot.press("s")
        await ui.until(lambda: isinstance(ui.app.screen, ConfirmDialog), what="the offer to start")
        ui.demo.call(lambda: ui.demo.world.servers.pop(sid) and ui.demo.world.changed("servers", sid))
        ui.project.poller.distrust()
        ui.project.poller.kick("servers")
        await ui.until(lambda: ui.store.item("servers", sid) is None, what="the deleted instance gone from the store")
        await ui.pilot.press("y")
        await ui.until(lambda: isinstance(ui.app.screen, SessionsScreen), what="the sessions screen")
        session = ui.app.screen.sessions()[0]
        await ui.until(lambda: session.ended.is_set(), what="the session to end")
        status = str(session.query_one(".ssh-status").render())
        assert "✗ this instance is not in the project" in status, status
        assert not [n for n in ui.app._notifications if n.title == "something went wrong"]

"""Sessions in the app (Pilot) where the keys are the story, on a demo cloud of this module's own whose
instances boot slowly (delay knob 30), so an instance made a moment ago has not printed its host key
block yet: the trust dialog shows the fingerprint and asks; a changed key is refused and can be forgotten
only by confirming a dialog that names the host; an Exosphere-built instance without the user's keypair
takes exouser's passphrase from Nova, which never shows; "SSH" in the action menu opens a session."""

from __future__ import annotations

import datetime as dt
import logging
import re

import asyncssh
import pytest
from textual.widgets import OptionList

from exotui.demo import console, neutron, nova
from exotui.demo.app import DemoCloudThread
from exotui.demo.world import Knobs
from exotui.ssh.hostkeys import KnownHosts
from exotui.ui.dialogs import ChoiceDialog, ConfirmDialog
from exotui.ui.flows import SSH
from exotui.ui.screens.sessions import SessionsScreen, SSHSession

pytestmark = pytest.mark.timeout(120)

PROJECT = "CIS240112"  # the UI tests' project (tests/ui/conftest.py)
PASSPHRASE = "correct-horse-battery-staple-42"


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("slow-boot-cloud")


@pytest.fixture(scope="module")
def demo(demo_dir):
    """Overrides the session's demo cloud for open_ui: boots take 30x as long (the seed is backdated)."""
    with DemoCloudThread(Knobs(delay_scale=30.0, seed=1), state_dir=demo_dir / "state") as cloud:
        cloud.cloud.write_config(demo_dir)
        yield cloud


def make_instance(demo, name: str, *, booted_days_ago: float = 0.0, keypair: bool = True,
                  exosphere: bool = False, passphrase: str | None = None) -> str:
    """An ACTIVE instance with a floating IP, made in the demo world behind the app's back. `passphrase`:
    what an Exosphere instance posts to Nova's os-server-password at boot."""

    def make(world):
        project = next(p for p in world.projects.values() if p["name"] == PROJECT)
        flavor = next(f["id"] for f in world.flavors.values() if f["name"] == "m3.small")
        image = next(i["id"] for i in world.images.values() if i["name"] == "Featured-Ubuntu24")
        network = next(n for n in world.networks.values() if n["project_id"] == project["id"]
                       and n["name"] == "auto_allocated_network")
        server = nova.boot(world, project["id"], next(iter(world.users)), name, flavor, image, [network["id"]],
                           key_name="exotui-demo" if keypair else None, security_groups=["default", "ssh-icmp"],
                           metadata={"exoServerVersion": "6", "exoCreatorUsername": "demo"} if exosphere else None)
        if booted_days_ago:
            server["_created"] = server["_launched"] = server["_created"] - dt.timedelta(days=booted_days_ago)
        public = next(n for n in world.networks.values() if n["name"] == "public")
        port = neutron.device_ports(world, server["id"])[0]
        neutron.create_floating_ip(world, project["id"], public["id"], port_id=port["id"])
        server["_addresses"] = None  # Nova's cache has caught up
        if passphrase:
            server["_password"] = passphrase
        return server["id"]

    return demo.call(make, demo.world)


def fingerprint_of(demo, sid: str) -> str:
    return demo.call(lambda world: console.host_key(world, world.servers[sid]).get_fingerprint("sha256"), demo.world)


async def shown(ui, sid: str):
    """Wait until the app shows the instance with its floating IP; put the cursor on it."""
    ui.project.poller.kick("servers")
    ui.project.poller.kick("floating_ips")  # the store takes an instance's floating IPs from Neutron
    await ui.until(lambda: (s := ui.store.item("servers", sid)) is not None and s.floating_ips,
                   what="the instance with its floating IP")
    table = ui.app.query_one("#table-servers")
    await ui.until(lambda: sid in table.shown, what="the instance in the table")
    ui.point_at(sid)


async def start_session(ui):
    await ui.pilot.press("s")
    await ui.until(lambda: isinstance(ui.app.screen, (SessionsScreen, ConfirmDialog)), what="the session")
    screen = ui.app.get_screen("ssh-sessions")
    await ui.until(lambda: screen.count >= 1, what="a session tab")
    return screen.sessions()[-1]


def status_of(session) -> str:
    return str(session.query_one(".ssh-status").render())


@pytest.fixture()
def said(monkeypatch, caplog) -> list[str]:
    """Every status line the sessions showed and every log record (at DEBUG, asyncssh's included)."""
    caplog.set_level(logging.DEBUG)
    lines: list[str] = []
    status = SSHSession.status

    def recording(self, text: str) -> None:
        lines.append(text)
        status(self, text)

    monkeypatch.setattr(SSHSession, "status", recording)
    yield lines
    lines.append(caplog.text)


def everything_shown(ui, said: list[str]) -> str:
    """The screen as text now, every notification, every status line shown and every log record."""
    return "\n".join([ui.app.export_screenshot(), *(n.message for n in ui.app._notifications), *said])


async def test_no_key_block_yet_shows_the_fingerprint_and_asks(open_ui):
    async with open_ui(size=(100, 30)) as ui:
        sid = make_instance(ui.demo, "just-booted")
        await shown(ui, sid)
        expected = fingerprint_of(ui.demo, sid)
        session = await start_session(ui)
        await ui.until(lambda: isinstance(ui.app.screen, ConfirmDialog), what="the trust dialog")
        dialog = ui.app.screen
        assert "just-booted" in dialog.title_text and expected in dialog.message
        await ui.pilot.press("n")  # refused: nothing pinned, no connection
        await ui.until(lambda: session.ended.is_set(), what="the session to give up")
        assert session.connection is None and "not trusted" in status_of(session)
        assert not KnownHosts().lookup(session.target.host, session.target.port)

        await ui.pilot.press("ctrl+f4", "ctrl+right_square_bracket")  # close the failed tab
        await ui.until(lambda: not isinstance(ui.app.screen, SessionsScreen), what="the dashboard")
        ui.point_at(sid)
        session = await start_session(ui)
        await ui.until(lambda: isinstance(ui.app.screen, ConfirmDialog), what="the trust dialog again")
        await ui.pilot.press("y")  # trusted: pinned (tied to the server ID), then used
        await ui.until(lambda: session.shell is not None, timeout=20, what="the shell")
        assert session.connection.trust.source == "pinned"
        pins = KnownHosts().lookup(session.target.host, session.target.port)
        assert [(p.fingerprint, p.server_id) for p in pins] == [(expected, sid)]
        assert "trusted by you" in status_of(session) or "pinned" in status_of(session)


async def test_a_changed_key_is_refused_and_forgotten_only_when_confirmed(open_ui):
    async with open_ui(size=(100, 30)) as ui:
        sid = make_instance(ui.demo, "rebuilt-one", booted_days_ago=2)  # its log has the key block
        await shown(ui, sid)
        server = ui.store.item("servers", sid)
        host, store = server.floating_ips[0], KnownHosts()
        sessions_port = int(ui.app.project.profile.cloud_region.config.get("exotui", {}).get("ssh_port") or 22)
        stale = asyncssh.generate_private_key("ssh-ed25519").export_public_key("openssh").decode().split()[:2]
        store.pin(host, sessions_port, sid, [tuple(stale)])  # pinned before the instance was rebuilt

        session = await start_session(ui)
        await ui.until(lambda: isinstance(ui.app.screen, ConfirmDialog), what="the offer to forget")
        dialog = ui.app.screen
        assert host in dialog.title_text and "rebuilt-one" in dialog.title_text and dialog.confirm_label == "Forget"
        assert "mismatch" in status_of(session)
        await ui.pilot.press("n")  # refused: the old pin stays, nothing connects
        await ui.until(lambda: session.ended.is_set(), what="the session to give up")
        assert session.connection is None and "mismatch" in status_of(session)
        assert [p.blob for p in store.lookup(host, sessions_port)] == [stale[1]]

        await ui.pilot.press("ctrl+f4", "ctrl+right_square_bracket")
        await ui.until(lambda: not isinstance(ui.app.screen, SessionsScreen), what="the dashboard")
        ui.point_at(sid)
        session = await start_session(ui)
        await ui.until(lambda: isinstance(ui.app.screen, ConfirmDialog), what="the offer to forget again")
        await ui.pilot.press("y")  # forgotten: the console log vouches for the new key, which is pinned
        await ui.until(lambda: session.shell is not None, timeout=20, what="the shell")
        assert session.connection.trust.source == "console"
        assert [p.fingerprint for p in store.lookup(host, sessions_port)] == [fingerprint_of(ui.demo, sid)]


async def test_exouser_passphrase_from_nova_when_the_keys_fail(open_ui, said, caplog):
    """No keypair on the instance (the user's keys fail): the passphrase Exosphere posted to Nova logs
    exouser in. It reaches the SSH client only: not the screen, not a notification."""
    async with open_ui(size=(100, 30)) as ui:
        sid = make_instance(ui.demo, "exo-box", booted_days_ago=1, keypair=False, exosphere=True,
                            passphrase=PASSPHRASE)
        await shown(ui, sid)
        session = await start_session(ui)
        await ui.until(lambda: session.shell is not None or session.ended.is_set(), timeout=20, what="the shell")
        assert session.connection is not None, status_of(session)
        assert session.target.user == "exouser" and session.connection.by_password
        assert "passphrase from Nova" in status_of(session)
        await ui.until(lambda: "exouser@exo-box" in "\n".join(session.terminal.screen_text()), what="the prompt")
        assert PASSPHRASE not in everything_shown(ui, said) + caplog.text
        assert PASSPHRASE not in repr(session.target) and PASSPHRASE not in repr(session.connection.__dict__)


async def test_a_wrong_passphrase_fails_in_one_line_without_showing_it(open_ui, said, caplog):
    async with open_ui(size=(100, 30)) as ui:
        sid = make_instance(ui.demo, "exo-stale", booted_days_ago=1, keypair=False, exosphere=True,
                            passphrase=PASSPHRASE)
        await shown(ui, sid)
        ui.demo.call(lambda world: world.servers[sid].update(_password="changed-on-the-instance"), ui.demo.world)

        async def stale_passphrase(server_id):  # Nova still has the old one
            return PASSPHRASE

        ui.project.actions.server_password = stale_passphrase
        session = await start_session(ui)
        await ui.until(lambda: session.ended.is_set(), timeout=20, what="the refusal")
        status = status_of(session)
        assert "authentication failed as exouser" in status and "passphrase from Nova" in status
        assert "\n" not in status.strip() and PASSPHRASE not in everything_shown(ui, said) + caplog.text


async def test_ssh_from_the_action_menu(open_ui):
    async with open_ui(size=(100, 30)) as ui:
        sid = make_instance(ui.demo, "menu-ssh", booted_days_ago=1)
        await shown(ui, sid)
        await ui.pilot.press("a")
        await ui.until(lambda: isinstance(ui.app.screen, ChoiceDialog), what="the action menu")
        options = ui.app.screen.query_one(OptionList)
        target = options.get_option_index(SSH)
        while options.highlighted != target:  # the arrow keys, as a user would
            await ui.pilot.press("down" if options.highlighted < target else "up")
        await ui.pilot.press("enter")
        await ui.until(lambda: isinstance(ui.app.screen, SessionsScreen), what="the sessions screen")
        session = ui.app.screen.sessions()[-1]
        assert session.server.id == sid
        await ui.until(lambda: session.shell is not None, timeout=20, what="the shell")
        await ui.until(lambda: re.search(r"@menu-ssh", "\n".join(session.terminal.screen_text())), what="the prompt")

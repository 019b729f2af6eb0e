"""The usage reporter installed from the app (issue 20 item 5 ★): the action menu shows the commands, and only a
yes runs them over exotui's SSH path on a demo instance, whose `sudo` keeps root's writes in the instance's
sandbox; the demo then writes usage lines to that console, exotui's graphs grow, and removal stops them. A no
sends nothing; an instance not ACTIVE or without an address is refused in one line; an instance with Exosphere's
reporter keeps it; a failing sudo is one line; nothing lands in this machine's /etc or /opt."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from test_forward_ui import from_the_menu
from test_snapshots import screen_text as svg_rows
from textual.widgets import OptionList, Static
from waiting import settled_screenshot

from exotui.cloud.actions import InFlight
from exotui.cloud.actions.base import ActionsBase
from exotui.cloud.usage import parse_line
from exotui.cloud.usage_reporter import CRON_FILE, SCRIPT_PATH, install_script, outcome, uninstall_script
from exotui.ssh.client import connect
from exotui.ssh.reporter import INSTALL, REMOVE, apply
from exotui.ssh.target import reach
from exotui.ui.commands import selection_commands
from exotui.ui.dialogs.choice import ChoiceDialog
from exotui.ui.dialogs.commands import CommandsDialog
from exotui.ui.screens.detail import InstanceDetail

pytestmark = pytest.mark.timeout(180)

HOST_FILES = (Path(CRON_FILE), Path(SCRIPT_PATH))  # the real machine's: never written by the demo's instances


@pytest.fixture(autouse=True)
def host_untouched():
    before = [p.exists() for p in HOST_FILES]
    yield
    assert [p.exists() for p in HOST_FILES] == before == [False, False], "the host's /etc or /opt was written"


def sandbox_of(demo, sid: str) -> Path:
    return Path(demo.cloud.state_dir) / "ssh-home" / sid


async def reachable(ui, name: str) -> str:
    """A new ACTIVE instance with a floating IP, served by the demo's sshd, shown by the app."""
    sid = await ui.boot(name)
    fip = (await ui.project.actions.allocate_floating_ip()).value
    assert (await ui.project.actions.assign_floating_ip(fip.id, sid)).ok
    await ui.until(lambda: fip.address in ui.store.item("servers", sid).floating_ips, what="the address on the server")
    await ui.until(lambda: sid in ui.demo.world.ssh_endpoints, what="the instance's sshd")
    return sid


def recorded(ui) -> list[str]:
    notes: list[str] = []
    notify = ui.app.notify

    def recording(message, **kw):
        notes.append(str(message))
        return notify(message, **kw)

    ui.app.notify = recording
    return notes


async def consent(ui, sid: str, action: str) -> str:
    """Choose `action` in the menu; the consent dialog's commands (what will run), the dialog still open."""
    await from_the_menu(ui, sid, action)
    await ui.until(lambda: isinstance(ui.app.screen, CommandsDialog), what="the commands shown first")
    dialog = ui.app.screen
    await ui.until(lambda: ui.app.focused is not None, what="the dialog's focus")
    assert ui.app.focused.id == "confirm-no", "Cancel has the focus"
    return str(dialog.query_one("#commands-text", Static).render())


async def test_install_from_the_menu_writes_usage_lines_exotui_graphs_and_remove_stops_them(open_ui):
    async with open_ui(size=(100, 30), usage=True) as ui:
        world = ui.demo.world
        ui.app.usage.clock = lambda: world.now().timestamp()
        sid = await reachable(ui, "ui-reporter")
        notes = recorded(ui)
        shown = await consent(ui, sid, INSTALL)
        assert f"sudo -n tee {SCRIPT_PATH}" in shown and f"sudo -n tee {CRON_FILE}" in shown
        assert "* * * * * root /opt/system_load_json.py > /dev/console" in shown  # Ubuntu: the serial console
        await ui.pilot.press("y")
        await ui.until(lambda: any("usage reporter installed" in n for n in notes), timeout=60, what="installed")
        said = next(n for n in notes if "usage reporter installed" in n)
        assert said.startswith("ui-reporter: ") and "\n" not in said

        root = sandbox_of(ui.demo, sid) / ".root"
        assert "root /opt/system_load_json.py > /dev/console" in (root / CRON_FILE.lstrip("/")).read_text()
        first = parse_line((root / "dev/console").read_text())  # the install ran the reporter once, for real
        assert first is not None and 0 <= first.cpu <= 100
        assert world.servers[sid]["_usage"] and world.servers[sid]["_usage_sandbox"]

        watcher = ui.app.usage.watcher(ui.project)
        await ui.until(lambda: watcher.series(sid) is not None and len(watcher.series(sid)) >= 1,
                       what="the first point read from the console")
        before = len(watcher.series(sid))
        ui.demo.call(world.advance, 3 * 60)
        await ui.app.usage.poll([ui.store.item("servers", sid)])
        grown = len(watcher.series(sid))
        assert grown - before in (3, 4), "a line a minute (one more if the real clock passed a minute meanwhile)"

        # the palette reaches the removal too; it asks as well
        await consent(ui, sid, REMOVE)
        await ui.pilot.press("y")
        await ui.until(lambda: any("usage reporter removed" in n for n in notes), timeout=60, what="removed")
        assert not (root / CRON_FILE.lstrip("/")).exists()
        await ui.app.usage.poll([ui.store.item("servers", sid)])  # the lines written until the removal
        stopped = len(watcher.series(sid))
        assert watcher.series(sid).newest.epoch <= world.servers[sid]["_usage_until"].timestamp()
        ui.demo.call(world.advance, 3 * 60)
        await ui.app.usage.poll([ui.store.item("servers", sid)])
        assert len(watcher.series(sid)) == stopped, "no more lines once removed"


async def test_a_no_sends_nothing_and_refusals_are_one_line(open_ui):
    async with open_ui() as ui:
        sid = await reachable(ui, "ui-reporter-no")
        notes = recorded(ui)
        await consent(ui, sid, INSTALL)
        rows = svg_rows(await settled_screenshot(ui.pilot, ui.app, what="the consent dialog"))  # at 80x24
        text = "\n".join(rows)
        assert "Install the usage reporter on ui-reporter-no?" in text and "sudo -n true" in text
        assert any("Install" in row and "Cancel" in row for row in rows), "both answers on screen"
        assert "tab, ↑↓: read them all" in text
        await ui.pilot.press("escape")
        await ui.until(lambda: not isinstance(ui.app.screen, CommandsDialog), what="the dialog closed")
        await ui.app.workers.wait_for_complete()
        assert not sandbox_of(ui.demo, sid).exists(), "no login happened"
        assert "_usage" not in ui.world_server(sid) and notes == []

        # the palette and the detail's `a` offer it too (the same table, the same flow)
        ui.point_at(sid)
        names = [name for name, _, _ in selection_commands(ui.app)]
        assert "Install usage reporter: ui-reporter-no" in names
        assert "Remove usage reporter: ui-reporter-no" in names
        ui.app.flows.open_detail(sid, ui.project)
        await ui.until(lambda: isinstance(ui.app.screen, InstanceDetail), what="the detail")
        await ui.pilot.press("a")
        await ui.until(lambda: isinstance(ui.app.screen, ChoiceDialog), what="the detail's action menu")
        assert ui.app.screen.query_one(OptionList).get_option_index(INSTALL) >= 0
        await ui.pilot.press("escape")
        await ui.until(lambda: isinstance(ui.app.screen, InstanceDetail), what="back on the detail")
        await ui.pilot.press("escape")

        stopped = await ui.boot("ui-rep\x1b[31m[b]off", status="SHUTOFF")  # its name is the cloud's text
        choices = ui.app.flows.menu_choices(ui.project, [ui.store.item("servers", stopped)])
        menu_reason = {c.id: c.reason for c in choices}
        assert menu_reason[INSTALL] == "SHUTOFF: only an ACTIVE instance answers SSH"
        assert menu_reason[REMOVE] == "SHUTOFF: only an ACTIVE instance answers SSH"
        no_address = await ui.boot("ui-reporter-noip")
        for server_id, why in ((stopped, "only an ACTIVE instance answers SSH"), (no_address, "has no floating IP")):
            notes.clear()
            ui.app.flows.server_action([server_id], INSTALL, ui.project)  # as the palette would
            await ui.until(lambda: notes, what="the refusal")
            await ui.app.workers.wait_for_complete()
            assert len(notes) == 1 and why in notes[0] and "\n" not in notes[0], notes
            assert "\x1b" not in notes[0]
            assert not isinstance(ui.app.screen, CommandsDialog), "nothing is asked of an instance exotui cannot reach"


async def test_a_reporter_typed_into_a_shell_still_open_counts_at_the_next_console_read(open_ui):
    """The install as a user would paste it into an SSH session: the demo notices when the console is read."""
    async with open_ui() as ui:
        sid = await reachable(ui, "ui-reporter-typed")
        server = ui.store.item("servers", sid)
        way = reach(server, ui.store.item("images", server.image_id), ui.project.profile.cloud_region.config,
                    ui.project.profile.source, check_host_key=False)
        console = (await ui.project.actions.console_log(sid)).value
        connection = await connect(way.target, console)
        try:
            shell = await connection.conn.create_process(encoding="utf-8")  # a login shell, no command
            shell.stdin.write(install_script("ubuntu"))
            got = await asyncio.wait_for(shell.stdout.readline(), 60)
            assert "exotui-usage: installed" in got, await shell.stderr.read()
            lines = [parse_line(line) for line in (await ui.project.actions.console_log(sid)).value.splitlines()]
            assert any(lines), "a usage line while the shell is still open"
            shell.stdin.write(uninstall_script())
            assert "exotui-usage: removed" in await asyncio.wait_for(shell.stdout.readline(), 60)
            assert (await ui.project.actions.console_log(sid)).ok
            assert ui.world_server(sid).get("_usage_until") is not None, "stopped at the next read"
            shell.stdin.write_eof()
            await asyncio.wait_for(shell.wait_closed(), 30)
        finally:
            await connection.close()


# --- the same path without the app: Exosphere's reporter kept, a failing sudo, the sandbox's refusals ---------

def guard() -> ActionsBase:
    return ActionsBase(None, None, None)  # type: ignore[arg-type]  (only its in-flight guard is used)


async def test_an_instance_with_exospheres_reporter_keeps_it(demo, web):
    result = await apply(guard(), web.server.name, web.target, web.console, install=True, os_family="ubuntu",
                         store=web.store)
    assert result.ok and result.message == "web-frontend: already has Exosphere's usage reporter: nothing changed"
    root = sandbox_of(demo, web.server.id) / ".root"
    assert not (root / CRON_FILE.lstrip("/")).exists()
    removed = await apply(guard(), web.server.name, web.target, web.console, install=False, os_family="ubuntu",
                          store=web.store)
    assert removed.message == "web-frontend: has no exotui usage reporter: nothing to remove"
    assert demo.world.servers[web.server.id]["_usage"] == "idle", "its own reporter goes on"


async def test_a_failing_sudo_is_one_line_and_a_second_press_is_refused(open_ui):
    async with open_ui() as ui:
        sid = await reachable(ui, "ui-reporter-fails")
        etc = sandbox_of(ui.demo, sid) / ".root" / "etc"
        etc.mkdir(parents=True)
        (etc / "cron.d").write_text("not a directory\n")  # the cron entry cannot be written there
        notes = recorded(ui)
        await consent(ui, sid, INSTALL)
        await ui.pilot.press("y")
        await ui.until(lambda: any("could not" in n for n in notes), timeout=60, what="the failure")
        said = next(n for n in notes if "could not" in n)
        assert said.startswith("ui-reporter-fails: could not install the usage reporter: sudo: /etc/cron.d/")
        assert "\n" not in said and "Traceback" not in said
        assert "_usage" not in ui.world_server(sid)

        # the one in-flight guard: a second run while the first connects is refused, nothing sent twice
        server = ui.store.item("servers", sid)
        way = reach(server, ui.store.item("images", server.image_id), ui.project.profile.cloud_region.config,
                    ui.project.profile.source, check_host_key=False)
        first = asyncio.ensure_future(apply(ui.project.actions, server.name, way.target, None, install=False,
                                            os_family="ubuntu"))
        await asyncio.sleep(0)  # a yield, not a pause: the first run takes its claim before its first await
        with pytest.raises(InFlight):
            await apply(ui.project.actions, server.name, way.target, None, install=False, os_family="ubuntu")
        assert (await first).message == "ui-reporter-fails: has no exotui usage reporter: nothing to remove"
        assert not ui.project.actions.busy(sid, REMOVE)


async def test_the_sandboxed_sudo_runs_only_the_reporters_commands(demo, web):
    connection = await connect(web.target, web.console, store=web.store)
    try:
        done = await connection.conn.run("sudo -n tee /etc/passwd </dev/null; sudo ls /root; "
                                         "sudo -n sh -c 'rm -rf /tmp/x'; sudo rm -f /etc/cron.d/../passwd",
                                         encoding="utf-8")
    finally:
        await connection.close()
    lines = done.stderr.splitlines()
    assert len(lines) == 4 and all(line.startswith("sudo: ") and "sandbox" in line for line in lines), lines


def test_the_outcome_of_a_run_is_one_line():
    assert outcome(0, "exotui-usage: installed\n", "") == (
        True, "usage reporter installed: a line a minute to its console, graphs from the next poll")
    assert outcome(1, "", "sudo: a terminal is required\nsudo: a password is required\n") == (
        False, "sudo: a password is required")
    assert outcome(None, "", "") == (False, "the connection closed before the commands ended")
    assert outcome(1, "exotui-usage: installed\n", "") == (False, "the commands ended with exit status 1")

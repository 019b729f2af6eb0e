"""The instance detail beyond the store (issue 18 items 2 and 3): the History tab read from the demo's
os-instance-actions (failed actions marked FAILED in the error colour), and the exouser passphrase field,
shown only after a confirmation and copied through the app's OSC 52."""

from __future__ import annotations

from textual.widgets import Static

from exotui.demo.seed import EXOSPHERE_FRESH_PASSPHRASE, EXOSPHERE_PASSPHRASE
from exotui.ui.dialogs import ConfirmDialog
from exotui.ui.screens.detail import InstanceDetail

SEEDED = "BIO230045"  # the demo's first project: the seeded failures, the passphrase tag, the usage lines


def _text(screen, selector: str) -> str:
    return str(screen.query_one(selector, Static).render())


async def _seeded(ui, name: str) -> str:
    """Switch the app to the seeded project and return the ID of its instance called `name`."""
    project = next(p for p in ui.app.workspace.projects if p.key.project_name == SEEDED)
    await ui.until(lambda: project.store.state("servers").loaded, what="the seeded project")
    ui.app.select_project(project)
    ui.project = project
    await ui.pilot.pause()
    return next(s.id for s in project.store.get("servers").values() if s.name == name)


async def _detail(ui, sid: str) -> InstanceDetail:
    ui.app.flows.open_detail(sid, ui.project)
    await ui.until(lambda: isinstance(ui.app.screen, InstanceDetail), what="the detail screen")
    await ui.until(lambda: ui.app.screen.part("#detail-body", Static) is not None, what="the detail composed")
    return ui.app.screen


async def test_history_tab_lists_every_action_and_marks_the_failed_one(open_ui):
    async with open_ui((80, 24)) as ui:
        sid = await _seeded(ui, "analysis-rocky")
        screen = await _detail(ui, sid)
        await ui.pilot.press("h")
        await ui.until(lambda: ", newest first" in _text(screen, "#history-state"), what="the history read")
        body = _text(screen, "#history-body")
        state = _text(screen, "#history-state")
        expected = [a["action"] for a in ui.demo.world.instance_actions[sid]]
        assert expected and all(action in body for action in expected)
        assert f"{len(expected)} actions" in state and "1 FAILED" in state
        resize = next(a for a in ui.demo.world.instance_actions[sid] if a["action"] == "resize")
        assert resize["request_id"] in body, "each action names its request ID"
        line = next(line for line in body.splitlines() if line.startswith("resize"))
        assert "✗ FAILED" in line and "by demo" in line, "a failed action says so in words, and who did it"
        assert "✗ Error" in body, "its failed event too"
        assert screen.has_class("-history") and not screen.query_one("#details").display


async def test_the_passphrase_is_shown_only_after_asking(open_ui):
    async with open_ui((80, 24)) as ui:
        sid = await _seeded(ui, "notebook")
        screen = await _detail(ui, sid)
        await ui.until(lambda: "Passphrase" in _text(screen, "#detail-body"), what="the passphrase field")
        assert EXOSPHERE_PASSPHRASE not in _text(screen, "#detail-body") and "••••" in _text(screen, "#detail-body")
        await ui.pilot.press("p")
        await ui.until(lambda: isinstance(ui.app.screen, ConfirmDialog), what="the confirmation")
        await ui.pilot.press("n")  # refused: nothing fetched, nothing shown
        await ui.until(lambda: ui.app.screen is screen, what="back on the detail")
        await ui.app.workers.wait_for_complete()
        assert not [s for s in ui.sent if "os-server-password" in s[2]] and screen._passphrase is None
        assert EXOSPHERE_PASSPHRASE not in _text(screen, "#detail-body")
        await ui.pilot.press("p")
        await ui.until(lambda: isinstance(ui.app.screen, ConfirmDialog), what="the confirmation")
        await ui.pilot.press("y")
        await ui.until(lambda: EXOSPHERE_PASSPHRASE in _text(screen, "#detail-body"), what="the passphrase shown")
        copied = []
        ui.app.copy_to_clipboard = copied.append  # what the terminal would get as OSC 52
        await ui.pilot.press("c")  # shown already: copied without asking again
        await ui.until(lambda: copied == [EXOSPHERE_PASSPHRASE], what="the passphrase copied")
        await ui.pilot.press("p")  # hidden again
        await ui.until(lambda: EXOSPHERE_PASSPHRASE not in _text(screen, "#detail-body"), what="hidden again")


async def test_a_fresh_passphrase_is_read_from_os_server_password_and_copied_after_asking(open_ui):
    async with open_ui((80, 24)) as ui:
        sid = next(s.id for s in ui.store.get("servers").values() if s.name == "workshop-vm-1")
        screen = await _detail(ui, sid)
        await ui.until(lambda: "Passphrase" in _text(screen, "#detail-body"), what="the passphrase field")
        copied = []
        ui.app.copy_to_clipboard = copied.append
        await ui.pilot.press("c")
        await ui.until(lambda: isinstance(ui.app.screen, ConfirmDialog), what="the confirmation")
        await ui.pilot.press("y")
        await ui.until(lambda: copied == [EXOSPHERE_FRESH_PASSPHRASE], what="the passphrase copied")
        assert EXOSPHERE_FRESH_PASSPHRASE not in _text(screen, "#detail-body"), "copied, not shown"


async def test_an_instance_not_built_by_exosphere_has_no_passphrase_field(open_ui):
    async with open_ui((80, 24)) as ui:
        sid = await ui.boot("ui-no-passphrase")
        screen = await _detail(ui, sid)
        await ui.until(lambda: "ui-no-passphrase" in _text(screen, "#detail-body"), what="the details")
        assert "Passphrase" not in _text(screen, "#detail-body")
        await ui.pilot.press("p")
        await ui.app.workers.wait_for_complete()
        assert ui.app.screen is screen and not [s for s in ui.sent if "os-server-password" in s[2]]


def test_a_failed_action_is_drawn_in_the_error_colour_and_says_so():
    from exotui.cloud.models import InstanceAction
    from exotui.ui.screens.instance_extras import history_text

    failed = InstanceAction.from_api({"action": "resize", "request_id": "req-1", "user_id": "u", "message": "Error",
                                      "events": [{"event": "compute_resize_instance", "result": "Error",
                                                  "start_time": "2026-01-01T10:00:00",
                                                  "finish_time": "2026-01-01T10:00:05"}]})
    fine = InstanceAction.from_api({"action": "start", "request_id": "req-2", "user_id": "u"})
    text = history_text([failed, fine], {"u": "demo"})
    assert "resize[/] [b $error]✗ FAILED[/]" in text and "[b $error]✗ Error[/]" in text
    assert "start[/] [$success]✓ ok[/]" in text and "by demo" in text and "10:00:00→10:00:05" in text


async def test_the_detail_shows_usage_sparklines_and_exospheres_alerts(open_ui):
    async with open_ui((80, 24), usage=True) as ui:
        ui.app.usage.clock = lambda: ui.demo.world.now().timestamp()  # the demo's clock, as the instances'
        sid = await _seeded(ui, "db-primary")
        screen = await _detail(ui, sid)
        await ui.until(lambda: "CPU" in _text(screen, "#detail-body") and "Disk" in _text(screen, "#detail-body"),
                       what="the usage sparklines")
        body = _text(screen, "#detail-body")
        disk = next(line for line in body.splitlines() if line.strip().startswith("Disk"))
        assert any(c in disk for c in "▁▂▃▄▅▆▇█") and ("WARNING" in disk or "DANGER" in disk), disk
        assert "root disk is" in body and "GPU" not in body, "the filling disk is said in words; no GPU here"

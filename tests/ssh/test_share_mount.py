"""★ A CephFS share mounted on an instance from the share's detail (`m`): the share's cephx rule reused (or one
granted), its key written to ~/.ceph/NAME.secret on the instance over SSH with mode 600 and never typed, and the
mount command typed into a new SSH tab for the user to run, not run."""

from __future__ import annotations

import shlex
import stat

import pytest
from test_sessions_ui import screen_text

from exotui.cloud.shares import AccessRule, Share, cephx_name_for, fetch_access_key, fetch_rules, mount_plan
from exotui.ui.dialogs import ChoiceDialog, ConfirmDialog
from exotui.ui.screens.sessions import SessionsScreen
from exotui.ui.screens.shares import ShareDetail, SharesScreen

pytestmark = pytest.mark.timeout(120)


async def _mount(ui, name: str):
    """On the first project, `m` on share `name`'s detail, web-frontend chosen, yes: (project, web, detail,
    the new SSH tab's terminal)."""
    app = ui.app
    project = next(p for p in app.workspace.projects if p.key.project_name == "BIO230045")
    app.select_project(project)
    await ui.until(lambda: project.store.state("servers").loaded and project.store.state("shares").loaded,
                   what="the first project")
    web = next(s for s in project.store.get("servers").values() if s.name == "web-frontend")
    detail = await _detail_of(ui, project, name)
    rules = await fetch_rules(project.session, detail.share_id)
    await ui.pilot.press("m")
    await ui.until(lambda: isinstance(app.screen, ChoiceDialog), what="which instance")
    app.screen.dismiss(web.id)
    await ui.until(lambda: isinstance(app.screen, ConfirmDialog), what="asked first")
    await ui.pilot.press("y")
    await ui.until(lambda: isinstance(app.screen, SessionsScreen) and app.screen.count, what="an SSH tab")
    return project, web, detail, rules, app.screen.sessions()[-1].terminal


async def _detail_of(ui, project, name: str) -> ShareDetail:
    app = ui.app
    app.open_screen("shares")
    await ui.until(lambda: isinstance(app.screen, SharesScreen), what=":shares")
    screen = app.screen
    await ui.until(lambda: any(s.name == name for s in project.store.get("shares").values()), what=name)
    share = next(s for s in project.store.get("shares").values() if s.name == name)
    await ui.until(lambda: share.id in screen.keys, what="its row")
    screen.query_one("#listing").move_cursor(row=screen.keys.index(share.id))
    await ui.pilot.press("enter")
    await ui.until(lambda: isinstance(app.screen, ShareDetail) and app.screen.detail is not None, what="detail")
    return app.screen


async def test_mount_types_the_command_and_writes_the_secret_mode_600(open_ui):
    async with open_ui(size=(160, 40)) as ui:
        project, web, detail, rules_before, terminal = await _mount(ui, "genomics-scratch")
        await ui.until(lambda: "sudo mount -t ceph" in screen_text(terminal), timeout=60, what="the typed command")

        # the share's own cephx rule was used: none was made
        assert await fetch_rules(project.session, detail.share_id) == rules_before
        rule = rules_before[0]
        key = await fetch_access_key(project.session, rule)
        text = screen_text(terminal)
        assert key.secret not in text
        # typed, not run: the command sits on the prompt line, nothing after it
        last = [line for line in text.splitlines() if line.strip()][-1]
        assert last.rstrip().endswith(f"{rule.access_to}.secret"), last
        homes = list(ui.demo.cloud.ssh._homes.glob(f"{web.id}/*/.ceph/{rule.access_to}.secret"))
        assert len(homes) == 1
        secret_file = homes[0]
        assert stat.S_IMODE(secret_file.stat().st_mode) == 0o600
        assert secret_file.read_text() == key.secret + "\n"
        assert not list(secret_file.parent.glob("*.tmp"))


async def test_a_share_without_a_cephx_rule_gets_one_first(open_ui):
    async with open_ui(size=(160, 40)) as ui:
        project, _web, detail, rules_before, terminal = await _mount(ui, "reference-db")
        assert rules_before == []
        await ui.until(lambda: "name=reference-db" in screen_text(terminal), timeout=60, what="the typed command")
        rules = await fetch_rules(project.session, detail.share_id)
        assert [(r.access_type, r.access_to, r.state) for r in rules] == [("cephx", "reference-db", "active")]
        await project.actions.revoke_access(rules[0])  # the session's demo cloud is shared: leave it as it was


def test_the_plan_quotes_every_word_and_keeps_the_secret_off_the_command_line():
    share = Share(id="s1", name="my share; rm -rf ~", proto="CEPHFS", status="available")
    rule = AccessRule(id="r1", share_id="s1", access_type="cephx", access_to="o'brien", raw_to="o'brien")
    plan = mount_plan(share, rule, "10.0.0.1:6789:/volumes/_nogroup/x")
    words = shlex.split(plan.command)
    assert words[:4] == ["sudo", "mkdir", "-p", "/mnt/my-share--rm--rf"]
    assert "name=o'brien,secretfile=$HOME/.ceph/o'brien.secret" in words
    assert "cat >" in plan.write_secret and "umask 077" in plan.write_secret
    assert cephx_name_for(Share(id="abcdef123", name="äöü")) == "share-abcdef12"
    with pytest.raises(ValueError):
        mount_plan(Share(id="s", name="n", proto="NFS"), rule, "x")

"""Risky rules flagged where they are made and where they are read (issue 18 item 9, UI): adding one that
net/risky.rule_risk judges risky asks first, naming the risk; the rules view and the matrix mark them."""

from __future__ import annotations

from textual.widgets import Input, Static

from exotui.ui.dialogs import ConfirmDialog
from exotui.ui.dialogs.form import FormDialog
from exotui.ui.screens.matrix import MatrixScreen


def _group(ui, name: str):
    return next((g for g in ui.store.get("security_groups").values() if g.name == name), None)


async def _new_group(ui, name: str) -> str:
    result = await ui.project.actions.create_security_group(name, "")
    assert result.ok, result.message
    await ui.until(lambda: _group(ui, name) is not None, what=f"group {name}")
    ui.app.show_view("security_groups")
    await ui.until(lambda: _group(ui, name).id in ui.app.query_one("#table-security_groups").shown,
                   what="the group's row")
    return _group(ui, name).id


async def _add(ui, gid: str, first: str, last: str, remote: str = "0.0.0.0/0") -> None:
    ui.point_at(gid, "security_groups")
    await ui.pilot.press("n")
    await ui.until(lambda: isinstance(ui.app.screen, FormDialog), what="the rule form")
    form = ui.app.screen
    await ui.until(lambda: form.query("#field-remote"), what="the form composed")
    form.query_one("#field-port_min", Input).value = first
    form.query_one("#field-port_max", Input).value = last
    form.query_one("#field-remote", Input).value = remote
    form.action_submit()


def _rules_sent(ui) -> int:
    return sum(1 for s in ui.sent if s[1] == "POST" and s[2].endswith("/security-group-rules"))


async def test_a_rule_open_to_the_internet_on_every_port_asks_first_naming_the_risk(open_ui):
    async with open_ui((80, 24)) as ui:
        gid = await _new_group(ui, "ui-risky")
        await _add(ui, gid, "1", "65535")
        await ui.until(lambda: isinstance(ui.app.screen, ConfirmDialog), what="the risk confirmation")
        said = " ".join(str(w.render()) for w in ui.app.screen.query(Static))
        assert "opens all ports to the whole Internet" in said and "every tcp port open to 0.0.0.0/0" in said
        await ui.pilot.press("n")
        await ui.until(lambda: len(ui.app.screen_stack) == 1, what="back to the view")
        await ui.app.workers.wait_for_complete()
        assert _rules_sent(ui) == 0, "refused: nothing sent"

        await _add(ui, gid, "3389", "3389", "::/0")  # RDP to the IPv6 Internet: asked too, and sent on yes
        await ui.until(lambda: isinstance(ui.app.screen, ConfirmDialog), what="the risk confirmation")
        said = " ".join(str(w.render()) for w in ui.app.screen.query(Static))
        assert "3389 RDP open to ::/0" in said
        await ui.pilot.press("y")
        await ui.until(lambda: any(r.port_min == 3389 for r in _group(ui, "ui-risky").rules), what="the rule added")
        assert _rules_sent(ui) == 1
        await ui.until(lambda: "RISKY" in ui.row_text(gid, "security_groups"), what="the group marked risky")
        assert "⚠1 RISKY" in ui.row_text(gid, "security_groups")


async def test_an_ordinary_rule_is_added_without_a_question(open_ui):
    async with open_ui((80, 24)) as ui:
        gid = await _new_group(ui, "ui-safe")
        await _add(ui, gid, "443", "443")  # HTTPS to the world: what a web server is for
        await ui.until(lambda: any(r.port_min == 443 for r in _group(ui, "ui-safe").rules), what="the rule added")
        assert not isinstance(ui.app.screen, ConfirmDialog)
        assert "RISKY" not in ui.row_text(gid, "security_groups")


async def test_the_matrix_marks_an_instance_exposed_and_says_what_is_open(open_ui):
    async with open_ui((80, 24)) as ui:
        sid = await ui.boot("ui-exposed")
        await ui.project.actions.create_security_group("ui-wide-open", "")
        await ui.until(lambda: _group(ui, "ui-wide-open") is not None, what="the group")
        gid = _group(ui, "ui-wide-open").id
        added = await ui.project.actions.add_rule(gid, "ingress", "tcp", 1, 65535, "0.0.0.0/0")
        assert added.ok, added.message
        attached = await ui.project.actions.attach_security_group(sid, "ui-wide-open")
        assert attached.ok, attached.message
        ui.project.poller.refresh_all()
        await ui.until(lambda: "ui-wide-open" in ui.store.item("servers", sid).security_groups
                       and any(r.port_max == 65535 for r in _group(ui, "ui-wide-open").rules), what="the group on it")
        ui.app.open_network_screen("matrix")
        await ui.until(lambda: isinstance(ui.app.screen, MatrixScreen), what="the matrix")
        screen = ui.app.screen
        await ui.until(lambda: sid in screen.rows, what="the instance's row")
        screen.query_one("#matrix").highlighted = screen.rows.index(sid)
        await ui.until(lambda: "RISKY" in str(screen.query_one("#matrix-detail", Static).render()), what="the mark")
        detail = str(screen.query_one("#matrix-detail", Static).render())
        assert "every tcp port open to 0.0.0.0/0" in detail
        row = str(screen.query_one("#matrix").get_option_at_index(screen.rows.index(sid)).prompt)
        assert row.startswith("⚠ ui-exposed")
        others = [s for s in screen.rows if s not in screen.exposed]
        assert others and not str(screen.query_one("#matrix").get_option_at_index(
            screen.rows.index(others[0])).prompt).startswith("⚠"), "only exposed instances are marked"

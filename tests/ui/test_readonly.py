"""Read-only mode (issue 15, item 5): `exotui --readonly`, or `exotui: {readonly: true}` for the cloud in
clouds.yaml, refuses every write in the cloud layer before it is sent, says "read-only: not sent", and shows
RO in the header; reads (the lists, the console log) still work."""

from __future__ import annotations

import pytest

from exotui.cloud.actions import READ_ONLY
from exotui.ui.app import Breadcrumb
from exotui.ui.intents import ResourceFlow


@pytest.mark.parametrize("how", ["--readonly", "clouds.yaml"])
async def test_no_write_leaves_in_read_only_mode_and_the_header_says_so(open_ui, clouds_yaml_with, how):
    options = {"readonly": True} if how == "--readonly" else {"clouds_yaml": clouds_yaml_with({"readonly": True})}
    async with open_ui(**options) as ui:
        sid = await ui.boot("ro-web")  # made behind the app's back, as another client would
        crumb = ui.app.screen_stack[0].query_one(Breadcrumb)
        await ui.until(lambda: "exotui │ RO │ " in crumb.text, what="RO in the header")
        ui.sent.clear()
        flows, project = ui.app.flows, ui.project
        server = ui.store.item("servers", sid)
        group = next(g for g in ui.store.get("security_groups").values() if g.name == "default")

        await flows.run_on_servers(project, [server], "stop")
        await flows.run_on_servers(project, [server], "delete")
        await flows.run(project, "create volume ro-vol",
                        lambda: project.actions.create_volume("ro-vol", 1))
        await flows.run(project, f"add a rule to {group.name}",
                        lambda: project.actions.add_rule(group.id, "ingress", "tcp", 8080, 8080, "0.0.0.0/0"))

        assert [s for s in ui.sent if s[1] != "GET"] == [], "nothing that writes was sent"
        said = {("not sent", f"{what}: {READ_ONLY}") for what in ("stop ro-web", "delete ro-web",
                                                                  "create volume ro-vol", "add a rule to default")}
        await ui.until(lambda: said <= {(n.title, n.message) for n in ui.app._notifications},
                       what="each refusal said in one line")
        assert ui.world_server(sid)["status"] == "ACTIVE" and not ui.world_server(sid)["_deleted"]
        assert not any(v["name"] == "ro-vol" for v in ui.demo.world.volumes.values())

        log = await project.actions.console_log(sid, 10)  # a read that is a POST still goes
        assert log.ok
        assert [s for s in ui.sent if s[1] != "GET"] == [("compute", "POST", f"/servers/{sid}/action")]


async def test_the_header_has_no_ro_when_writes_are_allowed(open_ui):
    async with open_ui() as ui:
        crumb = ui.app.screen_stack[0].query_one(Breadcrumb)
        await ui.until(lambda: "● live" in crumb.text, what="the header")
        assert "RO" not in crumb.text.split("│")[1] and not ui.project.actions.readonly


async def test_read_only_says_so_at_once_instead_of_asking_first(open_ui):
    async with open_ui(readonly=True) as ui:
        sid = await ui.boot("ro-keys")
        flows, project = ui.app.flows, ui.project
        choices = {c.id: c.reason for c in flows.menu_choices(project, [ui.store.item("servers", sid)])}
        assert choices["stop"] == choices["delete"] == choices["reboot_soft"] == READ_ONLY
        assert choices["doctor"] is None, "what only reads stays offered"
        ui.point_at(sid)
        await ui.pilot.press("ctrl+d")
        group = next(g for g in ui.store.get("security_groups").values() if g.name == "default")
        ui.app.post_message(ResourceFlow("volumes", "create", None, project))  # as the Volumes view's n does
        ui.app.post_message(ResourceFlow("security_groups", "add_rule", group.id, project))
        flows.launch(project)
        said = {f"{what}: {READ_ONLY}" for what in ("delete", "create volume", "add rule", "launch")}
        await ui.until(lambda: said <= {n.message for n in ui.app._notifications}, what="each said at once")
        assert len(ui.app.screen_stack) == 1, "no dialog was opened for a write that cannot be sent"
        assert [s for s in ui.sent if s[1] != "GET"] == []

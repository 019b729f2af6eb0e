"""The `:stacks` screen and a stack's detail on the demo's Heat: a stack made while the detail is open shows
its events as they happen, its outputs and resources; a resource opens the instance or volume it made; delete
asks first and is sent once."""

from __future__ import annotations

import asyncio

from textual.widgets import Input, RichLog

from exotui.cloud.stacks import fetch_stack, read_template
from exotui.ui.dialogs import ConfirmDialog, FormDialog, PromptDialog
from exotui.ui.screens.detail import InstanceDetail
from exotui.ui.screens.stacks import StackDetail, StacksScreen
from exotui.ui.widgets.table import ResourceTable

SMALL = """\
heat_template_version: 2018-08-31
description: one instance with a data volume on a network of its own
parameters:
  size: {type: number, default: 1}
resources:
  net:
    type: OS::Neutron::Net
  subnet:
    type: OS::Neutron::Subnet
    properties: {network: {get_resource: net}, cidr: 10.78.0.0/24}
  server:
    type: OS::Nova::Server
    properties:
      flavor: m3.small
      image: Featured-Ubuntu24
      networks: [{network: {get_resource: net}}]
  data:
    type: OS::Cinder::Volume
    properties: {size: {get_param: size}}
outputs:
  address:
    description: the instance's address
    value: {get_attr: [server, first_address]}
"""


def events_text(screen: StackDetail) -> str:
    return "\n".join(line.text for line in screen.query_one("#stack-events", RichLog).lines)


async def open_stacks(ui) -> StacksScreen:
    for key in ("colon", *"stacks", "enter"):
        await ui.pilot.press(key)
    await ui.until(lambda: isinstance(ui.app.screen, StacksScreen), what="the stacks screen")
    return ui.app.screen


async def test_a_stack_followed_live_linked_and_deleted(open_ui, tmp_path):
    template = tmp_path / "small.yaml"
    template.write_text(SMALL)
    async with open_ui() as ui:
        creating = asyncio.ensure_future(ui.project.actions.create_stack("ui-lab", read_template(template)))
        screen = await open_stacks(ui)
        await ui.until(lambda: any(s.name == "ui-lab" for s in ui.store.get("stacks").values()), what="listed")
        stack = next(s for s in ui.store.get("stacks").values() if s.name == "ui-lab")
        await ui.until(lambda: stack.id in screen.keys, what="the row")
        screen.query_one("#listing").move_cursor(row=screen.keys.index(stack.id))
        await ui.pilot.press("enter")
        await ui.until(lambda: isinstance(ui.app.screen, StackDetail), what="the detail")
        detail = ui.app.screen
        await ui.until(lambda: "ui-lab: CREATE_COMPLETE" in events_text(detail), timeout=30,
                       what="the event log, followed to the end")
        assert "ui-lab: CREATE_IN_PROGRESS" in events_text(detail)
        assert (await creating).ok
        await ui.until(lambda: detail.stack.status == "CREATE_COMPLETE" and set(detail.resources) ==
                       {"net", "subnet", "server", "data"}, what="resources")
        summary = str(detail.query_one("#stack-summary").render())
        assert "CREATE_COMPLETE" in summary and "address: 10.78.0." in summary
        # a resource opens what it made
        server_id = detail.resources["server"].physical_id
        await ui.until(lambda: ui.store.item("servers", server_id) is not None, what="the stack's instance")
        ui.booted.append(server_id)
        detail.query_one("#listing").move_cursor(row=detail.keys.index("server"))
        await ui.pilot.press("enter")
        await ui.until(lambda: isinstance(ui.app.screen, InstanceDetail), what="the instance")
        assert ui.app.screen.server_id == server_id
        await ui.pilot.press("escape")
        await ui.until(lambda: ui.app.screen is detail, what="back on the stack")
        volume_id = detail.resources["data"].physical_id
        ui.project.poller.kick("volumes")
        await ui.until(lambda: ui.store.item("volumes", volume_id) is not None, what="the stack's volume")
        detail.query_one("#listing").move_cursor(row=detail.keys.index("data"))
        await ui.pilot.press("enter")
        await ui.until(lambda: len(ui.app.screen_stack) == 1 and ui.app.current_view == "volumes", what="volumes")
        table = ui.app.query_one("#table-volumes", ResourceTable)
        await ui.until(lambda: table.current_id == volume_id, what="the cursor on the volume")
        # delete from the list: asked, sent once
        screen = await open_stacks(ui)
        await ui.until(lambda: stack.id in screen.keys, what="the row")
        screen.query_one("#listing").move_cursor(row=screen.keys.index(stack.id))
        await ui.pilot.press("ctrl+d")
        await ui.until(lambda: isinstance(ui.app.screen, ConfirmDialog), what="the confirmation")
        await ui.pilot.press("y", "y")
        await ui.until(lambda: stack.id not in screen.keys, timeout=30, what="the stack gone")
        assert len([s for s in ui.sent if s[1] == "DELETE" and s[2].endswith(f"/{stack.id}")]) == 1


async def test_read_only_refuses_delete_in_one_line(open_ui, tmp_path):
    template = tmp_path / "small.yaml"
    template.write_text(SMALL)
    async with open_ui() as ui:
        assert (await ui.project.actions.create_stack("ro-lab", read_template(template))).ok
        ui.project.actions.readonly = True
        try:
            screen = await open_stacks(ui)
            stack = next(s for s in ui.store.get("stacks").values() if s.name == "ro-lab")
            await ui.until(lambda: stack.id in screen.keys, what="the row")
            screen.query_one("#listing").move_cursor(row=screen.keys.index(stack.id))
            await ui.pilot.press("ctrl+d")
            await ui.until(lambda: any("read-only" in n.message for n in ui.app._notifications), what="refused")
            assert ui.app.screen is screen
            # stacks are polled as a shown view's kinds while a stack screen is open, and no longer after
            assert "stacks" in ui.project.poller.watched
            await ui.pilot.press("enter")
            await ui.until(lambda: isinstance(ui.app.screen, StackDetail), what="the detail")
            await ui.pilot.press("escape")
            await ui.until(lambda: ui.app.screen is screen, what="the list again")
            assert "stacks" in ui.project.poller.watched
            await ui.pilot.press("escape")
            await ui.until(lambda: len(ui.app.screen_stack) == 1, what="the views")
            assert "stacks" not in ui.project.poller.watched
        finally:
            ui.project.actions.readonly = False
        assert (await ui.project.actions.delete_stack(stack)).ok


async def test_create_from_a_template_file_and_its_parameters(open_ui, tmp_path):
    template = tmp_path / "small.yaml"
    template.write_text(SMALL.replace("default: 1}", "description: data volume in GB}"))  # now required
    (tmp_path / "bad.yaml").write_text("resources: {}\n")
    async with open_ui() as ui:
        screen = await open_stacks(ui)
        await ui.pilot.press("n")
        await ui.until(lambda: isinstance(ui.app.screen, PromptDialog), what="the template prompt")
        prompt = ui.app.screen
        for typed in (str(tmp_path / "bad.yaml"), str(tmp_path / "none.yaml")):
            prompt.query_one(Input).value = typed
            await ui.pilot.press("enter")
            await ui.pilot.pause()
            assert ui.app.screen is prompt  # refused in one line, asked again
        assert "no such file" in str(prompt.query_one(".dialog-error").render()).lower()
        prompt.query_one(Input).value = str(template)
        await ui.pilot.press("enter")
        await ui.until(lambda: isinstance(ui.app.screen, FormDialog), what="the parameters form")
        form = ui.app.screen
        await ui.until(lambda: form.query("#field-param0"), what="a field per parameter")
        form.query_one("#field-name", Input).value = "form-lab"
        await ui.pilot.press("ctrl+s")
        await ui.pilot.pause()
        assert ui.app.screen is form, "size is required"
        form.query_one("#field-param0", Input).value = "2"
        await ui.pilot.press("ctrl+s")
        await ui.until(lambda: any(s.name == "form-lab" and s.status == "CREATE_COMPLETE"
                                   for s in ui.store.get("stacks").values()), timeout=30, what="the stack made")
        stack = next(s for s in ui.store.get("stacks").values() if s.name == "form-lab")
        await ui.until(lambda: stack.id in screen.keys, what="listed")
        assert (await fetch_stack(ui.project.session, stack)).parameters["size"] == "2"
        assert (await ui.project.actions.delete_stack(stack)).ok

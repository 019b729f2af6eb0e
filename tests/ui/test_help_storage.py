"""? on the object-storage, EC2 and stacks screens lists each screen's own keys with their descriptions, and
every row is a key bound there (test_help's check, on the new screens)."""

from __future__ import annotations

from test_help import check, read_help  # beside this file
from test_stacks import SMALL

from exotui.cloud.stacks import read_template
from exotui.ui.app import ExotuiApp
from exotui.ui.screens.credentials import Ec2Screen
from exotui.ui.screens.objects import ObjectsScreen
from exotui.ui.screens.stacks import StackDetail, StacksScreen


async def test_help_on_the_storage_screens(open_ui, tmp_path):
    template = tmp_path / "small.yaml"
    template.write_text(SMALL)
    async with open_ui() as ui:
        app = ui.app
        assert (await ui.project.actions.create_stack("help-lab", read_template(template))).ok
        for alias, cls in (("objects", ObjectsScreen), ("ec2", Ec2Screen), ("stacks", StacksScreen)):
            await ui.pilot.press("colon", *alias, "enter")
            await ui.until(lambda: isinstance(app.screen, cls), what=alias)  # noqa: B023
            rows, text = await read_help(ui)
            check(app, app.screen, [cls, ExotuiApp], rows, text)
            assert any(row.description == "Back" and "esc" in row.keys for row in rows)
            if cls is StacksScreen:
                screen = app.screen
                stack = next(s for s in ui.store.get("stacks").values() if s.name == "help-lab")
                await ui.until(lambda: stack.id in screen.keys, what="the stack")  # noqa: B023
                screen.query_one("#listing").move_cursor(row=screen.keys.index(stack.id))
                await ui.pilot.press("enter")
                await ui.until(lambda: isinstance(app.screen, StackDetail), what="the detail")
                rows, text = await read_help(ui)
                check(app, app.screen, [StackDetail, ExotuiApp], rows, text)
                await ui.pilot.press("escape")
            await ui.pilot.press("escape")
            await ui.until(lambda: len(app.screen_stack) == 1, what="back on the views")
        assert (await ui.project.actions.delete_stack(stack)).ok


async def test_help_on_the_share_screens(open_ui):
    from exotui.ui.screens.shares import ShareDetail, SharesScreen

    async with open_ui() as ui:
        app = ui.app
        await ui.pilot.press("colon", *"shares", "enter")
        await ui.until(lambda: isinstance(app.screen, SharesScreen) and app.screen.keys, what=":shares")
        rows, text = await read_help(ui)
        check(app, app.screen, [SharesScreen, ExotuiApp], rows, text)
        assert any(row.description == "Actions" and "a" in row.keys for row in rows)
        await ui.pilot.press("enter")
        await ui.until(lambda: isinstance(app.screen, ShareDetail), what="the detail")
        rows, text = await read_help(ui)
        check(app, app.screen, [ShareDetail, ExotuiApp], rows, text)
        assert any(row.description == "Key" and "k" in row.keys for row in rows)

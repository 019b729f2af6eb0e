"""Typed commands never fire hotkeys: ':' or '/' and the keys after it arriving in one read (a paste, a laggy
SSH link) all go to the command line, on every view and from the instance detail.

A burst is every key event posted to the app before it runs again, as the driver does with one read."""

from __future__ import annotations

import pytest
from textual import events

from exotui.ui.app import CommandLine
from exotui.ui.screens.detail import InstanceDetail
from exotui.ui.widgets.table import ResourceTable

VIEWS = ["servers", "volumes", "networks", "floating_ips", "security_groups", "images", "keypairs", "projects"]
WRITES = ("POST", "PUT", "PATCH", "DELETE")

_CHARS = {"\r": ("enter", "\r"), ":": ("colon", ":"), "/": ("slash", "/"), " ": ("space", " ")}


def burst(app, text: str) -> None:
    """Every key of `text` posted to the app at once, as one read from the terminal would be."""
    for char in text:
        key, character = _CHARS.get(char, (char, char))
        app.post_message(events.Key(key, character))


def writes(ui) -> list:
    """What the app sent that changes the cloud: reading the console log is a POST action too."""
    return [(method, path, body) for method, path, body in _bodies(ui)
            if method in WRITES and not (isinstance(body, dict) and "os-getConsoleOutput" in body)]


def _bodies(ui) -> list:
    if not hasattr(ui, "bodies"):
        ui.bodies = []
        request = ui.project.session.request

        async def recording(service, method, path, **kw):
            ui.bodies.append((method, path, kw.get("json")))
            return await request(service, method, path, **kw)

        ui.project.session.request = recording
    return ui.bodies


async def open_view(ui, name: str) -> None:
    _bodies(ui)  # recording from here
    ui.app.show_view(name)
    await ui.until(lambda: ui.app.current_view == name and isinstance(ui.app.focused, ResourceTable),
                   what=f"the {name} view with its table focused")


@pytest.mark.parametrize("view", VIEWS)
async def test_a_command_typed_in_one_read_opens_the_view_and_fires_no_hotkey(open_ui, view):
    async with open_ui() as ui:
        await open_view(ui, view)
        target = "networks" if view != "networks" else "volumes"
        # ':net' and ':vol' hold n (new/allocate/add rule), e (extend), a (actions/attach), v, o, l
        burst(ui.app, ":net\r" if view != "networks" else ":vol\r")
        await ui.until(lambda: ui.app.current_view == target, what=f"the {target} view")
        await ui.pilot.pause()
        assert len(ui.app.screen_stack) == 1, f"a dialog opened: {ui.app.screen}"
        assert writes(ui) == []


async def test_an_unknown_command_in_one_read_opens_nothing_on_servers(open_ui):
    async with open_ui() as ui:
        sid = await ui.boot("keys-abc")
        ui.point_at(sid)
        _bodies(ui)
        burst(ui.app, ":abcdxsn\r")
        await ui.until(lambda: not ui.app.query_one(CommandLine).display, what="the command line to close")
        await ui.pilot.pause()
        assert len(ui.app.screen_stack) == 1, f"a dialog opened: {ui.app.screen}"
        assert writes(ui) == []


@pytest.mark.parametrize("view", ["servers", "volumes", "floating_ips", "security_groups"])
async def test_a_filter_typed_in_one_read_is_the_filter(open_ui, view):
    async with open_ui() as ui:
        await open_view(ui, view)
        burst(ui.app, "/nax e")
        table = ui.app.query_one(f"#table-{view}", ResourceTable)
        await ui.until(lambda: table.filter_text == "nax e", what="the filter")
        assert ui.app.query_one(CommandLine).value == "nax e"
        assert len(ui.app.screen_stack) == 1 and writes(ui) == []


async def test_a_paste_after_colon_is_the_command(open_ui):
    async with open_ui() as ui:
        await open_view(ui, "floating_ips")
        burst(ui.app, ":")
        ui.app.post_message(events.Paste("net"))
        burst(ui.app, "\r")
        await ui.until(lambda: ui.app.current_view == "networks", what="the networks view")
        assert len(ui.app.screen_stack) == 1 and writes(ui) == []


async def test_a_command_typed_in_one_read_on_the_instance_detail(open_ui):
    async with open_ui() as ui:
        sid = await ui.boot("keys-detail")
        ui.point_at(sid)
        _bodies(ui)
        await ui.pilot.press("d")
        await ui.until(lambda: isinstance(ui.app.screen, InstanceDetail), what="the detail")
        burst(ui.app, ":vol\r")  # a: actions, l: console on the detail; v o l on the servers view
        await ui.until(lambda: ui.app.current_view == "volumes", what="the volumes view")
        await ui.pilot.pause()
        assert len(ui.app.screen_stack) == 1, f"a screen is open: {ui.app.screen}"
        assert writes(ui) == []


def _menu_index(dialog, action: str) -> int:
    return next(n for n, c in enumerate(dialog.choices) if c.id == action)


async def test_keys_typed_behind_a_reach_the_action_menu_not_the_table(open_ui):
    """`a Down Down` in one read (tmux send-keys, a laggy link): the downs move the menu's highlight, which opens
    after them, and never the table's cursor behind it."""
    from exotui.ui.dialogs.choice import ChoiceDialog

    async with open_ui() as ui:
        first, _, _ = await ui.boot_many(["ahead-1", "ahead-2", "ahead-3"])
        table = ui.point_at(first)
        row = table.cursor
        _bodies(ui)
        ui.app.post_message(events.Key("a", "a"))
        ui.app.post_message(events.Key("down", None))
        ui.app.post_message(events.Key("down", None))
        await ui.until(lambda: isinstance(ui.app.screen, ChoiceDialog), what="the action menu")
        dialog = ui.app.screen
        choosable = [n for n, c in enumerate(dialog.choices) if not c.heading and not c.reason]
        options = dialog.query_one("#choices")
        await ui.until(lambda: options.highlighted == choosable[2], what="the highlight two lines down")
        assert table.cursor == row
        assert writes(ui) == []


async def test_a_key_typed_before_a_confirmation_never_answers_it(open_ui):
    """`a`, the keys to Delete…, enter and `y` in one read: the menu takes the keys meant for it, and the
    confirmation that follows is not answered by a `y` typed before it was shown. A `y` pressed once it is
    there deletes, once."""
    from exotui.ui.dialogs.choice import ChoiceDialog
    from exotui.ui.dialogs.confirm import ConfirmDialog
    from exotui.ui.flows import Flows

    async with open_ui() as ui:
        sid = await ui.boot("ahead-delete")
        ui.point_at(sid)
        project = ui.project
        choices = Flows(ui.app).menu_choices(project, [project.store.item("servers", sid)])
        choosable = [c.id for c in choices if not c.heading and not c.reason]
        downs = choosable.index("delete")
        _bodies(ui)
        ui.app.post_message(events.Key("a", "a"))
        for _ in range(downs):
            ui.app.post_message(events.Key("down", None))
        ui.app.post_message(events.Key("enter", "\r"))
        ui.app.post_message(events.Key("y", "y"))
        await ui.until(lambda: isinstance(ui.app.screen, ConfirmDialog), what="the delete confirmation")
        confirm = ui.app.screen
        await ui.until(lambda: confirm.focused is not None, what="the confirmation's focus")
        for _ in range(5):
            await ui.pilot.pause()
        assert ui.app.screen is confirm and not isinstance(confirm, ChoiceDialog)
        assert writes(ui) == [], "a key typed before the question answered it"
        said = [n.message for n in ui.app._notifications]
        assert any("typed before this question" in m for m in said), said
        await ui.pilot.press("y")
        deletes = lambda: [w for w in writes(ui) if w[0] == "DELETE" and sid in w[1]]  # noqa: E731
        await ui.until(lambda: len(deletes()) == 1, what="one DELETE")
        assert len(deletes()) == 1


async def test_a_unique_prefix_opens_its_view_and_an_ambiguous_one_says_which(open_ui):
    """`:inst` is the Instances view (only its aliases begin so), as k9s takes a unique prefix; `:se` could be
    several and says which, opening none."""
    from exotui.ui.widgets.views import view_for

    assert view_for("inst") == "servers" and view_for("float") == "floating_ips" and view_for("s") == "servers"
    assert view_for("se") is None and view_for("x") is None
    async with open_ui() as ui:
        await open_view(ui, "volumes")
        burst(ui.app, ":inst\r")
        await ui.until(lambda: ui.app.current_view == "servers", what="the servers view")
        burst(ui.app, ":se\r")
        await ui.until(lambda: any(n.message.startswith("':se' could be servers, ") for n in ui.app._notifications),
                       what="the choices said")
        assert ui.app.current_view == "servers" and len(ui.app.screen_stack) == 1 and writes(ui) == []

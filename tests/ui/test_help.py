"""`?` and the footer are built from each screen's own bindings: every binding a screen (or its view) declares is
in its help, every key its help shows is bound there now, and the footer's keys are among them."""

from __future__ import annotations

import io
import re

from rich.console import Console
from textual.actions import parse
from textual.binding import Binding
from textual.widgets import Static

from exotui.ui.app import ExotuiApp
from exotui.ui.screens.detail import InstanceDetail
from exotui.ui.screens.doctor import DoctorScreen
from exotui.ui.screens.help import HelpScreen, KeyHelp
from exotui.ui.screens.kind_detail import KindDetail
from exotui.ui.screens.matrix import MatrixScreen
from exotui.ui.screens.netmap import NetMapScreen
from exotui.ui.screens.yaml_view import YamlScreen
from exotui.ui.widgets.kind_views import KIND_VIEWS
from exotui.ui.widgets.projects import ProjectsView
from exotui.ui.widgets.table import ResourceTable
from exotui.ui.widgets.views import RESOURCE_VIEWS, ResourceView

VIEWS = {view.kind: view for view in (*RESOURCE_VIEWS, ProjectsView, *KIND_VIEWS)}
ALIAS = {"servers": "vm", "volumes": "vol", "networks": "net", "floating_ips": "fips", "security_groups": "sg",
         "images": "img", "keypairs": "kp", "projects": "proj", "routers": "routers", "subnets": "subnets",
         "ports": "ports", "volume_snapshots": "snapshots", "server_groups": "servergroups"}


def declared(cls) -> list[Binding]:
    """The bindings a class declares itself (not those it inherits), one per key."""
    return list(Binding.make_bindings(cls.__dict__.get("BINDINGS", [])))


async def read_help(ui) -> tuple[list[KeyHelp], str]:
    """? on the screen shown: the help's rows and its table as text; then esc, back on that screen."""
    over = ui.app.screen
    await ui.pilot.press("question_mark")
    await ui.until(lambda: isinstance(ui.app.screen, HelpScreen), what="help")
    help_screen = ui.app.screen
    console = Console(width=200, file=io.StringIO(), record=True)
    for part in help_screen.query(Static):  # the title, the keys, the aliases where ':' opens a view
        console.print(part.content)
    await ui.pilot.press("escape")
    await ui.until(lambda: ui.app.screen is over, what="help closed")
    return help_screen.keys, console.export_text()


def check(app, screen, own: list[type], rows: list[KeyHelp], text: str) -> None:
    """Every binding `own` declares is a row (unless a key of the screen's own took its key); every row's keys
    are bound on the screen now and declared by exotui (or, for ^p, shown by Textual's footer); the text shows
    each row; the footer's keys are rows."""
    shown = {(key, row.description) for row in rows for key in row.keys}
    taken = {key for row in rows for key in row.keys}
    for cls in own:
        for binding in declared(cls):
            key = app.get_key_display(binding)
            if cls is ExotuiApp:
                _, action, parameters = parse(binding.action)
                if app.check_action(action, parameters) is False or key in taken and (key, binding.description) \
                        not in shown:
                    continue  # the view keys belong to the main screen; esc is the screen's own here
            assert (key, binding.description) in shown, f"{cls.__name__}: {key} {binding.description!r} not in help"
    active = screen.active_bindings
    for row in rows:
        for key in row.keys:
            bound = [a for k, a in active.items() if app.get_key_display(a.binding) == key]
            assert bound, f"help shows {key} ({row.description}) but nothing binds it on {type(screen).__name__}"
        pattern = re.compile(rf"{re.escape(', '.join(row.keys))} +{re.escape(row.description)}")
        assert any(pattern.match(line.strip()) for line in text.splitlines()), f"{row} not drawn"
    footer = [(key.key_display, key.description) for key in screen.query("FooterKey")]
    assert footer, f"no footer on {type(screen).__name__}"
    assert all(key in shown or (key[0] in taken and not key[1]) for key in footer), [k for k in footer if k not in shown]


async def test_help_and_footer_show_each_screens_own_keys(open_ui):
    async with open_ui(size=(100, 60)) as ui:
        app = ui.app
        sid = await ui.boot("help-probe")
        helps: dict[str, list[KeyHelp]] = {}

        for kind, view in VIEWS.items():
            await ui.pilot.press("colon", *ALIAS[kind], "enter")
            await ui.until(lambda: app.current_view == kind and isinstance(app.focused, ResourceTable)
                           and app.focused.id == f"table-{kind}", what=f"the {kind} view, focused")
            rows, text = await read_help(ui)
            check(app, app.screen, [view, ResourceView, ResourceTable, ExotuiApp], rows, text)
            helps[kind] = rows
        assert "aliases: servers:" in text, "where ':' opens a view, help lists the views' names"

        ui.point_at(sid)
        await ui.pilot.press("d")
        await ui.until(lambda: isinstance(app.screen, InstanceDetail), what="the detail")
        rows, text = await read_help(ui)
        check(app, app.screen, [InstanceDetail, ExotuiApp], rows, text)
        helps["detail"] = rows
        for key, screen_class in (("o", KindDetail), ("y", YamlScreen)):  # the generic detail, the raw YAML
            await ui.pilot.press(key)
            await ui.until(lambda: isinstance(app.screen, screen_class), what=screen_class.__name__)
            rows, text = await read_help(ui)
            check(app, app.screen, [screen_class, ExotuiApp], rows, text)
            helps[screen_class.__name__] = rows
        await ui.pilot.press("escape", "escape")
        await ui.until(lambda: isinstance(app.screen, InstanceDetail), what="the detail again")
        await ui.pilot.press("escape")

        await ui.pilot.press("colon", *"map", "enter")
        await ui.until(lambda: isinstance(app.screen, NetMapScreen) and app.screen.lines, what="the map")
        rows, text = await read_help(ui)
        check(app, app.screen, [NetMapScreen, ExotuiApp], rows, text)
        helps["map"] = rows
        await ui.pilot.press("m")
        await ui.until(lambda: isinstance(app.screen, MatrixScreen) and app.screen.current is not None,
                       what="who may connect")
        rows, text = await read_help(ui)
        check(app, app.screen, [MatrixScreen, ExotuiApp], rows, text)
        helps["matrix"] = rows
        await ui.pilot.press("enter")
        await ui.until(lambda: isinstance(app.screen, DoctorScreen), what="the doctor")
        rows, text = await read_help(ui)
        check(app, app.screen, [DoctorScreen, ExotuiApp], rows, text)
        helps["doctor"] = rows

    def says(where: str, key: str, description: str) -> bool:
        return any(key in row.keys and row.description == description for row in helps[where])

    # each screen its own keys: the group view's c (missing from the help written by hand), not elsewhere
    assert says("security_groups", "c", "New group")
    assert not any(row.description == "New group" for row in helps["servers"])
    assert says("volumes", "x", "Detach") and not says("servers", "x", "Detach")
    assert says("servers", "s", "SSH") and says("servers", "space", "Mark")
    # the table's sideways scroll, for the columns a narrow terminal drops (issue 18 item 8)
    assert says("servers", "l", "Columns →") and says("servers", "h", "Columns ←") and says("volumes", "l", "Columns →")
    # the views' keys belong to the main screen: not offered over the map, the matrix or the doctor
    for screen in ("map", "matrix", "doctor"):
        assert not any(":" in row.keys or "w" in row.keys for row in helps[screen]), screen
        assert says(screen, "esc", "Back")
    assert says("map", "d", "SSH doctor") and says("doctor", "f", "From address")
    assert says("doctor", "1", "Fix") and says("doctor", "9", "Fix")
    assert says("detail", ":", "View") and says("detail", "l", "Console log")
    assert says("detail", "y", "YAML") and says("KindDetail", "y", "YAML") and says("YamlScreen", "/", "Search")
    assert says("routers", "d", "Describe") and says("volume_snapshots", "y", "YAML")

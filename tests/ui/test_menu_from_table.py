"""The UI reads the one action table (issue 17): the instance menu is action_table.MENU in its order with its
labels and confirmations, each view's keys start the ResourceAction of the same key and label through an
explicit map to its flow, and views reach the flows only through messages the app handles."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from textual.widgets import OptionList, Static

from exotui.cloud.action_table import INSTANCE_COMMANDS, MENU, RESOURCE_ACTIONS, SERVER_ACTION
from exotui.ui import resources, share_flows
from exotui.ui.dialogs import ChoiceDialog, ConfirmDialog
from exotui.ui.flows import DOCTOR, FORWARD, LAUNCH, SSH
from exotui.ui.screens.clusters import ClusterDetail, ClustersScreen
from exotui.ui.screens.shares import ShareDetail, SharesScreen
from exotui.ui.screens.stacks import StackDetail, StacksScreen
from exotui.ui.widgets.kind_views import RoutersView, SnapshotsView
from exotui.ui.widgets.views import FloatingIPsView, ImagesView, KeypairsView, ResourceView, SecurityGroupsView, VolumesView

UI = Path(__file__).resolve().parents[2] / "exotui" / "ui"


def test_every_resource_action_has_its_flow_and_nothing_else_does():
    assert set(resources.FLOWS) == set(RESOURCE_ACTIONS)
    for declared, flow in resources.FLOWS.items():  # shares' flows have a module of their own
        assert flow.__module__ in (resources.__name__, share_flows.__name__), declared


def test_each_views_keys_are_the_tables():
    """A view's binding `volume('create')` on n, described "New", is the table's (volumes, create, n, New)."""
    bound = set()
    for view in (VolumesView, FloatingIPsView, SecurityGroupsView, StacksScreen, StackDetail, KeypairsView,
                 SnapshotsView, ImagesView, RoutersView, SharesScreen, ShareDetail, ClustersScreen, ClusterDetail):
        for binding in view.BINDINGS:
            if binding in ResourceView.DESCRIBE_KEYS or "(" not in binding.action:
                continue  # d and y: every view's; the screens' own keys (back, open)
            method, what = re.fullmatch(r"(\w+)\('(\w+)'\)", binding.action).groups()
            name = what if method in ("volume", "floating_ip", "stack", "flow", "share") else f"{what}_{method}"
            bound.add((view.kind, name, binding.key, binding.description))
    assert bound == {(a.kind, a.name, a.key, a.label) for a in RESOURCE_ACTIONS}


def test_no_getattr_dispatch_and_no_global_registry():
    for path in UI.rglob("*.py"):
        tree = ast.parse(path.read_text())
        names = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
        assert "flows_for" not in names, f"{path.name} reaches the flows through a global registry"
        dynamic = [n for n in ast.walk(tree) if isinstance(n, ast.Call) and getattr(n.func, "id", "") == "getattr"
                   and n.args and getattr(n.args[0], "id", "") == "resources"]
        assert not dynamic, f"{path.name} picks a flow by name"
    for name in ("views.py", "detail.py"):  # wherever ui/ keeps them
        for path in UI.rglob(name):
            assert "flows import" not in path.read_text(), f"{name} imports the flows instead of posting"


async def test_the_menu_and_its_confirmations_come_from_the_table(open_ui):
    async with open_ui() as ui:
        sid = await ui.boot("table-menu")
        server = ui.store.item("servers", sid)
        ids = [c.id for c in ui.app.flows.menu_choices(ui.project, [server])]
        assert ids == [SSH, *(a.name for a in MENU), DOCTOR, FORWARD, *(c.name for c in INSTANCE_COMMANDS), LAUNCH]
        assert set(ui.app.flows.dialogs()) == {a.name for a in MENU if a.dialog}, "each dialog action has its dialog"
        labels = {c.id: c.label for c in ui.app.flows.menu_choices(ui.project, [server])}
        assert all(labels[a.name] == a.label for a in MENU)

        ui.point_at(sid)
        await ui.pilot.press("a")  # through the view's message and the app's handler
        await ui.until(lambda: isinstance(ui.app.screen, ChoiceDialog), what="the action menu")
        options = ui.app.screen.query_one(OptionList)
        options.highlighted = options.get_option_index("shelve")
        await ui.pilot.press("enter")
        await ui.until(lambda: isinstance(ui.app.screen, ConfirmDialog), what="shelve asks first")
        title = str(ui.app.screen.query_one(".dialog-title", Static).render())
        assert title.startswith(f"{SERVER_ACTION['shelve'].confirm.title} instance table-menu")
        await ui.pilot.press("escape")
        await ui.app.workers.wait_for_complete()
        assert ui.actions_sent(sid) == []

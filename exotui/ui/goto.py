"""Going to one item of any kind, wherever it is: its project made current, its view shown with the cursor on it
(an instance described). What a search result opens."""

from __future__ import annotations

from typing import Any

from .widgets.table import ResourceTable

# kinds without a view of their own go to the row of the item that holds them: (view, attribute naming its ID)
HELD_BY = {"subnets": ("networks", "network_id"), "ports": ("networks", "network_id"),
           "routers": ("networks", "external_network_id")}


def show_item(app: Any, project: Any, kind: str, item_id: str) -> bool:
    """Make `project` current and put the cursor on the item in its view (an instance, or a port of one, opens
    its detail). False, said in one line, when no view shows that kind or the item is gone."""
    if project is not app.project:
        app.select_project(project)
    from ..cloud.store import KINDS

    item = project.store.item(kind, item_id) if kind in KINDS else None
    if item is None:
        app.notify("it is gone from the project", severity="warning")
        return False
    if kind == "clusters":  # shown by a screen of its own (:clusters): the cluster's detail
        from .screens.clusters import ClusterDetail

        app.push_screen(ClusterDetail(project, item_id))
        return True
    if kind == "ports" and getattr(item, "device_id", "") in project.store.get("servers"):
        kind, item_id = "servers", item.device_id  # a port of an instance: the instance
    view = kind
    if not app.query(f"#table-{view}") and kind in HELD_BY:
        view, attribute = HELD_BY[kind]
        item_id = getattr(item, attribute, "") or ""
    tables = app.query(f"#table-{view}")
    if not tables:
        app.notify(f"no view shows {kind.replace('_', ' ')} yet", severity="warning")
        return False
    app.show_view(view)
    table = tables.first(ResourceTable)
    if item_id not in table.shown and table.filter_text:
        table.set_filter("")  # a filter hid it: the item asked for wins
    if item_id in table.shown:
        table.cursor = table.shown.index(item_id)
    if view == "servers":
        app.flows.open_detail(item_id, project)
    return True


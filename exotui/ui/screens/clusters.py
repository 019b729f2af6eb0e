"""The `:clusters` screen (Magnum): each cluster with its status, node counts, template and age; and a cluster's
detail: status and reason, its nodes and addresses, and the Heat stack behind it (enter opens the stack's detail).
Resize, kubeconfig and delete are action_table's ("clusters", ...), started through the app's flows like the views'
actions; `a` lists them, with why one cannot be done now."""

from __future__ import annotations

from typing import Any

from textual.binding import Binding

from ...cloud.action_table import RESOURCE_ACTIONS
from ..dialogs import Choice, ChoiceDialog
from ..intents import ResourceFlow
from ..plain import escape, middle
from ..widgets.views import age
from .listing import ListingScreen
from .stacks import StackDetail, StackWatching

_ACTIONS = [a for a in RESOURCE_ACTIONS if a.kind == "clusters"]
# the action table's keys for the clusters (each `flow('NAME')`); `a` lists them
ACTION_KEYS = [Binding(a.key, f"flow('{a.name}')", a.label, show=a.name != "kubeconfig",
                       tooltip={"resize": "the number of worker nodes (a shrink asks first)",
                                "kubeconfig": "a kubeconfig file (mode 600) from the cluster's certificates",
                                "delete": "the cluster and its Heat stack (asks first)"}[a.name]) for a in _ACTIONS]
MENU_KEY = Binding("a", "actions", "Actions", tooltip="what can be done to the cluster now, and why not the rest")
EMPTY = ("No clusters here (or no Magnum in this cloud): make one with `openstack coe cluster create`; "
         "esc goes back.")


def _count(n: int, what: str) -> str:
    return f"{n} {what}{'s' if n != 1 else ''}"


class ClusterScreen(StackWatching, ListingScreen):
    """What the list and the detail share: the project's poller lists clusters and stacks (the link) as often as a
    shown view's kinds while one is up, a stack's detail over it included (StackWatching: the last of them to
    close gives the view's kinds back); the store's changes redraw it; `a` and the action keys."""

    kind = "clusters"
    _unsubscribe = None

    def on_mount(self) -> None:
        super().on_mount()
        self._unsubscribe = self.project.store.subscribe(self._changed)
        poller = self.project.poller
        poller.watch(poller.watched | {"clusters"})
        self.watch_stacks()
        poller.kick("clusters")
        self.when_composed("#listing", lambda _table: self.redraw())

    def on_unmount(self) -> None:
        if self._unsubscribe:
            self._unsubscribe()
        self.unwatch_stacks(self.app)

    def _changed(self, change) -> None:
        if change.kind in ("clusters", "stacks"):
            self.call_later(self.redraw)

    def redraw(self) -> None:
        raise NotImplementedError

    def current_cluster(self) -> Any:
        raise NotImplementedError

    def action_flow(self, name: str) -> None:
        cluster = self.current_cluster()
        if cluster is not None:
            self.post_message(ResourceFlow(self.kind, name, cluster.id, self.project))

    def action_actions(self) -> None:
        cluster = self.current_cluster()
        if cluster is None:
            return
        actions = self.project.actions
        why = {"resize": actions.why_not_resize_cluster, "kubeconfig": actions.why_not_kubeconfig,
               "delete": actions.why_not_delete_cluster}
        choices = [Choice(a.name, f"{escape(a.label)}  ({escape(a.key)})", why[a.name](cluster)) for a in _ACTIONS]

        def chosen(name: str | None) -> None:
            if name:
                self.action_flow(name)

        self.app.push_screen(ChoiceDialog(f"Cluster {middle(cluster.name, 40)}", choices), chosen)

    def action_reload(self) -> None:
        self.project.poller.kick("clusters", "stacks")


class ClustersScreen(ClusterScreen):
    """Clusters of the project, from the store (kind `clusters`), redrawn when a poll changes them."""

    columns = ("name", "status", "nodes", "masters", "template", "age")
    empty_hint = EMPTY
    BINDINGS = [
        Binding("escape", "close", "Back", tooltip="the screen before"),
        Binding("enter", "open", "Detail", tooltip="status and reason, nodes, addresses and the stack behind it"),
        MENU_KEY,
        *ACTION_KEYS,
        Binding("ctrl+r", "reload", "Reload", show=False, tooltip="list again now"),
    ]

    def redraw(self) -> None:
        clusters = sorted(self.project.store.get("clusters").values(), key=lambda c: (c.name, c.id))
        self.set_bar(f"Clusters │ {self.project.label}")
        self.fill((c.id, (middle(c.name, 28), c.status, str(c.node_count), str(c.master_count),
                          middle(c.template or c.template_id[:8], 24), age(c.created_at))) for c in clusters)
        state = self.project.store.state("clusters")
        if not state.loaded:
            self.set_status("loading clusters…")
        elif state.last_error:
            self.set_status(f"⚠ {state.last_error}")
        else:
            self.set_status(f"{_count(len(clusters), 'cluster')} · enter: detail · a: actions" if clusters else
                            "no clusters in this project (or no Magnum in this cloud)")
        self.say_empty(state.loaded and not state.last_error and not clusters)

    def current_cluster(self) -> Any:
        return self.project.store.item("clusters", self.current or "")

    def action_open(self) -> None:
        cluster = self.current_cluster()
        if cluster is not None:
            self.app.push_screen(ClusterDetail(self.project, cluster.id))


class ClusterDetail(ClusterScreen):
    """One cluster as the store holds it (and its faults, fetched once), field by field; the stack row links."""

    columns = ("field", "value")
    BINDINGS = [
        Binding("escape", "close", "Back", tooltip="the clusters"),
        Binding("enter", "open", "Open stack", tooltip="on the stack's row: the Heat stack behind the cluster"),
        MENU_KEY,
        *ACTION_KEYS,
    ]

    def __init__(self, project, cluster_id: str) -> None:
        super().__init__(project)
        self.cluster_id = cluster_id
        self.faults: dict[str, str] = {}

    def on_mount(self) -> None:
        super().on_mount()
        from ..workers import run_guarded

        run_guarded(self, self._fetch_faults(), "reading the cluster", group="cluster-detail")

    async def _fetch_faults(self) -> None:
        """Magnum names what failed (per node group) only in one cluster's own answer."""
        from ...cloud.clusters import fetch_cluster

        try:
            cluster = await fetch_cluster(self.project.session, self.cluster_id)
        except Exception as err:  # noqa: BLE001 (a gone cluster, a failed read: said in one line)
            self.set_status(f"cannot read the cluster: {getattr(err, 'message', None) or err}")
            return
        self.faults = dict(cluster.faults)
        self.redraw()

    def current_cluster(self) -> Any:
        return self.project.store.item("clusters", self.cluster_id)

    def redraw(self) -> None:
        cluster = self.current_cluster()
        if cluster is None:
            self.set_bar(f"Cluster (gone) │ {self.project.label}")
            self.set_status("the cluster is gone: deleted, or not in this project")
            self.fill([])
            return
        self.set_bar(f"Cluster {middle(cluster.name, 40)} │ {self.project.label}")
        stack = self.project.store.item("stacks", cluster.stack_id) if cluster.stack_id else None
        link = (f"→ {stack.name} ({stack.status})" if stack is not None else
                f"{cluster.stack_id[:8]} (not loaded)" if cluster.stack_id else "-")
        rows = [
            ("status", "status", cluster.status),
            ("reason", "reason", cluster.status_reason or "-"),
            ("nodes", "nodes", f"{_count(cluster.node_count, 'worker')}, {_count(cluster.master_count, 'master')}"),
            ("template", "template", cluster.template or cluster.template_id),
            ("stack", "stack (enter)", link),
            ("api", "API", cluster.api_address or "-"),
            ("version", "version", cluster.coe_version or "-"),
            ("health", "health", cluster.health_status or "-"),
            ("flavors", "flavors", f"{cluster.flavor or '-'} (masters {cluster.master_flavor or '-'})"),
            ("keypair", "key pair", cluster.keypair or "-"),
            ("workers", "worker IPs", ", ".join(cluster.node_addresses) or "-"),
            ("masters", "master IPs", ", ".join(cluster.master_addresses) or "-"),
            ("created", "created", cluster.created_at[:16].replace("T", " ")),
            *((f"fault:{group}", f"fault {group}", why) for group, why in self.faults.items()),
        ]
        self.fill((key, (label, value)) for key, label, value in rows)
        self.set_status("enter on the stack row: its detail · a: actions")

    def action_open(self) -> None:
        cluster = self.current_cluster()
        if cluster is None or self.current != "stack":
            return
        stack = self.project.store.item("stacks", cluster.stack_id) if cluster.stack_id else None
        if stack is None:
            self.app.notify("its stack is not in this project's stacks (yet)", severity="warning", timeout=4)
            return
        self.app.push_screen(StackDetail(self.project, stack))

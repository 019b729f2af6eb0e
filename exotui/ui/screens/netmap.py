"""The `:map` screen: the project's network as a navigable tree.

The drawing is exotui.net.topology's; this module only colours its roles with theme variables and moves
between nodes; `d` opens the SSH doctor (screens/doctor.py) on an instance.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Footer, OptionList, Static
from textual.widgets.option_list import Option

from ...net import topology
from ...net.view import NetView
from ..tcss import beside
from ..widgets.choices import NetMap
from .base import AnswerOnce, StoreWatching

# roles from net.topology -> theme styles (never literal colours: a theme change reaches the map)
ROLES = {"tree": "$text-muted", "external": "bold $accent", "router": "bold $secondary", "network": "bold $primary",
         "name": "bold", "ip": "$text-muted", "fip": "$success", "group": "$warning", "dim": "$text-muted",
         "warn": "$error", "hint": "italic $text-muted", "section": "bold $warning", "collapsed": "$accent",
         "instance": "$primary", "fips": "$success", "link": "$text-muted"}
STATUS = {"ACTIVE": "$success", "ERROR": "$error", "SHUTOFF": "$text-muted"}
_WATCHED = frozenset({"servers", "networks", "subnets", "routers", "ports", "floating_ips", "security_groups"})


def _style(role: str) -> str:
    if role.startswith("status:"):
        return STATUS.get(role[7:], "$warning")
    return ROLES.get(role, "")


def styled(line: topology.Line) -> Content:
    return Content.assemble(*((text, _style(role)) for text, role in line.segments))


class NetMapScreen(StoreWatching, AnswerOnce, Screen[None]):
    """Pushed over the views; esc goes back. Redraws when the project's network changes."""

    CSS_PATH = beside(__file__, "netmap.tcss")
    BINDINGS = [
        Binding("escape", "close", "Back"),
        Binding("enter", "open", "Open", tooltip="an instance's detail; a '…more' line expands"),
        Binding("left,h", "parent", "Parent", show=False),
        Binding("right,l", "child", "Child/expand", show=False),
        Binding("e", "toggle", "Expand", tooltip="a collapsed network, or collapse it"),
        Binding("d", "doctor", "SSH doctor", tooltip="why can't I SSH to this instance?"),
        Binding("m", "matrix", "Who may connect", tooltip="instances by service, and from where"),
    ]

    watched_kinds = _WATCHED
    drawn_in = "#map"
    focus_on = NetMap

    def __init__(self, project) -> None:
        super().__init__()
        self.project = project
        self.expanded: set[str] = set()
        self.lines: list[topology.Line] = []
        self.topo: topology.Topology | None = None
        self.view: NetView | None = None

    def compose(self) -> ComposeResult:
        yield Static(f"Network map │ {self.project.label}", id="map-title", markup=False)
        yield NetMap(id="map")
        yield Static("", id="map-detail")
        yield Footer()

    @property
    def current(self) -> str | None:
        option_list = self.part("#map", NetMap)
        index = option_list.highlighted if option_list is not None else None
        return self.lines[index].node_id if index is not None and index < len(self.lines) else None

    def redraw(self, focus: str | None = None) -> None:
        self._pending = False
        keep = focus or self.current
        self.view = NetView.from_store(self.project.store)
        self.topo = topology.build(self.view)
        width = max(40, (self.size.width or 80) - 2)
        self.lines = topology.layout(self.topo, self.view, width, self.expanded)
        option_list = self.part("#map", NetMap)
        if option_list is None:
            return  # torn down: a redraw queued by a store change came after the screen closed
        option_list.clear_options()
        option_list.add_options(Option(styled(line), disabled=line.node_id is None) for line in self.lines)
        self._go(keep)

    def _index(self, node_id: str | None) -> int | None:
        return next((i for i, line in enumerate(self.lines) if line.node_id == node_id), None)

    def _go(self, node_id: str | None) -> None:
        option_list = self.part("#map", NetMap)
        if option_list is None:
            return
        index = self._index(node_id)
        if index is None and self.lines:
            index = 0
        option_list.highlighted = index
        self._show_detail()

    def on_option_list_option_highlighted(self, _event: OptionList.OptionHighlighted) -> None:
        self._show_detail()

    def on_option_list_option_selected(self, _event: OptionList.OptionSelected) -> None:
        self.action_open()

    def _show_detail(self) -> None:
        node = self.current
        lines = topology.detail(self.topo, self.view, node) if node and self.topo and self.view else []
        detail = self.part("#map-detail", Static)
        if detail is not None:
            detail.update(Content(" · ".join(lines[:1] + lines[2:]) or " "))

    # --- keys --------------------------------------------------------------------------------------

    def action_close(self) -> None:
        self.dismiss(None)

    def action_parent(self) -> None:
        node = self.current
        if node and self.topo:
            parent = self.topo.nodes.get(node.split("#")[0])
            target = node.split("#")[0] if "#" in node else (parent.parent if parent else None)
            if target:
                self._go(target)

    def _pointed(self) -> str | None:
        """The node under the cursor; on a "N more" line the network is expanded instead (None)."""
        node = self.current
        if node is None or self.topo is None:
            return None
        if node.endswith("#more"):
            self.action_toggle()
            return None
        return node

    def action_child(self) -> None:
        node = self._pointed()
        if node is None or self.topo is None:
            return
        kids = [k for k in self.topo.children.get(node, ()) if self._index(k) is not None]
        if kids:
            self._go(kids[0])
        elif self._index(f"{node}#more") is not None:
            self._go(f"{node}#more")

    def action_toggle(self) -> None:
        """Expand a collapsed network (or collapse an expanded one)."""
        node = self.current
        if node is None:
            return
        network = node.split("#")[0]
        if self.topo and network in self.topo.nodes and self.topo.nodes[network].kind == "instance":
            network = self.topo.nodes[network].parent or network
        if network in self.expanded:
            self.expanded.discard(network)
            self.redraw(network)
        elif self.topo and network in self.topo.nodes and self.topo.nodes[network].kind == "network":
            self.expanded.add(network)
            self.redraw(node if "#" not in node else network)

    def action_open(self) -> None:
        node = self._pointed()
        if node is None or self.topo is None:
            return
        item = self.topo.nodes.get(node)
        if item is not None and item.kind == "instance":
            from .detail import InstanceDetail

            self.app.push_screen(InstanceDetail(self.project, item.ref))

    def action_matrix(self) -> None:
        from .matrix import MatrixScreen

        self.app.push_screen(MatrixScreen(self.project))

    def action_doctor(self) -> None:
        node = self.topo.nodes.get(self.current or "") if self.topo else None
        if node is None or node.kind != "instance":
            self.notify("the SSH doctor works on an instance: move to one", severity="warning")
            return
        from .doctor import DoctorScreen

        self.app.push_screen(DoctorScreen(self.project, node.ref))

"""The detail of one item of any kind but an instance (`d`/enter): its fields, then its related items as links
that open their own detail; the header of the views kept above it."""

from __future__ import annotations

import dataclasses
from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Footer, OptionList, Static
from textual.widgets.option_list import Option

from ..tcss import beside
from ..widgets.crumb import ScreenCrumb
from .base import AnswerOnce, StoreWatching

TITLE_NAME_CELLS = 40  # a longer name is cut in the title (whole in the fields below)
LABEL_CELLS = 20  # a longer field name is cut
# the Projects view's row holds these as (used, limit); the detail's quota meters say them in full
SHOWN_AS_METERS = {("projects", label) for label in ("cores", "ram gb", "volume gb", "fips", "tight")}

KIND_TITLES = {"servers": "Instance", "volumes": "Volume", "networks": "Network", "subnets": "Subnet",
               "routers": "Router", "ports": "Port", "floating_ips": "Floating IP",
               "security_groups": "Security group", "images": "Image", "keypairs": "Key pair",
               "volume_snapshots": "Volume snapshot", "server_groups": "Server group", "projects": "Project",
               "flavors": "Flavor"}


def lookup(kind: str, ident: str, project) -> Any:
    """The item as the store holds it now (a project: its row of the Projects view); None once it is gone."""
    if project is None:
        return None
    if kind == "projects":
        from ..widgets.projects import row_for

        return row_for(project) if str(project.key) == ident else None
    return project.store.item(kind, ident)


def name_of(item: Any) -> str:
    name = getattr(item, "name", None) or getattr(item, "address", None) or getattr(item, "project", None)
    if not name and getattr(item, "fixed_ips", None):  # a port with no name: its addresses
        name = ", ".join(ip.ip_address for ip in item.fixed_ips)
    return name or getattr(item, "id", "")[:8]


def _value(value: Any) -> str:
    if value is None or value == "" or value == ():
        return "-"
    if hasattr(value, "ip_address") and hasattr(value, "subnet_id"):  # a port's fixed IP
        return f"{value.ip_address} (subnet {value.subnet_id[:8]})"
    if hasattr(value, "server_id") and hasattr(value, "device"):  # a volume's attachment
        return f"{value.server_id[:8]} {value.device}".strip()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return " ".join(f"{f.name}={_value(getattr(value, f.name))}" for f in dataclasses.fields(value))
    if isinstance(value, (tuple, list, frozenset)):
        return ", ".join(_value(v) for v in value)
    if isinstance(value, dict) or hasattr(value, "items"):
        return ", ".join(f"{k}={v}" for k, v in sorted(value.items())) or "-"
    return str(value)


def fields(item: Any) -> list[tuple[str, str]]:
    """The stored model's fields as (label, value): already printable (cloud/models.printable, at parse)."""
    if not (dataclasses.is_dataclass(item) and not isinstance(item, type)):
        return [("value", str(item))]
    rows = []
    for f in dataclasses.fields(item):
        if f.name.startswith("raw_") or f.name == "rules" and item.__class__.__name__ == "SecurityGroup":
            continue
        rows.append((f.name.replace("_", " "), _value(getattr(item, f.name))))
    return rows


Link = tuple[str, str, str]  # (what it reads, kind, ID)


def _link(store, kind: str, ident: str, extra: str = "") -> Link:
    item = store.item(kind, ident) if ident else None
    name = name_of(item) if item is not None else f"{ident[:8]} (not loaded)"
    return (f"{KIND_TITLES[kind]}: {name}{extra}", kind, ident)


def _device(store, port) -> str:
    """ " (instance web-1)", " (router r1)", " (network:dhcp)": what a port is plugged into."""
    for kind in ("servers", "routers"):
        owner = store.item(kind, port.device_id) if port.device_id else None
        if owner is not None:
            return f" ({KIND_TITLES[kind].lower()} {name_of(owner)})"
    return f" ({port.device_owner})" if port.device_owner else ""


def related(store, kind: str, item: Any) -> list[Link]:
    """Items the cloud ties to `item`, each a link to its detail."""
    get = store.get
    ident = getattr(item, "id", "")
    links: list[Link] = []
    if kind == "servers":
        for v in get("volumes").values():
            for a in v.attachments:
                if a.server_id == ident:
                    links.append(_link(store, "volumes", v.id, f" {a.device}"))
        ports = [p for p in get("ports").values() if p.device_id == ident]
        links += [_link(store, "ports", p.id, " " + ", ".join(ip.ip_address for ip in p.fixed_ips)) for p in ports]
        links += [_link(store, "networks", n) for n in dict.fromkeys(p.network_id for p in ports)]
        groups = {g.name: g.id for g in get("security_groups").values()}
        links += [_link(store, "security_groups", groups[name]) for name in item.security_groups if name in groups]
        links += [_link(store, "server_groups", g.id) for g in get("server_groups").values() if ident in g.member_ids]
        links += [_link(store, "floating_ips", f.id) for f in get("floating_ips").values()
                  if f.port_id in {p.id for p in ports}]
        if item.image_id:
            links.append(_link(store, "images", item.image_id))
        if item.key_name:
            links.append(_link(store, "keypairs", item.key_name))
    elif kind == "volumes":
        links += [_link(store, "servers", a.server_id, f" {a.device}") for a in item.attachments]
        links += [_link(store, "volume_snapshots", s.id) for s in get("volume_snapshots").values()
                  if s.volume_id == ident]
    elif kind == "volume_snapshots":
        links.append(_link(store, "volumes", item.volume_id))
    elif kind == "networks":
        links += [_link(store, "subnets", s) for s in item.subnet_ids]
        links += [_link(store, "routers", r.id, " (gateway)") for r in get("routers").values()
                  if r.external_network_id == ident]
        links += [_link(store, "ports", p.id, _device(store, p)) for p in get("ports").values()
                  if p.network_id == ident]
    elif kind == "subnets":
        links.append(_link(store, "networks", item.network_id))
        links += [_link(store, "ports", p.id, _device(store, p)) for p in get("ports").values()
                  if any(ip.subnet_id == ident for ip in p.fixed_ips)]
    elif kind == "routers":
        if item.external_network_id:
            links.append(_link(store, "networks", item.external_network_id, " (gateway)"))
        links += [_link(store, "ports", p.id, " (interface)") for p in get("ports").values() if p.device_id == ident]
    elif kind == "ports":
        links.append(_link(store, "networks", item.network_id))
        for owner in ("servers", "routers"):
            if item.device_id and store.item(owner, item.device_id) is not None:
                links.append(_link(store, owner, item.device_id, " (device)"))
        links += [_link(store, "subnets", s) for s in dict.fromkeys(ip.subnet_id for ip in item.fixed_ips)]
        links += [_link(store, "security_groups", g) for g in item.security_group_ids]
        links += [_link(store, "floating_ips", f.id) for f in get("floating_ips").values() if f.port_id == ident]
    elif kind == "floating_ips":
        if item.port_id:
            links.append(_link(store, "ports", item.port_id))
        port = store.item("ports", item.port_id or "")
        device = item.device_id or (port.device_id if port else "")
        if device and store.item("servers", device) is not None:
            links.append(_link(store, "servers", device))
        if item.router_id:
            links.append(_link(store, "routers", item.router_id))
        if item.network_id:
            links.append(_link(store, "networks", item.network_id))
    elif kind == "security_groups":
        links += [_link(store, "security_groups", g, " (a rule's remote group)")
                  for g in dict.fromkeys(r.remote_group_id for r in item.rules if r.remote_group_id)]
        links += [_link(store, "servers", s.id) for s in get("servers").values() if item.name in s.security_groups]
    elif kind == "images":
        links += [_link(store, "servers", s.id) for s in get("servers").values() if s.image_id == ident]
    elif kind == "keypairs":
        links += [_link(store, "servers", s.id) for s in get("servers").values() if s.key_name == item.name]
    elif kind == "server_groups":
        links += [_link(store, "servers", m) for m in item.member_ids]
    return links


def extra_sections(store, kind: str, item: Any, palette=None) -> list[tuple[str, list[str] | list[Text]]]:
    """Sections of their own for what reads badly as one field: a group's rules (a remote group by its name), a
    project's quotas (a meter each)."""
    if kind == "projects" and palette is not None:
        from ..widgets.projects import quota_sections

        return list(quota_sections(store, palette))
    if kind != "security_groups":
        return []
    from ..widgets.views import rule_summary

    names = {g.id: g.name for g in store.get("security_groups").values()}
    lines = []
    for rule in item.rules:
        line = rule_summary(rule)
        if rule.remote_group_id and rule.remote_group_id in names:
            line = line.replace(f"group {rule.remote_group_id[:8]}", f"group {names[rule.remote_group_id]}")
        lines.append(line + (f"  {rule.description}" if rule.description else ""))
    return [("Rules", lines or ["none"])]


def open_item(app, kind: str, ident: str, project=None, *, yaml: bool = False) -> None:
    """`d` (or enter) and `y` on an item of any kind, from a view or a link."""
    project = project if project is not None else app.project
    if project is None:
        return
    if lookup(kind, ident, project) is None:
        app.notify(f"{KIND_TITLES.get(kind, kind)} {ident[:8]} is not loaded in this project (gone, or another "
                   "project's)", severity="warning", timeout=4)
        return
    if yaml:
        from .yaml_view import YamlScreen

        app.push_screen(YamlScreen(project, kind, ident))
    elif kind == "servers":
        app.flows.open_detail(ident, project)
    else:
        app.push_screen(KindDetail(project, kind, ident))


class KindDetail(StoreWatching, AnswerOnce, Screen[None]):
    """Pushed over the views; esc goes back. One list: the fields, then the links (enter opens one), so the
    arrow and page keys scroll it with no Tab first. Redrawn from the project's store while shown."""

    CSS_PATH = beside(__file__, "kind_detail.tcss")
    BINDINGS = [
        Binding("escape", "close", "Back"),
        Binding("y", "yaml", "YAML", tooltip="the cloud's own fields for it, as YAML (/ searches)"),
        Binding("enter", "open_link", "Open link", tooltip="the related item under the cursor: its detail"),
        Binding("pageup,pagedown,home,end", "noop", "Scroll", show=False, tooltip="↑↓ line, pgup/pgdn page, "
                "home/end: no Tab needed"),
    ]

    watched_kinds = frozenset({"servers", "volumes", "networks", "subnets", "routers", "ports", "floating_ips",
                               "security_groups", "images", "keypairs", "volume_snapshots", "server_groups", "quotas"})
    drawn_in = "#kind-body"
    focus_on = OptionList

    def __init__(self, project, kind: str, ident: str) -> None:
        super().__init__()
        self.project = project
        self.kind = kind
        self.ident = ident
        self._drawn: list[Option] | None = None

    def compose(self) -> ComposeResult:
        yield ScreenCrumb()
        yield Static("", id="kind-title", markup=False)
        yield OptionList(id="kind-body")
        yield Footer()

    def redraw(self) -> None:
        self._pending = False
        title, body = self.part("#kind-title", Static), self.part("#kind-body", OptionList)
        if title is None or body is None:
            return
        item = lookup(self.kind, self.ident, self.project)
        what = KIND_TITLES.get(self.kind, self.kind)
        if item is None:
            title.update(f"{what} (gone: deleted, or not in this project)")
            return
        name = Text(name_of(item))
        name.truncate(TITLE_NAME_CELLS, overflow="ellipsis")
        status = getattr(item, "status", "")
        title.update(f"{what} {name.plain}" + (f" │ {status}" if status else ""))
        options = self.options(item)
        if [o.prompt for o in options] == [o.prompt for o in (self._drawn or [])]:
            return  # the same as drawn: the cursor stays where it is
        self._drawn = options
        highlighted = body.highlighted
        body.set_options(options)
        if options:
            body.highlighted = min(highlighted or 0, len(options) - 1)

    def options(self, item: Any) -> list[Option]:
        store = self.project.store
        options = [Option(Text.assemble((f"{label[:LABEL_CELLS - 1]:<{LABEL_CELLS}}", "bold"), value))
                   for label, value in fields(item) if (self.kind, label) not in SHOWN_AS_METERS]
        from ..widgets.views import CellColours

        for heading, lines in extra_sections(store, self.kind, item, CellColours(self.app)):
            options.append(Option(Text(heading, style="bold"), disabled=True))
            options += [Option(Text("  ") + Text(line) if isinstance(line, str) else Text("  ") + line)
                        for line in lines]
        links = related(store, self.kind, item) if self.kind != "projects" else []
        options.append(Option(Text("Related (enter opens)" if links else "Related: none known", style="bold"),
                              disabled=True))
        options += [Option(Text("  → " + label, style="underline"), id=f"{kind}\t{ident}")
                    for label, kind, ident in links]
        return options

    @on(OptionList.OptionSelected, "#kind-body")
    def _selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self._open(event.option.id)

    def action_open_link(self) -> None:
        body = self.part("#kind-body", OptionList)
        if body is not None and body.highlighted is not None:
            self._open(body.get_option_at_index(body.highlighted).id)

    def _open(self, link: str | None) -> None:
        if link:
            kind, ident = link.split("\t", 1)
            open_item(self.app, kind, ident, self.project)

    def action_noop(self) -> None:
        """(the list's own keys scroll; this binding only names them in ? help)"""

    def action_yaml(self) -> None:
        open_item(self.app, self.kind, self.ident, self.project, yaml=True)

    def action_close(self) -> None:
        self.dismiss(None)

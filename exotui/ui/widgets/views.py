"""The resource views: each a titled ResourceTable over one kind of the current project's store."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any, ClassVar, Mapping

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.color import Color, ColorParseError
from textual.containers import Vertical
from textual.widgets import Static

from ..tcss import tcss
from .table import Column, ResourceTable

if TYPE_CHECKING:  # the cloud layer loads after the first frame, with the first rows to draw
    from ...cloud.models import Flavor, Server
    from ...cloud.store import Change

# view name -> aliases typed after ':'
ALIASES = {
    "servers": ("servers", "server", "instances", "instance", "vm", "vms", "s"),
    "volumes": ("volumes", "volume", "vol", "vols"),
    "networks": ("networks", "network", "net", "nets"),
    "floating_ips": ("fips", "fip", "floatingips", "floating-ips", "floating_ips"),
    "security_groups": ("secgroups", "secgroup", "sg", "sgs", "security-groups"),
    "images": ("images", "image", "img"),
    "keypairs": ("keypairs", "keypair", "keys", "kp"),
    "projects": ("projects", "project", "proj", "allocations"),
    "routers": ("routers", "router", "rt"),
    "subnets": ("subnets", "subnet"),
    "ports": ("ports", "port"),
    "volume_snapshots": ("snapshots", "snapshot", "snap", "snaps", "volume-snapshots"),
    "server_groups": ("servergroups", "servergroup", "server-groups", "sgroups"),
    "map": ("map", "topology", "topo"),
    "matrix": ("matrix", "access", "who"),
    "objects": ("objects", "containers", "swift", "obj"),
    "ec2": ("ec2", "s3", "credentials", "creds"),
    "stacks": ("stacks", "stack", "heat", "orchestration"),
    "shares": ("shares", "share", "manila", "cephfs", "nfs"),
    "clusters": ("clusters", "cluster", "coe", "magnum", "k8s", "kubernetes"),
    "search": ("search", "find", "grep"),
    "units": ("units", "su", "runway", "allocation"),
}


def view_for(alias: str) -> str | None:
    """The view an alias names; else the one view whose aliases alone begin with it (`:inst`, `:float`, as k9s
    takes a unique prefix); None if none or several do (`:se`: servers, secgroups, search...)."""
    alias = alias.strip().lower()
    exact = next((view for view, names in ALIASES.items() if alias in names), None)
    if exact is not None:
        return exact
    begun = views_beginning(alias)
    return begun[0] if len(begun) == 1 else None


def views_beginning(alias: str) -> list[str]:
    """The views with an alias that begins with `alias` (two characters at least), each by its first alias."""
    alias = alias.strip().lower()
    if len(alias) < 2:
        return []
    return [view for view, names in ALIASES.items() if any(name.startswith(alias) for name in names)]


def clock() -> dt.datetime:
    """The time ages are measured to (screenshots/make.py stands it still, for SVGs that do not change)."""
    return dt.datetime.now(dt.timezone.utc)


AGE_EVERY = 60.0  # seconds between repaints of the AGE column


def age(created: str, now: dt.datetime | None = None) -> str:
    """"3d", "5h", "12m", "<1m" from an ISO time; "" if unreadable. Minutes at best: the column is
    repainted once a minute, and "12s" would stand for a whole minute."""
    try:
        when = dt.datetime.fromisoformat(created.replace("Z", "+00:00"))
    except ValueError:
        return ""
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.timezone.utc)
    seconds = max(0, int(((now or clock()) - when).total_seconds()))
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds // size}{unit}"
    return "<1m"


def rich_colour(value: str) -> str:
    """A theme colour as Rich styles read it: an ANSI theme's colours are named the Textual way, which Rich
    cannot parse and drops without a word (so ANSI themes lost every status colour)."""
    try:
        return Color.parse(value).rich_color.name
    except ColorParseError:
        return value


class CellColours:
    """Theme colours for cell text, read from the running app's theme (never literals)."""

    def __init__(self, app) -> None:
        colours = app.theme_variables
        self.ok = rich_colour(colours["success"])
        self.bad = rich_colour(colours["error"])
        self.busy = rich_colour(colours["warning"])
        self.accent = rich_colour(colours["accent"])
        # $text-muted is "auto 60%", which is no colour to Rich; faint text is what it means, in any theme
        self.dim = "dim"


class ResourceView(Vertical):
    """A title line and a table of one kind of the current project's store; subclasses give the kind, the
    columns and the title (the Projects view, every project's row, overrides what it shows and when)."""

    DEFAULT_CSS = tcss(__file__, "views.tcss")
    # every view's: after the view's own keys (in the footer too), unless the view binds them itself
    DESCRIBE_KEYS = [
        Binding("d", "describe", "Describe", tooltip="its fields and related items, each a link (enter opens it)"),
        Binding("y", "yaml", "YAML", show=False, tooltip="the cloud's own fields for it, as YAML (/ searches)"),
    ]
    kind: ClassVar[str] = ""
    title: ClassVar[str] = ""
    enter_describes: ClassVar[bool] = True  # enter on a row is `d` (the Projects view: makes it current instead)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        own = cls.__dict__.get("BINDINGS", [])
        keys = {b.key for b in own if isinstance(b, Binding)}
        cls.BINDINGS = [*own, *(b for b in ResourceView.DESCRIBE_KEYS if b.key not in keys)]
        super().__init_subclass__(**kwargs)  # (Textual merges the bindings there)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.project = None
        self.palette: CellColours | None = None

    def compose(self) -> ComposeResult:
        yield Static(self.title, classes="view-title", markup=False)  # it shows the filter as typed
        yield ResourceTable(self.columns(), id=f"table-{self.kind}")

    @property
    def table(self) -> ResourceTable:
        return self.query_one(ResourceTable)

    def on_mount(self) -> None:
        self.palette = CellColours(self.app)
        self.app.theme_changed_signal.subscribe(self, self._retheme)
        if any(column.key == "age" for column in self.table.all_columns):
            # AGE moves on by itself: once a minute, only its changed cells repainted
            self.set_interval(AGE_EVERY, self._tick_ages)

    def _tick_ages(self) -> None:
        if self.project is not None:
            self.table.refresh_column("age")

    def _retheme(self, _theme) -> None:
        """Cell colours are baked into cached rows: draw them again in the new theme's colours."""
        self.palette = CellColours(self.app)
        self.table.load(self.items())

    def columns(self) -> list[Column]:
        raise NotImplementedError

    def items(self) -> Mapping[str, Any]:
        """The rows the table shows, by ID."""
        return self.project.store.get(self.kind) if self.project is not None else {}

    def show(self, project) -> None:
        """Show this project's `kind` (a full load of the table)."""
        self.project = project
        self.palette = CellColours(self.app)
        self.table.load(self.items())
        self.update_title()

    def changed(self, change: Change) -> None:
        if self.project is None or change.project != self.project.key:
            return
        if change.kind == self.kind:
            self.table.apply(self.project.store.get(self.kind), change.added, change.updated, change.removed)
            self.update_title()
        elif change.kind in self.depends_on():
            self.table.load(self.items())

    def depends_on(self) -> tuple[str, ...]:
        """Other kinds whose changes alter how this view's rows read."""
        return ()

    def project_of(self, ident: str):
        """The project the row `ident` belongs to."""
        return self.project

    @on(ResourceTable.Selected)
    def describe_selected(self, event: ResourceTable.Selected) -> None:
        if self.enter_describes:
            event.stop()
            self._open(event.item_id)

    def action_describe(self) -> None:
        self._open(self.table.current_id)

    def action_yaml(self) -> None:
        self._open(self.table.current_id, yaml=True)

    def action_flow(self, what: str) -> None:
        """A key of action_table's RESOURCE_ACTIONS for this view's kind (`what`: its name), on the current row."""
        from ..intents import ResourceFlow  # the app starts what a view asks for (ui/intents.py)

        self.post_message(ResourceFlow(self.kind, what, self.table.current_id, self.project))

    def _open(self, ident: str | None, yaml: bool = False) -> None:
        from ..intents import OpenItem, ShowYaml  # the app starts what a view asks for (ui/intents.py)

        if ident:
            self.post_message((ShowYaml if yaml else OpenItem)(self.kind, ident, self.project_of(ident)))

    def update_title(self) -> None:
        table = self.table
        count = len(table.shown)
        total = len(table.items)
        shown = f"{count}/{total}" if table.filter_text else f"{total}"
        extra = f"  filter: /{table.filter_text}" if table.filter_text else ""
        state = self.project.store.state(self.kind) if self.project else None
        if state is not None and not state.loaded:
            shown = "loading…" if state.last_error is None else "unavailable"
        self.query_one(".view-title", Static).update(f"{self.title} ({shown}){extra}")


class ServersView(ResourceView):
    kind = "servers"
    title = "Instances"
    BINDINGS = [
        Binding("a", "actions", "Actions", tooltip="on the instance (or the marked ones): only what its state "
                "allows, refusals explained"),
        Binding("d", "describe", "Describe", tooltip="flavor, addresses, volumes, groups and rules, console log"),
        Binding("n", "launch", "New", tooltip="launch an instance"),
        Binding("ctrl+d", "delete", "Delete", show=False, tooltip="asks first, naming it; an instance's floating "
                "IPs stay unless you tick r"),
        # in ? help: the 80-column footer is full
        Binding("s", "ssh", "SSH", show=False, tooltip="a session to the instance in a tab. There ctrl+] comes "
                "back (sessions stay open), ctrl+pgup/pgdn switch tabs, ctrl+f4 ends one, f12 opens it in your own "
                "terminal; shift+pgup scrolls back; shift+↑ copy mode: arrows/hjkl move, v selects, y copies "
                "(OSC 52), / searches, n/N older/newer, esc leaves"),
        Binding("S", "sessions", "Sessions", show=False, tooltip="back to the open SSH sessions"),
    ]

    def action_actions(self) -> None:
        from ..intents import ServerMenu

        ids = self.table.marked_or_current()
        self.table.marks.clear()  # k9s: a bulk action consumes the marks
        self.table.refresh()
        self.post_message(ServerMenu(ids, self.project))

    def action_launch(self) -> None:
        from ..intents import Launch

        self.post_message(Launch(self.project))

    def action_ssh(self) -> None:
        from ..screens.sessions import open_session  # asyncssh loads on the first session, not at start-up

        if self.table.current_id:
            open_session(self.app, self.project, self.table.current_id)

    def action_sessions(self) -> None:
        from ..screens.sessions import show_sessions

        show_sessions(self.app)

    def action_delete(self) -> None:
        from ..intents import DeleteServers

        ids = self.table.marked_or_current()
        self.table.marks.clear()
        self.table.refresh()
        self.post_message(DeleteServers(ids, self.project))

    def depends_on(self) -> tuple[str, ...]:
        return ("flavors",)

    def _flavors(self) -> list[Flavor]:
        return list(self.project.store.get("flavors").values()) if self.project else []

    def status(self, server: Server) -> Text:
        """Nova's status as a word of its own (cloud/state_words.py: SHELVED_OFFLOADED is "shelved")."""
        from ...cloud.state_words import status_word

        p = self.palette
        colour = (p.bad if server.status == "ERROR" else p.busy if server.in_transition
                  else p.ok if server.status == "ACTIVE" else p.dim)
        return Text(status_word(server.status), style=colour)

    def task(self, server: Server) -> Text:
        """The task Nova is running, as a word of its own (powering-on is "starting"); blank when none."""
        from ...cloud.state_words import task_word

        return Text(task_word(server.task_state), style=self.palette.busy if self.palette else "")

    @staticmethod
    def name(server: Server) -> str:
        return ("🔒" if server.locked else "") + server.name

    def flavor(self, server: Server) -> Text:
        from ...cloud.rules import flavor_family, server_flavor
        from ...cloud.units import gpu_fraction

        flavor = server_flavor(server, self._flavors())
        name = Text(flavor.name or server.flavor_name or "?")
        if flavor_family(flavor) == "gpu":
            share = gpu_fraction(flavor)
            badge = "GPU" if not share or share >= 1 else f"GPU{share:.0%}"
            name.append(f" {badge}", style=f"bold {self.palette.accent}")
        return name

    def su_per_hour(self, server: Server) -> float:
        from ...cloud.units import server_su_per_hour

        return server_su_per_hour(server, self._flavors())

    def cpu(self, server: Server) -> Text:
        """The newest CPU% from the instance's usage lines (ui/usage.py); a shelve candidate (idle a day) adds
        SHELVE and the SU/h shelving would save, in the warning colour."""
        usage = getattr(self.app, "usage", None)
        cpu, idle = usage.cpu(self.project, server) if usage is not None else (None, None)
        if cpu is None:
            return Text("")
        text = Text(f"{cpu}%")
        if idle is not None and idle.su_per_hour_saved > 0:
            text.append(f" SHELVE -{idle.su_per_hour_saved:g}SU/h", style=f"bold {self.palette.busy}"
                        if self.palette else "")
        return text

    def columns(self) -> list[Column]:
        return [
            Column("name", "NAME", 12, self.name, flex=True, sort=lambda s: s.name),
            Column("status", "STATUS", 10, self.status, sort=lambda s: f"{s.status} {s.task_state or ''}", priority=90),
            Column("task", "TASK", 10, self.task, sort=lambda s: s.task_state or "", priority=85),
            Column("flavor", "FLAVOR", 15, self.flavor, priority=60),
            Column("floating", "FLOATING IP", 15, lambda s: ", ".join(s.floating_ips) or "-", priority=70),
            Column("fixed", "FIXED IP", 12, lambda s: ", ".join(s.fixed_ips), wide_only=True, priority=40),
            Column("key", "KEY", 11, lambda s: s.key_name or "", wide_only=True, priority=20),
            Column("cpu", "CPU%", 16, self.cpu, wide_only=True, justify="right",
                   sort=lambda s: int(self.cpu(s).plain.split("%")[0] or -1), priority=45),
            Column("age", "AGE", 4, lambda s: age(s.created), sort=lambda s: s.created, justify="right", priority=50),
            Column("su", "SU/h", 5, lambda s: f"{self.su_per_hour(s):g}", justify="right", sort=self.su_per_hour,
                   priority=80),
        ]


class VolumesView(ResourceView):
    kind = "volumes"
    title = "Volumes"
    BINDINGS = [
        Binding("n", "volume('create')", "New", tooltip="create a volume"),
        Binding("a", "volume('attach')", "Attach", tooltip="to an instance"),
        Binding("x", "volume('detach')", "Detach", tooltip="from its instance (asks first)"),
        Binding("e", "volume('extend')", "Extend", tooltip="a bigger size"),
        Binding("ctrl+d", "volume('delete')", "Delete", show=False, tooltip="asks first, naming it"),
        Binding("s", "volume('snapshot')", "Snapshot", show=False,
                tooltip="take a snapshot of the volume (:snapshots)"),
    ]

    def action_volume(self, what: str) -> None:
        from ..intents import ResourceFlow  # the app starts what a view asks for (ui/intents.py)

        self.post_message(ResourceFlow(self.kind, what, self.table.current_id, self.project))

    def depends_on(self) -> tuple[str, ...]:
        return ("servers",)

    def attached(self, volume) -> str:
        servers = self.project.store.get("servers") if self.project else {}
        names = [getattr(servers.get(a.server_id), "name", a.server_id[:8]) + (f" {a.device}" if a.device else "")
                 for a in volume.attachments]
        return ", ".join(names) or "-"

    def columns(self) -> list[Column]:
        return [
            Column("name", "NAME", 16, lambda v: v.name or v.id[:8], flex=True),
            Column("size", "SIZE", 7, lambda v: f"{v.size_gb} GB", sort=lambda v: v.size_gb, justify="right"),
            Column("status", "STATUS", 10, lambda v: v.status),
            Column("attached", "ATTACHED TO", 24, self.attached, flex=True),
            Column("type", "TYPE", 12, lambda v: v.volume_type, wide_only=True),
            Column("age", "AGE", 4, lambda v: age(v.created_at), justify="right"),
        ]


class NetworksView(ResourceView):
    kind = "networks"
    title = "Networks"

    def depends_on(self) -> tuple[str, ...]:
        return ("subnets",)

    def cidrs(self, network) -> str:
        subnets = self.project.store.get("subnets") if self.project else {}
        return ", ".join(subnets[s].cidr for s in network.subnet_ids if s in subnets)

    def columns(self) -> list[Column]:
        return [
            Column("name", "NAME", 20, lambda n: n.name, flex=True),
            Column("external", "KIND", 9, lambda n: "external" if n.external else "shared" if n.shared else "private"),
            Column("subnets", "SUBNETS", 18, self.cidrs, flex=True),
            Column("status", "STATUS", 7, lambda n: n.status),
            Column("mtu", "MTU", 5, lambda n: str(n.mtu or ""), wide_only=True),
        ]


class FloatingIPsView(ResourceView):
    kind = "floating_ips"
    title = "Floating IPs"
    BINDINGS = [
        Binding("n", "floating_ip('allocate')", "Allocate", tooltip="a new floating IP"),
        Binding("a", "floating_ip('assign')", "Assign", tooltip="to an instance"),
        Binding("u", "floating_ip('unassign')", "Unassign", tooltip="from its instance"),
        Binding("ctrl+d", "floating_ip('release')", "Release", show=False, tooltip="back to the pool (asks first)"),
    ]

    def action_floating_ip(self, what: str) -> None:
        from ..intents import ResourceFlow  # the app starts what a view asks for (ui/intents.py)

        self.post_message(ResourceFlow(self.kind, what, self.table.current_id, self.project))

    def depends_on(self) -> tuple[str, ...]:
        return ("ports", "servers")

    def target(self, fip) -> str:
        if not fip.port_id or not self.project:
            return "-"
        port = self.project.store.get("ports").get(fip.port_id)
        server = self.project.store.get("servers").get(port.device_id) if port else None
        return f"{server.name} ({fip.fixed_address})" if server else (fip.fixed_address or fip.port_id[:8])

    def columns(self) -> list[Column]:
        return [
            Column("address", "ADDRESS", 15, lambda f: f.address),
            Column("target", "ASSIGNED TO", 24, self.target, flex=True),
            Column("status", "STATUS", 7, lambda f: f.status),
            Column("description", "DESCRIPTION", 20, lambda f: f.description, wide_only=True),
        ]


def rule_summary(rule) -> str:
    """"in tcp 22 from 0.0.0.0/0" in a line."""
    protocol = rule.protocol or "any"
    if rule.port_min is None:
        ports = ""
    elif rule.port_min == rule.port_max:
        ports = f" {rule.port_min}"
    else:
        ports = f" {rule.port_min}-{rule.port_max}"
    remote = rule.remote_cidr or (f"group {rule.remote_group_id[:8]}" if rule.remote_group_id else "anywhere")
    way = "from" if rule.direction == "ingress" else "to"
    return f"{'in' if rule.direction == 'ingress' else 'out'} {protocol}{ports} {way} {remote} ({rule.ethertype})"


class SecurityGroupsView(ResourceView):
    kind = "security_groups"
    title = "Security groups"
    BINDINGS = [
        Binding("n", "rule('add')", "Add rule", tooltip="to the group"),
        Binding("x", "rule('remove')", "Remove rule", tooltip="one of the group's (asks first)"),
        Binding("c", "group('create')", "New group", tooltip="an empty security group"),
        Binding("ctrl+d", "group('delete')", "Delete group", show=False, tooltip="asks first, naming it"),
    ]

    def action_rule(self, what: str) -> None:
        from ..intents import ResourceFlow  # the app starts what a view asks for (ui/intents.py)

        self.post_message(ResourceFlow(self.kind, f"{what}_rule", self.table.current_id, self.project))

    def action_group(self, what: str) -> None:
        from ..intents import ResourceFlow

        self.post_message(ResourceFlow(self.kind, f"{what}_group", self.table.current_id, self.project))

    def risky(self, group) -> Text:
        """How many of the group's rules open every port or a risky one to the Internet (net/risky.py)."""
        from ...net.risky import risk_of

        count = sum(1 for r in group.rules if risk_of(r) is not None)
        return Text(f"⚠{count} RISKY" if count else "", style=f"bold {self.palette.busy}" if self.palette else "")

    def ingress(self, group) -> Text:
        from ...net.risky import risk_of

        text = Text()
        for rule in (r for r in group.rules if r.direction == "ingress"):
            if text:
                text.append("; ")
            if risk_of(rule) is not None:
                text.append("⚠", style=f"bold {self.palette.busy}" if self.palette else "")
            text.append(rule_summary(rule)[3:])
        return text or Text("none")

    def columns(self) -> list[Column]:
        return [
            Column("name", "NAME", 14, lambda g: g.name),
            Column("ingress", "INGRESS", 30, self.ingress, flex=True),
            Column("risky", "RISK", 8, self.risky),
            Column("rules", "RULES", 5, lambda g: str(len(g.rules)), justify="right"),
            Column("description", "DESCRIPTION", 20, lambda g: g.description, wide_only=True),
        ]


class ImagesView(ResourceView):
    kind = "images"
    title = "Images"
    BINDINGS = [
        Binding("v", "flow('visibility')", "Visibility", tooltip="who sees it: private, shared, community"),
        Binding("r", "flow('rename')", "Rename", tooltip="the image (yours only)"),
        Binding("ctrl+d", "flow('delete')", "Delete", show=False, tooltip="asks first, naming it"),
    ]

    def columns(self) -> list[Column]:
        return [
            Column("name", "NAME", 22, lambda i: i.name, flex=True),
            Column("status", "STATUS", 8, lambda i: i.status),
            Column("kind", "KIND", 9, lambda i: "snapshot" if i.is_snapshot else i.visibility),  # "community"
            Column("os", "OS", 12, lambda i: " ".join(filter(None, (i.properties.get("os_distro"),
                                                                     i.properties.get("os_version"))))),
            Column("size", "SIZE", 8, lambda i: f"{(i.size or 0) / 1e9:.1f} GB" if i.size else "",
                   sort=lambda i: i.size or 0, justify="right", wide_only=True),
        ]


class KeypairsView(ResourceView):
    kind = "keypairs"
    title = "Key pairs"
    BINDINGS = [
        Binding("i", "flow('import')", "Import", tooltip="a public key: a file's path, or the key pasted"),
        Binding("n", "flow('create')", "New", tooltip="a new key pair: its private key saved to a file (mode 600)"),
        Binding("ctrl+d", "flow('delete')", "Delete", show=False, tooltip="asks first, naming it"),
    ]

    def columns(self) -> list[Column]:
        return [
            Column("name", "NAME", 20, lambda k: k.name),
            Column("type", "TYPE", 5, lambda k: k.type),
            Column("fingerprint", "FINGERPRINT", 47, lambda k: k.fingerprint, flex=True),
        ]


RESOURCE_VIEWS = (ServersView, VolumesView, NetworksView, FloatingIPsView, SecurityGroupsView, ImagesView,
                  KeypairsView)

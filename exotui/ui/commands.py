"""Command palette (ctrl+p): every command (views by name and alias, actions on the selection, launch, SSH, the
doctor, switch project, theme, search, service units) and, typed into it, the search across every open project."""

from __future__ import annotations

from functools import partial
from typing import Any, Callable, Iterator

from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.content import Content

from .plain import escape, middle
from .widgets.kind_views import KIND_VIEWS
from .widgets.views import ALIASES

TITLES = {"servers": "Instances", "volumes": "Volumes", "networks": "Networks", "floating_ips": "Floating IPs",
          "security_groups": "Security groups", "images": "Images", "keypairs": "Key pairs",
          "projects": "Projects", **{view.kind: view.title for view in KIND_VIEWS}}

Command = tuple[str, Callable[[], Any], str]  # (name, what it runs, help)


def selection_commands(app: Any) -> Iterator[Command]:
    """What the selection of the view on screen allows: the instances marked (or under the cursor) get every
    action of the menu their state allows (cloud/action_table's, refusals the cloud layer's), SSH and the doctor;
    another view's row gets that view's actions (action_table.RESOURCE_ACTIONS)."""
    from ..cloud.action_table import INSTANCE_COMMANDS, MENU, RESOURCE_ACTIONS
    from .widgets.table import ResourceTable

    project, view = app.project, app.current_view
    if project is None or not app.query(f"#table-{view}"):
        return
    table = app.query_one(f"#table-{view}", ResourceTable)
    if view == "servers":
        servers = [s for s in (project.store.item("servers", i) for i in table.marked_or_current()) if s is not None]
        if not servers:
            return
        named = middle(servers[0].name) if len(servers) == 1 else f"{len(servers)} marked instances"
        why_not = [project.actions.why_not_now(s) for s in servers]
        where = "on the marked instances" if table.marks else "on the instance under the cursor"
        for declared in MENU:
            if any(reasons.get(declared.name) is None for reasons in why_not) and not (
                    declared.dialog and len(servers) > 1):
                label = (declared.label or declared.name).rstrip("…")
                yield f"{label}: {named}", partial(_server_action, app, table, declared.name), where
        if len(servers) == 1:
            yield f"SSH: {named}", partial(_ssh, app, servers[0].id), "s"
            yield f"SSH doctor: {named}", partial(_doctor, app, servers[0].id), "why can't I connect?"
            yield f"Forward a port: {named}", partial(_forward, app, servers[0].id), "ssh -L to 127.0.0.1 here"
            for command in INSTANCE_COMMANDS if servers[0].status == "ACTIVE" else ():
                yield (f"{command.label.rstrip('…')}: {named}", partial(app.flows.server_action, [servers[0].id],
                       command.name, project), "over SSH, after showing the commands")
            yield f"Describe: {named}", partial(app.flows.open_detail, servers[0].id, project), "d"
        return
    current = table.current_id
    for resource in RESOURCE_ACTIONS:
        if resource.kind == view and (resource.makes or current):
            what = TITLES.get(view, view) if resource.makes else _row_name(project, view, current)
            yield f"{resource.label}: {what}", partial(_resource, app, view, resource.name, current), resource.key


def _row_name(project: Any, kind: str, ident: str | None) -> str:
    item = project.store.item(kind, ident or "")
    return middle(getattr(item, "name", "") or getattr(item, "address", "") or (ident or "")[:8]) if item else ""


def _server_action(app: Any, table: Any, action: str) -> None:
    ids = table.marked_or_current()
    table.marks.clear()  # as the menu does: a bulk action consumes the marks
    table.refresh()
    app.flows.server_action(ids, action, app.project)


def _ssh(app: Any, server_id: str) -> None:
    from .screens.sessions import open_session  # asyncssh loads on the first session, not at start-up

    open_session(app, app.project, server_id)


def _forward(app: Any, server_id: str) -> None:
    from .screens.sessions import forward_port  # asyncssh loads on the first session, not at start-up

    forward_port(app, app.project, server_id)


def _doctor(app: Any, server_id: str) -> None:
    from .screens.doctor import DoctorScreen

    app.push_screen(DoctorScreen(app.project, server_id))


def _resource(app: Any, kind: str, name: str, ident: str | None) -> None:
    from .intents import ResourceFlow

    app.post_message(ResourceFlow(kind, name, ident, app.project))


def _units(app: Any) -> None:
    from .screens.allocations import open_units

    open_units(app)


def _switch(app: Any, project: Any) -> None:
    app.select_project(project)
    app.show_view("servers")


class ViewCommands(Provider):
    """"Open view: Instances (:servers :vm ...)" for every view, the selection's actions, launch, switch
    project, theme, search, refresh/wide/help; and what the search index finds for the text typed."""

    def _commands(self) -> Iterator[Command]:
        app: Any = self.app  # the ExotuiApp (not imported: it imports this module)
        for view, title in TITLES.items():
            aliases = " ".join(f":{a}" for a in ALIASES[view][:4])
            yield f"Open view: {title}", partial(app.show_view, view), aliases
        yield "Open the network map", partial(app.open_network_screen, "map"), ":map"
        yield "Open who may connect (services by instance)", partial(app.open_network_screen, "matrix"), ":matrix"
        yield "Open object storage (containers)", partial(app.open_screen, "objects"), ":objects"
        yield "Open EC2 credentials (S3: rclone, aws) and app credentials", partial(app.open_screen, "ec2"), ":ec2"
        yield "Open stacks (Heat)", partial(app.open_screen, "stacks"), ":stacks"
        yield "Open shares (Manila: CephFS, NFS)", partial(app.open_screen, "shares"), ":shares"
        yield "Open clusters (Magnum: Kubernetes)", partial(app.open_screen, "clusters"), ":clusters"
        yield "Search every project (name, ID, IP, MAC, fingerprint)", app.open_search, ":search"
        if app.project is not None:
            yield from selection_commands(app)
            yield "Launch an instance", partial(app.flows.launch, app.project), "n in Instances"
            yield "Service units: balance, burn, runway, what if shelved", partial(_units, app), ":units"
        if app.workspace is not None:
            from ..cloud.models import printable  # the cloud layer loads after the first frame

            for project in app.workspace.projects:
                if project is not app.project:
                    yield (f"Switch project: {printable(project.label)}", partial(_switch, app, project),
                           "enter in :projects")
        yield "Change theme", app.search_themes, "the palette's theme picker"
        yield "Refresh now", app.action_refresh, "ctrl+r"
        yield "Toggle wide columns", app.action_wide, "w"
        yield "Keys and aliases", app.action_help, "?"

    async def discover(self) -> Hits:
        for name, run, help_text in self._commands():
            yield DiscoveryHit(Content(name), run, help=escape(help_text))

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for name, run, help_text in self._commands():
            score = max(matcher.match(name), matcher.match(help_text))
            if score > 0:
                yield Hit(score, matcher.highlight(escape(name)), run, help=escape(help_text))  # names are text
        workspace = getattr(self.app, "workspace", None)
        if workspace is None:
            return
        from .screens.search import KIND_WORDS

        many = len(workspace.projects) > 1
        for hit in workspace.search.search(query, 20):
            project = workspace.find(hit.project)
            if project is None:
                continue
            where = f" in {project.label}" if many else ""
            match = f" ({hit.field} {hit.value})" if hit.field != "name" else ""
            # an item whose name, address or ID is what was typed comes first; a prefix, then the rest, after it
            shown = Content(f"{KIND_WORDS.get(hit.kind, hit.kind)}: {middle(hit.label)}{match}")
            yield Hit(1.0 - hit.rank * 0.2, shown, partial(self._open, hit.kind, hit.item_id, project),
                      help=escape(f"open it{where}"))

    def _open(self, kind: str, item_id: str, project: Any) -> None:
        from .intents import ShowItem

        self.app.post_message(ShowItem(kind, item_id, project))

"""What a view's key asks for, posted upward as a message: the app, which holds the flows (ui/flows.py),
starts it. Views never reach the flows themselves, so neither imports the other."""

from __future__ import annotations

from typing import Any

from textual.message import Message

from .textual_compat import active_app  # the app whose key made this (Textual sets it for every handler)


class Asked(Message):
    """A key asked for something on `project` (None: the app's current one). One that opens a dialog
    (`opens_dialog`) holds the keys typed behind it from the moment it is made: they reached the app before this
    message does, and are the dialog's (ui/typeahead.py; the app lets them go if no flow starts)."""

    opens_dialog = False

    def __init__(self, project: Any = None) -> None:
        super().__init__()
        self.project = project
        if self.opens_dialog:
            typeahead = getattr(active_app.get(None), "typeahead", None)
            if typeahead is not None:
                typeahead.hold()


class OpenDetail(Asked):
    """Describe one instance (`d`, enter)."""

    def __init__(self, server_id: str, project: Any = None) -> None:
        super().__init__(project)
        self.server_id = server_id


class OpenItem(Asked):
    """Describe one item of any kind (`d`, enter; an instance opens its own detail)."""

    def __init__(self, kind: str, ident: str, project: Any = None) -> None:
        super().__init__(project)
        self.kind = kind
        self.ident = ident


class ShowYaml(OpenItem):
    """The cloud's own fields of one item, as YAML (`y`)."""


class ServerMenu(Asked):
    """The action menu for these instances (`a`)."""

    opens_dialog = True

    def __init__(self, ids: list[str], project: Any = None) -> None:
        super().__init__(project)
        self.ids = ids


class DeleteServers(Asked):
    """Delete these instances, after asking (`ctrl+d`)."""

    opens_dialog = True

    def __init__(self, ids: list[str], project: Any = None) -> None:
        super().__init__(project)
        self.ids = ids


class Launch(Asked):
    """The launch form (`n` in Instances)."""

    opens_dialog = True


class ResourceFlow(Asked):
    """An action of the Volumes, Floating IPs or Security groups view (action_table.RESOURCE_ACTIONS names
    each by `kind` and `name`) on the row under the cursor. The item is taken as the store holds it at the key
    press, not looked up again later: the poller may drop it before the flow's worker runs."""

    opens_dialog = True

    def __init__(self, kind: str, name: str, ident: str | None, project: Any = None) -> None:
        super().__init__(project)
        self.kind = kind
        self.name = name
        self.ident = ident
        self.item = project.store.item(kind, ident or "") if project is not None else None


class ShowItem(Asked):
    """Go to one item of any kind (a search result): its project current, its view with the cursor on it."""

    def __init__(self, kind: str, item_id: str, project: Any = None) -> None:
        super().__init__(project)
        self.kind = kind
        self.item_id = item_id

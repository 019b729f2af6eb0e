"""The `:search` screen: every open project's items by name, ID, IP address, MAC or fingerprint, as you type.

The answers are cloud/search.SearchIndex's (the workspace keeps one, following every project's store), about a
millisecond a key, so each key searches at once: nothing is held back. Enter opens the item (ui/goto.py)."""

from __future__ import annotations

import time
from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Footer, Input, OptionList, Static
from textual.widgets.option_list import Option

from ...cloud.models import printable
from ..tcss import beside
from ..widgets.choices import SearchList
from ..widgets.crumb import ScreenCrumb
from .base import AnswerOnce

KIND_WORDS = {"servers": "instance", "ports": "port", "floating_ips": "floating ip", "subnets": "subnet",
              "routers": "router", "keypairs": "key pair", "volumes": "volume", "volume_snapshots": "snapshot",
              "networks": "network", "images": "image", "security_groups": "sec group",
              "server_groups": "srv group", "flavors": "flavor", "stacks": "stack",
              "clusters": "cluster"}
LIMIT = 60  # results listed (a tall terminal's worth); the count says when there were more


def clip(text: str, width: int) -> str:
    return text.ljust(width) if len(text) <= width else text[:max(0, width - 1)] + "…"


def hit_line(hit: Any, width: int, many_projects: bool) -> str:
    """"instance  web-1            ip 10.0.0.5         demo/CIS240112" cut to `width` cells."""
    kind = clip(KIND_WORDS.get(hit.kind, hit.kind), 11)
    project = printable(hit.project.project_name or hit.project.project_id) if many_projects else ""
    rest = width - 12 - (len(project[:24]) + 1 if project else 0)
    label, match = hit.label, (f"{hit.field} {hit.value}" if hit.field != "name" else "")
    if hit.kind == "floating_ips" and hit.field == "floating ip":  # named by its address, not its ID
        label, match = hit.value, ""
    name_width = max(8, rest // 2) if match else rest
    line = f"{kind} {clip(label, name_width)}"
    if match:
        line += " " + clip(match, max(0, rest - name_width - 1))
    return line + (" " + project[:24] if project else "")


class SearchScreen(AnswerOnce, Screen[None]):
    """Pushed over the views; type to search, down/up to pick, enter to open, esc back."""

    CSS_PATH = beside(__file__, "search.tcss")
    BINDINGS = [Binding("escape", "close", "Back", tooltip="to the view below"),
                Binding("down", "pick(1)", "Next", show=False, tooltip="result (from the search line)"),
                Binding("up", "pick(-1)", "Previous", show=False, tooltip="result (from the search line)"),
                Binding("enter", "open", "Open", tooltip="the result: an instance described, any other item's view "
                        "with the cursor on it, in its project")]

    def __init__(self, workspace: Any, query: str = "") -> None:
        super().__init__()
        self.workspace = workspace
        self.query_text = query
        self.hits: list[Any] = []
        self.took = 0.0  # seconds the last search took

    def compose(self) -> ComposeResult:
        yield ScreenCrumb()  # which cloud and project, live or stale, as over the views
        yield Static("Search │ every open project │ name, ID, IP, MAC, fingerprint │ enter: open",
                     classes="search-bar", markup=False)
        yield Input(self.query_text, placeholder="name, ID, IP address, MAC or fingerprint", id="search-input")
        yield SearchList(id="search-results")
        yield Static(" ", id="search-status", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        self.when_composed("#search-input", lambda field: field.focus())
        self.when_composed("#search-results", lambda _list: self.search(self.query_text))

    @on(Input.Changed, "#search-input")
    def _typed(self, event: Input.Changed) -> None:
        self.search(event.value)

    def search(self, query: str) -> None:
        """Every key searches at once: the index answers in about a millisecond."""
        self.query_text = query
        listing = self.part("#search-results", SearchList)
        if listing is None:
            return
        started = time.perf_counter()
        self.hits = self.workspace.search.search(query, LIMIT) if self.workspace is not None else []
        self.took = time.perf_counter() - started
        width = max(20, (listing.size.width or self.size.width or 80) - 2)
        many = len(self.workspace.projects) > 1 if self.workspace is not None else False
        listing.clear_options()
        listing.add_options([Option(Content(hit_line(hit, width, many))) for hit in self.hits])
        listing.highlighted = 0 if self.hits else None
        if not query.strip():
            said = f"{len(self.workspace.search) if self.workspace else 0} items indexed: type to search"
        else:
            more = "+" if len(self.hits) >= LIMIT else ""
            said = f"{len(self.hits)}{more} found" if self.hits else "nothing found"
        status = self.part("#search-status", Static)
        if status is not None:
            status.update(said)

    def on_resize(self) -> None:
        self.search(self.query_text)

    def action_pick(self, step: int) -> None:
        listing = self.part("#search-results", SearchList)
        if listing is not None and self.hits:
            now = listing.highlighted if listing.highlighted is not None else -1
            listing.highlighted = max(0, min(len(self.hits) - 1, now + step))

    @on(Input.Submitted, "#search-input")
    @on(OptionList.OptionSelected, "#search-results")
    def _chosen(self, _event: Input.Submitted | OptionList.OptionSelected) -> None:
        self.action_open()

    @property
    def current(self) -> Any | None:
        listing = self.part("#search-results", SearchList)
        index = listing.highlighted if listing is not None else None
        return self.hits[index] if index is not None and index < len(self.hits) else None

    def action_open(self) -> None:
        hit = self.current
        if hit is None:
            return
        from ..intents import ShowItem

        project = self.workspace.find(hit.project)
        if project is None:
            self.notify("its project is closed", severity="warning")
            return
        self.dismiss(None)
        self.app.post_message(ShowItem(hit.kind, hit.item_id, project))

    def action_close(self) -> None:
        self.dismiss(None)

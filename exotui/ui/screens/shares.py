"""The `:shares` screen (Manila): each share with its size, protocol, type, status and export path, the project's
share quota in the title bar, and a share's detail: its export locations and access rules, a cephx rule's access
key shown only when asked (after a confirmation). Actions are action_table's SHARES ones, from their keys or
from `a` (a menu), started through the app's flows like the views' actions."""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.content import Content
from textual.widgets import DataTable, Footer, Static

from ...cloud.action_table import RESOURCE_ACTION, RESOURCE_ACTIONS
from ..dialogs import Choice, ChoiceDialog, ConfirmDialog
from ..intents import ResourceFlow
from ..plain import escape, middle
from ..workers import run_guarded
from .listing import ListingScreen

_ACTIONS = tuple(a for a in RESOURCE_ACTIONS if a.kind == "shares")
FOLLOW_EVERY = 3.0  # seconds between reads of an open share's detail (its rules change outside the store)


def _key(name: str, tooltip: str, *, show: bool = True) -> Binding:
    action = RESOURCE_ACTION["shares", name]
    return Binding(action.key, f"share('{name}')", action.label, show=show, tooltip=tooltip)


CREATE_KEY = _key("create", "a share: name, size, protocol (CEPHFS or NFS), type")
EXTEND_KEY = _key("extend", "the share to a larger size (Manila grows it in place)")
GRANT_KEY = _key("grant", "access to a cephx client name or an ip address")
REVOKE_KEY = _key("revoke", "one of its access rules (asks first)")
DELETE_KEY = _key("delete", "the share and its files (asks first)")
ACTIONS_KEY = Binding("a", "actions", "Actions", tooltip="what may be done to the share: a menu")


def status_style(status: str) -> str:
    if status.startswith("error") or status.endswith("_error"):
        return "$error"
    return "$success" if status in ("available", "active") else "$warning"


def _volume_path(path: str) -> str:
    """An export path for a column: its volume part (a CephFS path's monitors are the same for every share)."""
    mons, sep, volume = path.rpartition(":/")
    return f"/{volume}" if sep and "," in mons else path


class ShareWatching:
    """The project's poller lists shares as often as a shown view's kinds while a share screen is up."""

    project: Any

    def watch_shares(self) -> None:
        poller = self.project.poller
        poller.watch(poller.watched | {"shares"})
        poller.kick("shares")

    def unwatch_shares(self, app) -> None:
        restore = getattr(app, "_watch_current", None)
        if restore is not None and not any(isinstance(s, ShareWatching) and s is not self for s in app.screen_stack):
            restore()

    def share_menu(self, share_id: str | None, *, makes: bool = True) -> None:
        """`a`: the share's actions (or only New, with no share), each said with why not when it cannot be;
        `makes`: New too (the list's menu, not a share's detail)."""
        from ...cloud.shares import Share

        share = self.project.store.item("shares", share_id or "")
        actions = self.project.actions
        choices = []
        for declared in _ACTIONS:
            if (share is None and not declared.makes) or (declared.makes and not makes):
                continue
            reason = None
            if isinstance(share, Share) and not declared.makes:
                reason = {"extend": actions.why_not_extend_share, "delete": actions.why_not_delete_share,
                          "grant": actions.why_not_change_access, "revoke": actions.why_not_change_access,
                          }[declared.name](share)
            choices.append(Choice(declared.name, escape(f"{declared.label} ({declared.key})"), reason))
        title = f"Share {middle(share.name or share.id[:8])}" if share is not None else "Shares"
        app: Any = self

        def chosen(name: str | None) -> None:
            if name:
                app.post_message(ResourceFlow("shares", name, share_id, self.project))

        app.app.push_screen(ChoiceDialog(title, choices), chosen)


class SharesScreen(ShareWatching, ListingScreen):
    """Shares of the project, from the store (kind `shares`), redrawn when a poll changes them."""

    kind = "shares"
    columns = ("name", "size", "status", "proto", "export", "type")
    empty_hint = f"No shares here: {CREATE_KEY.key} creates one (CephFS on Jetstream2); esc goes back."
    BINDINGS = [
        Binding("escape", "close", "Back", tooltip="the screen before"),
        Binding("enter", "open", "Detail", tooltip="export locations and access rules"),
        ACTIONS_KEY, CREATE_KEY, EXTEND_KEY, GRANT_KEY, DELETE_KEY,
        Binding("ctrl+r", "reload", "Reload", show=False, tooltip="list again now"),
    ]

    _unsubscribe = None
    quota_line = ""

    def on_mount(self) -> None:
        super().on_mount()
        self._unsubscribe = self.project.store.subscribe(self._changed)
        self.watch_shares()
        self.when_composed("#listing", lambda _t: self.redraw())
        self._read_quota()

    def on_unmount(self) -> None:
        if self._unsubscribe:
            self._unsubscribe()
        self.unwatch_shares(self.app)

    def _read_quota(self) -> None:
        run_guarded(self, self._quota(), "reading the share quota", group="share-quota")

    async def _quota(self) -> None:
        from ...cloud.session import CloudError
        from ...cloud.shares import fetch_quota

        try:
            quota = await fetch_quota(self.project.session)
        except CloudError:
            return  # the quota is a nicety: the list says what is wrong with Manila
        self.quota_line = quota.line() if quota is not None else ""
        self.redraw()

    def _changed(self, change) -> None:
        if change.kind == "shares":
            self.call_later(self.redraw)
            if change.added or change.removed or change.updated:
                self._read_quota()

    def redraw(self) -> None:
        shares = sorted(self.project.store.get("shares").values(), key=lambda s: (s.name, s.id))
        self.set_bar(f"Shares │ {self.project.label}" + (f" │ {self.quota_line}" if self.quota_line else ""))
        self.fill((s.id, (middle(s.name or s.id[:8], 24), f"{s.size_gb} GB", s.status, s.proto,
                          middle(_volume_path(s.export_path), 40) or "–", middle(s.share_type, 18))) for s in shares)
        state = self.project.store.state("shares")
        if not state.loaded:
            self.set_status("loading shares…")
        elif state.last_error:
            self.set_status(f"⚠ {state.last_error}")
        else:
            self.set_status(f"{len(shares)} shares · enter: detail · a: actions" if shares else
                            "no shares in this project (or no Manila in this cloud)")
        self.say_empty(state.loaded and not state.last_error and not shares)

    def action_reload(self) -> None:
        self.project.poller.kick("shares")
        self._read_quota()

    def action_open(self) -> None:
        share = self.project.store.item("shares", self.current or "")
        if share is not None:
            self.app.push_screen(ShareDetail(self.project, share.id))

    def action_actions(self) -> None:
        self.share_menu(self.current)

    def action_share(self, what: str) -> None:
        if self.current or what == "create":
            self.post_message(ResourceFlow(self.kind, what, self.current, self.project))


class ShareDetail(ShareWatching, ListingScreen):
    """One share: its status, size, protocol, type and description, its export locations, and its access rules
    (a table), read at once when the store says the share changed, else one re-armed read every FOLLOW_EVERY
    seconds (reads never overlap; a slow Manila slows them)."""

    kind = "shares"
    columns = ("type", "access to", "level", "state", "key")
    BINDINGS = [
        Binding("escape", "close", "Back", tooltip="the shares"),
        ACTIONS_KEY, _key("extend", EXTEND_KEY.tooltip, show=False), GRANT_KEY, REVOKE_KEY,  # extend: in a's menu
        Binding("k", "key", "Key", tooltip="the cephx access key of the rule under the cursor (asks first)"),
        Binding("m", "mount", "Mount", tooltip="on an instance: the cephx rule (made if needed), its key written "
                "there mode 600 over SSH, and the mount command typed into an SSH tab for you to run"),
        DELETE_KEY,
        Binding("ctrl+r", "reload", "Reload", show=False, tooltip="read the share again now"),
    ]

    def __init__(self, project, share_id: str) -> None:
        super().__init__(project)
        self.share_id = share_id
        self.detail: Any = None
        self._unsubscribe = None
        self._following = True

    def compose(self) -> ComposeResult:
        from ..widgets.crumb import ScreenCrumb

        yield ScreenCrumb()
        yield Static("", classes="listing-bar", markup=False)
        yield Static(" ", id="share-summary")
        table: DataTable[Any] = DataTable(cursor_type="row", id="listing")
        table.add_columns(*self.columns)
        yield table
        yield Static("", id="listing-empty", markup=False)
        yield Static(" ", id="listing-status", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        self.when_composed("#listing", lambda table: table.focus())
        self.empty_hint = f"No access rules: {GRANT_KEY.key} grants a cephx name or an ip address."
        self._unsubscribe = self.project.store.subscribe(self._changed)
        self.watch_shares()
        self._follow()

    def on_unmount(self) -> None:
        self._following = False
        if self._unsubscribe:
            self._unsubscribe()
        self.unwatch_shares(self.app)

    def _follow(self) -> None:
        if self._following and self.is_attached:
            self.reload(then=lambda: self.set_timer(FOLLOW_EVERY, self._follow) if self._following else None)

    def _changed(self, change) -> None:
        if change.kind == "shares" and self.share_id in (change.added | change.updated | change.removed):
            self.call_later(self.reload)

    def reload(self, then=None) -> None:
        share = self.project.store.item("shares", self.share_id)
        if share is None:
            self.set_status("the share is gone")
            self._following = False
            return
        run_guarded(self, self._read(share, then), "reading the share", group="share-detail")

    async def _read(self, share, then=None) -> None:
        from ...cloud.session import CloudError
        from ...cloud.shares import fetch_detail

        try:
            self.detail = await fetch_detail(self.project.session, share)
        except CloudError as err:
            self.set_status("the share is gone" if err.status == 404 else f"cannot read the share: {err.message}")
        else:
            self._show()
        if then is not None:
            then()

    def _show(self) -> None:
        detail = self.detail
        share = detail.share
        self.set_bar(f"Share {middle(share.name or share.id[:8], 40)} │ {self.project.label}")
        lines = [Content.assemble((share.status, status_style(share.status)),
                                  f" · {share.size_gb} GB · {share.proto} · {share.share_type}"
                                  + (f" · rules {share.access_rules_status}" if share.access_rules_status else ""))]
        if share.description:
            lines.append(Content(middle(share.description, 76)))
        lines += [Content.assemble(("export ", "bold"), e.path) for e in detail.exports] or [
            Content("no export location yet")]
        summary = self.part("#share-summary", Static)
        if summary is not None:
            summary.update(Content("\n").join(lines))
        self.fill((r.id, (r.access_type, middle(r.access_to, 30), r.access_level, r.state,
                          "k: show" if r.has_key else "–")) for r in detail.rules)
        self.say_empty(not detail.rules)
        count = len(detail.rules)
        self.set_status(f"{count} access rule{'' if count == 1 else 's'} · a: actions · k: access key"
                        if count else "no access rules")

    def action_reload(self) -> None:
        self.project.poller.kick("shares")
        self.reload()

    def action_actions(self) -> None:
        self.share_menu(self.share_id, makes=False)

    def action_open(self) -> None:
        """enter on a rule: its key, as k (a rule has nothing else to open)."""
        self.action_key()

    def action_share(self, what: str) -> None:
        self.post_message(ResourceFlow(self.kind, what, self.share_id, self.project))

    def action_mount(self) -> None:
        share = self.project.store.item("shares", self.share_id)
        if share is not None:
            from ..share_mount import mount_share

            run_guarded(self.app, mount_share(self.app, self.project, share), "mounting the share", group="flows")

    def action_key(self) -> None:
        rule = next((r for r in self.detail.rules if r.id == self.current), None) if self.detail else None
        if rule is None or not rule.has_key:
            self.app.notify("no access key here: cephx rules get one once active", severity="warning", timeout=4)
            return
        run_guarded(self, self._show_key(rule), "showing the access key", group="share-key")

    async def _show_key(self, rule) -> None:
        from ...cloud.session import CloudError
        from ...cloud.shares import fetch_access_key
        from ..dialogs.text import TextDialog

        if not await self.app.push_screen_wait(ConfirmDialog(
                f"Show the access key of {middle(rule.access_to, 30)}?",
                f"Anyone holding it may mount the share {rule.access_level}. It is read now and not kept.",
                confirm="Show")):
            return
        try:
            key = await fetch_access_key(self.project.session, rule)
        except CloudError as err:
            self.app.notify(f"cannot read the access key: {err.message}", severity="error", markup=False)
            return
        if key is None:
            self.app.notify("Manila has no key for this rule yet", severity="warning", timeout=4)
            return
        await self.app.push_screen_wait(TextDialog(
            f"Access key of cephx {middle(rule.access_to, 30)}", key.secret,
            note="for a secret file (mode 600) or a keyring: never on a command line",
            file_hint=f"~/{rule.raw_to}.secret (a new file)"))

"""What the share keys start (action_table's SHARES actions): the dialogs of create, extend, grant and revoke
access and delete, then cloud/actions/shares.py through the app's Flows. Each takes the share as the store held
it at the key press; the cloud layer says why an action is not possible now, before any dialog."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Awaitable, Callable, Mapping

from ..cloud.action_table import RESOURCE_ACTION, ResourceAction
from .dialogs import Choice, ChoiceDialog, ConfirmDialog, PromptDialog
from .dialogs.form import Field, FormDialog, whole_number
from .plain import escape, middle

if TYPE_CHECKING:
    from ..cloud.shares import AccessRule, Share
    from .flows import Flows


def label(share: Share) -> str:
    return middle(share.name or share.id[:8])


def _refused(flows: Flows, share: Share, reason: str | None) -> bool:
    if reason:
        flows.app.notify(f"share {label(share)}: {reason}", severity="warning", markup=False)
    return reason is not None


async def create_share(flows: Flows, project, _: Any) -> None:
    from ..cloud.actions.shares import NAME_MAX
    from ..cloud.shares import PROTOCOLS, fetch_share_types

    try:
        types = await fetch_share_types(project.session)
    except Exception:  # noqa: BLE001 (the form still works with Manila's default type)
        types = []

    def check(values: dict[str, Any]) -> str | None:
        size = whole_number(values["size"] or "")
        if size is None or size < 1:
            return "the size is a whole number of GB, at least 1"
        if len(values["name"] or "") > NAME_MAX or len(values["description"] or "") > NAME_MAX:
            return f"a name and a description hold at most {NAME_MAX} characters"
        return None

    fields = [Field("name", "Name", placeholder="lab-data"), Field("size", "Size (GB)", value="10"),
              Field("proto", "Protocol", kind="select", value=PROTOCOLS[0], options=tuple((p, p) for p in PROTOCOLS)),
              Field("description", "Description", placeholder="optional")]
    if types:
        fields.insert(3, Field("type", "Share type", kind="select", value=types[0],
                               options=tuple((t, t) for t in types)))
    values = await flows.ask(FormDialog("Create a share", fields, validate=check, submit="Create"))
    if values is None:
        return
    name = values["name"] or ""
    await flows.run(project, f"create share {middle(name or '(no name)')}",
                    lambda: project.actions.create_share(name, whole_number(values["size"]) or 0, values["proto"],
                                                         share_type=values.get("type"),
                                                         description=values["description"] or None))


async def extend_share(flows: Flows, project, share: Share) -> None:
    if _refused(flows, share, project.actions.why_not_extend_share(share)):
        return

    def check(text: str) -> str | None:
        size = whole_number(text)
        if size is None or size <= share.size_gb:
            return f"give a whole number of GB above {share.size_gb} (shares grow here; Manila shrinks apart)"
        return None

    size = await flows.ask(PromptDialog(f"Extend share {label(share)} from {share.size_gb} GB to (GB)",
                                        value=str(share.size_gb * 2), restrict=r"\d*", validate=check))
    if size:
        await flows.run(project, f"extend share {label(share)}",
                        lambda: project.actions.extend_share(share.id, whole_number(size) or 0))


async def grant_access(flows: Flows, project, share: Share) -> None:
    from ..cloud.actions.shares import cephx_problem, ip_problem

    if _refused(flows, share, project.actions.why_not_change_access(share)):
        return

    def check(values: dict[str, Any]) -> str | None:
        to = (values["to"] or "").strip()
        return cephx_problem(to) if values["type"] == "cephx" else ip_problem(to)

    values = await flows.ask(FormDialog(
        f"Grant access to share {label(share)}",
        [Field("type", "Access type", kind="select", value="cephx",
               options=(("cephx (a Ceph client name: CephFS)", "cephx"), ("ip (an address or CIDR: NFS)", "ip"))),
         Field("to", "Access to", placeholder="a name like lab-user, or 10.0.0.0/24"),
         Field("level", "Access level", kind="select", value="rw",
               options=(("read-write", "rw"), ("read-only", "ro")))],
        validate=check, submit="Grant"))
    if values is None:
        return
    to = (values["to"] or "").strip()
    result = await flows.run(project, f"grant {values['type']} {middle(to)} on {label(share)}",
                             lambda: project.actions.grant_access(share.id, values["type"], to, values["level"]))
    if result is not None and result.ok and values["type"] == "cephx":
        flows.app.notify(f"{middle(to)}: its access key is in the share's detail (k shows it)", markup=False)


async def revoke_access(flows: Flows, project, share: Share, rule: AccessRule | None = None) -> None:
    from ..cloud.session import CloudError
    from ..cloud.shares import fetch_rules

    if _refused(flows, share, project.actions.why_not_change_access(share)):
        return
    if rule is None:
        try:
            rules = await fetch_rules(project.session, share.id)
        except CloudError as err:  # Manila down or refusing: one line, nothing asked, nothing sent
            flows.app.notify(f"cannot read the access rules of share {label(share)}: {err.message}",
                             severity="error", markup=False)
            return
        if not rules:
            flows.app.notify(f"share {label(share)} has no access rules", severity="warning", markup=False)
            return
        chosen = await flows.ask(ChoiceDialog(f"Revoke which access to share {label(share)}?", [
            Choice(r.id, escape(f"{r.access_type} {middle(r.access_to, 40)} ({r.access_level}, {r.state})"))
            for r in rules]))
        rule = next((r for r in rules if r.id == chosen), None)
        if rule is None:
            return
    chosen_rule = rule
    if await flows.ask(ConfirmDialog(
            f"Revoke {chosen_rule.access_type} {middle(chosen_rule.access_to)} on share {label(share)}?",
            "Clients mounting the share with it lose access at once.", confirm="Revoke")):
        await flows.run(project, f"revoke {chosen_rule.access_type} {middle(chosen_rule.access_to)}",
                        lambda: project.actions.revoke_access(chosen_rule))


async def delete_share(flows: Flows, project, share: Share) -> None:
    if _refused(flows, share, project.actions.why_not_delete_share(share)):
        return
    if await flows.ask(ConfirmDialog(f"Delete share {label(share)}?",
                                     f"Its {share.size_gb} GB and every file on it are gone for good, with its "
                                     "access rules.", confirm="Delete")):
        await flows.run(project, f"delete share {label(share)}", lambda: project.actions.delete_share(share.id))


Flow = Callable[["Flows", Any, Any], Awaitable[None]]
SHARE_FLOWS: Mapping[ResourceAction, Flow] = {
    RESOURCE_ACTION["shares", "create"]: create_share,
    RESOURCE_ACTION["shares", "extend"]: extend_share,
    RESOURCE_ACTION["shares", "grant"]: grant_access,
    RESOURCE_ACTION["shares", "revoke"]: revoke_access,
    RESOURCE_ACTION["shares", "delete"]: delete_share,
}

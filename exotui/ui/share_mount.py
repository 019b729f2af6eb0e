"""★ A CephFS share mounted on an instance, the user's hand on the last key: its cephx rule (made if the share has
none), the key written to ~/.ceph/NAME.secret on the instance over SSH (mode 600, on an exec channel's stdin,
never on a command line), and the mount command typed into a new SSH tab on the instance, not run."""

from __future__ import annotations

import asyncio
from typing import Any

from .dialogs import Choice, ChoiceDialog, ConfirmDialog
from .plain import escape, middle

CONNECT_WAIT = 90.0  # seconds for the SSH tab to open its shell (a shelved instance wakes first)


def _refusal(share) -> str | None:
    if share.proto.upper() != "CEPHFS":
        return f"share {middle(share.name)} is {share.proto}: exotui mounts CephFS shares (cephx) only"
    if share.status != "available":
        return f"share {middle(share.name)} is {share.status}: it mounts once available"
    if not share.export_path:
        return f"share {middle(share.name)} has no export location yet"
    return None


async def mount_share(app: Any, project, share) -> None:
    """Ask for the instance, confirm, then rule, secret, tab and the typed command; each step said in one line."""
    from ..cloud.session import CloudError
    from ..cloud.shares import cephx_name_for, fetch_access_key, mount_plan
    from ..ssh.sharemount import write_secret
    from .screens.sessions import sessions_screen

    if reason := _refusal(share):
        app.notify(reason, severity="warning", markup=False)
        return
    servers = sorted((s for s in project.store.get("servers").values() if s.status == "ACTIVE"),
                     key=lambda s: (not s.floating_ips, s.name))
    if not servers:
        app.notify("no ACTIVE instance in this project to mount the share on", severity="warning")
        return
    server_id = await app.push_screen_wait(ChoiceDialog(
        f"Mount share {middle(share.name)} on which instance?",
        [Choice(s.id, escape(f"{middle(s.name)}  {', '.join(s.floating_ips) or 'no floating IP'}")) for s in servers]))
    server = project.store.item("servers", server_id or "")
    if server is None:
        return
    name = cephx_name_for(share)
    if not await app.push_screen_wait(ConfirmDialog(
            f"Mount share {middle(share.name)} on {middle(server.name)}?",
            f"Uses the share's cephx rule (or grants a new one, {name}), writes its key to ~/.ceph on the instance "
            "(mode 600, over SSH, never on a command line) and types the mount command in a new SSH tab: enter "
            "runs it there.", confirm="Mount")):
        return
    result = await app.flows.run(project, f"cephx access to {middle(share.name)}",
                                 lambda: project.actions.mount_rule(share.id), quiet=True)
    if result is None or not result.ok:
        if result is not None:
            app.notify(result.message, severity="error", markup=False)
        return
    rule = result.value
    try:
        key = await fetch_access_key(project.session, rule)
    except CloudError as err:  # the rule stands (granted or found); the key is read again on the next try
        app.notify(f"not mounted: cannot read the key of {middle(rule.access_to)}: {err.message}", severity="error",
                   markup=False)
        return
    if key is None:
        app.notify(f"Manila has no key for {middle(rule.access_to)} yet: try again in a moment", severity="warning",
                   markup=False)
        return
    plan = mount_plan(share, rule, share.export_path)
    screen = sessions_screen(app)
    if app.screen is not screen:
        await app.push_screen(screen)  # composed before a tab is added to it
    session = await screen.add_session(project, server)
    connected = asyncio.ensure_future(session.connected.wait())
    ended = asyncio.ensure_future(session.ended.wait())
    await asyncio.wait({connected, ended}, timeout=CONNECT_WAIT, return_when=asyncio.FIRST_COMPLETED)
    connected.cancel()
    ended.cancel()
    if not session.connected.is_set() or session.ended.is_set() or session.connection is None:
        del key
        app.notify(f"not mounted: no SSH session to {middle(server.name)}", severity="error", markup=False)
        return
    ok, line = await write_secret(session.connection, plan.write_secret, key.secret)
    del key
    if not ok:
        session.notice(f"✗ the cephx secret was not written: {line}")
        app.notify(f"not mounted: the secret file was not written ({line})", severity="error", markup=False)
        return
    session.shell.write(plan.command.encode())  # typed, not run: the user reads it and presses enter
    session.notice(f"{plan.secret_file} written (mode 600) · the mount command is typed: enter runs it")

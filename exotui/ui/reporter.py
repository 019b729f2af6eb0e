"""The usage reporter's flow (action_table.INSTANCE_COMMANDS): on one ACTIVE instance exotui can reach, show the
commands that will run, and only with the user's yes run them over SSH (ssh/reporter.py) and say the outcome in
one line. An instance exotui cannot reach, or not ACTIVE, is refused in one line before anything is asked."""

from __future__ import annotations

from typing import Any

from ..cloud.action_table import INSTANCE_COMMAND
from ..cloud.actions import ActionRefused, InFlight
from ..cloud.models import Server
from ..cloud.usage_reporter import os_family
from ..ssh.reporter import INSTALL, apply, commands
from ..ssh.target import EXOSPHERE_USER, reach
from .dialogs.commands import CommandsDialog
from .plain import middle


async def usage_reporter(flows: Any, project: Any, server: Server, action: str) -> None:
    app = flows.app
    declared = INSTANCE_COMMAND[action]
    install = action == INSTALL
    what = f"{declared.verb} {server.name}"
    if flows.read_only(project, what):
        return
    image = project.store.item("images", server.image_id) if server.image_id else None
    profile = project.profile
    config = profile.cloud_region.config if profile.cloud_region else {}
    way = reach(server, image, config, profile.source, check_host_key=False)  # connect() checks the key
    if way.target is None:
        app.notify(f"{what}: {way.problem}", title="not sent", severity="warning")
        return
    if project.actions.busy(server.id, action):
        app.notify(f"{what}: already in progress", severity="warning")
        return
    target = way.target
    family = os_family(image.properties if image else None, image.name if image else "")
    text = commands(install, family)
    asked = declared.confirm
    if not await flows.ask(CommandsDialog(
            f"{asked.title} on {middle(server.name)}?",
            f"{server.name} {asked.happens} These commands run over SSH as {target.label} ({target.host}), "
            "sudo without a password:", text, confirm=asked.button)):
        return
    app.notify(f"{what}: running over SSH as {target.label}…", timeout=4)
    console = password = None
    try:
        got = await project.actions.console_log(server.id)  # the host key's fingerprints, as `s` reads them
        console = got.value if got.ok else None
    except Exception:  # refused or the cloud failed: a pinned key still serves
        console = None
    if target.user == EXOSPHERE_USER:
        try:
            password = await project.actions.server_password(server.id)
        except Exception:  # a convenience: without it the keys still work
            password = None
    try:
        result = await apply(project.actions, server.name, target, console, install=install,
                             os_family=family, password=password)
    except InFlight:
        app.notify(f"{what}: already in progress", severity="warning")
        return
    except ActionRefused as err:
        app.notify(f"{what}: {err.reason}", title="not sent", severity="warning")
        return
    finally:
        del password
    app.notify(result.message, severity="information" if result.ok else "error", timeout=8 if result.ok else 12)
    if result.ok and getattr(app, "usage", None) is not None and app.usage.project is project:
        await app.usage.poll([server])  # the first line is there already: the graphs start now

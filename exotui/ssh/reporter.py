"""Installing or removing the one-minute usage reporter (cloud/usage_reporter.py) on an instance over SSH.

The commands run as one non-interactive command (an exec channel: no terminal, so a sudo that would ask for a
password fails with its reason instead of waiting); the result is one line made printable, whatever the instance
answered. The connection is exotui's own (ssh/client.connect: pinned host keys, the console log's fingerprints),
made for this and closed after. The cloud layer's in-flight guard (`Actions._claim`) keeps a second press from
running it twice on the same instance.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..cloud.models import printable
from ..cloud.usage_reporter import install_script, outcome, uninstall_script
from .client import SSHError, connect
from .exec import run_once
from .target import Target

if TYPE_CHECKING:
    from ..cloud.actions import Actions
    from .hostkeys import KnownHosts

TIMEOUT = 120.0  # the install runs the reporter once (a second of CPU sampling); a slow instance gets time
INSTALL, REMOVE = "install_usage_reporter", "remove_usage_reporter"  # action_table.INSTANCE_COMMANDS' names


@dataclass(frozen=True)
class ReporterResult:
    ok: bool
    message: str  # one line, printable: "web-1: usage reporter installed: ..." or "...: failed: reason"


def commands(install: bool, os_family: str) -> str:
    """Exactly what runs on the instance (the consent dialog shows this text)."""
    return install_script(os_family) if install else uninstall_script()


async def apply(actions: Actions, name: str, target: Target, console: str | None, *, install: bool,
                os_family: str, password: str | None = None, store: KnownHosts | None = None) -> ReporterResult:
    """Connect to `target` and run the install (or removal); refused with InFlight while one runs there."""
    verb = "install" if install else "remove"
    action = INSTALL if install else REMOVE
    with actions._claim(target.server_id, action, f"{verb} the usage reporter on {name}"):
        try:
            connection = await connect(target, console, store=store, password=password)
        except SSHError as err:
            return ReporterResult(False, f"{name}: could not {verb} the usage reporter: {printable(str(err))}")
        try:
            ok, said = await _run(connection, commands(install, os_family))
        finally:
            await connection.close()
    if ok:
        return ReporterResult(True, f"{name}: {said}")
    return ReporterResult(False, f"{name}: could not {verb} the usage reporter: {printable(said[:300])}")


async def _run(connection, script: str) -> tuple[bool, str]:
    ran = await run_once(connection, script, TIMEOUT)
    if isinstance(ran, str):
        return False, ran
    return outcome(ran.exit_status, ran.stdout, ran.stderr)

"""A cephx secret written on an instance over SSH for a CephFS mount: one exec command on the session's
connection, the secret on its standard input (never on a command line, so never in `ps` or a shell history),
the file created under umask 077 (mode 600) and moved into place whole."""

from __future__ import annotations

from ..cloud.models import printable
from .exec import run_once

TIMEOUT = 30.0


async def write_secret(connection, script: str, secret: str) -> tuple[bool, str]:
    """Run `script` (cloud/shares.MountPlan.write_secret) with `secret` on its stdin; (ok, one line)."""
    ran = await run_once(connection, script, TIMEOUT, stdin=secret + "\n")
    if isinstance(ran, str):
        return False, ran
    if ran.exit_status == 0 and ran.stdout.strip().endswith("written"):
        return True, "secret file written (mode 600)"
    last = (ran.stderr.strip() or ran.stdout.strip()).splitlines()[-1:] or [f"exit {ran.exit_status}"]
    return False, printable(last[0])[:200]

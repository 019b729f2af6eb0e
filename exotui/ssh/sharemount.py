"""A cephx secret written on an instance over SSH for a CephFS mount: one exec command on the session's
connection, the secret on its standard input (never on a command line, so never in `ps` or a shell history),
the file created under umask 077 (mode 600) and moved into place whole."""

from __future__ import annotations

import asyncio

TIMEOUT = 30.0


async def write_secret(connection, script: str, secret: str) -> tuple[bool, str]:
    """Run `script` (cloud/shares.MountPlan.write_secret) with `secret` on its stdin; (ok, one line)."""
    try:
        result = await asyncio.wait_for(connection.conn.run(script, input=secret + "\n", check=False,
                                                            encoding="utf-8", errors="replace"), TIMEOUT)
    except asyncio.TimeoutError:
        return False, f"no answer in {TIMEOUT:.0f} s"
    except Exception as err:  # asyncssh.Error (channel refused), OSError, the connection closing
        return False, f"{type(err).__name__}: {err}"
    stdout = result.stdout if isinstance(result.stdout, str) else ""
    stderr = result.stderr if isinstance(result.stderr, str) else ""
    if result.exit_status == 0 and stdout.strip().endswith("written"):
        return True, "secret file written (mode 600)"
    last = (stderr.strip() or stdout.strip()).splitlines()[-1:] or [f"exit {result.exit_status}"]
    from ..cloud.models import printable

    return False, printable(last[0])[:200]

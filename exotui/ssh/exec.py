"""One non-interactive command on a connection's exec channel (no terminal): its exit status and text, or one
line saying why there is none. What the usage reporter and a share's secret file are written with."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass


@dataclass(frozen=True)
class Ran:
    exit_status: int | None
    stdout: str
    stderr: str


async def run_once(connection, script: str, timeout: float, stdin: str | None = None) -> Ran | str:
    """`script` run once on `connection` (ssh/client.Connection), `stdin` on its standard input (a secret goes
    there, never on the command line); a string says why it did not run or answer in `timeout` seconds."""
    try:
        result = await asyncio.wait_for(connection.conn.run(script, input=stdin, check=False, encoding="utf-8",
                                                            errors="replace"), timeout)
    except asyncio.TimeoutError:
        return f"no answer in {timeout:.0f} s"
    except Exception as err:  # asyncssh.Error (channel refused), OSError, the connection closing
        return f"{type(err).__name__}: {err}"
    return Ran(result.exit_status, result.stdout if isinstance(result.stdout, str) else "",
               result.stderr if isinstance(result.stderr, str) else "")

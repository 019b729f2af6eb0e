"""One handler for every background worker's failure: one line on screen, the traceback in the log.

Textual keeps a worker's exception to itself when it runs with exit_on_error=False (the app must not stop
for one SSH session or one console read), so without this a failure opening the workspace or applying
the doctor's fix left the user with nothing at all.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable
from typing import Any

log = logging.getLogger("exotui.ui")


def run_guarded(node: Any, work: Awaitable[Any], what: str, **options: Any):
    """`node.run_worker(work)`, with a failure reported by `report_failure` instead of lost."""

    async def guarded() -> Any:
        try:
            return await work
        except asyncio.CancelledError:
            raise
        except Exception as err:  # noqa: BLE001 (any bug of a worker's own: said, never a traceback over the UI)
            report_failure(node, what, err)
            return None

    options.setdefault("name", what)
    return node.run_worker(guarded(), exit_on_error=False, **options)


def report_failure(node: Any, what: str, err: BaseException) -> None:
    log.error("%s failed", what, exc_info=(type(err), err, err.__traceback__))
    line = next((part for part in str(err).splitlines() if part.strip()), "") or type(err).__name__
    try:
        app = node.app
    except Exception:  # noqa: BLE001 (the app is gone: the log has it)
        return
    if app.is_running:
        app.notify(f"{what}: {line}", title="something went wrong", severity="error", timeout=10)

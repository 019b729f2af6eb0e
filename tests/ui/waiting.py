"""Waiting for the screen in Pilot tests (imported by the tests beside it and their conftest)."""

from __future__ import annotations

from typing import Callable


async def until(pilot, condition: Callable[[], object], timeout: float = 15.0, what: str = "") -> None:
    for _ in range(int(timeout / 0.05)):
        if condition():
            return
        await pilot.pause(0.05)
    raise AssertionError(f"timed out waiting for {what or 'the screen'}")

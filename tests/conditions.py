"""Waiting on conditions in tests, never on fixed pauses: the one polling step of the suite's waits lives here
(tests/ui/waiting.py has the Pilot's own, which also lets the app's messages run)."""

from __future__ import annotations

import asyncio
import time
from typing import Callable

STEP = 0.02  # how often a condition is looked at again


def wait_until(predicate: Callable[[], object], timeout: float = 30.0, interval: float = 0.2):
    """The first true value of `predicate()`, or its last value after `timeout` (the caller asserts)."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(interval)


async def seconds_until(condition: Callable[[], object], timeout: float = 30.0) -> float:
    """How long `condition()` took to hold (inf if it did not within `timeout`): for tests that measure."""
    started = time.monotonic()
    while not condition():
        if time.monotonic() - started > timeout:
            return float("inf")
        await asyncio.sleep(STEP)
    return time.monotonic() - started


async def until(condition: Callable[[], object], timeout: float = 10.0, what: str = "") -> None:
    """Wait for `condition()` to hold; fails naming `what` after `timeout` seconds."""
    if await seconds_until(condition, timeout) == float("inf"):
        raise AssertionError(f"timed out waiting for {what or 'the condition'}")


def run_loop_until(loop: asyncio.AbstractEventLoop, condition: Callable[[], object], timeout: float = 10.0,
                   what: str = "") -> None:
    """Run a loop of the test's own (a demo world's timers) until `condition()` holds."""
    loop.run_until_complete(until(condition, timeout, what))

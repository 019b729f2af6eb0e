"""Python's cyclic collector kept off the idle path: what outlived a full collection is frozen.

With 1,000 instances loaded the process holds about 170,000 container objects that live as long as the
app (the store's models, the table's cells, Textual's widgets and CSS). Each full collection walks every
one of them, 90-150 ms of CPU, and the garbage of idle polling set one off about once a minute: half of
the idle cost (bench/idle.py). An object that outlived a full collection is long-lived, so after each one
`gc.freeze()` moves the survivors out of the collector's sight and the next full collection walks only
what came after. Refcounting still frees frozen objects; only cyclic garbage among them waits, so once an
hour (`SWEEP`) everything is thawed and collected once (a closed screen's widgets are reclaimed then).
"""

from __future__ import annotations

import asyncio
import gc
import time
from typing import Any, Callable

SWEEP = 3600.0  # seconds between two thaw-and-collect rounds


class Collector:
    """Installed with `start()` on the app's loop, removed with `stop()` (which thaws what it froze)."""

    def __init__(self, loop: asyncio.AbstractEventLoop, sweep: float = SWEEP,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._loop = loop
        self._sweep = sweep
        self._clock = clock
        self._sweep_due = clock() + sweep
        self._sweeping = False
        self.freezes = 0  # full collections whose survivors were frozen
        self.sweeps = 0

    def start(self) -> None:
        if self._after_collection not in gc.callbacks:
            gc.callbacks.append(self._after_collection)

    def stop(self) -> None:
        if self._after_collection in gc.callbacks:
            gc.callbacks.remove(self._after_collection)
        gc.unfreeze()  # back to the oldest generation: a process that goes on (tests) collects them again

    def _after_collection(self, phase: str, info: dict[str, Any]) -> None:
        # on whichever thread allocated (a cloud thread too), inside the collector: only hand it to the loop
        if phase == "stop" and info.get("generation") == 2 and not self._sweeping:
            try:
                self._loop.call_soon_threadsafe(self._freeze)
            except RuntimeError:  # the loop is closed: the app is gone
                pass

    def _freeze(self) -> None:
        if self._after_collection not in gc.callbacks:  # stopped meanwhile
            return
        if self._clock() >= self._sweep_due:
            self.sweep()
            return
        gc.freeze()
        self.freezes += 1

    def sweep(self) -> None:
        """Thaw everything, collect it once, freeze the survivors again."""
        self._sweeping = True
        try:
            gc.unfreeze()
            gc.collect()
            gc.freeze()
        finally:
            self._sweeping = False
        self.sweeps += 1
        self._sweep_due = self._clock() + self._sweep

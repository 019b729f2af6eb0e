"""ui/collector.py: what outlived a full collection is frozen (later full collections walk only what came
after), an hourly sweep still reclaims cyclic garbage among the frozen, and stopping thaws everything."""

from __future__ import annotations

import asyncio
import gc
import weakref

from exotui.ui.collector import Collector


class Node:
    def __init__(self) -> None:
        self.me = self  # a cycle: only the cyclic collector frees it


async def _settle() -> None:
    """Until the loop has run what the collection queued: callbacks run in order, so once a marker queued
    after them the same way has run, so have they."""
    ran = asyncio.Event()
    asyncio.get_running_loop().call_soon_threadsafe(ran.set)
    await ran.wait()


async def test_survivors_of_a_full_collection_are_frozen_and_a_sweep_reclaims_frozen_cycles():
    now = [0.0]
    collector = Collector(asyncio.get_running_loop(), sweep=3600.0, clock=lambda: now[0])
    collector.start()
    try:
        node = Node()
        gone = weakref.ref(node)
        gc.collect()  # a full collection: its survivors are long-lived
        await _settle()
        assert collector.freezes == 1 and gc.get_freeze_count() > 0
        del node
        gc.collect()  # frozen: a full collection no longer looks at it, so its cycle stays
        await _settle()
        assert gone() is not None
        now[0] = 3601.0  # an hour on: the next full collection's freeze is a sweep
        gc.collect()
        await _settle()
        assert collector.sweeps == 1
        assert gone() is None, "the sweep thaws and collects the frozen cycles"
    finally:
        collector.stop()
    assert gc.get_freeze_count() == 0
    assert collector._after_collection not in gc.callbacks


async def test_a_stopped_collector_freezes_nothing():
    collector = Collector(asyncio.get_running_loop())
    collector.start()
    collector.stop()
    gc.collect()
    await _settle()
    assert collector.freezes == 0 and gc.get_freeze_count() == 0

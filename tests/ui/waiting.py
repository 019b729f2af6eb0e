"""Waiting for the screen in Pilot tests (imported by the tests beside it and their conftest)."""

from __future__ import annotations

from typing import Callable


async def until(pilot, condition: Callable[[], object], timeout: float = 15.0, what: str = "") -> None:
    for _ in range(int(timeout / 0.05)):
        if condition():
            return
        await pilot.pause(0.05)
    raise AssertionError(f"timed out waiting for {what or 'the screen'}")


async def settled_screenshot(pilot, app, ready: Callable[[], object] = lambda: True, timeout: float = 15.0,
                             what: str = "") -> str:
    """The screen as exported once `ready()` holds and two frames in a row are the same: a condition to
    wait on instead of a fixed pause, which can catch a screen that has not drawn yet."""
    last = None
    for _ in range(int(timeout / 0.05)):
        await pilot.pause()  # the messages already queued, handled
        if ready():
            svg = app.export_screenshot(title="exotui")
            if svg == last:
                return svg
            last = svg
        else:
            last = None
        await pilot.pause(0.05)  # the polling step, as until's
    raise AssertionError(f"timed out waiting for {what or 'the screen'} to settle")


def highlighted_command(screen) -> str:
    """The command a palette would run on enter ("" while it has none): its results arrive a few at a time."""
    lists = screen.query("CommandList")
    if not lists:
        return ""
    options = lists.first()
    index = options.highlighted
    return "" if index is None else str(options.get_option_at_index(index).prompt)


async def down_to_an_instance(pilot, map_screen, most: int = 40) -> None:
    """Move the network map's cursor down to the first instance (the SSH doctor works on one)."""
    for _ in range(most):
        topo = map_screen.topo
        node = topo.nodes.get(map_screen.current or "") if topo else None
        if node is not None and node.kind == "instance":
            return
        await pilot.press("down")
    raise AssertionError("no instance on the map")

"""Mouse reports go to the remote program when it asks for them (DECSET 1000/1002/1003, SGR 1006), and only
then: a real ncurses program over a real sshd reads the clicks and the wheel the widget sends, on both cores;
the encoding is xterm's."""

from __future__ import annotations

import asyncio
import sys
import textwrap

import pytest
from conditions import until as until_true
from textual import events
from textual.app import App, ComposeResult

from exotui.ssh import mouse
from exotui.ssh.terminal import PyteEmulator
from exotui.ui.widgets.terminal import TerminalView

SGR, X11 = mouse.Tracking(1000, True), mouse.Tracking(1000, False)


def test_reports_are_xterm_s():
    assert mouse.report(SGR, "press", 1, 9, 4) == b"\x1b[<0;10;5M"
    assert mouse.report(SGR, "release", 3, 9, 4) == b"\x1b[<2;10;5m"
    assert mouse.report(SGR, "wheel", mouse.WHEEL["down"], 0, 0, ctrl=True) == b"\x1b[<81;1;1M"
    assert mouse.report(X11, "press", 2, 0, 0, shift=True) == b"\x1b[M%c!!" % (32 + 1 + 4)
    assert mouse.report(X11, "release", 1, 1, 2) == b"\x1b[M#\"#"  # the legacy release names no button
    assert mouse.report(X11, "press", 1, 300, 0) is None  # past column 223: the legacy encoding cannot say
    assert mouse.report(mouse.Tracking(1000, True), "press", 1, 300, 0) == b"\x1b[<0;301;1M"
    # motion: 1000 none, 1002 while a button is held, 1003 always; X10 (9) presses only, no modifiers
    assert mouse.report(SGR, "motion", 0, 5, 5, held=1) is None
    assert mouse.report(mouse.Tracking(1002, True), "motion", 0, 5, 5, held=None) is None
    assert mouse.report(mouse.Tracking(1002, True), "motion", 0, 5, 5, held=1) == b"\x1b[<32;6;6M"
    assert mouse.report(mouse.Tracking(1003, True), "motion", 0, 5, 5) == b"\x1b[<35;6;6M"
    assert mouse.report(mouse.Tracking(9, False), "press", 1, 0, 0, ctrl=True) == b"\x1b[M !!"
    assert mouse.report(mouse.Tracking(9, False), "release", 1, 0, 0) is None
    assert mouse.report(None, "press", 1, 0, 0) is None


@pytest.mark.parametrize("engine", ["default", "pyte"])
def test_each_core_tells_which_reports_were_asked_for(engine):
    from exotui.ssh import vt

    if engine == "default" and vt.UNAVAILABLE:
        pytest.skip(f"libghostty-vt unavailable: {vt.UNAVAILABLE}")
    emulator = vt.Emulator(80, 24) if engine == "default" else PyteEmulator(80, 24)
    assert emulator.mouse_tracking is None
    emulator.feed(b"\x1b[?1000h")
    assert emulator.mouse_tracking == (1000, False)
    emulator.feed(b"\x1b[?1006;1002h")
    assert emulator.mouse_tracking == (1002, True)
    emulator.feed(b"\x1b[?1002l\x1b[?1000l")
    assert emulator.mouse_tracking is None


PROBE = textwrap.dedent("""
    import curses

    def main(window):
        curses.mousemask(curses.ALL_MOUSE_EVENTS)
        window.addstr(0, 0, "mouse-ready")
        window.refresh()
        seen = []
        names = [(curses.BUTTON1_CLICKED, "click"), (curses.BUTTON1_PRESSED, "press"),
                 (curses.BUTTON1_RELEASED, "release"), (curses.BUTTON4_PRESSED, "wheel-up"),
                 (curses.BUTTON3_PRESSED | curses.BUTTON3_CLICKED | curses.BUTTON3_RELEASED, "right")]
        while not seen or not seen[-1].startswith("right"):  # until the right button
            if window.getch() == curses.KEY_MOUSE:
                _, x, y, _, state = curses.getmouse()
                seen.append("%s@%d,%d" % (next((n for b, n in names if state & b), hex(state)), x, y))
                window.addstr(1, 0, " ".join(seen))
                window.refresh()
        return seen

    print("RESULT", *curses.wrapper(main))
""")


class Term(App):
    def compose(self) -> ComposeResult:
        yield TerminalView()


@pytest.mark.parametrize("engine", ["ghostty", "pyte"])
async def test_an_ncurses_program_gets_the_clicks_and_the_wheel(openssh, pump, use_engine, terminal_on, tmp_path,
                                                                engine):
    use_engine(engine)
    (tmp_path / "probe.py").write_text(PROBE)
    async with terminal_on(openssh, Term(), (80, 24), f"{sys.executable} {tmp_path / 'probe.py'}") as (
            pilot, term, shell):
        pumping = pump(shell, term)

        async def until(text: str) -> None:
            await until_true(lambda: any(text in row for row in term.screen_text()), timeout=10,
                             what=f"{text!r} on screen")

        await until("mouse-ready")
        assert term.emulator.mouse_tracking is not None, "ncurses asked for mouse reports"
        await pilot.click(TerminalView, offset=(10, 5))  # a press and a release: ncurses says a click
        await until("click@10,5")
        term.post_message(events.MouseScrollUp(term, 3, 4, 0, -1, 0, False, False, False))
        await pilot.click(TerminalView, offset=(20, 7), button=3)
        await until("RESULT")
        result = next(row for row in term.screen_text() if row.startswith("RESULT")).split()[1:]
        assert result == ["click@10,5", "wheel-up@3,4", "right@20,7"], result
        assert term.scroll_back == 0, "the wheel went to the program, not to the scrollback"
        await asyncio.wait_for(pumping, 10)

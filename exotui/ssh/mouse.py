"""Mouse reports for the remote program, when it asked for them (DECSET 9, 1000, 1002, 1003; SGR
encoding 1006), as xterm writes them. Pure: the widget says what happened, this says which bytes.

Modes: 9 (X10) reports presses only; 1000 presses and releases (the wheel as presses of buttons 4/5);
1002 adds motion while a button is held; 1003 any motion. Without 1006 a report is `CSI M` and three
bytes (button and 1-based column and row, each plus 32), so a column or row past 223 cannot be told
and nothing is sent; with 1006 it is `CSI < button ; column ; row M` (or `m` for a release).
(libghostty-vt has an encoder too, but pyghostty 0.1 does not expose it, and the pyte core needs one.)
"""

from __future__ import annotations

from typing import NamedTuple

BUTTONS = {1: 0, 2: 1, 3: 2}  # Textual's left, middle, right -> the report's button number
WHEEL = {"up": 64, "down": 65}


class Tracking(NamedTuple):
    """What the remote asked for: the mode (9, 1000, 1002 or 1003) and whether reports use SGR (1006)."""

    mode: int
    sgr: bool


def report(tracking: Tracking | None, action: str, button: int, x: int, y: int, *, shift: bool = False,
           meta: bool = False, ctrl: bool = False, held: int | None = None) -> bytes | None:
    """The bytes for one mouse event at cell (x, y) (0-based), or None when the mode does not report it.

    action: "press", "release", "motion" or "wheel" (then `button` is "up"/"down" in WHEEL, given as
    64/65); button: Textual's 1-3 for press and release; held: the button held during a motion (None)."""
    if tracking is None or x < 0 or y < 0:
        return None
    mode, sgr = tracking
    if action == "wheel":
        if mode == 9:
            return None
        code = button
    elif action == "press":
        if button not in BUTTONS:
            return None
        code = BUTTONS[button]
    elif action == "release":
        if mode == 9 or button not in BUTTONS:
            return None
        code = BUTTONS[button] if sgr else 3  # the legacy encoding cannot say which button was let go
    elif action == "motion":
        if mode == 1003 or (mode == 1002 and held in BUTTONS):
            code = 32 + (BUTTONS[held] if held in BUTTONS else 3)
        else:
            return None
    else:
        return None
    if mode != 9:
        code += (4 if shift else 0) + (8 if meta else 0) + (16 if ctrl else 0)
    if sgr:
        return b"\x1b[<%d;%d;%d%s" % (code, x + 1, y + 1, b"m" if action == "release" else b"M")
    if x + 1 + 32 > 255 or y + 1 + 32 > 255:
        return None
    return b"\x1b[M" + bytes([code + 32, x + 1 + 32, y + 1 + 32])

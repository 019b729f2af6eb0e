"""The libghostty-vt adapter (exotui/ssh/vt.py) fills the emulator interface: styled runs with 16,
256 and 24-bit colour, wide characters, the alternate screen and its modes, scrollback, query replies,
dirty rows only where something changed, and titles kept inside (nothing of an OSC reaches the screen)."""

from __future__ import annotations

import pytest

from exotui.ssh import vt

pytestmark = pytest.mark.skipif(vt.UNAVAILABLE is not None, reason=f"libghostty-vt: {vt.UNAVAILABLE}")


def test_colours_and_attributes_as_runs():
    e = vt.GhosttyEmulator(30, 3)
    e.feed(b"\x1b[1;31mA\x1b[0;38;5;200mB\x1b[38;2;1;2;3;48;5;4mC\x1b[0;3;4;7;9mD\x1b[m")
    runs = e.runs(0)
    assert [text for text, _ in runs][:4] == ["A", "B", "C", "D"]
    a, b, c, d = (style for _, style in runs[:4])
    assert (a.fg, a.bold) == ("red", True)
    assert b.fg == "color(200)" and not b.bold
    assert (c.fg, c.bg) == ("#010203", "blue")
    assert (d.italic, d.underline, d.reverse, d.strike) == (True, True, True, True)
    assert sum(len(text) for text, _ in runs) == 30


def test_wide_characters_take_two_cells():
    e = vt.GhosttyEmulator(10, 2)
    e.feed("日本x".encode())
    assert e.display()[0] == "日本x     "  # 5 cells of text, 5 blank
    assert e.cursor[:2] == (5, 0)


def test_titles_and_clipboard_stay_inside():
    e = vt.GhosttyEmulator(40, 2)
    e.feed(b"\x1b]0;my title\x07\x1b]2;other\x1b\\\x1b]52;c;aGVsbG8=\x07ok")
    assert e.display()[0].rstrip() == "ok"


def test_alternate_screen_modes_and_scrollback():
    e = vt.GhosttyEmulator(20, 3, history=100)
    for i in range(10):
        e.feed(b"line %d\r\n" % i)
    assert e.history_size == 8 and e.runs(-1)[0][0].startswith("line 7")
    e.feed(b"\x1b[?1049h\x1b[?2004h\x1b[?1h\x1b[2J\x1b[HALT")
    assert e.in_alt_screen and e.bracketed_paste and e.app_cursor_keys and e.history_size == 0
    assert e.display()[0].startswith("ALT")
    e.feed(b"\x1b[?1049l\x1b[?2004l\x1b[?1l")
    assert not e.in_alt_screen and not e.bracketed_paste and "ALT" not in "".join(e.display())


def test_queries_are_answered_through_reply():
    e = vt.GhosttyEmulator(20, 3)
    answers = []
    e.reply = answers.append
    e.feed(b"ab\x1b[6n")
    assert answers == [b"\x1b[1;3R"]


def test_only_changed_rows_are_dirty():
    e = vt.GhosttyEmulator(20, 5)
    e.feed(b"one\r\ntwo\r\n")
    assert e.take_dirty() == {0, 1, 2, 3, 4}  # the first frame: all of it
    e.feed(b"\x1b[2;1Htwo!")
    assert e.take_dirty() == {1}
    assert e.take_dirty() == set()
    e.resize(30, 5)
    assert e.take_dirty() == {0, 1, 2, 3, 4}


@pytest.mark.parametrize("columns", [20, 200])
def test_the_scrollback_is_bounded_by_bytes_not_by_a_line_limit(columns):
    """libghostty-vt enforces a line limit row by row (a plain flood fed ~10x slower, bench/terminal_engines.py),
    so the scrollback is bounded by its byte cap alone: still bounded at any width, and the line limit is
    out of reach."""
    e = vt.GhosttyEmulator(columns, 10, history=200)
    e.feed(b"".join(b"line %d\r\n" % i for i in range(40000)))
    assert 200 <= e.history_size < 10000  # of 40000 lines (the cap is in whole pages: ~4300 rows at 20 columns)
    assert e.runs(-1)[0][0].startswith("line 39990")  # the screen holds the last 9 and the cursor's row
    assert e._term.get("scrollback_rows", "size_t") < vt.NO_LINE_LIMIT


def test_rows_with_the_same_text_share_one_parse_and_the_cursor_is_read_once_per_change():
    e = vt.GhosttyEmulator(20, 4)
    e.feed(b"same\r\nsame\r\nother")
    assert e.runs(0) is e.runs(1) and e.runs(0) == [("same" + " " * 16, vt.Style())]
    assert e.cursor == (5, 2, True)
    e.feed(b"\r\n")
    assert e.cursor == (0, 3, True)

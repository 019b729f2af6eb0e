"""Reading a screen back from Textual's SVG export (imported by the hardening tests beside it)."""

from __future__ import annotations

import functools
import html
import importlib.util
import re
from pathlib import Path

_TEXT = re.compile(r'<text class="[^"]*" x="([\d.]+)" y="([\d.]+)"[^>]*>([^<]*)</text>')


def screen_rows(svg: str) -> list[str]:
    """The characters of an exported screenshot, row by row (each SVG <text> holds one styled run)."""
    rows: dict[float, list[tuple[float, str]]] = {}
    for x, y, content in _TEXT.findall(svg):
        rows.setdefault(float(y), []).append((float(x), html.unescape(content).replace("\xa0", " ")))
    return ["".join(text for _, text in sorted(parts)) for _, parts in sorted(rows.items())]


@functools.cache
def ui_fixtures():
    """tests/ui/conftest.py's Pilot helpers (open_ui, ...), loaded once by path as tests/ssh does:
    tests/ is not a package."""
    spec = importlib.util.spec_from_file_location("exotui_tests_ui_conftest_hardening",
                                                  Path(__file__).parents[1] / "ui" / "conftest.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


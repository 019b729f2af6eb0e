"""Reading a screen back from Textual's SVG export (imported by the hardening tests beside it)."""

from __future__ import annotations

import html
import re

_TEXT = re.compile(r'<text class="[^"]*" x="([\d.]+)" y="([\d.]+)"[^>]*>([^<]*)</text>')


def screen_rows(svg: str) -> list[str]:
    """The characters of an exported screenshot, row by row (each SVG <text> holds one styled run)."""
    rows: dict[float, list[tuple[float, str]]] = {}
    for x, y, content in _TEXT.findall(svg):
        rows.setdefault(float(y), []).append((float(x), html.unescape(content).replace("\xa0", " ")))
    return ["".join(text for _, text in sorted(parts)) for _, parts in sorted(rows.items())]

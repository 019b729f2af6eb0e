"""Textual's command palette, answered once."""

from __future__ import annotations

from ..screens.base import AnswerOnce
from ..textual_compat import ClosingOncePalette


class Palette(AnswerOnce, ClosingOncePalette):
    """Textual's command palette, closed once (see textual_compat.ClosingOncePalette)."""

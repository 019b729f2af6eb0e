"""Styles live in .tcss files beside the code: `tcss(__file__, NAME)` reads one for a widget's DEFAULT_CSS.

Screens and the app name theirs in CSS_PATH instead, which `textual run --dev` reloads as they are edited;
a widget's or dialog's DEFAULT_CSS (inherited by its subclasses, below any screen's CSS) is read once.
The files ship in the package (pyproject.toml's package-data).
"""

from __future__ import annotations

from pathlib import Path


def beside(module_file: str, name: str) -> Path:
    """The stylesheet `name` in the folder of the module `module_file`, for a CSS_PATH: named whole, since
    Textual reads a relative CSS_PATH from the folder of the subclass (sessions.SSHApp is an ExotuiApp)."""
    return Path(module_file).with_name(name)


def tcss(module_file: str, name: str) -> str:
    """The text of the stylesheet `name` in the folder of the module `module_file`."""
    return beside(module_file, name).read_text(encoding="utf-8")

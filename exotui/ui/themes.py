"""Colour themes as data: the shipped ones in themes/*.json and the user's own, registered on the app.

A theme file is a JSON object whose keys are the fields of Textual's `Theme` (name, primary,
secondary, accent, warning, error, success, foreground, background, surface, panel, boost, dark,
luminosity_spread, text_alpha, variables, ansi). User themes live in
`platformdirs.user_config_dir("exotui")/themes/*.json` (on Linux `$XDG_CONFIG_HOME/exotui/themes`,
by default `~/.config/exotui/themes`); a user theme with a shipped theme's name replaces it.
"""

from __future__ import annotations

import dataclasses
import json
import sys
from pathlib import Path

from textual.color import Color, ColorParseError
from textual.theme import BUILTIN_THEMES, Theme

DEFAULT_THEME = "exotui-dark"
# themes/ in a checkout (editable installs); share/exotui/themes where a wheel puts them (pyproject data-files)
_CHECKOUT_THEMES = Path(__file__).resolve().parents[2] / "themes"
SHIPPED_DIR = _CHECKOUT_THEMES if _CHECKOUT_THEMES.is_dir() else Path(sys.prefix) / "share" / "exotui" / "themes"

_FIELDS = tuple(f.name for f in dataclasses.fields(Theme))
_COLOURS = ("primary", "secondary", "accent", "warning", "error", "success", "foreground", "background",
            "surface", "panel", "boost")
_NUMBERS = ("luminosity_spread", "text_alpha")
_FLAGS = ("dark", "ansi")


class ThemeError(ValueError):
    """A theme file that cannot be used; the message is one line naming the file and what is wrong."""


def user_themes_dir() -> Path:
    from platformdirs import user_config_dir  # a dependency of Textual itself

    return Path(user_config_dir("exotui")) / "themes"


def read_theme(path: Path) -> Theme:
    """One theme file, checked field by field so a typo names itself instead of failing later in CSS."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as err:
        raise ThemeError(f"{path}: cannot read: {err}") from None
    except json.JSONDecodeError as err:
        raise ThemeError(f"{path}: not JSON: {err.msg} (line {err.lineno})") from None
    if not isinstance(data, dict):
        raise ThemeError(f"{path}: expected a JSON object")
    unknown = sorted(set(data) - set(_FIELDS))
    if unknown:
        raise ThemeError(f"{path}: unknown key(s) {', '.join(unknown)}; allowed: {', '.join(_FIELDS)}")
    for key in ("name", "primary"):
        if not isinstance(data.get(key), str) or not data[key]:
            raise ThemeError(f"{path}: '{key}' is required")
    for key in _COLOURS:
        if key in data:
            _check_colour(path, key, data[key])
    for key in _NUMBERS:
        if key in data and (isinstance(data[key], bool) or not isinstance(data[key], (int, float))):
            raise ThemeError(f"{path}: '{key}' must be a number")
    for key in _FLAGS:
        if key in data and not isinstance(data[key], bool):
            raise ThemeError(f"{path}: '{key}' must be true or false")
    variables = data.get("variables", {})
    if not isinstance(variables, dict) or not all(isinstance(v, str) for v in variables.values()):
        raise ThemeError(f"{path}: 'variables' must map names to strings")
    return Theme(**data)


def _check_colour(path: Path, key: str, value: object) -> None:
    if not isinstance(value, str):
        raise ThemeError(f"{path}: '{key}' must be a colour string")
    try:
        Color.parse(value)
    except ColorParseError:
        raise ThemeError(f"{path}: '{key}' is not a colour: {value!r}") from None


def load_themes(user_dir: Path | None = None) -> tuple[dict[str, Theme], list[str]]:
    """Shipped themes, then the user's (which win on a name clash); and one line per file that failed."""
    themes: dict[str, Theme] = {}
    problems: list[str] = []
    for folder in (SHIPPED_DIR, user_dir or user_themes_dir()):
        for path in sorted(folder.glob("*.json")) if folder.is_dir() else ():
            try:
                theme = read_theme(path)
            except ThemeError as err:
                problems.append(str(err))
                continue
            themes[theme.name] = theme
    return themes, problems


def start_theme(app, name: str) -> None:
    """Put `app` on theme `name` before anything is drawn. Setting App.theme runs Textual's watcher, which
    parses all the CSS a second time before the first frame (about 5 ms of it). Textual reads the theme
    when it makes the stylesheet, in App.__init__, before any theme of ours can be registered; so a dark
    theme (the state App.__init__ leaves, from textual-dark) is set quietly, with the stylesheet's
    variables and the app's classes as the watcher would leave them. A light one goes through the watcher,
    which also switches the ANSI colour filter."""
    theme = app.get_theme(name)
    if theme is None or not theme.dark or app.is_running:
        app.theme = name
        return
    from textual.app import App

    app.set_reactive(App.theme, name)
    app.set_class(False, *[c for c in app.classes if c.startswith("-theme-")], update=False)
    app.set_class(True, f"-theme-{name}", "-dark-mode", update=False)
    app.set_class(False, "-light-mode", update=False)
    app.stylesheet.set_variables(app.get_css_variables())


def check_theme(name: str, user_dir: Path | None = None) -> str | None:
    """None if `--theme NAME` will work, else the one-line reason (for the CLI, before any screen)."""
    themes, problems = load_themes(user_dir)
    if name in themes or name in BUILTIN_THEMES:
        return None
    known = ", ".join(sorted(themes)) + ", or one of Textual's: " + ", ".join(sorted(BUILTIN_THEMES))
    reason = f"no theme called '{name}'; choose from {known}"
    # the theme asked for may be the one whose file is broken
    return reason + (f" (and {problems[0]})" if problems else "")


def register_themes(app, user_dir: Path | None = None) -> None:
    """Make every theme available to `app` (and so to ctrl+p "Change theme"); start on the default."""
    themes, problems = load_themes(user_dir)
    for theme in themes.values():
        app.register_theme(theme)
    if DEFAULT_THEME in themes:  # absent only from an install that left themes/ behind
        start_theme(app, DEFAULT_THEME)
    for problem in problems:
        app.notify(problem, title="theme not loaded", severity="warning", timeout=15)

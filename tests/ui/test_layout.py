"""ui/ laid out by kind, its styles in .tcss files beside the code (shipped in the package), one name per class."""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
import re
from pathlib import Path

import pytest
from textual.app import App
from textual.css.stylesheet import Stylesheet
from textual.dom import DOMNode

import exotui.ui

UI = Path(exotui.ui.__file__).parent
ROOT = UI.parents[1]
# their bodies belong to the terminal's work for now (the SSH session screen and the terminal widget)
INLINE_CSS_LEFT = {"screens/sessions.py", "widgets/terminal.py"}
WIDGETS_LEFT_IN_SESSIONS = {"SSHSession", "SessionTabs"}  # likewise: the session screen's own widgets


def _modules():
    for info in pkgutil.walk_packages(exotui.ui.__path__, "exotui.ui."):
        yield importlib.import_module(info.name)


def _ui_classes():
    for module in _modules():
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if cls.__module__ == module.__name__:
                yield cls


def test_ui_is_laid_out_by_kind():
    assert {p.name for p in UI.iterdir() if p.is_dir() and not p.name.startswith("__")} == \
        {"screens", "widgets", "dialogs"}
    from textual.screen import ModalScreen, Screen
    from textual.widget import Widget

    misplaced = []
    for cls in _ui_classes():
        folder = cls.__module__.split(".")[2]
        if folder == "textual_compat":
            continue  # Textual's classes patched, quarantined in one module (its canary: test_textual_compat.py)
        if issubclass(cls, ModalScreen):
            right = folder in ("dialogs", "screens")  # help is a screen of its own, modal
        elif issubclass(cls, Screen):
            right = folder == "screens"
        elif issubclass(cls, Widget):
            right = folder in ("widgets", "app") or cls.__name__ in WIDGETS_LEFT_IN_SESSIONS
        else:
            continue
        if not right:
            misplaced.append(f"{cls.__module__}.{cls.__name__}")
    assert misplaced == []


def test_no_two_classes_in_ui_share_a_name():
    where: dict[str, list[str]] = {}
    for path in UI.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef):
                where.setdefault(node.name, []).append(str(path.relative_to(UI)))
    assert {name: files for name, files in where.items() if len(files) > 1} == {}


def test_styles_are_tcss_files_not_strings_built_in_code():
    offenders = []
    for path in UI.rglob("*.py"):
        rel = str(path.relative_to(UI))
        text = path.read_text(encoding="utf-8")
        if re.search(r'^\s+(DEFAULT_)?CSS = (""")', text, re.M) and rel not in INLINE_CSS_LEFT:
            offenders.append(f"{rel}: inline CSS")
        if re.search(r"CSS\.(replace|format)\(|css\(\"", text):
            offenders.append(f"{rel}: CSS built in code")
    assert offenders == []


def test_every_stylesheet_exists_parses_and_ships():
    """Each CSS_PATH names a file beside its class, each .tcss parses, and pyproject's package-data carries
    every one of them (a non-editable install finds them)."""
    tomllib = pytest.importorskip("tomllib")
    globs = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]["exotui"]
    shipped = {p for pattern in globs for p in (ROOT / "exotui").glob(pattern)}
    sheets = set(UI.rglob("*.tcss"))
    assert sheets and sheets <= shipped, sorted(str(p) for p in sheets - shipped)
    variables = App().get_css_variables()  # $primary and friends, as a running app has them
    for sheet in sheets:
        stylesheet = Stylesheet(variables=variables)
        stylesheet.read(sheet)
        stylesheet.parse()  # raises on a bad rule, naming the file
    named = set()
    for cls in _ui_classes():
        if isinstance(cls, type) and issubclass(cls, DOMNode) and cls.__dict__.get("CSS_PATH"):
            path = Path(cls.__dict__["CSS_PATH"])
            # whole: Textual reads a relative one beside the subclass (screens/sessions.SSHApp is an ExotuiApp)
            assert path.is_absolute(), f"{cls.__name__}.CSS_PATH: {path} is relative"
            assert path.is_file(), f"{cls.__name__}.CSS_PATH: {path} is missing"
            named.add(path)
    read_by_code = {Path(inspect.getfile(cls)).with_name(name) for cls in _ui_classes()
                    for name in re.findall(r'tcss\(__file__, "([\w.]+)"\)', inspect.getsource(cls))}
    assert sheets == named | read_by_code, "a .tcss file no class reads"

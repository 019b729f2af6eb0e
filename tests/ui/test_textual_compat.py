"""The canary for exotui/ui/textual_compat.py: every private name of Textual's it leans on still exists.
A Textual upgrade that renames one fails here, naming it, instead of a guard that silently does nothing."""

from __future__ import annotations

import importlib

import pytest
from textual.widgets import OptionList

from exotui.ui import textual_compat


@pytest.mark.parametrize("owner, name", [(owner, name) for owner, names in textual_compat.PRIVATE_NAMES.items()
                                         for name in names], ids=lambda v: getattr(v, "__name__", v))
def test_textuals_private_names_are_still_there(owner, name):
    assert hasattr(owner, name), f"Textual's {owner.__name__}.{name} is gone: revisit ui/textual_compat.py"


@pytest.mark.parametrize("module", textual_compat.PRIVATE_MODULES)
def test_textuals_private_modules_are_still_there(module):
    importlib.import_module(module)


def test_the_palette_search_is_still_a_wrapped_worker():
    """ClosingOncePalette calls the undecorated search through `__wrapped__` (Textual's @work keeps it)."""
    from textual.command import CommandPalette

    assert callable(getattr(CommandPalette._gather_commands, "__wrapped__", None))


def test_every_option_list_pages_safely():
    assert getattr(OptionList._move_page, "_exotui_guarded", False)


def test_no_other_module_of_ours_names_a_private_textual_module():
    import re
    from pathlib import Path

    private = re.compile(r"\btextual(\.\w+)*\._\w|from textual(\.\w+)* import [^\n]*\b_[a-z]")
    exotui = Path(textual_compat.__file__).parents[1]
    offenders = [str(p.relative_to(exotui)) for p in exotui.rglob("*.py") if p.name != "textual_compat.py"
                 and private.search(p.read_text())]
    assert offenders == []


def test_the_input_thread_copied_into_the_quiet_driver_is_still_textuals():
    """QuietLinuxDriver.run_input_thread is Textual's with a select() that sleeps: a Textual whose own loop
    changed fails here, so that the copy is brought up to date (textual_compat.INPUT_THREAD_SOURCE_SHA256)."""
    import hashlib
    import inspect

    from textual._xterm_parser import XTermParser
    from textual.drivers.linux_driver import LinuxDriver

    source = inspect.getsource(LinuxDriver.run_input_thread)
    assert hashlib.sha256(source.encode()).hexdigest() == textual_compat.INPUT_THREAD_SOURCE_SHA256
    assert XTermParser(False)._timeout_time is None  # the parser's pending-escape deadline, read by the copy
    assert textual_compat.quiet_linux_driver() is not None

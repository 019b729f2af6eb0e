"""Small modal dialogs that return typed values, each a Dialog (base.py) inheriting its frame's CSS: confirm
(bool, or Confirmed with an option), prompt (str), choice (an option's ID), form (a dict of checked values)."""

from __future__ import annotations

from .base import Dialog, FullNames, ShowsFullNames
from .choice import Choice, ChoiceDialog
from .confirm import ConfirmDialog, Confirmed, ConfirmOptionDialog
from .form import Field, FormDialog
from .prompt import PromptDialog

__all__ = ["Choice", "ChoiceDialog", "ConfirmDialog", "ConfirmOptionDialog", "Confirmed", "Dialog", "Field",
           "FormDialog", "FullNames", "PromptDialog", "ShowsFullNames"]

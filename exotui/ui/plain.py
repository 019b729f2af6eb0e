"""Text from the cloud inside Textual markup, shown exactly as written.

rich.markup.escape escapes only what looks like a Rich tag, so "[31mred" or "job[1]" went through
untouched, and Textual's parser read them as tags: a name could swallow the markup around it or
raise MarkupError. Every "[" is escaped here; Textual reads "\\[" as a literal "[".
"""

from __future__ import annotations


def escape(text: str) -> str:
    return text.replace("[", "\\[")


# the full text of the names middle() cut, by what it showed: the dialogs show them on request (f)
_CUT: dict[str, str] = {}
_CUT_KEPT = 512


def middle(text: str, most: int = 40) -> str:
    """A name cut in the middle with an ellipsis when longer than `most`: both ends stay (a 5,000-character
    name filled the action menu and hid the delete confirmation's buttons). The full name is remembered
    for `cut_names_in`."""
    if len(text) <= most:
        return text
    shown = text[:most // 2 - 1] + "…" + text[-(most - most // 2):]
    _CUT.pop(shown, None)
    _CUT[shown] = text
    while len(_CUT) > _CUT_KEPT:
        _CUT.pop(next(iter(_CUT)))
    return shown


def cut_names_in(*texts: str) -> list[str]:
    """The full names of the names `middle` cut that appear in `texts`, in the order they were cut."""
    return [full for shown, full in _CUT.items() if any(shown in text for text in texts)]

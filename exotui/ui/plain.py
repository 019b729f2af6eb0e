"""Text from the cloud inside Textual markup, shown exactly as written.

rich.markup.escape escapes only what looks like a Rich tag, so "[31mred" or "job[1]" went through
untouched, and Textual's parser read them as tags: a name could swallow the markup around it or
raise MarkupError. Every "[" is escaped here; Textual reads "\\[" as a literal "[".
"""

from __future__ import annotations


def escape(text: str) -> str:
    return text.replace("[", "\\[")


def middle(text: str, most: int = 40) -> str:
    """A name cut in the middle with an ellipsis when longer than `most`: both ends stay (a 5,000-character
    name filled the action menu and hid the delete confirmation's buttons)."""
    return text if len(text) <= most else text[:most // 2 - 1] + "…" + text[-(most - most // 2):]

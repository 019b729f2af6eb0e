"""Text from the cloud inside Textual markup, shown exactly as written.

rich.markup.escape escapes only what looks like a Rich tag, so "[31mred" or "job[1]" went through
untouched, and Textual's parser read them as tags: a name could swallow the markup around it or
raise MarkupError. Every "[" is escaped here; Textual reads "\\[" as a literal "[".
"""

from __future__ import annotations


def escape(text: str) -> str:
    return text.replace("[", "\\[")

"""The table filter (k9s' '/'): a regular expression over the columns shown, '!' in front inverts it, '*' in
front matches every column and the ID (hidden ones too); bounded in compile and time.

`re` has no timeout: `(a+)+$` against a 28-character name froze the UI for 18 s per key, and some patterns
do not compile at all (`a{4294967296}` raised OverflowError, 1,200 '(' RecursionError, both out of the app).
The `regex` module takes a timeout per search; one pass over a table gets MATCH_BUDGET in all, after which
the filter matches as plain text and says so (bench/filter_regex.py measures both engines).
"""

from __future__ import annotations

import time
from typing import Iterable, Mapping

import regex

MATCH_BUDGET = 0.2  # seconds for one pass over a table's rows: one key press may cost this, no more
MAX_PATTERN = 2000  # characters: longer is no filter anyone types, and compiling it costs


class TableFilter:
    """One filter text: `select` keeps the row ids whose search text matches. `error` says, for the
    prompt, why the text is matched as plain text instead of as a regex (None when it is a regex)."""

    def __init__(self, text: str) -> None:
        self.text = text
        flags = text[:2]
        self.invert = flags.startswith("!") or flags == "*!"  # `!*exo` and `*!exo` alike
        self.every = flags.startswith("*") or flags == "!*"  # every column and the ID, not just those shown
        self.pattern = text[self.invert + self.every:]
        self.error: str | None = None
        self._regex = None
        if len(self.pattern) > MAX_PATTERN:
            self.error = f"longer than {MAX_PATTERN} characters: matched as text"
        elif self.pattern:
            try:
                self._regex = regex.compile(self.pattern, regex.IGNORECASE | regex.V0)
            except Exception as err:  # regex.error, RecursionError, OverflowError, MemoryError...: any reason
                self.error = f"not a regex ({_reason(err)}): matched as text"
        self._needle = self.pattern.lower()

    def __bool__(self) -> bool:
        return bool(self.pattern)

    def select(self, order: Iterable[str], texts: Mapping[str, str]) -> list[str]:
        if not self.pattern:
            return list(order)
        order = list(order)
        if self._regex is not None:
            deadline = time.monotonic() + MATCH_BUDGET
            try:
                return [i for i in order if self._search(texts[i], deadline) != self.invert]
            except TimeoutError:
                self._regex = None  # for this text from now on: the next poll must not stall either
                self.error = f"too slow (over {MATCH_BUDGET:g} s): matched as text"
        return [i for i in order if (self._needle in texts[i]) != self.invert]

    def _search(self, text: str, deadline: float) -> bool:
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError
        return self._regex.search(text, timeout=left) is not None


def _reason(err: BaseException) -> str:
    if isinstance(err, RecursionError):
        return "nested too deep"
    if isinstance(err, (OverflowError, MemoryError)):
        return "a number too large"
    text = str(err).splitlines()[0] if str(err) else type(err).__name__
    return text[:60]

"""The canary for the pyte fallback core's private names (exotui/ssh/terminal.py PYTE_PRIVATE): a pyte upgrade
that renames one fails here, naming it, instead of jump scrolling silently never (or wrongly) engaging."""

from __future__ import annotations

import pyte
import pytest

from exotui.ssh.terminal import PYTE_PRIVATE


@pytest.mark.parametrize("owner, name", [(o, n) for o, names in PYTE_PRIVATE.items() for n in names],
                         ids=lambda v: getattr(v, "__name__", v))
def test_pytes_private_names_are_still_there(owner, name):
    made = owner(pyte.Screen(80, 24))
    assert hasattr(made, name), f"pyte's {owner.__name__}.{name} is gone: revisit exotui/ssh/terminal.py"


def test_taking_plain_text_still_means_between_sequences():
    stream = pyte.ByteStream(pyte.Screen(80, 24))
    stream.feed(b"plain ")
    assert stream._taking_plain_text is True
    stream.feed(b"\x1b[")  # half a CSI sequence
    assert stream._taking_plain_text is not True
    stream.feed(b"1m")
    assert stream._taking_plain_text is True

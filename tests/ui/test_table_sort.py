"""Tables sort text as people count (issue 18: `127.64.0.11` sorted before `.3`, `node-10` before
`node-2`), and never fail on what a cloud sends: mixed types, nulls, a 5,000-digit name."""

from __future__ import annotations

from exotui.ui.widgets.table import _sort_safe, natural


def test_numbers_inside_text_sort_by_value():
    names = ["node-10", "node-2", "node-1", "node-02", "node"]
    assert sorted(names, key=natural) == ["node", "node-1", "node-02", "node-2", "node-10"]


def test_addresses_sort_by_their_numbers():
    addresses = ["127.64.0.11", "127.64.0.3", "10.0.0.100", "10.0.0.9", "-"]
    assert sorted(addresses, key=natural) == ["10.0.0.9", "10.0.0.100", "127.64.0.3", "127.64.0.11", "-"]


def test_odd_values_sort_without_failing():
    values = [None, 3, 2.5, "b", "a" + "9" * 5000, "x²", "١٢", ""]
    ordered = sorted(values, key=_sort_safe)
    assert ordered[:3] == [None, 2.5, 3] and len(ordered) == len(values)

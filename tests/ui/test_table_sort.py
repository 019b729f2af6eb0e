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


async def test_a_column_that_moves_on_renders_only_the_rows_on_screen():
    """AGE once a minute: the rows on screen are rendered at once, the others when they are scrolled to or
    filtered (at 1,000 rows, rendering every cell each minute was most of the idle cost)."""
    from dataclasses import dataclass

    from textual.app import App

    from exotui.ui.widgets.table import Column, ResourceTable

    @dataclass(frozen=True)
    class Row:
        id: str
        name: str

    ticks = {"now": 1}
    rendered: list[str] = []

    def age(row: Row) -> str:
        rendered.append(row.id)
        return f"{ticks['now']}m"

    table = ResourceTable([Column("name", "NAME", 10, lambda r: r.name, flex=True),
                           Column("age", "AGE", 4, age, justify="right")])

    class Bare(App):
        def compose(self):
            yield table

    async with Bare().run_test(size=(40, 12)) as pilot:
        table.load({f"r{n:03}": Row(f"r{n:03}", f"node-{n:03}") for n in range(200)})
        await pilot.pause()
        rendered.clear()
        ticks["now"] = 2
        assert table.refresh_column("age") == 11  # the 11 rows under the header
        assert len(rendered) == 11
        table.action_jump(-1)  # the last rows come on screen: they catch up as they are drawn
        await pilot.pause()
        assert table._cells["r199"][1].plain == "2m" and table._cells["r100"][1].plain == "1m"
        table.set_filter("2m")  # a filter reads every row's text: all catch up first
        assert len(table.shown) == 200


async def test_the_sort_column_is_chosen_with_keys_and_reversed(open_ui):
    """`>` sorts by the next column in sight (▲ in its header), `<` by the one before, `!` reverses (▼):
    a k9s user's sort keys, at 80x24 with no mouse."""
    from exotui.ui.widgets.table import ResourceTable

    async with open_ui() as ui:
        await ui.boot_many(["sortkey-10", "sortkey-2"])
        ui.app.show_view("servers")
        table = ui.app.query_one("#table-servers", ResourceTable)
        await ui.until(lambda: table.has_focus, what="the table focused")

        def names() -> list[str]:
            return [table.items[i].name for i in table.shown if table.items[i].name.startswith("sortkey-")]

        await ui.pilot.press("greater_than_sign")
        assert table.sort_column == "name" and "NAME ▲" in table._header(80).text
        assert names() == ["sortkey-2", "sortkey-10"]  # as people count
        await ui.pilot.press("exclamation_mark")
        assert table.sort_reverse and "NAME ▼" in table._header(80).text and names() == ["sortkey-10", "sortkey-2"]
        await ui.pilot.press("greater_than_sign")
        assert table.sort_column == "status" and not table.sort_reverse
        await ui.pilot.press("less_than_sign", "less_than_sign")
        assert table.sort_column is None and "▲" not in table._header(80).text

"""The form's Select, set before its value line is composed: what the monkey caught under load."""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.widgets import Static
from textual.widgets._select import SelectCurrent

from exotui.ui.widgets.form_select import FormSelect
from waiting import until  # beside this file (tests/ui/conftest.py puts it on the path)


class OneSelect(App):
    def __init__(self, select: FormSelect) -> None:
        super().__init__()
        self.select = select

    def compose(self) -> ComposeResult:
        yield self.select


async def test_a_value_set_before_the_value_line_is_composed_is_shown_not_raised():
    """Textual 8.2.8's Select sets its value on mount; under load its SelectCurrent may not have composed
    its label yet and the stock update() raises NoMatches. Here the update comes first, deterministically:
    the value line is made, updated, and only then mounted."""
    select = FormSelect([("m3.small", "s"), ("g3.large", "g")], value="g", allow_blank=False, id="flavor")
    current = next(widget for widget in select.compose() if isinstance(widget, SelectCurrent))
    current.update("g3.large")  # before compose: the stock SelectCurrent raises NoMatches('#label') here
    assert current.label == "g3.large"

    app = OneSelect(select)
    async with app.run_test(size=(40, 6)) as pilot:
        await pilot.pause()
        shown = app.query_one(SelectCurrent).query_one("#label", Static)
        assert str(shown.render()) == "g3.large"
        await pilot.press("tab", "enter", "up", "enter")  # open, move to m3.small, choose it
        await pilot.pause()
        assert select.value == "s"
        assert str(app.query_one(SelectCurrent).query_one("#label", Static).render()) == "m3.small"


async def test_a_dialog_waits_for_a_widget_composed_after_it_mounts():
    """Widgets inside a dialog's containers compose after the dialog mounts, later still under load: a form
    focused its first field before it existed and stopped the app (found by the monkey). when_composed waits."""
    from textual.screen import ModalScreen

    from exotui.ui.screens.base import AnswerOnce

    class Late(AnswerOnce, ModalScreen):
        def compose(self) -> ComposeResult:
            yield Static("frame")

    app = OneSelect(FormSelect([("a", "a")], value="a", allow_blank=False))
    async with app.run_test(size=(40, 6)) as pilot:
        screen = Late()
        await app.push_screen(screen)
        seen = []
        screen.when_composed("#later", seen.append)  # not there yet: a plain query_one raises NoMatches here
        await pilot.pause(0.05)
        assert seen == []
        await screen.mount(Static("late", id="later"))
        await until(pilot, lambda: seen, what="the late widget answered")
        assert [w.id for w in seen] == ["later"]
        screen.dismiss()
        screen.when_composed("#later", seen.append)  # answered: nothing more
        await pilot.pause(0.1)
        assert len(seen) == 1

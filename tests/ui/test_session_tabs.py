"""The SSH session tabs (`SessionTabs`): a pane's Focused message that arrives after its tab was closed is
ignored, instead of setting `active` to a tab that is gone (ValueError inside Textual's TabbedContent,
which stopped the app under the monkey). A focus inside a pane that is still there activates it, as in
Textual's own TabbedContent. The late message is posted by hand, so the race is reproduced every time."""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.widgets import Input, TabPane

from exotui.ui.screens.sessions import SessionTabs


class TabsApp(App):
    def compose(self) -> ComposeResult:
        with SessionTabs(id="tabs"):
            with TabPane("one", id="ssh-a"):
                yield Input(id="in-a")
            with TabPane("two", id="ssh-b"):
                yield Input(id="in-b")


async def test_a_focus_from_a_closed_tab_is_ignored_and_a_live_one_activates():
    app = TabsApp()
    async with app.run_test(size=(60, 10)) as pilot:
        tabs = app.query_one(SessionTabs)
        pane_a = app.query_one("#ssh-a", TabPane)
        assert tabs.active == "ssh-a"

        # a focus in the other pane still makes it active (the behaviour the override must keep)
        app.query_one("#in-b", Input).focus()
        await pilot.pause()
        assert tabs.active == "ssh-b"

        # pane a's tab closes; its Focused message arrives late
        await tabs.remove_pane("ssh-a")
        await pilot.pause()
        assert not tabs.has_tab("ssh-a") and tabs.has_tab("ssh-b")
        tabs.post_message(TabPane.Focused(pane_a))
        await pilot.pause()
        await pilot.pause()
        assert app.is_running and app._exception is None
        assert tabs.active == "ssh-b"

"""The `:shares` screen and a share's detail on the demo's Manila: the list with its quota line, create, extend,
grant and revoke access and delete from their keys and from `a`; destructive ones ask first and are sent once;
the access key is shown only after a confirmation."""

from __future__ import annotations

from textual.widgets import Input, Static

from exotui.ui.dialogs import ChoiceDialog, ConfirmDialog, FormDialog, PromptDialog
from exotui.ui.dialogs.text import TextDialog
from exotui.ui.screens.shares import ShareDetail, SharesScreen


async def open_shares(ui) -> SharesScreen:
    for key in ("colon", *"shares", "enter"):
        await ui.pilot.press(key)
    await ui.until(lambda: isinstance(ui.app.screen, SharesScreen), what="the shares screen")
    return ui.app.screen


def _named(ui, name: str):
    return next((s for s in ui.store.get("shares").values() if s.name == name), None)


async def seeded_share_under_the_cursor(ui) -> SharesScreen:
    """`:shares`, with the seeded workshop-home under the cursor."""
    screen = await open_shares(ui)
    await ui.until(lambda: _named(ui, "workshop-home") is not None, what="the seeded share")
    share = _named(ui, "workshop-home")
    await ui.until(lambda: share.id in screen.keys, what="its row")
    screen.query_one("#listing").move_cursor(row=screen.keys.index(share.id))
    return screen


def _text(widget) -> str:
    return str(widget.render())


async def test_the_list_its_quota_and_a_detail_with_the_key_on_request(open_ui):
    async with open_ui() as ui:
        screen = await open_shares(ui)
        await ui.until(lambda: _named(ui, "workshop-home") is not None, what="the seeded share")
        share = _named(ui, "workshop-home")
        await ui.until(lambda: share.id in screen.keys, what="its row")
        await ui.until(lambda: "GB of 1000 GB" in _text(screen.query_one(".listing-bar")), what="the quota line")
        assert "shares" in ui.project.poller.watched
        screen.query_one("#listing").move_cursor(row=screen.keys.index(share.id))
        await ui.pilot.press("enter")
        await ui.until(lambda: isinstance(ui.app.screen, ShareDetail), what="the detail")
        detail = ui.app.screen
        await ui.until(lambda: detail.detail is not None and detail.keys, what="its rules")
        summary = _text(detail.query_one("#share-summary", Static))
        assert "available" in summary and "50 GB" in summary and "/volumes/_nogroup/" in summary
        rule = detail.detail.rules[0]
        assert (rule.access_type, rule.access_to) == ("cephx", "workshop")
        secret_reads = len([p for m, p in ui.demo.world.asked if m == "GET" and p.endswith(f"/{rule.id}")])
        await ui.pilot.press("k")
        await ui.until(lambda: isinstance(ui.app.screen, ConfirmDialog), what="asked before the key is read")
        assert len([p for m, p in ui.demo.world.asked if m == "GET" and p.endswith(f"/{rule.id}")]) == secret_reads
        await ui.pilot.press("y")
        await ui.until(lambda: isinstance(ui.app.screen, TextDialog), what="the key shown")
        key = ui.app.screen.text
        assert len(key) == 40 and key not in repr(detail.detail)
        await ui.pilot.press("escape")
        await ui.until(lambda: ui.app.screen is detail, what="back on the detail")
        await ui.pilot.press("escape")
        await ui.until(lambda: ui.app.screen is screen, what="the list again")
        await ui.pilot.press("escape")
        await ui.until(lambda: len(ui.app.screen_stack) == 1, what="the views")
        assert "shares" not in ui.project.poller.watched


async def test_create_extend_grant_revoke_delete(open_ui):
    async with open_ui() as ui:
        screen = await open_shares(ui)
        await ui.pilot.press("n")
        await ui.until(lambda: isinstance(ui.app.screen, FormDialog), what="the create form")
        form = ui.app.screen
        await ui.until(lambda: form.query("#field-type"), what="the share types, from Manila")
        form.query_one("#field-name", Input).value = "ui-share"
        form.query_one("#field-size", Input).value = "0"
        await ui.pilot.press("ctrl+s")
        await ui.pilot.pause()
        assert ui.app.screen is form, "0 GB is refused in the form"
        form.query_one("#field-size", Input).value = "3"
        await ui.pilot.press("ctrl+s")
        await ui.until(lambda: (s := _named(ui, "ui-share")) is not None and s.status == "available",
                       timeout=30, what="the share made")
        share = _named(ui, "ui-share")
        await ui.until(lambda: share.id in screen.keys, what="its row")
        screen.query_one("#listing").move_cursor(row=screen.keys.index(share.id))

        # extend from the `a` menu
        await ui.pilot.press("a")
        await ui.until(lambda: isinstance(ui.app.screen, ChoiceDialog), what="the actions menu")
        labels = [c.id for c in ui.app.screen.choices]
        assert labels == ["create", "extend", "grant", "revoke", "delete"]
        ui.app.screen.dismiss("extend")
        await ui.until(lambda: isinstance(ui.app.screen, PromptDialog), what="the new size")
        ui.app.screen.query_one(Input).value = "5"
        await ui.pilot.press("enter")
        await ui.until(lambda: _named(ui, "ui-share").size_gb == 5, timeout=30, what="extended")

        # grant cephx in the detail, then revoke it (asked first)
        await ui.pilot.press("enter")
        await ui.until(lambda: isinstance(ui.app.screen, ShareDetail), what="the detail")
        detail = ui.app.screen
        await ui.pilot.press("g")
        await ui.until(lambda: isinstance(ui.app.screen, FormDialog), what="the grant form")
        grant = ui.app.screen
        grant.query_one("#field-to", Input).value = "client.x"
        await ui.pilot.press("ctrl+s")
        await ui.pilot.pause()
        assert ui.app.screen is grant, "a cephx name with a period is refused as Manila would"
        grant.query_one("#field-to", Input).value = "ui-user"
        await ui.pilot.press("ctrl+s")
        await ui.until(lambda: detail.detail is not None and any(r.access_to == "ui-user" and r.has_key
                                                                 for r in detail.detail.rules),
                       timeout=30, what="the rule, active with a key")
        await ui.pilot.press("x")
        await ui.until(lambda: isinstance(ui.app.screen, ChoiceDialog), what="which rule")
        ui.app.screen.dismiss(detail.detail.rules[0].id)
        await ui.until(lambda: isinstance(ui.app.screen, ConfirmDialog), what="asked first")
        confirm = ui.app.screen
        await ui.until(lambda: confirm.focused is not None and confirm.focused.id == "confirm-no",
                       what="Cancel focused: a stray enter refuses")
        await ui.pilot.press("y", "y")
        await ui.until(lambda: detail.detail is not None and not detail.detail.rules, timeout=30, what="revoked")
        denies = [p for s, m, p in ui.sent if m == "POST" and p.endswith(f"/shares/{share.id}/action")]
        assert len(denies) == 3  # extend, allow, deny: each once

        # delete: asked (Cancel focused), sent once
        await ui.pilot.press("ctrl+d")
        await ui.until(lambda: isinstance(ui.app.screen, ConfirmDialog), what="the confirmation")
        await ui.pilot.press("y", "y")
        await ui.until(lambda: _named(ui, "ui-share") is None, timeout=30, what="the share gone")
        assert len([p for s, m, p in ui.sent if m == "DELETE" and p.endswith(f"/shares/{share.id}")]) == 1


async def test_read_only_refuses_in_one_line(open_ui):
    async with open_ui(readonly=True) as ui:
        screen = await seeded_share_under_the_cursor(ui)
        await ui.pilot.press("ctrl+d")
        await ui.until(lambda: any("read-only" in n.message for n in ui.app._notifications), what="refused")
        assert ui.app.screen is screen
        assert not [s for s in ui.sent if s[1] in ("POST", "DELETE")]


async def test_manila_refusing_a_read_is_one_line_not_a_flow_bug(open_ui):
    """Found by the monkey (20% of answers 503): revoking asked Manila for the share's rules, and showing a key
    asked for the key, without a word for a refusal, so the 503 reached the last-resort "something went wrong"
    as a bug of the flow. Now each says what it could not read in one line, and asks and sends nothing more."""
    async with open_ui() as ui:
        await seeded_share_under_the_cursor(ui)
        await ui.pilot.press("enter")
        await ui.until(lambda: isinstance(ui.app.screen, ShareDetail) and ui.app.screen.detail is not None
                       and ui.app.screen.detail.rules, what="the detail with its rules")
        detail = ui.app.screen
        knobs = ui.demo.world.knobs
        knobs.error_rate = 1.0  # every answer a 503 from here
        try:
            keyed = next(r for r in detail.detail.rules if r.has_key)
            await ui.until(lambda: keyed.id in detail.keys, what="the rule's row")
            detail.query_one("#listing").move_cursor(row=detail.keys.index(keyed.id))
            await ui.pilot.press("k")
            await ui.until(lambda: isinstance(ui.app.screen, ConfirmDialog), what="asked before showing")
            await ui.pilot.press("y")
            await ui.until(lambda: any("cannot read the access key" in n.message for n in ui.app._notifications),
                           what="one line for the refused key")
            assert ui.app.screen is detail, "no key shown"
            await ui.pilot.press("x")
            await ui.until(lambda: any("cannot read the access rules" in n.message for n in ui.app._notifications),
                           what="one line for the refused read")
            assert ui.app.screen is detail, "nothing asked"
        finally:
            knobs.error_rate = 0.0
        assert not [n for n in ui.app._notifications if n.title == "something went wrong"]
        assert not [s for s in ui.sent if s[1] in ("POST", "DELETE") and "/share" in s[2]]

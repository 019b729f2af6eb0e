"""Confirmation turned off per action in the user's settings (issue 15, item 4): the cloud's
`exotui: {confirm: {reboot_hard: false}}` in clouds.yaml (read through openstacksdk's config) lets that action
go without its question; delete asks whatever the settings say."""

from __future__ import annotations

from types import SimpleNamespace

from exotui.cloud.profiles import CloudProfile
from exotui.ui.dialogs import ConfirmDialog, ConfirmOptionDialog
from test_safe_actions import choose, menu


def _profile(exotui: object) -> CloudProfile:
    return CloudProfile("c", "password", None, (), None, None, False, "clouds.yaml",
                        cloud_region=SimpleNamespace(config={"exotui": exotui}))  # type: ignore[arg-type]


def test_what_the_settings_may_turn_off():
    assert _profile({}).confirms("stop") and _profile(None).confirms("stop")
    settings = {"confirm": {"reboot_hard": False, "stop": "no", "shelve": True, "delete": False, "rescue": "maybe"}}
    profile = _profile(settings)
    assert not profile.confirms("reboot_hard") and not profile.confirms("stop")
    assert profile.confirms("shelve") and profile.confirms("rescue") and profile.confirms("resize")
    assert profile.confirms("delete"), "delete always asks"
    assert _profile({"confirm": ["stop"]}).confirms("stop"), "a malformed section turns nothing off"


async def test_hard_reboot_goes_unasked_when_turned_off_and_delete_still_asks(open_ui, clouds_yaml_with):
    config = clouds_yaml_with({"confirm": {"reboot_hard": False, "delete": False}})
    async with open_ui(clouds_yaml=config) as ui:
        sid = await ui.boot("noconfirm-web")
        await menu(ui, sid)
        await choose(ui, "reboot_hard")
        await ui.until(lambda: ui.actions_sent(sid), what="the hard reboot sent")
        assert not isinstance(ui.app.screen, ConfirmDialog)
        await ui.until(lambda: ui.world_server(sid)["status"] == "ACTIVE"
                       and not ui.store.item("servers", sid).task_state, what="the reboot to settle")
        sent = len(ui.actions_sent(sid))
        await menu(ui, sid)
        await choose(ui, "delete")
        asking = (ConfirmDialog, ConfirmOptionDialog)  # the second when it holds a floating IP
        await ui.until(lambda: isinstance(ui.app.screen, asking), what="the delete confirmation")
        assert "noconfirm-web" in ui.app.screen.title_text
        await ui.pilot.press("escape")
        await ui.until(lambda: not isinstance(ui.app.screen, asking), what="the dialog closed")
        await ui.pilot.pause()
        assert len(ui.actions_sent(sid)) == sent and not ui.world_server(sid)["_deleted"]

"""The exouser passphrase (issue 18 item 3) never reaches the log file: with exotui's log set up as the CLI
does and the libraries at DEBUG (they then log every request and answer), the passphrase is shown in the
instance detail, copied, and read again from os-server-password; the log holds the requests, never the secret."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

from textual.widgets import Static

from exotui.cloud.poller import Intervals
from exotui.cloud.profiles import find_profile, load_profiles
from exotui.cloud.workspace import Workspace
from exotui.demo.app import CLOUD_NAME, DemoCloudThread
from exotui.demo.seed import EXOSPHERE_FRESH_PASSPHRASE, EXOSPHERE_PASSPHRASE
from exotui.demo.world import Knobs
from exotui.ui.app import ExotuiApp
from exotui.ui.dialogs import ConfirmDialog
from exotui.ui.screens.detail import InstanceDetail

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "ui"))
# exotui's log as the CLI sets it up, the libraries at DEBUG (the secrets scan's fixture, beside this file)
from test_secrets_scan import debug_log  # noqa: E402,F401
from waiting import until  # noqa: E402


async def _reveal(pilot, app, name: str, key: str) -> InstanceDetail:
    project = next(p for p in app.workspace.projects if any(s.name == name for s in p.store.get("servers").values()))
    sid = next(s.id for s in project.store.get("servers").values() if s.name == name)
    app.flows.open_detail(sid, project)
    await until(pilot, lambda: isinstance(app.screen, InstanceDetail) and app.screen.part("#detail-body", Static),
                what=f"{name}'s detail")
    screen = app.screen
    await pilot.press(key)
    await until(pilot, lambda: isinstance(app.screen, ConfirmDialog), what="the confirmation")
    await pilot.press("y")
    return screen


async def test_the_passphrase_never_reaches_the_log(tmp_path, debug_log):  # noqa: F811 (the fixture)
    with DemoCloudThread(Knobs(delay_scale=0.0, seed=6, ssh=False), state_dir=tmp_path / "demo") as demo:
        profile = find_profile(load_profiles(config_file=demo.cloud.write_config(tmp_path / "config")), CLOUD_NAME)
        app = ExotuiApp(Workspace([profile], intervals=Intervals(fast=0.1, idle=0.5)))
        copied: list[str] = []
        async with app.run_test(size=(100, 30)) as pilot:
            app.copy_to_clipboard = copied.append
            await until(pilot, lambda: app.workspace is not None and len(app.workspace.projects) == 2 and all(
                p.store.state("servers").loaded for p in app.workspace.projects), timeout=30, what="both projects")
            screen = await _reveal(pilot, app, "notebook", "p")  # the tag
            await until(pilot, lambda: EXOSPHERE_PASSPHRASE in str(screen.query_one("#detail-body", Static).render()),
                        what="the passphrase shown")
            await pilot.press("c")
            await until(pilot, lambda: copied == [EXOSPHERE_PASSPHRASE], what="copied")
            await pilot.press("escape")
            await until(pilot, lambda: len(app.screen_stack) == 1, what="back")
            await _reveal(pilot, app, "workshop-vm-1", "c")  # os-server-password
            await until(pilot, lambda: copied[-1:] == [EXOSPHERE_FRESH_PASSPHRASE], what="the fresh one copied")
        assert app._exception is None
    for handler in logging.getLogger().handlers:
        handler.flush()
    text = "".join(p.read_text(errors="replace") for p in debug_log.parent.glob("exotui.log*"))
    assert "os-server-password" in text and "GET" in text, "the requests were logged: the scan is about something"
    for secret in (EXOSPHERE_PASSPHRASE, EXOSPHERE_FRESH_PASSPHRASE):
        for piece in (secret, secret[:12], secret[-12:], secret.replace(" ", "%20")[:20]):
            assert piece not in text, f"a piece of a passphrase in the log: {piece!r}"

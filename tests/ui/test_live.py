"""What the header and pollers do for the project on screen: its view's kinds polled often, others not."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.timeout(120)


async def test_the_view_on_screen_is_watched(open_ui):
    async with open_ui() as ui:
        app = ui.app
        assert {"servers", "floating_ips"} <= ui.project.poller.watched
        others = [p for p in app.workspace.projects if p is not ui.project]
        assert others and all(not p.poller.watched for p in others)
        app.show_view("volumes")
        assert "volumes" in ui.project.poller.watched
        app.action_back()
        assert "volumes" not in ui.project.poller.watched and "servers" in ui.project.poller.watched

"""The launch form driven with the Pilot on the demo cloud (user data from a file, boot from a new volume, a
floating IP once ACTIVE, count), what the cloud then holds read back with openstacksdk; the quota check and
Nova's user-data limit said in one line before anything is sent; the project detail's quota meters and the
Projects view's tightest three at 80 columns."""

from __future__ import annotations

import base64
import os
import re

import openstack
import pytest
from conditions import wait_until
from openstack.config import OpenStackConfig
from textual.widgets import Checkbox, Input, OptionList, Select, Static, TextArea

from exotui.cloud.quotas import lines, tightest
from exotui.demo.app import ADMIN_CLOUD_NAME, CLOUD_NAME
from exotui.ui.dialogs.form import FormDialog
from exotui.ui.launch import BOOT_NEW_VOLUME, BOOT_VOLUME
from exotui.ui.screens.kind_detail import KindDetail
from exotui.ui.widgets.table import ResourceTable

SCRIPT = b"#cloud-config\nruncmd:\n  - echo launched from a file > /tmp/exotui\n"


async def _open_form(ui) -> FormDialog:
    await ui.pilot.press("n")
    await ui.until(lambda: isinstance(ui.app.screen, FormDialog), what="the launch form")
    return ui.app.screen


def _error(form: FormDialog) -> str:
    return str(form.query_one(".dialog-error", Static).render())


@pytest.fixture()
def sdk(demo_dir, tmp_path, demo, monkeypatch):
    """openstacksdk as the member, and as the admin (who alone sees a server's user data, as in Nova)."""
    path = demo.cloud.write_config(tmp_path, operators=True)
    monkeypatch.setenv("OS_CLIENT_CONFIG_FILE", str(path))
    config = OpenStackConfig(config_files=[str(path)], secure_files=[])
    member = openstack.connection.Connection(config=config.get_one(CLOUD_NAME, project_name="CIS240112"))
    admin = openstack.connection.Connection(config=config.get_one(ADMIN_CLOUD_NAME))
    yield member, admin
    member.close()
    admin.close()


async def test_launch_with_user_data_from_a_file_a_new_volume_and_a_floating_ip(open_ui, sdk, tmp_path):
    member, admin = sdk
    script = tmp_path / "boot.yaml"
    script.write_bytes(SCRIPT)
    async with open_ui() as ui:
        fips_before = set(ui.store.get("floating_ips"))
        form = await _open_form(ui)
        form.query_one("#field-boot", Select).value = BOOT_NEW_VOLUME
        form.query_one("#field-name", Input).value = "ui-options"
        form.query_one("#field-volume_gb", Input).value = "10"
        await ui.pilot.press("ctrl+s")
        await ui.until(lambda: "the image needs at least 20" in _error(form), what="the image's min disk said")
        form.query_one("#field-name", Input).value = ""
        form.query_one("#field-volume_gb", Input).value = "30"
        form.query_one("#field-user_data", TextArea).insert(str(script))
        form.query_one("#field-floating_ip", Checkbox).focus()
        await ui.pilot.press("space")
        assert form.query_one("#field-floating_ip", Checkbox).value
        form.query_one("#field-name", Input).focus()
        await ui.pilot.press(*"ui-options", "enter")
        await ui.until(lambda: not isinstance(ui.app.screen, FormDialog), what="the form accepted")

        def launched():
            return next((s for s in ui.store.get("servers").values() if s.name == "ui-options"), None)

        await ui.until(lambda: launched() is not None, what="the new server")
        sid = launched().id
        ui.booted.append(sid)
        await ui.until(lambda: launched().status == "ACTIVE", timeout=30, what="ACTIVE")
        await ui.until(lambda: set(ui.store.get("floating_ips")) - fips_before, timeout=30, what="its floating IP")
        (fid,) = set(ui.store.get("floating_ips")) - fips_before
        try:
            await ui.app.workers.wait_for_complete()
            server = member.compute.get_server(sid)
            assert not (server.image or {}).get("id"), "booted from a volume, not the image"
            (attached,) = server.attached_volumes
            volume = member.block_storage.get_volume(attached["id"])
            assert volume.size == 30 and volume.is_bootable and volume.attachments[0]["server_id"] == sid
            ports = {p.id for p in member.network.ports(device_id=sid)}
            fip = member.network.get_ip(fid)
            assert fip.port_id in ports
            assert base64.b64decode(admin.compute.get_server(sid).user_data) == SCRIPT
            posts = [s for s in ui.sent if s[1:] == ("POST", "/servers")]
            assert len(posts) == 1, "sent once"
        finally:
            member.network.delete_ip(fid)


async def test_a_launch_past_the_quota_says_which_and_sends_nothing(open_ui):
    async with open_ui() as ui:
        form = await _open_form(ui)
        form.query_one("#field-count", Input).value = "40"
        form.query_one("#field-name", Input).focus()
        await ui.pilot.press(*"ui-many", "enter")
        await ui.until(lambda: _error(form), what="the form's error")
        said = _error(form)
        assert said.startswith("over quota: Instances needs 40, ") and "\n" not in said, said
        form.query_one("#field-least", Input).value = "1"  # Nova may build as many as fit, at least one
        form.query_one("#field-count", Input).value = "40"
        form.query_one("#field-floating_ip", Checkbox).value = True
        await ui.pilot.press("ctrl+s")
        await ui.until(lambda: "Floating IPs" in _error(form), what="the floating IPs' quota")
        assert _error(form).startswith("over quota: Floating IPs needs "), _error(form)
        assert ui.app.screen is form and not [s for s in ui.sent if s[1:] == ("POST", "/servers")]


async def test_user_data_past_novas_limit_or_unreadable_is_said_in_the_form(open_ui, tmp_path):
    big = tmp_path / "big.sh"
    big.write_bytes(b"#!/bin/sh\n" + b"x" * 60000)
    async with open_ui() as ui:
        form = await _open_form(ui)
        form.query_one("#field-name", Input).value = "ui-big"
        area = form.query_one("#field-user_data", TextArea)
        area.insert(str(big))
        await ui.pilot.press("ctrl+s")
        await ui.until(lambda: _error(form), what="the form's error")
        assert _error(form) == ("the user data is too long: 60,010 bytes is 80,016 in base64; Nova takes at most "
                                "65,535 (49,151 bytes)")
        big.write_bytes(b"x" * 3_000_000)  # said by its size, not read whole
        await ui.pilot.press("ctrl+s")
        await ui.until(lambda: "3,000,000 bytes" in _error(form), what="the bigger file's size")
        area.load_text(str(tmp_path / "missing.sh"))
        await ui.pilot.press("ctrl+s")
        await ui.until(lambda: "cannot read" in _error(form), what="the missing file said")
        fifo = tmp_path / "fifo"
        os.mkfifo(fifo)  # opening it would wait for a writer: the form says so instead of hanging
        area.load_text(str(fifo))
        await ui.pilot.press("ctrl+s")
        await ui.until(lambda: "is not a file" in _error(form), what="the FIFO refused")
        assert not [s for s in ui.sent if s[1:] == ("POST", "/servers")]


async def test_the_project_detail_has_a_meter_for_every_quota(open_ui):
    async with open_ui() as ui:
        ui.app.show_view("projects")
        await ui.pilot.pause()
        table = ui.app.query_one("#table-projects", ResourceTable)
        ident = str(ui.project.key)
        await ui.until(lambda: ident in table.shown, what="the project's row")
        row = ui.row_text(ident, "projects")
        for line in tightest(ui.store.get("quotas")):
            assert f"{line.name.short} {line.share:.0%}" in row, row
        servers = list(ui.store.get("servers").values())
        up = sum(1 for s in servers if s.status == "ACTIVE")
        assert re.findall(r"\d+/\d*", row) == [f"{up}/{len(servers)}"], f"no used/limit cut at 80 columns: {row}"
        await ui.pilot.press("d")
        await ui.until(lambda: isinstance(ui.app.screen, KindDetail), what="the project detail")
        body = ui.app.screen.query_one("#kind-body", OptionList)
        await ui.until(lambda: body.option_count > 20, what="the detail drawn")
        shown = [str(body.get_option_at_index(i).prompt) for i in range(body.option_count)]
        for heading in ("Compute quotas", "Volume quotas", "Network quotas"):
            assert heading in shown, shown
        every = lines(ui.store.get("quotas"))
        assert len(every) >= 16
        for line in every:
            assert any(text.strip().startswith(line.name.title[:28]) and line.text in text for text in shown), line
        ram = next(text for text in shown if text.strip().startswith("RAM "))
        assert "GiB of" in ram and "MB" not in ram


async def test_launch_from_an_existing_bootable_volume(open_ui, sdk):
    member, _admin = sdk
    image = member.image.find_image("Featured-Ubuntu24", ignore_missing=False)
    volume = member.block_storage.create_volume(size=20, image_id=image.id, name="ui-root")
    member.block_storage.wait_for_status(volume, "available", wait=30)
    member.block_storage.set_volume_bootable_status(volume, True)
    try:
        async with open_ui() as ui:
            ui.project.poller.kick("volumes")
            await ui.until(lambda: (v := ui.store.item("volumes", volume.id)) is not None and v.bootable,
                           what="the bootable volume in the store")
            form = await _open_form(ui)
            form.query_one("#field-boot", Select).value = BOOT_VOLUME
            form.query_one("#field-volume", Select).value = volume.id
            form.query_one("#field-count", Input).value = "2"
            form.query_one("#field-name", Input).focus()
            await ui.pilot.press(*"ui-from-volume", "enter")
            await ui.until(lambda: "one volume boots one instance" in _error(form), what="count 2 refused")
            form.query_one("#field-count", Input).value = "1"
            await ui.pilot.press("ctrl+s")
            await ui.until(lambda: not isinstance(ui.app.screen, FormDialog), what="the form accepted")

            def launched():
                return next((s for s in ui.store.get("servers").values() if s.name == "ui-from-volume"), None)

            await ui.until(lambda: launched() is not None and launched().status == "ACTIVE", timeout=30,
                           what="ACTIVE")
            ui.booted.append(launched().id)
            server = member.compute.get_server(launched().id)
            assert [a["id"] for a in server.attached_volumes] == [volume.id]
            assert not (server.image or {}).get("id")
    finally:
        def gone() -> bool:
            return member.block_storage.get_volume(volume.id).status == "available"

        wait_until(gone, 30)  # the server deleted at the end of open_ui: the volume kept, detached
        member.block_storage.delete_volume(volume.id)

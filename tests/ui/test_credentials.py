"""The `:ec2` screen and the application-credential dialog on the demo cloud: EC2 credentials listed, made and
deleted (asked first), their rclone and aws configs shown and written with mode 600; an application credential
made from a form, shown once as clouds.yaml and openrc, written with mode 600, and logging in; no secret in
the log (keystoneauth, openstacksdk and urllib3 at DEBUG) nor in a notification."""

from __future__ import annotations

import configparser
import stat
import sys
from pathlib import Path

import yaml
from textual.widgets import Input

from exotui.ui.dialogs import ConfirmDialog
from exotui.ui.dialogs.form import FormDialog
from exotui.ui.dialogs.text import TextDialog
from exotui.ui.screens.credentials import Ec2Screen

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "hardening"))
import test_secrets_scan  # noqa: E402

debug_log = test_secrets_scan.debug_log  # the fixture: exotui's log as the CLI sets it up, the libraries at DEBUG

async def open_ec2(ui) -> Ec2Screen:
    for key in ("colon", *"ec2", "enter"):
        await ui.pilot.press(key)
    await ui.until(lambda: isinstance(ui.app.screen, Ec2Screen), what="the EC2 screen")
    screen = ui.app.screen
    await ui.until(lambda: "EC2 credentials ·" in str(screen.query_one("#listing-status").render()),
                   what="the list")
    return screen


async def write_shown(ui, path) -> None:
    """w in a TextDialog, then the path typed and entered."""
    await ui.pilot.press("w")
    await ui.until(lambda: isinstance(ui.app.focused, Input), what="the path field")
    ui.app.focused.value = str(path)
    await ui.pilot.press("enter")
    await ui.until(lambda: path.exists(), what=f"{path.name} written")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def notes(ui) -> str:
    return "\n".join(n.message for n in ui.app._notifications)


async def test_ec2_create_configs_and_delete(open_ui, tmp_path, debug_log):
    async with open_ui() as ui:
        screen = await open_ec2(ui)
        before = set(screen.credentials)
        await ui.pilot.press("n")
        await ui.until(lambda: len(screen.credentials) == len(before) + 1, what="a new EC2 credential")
        access = (set(screen.credentials) - before).pop()
        cred = screen.credentials[access]
        assert cred.secret and cred.project_id == ui.project.session.project_id
        screen.query_one("#listing").move_cursor(row=screen.keys.index(access))
        # rclone: shown, copied, written with mode 600, and it is the INI rclone reads
        await ui.pilot.press("r")
        await ui.until(lambda: isinstance(ui.app.screen, TextDialog), what="the rclone config")
        await ui.pilot.press("c")
        assert cred.secret in ui.app.clipboard
        rclone = tmp_path / "rclone.conf"
        await write_shown(ui, rclone)
        ini = configparser.ConfigParser()
        ini.read(rclone)
        assert ini["jetstream2"]["access_key_id"] == access and ini["jetstream2"]["secret_access_key"] == cred.secret
        assert ini["jetstream2"]["type"] == "s3"
        # aws: the credentials file, then f for the config
        await ui.until(lambda: ui.app.screen is screen, what="back on the screen")
        await ui.pilot.press("a")
        await ui.until(lambda: isinstance(ui.app.screen, TextDialog), what="the aws config")
        assert "aws_secret_access_key" in ui.app.screen.text
        await ui.pilot.press("f")
        assert "endpoint_url" in ui.app.screen.text and "secret" not in ui.app.screen.text
        await write_shown(ui, tmp_path / "aws-config")
        # an existing file is never overwritten
        await ui.pilot.press("r")
        await ui.until(lambda: isinstance(ui.app.screen, TextDialog), what="the rclone config again")
        await ui.pilot.press("w")
        ui.app.focused.value = str(rclone)
        await ui.pilot.press("enter")
        await ui.until(lambda: "exists" in str(ui.app.screen.query_one(".dialog-error").render()),
                       what="refused: the file exists")
        await ui.pilot.press("escape")
        await ui.until(lambda: ui.app.screen is screen, what="back on the screen")
        # delete: asked first, sent once
        screen.query_one("#listing").move_cursor(row=screen.keys.index(access))
        await ui.pilot.press("ctrl+d")
        await ui.until(lambda: isinstance(ui.app.screen, ConfirmDialog), what="the confirmation")
        await ui.pilot.press("y", "y")
        await ui.until(lambda: access not in screen.credentials, what="the credential gone")
        assert len([s for s in ui.sent if s[1] == "DELETE" and s[2].endswith(f"/OS-EC2/{access}")]) == 1
        assert cred.secret not in notes(ui)
    assert cred.secret not in debug_log.read_text()


async def test_application_credential_shown_once_written_and_working(open_ui, tmp_path, debug_log):
    async with open_ui() as ui:
        await open_ec2(ui)
        await ui.pilot.press("A")
        await ui.until(lambda: isinstance(ui.app.screen, FormDialog), what="the form")
        form = ui.app.screen
        await ui.until(lambda: form.query("#field-name") or form.query(Input), what="the fields")
        inputs = list(form.query(Input))
        inputs[0].value = "laptop-objui"
        inputs[1].value = "yesterday"  # refused in one line
        await ui.pilot.press("ctrl+s")
        await ui.pilot.pause()
        assert ui.app.screen is form
        inputs[1].value = "30d"
        await ui.pilot.press("ctrl+s")
        await ui.until(lambda: isinstance(ui.app.screen, TextDialog), what="the credential shown")
        dialog = ui.app.screen
        clouds = yaml.safe_load(dialog.text)
        (name, entry), = clouds["clouds"].items()
        secret = entry["auth"]["application_credential_secret"]
        assert secret and entry["auth_type"] == "v3applicationcredential"
        written = tmp_path / "clouds.yaml"
        await write_shown(ui, written)
        # the openrc of the same credential
        await ui.pilot.press("A")
        await ui.until(lambda: isinstance(ui.app.screen, FormDialog), what="the form again")
        form = ui.app.screen
        await ui.until(lambda: form.query(Input), what="the fields")
        list(form.query(Input))[0].value = "laptop-objui-2"
        await ui.pilot.press("ctrl+s")
        await ui.until(lambda: isinstance(ui.app.screen, TextDialog), what="the second credential")
        await ui.pilot.press("f")
        assert "export OS_APPLICATION_CREDENTIAL_SECRET=" in ui.app.screen.text
        await write_shown(ui, tmp_path / "openrc.sh")
        assert secret not in notes(ui)
    # the written clouds.yaml logs in (openstacksdk, as the user's laptop would)
    import openstack

    config = openstack.config.OpenStackConfig(config_files=[str(written)])
    conn = openstack.connection.Connection(config=config.get_one(cloud=name))
    assert conn.current_project_id == ui.project.key.project_id
    conn.close()
    assert secret not in debug_log.read_text()


def test_the_expiry_is_a_date_or_days_and_anything_else_one_line():
    from exotui.ui.screens.credentials import check_app_credential

    def said(expires: str) -> str | None:
        return check_app_credential({"name": "x", "expires": expires})

    assert said("") is None and said("30d") is None and said("2099-01-31") is None
    for bad in ("99999999999d", "tomorrow", "2020-01-01", "2099-13-40", "-5d"):
        assert said(bad) and "\n" not in said(bad), bad

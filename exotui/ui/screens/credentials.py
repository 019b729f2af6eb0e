"""The `:ec2` screen: the user's EC2 credentials for S3 (list, create, delete asked first) with ready-to-paste
rclone and aws configs for the cloud's S3 endpoint; and the application-credential dialog, whose secret is
shown once and exported as clouds.yaml or openrc (written with mode 600). Secrets reach only the screen,
the clipboard and files of mode 600: never a notification or the log."""

from __future__ import annotations

import datetime as dt
from typing import Any

from textual.binding import Binding

from ...cloud.credentials import (
    AppCredential,
    Ec2Credential,
    aws_config,
    clouds_yaml,
    list_ec2,
    openrc,
    rclone_config,
    s3_endpoint,
)
from ...cloud.objects import ObjectStore
from ..dialogs import ConfirmDialog
from ..dialogs.form import Field, FormDialog
from ..dialogs.text import TextDialog
from ..workers import run_guarded
from .listing import ListingScreen


def parse_expiry(text: str, now: dt.datetime | None = None) -> dt.datetime | None:
    """"2027-01-31" (end of that day, UTC) or "30d" (days from now); ValueError if neither."""
    text = text.strip()
    now = now or dt.datetime.now(dt.timezone.utc)
    if text.endswith("d") and text[:-1].isdigit():
        return now + dt.timedelta(days=int(text[:-1]))
    day = dt.date.fromisoformat(text)
    return dt.datetime(day.year, day.month, day.day, 23, 59, 59, tzinfo=dt.timezone.utc)


def check_app_credential(values: dict[str, Any]) -> str | None:
    if not values["name"].strip():
        return "the credential needs a name"
    if values["expires"].strip():
        try:
            when = parse_expiry(values["expires"])
        except (ValueError, OverflowError):  # OverflowError: 99999999d
            return "expiry: a date as 2027-01-31, or days from now as 30d, or empty for none"
        if when is not None and when <= dt.datetime.now(dt.timezone.utc):
            return "expiry: a time in the future"
    return None


class Ec2Screen(ListingScreen):
    """EC2 credentials of the user in this project; A makes an application credential."""

    columns = ("access key", "project", "user")
    BINDINGS = [
        Binding("escape", "close", "Back", tooltip="the screen before"),
        Binding("n", "create", "New", tooltip="a new EC2 credential for this project"),
        Binding("ctrl+d", "delete", "Delete", tooltip="the EC2 credential (asks first)"),
        Binding("r", "rclone", "rclone", tooltip="an rclone remote for the S3 endpoint, to copy or write (600)"),
        Binding("a", "aws", "aws", tooltip="aws CLI credentials and config for the S3 endpoint"),
        Binding("A", "app_credential", "App credential",
                tooltip="a new application credential, exported as clouds.yaml or openrc"),
        Binding("ctrl+r", "reload", "Reload", show=False, tooltip="list again"),
    ]

    def __init__(self, project) -> None:
        super().__init__(project)
        self.credentials: dict[str, Ec2Credential] = {}

    def on_mount(self) -> None:
        super().on_mount()
        self.when_composed("#listing", lambda _t: self.action_reload())

    def action_reload(self) -> None:
        run_guarded(self, self._load(), "listing EC2 credentials", group="ec2", exclusive=True)

    async def _load(self) -> None:
        self.set_bar(f"EC2 credentials (S3) │ {self.project.label}")
        try:
            creds = await list_ec2(self.project.session)
        except Exception as err:  # noqa: BLE001 (one line, never the secret: CloudError carries no body)
            self.set_status(f"cannot list EC2 credentials: {getattr(err, 'message', None) or err}")
            return
        project_id = self.project.session.project_id
        self.credentials = {c.access: c for c in creds}
        self.fill((c.access, (c.access, c.project_id[:12] + (" (this one)" if c.project_id == project_id else ""),
                              c.user_id[:12])) for c in creds)
        self.set_status(f"{len(creds)} EC2 credentials · r: rclone · a: aws · n: new · A: application credential")

    def _current(self) -> Ec2Credential | None:
        cred = self.credentials.get(self.current or "")
        if cred is None:
            self.app.notify("no EC2 credential here: n makes one", severity="warning", timeout=3)
        return cred

    def _flows(self, what: str):
        flows = self.app.flows  # type: ignore[attr-defined]
        return None if flows.read_only(self.project, what) else flows

    def action_create(self) -> None:
        if (flows := self._flows("create EC2 credentials")) is not None:
            run_guarded(self, self._create(flows), "create EC2 credentials", group="ec2-write")

    async def _create(self, flows) -> None:
        result = await flows.run(self.project, "create EC2 credentials", self.project.actions.create_ec2)
        if result is not None and result.ok:
            self.action_reload()

    def action_delete(self) -> None:
        cred = self._current()
        if cred is not None and (flows := self._flows("delete EC2 credentials")) is not None:
            run_guarded(self, self._delete(flows, cred), "delete EC2 credentials", group="ec2-write")

    async def _delete(self, flows, cred: Ec2Credential) -> None:
        if not await self.app.push_screen_wait(ConfirmDialog(
                f"Delete EC2 credentials {cred.access}?",
                "Tools configured with them (rclone, aws, s3cmd) stop working.")):
            return
        result = await flows.run(self.project, f"delete EC2 credentials {cred.access}",
                                 lambda: self.project.actions.delete_ec2(cred.access))
        if result is not None and result.ok:
            self.action_reload()

    async def _endpoint(self) -> tuple[str, str]:
        try:
            store = await ObjectStore(self.project.session).endpoint()
        except Exception:  # noqa: BLE001 (no object store in the catalog: the auth URL's host)
            store = None
        return s3_endpoint(store, self.project.profile.auth_url)

    def action_rclone(self) -> None:
        cred = self._current()
        if cred is not None:
            run_guarded(self, self._show_config(cred, "rclone"), "rclone config", group="config")

    def action_aws(self) -> None:
        cred = self._current()
        if cred is not None:
            run_guarded(self, self._show_config(cred, "aws"), "aws config", group="config")

    async def _show_config(self, cred: Ec2Credential, tool: str) -> None:
        endpoint, region = await self._endpoint()
        if tool == "rclone":
            dialog = TextDialog(f"rclone remote for {endpoint}", rclone_config(cred, endpoint),
                                note="add to ~/.config/rclone/rclone.conf; then: rclone lsd jetstream2:",
                                file_hint="~/.config/rclone/rclone.conf (a new file)")
        else:
            creds, config = aws_config(cred, endpoint, region)
            dialog = TextDialog(f"aws CLI profile for {endpoint}", creds, formats=(
                ("~/.aws/credentials", creds, "~/.aws/credentials (a new file)"),
                ("~/.aws/config", config, "~/.aws/config (a new file)")),
                note="then: aws --profile jetstream2 s3 ls")
        await self.app.push_screen_wait(dialog)

    def action_app_credential(self) -> None:
        if (flows := self._flows("create application credential")) is not None:
            run_guarded(self, app_credential_flow(self.app, flows, self.project), "application credential",
                        group="appcred")


async def app_credential_flow(app, flows, project) -> AppCredential | None:
    """Name, expiry and roles asked; the credential made; its secret shown once as clouds.yaml or openrc."""
    values = await app.push_screen_wait(FormDialog("Create an application credential", [
        Field("name", "Name", placeholder="laptop"),
        Field("expires", "Expires", placeholder="2027-01-31, 30d, or empty: never"),
        Field("roles", "Roles", placeholder="member, reader (empty: all of yours)"),
        Field("description", "Description")], validate=check_app_credential, submit="Create"))
    if values is None:
        return None
    name = values["name"].strip()
    expires = parse_expiry(values["expires"]) if values["expires"].strip() else None
    roles = [r.strip() for r in values["roles"].split(",") if r.strip()] or None
    result = await flows.run(project, f"create application credential {name}",
                             lambda: project.actions.create_app_credential(
                                 name, description=values["description"] or None, expires_at=expires, roles=roles))
    if result is None or not result.ok or not isinstance(result.value, AppCredential):
        return None
    cred: AppCredential = result.value
    auth_url = project.profile.auth_url or ""
    region = project.key.region or None
    cloud = f"{project.key.cloud}-{cred.name}".replace(" ", "-")
    await app.push_screen_wait(TextDialog(
        f"Application credential {cred.name}", "", formats=(
            ("clouds.yaml", clouds_yaml(cred, auth_url, region, cloud), "~/clouds.yaml (a new file)"),
            ("openrc", openrc(cred, auth_url, region), "~/app-cred-openrc.sh (a new file)")),
        note="its secret is shown this once: copy it or write it now"))
    return cred

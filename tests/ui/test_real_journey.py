"""One user's journey through the real App, driven with the Pilot at 80x24, on the real stack (real Keystone,
Nova with its fake virt driver, Neutron, Cinder, Glance: tests/realcloud/stack.py): launch from the form, stop and
start from the action menu, the SSH doctor's verdict, delete after its question. The demo cloud walks each step in
many tests; this one proves the screens make no assumption only the demo keeps. Nova's side is read back with
openstacksdk after each step."""

from __future__ import annotations

import re
import secrets
import sys
from pathlib import Path

import openstack
import pytest
from textual.widgets import Input, OptionList, Select
from waiting import until

from exotui.cloud.poller import Intervals
from exotui.cloud.profiles import find_profile, load_profiles
from exotui.cloud.workspace import Workspace
from exotui.ui.app import ExotuiApp
from exotui.ui.dialogs.choice import ChoiceDialog
from exotui.ui.dialogs.confirm import ConfirmDialog
from exotui.ui.dialogs.form import FormDialog
from exotui.ui.flows import DOCTOR
from exotui.ui.screens.doctor import DoctorScreen
from exotui.ui.widgets.table import ResourceTable

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "cloud"))
from clouds import NETWORK, REAL_CLOUD, require_real_stack  # noqa: E402

pytestmark = [pytest.mark.realcloud, pytest.mark.slow, pytest.mark.timeout(400)]


@pytest.fixture()
def real_cloud(monkeypatch):
    """The real stack's clouds.yaml (skips, or fails where the tier is required, when it is not up), and
    openstacksdk on it as the same user."""
    clouds_yaml = require_real_stack()
    monkeypatch.setenv("OS_CLIENT_CONFIG_FILE", str(clouds_yaml))
    conn = openstack.connect(cloud=REAL_CLOUD)
    yield clouds_yaml, conn
    conn.close()


async def choose(pilot, app, action: str) -> None:
    """`a` on the instance under the cursor, then the arrow keys to `action` and enter, as a user does."""
    await pilot.press("a")
    await until(pilot, lambda: isinstance(app.screen, ChoiceDialog), what="the action menu")
    options = app.screen.query_one(OptionList)
    target = options.get_option_index(action)
    await until(pilot, lambda: options.highlighted is not None, what="the menu's highlight")
    while options.highlighted != target:
        await pilot.press("down" if options.highlighted < target else "up")
    await pilot.press("enter")


async def test_launch_stop_start_doctor_and_delete_on_the_real_stack(real_cloud):
    clouds_yaml, conn = real_cloud
    name = f"ui-journey-{secrets.token_hex(3)}"
    profile = find_profile(load_profiles(config_file=clouds_yaml, env={}), REAL_CLOUD)
    app = ExotuiApp(Workspace([profile], intervals=Intervals(fast=0.2, idle=1.0)))
    app.read_usage = False
    try:
        async with app.run_test(size=(80, 24)) as pilot:
            def project():
                return app.project

            await until(pilot, lambda: project() is not None and project().store.state("servers").loaded
                        and project().store.state("flavors").loaded and project().store.state("images").loaded
                        and project().store.state("networks").loaded, timeout=60, what="the project to load")
            store = project().store

            def mine():
                return next((s for s in store.get("servers").values() if s.name == name), None)

            # launch: n, the name typed, the network picked, enter
            await pilot.press("n")
            await until(pilot, lambda: isinstance(app.screen, FormDialog), timeout=30, what="the launch form")
            form = app.screen
            network = next(n.id for n in store.get("networks").values() if n.name == NETWORK)
            form.query_one("#field-network", Select).value = network
            form.query_one("#field-name", Input).focus()
            await pilot.press(*name, "enter")
            await until(pilot, lambda: not isinstance(app.screen, FormDialog), timeout=30, what="the form accepted")
            await until(pilot, lambda: mine() is not None and mine().status == "ACTIVE", timeout=120,
                        what="the new instance ACTIVE in the table")
            sid = mine().id
            assert conn.compute.get_server(sid).status == "ACTIVE"
            table = app.query_one("#table-servers", ResourceTable)
            await until(pilot, lambda: sid in table.shown, what="its row")

            # stop, then start, from the action menu
            for action, status in (("stop", "SHUTOFF"), ("start", "ACTIVE")):
                table.cursor = table.shown.index(sid)
                table.focus()
                await choose(pilot, app, action)
                if action == "stop":  # it asks first (what stopping still costs); start does not
                    await until(pilot, lambda: isinstance(app.screen, ConfirmDialog), what="the stop question")
                    await pilot.press("y")
                await until(pilot, lambda wanted=status: mine().status == wanted and not mine().task_state,
                            timeout=120, what=f"{status} after {action}")
                assert conn.compute.get_server(sid).status == status
                assert sum(a.action == action for a in conn.compute.server_actions(sid)) == 1, "sent once"

            # the SSH doctor: an instance with no floating IP on a cloud that gave it none
            table.cursor = table.shown.index(sid)
            await choose(pilot, app, DOCTOR)
            await until(pilot, lambda: isinstance(app.screen, DoctorScreen), what="the doctor")
            doctor = app.screen

            def body() -> str:
                return str(doctor.query_one("#doctor-body").render())

            await until(pilot, lambda: "instance status" in body() and "floating ip" in body().lower(),
                        timeout=60, what="the doctor's checks")
            said = body()
            assert "[ok  ] instance status: ACTIVE" in said
            # the fix: a free floating IP of the project's assigned (other tests may have left one), else a new one
            assert "[FAIL] floating IP or jump host" in said and (
                f"allocate a floating IP and assign it to {name}" in said
                or re.search(rf"assign the free floating IP \S+ to {name}", said)), said
            assert "[ok  ] router to the Internet" in said  # the real stack's router, found as on the demo
            await pilot.press("escape")
            await until(pilot, lambda: not isinstance(app.screen, DoctorScreen), what="back from the doctor")

            # delete: ctrl+d asks; y deletes, once
            table.cursor = table.shown.index(sid)
            table.focus()
            await pilot.press("ctrl+d")
            await until(pilot, lambda: isinstance(app.screen, ConfirmDialog), what="the delete question")
            await pilot.press("y")
            await until(pilot, lambda: mine() is None, timeout=120, what="the row gone")
            assert conn.compute.find_server(sid) is None or conn.compute.get_server(sid).status == "DELETED"
    finally:
        for server in conn.compute.servers(name=f"^{name}$"):
            conn.compute.delete_server(server, force=False)

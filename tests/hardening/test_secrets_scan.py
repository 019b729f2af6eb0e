"""The secrets scan: after sessions that used a password, an application credential, wrong ones of both,
and tokens renewed mid-session, no password, secret or token is in the log file, on any screen, in any
notification or error, or in what the processes printed.

Everything runs against a demo cloud of the test's own over HTTP: the dashboard driven by Pilot in this
process (its log written with the libraries at DEBUG, the worst case for a leak: they then log every
request), and `exotui doctor` in child processes, as a user would run it.
"""

from __future__ import annotations

import html
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from textual.worker import Worker, WorkerState

from exotui import logs
from exotui.cli import _loaded
from exotui.cloud.poller import Intervals
from exotui.cloud.profiles import load_profiles
from exotui.cloud.store import KINDS
from exotui.cloud.workspace import Workspace
from exotui.demo.app import APPCRED_CLOUD_NAME, CLOUD_NAME, DemoCloudThread
from exotui.demo.seed import DEMO_APPCRED_SECRET, DEMO_PASSWORD, DEMO_PROJECTS
from exotui.demo.world import Knobs
from exotui.ui.app import Breadcrumb, ExotuiApp
from exotui.ui.screens.detail import InstanceDetail
from exotui.ui.dialogs import ChoiceDialog
from exotui.ui.screens.doctor import DoctorScreen
from exotui.ui.screens.help import HelpScreen
from exotui.ui.screens.netmap import NetMapScreen
from exotui.ui.widgets.views import view_for

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "ui"))
from screens import screen_rows  # beside this file
from waiting import down_to_an_instance, settled_screenshot, until  # tests/ui's helpers (tests/ is not a package)

WRONG_PASSWORD = "Wrong-Pa55word-never-shown"
WRONG_SECRET = "wrong-appcred-Secret-never-shown"
WRONG_PASSWORD_CLOUD, WRONG_SECRET_CLOUD = "wrong-password", "wrong-secret"
LIBRARIES = ("keystoneauth", "keystoneauth1", "openstack", "urllib3")

def pieces(secret: str) -> list[str]:
    """The secret, and for a long one (a token) its start and middle too: a narrow column or a cut line
    would show only part of it."""
    if len(secret) < 40:
        return [secret]
    return [secret, secret[:24], secret[len(secret) // 2:len(secret) // 2 + 24]]


def leaks(secrets: dict[str, str], places: dict[str, str]) -> list[str]:
    """'what in where' for every piece of every secret found in any place."""
    found = []
    for where, text in places.items():
        for what, secret in secrets.items():
            if any(piece in text for piece in pieces(secret)):
                found.append(f"{what} in {where}")
    return found


def test_the_scan_finds_what_it_looks_for():
    token = "gAAAAA" + "x1y2z3" * 20
    svg = ('<text class="t-r1" x="0" y="20">gAAAAAx1y2z3x1y2z3x1y2z3&#160;</text>'
           '<text class="t-r2" x="40" y="20">more</text>')
    places = {"screen": "\n".join(screen_rows(svg)), "log": f"pw={DEMO_PASSWORD}", "clean": "nothing here"}
    assert leaks({"token": token, "password": DEMO_PASSWORD}, places) == ["token in screen", "password in log"]


@pytest.fixture()
def cloud(tmp_path):
    """A demo cloud of the test's own: its tokens are the ones this test's sessions were given."""
    with DemoCloudThread(Knobs(delay_scale=0.0, seed=5, ssh=False), state_dir=tmp_path / "demo") as demo:
        yield demo


@pytest.fixture()
def clouds_yaml(cloud, tmp_path) -> Path:
    """The demo's two clouds (password, application credential) and a wrong copy of each."""
    config = yaml.safe_load(cloud.cloud.write_config(tmp_path / "demo-config").read_text())
    clouds = config["clouds"]
    wrong_password = yaml.safe_load(yaml.safe_dump(clouds[CLOUD_NAME]))
    wrong_password["auth"]["password"] = WRONG_PASSWORD
    wrong_secret = yaml.safe_load(yaml.safe_dump(clouds[APPCRED_CLOUD_NAME]))
    wrong_secret["auth"]["application_credential_secret"] = WRONG_SECRET
    clouds.update({WRONG_PASSWORD_CLOUD: wrong_password, WRONG_SECRET_CLOUD: wrong_secret})
    path = tmp_path / "clouds.yaml"
    path.write_text(yaml.safe_dump(config))
    os.chmod(path, 0o600)
    return path


@pytest.fixture()
def debug_log(tmp_path):
    """exotui's log as the CLI sets it up, with the libraries turned up to DEBUG; put back afterwards."""
    levels = {name: logging.getLogger(name).level for name in LIBRARIES}
    root_level = logging.getLogger().level
    path = logs.setup_logging(tmp_path / "state", max_bytes=256 * 1024 * 1024)  # no line rotated away unread
    for name in LIBRARIES:
        logging.getLogger(name).setLevel(logging.DEBUG)
    yield path
    root = logging.getLogger()
    if logs._installed is not None:
        root.removeHandler(logs._installed)
        logs._installed.close()
        logs._installed = None
    logging.captureWarnings(False)
    root.setLevel(root_level)
    for name, level in levels.items():
        logging.getLogger(name).setLevel(level)


class Recorder:
    """Everything the session showed or said: screens, notifications, errors."""

    def __init__(self) -> None:
        self.screens: list[str] = []
        self.notes: list[str] = []
        self.errors: list[str] = []
        self.tokens: set[str] = set()  # the X-Subject-Token each project's session held at the end

    def hook(self, message) -> None:
        if isinstance(message, Worker.StateChanged) and message.state == WorkerState.ERROR:
            self.errors.append(f"worker {message.worker.name}: {message.worker.error!r}")

    def snap(self, app: ExotuiApp) -> None:
        self.screens.append(app.export_screenshot(title="exotui"))

    async def snap_settled(self, pilot, app: ExotuiApp, ready=lambda: True, what: str = "") -> None:
        self.screens.append(await settled_screenshot(pilot, app, ready, what=what))

    def places(self) -> dict[str, str]:
        found = {}
        for n, svg in enumerate(self.screens):
            rows = screen_rows(svg)
            # rows as shown, and run together: a secret cut at the right edge would go on the next row
            found[f"screen {n}"] = "\n".join(rows) + "\n" + "".join(rows) + "\n" + html.unescape(svg)
        found["notifications"] = "\n".join(self.notes)
        found["errors"] = "\n".join(self.errors)
        return found


def _crumb(app: ExotuiApp) -> str:
    return str(app.screen_stack[0].query_one(Breadcrumb).render())


def _expire_every_token(world) -> None:
    """Keystone forgets every token at once, before the clients expect it: their next call gets a 401."""
    for token in world.tokens.values():
        token["expires"] = world.now()


async def _drive(app: ExotuiApp, cloud, record: Recorder) -> None:
    """A session over every screen, a refused login of each kind, an action, a fault and a token expiry."""
    async with app.run_test(size=(120, 40), message_hook=record.hook, notifications=True) as pilot:
        workspace = app.workspace
        await until(pilot, lambda: len(workspace.projects) == len(DEMO_PROJECTS) + 1 and len(workspace.problems) == 2
                    and all(p.store.state(k).loaded for p in workspace.projects for k in ("servers", "flavors")),
                    timeout=30, what="every project loaded and both wrong clouds refused")
        await record.snap_settled(pilot, app, what="the first screen")
        assert "cannot open cloud" in "".join(screen_rows(record.screens[0])), "the toasts are drawn"
        for view in ("vol", "net", "fips", "sg", "images", "keypairs", "projects", "servers"):
            await pilot.press("colon", *view, "enter")
            await record.snap_settled(pilot, app, lambda: app.current_view == view_for(view), what=f":{view}")
        await pilot.press("w")
        await record.snap_settled(pilot, app, what="the wide view")
        await pilot.press("w", "enter")  # the first instance's detail, then its console log
        await until(pilot, lambda: isinstance(app.screen, InstanceDetail), what="the detail screen")
        await record.snap_settled(pilot, app, what="the detail screen")
        await pilot.press("l")
        await record.snap_settled(pilot, app, what="the console log")
        await pilot.press("a")
        await until(pilot, lambda: isinstance(app.screen, ChoiceDialog), what="the action menu")
        record.snap(app)
        await pilot.press("escape", "escape")
        await pilot.press("question_mark")
        await record.snap_settled(pilot, app, lambda: isinstance(app.screen, HelpScreen), what="help")
        await pilot.press("escape", "colon", *"map", "enter")
        await record.snap_settled(pilot, app, lambda: isinstance(app.screen, NetMapScreen), what="the map")
        await down_to_an_instance(pilot, app.screen)
        await pilot.press("d")  # the SSH doctor on the map's node
        await record.snap_settled(pilot, app, lambda: isinstance(app.screen, DoctorScreen), what="the doctor")
        await pilot.press("escape", "escape")
        await until(pilot, lambda: len(app.screen_stack) == 1, what="back on the dashboard")

        # an action on an instance, as the menu sends it
        project = app.project
        server = next(s for s in project.store.get("servers").values() if s.status == "ACTIVE")
        await app.flows.run_on_servers(project, [server], "lock")
        await until(pilot, lambda: project.store.item("servers", server.id).locked, what="the lock")
        record.snap(app)

        # every token dies at once: the sessions log in again (401, then a new token) without a word
        issued = len(cloud.world.tokens)
        cloud.call(_expire_every_token, cloud.world)
        for p in workspace.projects:
            p.poller.kick(*KINDS)
        await until(pilot, lambda: len(cloud.world.tokens) >= issued + len(workspace.projects), timeout=30,
                    what="new tokens for every project")
        await until(pilot, lambda: "● live" in _crumb(app), timeout=30, what="live again")
        record.snap(app)

        # the cloud fails for a while: the error line shows in the header
        cloud.world.knobs.error_rate = 1.0
        await until(pilot, lambda: "⚠" in _crumb(app), timeout=30, what="the stale marker")
        record.snap(app)
        cloud.world.knobs.error_rate = 0.0
        await until(pilot, lambda: "● live" in _crumb(app), timeout=30, what="live again")

        # the application credential's project
        app.select_project(next(p for p in workspace.projects if p.key.cloud == APPCRED_CLOUD_NAME))
        await record.snap_settled(pilot, app, lambda: APPCRED_CLOUD_NAME in _crumb(app), what="its project")
        await pilot.press("colon", *"projects", "enter")
        await record.snap_settled(pilot, app, lambda: app.current_view == "projects", what=":projects")
        for p in workspace.projects:
            record.errors += [f"{p.key} {k}: {p.store.state(k).last_error}" for k in KINDS
                              if p.store.state(k).last_error]
            record.tokens.add(p.session._conn.auth_token)
        record.errors += [f"{problem.cloud}: {problem.message}" for problem in workspace.problems]


def _doctor(cloud_name: str, clouds_yaml: Path, state: Path) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OS_")}
    env.update(OS_CLIENT_CONFIG_FILE=str(clouds_yaml), EXOTUI_STATE_DIR=str(state))
    done = subprocess.run([sys.executable, "-m", "exotui", "--cloud", cloud_name, "doctor", "web-frontend"],
                          check=False, capture_output=True, text=True, timeout=120, env=env,
                          stdin=subprocess.DEVNULL)
    return done.stdout + done.stderr


async def test_no_secret_anywhere_after_sessions_of_every_kind(cloud, clouds_yaml, debug_log, tmp_path, capfd):
    profiles = load_profiles(config_file=clouds_yaml, env={})
    _loaded(profiles)  # what the CLI does first: the clouds' secrets join the log's redaction
    record = Recorder()
    app = ExotuiApp(Workspace(profiles, intervals=Intervals(fast=0.2, idle=0.5, others=2.0, max_backoff=1.0)))
    original_notify = app.notify

    def notify(message, *, title="", **kwargs):
        record.notes.append(f"{title}: {message}")
        return original_notify(message, title=title, **kwargs)

    app.notify = notify
    await _drive(app, cloud, record)
    printed_here = capfd.readouterr()

    # the same clouds from the command line, each in a process of its own
    doctor_state = tmp_path / "doctor-state"
    doctor = {name: _doctor(name, clouds_yaml, doctor_state)
              for name in (CLOUD_NAME, APPCRED_CLOUD_NAME, WRONG_PASSWORD_CLOUD, WRONG_SECRET_CLOUD)}

    log_text = "\n".join(p.read_text() for p in sorted(debug_log.parent.glob("exotui.log*")))
    doctor_logs = "\n".join(p.read_text() for p in sorted(doctor_state.glob("exotui.log*")))
    tokens = set(cloud.world.tokens)

    # the scan is about something: both kinds of login and their refusals happened, tokens were renewed,
    # the libraries logged the requests, and every screen was seen
    assert record.tokens <= tokens and len(record.tokens) == len(DEMO_PROJECTS) + 1
    methods = {m for t in cloud.world.tokens.values() for m in t["methods"]}
    assert {"password", "application_credential"} <= methods
    assert len(tokens) >= 2 * (len(DEMO_PROJECTS) + 1) + 2, "the sessions should have logged in again"
    notes = "\n".join(record.notes)
    assert f"{WRONG_PASSWORD_CLOUD}: authentication failed" in notes
    assert f"{WRONG_SECRET_CLOUD}: authentication failed for application credential" in notes
    assert "lock" in notes and len(record.screens) >= 20
    assert "/auth/tokens" in log_text and "/servers/detail" in log_text
    assert "X-Auth-Token: ***" in log_text, "keystoneauth logs a token's hash; the redactor hides even that"
    assert "authentication failed" in doctor[WRONG_PASSWORD_CLOUD] + doctor[WRONG_SECRET_CLOUD]
    assert "web-frontend" in doctor[CLOUD_NAME] and "web-frontend" in doctor[APPCRED_CLOUD_NAME]
    assert not [e for e in record.errors if e.startswith("worker")], record.errors

    secrets = {"the password": DEMO_PASSWORD, "the application credential secret": DEMO_APPCRED_SECRET,
               "the wrong password": WRONG_PASSWORD, "the wrong secret": WRONG_SECRET}
    secrets.update({f"token {t[:10]}…": t for t in tokens})
    places = record.places()
    places.update({"the log file": log_text, "the doctor's log file": doctor_logs,
                   "this process's output": printed_here.out + printed_here.err})
    places.update({f"the output of `exotui doctor --cloud {name}`": out for name, out in doctor.items()})
    assert leaks(secrets, places) == []

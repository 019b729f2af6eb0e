"""The bad-input matrix: each broken config, refused login, dead endpoint, expired token and odd name gets
one plain line or renders sanely, never a traceback.

Rows already proven elsewhere are not repeated here: the profile layer's messages (tests/cloud/
test_profiles.py), the dashboard's exit on an unknown cloud or a broken clouds.yaml (tests/ui/test_shell.py),
a token expiring in the cloud layer (tests/cloud/test_faults.py). This file takes the same inputs through the
other doors: `exotui doctor` and `--openrc` on the command line, and the running dashboard.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from rich.cells import cell_len
from textual.widgets import Input, OptionList, Select, Static
from textual.widgets._toast import Toast
from textual.worker import Worker, WorkerState

from exotui.cloud.poller import Intervals
from exotui.cloud.profiles import find_profile, load_profiles
from exotui.cloud.store import KINDS
from exotui.cloud.workspace import Workspace
from exotui.demo import glance, keystone
from exotui.demo.app import CLOUD_NAME
from exotui.demo.seed import DEMO_APPCRED_SECRET, DEMO_PASSWORD, DEMO_PROJECTS
from exotui.ui.app import Breadcrumb, ExotuiApp
from exotui.ui.screens.detail import InstanceDetail
from exotui.ui.dialogs import ChoiceDialog
from exotui.ui.dialogs.form import FormDialog
from exotui.ui.widgets.table import ResourceTable

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "ui"))
from screens import screen_rows, ui_fixtures  # beside this file
from waiting import settled_screenshot, until  # tests/ui's helpers (tests/ is not a package)

WRONG = "Not-the-Password-42"


_ui = ui_fixtures()


@pytest.fixture()
def open_ui(demo, demo_dir):
    """tests/ui's `open_ui` (the app on the demo's UI project, DemoUI's helpers), with its toasts drawn:
    Pilot leaves notifications out unless asked, and here they are under test."""

    @contextlib.asynccontextmanager
    async def opened(size: tuple[int, int] = (100, 30)):
        profile = find_profile(load_profiles(config_file=demo_dir / "clouds.yaml"), CLOUD_NAME)
        app = ExotuiApp(Workspace([profile], intervals=Intervals(fast=0.1, idle=0.5)))
        app.read_usage = False  # as tests/ui's: these tests count what the app sends
        ui = None
        try:
            async with app.run_test(size=size, notifications=True) as pilot:
                def project():
                    return next((p for p in app.workspace.projects if p.key.project_name == _ui.UI_PROJECT), None)

                await until(pilot, lambda: project() is not None and project().store.state("servers").loaded
                            and project().store.state("flavors").loaded, what="the project to load")
                app.select_project(project())
                await pilot.pause()
                ui = _ui.DemoUI(app, pilot, demo)
                yield ui
        finally:
            if ui is not None:
                ui.cleanup()

    return opened


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def demo_clouds(demo_dir: Path) -> dict:
    return yaml.safe_load((demo_dir / "clouds.yaml").read_text())["clouds"]


def expired_app_cred(demo, name: str) -> dict:
    """A clouds.yaml entry for an application credential that expired in 2020."""
    world = demo.world
    user_id = next(u["id"] for u in world.users.values() if u["name"] == "demo")
    project_id = next(p["id"] for p in world.projects.values() if p["name"] == DEMO_PROJECTS[0][0])
    if not any(c["name"] == name for c in world.app_creds.values()):
        demo.call(lambda: keystone.create_app_cred(world, user_id, project_id, name, secret=f"{name}-Secret-9",
                                                   expires_at="2020-01-01T00:00:00.000000"))
    return {"auth": {"auth_url": demo.auth_url, "application_credential_name": name, "username": "demo",
                     "user_domain_name": "Default", "application_credential_secret": f"{name}-Secret-9"},
            "auth_type": "v3applicationcredential", "region_name": "RegionOne"}


def bad_clouds(demo, demo_dir: Path) -> dict:
    """The demo's password cloud and, beside it, every way a cloud's entry can be wrong."""
    good = demo_clouds(demo_dir)[CLOUD_NAME]

    def variant(**auth) -> dict:
        cloud = yaml.safe_load(yaml.safe_dump(good))
        cloud["auth"].update(auth)
        return cloud

    no_url = variant()
    del no_url["auth"]["auth_url"]
    return {CLOUD_NAME: good, "wrong-password": variant(password=WRONG),
            "unreachable": variant(auth_url=f"http://127.0.0.1:{closed_port()}/identity/v3"),
            "expired-appcred": expired_app_cred(demo, "expired-matrix"), "no-auth-url": no_url,
            "tls": variant(auth_url=demo.auth_url.replace("http://", "https://"))}  # TLS to a plain-HTTP port


# --- the command line -------------------------------------------------------------------------------

def _exotui(*args: str, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "exotui", *args], check=False, capture_output=True, text=True,
                          timeout=120, env=env, stdin=subprocess.DEVNULL)


def _env(tmp_path: Path, clouds: Path | None) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OS_")}
    env["EXOTUI_STATE_DIR"] = str(tmp_path / "state")
    env["HOME"] = str(tmp_path)  # no ~/.config/openstack of this machine's
    env["XDG_CONFIG_HOME"] = str(tmp_path / "config")
    if clouds is not None:
        env["OS_CLIENT_CONFIG_FILE"] = str(clouds)
    return env


def _openrc(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "project-openrc.sh"
    path.write_text(text)
    os.chmod(path, 0o600)  # else a warning line comes first (tests/hardening/test_logs.py)
    return path


# row: (id, how to build the arguments and environment, words the one line must hold)
CLI_ROWS = [
    ("bad-yaml", lambda ctx: ctx.run_with_yaml("clouds:\n  x:\n    auth:\n      password: [oops\n", "doctor", "vm"),
     ["clouds.yaml line 5", "not valid YAML"]),
    ("tab-in-yaml", lambda ctx: ctx.run_with_yaml("clouds:\n\tx: {}\n", "doctor", "vm"),
     ["clouds.yaml line 2", "not valid YAML"]),
    ("no-clouds", lambda ctx: ctx.run_with_yaml("clouds: {}\n", "doctor", "vm"), ["defines no clouds"]),
    ("doctor-from-typo", lambda ctx: ctx.run_demo("--cloud", CLOUD_NAME, "doctor", "web-frontend", "--from", "wS"),
     ["--from: 'wS' is not an address"]),
    ("unknown-cloud", lambda ctx: ctx.run_demo("--cloud", "jetstream9", "doctor", "web-frontend"),
     ["no cloud named jetstream9", f"known clouds: {CLOUD_NAME}"]),
    ("os-cloud-typo", lambda ctx: ctx.run_demo("doctor", "web-frontend", OS_CLOUD="typo-cloud"),
     ["OS_CLOUD is 'typo-cloud'", "no such cloud"]),
    ("wrong-password", lambda ctx: ctx.run_bad("wrong-password"), ["authentication failed (HTTP 401)"]),
    ("unreachable", lambda ctx: ctx.run_bad("unreachable"), ["cannot connect to 127.0.0.1:", "connection refused"]),
    ("expired-appcred", lambda ctx: ctx.run_bad("expired-appcred"),
     ["application credential 'expired-matrix'", "expired"]),
    ("no-auth-url", lambda ctx: ctx.run_bad("no-auth-url"), ["auth_url"]),
    ("tls", lambda ctx: ctx.run_bad("tls"), ["TLS/SSL connection to 127.0.0.1:", "failed"]),
    ("openrc-missing", lambda ctx: ctx.run(None, "--openrc", str(ctx.tmp_path / "nope.sh"), "doctor", "vm"),
     ["cannot read openrc", "nope.sh"]),
    ("openrc-prompt", lambda ctx: ctx.run(None, "--openrc", str(_openrc(
        ctx.tmp_path, 'export OS_AUTH_URL=http://x/v3\necho "Please enter your password: "\nread -sr OS_PASSWORD\n')),
        "doctor", "vm"), ["project-openrc.sh line 2", "not an `export OS_NAME=value` line"]),
    ("openrc-wrong-password", lambda ctx: ctx.run(None, "--openrc", str(_openrc(ctx.tmp_path, ctx.openrc(WRONG))),
                                                  "doctor", "web-frontend"), ["authentication failed (HTTP 401)"]),
    ("dashboard-openrc-typo", lambda ctx: ctx.run(None, "--openrc", str(_openrc(
        ctx.tmp_path, "export OS_PASSWORD='unclosed\n"))), ["line 1", "unclosed quote"]),
]


class CommandLine:
    def __init__(self, demo, demo_dir: Path, tmp_path: Path) -> None:
        self.demo, self.demo_dir, self.tmp_path = demo, demo_dir, tmp_path

    def run(self, clouds: Path | None, *args: str, **env) -> subprocess.CompletedProcess:
        return _exotui(*args, env={**_env(self.tmp_path, clouds), **env})

    def run_with_yaml(self, text: str, *args: str) -> subprocess.CompletedProcess:
        path = self.tmp_path / "clouds.yaml"
        path.write_text(text)
        os.chmod(path, 0o600)
        return self.run(path, *args)

    def run_demo(self, *args: str, **env) -> subprocess.CompletedProcess:
        return self.run(self.demo_dir / "clouds.yaml", *args, **env)

    def run_bad(self, name: str) -> subprocess.CompletedProcess:
        path = self.tmp_path / "clouds.yaml"
        path.write_text(yaml.safe_dump({"clouds": bad_clouds(self.demo, self.demo_dir)}))
        os.chmod(path, 0o600)
        return self.run(path, "--cloud", name, "doctor", "web-frontend")

    def openrc(self, password: str) -> str:
        return (f"export OS_AUTH_URL={self.demo.auth_url}\nexport OS_USERNAME=demo\nexport OS_PASSWORD='{password}'\n"
                f"export OS_PROJECT_NAME={DEMO_PROJECTS[0][0]}\nexport OS_USER_DOMAIN_NAME=Default\n"
                "export OS_PROJECT_DOMAIN_NAME=Default\nexport OS_REGION_NAME=RegionOne\n")


@pytest.mark.parametrize("build, words", [row[1:] for row in CLI_ROWS], ids=[row[0] for row in CLI_ROWS])
def test_the_command_line_says_one_line_and_exits_1(demo, demo_dir, tmp_path, build, words):
    done = build(CommandLine(demo, demo_dir, tmp_path))
    lines = done.stderr.strip().splitlines()
    assert done.returncode == 1, done.stderr
    assert len(lines) == 1 and lines[0].startswith("exotui: "), done.stderr
    for word in words:
        assert word in lines[0]
    assert "Traceback" not in done.stderr + done.stdout and done.stdout == ""
    assert "\x1b[" not in done.stderr, "no screen was drawn"
    for secret in (DEMO_PASSWORD, DEMO_APPCRED_SECRET, WRONG, "expired-matrix-Secret-9"):
        assert secret not in done.stderr


def test_the_matrix_covers_each_way_a_cloud_entry_can_be_wrong(demo, demo_dir):
    """bad_clouds() feeds the dashboard test too: each of its wrong entries has a command-line row."""
    wrong = set(bad_clouds(demo, demo_dir)) - {CLOUD_NAME}
    assert wrong <= {row[0] for row in CLI_ROWS}


# --- the dashboard ----------------------------------------------------------------------------------

def _crumb(app: ExotuiApp) -> str:
    return str(app.screen_stack[0].query_one(Breadcrumb).render())


async def test_the_dashboard_opens_the_good_cloud_and_says_one_line_for_each_bad_one(demo, demo_dir, tmp_path):
    clouds = bad_clouds(demo, demo_dir)
    path = tmp_path / "clouds.yaml"
    path.write_text(yaml.safe_dump({"clouds": clouds}))
    os.chmod(path, 0o600)
    profiles = load_profiles(config_file=path, env={})
    app = ExotuiApp(Workspace(profiles, intervals=Intervals(fast=0.2, idle=0.3, others=2.0, max_backoff=1.0)))
    notes: list[tuple[str, str, str]] = []
    died: list[str] = []
    original_notify = app.notify

    def notify(message, *, title="", severity="information", **kwargs):
        notes.append((title, severity, message))
        return original_notify(message, title=title, severity=severity, **kwargs)

    def hook(message) -> None:
        if isinstance(message, Worker.StateChanged) and message.state == WorkerState.ERROR:
            died.append(f"{message.worker.name}: {message.worker.error!r}")

    app.notify = notify
    async with app.run_test(size=(100, 30), message_hook=hook) as pilot:
        workspace = app.workspace
        await until(pilot, lambda: len(workspace.problems) == len(clouds) - 1 and len(workspace.projects)
                    == len(DEMO_PROJECTS) and all(p.store.state("servers").loaded for p in workspace.projects),
                    timeout=30, what="the good cloud loaded and every bad one refused")
        problems = {title_message.split(": ", 1)[0]: title_message for t, s, title_message in notes
                    if t == "cannot open cloud" and s == "error"}
        assert set(problems) == set(clouds) - {CLOUD_NAME}, notes
        assert "authentication failed (HTTP 401): wrong user name or password" in problems["wrong-password"]
        assert "connection refused" in problems["unreachable"]
        assert "'expired-matrix'" in problems["expired-appcred"] and "expired" in problems["expired-appcred"]
        assert "auth_url" in problems["no-auth-url"]
        assert "TLS/SSL connection to 127.0.0.1:" in problems["tls"]
        for line in problems.values():
            assert "\n" not in line and "Traceback" not in line and WRONG not in line and len(line) < 300
        await until(pilot, lambda: "● live" in _crumb(app), what="the good cloud live")

        # Keystone forgets every token before the clients expect it: the next calls get 401, log in
        # again, and nobody is told, because nothing went wrong that the user could act on
        shown = len(notes)
        issued = len(demo.world.tokens)
        demo.call(lambda: [t.update(expires=demo.world.now()) for t in demo.world.tokens.values()])
        await pilot.press("ctrl+r")
        await until(pilot, lambda: len(demo.world.tokens) >= issued + 1, what="a new token")
        kicked = time.time()
        for project in workspace.projects:
            project.poller.kick(*KINDS)
        await until(pilot, lambda: all((p.store.state(k).last_ok or 0) > kicked for p in workspace.projects
                                       for k in ("servers", "floating_ips")), what="every project polled again")
        await pilot.pause()  # what those polls posted, handled
        assert "● live" in _crumb(app)
        assert [n for n in notes[shown:] if n[2] != "refreshing"] == []
        for project in workspace.projects:
            assert all(project.store.state(kind).last_error is None for kind in KINDS), project.key
        assert app.is_running
    assert not died and app._exception is None


# --- names ------------------------------------------------------------------------------------------

LONG_NAME = "genome-assembly-" + "x" * 271 + "-tail-end-300"
ODD_NAMES = {
    "long": LONG_NAME,
    "cjk": "研究データ解析サーバー",
    "emoji": "🚀launch-🧬dna",
    "combining": "café-de\u0301ja\u0300-vu",
    "zwj": "lab-👩\u200d🔬-node",
    "rtl": "خادم-البحث",
    "markup": "evil[/b] [red]x[/] [@click=app.quit]q",
    "brackets": "job[1]-[31m-run\\",  # not a Rich tag, yet Textual's parser took "[1]" for one
}


def _line(table: ResourceTable, y: int) -> str:
    """One drawn line of the table as text (Rich measures its cells: a CJK character or an emoji takes two,
    a combining accent none, a ZWJ sequence is one glyph)."""
    return "".join(segment.text for segment in table.render_line(y))


async def test_long_wide_and_odd_names_keep_the_table_in_columns(open_ui):
    assert len(LONG_NAME) == 300
    async with open_ui(size=(100, 30)) as ui:
        ids = {key: await ui.boot(name) for key, name in ODD_NAMES.items()}
        table = ui.app.query_one("#table-servers", ResourceTable)
        header = _line(table, 0)
        status_at = header.index("STATUS")
        assert header.startswith("NAME") and cell_len(header) == table.size.width
        for key, sid in ids.items():
            table = ui.point_at(sid)
            await ui.pilot.pause()
            row = _line(table, table.cursor - table.scroll_offset.y + 1)
            assert cell_len(row) == table.size.width, f"{key}: the row is {cell_len(row)} cells: {row!r}"
            shown = row[:row.index("ACTIVE")]
            assert cell_len(shown) == status_at, f"{key}: STATUS moved: {row!r}"
            shown, name = shown.rstrip(), ODD_NAMES[key]
            assert shown == name or (shown.endswith("…") and name.startswith(shown[:-1])), (key, shown)
        assert ui.app.query_one("#table-servers", ResourceTable).items[ids["long"]].name == LONG_NAME

        # the detail screen: its one-line title keeps the status in view, its body has the whole name
        for key in ("cjk", "long", "markup", "brackets", "zwj"):
            ui.point_at(ids[key])
            await ui.pilot.press("enter")
            await ui.until(lambda: isinstance(ui.app.screen, InstanceDetail), what=f"the detail of {key}")
            rows = screen_rows(await settled_screenshot(ui.pilot, ui.app, what=f"the detail of {key}"))
            assert rows[0].startswith("exotui │ ")  # the cloud/project header stays on the detail (issue 18 item 8)
            title, name = rows[1].rstrip(), ODD_NAMES[key]
            assert title.startswith("Instance ") and title.endswith(" │ ACTIVE"), f"{key}: {title!r}"
            assert name in title if key != "long" else f"Instance {name[:39]}… │" in title, f"{key}: {title!r}"
            body = str(ui.app.screen.query_one("#detail-body", Static).render())
            assert name in body.replace("\n", ""), f"{key}: the whole name is not in the body"
            await ui.pilot.press("escape")
            await ui.until(lambda: not isinstance(ui.app.screen, InstanceDetail), what="back")
        await ui.pilot.press("slash", *"研究", "enter")
        await ui.pilot.pause()
        assert ui.app.query_one("#table-servers", ResourceTable).shown == [ids["cjk"]]
        await ui.pilot.press("escape")
        assert ui.app.is_running


@pytest.mark.parametrize("key", ["markup", "brackets"])
async def test_names_that_look_like_markup_are_shown_as_written_in_notifications(open_ui, key):
    """A cloud's names and messages are text: "[/b]" in a name must not crash the toast that names it, nor
    "[@click=app.quit]" make a link of it."""
    name = ODD_NAMES[key]
    async with open_ui() as ui:
        sid = await ui.boot(name)
        ui.point_at(sid)
        await ui.pilot.press("a")
        await ui.until(lambda: isinstance(ui.app.screen, ChoiceDialog), what="the action menu")
        options = ui.app.screen.query_one(OptionList)
        options.highlighted = options.get_option_index("lock")
        await ui.pilot.press("enter")
        await ui.until(lambda: ui.store.item("servers", sid).locked, what="the lock")
        await ui.app.workers.wait_for_complete()  # the lock's flow and its notification, done
        assert ui.app.is_running and ui.app._exception is None
        toasts = [str(toast.render()) for toast in ui.app.screen.query(Toast)]
        assert any(name in text for text in toasts), toasts
        assert any(name in row for row in screen_rows(ui.app.export_screenshot()))


async def test_an_image_named_like_markup_does_not_break_the_launch_form(open_ui):
    """A snapshot may be named anything (exotui's own prompt takes any text): the launch form lists it."""
    name = "snap [/old] [@click=app.quit]x"
    async with open_ui() as ui:
        project_id = ui.project.key.project_id
        image = ui.demo.call(lambda: glance.add_image(ui.demo.world, name, owner=project_id, visibility="private"))
        try:
            ui.project.poller.kick("images")
            await ui.until(lambda: image["id"] in ui.store.get("images"), what="the image in the store")
            await ui.pilot.press("n")
            await ui.until(lambda: isinstance(ui.app.screen, FormDialog), what="the launch form")
            select = ui.app.screen.query_one("#field-image", Select)
            select.value = image["id"]
            await ui.pilot.pause()
            select.expanded = True
            svg = await settled_screenshot(ui.pilot, ui.app, what="the image list open")
            assert ui.app.is_running and ui.app._exception is None
            rows = screen_rows(svg)
            assert any(name in row for row in rows), rows
        finally:
            ui.demo.call(lambda: ui.demo.world.images.pop(image["id"], None))


async def test_a_cloud_named_like_markup_is_shown_as_written(demo, demo_dir, tmp_path):
    """clouds.yaml names are the user's own words, shown in the header as they are."""
    odd = "lab [/b] [@click=app.quit]cloud"
    path = tmp_path / "clouds.yaml"
    path.write_text(yaml.safe_dump({"clouds": {odd: demo_clouds(demo_dir)[CLOUD_NAME]}}))
    os.chmod(path, 0o600)
    app = ExotuiApp(Workspace(load_profiles(config_file=path, env={}), intervals=Intervals(fast=0.2, idle=0.5)))
    async with app.run_test(size=(100, 30), notifications=True) as pilot:
        await until(pilot, lambda: "● live" in _crumb(app), what="the cloud live")
        assert f"exotui │ {odd} / " in screen_rows(app.export_screenshot())[0]
        await pilot.press("colon", *"projects", "enter")
        await until(pilot, lambda: app.current_view == "projects", what=":projects")
        assert any(odd[:20] in row for row in screen_rows(await settled_screenshot(pilot, app, what=":projects")))
        assert app.is_running
    assert app._exception is None


@pytest.mark.parametrize("typed", ["[/x]", "[a-z]+-vm", "\\[", "((", "web[@click=app.quit]"])
async def test_a_filter_of_any_text_is_shown_as_typed(open_ui, typed):
    """'/' takes a regex, or plain text when it is none; the view's title repeats it, brackets and all."""
    async with open_ui(size=(100, 30)) as ui:
        await ui.pilot.press("slash", *typed, "enter")
        title = screen_rows(await settled_screenshot(ui.pilot, ui.app, what="the filtered view"))[1]
        assert title.startswith("Instances (") and f"filter: /{typed}" in title, title
        assert ui.app.is_running and ui.app._exception is None


async def test_a_300_character_name_at_launch_is_refused_before_it_is_sent(open_ui):
    """Nova takes at most 255 characters, and its refusal quotes the whole name back (700 characters of
    notification): the form says so itself, and nothing goes to the cloud."""
    async with open_ui() as ui:
        await ui.pilot.press("n")
        await ui.until(lambda: isinstance(ui.app.screen, FormDialog), what="the launch form")
        form = ui.app.screen
        form.query_one("#field-name", Input).value = LONG_NAME
        await ui.pilot.press("ctrl+s")
        await ui.until(lambda: str(form.query_one(".dialog-error", Static).render()), what="the form's error")
        problem = str(form.query_one(".dialog-error", Static).render())
        assert problem == "a name has at most 255 characters (Nova's limit); this one has 300"
        # no launch sent (the usage watcher's console reads are POSTs to /servers/ID/action, and may come)
        assert ui.app.screen is form and not [s for s in ui.sent if s[1:] == ("POST", "/servers")]
        form.query_one("#field-name", Input).value = LONG_NAME[:255]
        await ui.pilot.press("ctrl+s")
        await ui.until(lambda: any(s.name == LONG_NAME[:255] for s in ui.store.get("servers").values()),
                       timeout=30, what="the server with a 255-character name")
        sid = next(s.id for s in ui.store.get("servers").values() if s.name == LONG_NAME[:255])
        ui.booted.append(sid)  # deleted at the end
        table = ui.point_at(sid)
        await ui.pilot.pause()
        assert cell_len(_line(table, table.cursor - table.scroll_offset.y + 1)) == table.size.width

"""SSH journeys that agree: `s` (and `exotui ssh`) and `exotui doctor` take their way to an instance
from one function (exotui.ssh.target.reach), so they agree on the port, the user, the key, the jump
host and the host key; every cloud the demo writes gets its SSH port, kept across restarts."""

from __future__ import annotations

import asyncio
import importlib.util
import json
from pathlib import Path

import asyncssh
import pytest

from exotui.cli import main
from exotui.cloud.models import Image, Server
from exotui.cloud.profiles import find_profile, load_profiles
from exotui.demo.app import APPCRED_CLOUD_NAME, CLOUD_NAME, DemoCloudThread
from exotui.demo.world import Knobs
from exotui.ssh.client import SSHError, connect
from exotui.ssh.hostkeys import KnownHosts, parse_host_keys
from exotui.ssh.target import exotui_settings, reach

pytestmark = pytest.mark.timeout(120)


def doctor(capsys, *args: str, cloud: str = CLOUD_NAME) -> tuple[int, str]:
    code = main(["--cloud", cloud, "doctor", *args])
    out = capsys.readouterr()
    return code, out.out + out.err


def models(conn, name: str) -> tuple[Server, Image | None, str]:
    body = conn.compute.get("/servers/detail", microversion="2.79").json()["servers"]
    server = Server.from_api(next(s for s in body if s["name"] == name))
    image = Image.from_api(conn.image.get(f"/images/{server.image_id}").json()) if server.image_id else None
    return server, image, conn.compute.get_server_console_output(server.id)["output"]


def profile(clouds_env, name: str):
    return find_profile(load_profiles(config_file=clouds_env), name)


def way(conn, clouds_env, name: str, cloud: str = CLOUD_NAME, pins: KnownHosts | None = None):
    server, image, console = models(conn, name)
    chosen = profile(clouds_env, cloud)
    return reach(server, image, chosen.cloud_region.config, chosen.source, pins=pins, console=console), console


def test_every_demo_cloud_gets_its_ssh_port(demo, clouds_env):
    port = demo.cloud.world.ssh_port
    assert port
    for name in (CLOUD_NAME, APPCRED_CLOUD_NAME):
        assert int(exotui_settings(profile(clouds_env, name).cloud_region.config).get("ssh_port")) == port, name


def test_s_on_the_appcred_cloud_connects(demo, conn, clouds_env):
    """Plain `exotui` opens exotui-demo-appcred too: `s` there went to port 22 (connection refused)."""
    target = way(conn, clouds_env, "web-frontend", APPCRED_CLOUD_NAME)[0].target
    assert target.port == demo.cloud.world.ssh_port
    console = models(conn, "web-frontend")[2]

    async def run() -> bytes:
        connection = await connect(target, console, store=KnownHosts())
        try:
            result = await connection.conn.run("echo via-app''cred", check=True)
            return result.stdout
        finally:
            await connection.close()

    assert "via-appcred" in asyncio.run(run())


def test_the_demo_keeps_its_ssh_port_across_restarts(tmp_path):
    ports = []
    for _ in range(2):
        with DemoCloudThread(Knobs(delay_scale=0.0, seed=1), state_dir=tmp_path / "state") as cloud:
            cloud.cloud.write_config(tmp_path)
            ports.append(cloud.cloud.world.ssh_port)
            written = load_profiles(config_file=tmp_path / "clouds.yaml")
            assert {int(exotui_settings(p.cloud_region.config)["ssh_port"]) for p in written} == {ports[-1]}
    assert ports[0] and ports[0] == ports[1]


def test_doctor_and_ssh_agree_on_a_non_default_port(demo, conn, clouds_env, capsys):
    """The doctor's command is exotui's own, complete and copy-pasteable: port, key, user, address."""
    found, console = way(conn, clouds_env, "web-frontend")
    target = found.target
    port = demo.cloud.world.ssh_port
    key = clouds_env.parent / "demo_id_ed25519"
    assert found.command == f"ssh -p {port} -i {key} {target.user}@{target.host}"
    code, out = doctor(capsys, "web-frontend", "--json")
    body = json.loads(out)
    assert code == 0 and body["command"] == found.command, out
    pins = KnownHosts()
    try:
        pins.pin(target.host, port, target.server_id, parse_host_keys(console))
        code, out = doctor(capsys, "web-frontend")
        assert code == 0 and f"host key: {target.host}:{port} is in known_hosts" in out, out
        assert out.rstrip().endswith(f"every check passed: {found.command}"), out
    finally:
        pins.forget(target.host, port)


def test_doctor_and_ssh_agree_on_a_wrong_pin(demo, conn, clouds_env, capsys):
    found, console = way(conn, clouds_env, "web-frontend")
    target = found.target
    stranger = asyncssh.generate_private_key("ssh-ed25519").export_public_key().decode().split()[:2]
    pins = KnownHosts()
    try:
        pins.pin(target.host, target.port, target.server_id, [tuple(stranger)])
        assert way(conn, clouds_env, "web-frontend", pins=pins)[0].host_key == "changed"
        code, out = doctor(capsys, "web-frontend")
        assert code == 1 and "[FAIL] host key" in out and "every check passed" not in out, out

        async def attempt() -> None:
            await connect(target, console, store=pins)

        with pytest.raises(SSHError) as refused:
            asyncio.run(attempt())
        assert refused.value.kind == "mismatch"
    finally:
        pins.forget(target.host, target.port)


def test_doctor_and_ssh_agree_on_an_instance_without_a_floating_ip(demo, conn, clouds_env, capsys):
    """bigmem-assembly has no floating IP and the cloud names no jump host: `s` cannot go there, and
    the doctor no longer says "every check passed: ssh -J ..."; it names the setting that would."""
    found, _ = way(conn, clouds_env, "bigmem-assembly")
    assert found.target is None and "no floating IP" in found.problem
    code, out = doctor(capsys, "bigmem-assembly", "--json")
    body = json.loads(out)
    assert code == 1 and body["ok"] is False and body["command"] is None
    check = next(c for c in body["checks"] if c["name"] == "exotui ssh")
    assert check["status"] == "fail" and "no floating IP" in check["summary"]
    assert "jump_host" in check["fixes"][0]["label"]


async def test_s_in_the_dashboard_on_the_appcred_cloud(demo, demo_dir):
    """Plain `exotui` opens exotui-demo-appcred as well: `s` on its web-frontend opens a working
    session on the demo's SSH port (it went to :22 and was refused)."""
    import re

    from exotui.cloud.poller import Intervals
    from exotui.cloud.workspace import Workspace
    from exotui.ui.app import ExotuiApp
    from exotui.ui.screens.sessions import SessionsScreen

    from test_sessions_ui import on_web_frontend, screen_text, type_line

    spec = importlib.util.spec_from_file_location("exotui_tests_ui_conftest_journeys",
                                                  Path(__file__).parents[1] / "ui" / "conftest.py")
    ui_fixtures = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(ui_fixtures)  # tests/ is not a package: its DemoUI, by path

    chosen = find_profile(load_profiles(config_file=demo_dir / "clouds.yaml"), APPCRED_CLOUD_NAME)
    app = ExotuiApp(Workspace([chosen], intervals=Intervals(fast=0.1, idle=0.5)))
    async with app.run_test(size=(100, 30)) as pilot:
        for _ in range(600):  # the appcred's one project, logged in and shown
            project = next((p for p in app.workspace.projects if p.key.project_name == "BIO230045"), None)
            if project is not None:
                break
            await pilot.pause(0.05)
        else:
            raise AssertionError("the appcred's project never loaded")
        app.select_project(project)
        await pilot.pause()
        ui = ui_fixtures.DemoUI(app, pilot, demo)
        await on_web_frontend(ui)
        await pilot.press("s")
        await ui.until(lambda: isinstance(app.screen, SessionsScreen) and app.screen.count == 1, what="a tab")
        session = app.screen.sessions()[0]
        await ui.until(lambda: session.shell is not None or session.ended.is_set(), timeout=30, what="the shell")
        assert session.shell is not None, str(session.query_one(".ssh-status").render())
        assert session.target.port == demo.cloud.world.ssh_port
        await type_line(ui, session.terminal, "echo app''cred-ok")
        await ui.until(lambda: re.search(r"^appcred-ok$", screen_text(session.terminal), re.M), what="the echo")

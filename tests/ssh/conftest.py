"""SSH fixtures: exotui's state (known_hosts, remembered users) in a temporary directory, and the demo
cloud's web-frontend instance as the client sees it (models from the API, its console log, its Target)."""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
from dataclasses import dataclass
from pathlib import Path

import pytest
from conditions import wait_until

from exotui.cloud.models import Image, Server
from exotui.ssh.hostkeys import KnownHosts
from exotui.ssh.target import Target, resolve


def _ui_fixtures():
    """tests/ui/conftest.py's Pilot helpers (tests/ is not a package, so load it by path)."""
    spec = importlib.util.spec_from_file_location("exotui_tests_ui_conftest",
                                                  Path(__file__).parents[1] / "ui" / "conftest.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


open_ui = _ui_fixtures().open_ui  # the dashboard on the demo cloud, for the session tests


@pytest.fixture(autouse=True)
def ssh_state(tmp_path, monkeypatch) -> Path:
    """Never touch the real ~/.local/state/exotui: each test pins into its own known_hosts."""
    state = tmp_path / "exotui-state"
    monkeypatch.setenv("EXOTUI_STATE_DIR", str(state))
    return state


@dataclass
class Instance:
    server: Server
    image: Image | None
    console: str
    target: Target
    store: KnownHosts


def instance(conn, clouds_env, name: str) -> Instance:
    from exotui.cloud.profiles import find_profile, load_profiles
    from exotui.demo.app import CLOUD_NAME

    body = conn.compute.get("/servers/detail", microversion="2.79").json()["servers"]
    server = Server.from_api(next(s for s in body if s["name"] == name))
    image = Image.from_api(conn.image.get(f"/images/{server.image_id}").json()) if server.image_id else None
    console = conn.compute.get_server_console_output(server.id)["output"]
    profile = find_profile(load_profiles(config_file=clouds_env), CLOUD_NAME)
    target = resolve(server, image, profile.cloud_region.config, profile.source)
    return Instance(server, image, console, target, KnownHosts())


@pytest.fixture()
def web(conn, clouds_env) -> Instance:
    return instance(conn, clouds_env, "web-frontend")


# --- a real OpenSSH sshd on 127.0.0.1 ---------------------------------------------------------------

SSHD = Path("/usr/sbin/sshd")


@dataclass
class OpenSSH:
    host: str
    port: int
    user: str
    user_key: Path
    host_public: tuple[str, str]  # (key type, blob)

    def target(self) -> Target:
        """The exotui Target for this sshd, with the test's key."""
        return Target("sshd-test", "sshd-test", self.host, self.port, self.user, key_files=(self.user_key,),
                      user_source="the test")

    def console_log(self) -> str:
        """What cloud-init would print for this host, so the client learns the key from a "console"."""
        kind, blob = self.host_public
        return ("[   12.5] cloud-init[812]: Cloud-init v. 24.4 running 'modules:final'\r\n"
                "-----BEGIN SSH HOST KEY KEYS-----\r\n"
                f"{kind} {blob} root@sshd-test\r\n-----END SSH HOST KEY KEYS-----\r\n")


def start_sshd(directory: Path):
    """Generate host and user keys in `directory`, start sshd -D on 127.0.0.1 (a port the kernel picked
    free), wait until it answers; returns (OpenSSH, Popen)."""
    import getpass
    import os
    import socket
    import subprocess

    import asyncssh

    host_key = asyncssh.generate_private_key("ssh-ed25519", comment="root@sshd-test")
    user_key = asyncssh.generate_private_key("ssh-ed25519", comment="exotui-test")
    host_path, user_path = directory / "ssh_host_ed25519_key", directory / "id_ed25519"
    host_key.write_private_key(str(host_path))
    user_key.write_private_key(str(user_path))
    os.chmod(host_path, 0o600)
    os.chmod(user_path, 0o600)
    (directory / "authorized_keys").write_bytes(user_key.export_public_key("openssh"))
    with socket.socket() as probe:  # a free port from 127.0.0.1:0 (sshd cannot report the one it got)
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = directory / "sshd_config"
    config.write_text(f"""Port {port}
ListenAddress 127.0.0.1
HostKey {host_path}
AuthorizedKeysFile {directory}/authorized_keys
PidFile {directory}/sshd.pid
StrictModes no
UsePAM no
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
AllowAgentForwarding no
X11Forwarding no
PrintMotd no
AcceptEnv LANG LC_*
""")
    if os.geteuid() == 0:
        os.makedirs("/run/sshd", mode=0o755, exist_ok=True)  # privilege separation directory
    process = subprocess.Popen([str(SSHD), "-D", "-e", "-f", str(config)], stdout=subprocess.DEVNULL,
                               stderr=open(directory / "sshd.log", "wb"))
    def answers() -> bool:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2) as s:
                return s.recv(4).startswith(b"SSH-")
        except OSError:
            if process.poll() is not None:
                raise RuntimeError(f"sshd exited: {(directory / 'sshd.log').read_text()}") from None
            return False

    wait_until(answers, 10, interval=0.05)
    public = tuple(host_key.export_public_key("openssh").decode().split()[:2])
    return OpenSSH("127.0.0.1", port, getpass.getuser(), user_path, public), process


@pytest.fixture()
def use_engine(monkeypatch):
    """use_engine("ghostty" | "pyte"): the terminal core new widgets get (skips when libghostty-vt cannot load)."""
    def choose(engine: str) -> None:
        from exotui.ssh import vt

        if engine == "ghostty" and vt.UNAVAILABLE:
            pytest.skip(f"libghostty-vt unavailable: {vt.UNAVAILABLE}")
        monkeypatch.setenv("EXOTUI_TERMINAL", engine)

    return choose


@pytest.fixture()
def terminal_on():
    """terminal_on(server, app, size, command): async context of `app` running at `size`, its TerminalView
    on a PTY of the real sshd `server` running `command` (keys and query answers wired): (pilot, terminal,
    shell)."""
    from exotui.ssh.client import connect
    from exotui.ui.widgets.terminal import TerminalView

    @contextlib.asynccontextmanager
    async def start(server: OpenSSH, app, size: tuple[int, int], command: str):
        conn = await connect(server.target(), server.console_log(), store=KnownHosts())
        try:
            async with app.run_test(size=size) as pilot:
                terminal = app.query_one(TerminalView)
                await terminal.sized.wait()
                shell = await conn.shell(terminal.emulator.columns, terminal.emulator.lines, command=command)
                terminal.on_input = shell.write
                terminal.emulator.reply = shell.write
                yield pilot, terminal, shell
        finally:
            await conn.close()

    return start


@pytest.fixture()
def pump():
    """pump(shell, terminal): a task feeding everything the shell prints into the terminal widget, until
    the remote side ends."""
    def start(shell, terminal) -> asyncio.Task:
        async def run() -> None:
            while data := await shell.read():
                await terminal.feed(data)

        return asyncio.create_task(run())

    return start


@pytest.fixture(scope="module")
def openssh(tmp_path_factory):
    if not SSHD.exists():
        pytest.skip("OpenSSH's sshd is not installed (/usr/sbin/sshd): apt-get install -y openssh-server")
    server, process = start_sshd(tmp_path_factory.mktemp("sshd"))
    yield server
    process.terminate()
    process.wait(10)

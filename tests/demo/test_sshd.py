"""The demo instances' SSH side: real logins on a PTY, host keys from the console log, and listeners
that follow the instance's state and floating IP.

The first part runs SSHFleet on a hand-made World (its own loop; floating IPs from a dict); the
second runs against the session demo cloud with its seeded instances, through Nova's API.
"""

from __future__ import annotations

import asyncio
import os
import re
import time

import asyncssh
import pytest
from conditions import until, wait_until

from exotui.demo import console, neutron
from exotui.demo.sshd import SSHFleet
from exotui.demo.world import Knobs, World

TIMEOUT = 10


# --- helpers ---------------------------------------------------------------------------------------

def known_hosts_from_console(log: str, address: str, port: int) -> asyncssh.SSHKnownHosts:
    """known_hosts built only from the console log's KEYS block, as exotui's client will do."""
    keys = console.parse_host_keys(log)
    assert keys, "no host keys in the console log"
    return asyncssh.import_known_hosts("".join(f"[{address}]:{port} {t} {b}\n" for t, b in keys))


async def read_until(process: asyncssh.SSHClientProcess, pattern: str) -> str:
    """Read the process's output until `pattern` (a regex) shows up; return all of it."""
    text = ""

    async def loop() -> str:
        nonlocal text
        while not re.search(pattern, text):
            chunk = await process.stdout.read(4096)
            if not chunk:
                raise AssertionError(f"EOF before {pattern!r}; got {text!r}")
            text += chunk
        return text

    try:
        return await asyncio.wait_for(loop(), TIMEOUT)
    except asyncio.TimeoutError:
        raise AssertionError(f"no {pattern!r} within {TIMEOUT}s; got {text!r}") from None


def session_members(sid: int) -> list[int]:
    """Processes whose session is `sid` (the shell's jobs live in process groups of their own)."""
    found = []
    for name in os.listdir("/proc"):
        try:
            with open(f"/proc/{name}/stat") as f:
                stat = f.read()
        except (OSError, ValueError):
            continue
        state, _, _, session = stat[stat.rindex(")") + 2:].split()[:4]
        if name.isdigit() and int(session) == sid and state != "Z":  # zombies are dead, awaiting reaping
            found.append(int(name))
    return found


def process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


# --- SSHFleet on a hand-made world -------------------------------------------------------------------

class Cloud:
    """A World with two Ubuntu servers, each with a port and a floating IP in Neutron's tables."""

    def __init__(self, monkeypatch):
        self.world = World(Knobs(delay_scale=0))
        monkeypatch.setattr(neutron, "floating_ip_of", self.floating_ip_of)
        monkeypatch.setattr(neutron, "device_ports", lambda world, sid: [])
        self.client_key = asyncssh.generate_private_key("ssh-ed25519")
        self.world.images["img"] = {"id": "img", "name": "Featured-Ubuntu24", "os_distro": "ubuntu",
                                    "os_version": "24.04", "default_user": "ubuntu"}
        self.world.keypairs[("u1", "mykey")] = {
            "name": "mykey", "public_key": self.client_key.export_public_key().decode().strip()}
        for n, (sid, name) in enumerate([("s1", "web-frontend"), ("s2", "db-primary")]):
            self.world.servers[sid] = {"id": sid, "name": name, "status": "ACTIVE", "tenant_id": "p1",
                                       "user_id": "u1", "key_name": "mykey", "image": {"id": "img"},
                                       "OS-EXT-STS:task_state": None}
            self.world.ports[f"port-{sid}"] = {"id": f"port-{sid}", "device_id": sid}
            # addresses well away from the seeded demo cloud's 127.64.0.0/16
            self.world.floatingips[f"fip-{sid}"] = {"id": f"fip-{sid}", "port_id": f"port-{sid}",
                                                    "floating_ip_address": f"127.77.{os.getpid() % 200}.{10 + n}"}

    def floating_ip_of(self, world: World, server_id: str) -> str | None:
        for fip in world.floatingips.values():
            if fip["port_id"] and world.ports[fip["port_id"]]["device_id"] == server_id:
                return fip["floating_ip_address"]
        return None

    def address(self, fip_id: str) -> str:
        return self.world.floatingips[fip_id]["floating_ip_address"]

    def associate(self, fip_id: str, port_id: str | None) -> None:
        self.world.floatingips[fip_id]["port_id"] = port_id
        self.world.changed("floatingip", fip_id)

    def set(self, sid: str, **fields) -> None:
        self.world.servers[sid].update(fields)
        self.world.changed("server", sid)

    async def connect(self, sid: str, *, username: str = "ubuntu", key=None, known_hosts=None):
        address, port = self.world.ssh_endpoints[sid]
        if known_hosts is None:
            log = console.console_output(self.world, self.world.servers[sid], None)
            known_hosts = known_hosts_from_console(log, address, port)
        return await asyncio.wait_for(asyncssh.connect(
            address, port, username=username, client_keys=[key or self.client_key], known_hosts=known_hosts,
            agent_path=None, config=None), TIMEOUT)


@pytest.fixture()
async def cloud(monkeypatch, tmp_path):
    made = Cloud(monkeypatch)
    fleet = SSHFleet(made.world, tmp_path / "state")
    await fleet.start()
    made.fleet = fleet
    yield made
    await fleet.stop()


async def test_listens_on_each_floating_ip_with_one_port(cloud):
    port = cloud.world.ssh_port
    assert port > 0
    assert cloud.world.ssh_endpoints == {"s1": (cloud.address("fip-s1"), port),
                                         "s2": (cloud.address("fip-s2"), port)}


async def test_pty_login_shell(cloud):
    async with await cloud.connect("s1") as conn:
        process = await conn.create_process(term_type="xterm-256color", term_size=(100, 30))
        text = await read_until(process, r"ubuntu@web-frontend:~\$ $")
        process.stdin.write("stty size; echo TERM=$TERM USER=$USER; hostname; tty\n")
        text = await read_until(process, r"/dev/pts/\d+\r\n.*\$ $")
        assert "30 100\r\n" in text
        assert "TERM=xterm-256color USER=ubuntu\r\n" in text
        assert "\r\nweb-frontend\r\n" in text
        process.stdin.write("exit 7\n")
        result = await asyncio.wait_for(process.wait(), TIMEOUT)
        assert result.exit_status == 7


async def test_window_change_reaches_the_terminal(cloud):
    async with await cloud.connect("s1") as conn:
        process = await conn.create_process(term_type="xterm", term_size=(80, 24))
        await read_until(process, r"\$ $")
        process.stdin.write("stty size\n")
        await read_until(process, r"24 80\r\n.*\$ $")
        process.change_terminal_size(132, 43)
        process.stdin.write("stty size\n")
        await read_until(process, r"43 132\r\n.*\$ $")
        process.stdin.write("exit\n")
        await asyncio.wait_for(process.wait(), TIMEOUT)


async def test_exec_without_pty_returns_streams_and_status(cloud):
    async with await cloud.connect("s1") as conn:
        result = await asyncio.wait_for(conn.run("echo out; echo err >&2; test -t 0 || echo no-tty; exit 3"),
                                        TIMEOUT)
        assert result.stdout == "out\nno-tty\n"
        assert result.stderr == "err\n"
        assert result.exit_status == 3
        result = await asyncio.wait_for(conn.run("tr a-z A-Z", input="hello\n"), TIMEOUT)
        assert (result.stdout, result.exit_status) == ("HELLO\n", 0)


async def test_exec_with_pty_and_alternate_screen(cloud):
    async with await cloud.connect("s1") as conn:
        result = await asyncio.wait_for(conn.run("stty size; tput smcup; echo inside; tput rmcup",
                                                 term_type="xterm", term_size=(90, 33)), TIMEOUT)
        assert result.exit_status == 0
        assert result.stdout.startswith("33 90\r\n")
        # xterm's alternate screen, entered and left around the output
        assert re.search(r"\x1b\[\?1049h.*inside\r\n.*\x1b\[\?1049l", result.stdout, re.S), result.stdout


async def test_large_output_arrives_whole(cloud):
    """Megabytes through the pipes and the PTY: nothing lost to flow control or the shell's exit."""
    async with await cloud.connect("s1") as conn:
        result = await asyncio.wait_for(conn.run("head -c 3000000 /dev/zero | tr '\\0' x; echo"), TIMEOUT)
        assert result.stdout == "x" * 3_000_000 + "\n"
        result = await asyncio.wait_for(conn.run("seq 1 100000", term_type="xterm"), TIMEOUT)
        lines = result.stdout.split("\r\n")
        assert lines[0] == "1" and lines[-2:] == ["100000", ""] and len(lines) == 100001


async def test_shell_environment_is_built_from_scratch(cloud, monkeypatch):
    monkeypatch.setenv("OS_PASSWORD", "do-not-leak")
    async with await cloud.connect("s1", username="exouser") as conn:
        result = await asyncio.wait_for(conn.run("env; pwd"), TIMEOUT)
    assert "do-not-leak" not in result.stdout
    assert "USER=exouser\n" in result.stdout
    home = re.search(r"^HOME=(.*)$", result.stdout, re.M)[1]
    assert result.stdout.rstrip().endswith("\n" + home)
    assert home.startswith(str(cloud.fleet._homes)) and home.endswith("/s1/exouser")


async def test_wrong_key_and_wrong_user_are_refused(cloud):
    with pytest.raises(asyncssh.PermissionDenied):
        await cloud.connect("s1", key=asyncssh.generate_private_key("ssh-ed25519"))
    for user in ("root", "rocky", "demo"):
        with pytest.raises(asyncssh.PermissionDenied):
            await cloud.connect("s1", username=user)


async def test_only_the_host_key_from_the_console_log_is_accepted(cloud):
    address, port = cloud.world.ssh_endpoints["s1"]
    # s2's real key pinned for s1's address: a mismatch, the client must refuse
    other = console.console_output(cloud.world, cloud.world.servers["s2"], None)
    with pytest.raises(asyncssh.HostKeyNotVerifiable):
        await cloud.connect("s1", known_hosts=known_hosts_from_console(other, address, port))


async def test_stopping_an_instance_closes_its_listener_and_sessions(cloud):
    conn = await cloud.connect("s1")
    process = await conn.create_process(term_type="xterm")
    await read_until(process, r"\$ $")
    process.stdin.write("echo PID=$$\n")
    pid = int(re.search(r"PID=(\d+)\r\n", await read_until(process, r"PID=\d+\r\n"))[1])
    assert process_alive(pid)

    cloud.set("s1", status="SHUTOFF")
    await asyncio.wait_for(cloud.fleet.settled(), TIMEOUT)
    assert "s1" not in cloud.world.ssh_endpoints and "s2" in cloud.world.ssh_endpoints
    await asyncio.wait_for(conn.wait_closed(), TIMEOUT)
    with pytest.raises(OSError):
        await asyncio.open_connection(cloud.address("fip-s1"), cloud.world.ssh_port)
    await until(lambda: not process_alive(pid), timeout=5, what="the shell to end on SIGHUP")

    cloud.set("s1", status="ACTIVE")
    await cloud.fleet.settled()
    async with await cloud.connect("s1") as conn:
        assert (await conn.run("echo back")).stdout == "back\n"


async def test_floating_ip_release_and_move(cloud):
    port = cloud.world.ssh_port
    cloud.associate("fip-s1", None)
    await cloud.fleet.settled()
    assert "s1" not in cloud.world.ssh_endpoints
    with pytest.raises(OSError):
        await asyncio.open_connection(cloud.address("fip-s1"), port)
    # s2 drops its own address and takes s1's: the listener moves with it
    cloud.associate("fip-s2", None)
    cloud.associate("fip-s1", "port-s2")
    await cloud.fleet.settled()
    assert cloud.world.ssh_endpoints == {"s2": (cloud.address("fip-s1"), port)}
    with pytest.raises(OSError):
        await asyncio.open_connection(cloud.address("fip-s2"), port)
    async with await cloud.connect("s2") as conn:
        assert (await conn.run("hostname")).stdout == "db-primary\n"


async def test_floating_ip_moved_directly_to_another_server(cloud):
    """One event frees s1's address and gives it to s2: the old listener must close first."""
    address, port = cloud.world.ssh_endpoints["s1"]
    cloud.associate("fip-s1", "port-s2")
    await cloud.fleet.settled()
    assert cloud.world.ssh_endpoints == {"s2": (address, port)}
    async with await cloud.connect("s2") as conn:
        assert (await conn.run("hostname")).stdout == "db-primary\n"


async def test_deleted_server_goes_away(cloud):
    del cloud.world.servers["s2"]
    cloud.world.changed("server", "s2")
    await cloud.fleet.settled()
    assert list(cloud.world.ssh_endpoints) == ["s1"]


async def test_stop_hangs_up_shells_it_started(monkeypatch, tmp_path):
    made = Cloud(monkeypatch)
    fleet = SSHFleet(made.world, None)
    await fleet.start()
    conn = await made.connect("s1")
    process = await conn.create_process(term_type="xterm")
    await read_until(process, r"\$ $")
    process.stdin.write("echo PID=$$; nohup sleep 600 >/dev/null 2>&1 & sleep 600\n")
    pid = int(re.search(r"PID=(\d+)\r\n", await read_until(process, r"PID=\d+\r\n"))[1])
    # the shell, a background job and the foreground job
    await until(lambda: len(session_members(pid)) == 3, timeout=5, what="three processes in the session")
    homes, (address, port) = fleet._homes, made.world.ssh_endpoints["s1"]
    assert homes.exists()
    started = time.monotonic()
    await fleet.stop()
    assert time.monotonic() - started < 8
    # signals land asynchronously
    await until(lambda: not session_members(pid), timeout=5, what="the session's processes to end")
    assert not process_alive(pid) and session_members(pid) == []
    assert made.world.ssh_endpoints == {} and made.world.ssh_port == 0
    assert not homes.exists()  # a temp dir when no state dir was given
    await asyncio.wait_for(conn.wait_closed(), TIMEOUT)
    with pytest.raises(OSError):
        await asyncio.open_connection(address, port)


async def test_host_keys_are_made_only_when_needed(monkeypatch, tmp_path):
    made = Cloud(monkeypatch)
    for i in range(2000):
        made.world.servers[f"bulk-{i}"] = {"id": f"bulk-{i}", "name": f"bulk-{i:05d}", "status": "ACTIVE",
                                           "user_id": "u1", "key_name": "mykey", "image": {"id": "img"}}
    fleet = SSHFleet(made.world, tmp_path)
    await fleet.start()
    try:
        assert sorted(made.world.ssh_endpoints) == ["s1", "s2"]
        assert sorted(sid for sid, s in made.world.servers.items() if "_host_key" in s) == ["s1", "s2"]
    finally:
        await fleet.stop()


# --- the seeded demo cloud, through its APIs ---------------------------------------------------------

def floating_ip(server) -> str:
    """The instance's floating IP as a client reads it: from Nova's addresses."""
    return next(a["addr"] for net in server.addresses.values() for a in net if a["OS-EXT-IPS:type"] == "floating")


@pytest.fixture()
def ssh_target(demo, demo_dir, conn):
    """How a client reaches a seeded instance: address, port from clouds.yaml, key, console log."""
    import yaml

    port = yaml.safe_load((demo_dir / "clouds.yaml").read_text())["clouds"]["exotui-demo"]["exotui"]["ssh_port"]
    key = asyncssh.read_private_key(demo_dir / "demo_id_ed25519")

    def target(name: str) -> tuple[str, int, asyncssh.SSHKey, str]:
        server = conn.compute.find_server(name, ignore_missing=False)
        server = conn.compute.get_server(server.id)
        log = conn.compute.get_server_console_output(server)["output"]
        return floating_ip(server), port, key, log

    return target


def connect_to(address: str, port: int, key, known_hosts, username: str = "ubuntu"):
    return asyncio.wait_for(asyncssh.connect(address, port, username=username, client_keys=[key],
                                             known_hosts=known_hosts, agent_path=None, config=None), TIMEOUT)


async def test_seeded_instance_login_with_host_key_from_nova_console(ssh_target, demo):
    address, port, key, log = ssh_target("web-frontend")
    assert address.startswith("127.64.") and port == demo.world.ssh_port
    assert "-----BEGIN SSH HOST KEY KEYS-----" in log and "root@web-frontend (ED25519)" in log
    async with await connect_to(address, port, key, known_hosts_from_console(log, address, port)) as conn:
        process = await conn.create_process(term_type="xterm-256color", term_size=(101, 31))
        await read_until(process, r"ubuntu@web-frontend:~\$ $")
        process.stdin.write("echo $((6*7)); stty size\n")
        await read_until(process, r"\r42\r\n31 101\r\n.*\$ $")  # bash ends bracketed paste with \r
        process.change_terminal_size(77, 19)
        process.stdin.write("stty size; tput smcup; echo alt; tput rmcup\n")
        text = await read_until(process, r"\x1b\[\?1049l.*\$ $")
        assert "19 77\r\n" in text and re.search(r"\x1b\[\?1049h.*alt\r\n", text, re.S)
        process.stdin.write("exit\n")
        assert (await asyncio.wait_for(process.wait(), TIMEOUT)).exit_status == 0
        result = await asyncio.wait_for(conn.run("uname -s; whoami >/dev/null; echo $USER@$(hostname)"), TIMEOUT)
        assert result.stdout.splitlines() == ["Linux", "ubuntu@web-frontend"]


async def test_seeded_instance_refuses_wrong_key_user_and_host_key(ssh_target):
    address, port, key, log = ssh_target("web-frontend")
    known = known_hosts_from_console(log, address, port)
    with pytest.raises(asyncssh.PermissionDenied):
        await connect_to(address, port, asyncssh.generate_private_key("ssh-ed25519"), known)
    with pytest.raises(asyncssh.PermissionDenied):
        await connect_to(address, port, key, known, username="rocky")
    _, _, _, other_log = ssh_target("gpu-training")
    with pytest.raises(asyncssh.HostKeyNotVerifiable):
        await connect_to(address, port, key, known_hosts_from_console(other_log, address, port))


async def test_seeded_shutoff_instance_refuses_connections(ssh_target, demo):
    address, port, _, _ = ssh_target("analysis-rocky")
    assert address.startswith("127.64.")
    with pytest.raises(OSError):
        await asyncio.open_connection(address, port)
    assert address not in {a for a, _ in demo.world.ssh_endpoints.values()}


def wait_for(predicate, what: str):
    assert wait_until(predicate, TIMEOUT, interval=0.05), f"timed out waiting for {what}"


async def test_stop_start_and_delete_through_nova_follow_the_listener(ssh_target, conn, demo):
    """An instance of the test's own: boot, floating IP, log in, os-stop, os-start, delete."""
    image = conn.image.find_image("Featured-Ubuntu22", ignore_missing=False)
    flavor = conn.compute.find_flavor("m3.tiny", ignore_missing=False)
    network = conn.network.find_network("auto_allocated_network", ignore_missing=False)
    public = conn.network.find_network("public", ignore_missing=False)
    server = conn.compute.create_server(name="ssh-follow-test", image_id=image.id, flavor_id=flavor.id,
                                        networks=[{"uuid": network.id}], key_name="exotui-demo")
    server = conn.compute.wait_for_server(server, wait=TIMEOUT)
    port = next(conn.network.ports(device_id=server.id))
    fip = conn.network.create_ip(floating_network_id=public.id, port_id=port.id)
    try:
        wait_for(lambda: server.id in demo.world.ssh_endpoints, "the listener after association")
        address, ssh_port, key, log = ssh_target("ssh-follow-test")
        assert address == fip.floating_ip_address
        known = known_hosts_from_console(log, address, ssh_port)
        ssh = await connect_to(address, ssh_port, key, known)
        assert (await ssh.run("hostname")).stdout == "ssh-follow-test\n"

        conn.compute.stop_server(server)
        conn.compute.wait_for_server(server, status="SHUTOFF", wait=TIMEOUT)
        wait_for(lambda: server.id not in demo.world.ssh_endpoints, "the listener to go")
        await asyncio.wait_for(ssh.wait_closed(), TIMEOUT)
        with pytest.raises(OSError):
            await asyncio.open_connection(address, ssh_port)

        conn.compute.start_server(server)
        conn.compute.wait_for_server(server, status="ACTIVE", wait=TIMEOUT)
        wait_for(lambda: server.id in demo.world.ssh_endpoints, "the listener to come back")
        async with await connect_to(address, ssh_port, key, known) as ssh:  # same host key after a restart
            assert (await ssh.run("echo up")).stdout == "up\n"

        conn.network.update_ip(fip, port_id=None)
        wait_for(lambda: server.id not in demo.world.ssh_endpoints, "the listener after disassociation")
    finally:
        conn.network.delete_ip(fip)
        conn.compute.delete_server(server)
    conn.compute.wait_for_delete(server, wait=TIMEOUT)
    assert server.id not in demo.world.ssh_endpoints

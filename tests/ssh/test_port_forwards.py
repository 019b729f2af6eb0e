"""Port forwards (`ssh -L` through asyncssh) against a real OpenSSH sshd on 127.0.0.1: the instance's
listening ports read over the connection (ss, and /proc/net/tcp), a python http.server started through
the session and fetched through the forward, the same local port when free, one line for bad input,
every forward gone when the connection closes. Parsers held to real ss, /proc and jupyter output."""

from __future__ import annotations

import asyncio
import re
import urllib.request
from pathlib import Path

import pytest

from exotui.ssh.client import connect
from exotui.ssh.forward import ForwardError, Listener, PortForwards, parse_jupyter, parse_listing, parse_port
from exotui.ssh.hostkeys import KnownHosts
from exotui.ssh.target import Target

pytestmark = pytest.mark.timeout(60)

# `ss -ltnpH` on this machine (the process column only for the user's own sockets)
SS = """\
LISTEN 0      250      127.0.0.1:3306       0.0.0.0:*
LISTEN 0      5        127.0.0.1:8888       0.0.0.0:*    users:(("jupyter-lab",pid=4242,fd=6))
LISTEN 0      128        0.0.0.0:22         0.0.0.0:*
LISTEN 0      4096 127.0.0.53%lo:53         0.0.0.0:*
LISTEN 0      128           [::]:22            [::]:*
LISTEN 0      5            [::1]:6006          [::]:*    users:(("tensorboard",pid=77,fd=3))
LISTEN 0      5         10.0.0.5:8787       0.0.0.0:*
LISTEN 0      5            evil\x1b[2J:99   0.0.0.0:*
LISTEN 0      5          127.0.0.1:9000     0.0.0.0:*    users:(("ev\x1b]0;owned\x07il",pid=9,fd=3))
"""
# /proc/net/tcp and tcp6 (header lines included): 127.0.0.1:3306 LISTEN, an ESTABLISHED one, [::1]:4369
PROC = """\
  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:0CEA 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1261696 1 0 100 0 0 10 0
   1: 0100007F:0CEA 0100007F:D2F0 01 00000000:00000000 00:00000000 00000000     0        0 1261697 1 0 20 4 30 10 -1
  sl  local_address                         remote_address                        st tx_queue rx_queue
   0: 00000000000000000000000001000000:1111 00000000000000000000000000000000:0000 0A 00000000:00000000 00:0 0 0
"""
# `jupyter server list --json` (jupyter_server 2.14) and the plain form of `jupyter notebook list`
JUPYTER_JSON = ('{"base_url": "/", "hostname": "localhost", "password": false, "pid": 4242, "port": 8888, '
                '"root_dir": "/home/exouser", "secure": false, "sock": "", "token": "3f9c2a7d0e", '
                '"url": "http://localhost:8888/", "version": "2.14.2"}\n'
                '{"base_url": "/lab\\u001b[2J", "port": 8890, "token": "x y"}\n')
JUPYTER_PLAIN = "Currently running servers:\nhttp://localhost:8889/nb/?token=abc123 :: /home/exouser\n"


def test_listening_ports_from_ss_and_proc():
    listeners = {item.port: item for item in parse_listing(SS)}
    assert list(listeners)[:3] == [6006, 8787, 8888]  # the well-known first
    assert set(listeners) == {22, 53, 3306, 6006, 8787, 8888, 9000}  # the line with no address is dropped
    assert listeners[9000].process == "ev␛]0;owned␇il"  # the instance's text, its controls made visible
    assert listeners[22].addresses == ("0.0.0.0", "::") and listeners[22].dest_host == "localhost"
    assert listeners[8888].process == "jupyter-lab" and listeners[8888].dest_host == "localhost"
    assert listeners[53].addresses == ("127.0.0.53",) and listeners[53].dest_host == "127.0.0.53"
    assert listeners[8787].dest_host == "10.0.0.5"  # only the private IP listens: forward to it
    assert listeners[6006].dest_host == "localhost"  # ::1 is loopback
    proc = parse_listing(PROC)
    assert proc == [Listener(3306, ("127.0.0.1",)), Listener(4369, ("::1",))]


def test_the_laptop_line_is_the_doctors_command_with_L():
    """The `ssh -L` line is Target.command (the doctor's suggested command) with -L first: port, key and jump
    host as there; an IPv6 destination in brackets, as ssh reads it."""
    target = Target("id", "gpu-node", "10.0.0.7", 2222, "exouser", jump="exouser@149.165.1.2:22",
                    key_files=(Path("/home/me/.ssh/jet key"),))
    assert target.command == "ssh -p 2222 -i '/home/me/.ssh/jet key' -J exouser@149.165.1.2:22 exouser@10.0.0.7"
    assert target.command_with("-L", "8888:localhost:8888") == ("ssh -L 8888:localhost:8888 -p 2222 -i "
                                                                "'/home/me/.ssh/jet key' -J exouser@149.165.1.2:22 "
                                                                "exouser@10.0.0.7")

    class Reached:  # PortForwards reads only the connection's target for the line
        pass

    reached = Reached()
    reached.target = target  # type: ignore[attr-defined]
    six = parse_listing("LISTEN 0 5 [fd00::5]:8888 [::]:*\n")[0]
    assert six.dest_host == "fd00::5"
    assert PortForwards(reached)._laptop(9000, six.dest_host, 8888).startswith("ssh -L 9000:[fd00::5]:8888 -p 2222")


def test_jupyter_tokens():
    assert parse_jupyter(JUPYTER_JSON) == {8888: ("3f9c2a7d0e", "/"), 8890: ("", "/")}  # odd values dropped
    assert parse_jupyter(JUPYTER_PLAIN) == {8889: ("abc123", "/nb/")}
    assert parse_jupyter("") == {}


@pytest.mark.parametrize(("typed", "said"), [
    ("abc", "'abc' is not a port number (1-65535)"), ("0", "0 is not a port: ports are 1-65535"),
    ("70000", "70000 is not a port: ports are 1-65535"), ("", "type a port number (1-65535)"),
    ("８８", "'８８' is not a port number (1-65535)"), ("-1", "'-1' is not a port number (1-65535)"),
])
def test_bad_ports_get_one_line(typed, said):
    with pytest.raises(ForwardError) as err:
        parse_port(typed)
    assert str(err.value) == said and "\n" not in said
    assert parse_port(" 8888 ") == 8888


async def serve(conn, directory, address: str):
    """A python http.server started through the session, on `address` and a port it picks; (shell, port)."""
    shell = await conn.shell(100, 10, command=f"cd {directory} && exec python3 -m http.server 0 --bind {address}")
    seen = b""
    while not (found := re.search(rb"port (\d+)", seen)):
        data = await asyncio.wait_for(shell.read(), 10)
        assert data, f"http.server ended: {seen!r}"
        seen += data
    return shell, int(found.group(1))


def fetch(port: int) -> str:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/index.html", timeout=5) as answer:
        return answer.read().decode()


async def test_forward_to_a_server_started_through_the_session(openssh, tmp_path):
    (tmp_path / "index.html").write_text("forwarded-ok\n")
    conn = await connect(openssh.target(), openssh.console_log(), store=KnownHosts())
    try:
        shell, port = await serve(conn, tmp_path, "127.0.0.1")
        shell2, port2 = await serve(conn, tmp_path, "127.0.0.2")
        forwards = conn.forwards
        listeners = await forwards.listening()
        assert listeners is not None
        mine = next(item for item in listeners if item.port == port)
        assert mine.addresses == ("127.0.0.1",) and mine.process.startswith("python")
        # the /proc fallback, read over the same connection, sees it too
        proc = parse_listing(await forwards._run("cat /proc/net/tcp /proc/net/tcp6") or "")
        assert port in {item.port for item in proc}

        # 127.0.0.1:port is taken here (the instance is this machine): another local port
        forward = await forwards.open(port, listeners)
        assert forward.local_port != port and forward.dest_host == "localhost"
        assert await asyncio.to_thread(fetch, forward.local_port) == "forwarded-ok\n"
        assert forward.url == f"http://127.0.0.1:{forward.local_port}/"
        assert forward.laptop == (f"ssh -L {forward.local_port}:localhost:{port} -p {openssh.port} "
                                  f"-i {openssh.user_key} {openssh.user}@127.0.0.1")
        assert await forwards.open(port, listeners) is forward  # asked twice: the same forward

        # only 127.0.0.2 listens: forwarded to it, and 127.0.0.1:port2 is free here, so the same number
        same = await forwards.open(port2, listeners)
        assert same.dest_host == "127.0.0.2" and same.local_port == port2
        assert await asyncio.to_thread(fetch, same.local_port) == "forwarded-ok\n"

        # closed, then asked again with the listing unknown (no ss, no /proc): forwarded to localhost all the same
        forward.close()
        assert forwards.open_now() == [same]
        with pytest.raises(OSError):
            await asyncio.to_thread(fetch, forward.local_port)
        again = await forwards.open(port, None)
        assert again is not forward and again.dest_host == "localhost"
        assert await asyncio.to_thread(fetch, again.local_port) == "forwarded-ok\n"

        free = max(item.port for item in listeners) + 1
        with pytest.raises(ForwardError, match=f"^nothing listens on port {free} on sshd-test$"):
            await forwards.open(free, listeners)
        shell.close()
        shell2.close()
    finally:
        await conn.close()
    # gone with the connection
    for local in (again.local_port, same.local_port):
        with pytest.raises(OSError):
            await asyncio.to_thread(fetch, local)

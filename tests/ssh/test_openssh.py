"""The client and the embedded terminal against a real OpenSSH sshd started on 127.0.0.1 (skipped
when /usr/sbin/sshd is absent): host key from a cloud-init style console log, a PTY of the asked
size that follows window changes, and the system `ssh` reusing exotui's pinned known_hosts."""

from __future__ import annotations

import asyncio
import shutil
import subprocess

import pytest

from exotui.ssh.client import SSHError, connect
from exotui.ssh.hostkeys import KnownHosts
from exotui.ssh.target import Target
from exotui.ssh.terminal import PyteEmulator

pytestmark = pytest.mark.timeout(60)


def target_for(openssh, **kw) -> Target:
    fields = dict(server_id="sshd-test", name="sshd-test", host=openssh.host, port=openssh.port,
                  user=openssh.user, key_files=(openssh.user_key,), user_source="the test")
    fields.update(kw)
    return Target(**fields)


async def read_until(shell, emulator: PyteEmulator, text: str) -> None:
    async def loop():
        while not any(text in line for line in emulator.display()):
            data = await shell.read()
            if not data:
                raise AssertionError(f"EOF before {text!r}: {emulator.display()}")
            emulator.feed(data)
    try:
        await asyncio.wait_for(loop(), 10)
    except asyncio.TimeoutError:
        raise AssertionError(f"no {text!r} on {emulator.display()}") from None


async def test_pty_session_on_openssh(openssh):
    store = KnownHosts()
    conn = await connect(target_for(openssh), openssh.console_log(), store=store)
    assert conn.trust.source == "console"
    emulator = PyteEmulator(100, 30)
    shell = await conn.shell(100, 30, command="/bin/sh")
    emulator.reply = shell.write
    shell.write(b"echo hel''lo; stty size\n")
    await read_until(shell, emulator, "30 100")
    assert any(line.rstrip().endswith("hello") for line in emulator.display()), emulator.display()[:5]
    shell.resize(120, 40)
    emulator.resize(120, 40)
    shell.write(b"stty size\n")
    await read_until(shell, emulator, "40 120")
    shell.write(b"exit\n")
    while await shell.read():
        pass
    await conn.close()
    assert store.lookup(openssh.host, openssh.port)[0].blob == openssh.host_public[1]


async def test_openssh_key_mismatch_is_refused(openssh, tmp_path):
    import asyncssh

    other = asyncssh.generate_private_key("ssh-ed25519").export_public_key("openssh").decode().split()[:2]
    store = KnownHosts(tmp_path / "kh")
    store.pin(openssh.host, openssh.port, "sshd-test", [tuple(other)])
    with pytest.raises(SSHError) as refused:
        await connect(target_for(openssh), openssh.console_log(), store=store)
    assert refused.value.kind == "mismatch"


@pytest.mark.skipif(shutil.which("ssh") is None, reason="no OpenSSH client (ssh) installed")
async def test_system_ssh_uses_the_pinned_known_hosts(openssh):
    """The "open in my terminal" command line works with OpenSSH's own strict checking."""
    store = KnownHosts()
    conn = await connect(target_for(openssh), openssh.console_log(), store=store)
    await conn.close()
    argv = target_for(openssh).ssh_command(store.path, ("echo", "via-openssh"))
    argv[1:1] = ["-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes", "-F", "/dev/null"]
    done = await asyncio.to_thread(subprocess.run, argv, capture_output=True, text=True, timeout=20)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "via-openssh"

"""The SSH client against the demo cloud's web-frontend instance: the console log's key is pinned and
then used, a changed key is refused with an explanation, a host without a key block needs the user's
word, and each failure is one clear line."""

from __future__ import annotations

import asyncio
import dataclasses

import asyncssh
import pytest

from exotui.ssh.client import HostKeyUnknown, SSHError, connect

pytestmark = pytest.mark.timeout(60)


async def run(conn, command: str) -> str:
    shell = await conn.shell(80, 24, command=command)
    out = b""
    while True:
        data = await asyncio.wait_for(shell.read(), 10)
        if not data:
            return out.decode()
        out += data


def _other_key() -> tuple[str, str]:
    key = asyncssh.generate_private_key("ssh-ed25519")
    return tuple(key.export_public_key("openssh").decode().split()[:2])


async def test_console_key_is_pinned_then_used(web):
    conn = await connect(web.target, web.console)
    assert conn.trust.source == "console"
    assert "hello" in await run(conn, "echo hello")
    await conn.close()
    pins = web.store.lookup(web.target.host, web.target.port)
    assert [(p.key_type, p.blob, p.server_id) for p in pins] == [(*k, web.server.id) for k in conn.trust.keys]
    # the second time the pin is what counts, with or without a console log
    conn = await connect(web.target, None)
    assert conn.trust.source == "pinned"
    await conn.close()


async def test_a_changed_key_is_refused_then_forgotten_on_request(web):
    web.store.pin(web.target.host, web.target.port, "another-instance", [_other_key()])
    with pytest.raises(SSHError) as refused:
        await connect(web.target, web.console)
    assert refused.value.kind == "mismatch"
    message = str(refused.value)
    assert "\n" not in message and "reused" in message and "another-instance" in message
    assert web.store.lookup(web.target.host, web.target.port)[0].server_id == "another-instance"  # untouched
    # the same instance presenting another key: rebuilt, or someone else answers
    web.store.pin(web.target.host, web.target.port, web.server.id, [_other_key()])
    with pytest.raises(SSHError, match="no longer presents the key pinned"):
        await connect(web.target, web.console)
    # after the user confirmed: forget, then the console log vouches again
    assert web.store.forget(web.target.host, web.target.port) == 1
    conn = await connect(web.target, web.console)
    await conn.close()


async def test_a_console_log_that_lies_is_refused(web):
    fake = f"-----BEGIN SSH HOST KEY KEYS-----\n{' '.join(_other_key())} root@x\n-----END SSH HOST KEY KEYS-----\n"
    with pytest.raises(SSHError, match="console log printed") as refused:
        await connect(web.target, fake)
    assert refused.value.kind == "mismatch"
    assert not web.store.lookup(web.target.host, web.target.port)  # nothing pinned


async def test_no_key_block_asks_with_the_fingerprint(web):
    with pytest.raises(HostKeyUnknown) as unknown:
        await connect(web.target, "a console log without cloud-init's blocks\n")
    assert unknown.value.fingerprint.startswith("SHA256:") and unknown.value.fingerprint in str(unknown.value)
    unknown.value.accept()  # what the UI does after the user said yes
    conn = await connect(web.target, None)
    assert conn.trust.source == "pinned"
    await conn.close()


async def test_one_line_errors(web, unused_tcp_port):
    with pytest.raises(SSHError) as auth:
        await connect(dataclasses.replace(web.target, user="nobody"), web.console)
    assert auth.value.kind == "auth" and "nobody" in str(auth.value)
    with pytest.raises(SSHError) as refused:
        await connect(dataclasses.replace(web.target, port=unused_tcp_port), web.console)
    assert refused.value.kind == "refused" and "refused" in str(refused.value)
    with pytest.raises(SSHError) as timeout:  # a listener that never answers the SSH banner
        server = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        await connect(dataclasses.replace(web.target, host="127.0.0.1", port=port), web.console, timeout=0.5)
    server.close()
    assert timeout.value.kind == "timeout"

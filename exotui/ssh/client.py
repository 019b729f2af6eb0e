"""The SSH client: connect to a Target with exotui's host-key policy, then drive a PTY session.

Like OpenSSH would: keys from ssh-agent, ~/.ssh/id_* and the cloud config dir's demo key;
~/.ssh/config read by asyncssh's own config support (its default; explicit
user/port/keys win, as on OpenSSH's command line); agent forwarding off. Every failure becomes
an SSHError whose str() is one line a user can act on (refused, auth failed, host key mismatch,
unknown host key, timeout, unreachable). asyncssh is imported lazily: it costs ~0.3 s.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import TYPE_CHECKING

from .hostkeys import KnownHosts, Trust, decide, host_pattern, mismatch_message
from .target import Remembered, Target

if TYPE_CHECKING:
    import asyncssh

DEFAULT_KEYS = ("id_ed25519", "id_ecdsa", "id_rsa")
TERM = "xterm-256color"


class SSHError(Exception):
    """A failure to connect, as one line. kind: refused, auth, mismatch, unknown_key, timeout, unreachable,
    closed."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


class HostKeyUnknown(SSHError):
    """Nothing vouches for the key the host offered: ask the user (show `fingerprint`), then `accept()`."""

    def __init__(self, target: Target, key_type: str, blob: str, fingerprint: str, store: KnownHosts) -> None:
        super().__init__("unknown_key", f"{host_pattern(target.host, target.port)} offers a host key nothing "
                         f"vouches for (no key block in its console log): {key_type} {fingerprint}")
        self.target, self.key_type, self.blob, self.fingerprint, self.store = target, key_type, blob, fingerprint, store

    def accept(self) -> None:
        self.store.pin(self.target.host, self.target.port, self.target.server_id, [(self.key_type, self.blob)])


def _client_class():
    import asyncssh

    class Client(asyncssh.SSHClient):
        """Records the host key offered, and accepts one matching a console-log fingerprint."""

        def __init__(self, fingerprints: tuple[str, ...]) -> None:
            self.offered: asyncssh.SSHKey | None = None
            self.by_fingerprint = False
            self._fingerprints = fingerprints

        def validate_host_public_key(self, host, addr, port, key) -> bool:
            self.offered = key
            self.by_fingerprint = key.get_fingerprint("sha256") in self._fingerprints
            return self.by_fingerprint

    return Client


async def _client_keys(target: Target) -> tuple[list, object | None]:
    """Keys to offer, and the agent connection to close afterwards (its keys need it open)."""
    import asyncssh

    keys: list = []
    home_ssh = Path.home() / ".ssh"
    for path in [*target.key_files, *(home_ssh / name for name in DEFAULT_KEYS)]:
        if path.is_file():
            try:
                keys.extend(asyncssh.load_keypairs([str(path)]))
            except (asyncssh.KeyImportError, OSError, ValueError):
                pass  # e.g. protected by a passphrase: the agent probably holds it
    agent = None
    if os.environ.get("SSH_AUTH_SOCK"):
        try:
            agent = await asyncssh.connect_agent()
            keys = list(await agent.get_keys()) + keys
        except (OSError, asyncssh.Error):
            agent = None
    return keys, agent


async def connect(target: Target, console_text: str | None, *, store: KnownHosts | None = None,
                  timeout: float = 15.0, agent_forwarding: bool = False) -> "Connection":
    """An authenticated connection to `target`, its host key checked (and pinned when the console
    log vouched for it). Raises SSHError (HostKeyUnknown when the user must decide)."""
    import asyncssh

    store = store or KnownHosts()
    trust = decide(store, target.host, target.port, console_text)
    trusted = [asyncssh.import_public_key(f"{t} {b}") for t, b in trust.keys]
    client = _client_class()(trust.fingerprints)
    keys, agent = await _client_keys(target)
    where = f"{target.host}:{target.port}" + (f" via {target.jump}" if target.jump else "")
    try:
        conn, _ = await asyncio.wait_for(asyncssh.create_connection(
            lambda: client, target.host, target.port, username=target.user, client_keys=keys, agent_path=None,
            known_hosts=(trusted, [], []), agent_forwarding=agent_forwarding, tunnel=target.jump or (),
            connect_timeout=timeout, preferred_auth="publickey"), timeout + 1)
    except asyncssh.HostKeyNotVerifiable:
        await _close_agent(agent)
        offered = client.offered
        if offered is None:
            raise SSHError("mismatch", f"{where}: the host key could not be checked") from None
        key_type, blob = offered.export_public_key("openssh").decode().split()[:2]
        if trust.source == "ask":
            raise HostKeyUnknown(target, key_type, blob, offered.get_fingerprint("sha256"), store) from None
        raise SSHError("mismatch", mismatch_message(target.host, target.port, trust, target.server_id,
                                                    offered.get_fingerprint("sha256"))) from None
    except BaseException as err:
        await _close_agent(agent)
        if isinstance(err, Exception):
            raise _explain(err, target, where) from None
        raise
    if trust.source == "console":  # the console log vouched for it: pin the whole block
        store.pin(target.host, target.port, target.server_id, list(trust.keys))
    elif client.by_fingerprint and client.offered is not None:
        key_type, blob = client.offered.export_public_key("openssh").decode().split()[:2]
        store.pin(target.host, target.port, target.server_id, [(key_type, blob)])
    try:
        Remembered().set(target.server_id, target.user)
    except OSError:
        pass  # remembering is a convenience
    return Connection(conn, agent, target, trust)


async def _close_agent(agent) -> None:
    if agent is not None:
        agent.close()
        await agent.wait_closed()


def _explain(err: Exception, target: Target, where: str) -> SSHError:
    import asyncssh

    if isinstance(err, asyncssh.PermissionDenied):
        return SSHError("auth", f"authentication failed as {target.user} on {where} (user from {target.user_source};"
                        " is your key the instance's keypair, or loaded in ssh-agent?)")
    if isinstance(err, ConnectionRefusedError):
        return SSHError("refused", f"connection refused by {where}: sshd is not running there yet, or the "
                        "port is closed")
    if isinstance(err, (asyncio.TimeoutError, TimeoutError)):
        return SSHError("timeout", f"timed out connecting to {where}: does a security group allow SSH (port "
                        f"{target.port}) from your address?")
    if isinstance(err, asyncssh.DisconnectError):
        return SSHError("closed", f"{where} closed the connection: {err.reason}")
    if isinstance(err, OSError):
        return SSHError("unreachable", f"cannot reach {where}: {err.strerror or err}")
    return SSHError("closed", f"{where}: {type(err).__name__}: {err}")


class Connection:
    """An open SSH connection: start PTY sessions on it, then close it."""

    def __init__(self, conn: "asyncssh.SSHClientConnection", agent, target: Target, trust: Trust) -> None:
        self.conn, self._agent, self.target, self.trust = conn, agent, target, trust

    async def shell(self, columns: int, lines: int, term_type: str = TERM, command: str | None = None) -> "Shell":
        import asyncssh

        try:
            process = await self.conn.create_process(command, term_type=term_type, term_size=(columns, lines),
                                                     encoding=None, stderr=asyncssh.STDOUT)
        except (asyncssh.Error, OSError) as err:
            raise SSHError("closed", f"{self.target.label}: cannot open a terminal: {err}") from None
        return Shell(process)

    async def close(self) -> None:
        self.conn.close()
        try:
            await asyncio.wait_for(self.conn.wait_closed(), 5)
        except (asyncio.TimeoutError, OSError):
            pass
        await _close_agent(self._agent)
        self._agent = None


class Shell:
    """A remote process on a PTY: bytes in, bytes out, window-size changes."""

    def __init__(self, process: "asyncssh.SSHClientProcess") -> None:
        self.process = process

    async def read(self, size: int = 65536) -> bytes:
        """The next output (b"" once the remote side has finished)."""
        try:
            return await self.process.stdout.read(size)
        except (OSError, EOFError):
            return b""

    def write(self, data: bytes) -> None:
        if not self.process.stdin.is_closing():
            self.process.stdin.write(data)

    def resize(self, columns: int, lines: int) -> None:
        try:
            self.process.change_terminal_size(columns, lines)
        except OSError:
            pass  # the channel is closing

    @property
    def exit_status(self) -> int | None:
        return self.process.exit_status

    def close(self) -> None:
        self.process.close()

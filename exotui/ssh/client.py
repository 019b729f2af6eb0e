"""The SSH client: connect to a Target with exotui's host-key policy, then drive a PTY session.

Like OpenSSH would: keys from ssh-agent, ~/.ssh/id_* and the cloud config dir's demo key;
~/.ssh/config read by asyncssh's own config support (its default; explicit
user/port/keys win, as on OpenSSH's command line); agent forwarding off. A password (Exosphere's
exouser passphrase, read from Nova) is offered only after the keys failed, and only to a server
whose host key checked out; it lives in the client object, never in a message or a Target.
Every failure becomes an SSHError whose str() is one line a user can act on (refused, auth failed,
host key mismatch, unknown host key, timeout, unreachable); a mismatch with a pinned key is a
HostKeyChanged, which can forget the old pin once the user confirmed it. asyncssh is imported lazily: it costs ~0.3 s.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import TYPE_CHECKING

from .forward import PortForwards
from .hostkeys import KnownHosts, Trust, decide, host_pattern, mismatch_message
from .target import Remembered, Target

if TYPE_CHECKING:
    import asyncssh

DEFAULT_KEYS = ("id_ed25519", "id_ecdsa", "id_rsa")
# asyncssh's own list with AES-GCM first: as strong as chacha20-poly1305, and one AEAD call per packet
# instead of three cipher contexts (bench/ssh.py: ~1.3x the throughput of a `cat` flood).
CIPHERS = ("aes128-gcm@openssh.com", "aes256-gcm@openssh.com", "chacha20-poly1305@openssh.com", "aes256-ctr",
           "aes192-ctr", "aes128-ctr")
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


class HostKeyChanged(SSHError):
    """The address offers another key than the one pinned for it: refused. The old pin may be dropped
    (`forget()`), but only after the user confirmed it by name: floating IPs get reused."""

    def __init__(self, message: str, target: Target, store: KnownHosts, pinned_for: str) -> None:
        super().__init__("mismatch", message)
        self.target, self.store, self.pinned_for = target, store, pinned_for

    def forget(self) -> int:
        return self.store.forget(self.target.host, self.target.port)


def _client_class():
    import asyncssh

    class Client(asyncssh.SSHClient):
        """Records the host key offered, accepts one matching a console-log fingerprint, and answers a
        password request (or a keyboard-interactive password prompt) once, if it has a password."""

        def __init__(self, fingerprints: tuple[str, ...], password: str | None = None) -> None:
            self.offered: asyncssh.SSHKey | None = None
            self.by_fingerprint = False
            self._fingerprints = fingerprints
            self._password = password
            self.password_tried = False

        def validate_host_public_key(self, host, addr, port, key) -> bool:
            self.offered = key
            self.by_fingerprint = key.get_fingerprint("sha256") in self._fingerprints
            return self.by_fingerprint

        def password_auth_requested(self) -> str | None:
            if self._password is None or self.password_tried:
                return None
            self.password_tried = True
            return self._password

        def kbdint_auth_requested(self) -> str | None:
            return "" if self._password is not None and not self.password_tried else None

        def kbdint_challenge_received(self, name, instructions, lang, prompts):
            if not prompts:
                return []
            if (len(prompts) == 1 and not prompts[0][1] and self._password is not None and not self.password_tried
                    and any(word in prompts[0][0].lower() for word in ("password", "passphrase"))):
                self.password_tried = True
                return [self._password]
            return None  # anything else (a second factor...) is not ours to answer

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
                  timeout: float = 15.0, agent_forwarding: bool = False, password: str | None = None) -> "Connection":
    """An authenticated connection to `target`, its host key checked (and pinned when the console
    log vouched for it); `password` is tried after the keys. Raises SSHError (HostKeyUnknown when
    the user must decide)."""
    import asyncssh

    store = store or KnownHosts()
    trust = decide(store, target.host, target.port, console_text)
    trusted = [asyncssh.import_public_key(f"{t} {b}") for t, b in trust.keys]
    client = _client_class()(trust.fingerprints, password)
    keys, agent = await _client_keys(target)
    where = f"{target.host}:{target.port}" + (f" via {target.jump}" if target.jump else "")
    try:
        conn, _ = await asyncio.wait_for(asyncssh.create_connection(
            lambda: client, target.host, target.port, username=target.user, client_keys=keys, agent_path=None,
            known_hosts=(trusted, [], []), agent_forwarding=agent_forwarding, tunnel=target.jump or (),
            connect_timeout=timeout, encryption_algs=CIPHERS,
            preferred_auth="publickey,keyboard-interactive,password" if password else "publickey"), timeout + 1)
    except asyncssh.HostKeyNotVerifiable:
        await _close_agent(agent)
        offered = client.offered
        if offered is None:
            raise SSHError("mismatch", f"{where}: the host key could not be checked") from None
        key_type, blob = offered.export_public_key("openssh").decode().split()[:2]
        if trust.source == "ask":
            raise HostKeyUnknown(target, key_type, blob, offered.get_fingerprint("sha256"), store) from None
        message = mismatch_message(target.host, target.port, trust, target.server_id, offered.get_fingerprint("sha256"))
        if trust.source == "pinned":
            raise HostKeyChanged(message, target, store, trust.pinned_for) from None
        raise SSHError("mismatch", message) from None
    except BaseException as err:
        await _close_agent(agent)
        if isinstance(err, Exception):
            raise _explain(err, target, where, client.password_tried) from None
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
    connection = Connection(conn, agent, target, trust)
    connection.by_password = client.password_tried  # keys go first: it was asked for only if they failed
    return connection


async def _close_agent(agent) -> None:
    if agent is not None:
        agent.close()
        await agent.wait_closed()


def _explain(err: Exception, target: Target, where: str, password_tried: bool = False) -> SSHError:
    import asyncssh

    if isinstance(err, asyncssh.PermissionDenied):
        also = ", then the instance's passphrase from Nova" if password_tried else ""
        return SSHError("auth", f"authentication failed as {target.user} on {where} (user from {target.user_source};"
                        f" tried your keys{also}: is your key the instance's keypair, or loaded in ssh-agent?)")
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
        self.by_password = False  # logged in with the password (the keys were refused)
        self.forwards = PortForwards(self)  # `ssh -L`s on this connection: they close with it

    async def shell(self, columns: int, lines: int, term_type: str = TERM, command: str | None = None) -> "Shell":
        import asyncssh

        try:
            process = await self.conn.create_process(command, term_type=term_type, term_size=(columns, lines),
                                                     encoding=None, stderr=asyncssh.STDOUT)
        except (asyncssh.Error, OSError) as err:
            raise SSHError("closed", f"{self.target.label}: cannot open a terminal: {err}") from None
        return Shell(process)

    async def close(self) -> None:
        self.forwards.close()
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

    async def read(self, size: int = 1 << 20) -> bytes:
        """The next output (b"" once the remote side has finished): what has arrived, up to `size`
        (large: the terminal jumps over a flood in big pieces, see ssh/terminal.py)."""
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

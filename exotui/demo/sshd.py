"""SSH endpoints of the demo cloud's instances: a real login shell on a real PTY behind each floating IP.

Every ACTIVE instance with a floating IP gets an asyncssh server on (its floating IP, world.ssh_port).
Floating IPs are loopback addresses (127.64.x.y), so the address a client reads from Neutron is
one it can connect to, and one port number serves every instance. The fleet follows the world:
Nova and Neutron call `world.changed`, and an instance that stops being reachable (stopped,
suspended, shelved, deleted, its floating IP released) loses its listener and its connections.

Like a cloud image, an instance accepts the key of its Nova keypair, as its image's `default_user`
or as `exouser`, and nothing else (but exouser's passphrase where the instance posted one to
Nova, as Exosphere's do). A "login" is a shell on the machine running the demo cloud, as
the user running it, with a throwaway home directory; the environment is built from scratch so
nothing of the demo cloud's own environment (credentials included) reaches it. Its `sudo` is the
demo's (sandbox.py), first on PATH: root's writes land in the instance's own sandbox, never in this
machine's /etc; a usage reporter installed there makes the instance write usage lines to its console.
A port forward (`ssh -L`) may reach the instance's loopback only.
"""

from __future__ import annotations

import asyncio
import fcntl
import hmac
import ipaddress
import logging
import os
import re
import shlex
import shutil
import signal
import socket
import struct
import tempfile
import termios
from dataclasses import dataclass, field
from pathlib import Path

import asyncssh

from . import console, neutron, sandbox
from .world import World

log = logging.getLogger("exotui.demo.sshd")

SHELL = "/bin/bash" if os.path.exists("/bin/bash") else "/bin/sh"
PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
EXOSPHERE_USER = "exouser"  # the login Exosphere creates on its instances; accepted everywhere here
_USERNAME = re.compile(r"^[a-z_][a-z0-9_.-]{0,31}$")  # what useradd accepts; also safe in paths and PS1
HANGUP_GRACE = 3.0  # seconds a shell gets to exit after SIGHUP before SIGKILL
PTY_DRAIN = 1.0  # after the shell exits, how long to wait for the rest of its output


@dataclass
class _Endpoint:
    address: str
    acceptor: asyncssh.SSHAcceptor | None = None
    connections: set[asyncssh.SSHServerConnection] = field(default_factory=set)


class SSHFleet:
    """The SSH side of every instance. `await start()`, then it follows world changes until `stop()`."""

    def __init__(self, world: World, state_dir: Path | None):
        self.world = world
        self._state_dir = state_dir
        self._homes: Path | None = None
        self._tempdir: str | None = None
        self._endpoints: dict[str, _Endpoint] = {}
        self._dirty: set[str] = set()
        self._task: asyncio.Task | None = None
        self._sessions: set[_Session] = set()
        self._stopping = False

    async def start(self) -> None:
        self.world.ssh_port = self._port()
        if self._state_dir is None:
            self._tempdir = tempfile.mkdtemp(prefix="exotui-demo-ssh-")
            self._homes = Path(self._tempdir)
        else:
            self._homes = self._state_dir / "ssh-home"
        self.world.listeners.append(self._on_change)
        self.world.console_readers.append(self._before_console)
        # only servers with a floating IP can be reachable: start from Neutron's table, not 20,000 servers
        self._dirty.update(self._device_of(fip) for fip in self.world.floatingips.values())
        self._dirty.discard("")
        self._task = asyncio.get_running_loop().create_task(self._reconcile())
        await self._task

    def _port(self) -> int:
        """One port number, free on 127.0.0.1, for every instance: the one this state dir used last time
        when it is still free (a dashboard left open, or a clouds.yaml written before, keeps working
        across restarts of the demo), else a new one, remembered in the state dir."""
        saved = self._state_dir / "ssh-port" if self._state_dir is not None else None
        wanted = 0
        if saved is not None:
            try:
                wanted = int(saved.read_text().strip())
            except (OSError, ValueError):
                wanted = 0
        for port in ([wanted] if wanted else []) + [0]:
            with socket.socket() as probe:
                probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the listeners (TIME_WAIT)
                try:
                    probe.bind(("127.0.0.1", port))
                except OSError:
                    continue
                port = probe.getsockname()[1]
            break
        if saved is not None and port != wanted:
            try:
                saved.parent.mkdir(parents=True, exist_ok=True)
                saved.write_text(f"{port}\n")
            except OSError as err:
                log.warning("demo ssh: cannot remember the port in %s: %s", saved, err)
        return port

    async def stop(self) -> None:
        """Close every listener and connection; hang up (then kill) the shells this fleet started."""
        self._stopping = True
        if self._on_change in self.world.listeners:
            self.world.listeners.remove(self._on_change)
        if self._before_console in self.world.console_readers:
            self.world.console_readers.remove(self._before_console)
        if self._task is not None:
            await asyncio.gather(self._task, return_exceptions=True)
        sessions = list(self._sessions)
        for server_id in list(self._endpoints):
            await self._close(server_id)
        # closing the connections hung up every login; kill what outlives the grace period
        tasks = [s.task for s in sessions if s.task is not None]
        if tasks:
            _, lingering = await asyncio.wait(tasks, timeout=HANGUP_GRACE + PTY_DRAIN)
            for session in sessions:
                session.kill()
            if lingering:
                await asyncio.wait(lingering, timeout=PTY_DRAIN + 1)
        self.world.ssh_port = 0
        if self._tempdir is not None:
            shutil.rmtree(self._tempdir, ignore_errors=True)
            self._tempdir = None

    async def settled(self) -> None:
        """Wait until the listeners match the world (after a burst of changes)."""
        while self._task is not None and not self._task.done():
            await asyncio.shield(self._task)

    # --- following the world ------------------------------------------------------------------

    def _on_change(self, kind: str, ident: str) -> None:
        if self._stopping:
            return
        if kind == "server":
            self._dirty.add(ident)
        elif kind == "floatingip":
            # a released or moved address can only have been serving a server we listen for
            self._dirty.update(self._endpoints)
            fip = self.world.floatingips.get(ident)
            if fip:
                self._dirty.add(self._device_of(fip))
            self._dirty.discard("")
        else:
            return
        if self._task is None or self._task.done():  # one reconciler at a time; it drains the set
            self._task = asyncio.get_running_loop().create_task(self._reconcile())

    def _device_of(self, fip: dict) -> str:
        port = self.world.ports.get(fip.get("port_id") or "")
        return (port or {}).get("device_id") or ""

    async def _reconcile(self) -> None:
        while self._dirty and not self._stopping:
            batch, self._dirty = self._dirty, set()
            wanted = {}
            for server_id in batch:
                try:
                    wanted[server_id] = self._reachable_at(server_id)
                except Exception:  # one instance's trouble must not stop the others
                    log.exception("demo ssh: cannot tell where server %s listens", server_id)
            # close before opening: a floating IP moved between servers is free again only then
            for server_id, address in wanted.items():
                endpoint = self._endpoints.get(server_id)
                if endpoint is not None and endpoint.address != address:
                    await self._close(server_id)
            for server_id, address in wanted.items():
                if address is not None and server_id not in self._endpoints and not self._stopping:
                    try:
                        await self._open(server_id, address)
                    except Exception:
                        log.exception("demo ssh: cannot serve server %s", server_id)

    def _reachable_at(self, server_id: str) -> str | None:
        server = self.world.servers.get(server_id)
        if server is None or server.get("_deleted") or server.get("status") != "ACTIVE":
            return None
        address = neutron.floating_ip_of(self.world, server_id)
        if address is None or not ipaddress.ip_address(address).is_loopback:
            return None  # never listen beyond this machine
        return address

    async def _open(self, server_id: str, address: str) -> None:
        server = self.world.servers[server_id]
        if "_authorized_keys" not in server:
            # cloud-init writes the keypair into authorized_keys at first boot; later keypair
            # changes in Nova do not reach a running instance
            keypair = self.world.keypairs.get((server.get("user_id", ""), server.get("key_name") or ""))
            server["_authorized_keys"] = [keypair["public_key"]] if keypair else []
        endpoint = _Endpoint(address)
        try:
            endpoint.acceptor = await asyncssh.create_server(
                lambda: _Server(self, server_id, endpoint), address, self.world.ssh_port,
                server_host_keys=[console.host_key(self.world, server)], reuse_address=True,
                gss_host=None, agent_forwarding=False, x11_forwarding=False, allow_scp=False,
                encoding=None, login_timeout=60)
        except OSError as err:
            log.warning("demo ssh: cannot listen on %s:%s for %s: %s", address, self.world.ssh_port,
                        server.get("name"), err)
            return
        self._endpoints[server_id] = endpoint
        self.world.ssh_endpoints[server_id] = (address, self.world.ssh_port)

    async def _close(self, server_id: str) -> None:
        endpoint = self._endpoints.pop(server_id)
        self.world.ssh_endpoints.pop(server_id, None)
        endpoint.acceptor.close()
        connections = list(endpoint.connections)
        for conn in connections:
            conn.disconnect(asyncssh.DISC_BY_APPLICATION, "The instance is no longer reachable")
        await asyncio.gather(*(conn.wait_closed() for conn in connections), return_exceptions=True)
        await endpoint.acceptor.wait_closed()

    # --- what a login sees ----------------------------------------------------------------------

    def users(self, server: dict) -> set[str]:
        """Login names this instance accepts: its image's default_user and exouser."""
        names = {console.default_user(self.world, server), EXOSPHERE_USER}
        return {n for n in names if n and _USERNAME.match(n)}

    def home(self, server: dict, user: str) -> Path:
        """The throwaway home of `user` on this instance, with a prompt naming the instance."""
        assert self._homes is not None
        path = self._homes / server["id"] / user
        if not path.exists():
            path.mkdir(parents=True, mode=0o700)
            name = console.hostname(server)
            (path / ".bashrc").write_text(
                "# exotui demo cloud: this instance is a shell on the machine running the demo cloud\n"
                f"PS1='{user}@{name}:\\w$ '\nhostname() {{ echo {name}; }}\n")
            (path / ".bash_profile").write_text(". ~/.bashrc\n")
            (path / ".profile").write_text(f"PS1='{user}@{name}$ '\nhostname() {{ echo {name}; }}\n")
        # a login shell's /etc/profile sets PATH anew: the rc files put the sandbox's sudo first again
        bin_dir, _ = self.sandbox(server)
        where = shlex.quote(str(bin_dir))
        first = f'case ":$PATH:" in *:{where}:*) ;; *) PATH={where}:$PATH;; esac\n'
        for rc in (path / ".bashrc", path / ".profile"):
            text = rc.read_text() if rc.exists() else ""
            if first not in text:
                rc.write_text(text + first)
        return path

    def sandbox(self, server: dict) -> tuple[Path, Path]:
        """(bin dir first on PATH, sandbox root) of the instance: its `sudo` confines root's writes (sandbox.py)."""
        assert self._homes is not None
        return sandbox.prepare(self._homes / server["id"], server)

    def notice_reporter(self, server: dict) -> None:
        """After each command or shell: a usage reporter installed in the sandbox makes the instance write usage
        lines to its console from this minute on (demo/usage.py); one removed stops them. An instance seeded with
        a reporter of its own (Exosphere's) keeps it either way."""
        _, root = self.sandbox(server)
        console_dev = sandbox.reporter(root)
        now = self.world.now()
        if console_dev is not None and (not server.get("_usage") or server.get("_usage_until")):
            server.update(_usage="light", _usage_since=now.replace(second=0, microsecond=0), _usage_sandbox=True,
                          _usage_kmsg=console_dev == "/dev/kmsg")
            server.pop("_usage_until", None)
            log.info("demo ssh: %s has a usage reporter now", server.get("name"))
        elif console_dev is None and server.get("_usage_sandbox") and not server.get("_usage_until"):
            server["_usage_until"] = now
            log.info("demo ssh: %s's usage reporter was removed", server.get("name"))

    def _before_console(self, server: dict) -> None:
        """A console read: a reporter installed (or removed) from a shell that is still open counts already."""
        if self._homes is not None and (self._homes / server["id"] / ".root").is_dir():
            try:
                self.notice_reporter(server)
            except OSError as err:
                log.warning("demo ssh: cannot read the sandbox of %s: %s", server.get("name"), err)


class _Server(asyncssh.SSHServer):
    """One connection to one instance: public-key auth against the instance's keypair."""

    def __init__(self, fleet: SSHFleet, server_id: str, endpoint: _Endpoint):
        self._fleet = fleet
        self._server_id = server_id
        self._endpoint = endpoint
        self._conn: asyncssh.SSHServerConnection | None = None

    def connection_made(self, conn: asyncssh.SSHServerConnection) -> None:
        self._conn = conn
        self._endpoint.connections.add(conn)

    def connection_lost(self, exc: Exception | None) -> None:
        self._endpoint.connections.discard(self._conn)

    def begin_auth(self, username: str) -> bool:
        return True

    def public_key_auth_supported(self) -> bool:
        return True

    def validate_public_key(self, username: str, key: asyncssh.SSHKey) -> bool:
        server = self._fleet.world.servers.get(self._server_id)
        if server is None or username not in self._fleet.users(server):
            return False
        for line in server.get("_authorized_keys", []):
            try:
                if asyncssh.import_public_key(line).public_data == key.public_data:
                    return True
            except (asyncssh.KeyImportError, ValueError):
                continue
        return False

    # Exosphere's setup gives `exouser` a generated passphrase and posts it to Nova (os-server-password,
    # the demo's server["_password"]); such an instance takes it as exouser's password.
    def password_auth_supported(self) -> bool:
        server = self._fleet.world.servers.get(self._server_id)
        return bool(server and server.get("_password"))

    def validate_password(self, username: str, password: str) -> bool:
        server = self._fleet.world.servers.get(self._server_id)
        expected = (server or {}).get("_password") or ""
        return (username == EXOSPHERE_USER and bool(expected)
                and hmac.compare_digest(password.encode(), expected.encode()))

    def connection_requested(self, dest_host: str, dest_port: int, orig_host: str, orig_port: int) -> bool:
        """`ssh -L` to the instance's own loopback (a Jupyter on localhost:8888): the instance is this machine,
        whose shell the login has anyway; anything else is refused, as AllowTcpForwarding=local would not."""
        if dest_host == "localhost":
            return True
        try:
            return ipaddress.ip_address(dest_host).is_loopback
        except ValueError:
            return False

    def session_requested(self) -> asyncssh.SSHServerSession | bool:
        server = self._fleet.world.servers.get(self._server_id)
        return _Session(self._fleet, server, self._conn) if server is not None else False


class _Session(asyncssh.SSHServerSession):
    """A shell or command: on a PTY if the client asked for one, else on pipes."""

    def __init__(self, fleet: SSHFleet, server: dict, conn: asyncssh.SSHServerConnection):
        self._fleet = fleet
        self._server = server
        self._conn = conn
        self._chan: asyncssh.SSHServerChannel | None = None
        self._term: str | None = None
        self._size = (80, 24, 0, 0)
        self._command: str | None = None
        self._proc: asyncio.subprocess.Process | None = None
        self._master: int | None = None  # the PTY's master side, non-blocking
        self._pty_done = asyncio.Event()
        self._input = bytearray()  # client keystrokes not yet taken by the PTY or pipe
        self._input_eof = False
        self._writing = False
        self._can_write = asyncio.Event()  # cleared while the channel's send buffer is full
        self._can_write.set()
        self._hung_up = False
        self.task: asyncio.Task | None = None

    # --- what the client asks for ---------------------------------------------------------

    def connection_made(self, chan: asyncssh.SSHServerChannel) -> None:
        self._chan = chan

    def pty_requested(self, term_type: str, term_size: tuple, term_modes: dict) -> bool:
        self._term = term_type or "xterm"
        if term_size[0] and term_size[1]:
            self._size = term_size
        return True

    def shell_requested(self) -> bool:
        return True

    def exec_requested(self, command: str | bytes) -> bool:
        self._command = command.decode("utf-8", "replace") if isinstance(command, bytes) else command
        return True

    def subsystem_requested(self, subsystem: str) -> bool:
        return False  # no sftp on demo instances

    def session_started(self) -> None:
        self._fleet._sessions.add(self)
        self.task = asyncio.get_running_loop().create_task(self._run())
        self.task.add_done_callback(lambda _: self._fleet._sessions.discard(self))

    def data_received(self, data: bytes, datatype) -> None:
        self._input += data
        self._feed()

    def eof_received(self) -> bool:
        self._input_eof = True
        self._feed()
        return True  # keep sending output after the client's EOF

    def terminal_size_changed(self, width: int, height: int, pixwidth: int, pixheight: int) -> None:
        self._size = (width, height, pixwidth, pixheight)
        if self._master is not None:
            _set_size(self._master, self._size)  # the kernel sends SIGWINCH to the foreground job

    def pause_writing(self) -> None:
        self._can_write.clear()
        if self._master is not None and not self._pty_done.is_set():
            asyncio.get_running_loop().remove_reader(self._master)

    def resume_writing(self) -> None:
        self._can_write.set()
        if self._master is not None and not self._pty_done.is_set():
            asyncio.get_running_loop().add_reader(self._master, self._read_pty)

    def connection_lost(self, exc: Exception | None) -> None:
        self._hung_up = True
        self.hangup()

    # --- running it ---------------------------------------------------------------------------

    async def _run(self) -> None:
        user = self._conn.get_extra_info("username")
        try:
            home = self._fleet.home(self._server, user)
            env = self._environment(user, home)
            bin_dir, _ = self._fleet.sandbox(self._server)
            env["PATH"] = f"{bin_dir}:{PATH}"  # its sudo first: root's writes stay in the instance's sandbox
            argv = [SHELL, "-c", self._command] if self._command is not None else [SHELL, "-l"]
            status = await (self._run_pty(argv, env, home) if self._term else self._run_pipes(argv, env, home))
        except OSError as err:
            self._chan.write_stderr(f"{SHELL}: {err.strerror}\r\n".encode())
            status = 127
        try:
            self._fleet.notice_reporter(self._server)
        except OSError as err:
            log.warning("demo ssh: cannot read the sandbox of %s: %s", self._server.get("name"), err)
        if self._chan.is_closing():
            return
        if status >= 0:
            self._chan.exit(status)
        else:
            self._chan.exit_with_signal(signal.Signals(-status).name[3:])

    def _environment(self, user: str, home: Path) -> dict[str, str]:
        name = console.hostname(self._server)
        peer, local = self._conn.get_extra_info("peername"), self._conn.get_extra_info("sockname")
        env = {"HOME": str(home), "USER": user, "LOGNAME": user, "SHELL": SHELL, "PATH": PATH,
               "LANG": "C.UTF-8", "HOSTNAME": name, "PS1": f"{user}@{name}:\\w$ ",
               "BASH_ENV": str(home / ".bashrc"),  # `ssh host hostname` names the instance too
               "SSH_CONNECTION": f"{peer[0]} {peer[1]} {local[0]} {local[1]}",
               "SSH_CLIENT": f"{peer[0]} {peer[1]} {local[1]}"}
        # like sshd's default AcceptEnv LANG LC_*
        for key, value in (self._chan.get_environment() or {}).items():
            key = key.decode() if isinstance(key, bytes) else key
            value = value.decode("utf-8", "replace") if isinstance(value, bytes) else value
            if key == "LANG" or key.startswith("LC_"):
                env[key] = value
        if self._term:
            env["TERM"] = self._term
        return env

    async def _run_pty(self, argv: list[str], env: dict[str, str], home: Path) -> int:
        master, slave = os.openpty()
        try:
            _set_size(slave, self._size)
            env["SSH_TTY"] = os.ttyname(slave)
            self._proc = await asyncio.create_subprocess_exec(
                *argv, stdin=slave, stdout=slave, stderr=slave, cwd=home, env=env,
                start_new_session=True, preexec_fn=_login_terminal)
        except BaseException:
            os.close(master)
            raise
        finally:
            os.close(slave)  # the shell holds the only slave: its exit ends the PTY (EIO on read)
        loop = asyncio.get_running_loop()
        os.set_blocking(master, False)
        self._master = master
        if self._can_write.is_set():
            loop.add_reader(master, self._read_pty)
        self._started()
        try:
            status = await self._proc.wait()
            try:  # a job left in the background may keep the PTY open; sshd does not wait for it
                await asyncio.wait_for(self._pty_done.wait(), PTY_DRAIN)
            except asyncio.TimeoutError:
                pass
            return status
        finally:
            loop.remove_reader(master)
            if self._writing:
                loop.remove_writer(master)
            self._master = None
            os.close(master)

    def _read_pty(self) -> None:
        try:
            data = os.read(self._master, 65536)
        except BlockingIOError:
            return
        except OSError:  # EIO: no process has the terminal open any more
            data = b""
        if data:
            self._send(data)
        else:
            asyncio.get_running_loop().remove_reader(self._master)
            self._pty_done.set()

    async def _run_pipes(self, argv: list[str], env: dict[str, str], home: Path) -> int:
        self._proc = await asyncio.create_subprocess_exec(
            *argv, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE, cwd=home, env=env, start_new_session=True,
            preexec_fn=_default_signals)
        self._started()

        async def pump(stream: asyncio.StreamReader, stderr: bool) -> None:
            while chunk := await stream.read(65536):
                self._send(chunk, stderr)
                await self._can_write.wait()

        await asyncio.gather(pump(self._proc.stdout, False), pump(self._proc.stderr, True))
        return await self._proc.wait()

    def _send(self, data: bytes, stderr: bool = False) -> None:
        if not self._chan.is_closing():  # output after a hang-up goes nowhere, as on a real line
            (self._chan.write_stderr if stderr else self._chan.write)(data)

    def _started(self) -> None:
        if self._hung_up:  # the client left while the shell was starting
            self.hangup()
        else:
            self._feed()

    def _feed(self) -> None:
        """Pass buffered client input on: to the PTY without blocking, or into the pipe."""
        if self._proc is None:
            return  # still starting; _run calls this again
        if self._master is not None:
            loop = asyncio.get_running_loop()
            try:
                written = os.write(self._master, self._input) if self._input else 0
            except BlockingIOError:
                written = 0
            except OSError:
                written = len(self._input)  # the terminal is gone; drop the keystrokes
            del self._input[:written]
            if self._input and not self._writing:
                loop.add_writer(self._master, self._feed)
            elif not self._input and self._writing:
                loop.remove_writer(self._master)
            self._writing = bool(self._input)
        elif self._term is None and self._proc.stdin is not None and not self._proc.stdin.is_closing():
            if self._input:
                self._proc.stdin.write(bytes(self._input))
                self._input.clear()
            if self._input_eof:
                self._proc.stdin.close()

    def hangup(self) -> None:
        """The client went away: SIGHUP every process of the login, SIGKILL what lingers."""
        if self._proc is not None and _signal_session(self._proc.pid, signal.SIGHUP):
            asyncio.get_running_loop().call_later(HANGUP_GRACE, self.kill)

    def kill(self) -> None:
        if self._proc is not None:
            _signal_session(self._proc.pid, signal.SIGKILL)


def _set_size(fd: int, size: tuple) -> None:
    width, height, pixwidth, pixheight = size
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", height, width, pixwidth, pixheight))


def _default_signals() -> None:
    """In the child: signals as a fresh login has them, whatever the demo cloud was started with."""
    for sig in (signal.SIGHUP, signal.SIGINT, signal.SIGQUIT, signal.SIGTERM, signal.SIGTSTP,
                signal.SIGTTIN, signal.SIGTTOU):
        signal.signal(sig, signal.SIG_DFL)


def _login_terminal() -> None:
    """In the child, after setsid: make the PTY on stdin the controlling terminal (job control, ^C)."""
    _default_signals()
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


def _signal_session(sid: int, sig: int) -> bool:
    """Signal every process of the session our child `sid` leads, jobs in other process groups too.

    Linux does not reuse a pid while it names a live session, so whatever still carries this
    session id descends from the child we started.
    """
    hit = False
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat") as f:
                stat = f.read()
            if int(stat[stat.rindex(")") + 2:].split()[3]) == sid:  # fields after "(comm)": state ppid pgrp session
                os.kill(int(entry.name), sig)
                hit = True
        except (OSError, ValueError, IndexError):
            continue  # gone meanwhile
    return hit

"""Port forwards of one SSH connection: `ssh -L` to this host (127.0.0.1 only), as asyncssh does it.

The instance's listening TCP ports are read over the connection on a separate exec channel (`ss -ltnpH`,
else /proc/net/tcp and tcp6), Jupyter's servers and tokens from `jupyter server list --json`; a forward
binds 127.0.0.1 on the remote port's own number when it is free, else on a port the kernel picks, and
says the URL to open and the `ssh -L` line for the user's laptop (Target.command_with, the doctor's
command). Every forward closes with its connection (Connection.close). asyncssh stays behind the
connection: nothing here imports it.
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..cloud.models import printable

if TYPE_CHECKING:
    from .client import Connection

# the ports research instances serve a browser on (Jupyter's token is read when one runs)
WELL_KNOWN = {8888: "Jupyter", 8787: "RStudio", 6006: "TensorBoard"}
LISTEN_HOST = "127.0.0.1"  # never beyond this host: anyone who can reach the port would get the service
# sh -c: the login shell may be fish or tcsh; ss first (it names the process), /proc when ss is missing or old
LISTING = "sh -c 'ss -ltnpH 2>/dev/null || cat /proc/net/tcp /proc/net/tcp6 2>/dev/null'"
# jupyter may live in ~/.local/bin or a conda env the non-interactive shell's PATH lacks
JUPYTER = ("sh -c 'PATH=\"$HOME/.local/bin:$HOME/miniconda3/bin:$HOME/anaconda3/bin:/opt/conda/bin:$PATH\"; "
           "jupyter server list --json 2>/dev/null || jupyter notebook list --json 2>/dev/null'")
COMMAND_TIMEOUT = 10.0
_PROC_LINE = re.compile(  # "  0: 0100007F:0CEA 00000000:0000 0A ...": local address:port, remote, state
    r"^\s*\d+:\s+([0-9A-Fa-f]+):([0-9A-Fa-f]{4})\s+[0-9A-Fa-f]+:[0-9A-Fa-f]{4}\s+([0-9A-Fa-f]{2})\s")
_SS_PROCESS = re.compile(r'users:\(\("([^"]{1,64})"')
_WILDCARDS = {"0.0.0.0", "::", "*", ""}
# what may go into the URL shown: a token as Jupyter makes them, a base_url path (else none, and "/")
_TOKEN = re.compile(r"[0-9A-Za-z_-]{1,256}")
_BASE_URL = re.compile(r"/[0-9A-Za-z._~%/-]{0,200}")


class ForwardError(Exception):
    """Why a port cannot be forwarded, as one line."""


@dataclass(frozen=True)
class Listener:
    """A TCP port the instance listens on: where, and the program when ss could say."""

    port: int
    addresses: tuple[str, ...]
    process: str = ""

    @property
    def dest_host(self) -> str:
        """Where the instance's sshd connects for the forward: localhost, unless only a specific address
        (not loopback) listens, e.g. a service bound to the instance's private IP or to 127.0.0.2."""
        specific = [a for a in self.addresses if a not in _WILDCARDS and a not in ("127.0.0.1", "::1")]
        if specific and len(specific) == len(self.addresses):
            return specific[0]
        return "localhost"


@dataclass
class Forward:
    """An open forward: 127.0.0.1:local_port here to dest_host:remote_port on the instance."""

    remote_port: int
    dest_host: str
    local_port: int
    name: str  # Jupyter, RStudio, TensorBoard, or the program listening, or ""
    url: str
    laptop: str  # the `ssh -L` line that makes the same forward from the user's own machine
    listener: Any = field(repr=False, default=None)

    def close(self) -> None:
        if self.listener is not None:
            self.listener.close()
            self.listener = None


def parse_port(text: str) -> int:
    """The port typed, or ForwardError saying why it is not one."""
    text = text.strip()
    if not text:
        raise ForwardError("type a port number (1-65535)")
    if not text.isascii() or not text.isdigit():
        shown = text if len(text) <= 20 else text[:19] + "…"
        raise ForwardError(f"{shown!r} is not a port number (1-65535)")
    port = int(text)
    if not 1 <= port <= 65535:
        raise ForwardError(f"{port} is not a port: ports are 1-65535")
    return port


def _split_host_port(text: str) -> tuple[str, int] | None:
    host, _, port = text.rpartition(":")
    if not port.isdigit():
        return None
    host = host.strip("[]").split("%", 1)[0]  # [::1]:631, 127.0.0.53%lo:53
    if host not in _WILDCARDS:
        try:
            host = str(ipaddress.ip_address(host))  # the instance's text: only an address goes on
        except ValueError:
            return None
    return host, int(port)


def _proc_address(hex_address: str) -> str:
    """/proc/net/tcp's address: 32-bit words in host (little-endian) order."""
    raw = bytes.fromhex(hex_address)
    words = b"".join(raw[i:i + 4][::-1] for i in range(0, len(raw), 4))
    return str(ipaddress.ip_address(words)) if len(words) in (4, 16) else ""


def parse_listing(text: str) -> list[Listener]:
    """The listening TCP ports in `ss -ltnpH` output or /proc/net/tcp{,6} lines, one per port, sorted: the
    well-known ports first, then by number."""
    found: dict[int, tuple[list[str], str]] = {}
    for line in text.splitlines():
        proc = _PROC_LINE.match(line)
        if proc:
            if proc.group(3) != "0A":  # TCP_LISTEN
                continue
            try:
                where: tuple[str, int] | None = (_proc_address(proc.group(1)), int(proc.group(2), 16))
            except ValueError:
                continue
            process = ""
        else:
            fields = line.split()
            if len(fields) < 4 or fields[0] != "LISTEN":
                continue
            where = _split_host_port(fields[3])
            named = _SS_PROCESS.search(line)
            process = printable(named.group(1)) if named else ""  # the instance's text: shown made visible
        if where is None or not 0 < where[1] < 65536:
            continue
        addresses, known = found.setdefault(where[1], ([], ""))
        if where[0] not in addresses:
            addresses.append(where[0])
        if process and not known:
            found[where[1]] = (addresses, process)
    listeners = [Listener(port, tuple(addresses), process) for port, (addresses, process) in found.items()]
    return sorted(listeners, key=lambda item: (item.port not in WELL_KNOWN, item.port))


def parse_jupyter(text: str) -> dict[int, tuple[str, str]]:
    """port -> (token, base_url) from `jupyter server list --json` (one JSON object a line), or from its
    plain form (`http://localhost:8888/?token=abc :: /home/exouser`)."""
    servers: dict[int, tuple[str, str]] = {}
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("{"):
            try:
                info = json.loads(line)
                port = int(info["port"])
            except (ValueError, KeyError, TypeError):
                continue
            token, base = str(info.get("token") or ""), str(info.get("base_url") or "/")
            servers[port] = (token if _TOKEN.fullmatch(token) else "", base if _BASE_URL.fullmatch(base) else "/")
            continue
        plain = re.match(r"https?://[^/\s:]+:(\d{1,5})(/[0-9A-Za-z._~%/-]{0,200})?(?:\?token=([0-9A-Za-z_-]{1,256}))?",
                         line)
        if plain:
            servers[int(plain.group(1))] = (plain.group(3) or "", plain.group(2) or "/")
    return servers


def _url_host(address: str) -> str:
    return f"[{address}]" if ":" in address else address


class PortForwards:
    """The forwards of one connection, and what the instance listens on."""

    def __init__(self, connection: "Connection") -> None:
        self.connection = connection
        self.forwards: list[Forward] = []
        self.jupyter: dict[int, tuple[str, str]] = {}

    async def _run(self, command: str) -> str | None:
        """stdout of `command` on a separate exec channel (the terminal's PTY is untouched), None when the
        instance would not run it."""
        conn = self.connection.conn
        try:
            result = await asyncio.wait_for(conn.run(command, check=False, encoding="utf-8", errors="replace"),
                                            COMMAND_TIMEOUT)
        except Exception:  # asyncssh.Error (channel refused), OSError, a timeout, the connection closing
            return None
        out = result.stdout
        return out if isinstance(out, str) else None

    async def listening(self) -> list[Listener] | None:
        """The instance's listening TCP ports (None when neither ss nor /proc could be read); Jupyter's
        servers are read at the same time (their tokens go into the URL)."""
        listing, jupyter = await asyncio.gather(self._run(LISTING), self._run(JUPYTER))
        self.jupyter = parse_jupyter(jupyter or "")
        if not listing:
            return None
        return parse_listing(listing)

    def name_of(self, port: int, listener: Listener | None = None) -> str:
        if port in self.jupyter:
            return "Jupyter"
        return WELL_KNOWN.get(port) or (listener.process if listener else "")

    def open_now(self) -> list[Forward]:
        return [f for f in self.forwards if f.listener is not None]

    def find(self, remote_port: int) -> Forward | None:
        return next((f for f in self.forwards if f.remote_port == remote_port and f.listener is not None), None)

    async def open(self, remote_port: int, listeners: list[Listener] | None) -> Forward:
        """Forward 127.0.0.1:LOCAL here to the instance's `remote_port`: LOCAL is the same number when it
        is free. `listeners` (from listening(); None when unknown) must hold the port. Raises ForwardError."""
        listener = None
        if listeners is not None:
            listener = next((item for item in listeners if item.port == remote_port), None)
            if listener is None:
                raise ForwardError(f"nothing listens on port {remote_port} on {self.connection.target.name}")
        existing = self.find(remote_port)
        if existing is not None:
            return existing
        dest = listener.dest_host if listener else "localhost"
        conn = self.connection.conn
        try:
            try:
                opened = await conn.forward_local_port(LISTEN_HOST, remote_port, dest, remote_port)
            except OSError:  # taken here (or below 1024): a port the kernel picks
                opened = await conn.forward_local_port(LISTEN_HOST, 0, dest, remote_port)
        except OSError as err:
            raise ForwardError(f"cannot listen on {LISTEN_HOST}: {err.strerror or err}") from None
        except Exception as err:  # the connection closed meanwhile
            raise ForwardError(f"cannot forward port {remote_port}: {err}") from None
        local = opened.get_port()
        forward = Forward(remote_port, dest, local, self.name_of(remote_port, listener),
                          self._url(local, remote_port), self._laptop(local, dest, remote_port), opened)
        self.forwards.append(forward)
        return forward

    def _url(self, local: int, remote_port: int) -> str:
        token, base = self.jupyter.get(remote_port, ("", "/"))
        return f"http://{LISTEN_HOST}:{local}{base}" + (f"?token={token}" if token else "")

    def _laptop(self, local: int, dest: str, remote_port: int) -> str:
        return self.connection.target.command_with("-L", f"{local}:{_url_host(dest)}:{remote_port}")

    def close(self) -> None:
        for forward in self.forwards:
            forward.close()

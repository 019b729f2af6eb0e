"""Host keys: cloud-init's console-log blocks, exotui's own known_hosts, and the trust policy.

The policy (see docs/architecture.md, Safety): a host already pinned must present a pinned key; an
unknown host is trusted only with a key its console log printed (then pinned, tied to the server
ID and address); with no such block the caller must show the fingerprint and ask; a mismatch is
refused, because on a cloud a floating IP moves to another instance as soon as it is released.

The file is in OpenSSH's known_hosts format (the server ID rides in the comment), so the system
`ssh` can use it with `-o UserKnownHostsFile=FILE -o StrictHostKeyChecking=yes`.
"""

from __future__ import annotations

import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

import asyncssh

from ..paths import state_dir

SERVER_TAG = "exotui-server="


def host_pattern(host: str, port: int) -> str:
    """known_hosts' spelling of an address: bare on port 22, "[host]:port" otherwise."""
    return host if port == 22 else f"[{host}]:{port}"


def fingerprint(key_type: str, blob: str) -> str:
    return asyncssh.import_public_key(f"{key_type} {blob}").get_fingerprint("sha256")


@dataclass(frozen=True)
class Pin:
    pattern: str  # host_pattern(host, port)
    key_type: str
    blob: str
    server_id: str  # "" when pinned for a host that is not an instance (a jump host)

    def line(self) -> str:
        tag = f" {SERVER_TAG}{self.server_id}" if self.server_id else ""
        return f"{self.pattern} {self.key_type} {self.blob}{tag}\n"

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.key_type, self.blob)


class KnownHosts:
    """exotui's known_hosts file. Every change rewrites it atomically (a crash never truncates it)."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = Path(path) if path else state_dir() / "known_hosts"

    def pins(self) -> list[Pin]:
        try:
            text = self.path.read_text()
        except FileNotFoundError:
            return []
        found = []
        for raw in text.splitlines():
            words = raw.split()
            if len(words) < 3 or raw.lstrip().startswith("#"):
                continue
            server = next((w[len(SERVER_TAG):] for w in words[3:] if w.startswith(SERVER_TAG)), "")
            found.append(Pin(words[0], words[1], words[2], server))
        return found

    def lookup(self, host: str, port: int) -> list[Pin]:
        pattern = host_pattern(host, port)
        return [p for p in self.pins() if p.pattern == pattern]

    def pin(self, host: str, port: int, server_id: str, keys: list[tuple[str, str]]) -> None:
        """Trust exactly `keys` for host:port from now on (replacing what was pinned there)."""
        pattern = host_pattern(host, port)
        kept = [p for p in self.pins() if p.pattern != pattern]
        self._write(kept + [Pin(pattern, t, b, server_id) for t, b in keys])

    def forget(self, host: str, port: int) -> int:
        """Drop the pins of host:port; how many went. Only after the user confirmed it by name."""
        pattern = host_pattern(host, port)
        pins = self.pins()
        kept = [p for p in pins if p.pattern != pattern]
        self._write(kept)
        return len(pins) - len(kept)

    def _write(self, pins: list[Pin]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".known_hosts.")
        with os.fdopen(fd, "w") as out:
            out.write("# exotui's pinned SSH host keys (OpenSSH format; the comment names the server)\n")
            out.writelines(p.line() for p in pins)
        os.replace(tmp, self.path)


# --- the decision before connecting ---------------------------------------------------------------

@dataclass(frozen=True)
class Trust:
    """What to accept from the server. source: "pinned" (known host), "console" (the console log's
    KEYS block: pin on success), "fingerprints" (only the FINGERPRINTS block: the key offered must
    match one), "ask" (nothing to go by: the user decides on the fingerprint)."""

    source: str
    keys: tuple[tuple[str, str], ...] = ()
    fingerprints: tuple[str, ...] = ()
    pinned_for: str = ""  # the server ID the pins were made for (may be another instance's)


def decide(store: KnownHosts, host: str, port: int, console_text: str | None) -> Trust:
    pins = store.lookup(host, port)
    if pins:
        return Trust("pinned", tuple((p.key_type, p.blob) for p in pins), pinned_for=pins[0].server_id)
    keys = parse_host_keys(console_text or "")
    if keys:
        return Trust("console", tuple(keys))
    prints = parse_fingerprints(console_text or "")
    if prints:
        return Trust("fingerprints", fingerprints=tuple(fp for _, fp, _ in prints))
    return Trust("ask")


def host_key_state(store: KnownHosts, host: str, port: int, server_id: str, console_text: str | None) -> str:
    """For the doctor, without connecting: "known", "unknown" or "changed". Changed: the pins for
    host:port were made for another instance (the floating IP moved), or the console log printed
    this instance's keys and none of them is pinned (it was rebuilt)."""
    pins = store.lookup(host, port)
    if not pins:
        return "unknown"
    if pins[0].server_id and pins[0].server_id != server_id:
        return "changed"
    printed = parse_host_keys(console_text or "")
    if printed and not {(p.key_type, p.blob) for p in pins} & set(printed):
        return "changed"
    return "known"


def in_known_hosts(address: str, port: int, path: Path) -> bool:
    """Whether an OpenSSH known_hosts file vouches for address:port (a host key or a CA key, not revoked),
    in plain, hashed (|1|salt|hash) or wildcard entries: asyncssh's known_hosts matching, asked for the
    name OpenSSH looks up ("[host]:port" off port 22: asyncssh's own `match(host, addr, port)` would
    fall back to the bare host, which `ssh` does not)."""
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return False
    try:
        known = asyncssh.import_known_hosts(text)
    except ValueError:  # asyncssh refuses the whole file for one bad line; OpenSSH skips the line
        known = asyncssh.import_known_hosts("")
        for line in text.splitlines():
            try:
                known.load(line)
            except ValueError:
                continue
    host_keys, ca_keys, revoked, *_ = known.match(host_pattern(address, port), "", None)
    revoked_data = {key.public_data for key in revoked}  # (asyncssh's SSHKey compares by identity)
    return any(key.public_data not in revoked_data for key in [*host_keys, *ca_keys])


def keypair_fingerprint(public_key: str) -> str:
    """A public key's fingerprint as Nova shows keypairs (MD5, "aa:bb:..."), by asyncssh; ValueError
    when the text is not a public key."""
    return asyncssh.import_public_key(public_key).get_fingerprint("md5").removeprefix("MD5:")


def host_key_status(store: KnownHosts, host: str, port: int, server_id: str, console_text: str | None,
                    openssh_known_hosts: Path | None = None) -> str:
    """"known", "unknown" or "changed" for host:port: exotui's pins decide (host_key_state); with no pin,
    an entry in the user's own ~/.ssh/known_hosts counts as known."""
    if store.lookup(host, port):
        return host_key_state(store, host, port, server_id, console_text)
    path = openssh_known_hosts or Path.home() / ".ssh" / "known_hosts"
    return "known" if in_known_hosts(host, port, path) else "unknown"


def mismatch_message(host: str, port: int, trust: Trust, server_id: str, offered: str | None) -> str:
    """Why a key was refused, in words a user can act on."""
    where = host_pattern(host, port)
    got = f" (it offered {offered})" if offered else ""
    if trust.source == "pinned":
        other = trust.pinned_for and trust.pinned_for != server_id
        why = (f"the key pinned for {where} belongs to instance {trust.pinned_for}, not this one: the floating "
               "IP was probably released and reused" if other else
               f"{where} no longer presents the key pinned for this instance: it was rebuilt, or something else "
               "answers at that address (floating IPs get reused on clouds)")
        return f"host key mismatch{got}: {why}. Refusing to connect; forget the old key only if you know why."
    return (f"host key mismatch{got}: {where} does not present the key the instance's console log printed, so "
            "something else answers at that address. Refusing to connect.")


# --- reading cloud-init's blocks from a console log (pure; the demo cloud re-exports these) --------

# What may precede a cloud-init line on a console: "[   12.345678] ", "<14>", "Nov 21 23:20:14 ",
# a hostname, and the tag ("cloud-init:", "cloud-init[812]:", or older Ubuntu's "ec2:").
_PREFIX = re.compile(r"^(?:\[\s*\d+\.\d+\]\s*)?(?:<\d{1,3}>)?(?:[A-Z][a-z]{2}\s+\d{1,2}\s+\d\d:\d\d:\d\d\s+)?"
                     r"(?:(?:[\w.-]+\s+)?(?:cloud-init|ec2)(?:\[\d+\])?:\s?)?")
_KEY_START = re.compile(r"^(ssh-[\w.@-]+|ecdsa-sha2-[\w.@-]+|sk-[\w.@-]+)\s+(\S*)")


def _blocks(text: str, name: str) -> list[str] | None:
    """The lines of the last complete `-----BEGIN SSH HOST KEY <name>-----` block, prefixes removed."""
    found, current = None, None
    for raw in re.split(r"[\r\n]+", text):
        line = _PREFIX.sub("", raw.strip()).strip()
        if line == f"-----BEGIN SSH HOST KEY {name}-----":
            current = []
        elif line == f"-----END SSH HOST KEY {name}-----":
            if current is not None:
                found, current = current, None
        elif current is not None and line:
            current.append(line)
    return found


def parse_host_keys(text: str) -> list[tuple[str, str]]:
    """The host keys of the last complete KEYS block in a console log, as (key type, base64 blob).

    Tolerates "\\r\\n", syslog and kernel prefixes, and keys wrapped over several console lines;
    a key that does not decode as that key type is left out.
    """
    entries: list[str] = []
    for line in _blocks(text, "KEYS") or []:
        if _KEY_START.match(line):
            entries.append(line)
        elif entries:  # a wrapped line continues the key before it
            entries[-1] += line
    keys: list[tuple[str, str]] = []
    for entry in entries:
        key_type, token = _KEY_START.match(entry).groups()
        blob = _valid_blob(key_type, re.match(r"[A-Za-z0-9+/]*={0,2}", token).group())
        if blob and (key_type, blob) not in keys:
            keys.append((key_type, blob))
    return keys


def _valid_blob(key_type: str, token: str) -> str | None:
    """The longest base64 prefix of `token` that is a whole public key of `key_type`.

    A line wrapped exactly at the space before the comment glues the comment onto the blob;
    trying shorter prefixes (whole base64 quanta) finds where the blob really ends.
    """
    for end in range(len(token) - len(token) % 4, 0, -4):
        try:
            key = asyncssh.import_public_key(f"{key_type} {token[:end]}")
        except (asyncssh.KeyImportError, ValueError):
            continue
        if key.algorithm.decode() == key_type:
            return token[:end]
    return None


def parse_fingerprints(text: str) -> list[tuple[int, str, str]]:
    """The last FINGERPRINTS block as (bits, "SHA256:...", key kind such as "ED25519")."""
    found = []
    for line in _blocks(text, "FINGERPRINTS") or []:
        match = re.match(r"^(\d+)\s+(\S+:\S+)\s+.*\((\w+)\)$", line)
        if match:
            found.append((int(match[1]), match[2], match[3]))
    return found

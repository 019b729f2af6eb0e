"""Nova key pairs: import a public key (from a file or pasted), create one (made here, its private key saved to
a file of mode 600, only the public half sent), delete. Nova answers at once, so its answer goes straight into
the store.

A key pair is made on this machine rather than by Nova: Nova stopped generating them at microversion 2.92
(tests/oracle nova-057), and a private key made here never crosses the network or reaches a log."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from ..credentials import write_private
from ..models import Keypair
from ..session import CloudError
from .base import ActionRefused, ActionResult, ActionsBase, failed

MAX_NAME = 255  # Nova's schema: 1 to 255 characters
MAX_KEY_FILE = 16 * 1024  # an OpenSSH public key is under 1 KB even for RSA 8192; more is not one
# Nova's keypair name characters (its schema since 2.92; the older "safe characters" check allows the same)
_NAME = re.compile(r"[A-Za-z0-9 _.@-]+")
_KEY_LINE = re.compile(r"(ssh-|ecdsa-|sk-)\S+ ")
_NOT_A_KEY = "not an OpenSSH public key (one line: ssh-ed25519 AAAA… comment)"


class KeyProblem(ActionRefused):
    """A public key (or a path to one) that is not one Nova would take; `reason` says why in one line."""


def check_keypair_name(name: str) -> str | None:
    """Why Nova would refuse this key pair name (None: it takes it)."""
    if not name.strip():
        return "a key pair needs a name"
    if len(name) > MAX_NAME:
        return f"a key pair name has at most {MAX_NAME} characters (Nova's limit); this one has {len(name)}"
    if not _NAME.fullmatch(name):
        return "a key pair name holds only letters, digits, spaces and _ . @ -"
    return None


def read_public_key(given: str) -> str:
    """The OpenSSH public key in `given`: the key itself, pasted, or the path of a file holding it. Raises
    KeyProblem saying in one line what is wrong (a missing file, a private key, not a key at all)."""
    from cryptography.exceptions import UnsupportedAlgorithm
    from cryptography.hazmat.primitives.serialization import load_ssh_public_key

    given = given.strip()
    if not given:
        raise KeyProblem("give a public key file (~/.ssh/id_ed25519.pub) or paste the key")
    text = given
    if not _KEY_LINE.match(given):  # not a pasted key: a file's path
        path = Path(os.path.expanduser(given))
        try:
            with path.open("rb") as f:
                data = f.read(MAX_KEY_FILE + 1)
        except (OSError, ValueError) as err:  # ValueError: a NUL in the path
            why = "no such file" if isinstance(err, FileNotFoundError) else \
                "it is a folder" if isinstance(err, IsADirectoryError) else getattr(err, "strerror", None) or str(err)
            raise KeyProblem(f"cannot read {_short(given)}: {why}") from None
        if len(data) > MAX_KEY_FILE:
            raise KeyProblem(f"{_short(given)} is too big to be a public key (over {MAX_KEY_FILE // 1024} KB)")
        text = data.decode("utf-8", "replace").strip()
    if "PRIVATE KEY" in text or text.startswith("PuTTY-User-Key-File"):
        raise KeyProblem("that is a private key: give its public half (the .pub file), never the private key")
    if text.startswith("---- BEGIN SSH2 PUBLIC KEY"):
        raise KeyProblem("an SSH2 (RFC 4716) public key: convert it with `ssh-keygen -i -f FILE` first")
    lines = [line for line in text.splitlines() if line.strip() and not line.startswith("#")]
    if len(lines) > 1 and all(_KEY_LINE.match(line) for line in lines):
        raise KeyProblem(f"{len(lines)} keys: give one public key")
    if len(lines) != 1:
        raise KeyProblem(_NOT_A_KEY)
    try:
        load_ssh_public_key(lines[0].encode())
    except UnsupportedAlgorithm:
        raise KeyProblem(f"Nova does not take {lines[0].split()[0][:40]} keys: use ed25519 or RSA") from None
    except (ValueError, IndexError):
        raise KeyProblem(_NOT_A_KEY) from None
    return lines[0].strip()


def _short(text: str, most: int = 60) -> str:
    from ..models import printable

    text = printable(text)
    return text if len(text) <= most else text[:most // 2 - 1] + "…" + text[-(most // 2):]


@dataclass(frozen=True)
class NewKeyFiles:
    """Where a created key pair's private key (mode 600) and public key were saved."""

    private: Path
    public: Path | None  # None: a file of that name was there already, left alone


def check_private_key_path(given: str) -> str | None:
    """Why a new private key cannot be saved at `given` (None: it can): it must be a new file in a folder
    that exists, so no file is ever overwritten."""
    if not given.strip():
        return "give the file to save the private key in (e.g. ~/.ssh/my-key)"
    try:
        path = Path(os.path.expanduser(given.strip()))
        if path.exists() or path.is_symlink():
            return f"{_short(given)} exists already: choose a new file (nothing is overwritten)"
        if not path.parent.is_dir():
            return f"no folder {_short(str(path.parent))} to save the key in"
        if not os.access(path.parent, os.W_OK):
            return f"cannot write in {_short(str(path.parent))}"
    except (OSError, ValueError) as err:
        return f"cannot save the key there: {getattr(err, 'strerror', None) or err}"
    return None


def _remove(paths: list[Path]) -> None:
    for path in paths:
        path.unlink(missing_ok=True)


class KeypairActions(ActionsBase):
    def _keypair(self, name: str) -> Keypair:
        return self._item("keypairs", name, "this key pair is not in the project")

    async def import_keypair(self, name: str, public_key: str) -> ActionResult:
        """Send a public key (the key, or a file's path: read_public_key) to Nova; the value is the Keypair."""
        name = name.strip()
        if reason := check_keypair_name(name):
            raise ActionRefused(reason)
        key = read_public_key(public_key)
        if self.store.item("keypairs", name) is not None:
            raise ActionRefused(f"you have a key pair named {name} already")
        with self._claim(name, "import_keypair", f"importing {name}"):
            return await self._send_keypair(name, key, f"imported {name}")

    async def _send_keypair(self, name: str, public_key: str, done: str) -> ActionResult:
        try:
            answer = await self._send("compute", "POST", "/os-keypairs",
                                      {"keypair": {"name": name, "public_key": public_key}})
        except CloudError as err:  # 409: one of that name exists; 400: Nova's own check of the key
            return failed(f"import key pair {name}", err)
        keypair = Keypair.from_api((answer or {}).get("keypair") or {"name": name, "public_key": public_key})
        self.store.merge("keypairs", [keypair])
        return ActionResult(True, done, value=keypair)

    async def create_keypair(self, name: str, private_key_path: str) -> ActionResult:
        """A new ed25519 key pair made here: the private key saved to `private_key_path` (a new file, mode 600)
        and the public one beside it (.pub), then the public key sent to Nova. If Nova refuses, the files made
        are removed again. The value is NewKeyFiles; the private key is never shown, logged or sent."""
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
        from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, PublicFormat

        name = name.strip()
        if reason := check_keypair_name(name) or check_private_key_path(private_key_path):
            raise ActionRefused(reason)
        if self.store.item("keypairs", name) is not None:
            raise ActionRefused(f"you have a key pair named {name} already")
        path = Path(os.path.expanduser(private_key_path.strip()))
        with self._claim(name, "create_keypair", f"creating {name}"):
            key = Ed25519PrivateKey.generate()
            public = key.public_key().public_bytes(Encoding.OpenSSH, PublicFormat.OpenSSH).decode() + f" {name}"
            try:
                write_private(path, key.private_bytes(Encoding.PEM, PrivateFormat.OpenSSH, NoEncryption()).decode())
            except OSError as err:
                raise ActionRefused(f"cannot save the private key: {err.strerror or err}") from None
            del key
            public_path: Path | None = path.with_name(path.name + ".pub")
            try:
                flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
                fd = os.open(path.with_name(path.name + ".pub"), flags, 0o644)
                with os.fdopen(fd, "w") as f:
                    f.write(public + "\n")
            except OSError:
                public_path = None  # a .pub of that name is someone's: leave it
            made = [p for p in (path, public_path) if p is not None]
            try:
                result = await self._send_keypair(name, public, f"created {name}: private key saved to {path}")
            except ActionRefused:  # refused before it left (read-only): no key in Nova
                _remove(made)
                raise
            if not result.ok and not result.still_running:  # Nova has no such key: leave no orphan files
                _remove(made)
                return result
            return ActionResult(result.ok, result.message, value=NewKeyFiles(path, public_path))

    def instances_using_keypair(self, keypair: Keypair) -> list[str]:
        """The instances launched with this key pair (deleting it leaves their keys in place)."""
        return sorted(s.name for s in self.store.get("servers").values() if s.key_name == keypair.api_name)

    async def delete_keypair(self, name: str) -> ActionResult:
        keypair = self._keypair(name)
        with self._claim(keypair.name, "delete_keypair", f"deleting {keypair.name}"):
            try:
                await self._send("compute", "DELETE", f"/os-keypairs/{quote(keypair.api_name, safe='')}")
            except CloudError as err:
                if err.status == 404:  # gone already: the store catches up
                    self.store.merge("keypairs", [], [keypair.id])
                return failed(f"delete key pair {keypair.name}", err)
            self.store.merge("keypairs", [], [keypair.id])
        return ActionResult(True, f"deleted key pair {keypair.name}")

"""`exotui doctor` reads the user's own known_hosts through asyncssh: files OpenSSH itself wrote, hashed and
plain, against a real sshd on loopback; and the keypair fingerprint Nova shows, as `ssh-keygen` prints it."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import asyncssh
import pytest

from exotui.ssh.hostkeys import in_known_hosts, keypair_fingerprint

pytestmark = pytest.mark.skipif(shutil.which("ssh") is None or shutil.which("ssh-keygen") is None,
                                reason="OpenSSH's client is not installed")


def written_by_ssh(openssh, path: Path, hashed: bool) -> str:
    """Let the real `ssh` connect once with accept-new, so OpenSSH writes the entry its own way."""
    subprocess.run(["ssh", "-F", "/dev/null", "-p", str(openssh.port), "-i", str(openssh.user_key),
                    "-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes", "-o", "StrictHostKeyChecking=accept-new",
                    "-o", f"UserKnownHostsFile={path}", "-o", f"HashKnownHosts={'yes' if hashed else 'no'}",
                    f"{openssh.user}@{openssh.host}", "true"], check=True, capture_output=True, timeout=30)
    return path.read_text()


@pytest.mark.parametrize("hashed", [True, False])
def test_an_entry_openssh_wrote_is_found_at_its_port_only(openssh, tmp_path, hashed):
    path = tmp_path / "known_hosts"
    text = written_by_ssh(openssh, path, hashed)
    assert text.startswith("|1|") is hashed and (f"[{openssh.host}]:{openssh.port}" in text) is not hashed
    assert in_known_hosts(openssh.host, openssh.port, path)
    assert not in_known_hosts(openssh.host, openssh.port + 1, path)
    assert not in_known_hosts(openssh.host, 22, path)
    assert not in_known_hosts("127.0.0.2", openssh.port, path)
    # OpenSSH skips a line it cannot read; one bad line does not hide the rest
    path.write_text("this line is not an entry\n@bogus-marker x y\n" + text)
    assert in_known_hosts(openssh.host, openssh.port, path)


def test_port_22_entries_hashed_by_ssh_keygen_and_revoked_keys(tmp_path):
    """A bare address is port 22 only, as for `ssh` (asyncssh's own port lookup would fall back to it);
    `ssh-keygen -H` hashes the file; a key marked @revoked vouches for nothing."""
    key = asyncssh.generate_private_key("ssh-ed25519").export_public_key().decode().strip()
    path = tmp_path / "known_hosts"
    path.write_text(f"10.0.0.5,other.example {key}\n")
    subprocess.run(["ssh-keygen", "-H", "-f", str(path)], check=True, capture_output=True)
    assert path.read_text().count("|1|") == 2 and "10.0.0.5" not in path.read_text()
    assert in_known_hosts("10.0.0.5", 22, path)
    assert not in_known_hosts("10.0.0.5", 2222, path)
    assert not in_known_hosts("10.0.0.6", 22, path)
    path.write_text(f"10.0.0.7 {key}\n@revoked * {key}\n")
    assert not in_known_hosts("10.0.0.7", 22, path)
    assert not in_known_hosts("10.0.0.5", 22, tmp_path / "missing")


@pytest.mark.parametrize("kind", ["ssh-ed25519", "ssh-rsa", "ecdsa-sha2-nistp256"])
def test_the_keypair_fingerprint_is_ssh_keygen_s_md5(tmp_path, kind):
    path = tmp_path / "key.pub"
    path.write_bytes(asyncssh.generate_private_key(kind, comment="me@laptop").export_public_key())
    out = subprocess.run(["ssh-keygen", "-l", "-E", "md5", "-f", str(path)], check=True, capture_output=True,
                         text=True).stdout
    assert f"MD5:{keypair_fingerprint(path.read_text())} " in out
    with pytest.raises(ValueError):
        keypair_fingerprint("ssh-ed25519 not-base64 me@laptop")

"""`exotui doctor NAME` against the demo cloud: the checklist printed, the exit status it implies."""

from __future__ import annotations

import json

import pytest

from exotui.cli import main
from exotui.demo.app import CLOUD_NAME


def doctor(capsys, *args: str) -> tuple[int, str]:
    code = main(["--cloud", CLOUD_NAME, "doctor", *args])
    out = capsys.readouterr()
    return code, out.out + out.err


@pytest.mark.parametrize("source", [None, "203.0.113.5", "198.51.100.200", "any"])
def test_web_frontend_passes_from_anywhere(clouds_env, capsys, source):
    code, out = doctor(capsys, "web-frontend", *(["--from", source] if source else []))
    assert code == 0, out
    assert "[FAIL]" not in out
    assert "every check passed" in out


def test_db_primary_fails_on_ssh_ingress_and_offers_the_fix(clouds_env, capsys):
    code, out = doctor(capsys, "db-primary", "--from", "203.0.113.5")
    assert code == 1
    assert "[FAIL] ssh ingress (tcp/22)" in out
    assert "fix: add tcp/22 from 203.0.113.5/32" in out
    assert "[ ok ] instance status" in out


def test_archive_node_fails_on_status_with_unshelve(clouds_env, capsys):
    code, out = doctor(capsys, "archive-node", "--json")
    assert code == 1
    body = json.loads(out)
    status = next(c for c in body["checks"] if c["name"] == "instance status")
    assert status["status"] == "fail"
    assert status["fixes"][0]["action"] == "run" and status["fixes"][0]["args"]["action"] == "unshelve"
    assert body["ok"] is False


def test_an_unknown_instance_is_an_error(clouds_env, capsys):
    code, out = doctor(capsys, "no-such-instance")
    assert code == 1 and "no instance named no-such-instance" in out


def test_a_pin_that_is_not_the_instance_s_key_fails_the_host_key_check(clouds_env, capsys, demo):
    """The console log printed web-frontend's keys; a pin for its address with other keys means a
    rebuild, a pin made for another instance a moved floating IP. The check reads the console log,
    it does not connect."""
    import asyncssh

    from exotui.ssh.hostkeys import KnownHosts, parse_host_keys

    conn = demo.connect()
    server = conn.compute.find_server("web-frontend", ignore_missing=False)
    keys = parse_host_keys(conn.compute.get_server_console_output(server.id)["output"])
    conn.close()
    assert keys, "the demo's console log prints cloud-init's KEYS block"
    address = json.loads(doctor(capsys, "web-frontend", "--json")[1])["address"]
    port = demo.cloud.world.ssh_port  # the cloud's `exotui: ssh_port`: pins are made there, and read there
    stranger = asyncssh.generate_private_key("ssh-ed25519").export_public_key().decode().split()[:2]
    pins = KnownHosts()
    try:
        pins.pin(address, port, server.id, keys)
        code, out = doctor(capsys, "web-frontend")
        assert code == 0 and f"host key: {address}:{port} is in known_hosts" in out, out
        pins.pin(address, port, server.id, [tuple(stranger)])
        code, out = doctor(capsys, "web-frontend")
        assert code == 1 and f"[FAIL] host key: the key pinned for {address}:{port} is not this instance's" in out, out
        assert f"forget the key pinned for {address}:{port}" in out
        pins.pin(address, port, "another-instance", keys)
        assert doctor(capsys, "web-frontend")[0] == 1, "a pin made for another instance: the IP moved"
    finally:
        pins.forget(address, port)


def test_key_compares_a_public_key_file_with_the_instance_s_keypair(clouds_env, capsys, demo, tmp_path):
    """--key FILE.pub: its MD5 fingerprint (asyncssh's) against the one Nova shows for the keypair."""
    import asyncssh

    conn = demo.connect()
    server = conn.compute.find_server("web-frontend", ignore_missing=False)
    keypair = conn.compute.get_keypair(server.key_name)
    conn.close()
    (tmp_path / "mine.pub").write_text(keypair.public_key + " me@laptop\n")
    (tmp_path / "other.pub").write_bytes(asyncssh.generate_private_key("ssh-ed25519").export_public_key())
    (tmp_path / "junk.pub").write_text("not a key\n")
    checks = {c["name"]: c for c in json.loads(doctor(capsys, "web-frontend", "--json", "--key",
                                                      str(tmp_path / "mine.pub"))[1])["checks"]}
    assert checks["keypair"]["status"] == "pass", checks["keypair"]
    code, out = doctor(capsys, "web-frontend", "--key", str(tmp_path / "other.pub"))
    assert code == 1 and f"none of your keys is {keypair.name}" in out, out
    code, out = doctor(capsys, "web-frontend", "--key", str(tmp_path / "junk.pub"))
    assert code == 1 and out.strip() == f"exotui: cannot read a public key from {tmp_path / 'junk.pub'}"

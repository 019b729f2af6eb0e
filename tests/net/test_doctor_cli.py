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

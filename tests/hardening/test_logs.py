"""The log file (private, rotated, redacted, library warnings kept off the terminal) and the warning
about a clouds.yaml that others may read."""

from __future__ import annotations

import logging
import os
import stat
import subprocess
import sys
import warnings

import pytest
import yaml

from exotui import logs


@pytest.fixture()
def log_dir(tmp_path):
    folder = tmp_path / "state"
    yield folder
    root = logging.getLogger()
    if logs._installed is not None:  # leave the test process as it was
        root.removeHandler(logs._installed)
        logs._installed.close()
        logs._installed = None
    logging.captureWarnings(False)


def _mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_the_log_is_private_and_in_the_state_dir(log_dir, monkeypatch):
    monkeypatch.setenv("EXOTUI_STATE_DIR", str(log_dir))
    old = os.umask(0o022)
    try:
        path = logs.setup_logging()
    finally:
        os.umask(old)
    assert path == log_dir / "exotui.log"
    logging.getLogger("exotui.test").warning("hello")
    assert "hello" in path.read_text()
    assert _mode(path) == 0o600


def test_a_loose_old_log_is_made_private(log_dir):
    log_dir.mkdir()
    (log_dir / "exotui.log").write_text("old\n")
    os.chmod(log_dir / "exotui.log", 0o644)
    logs.setup_logging(log_dir)
    assert _mode(log_dir / "exotui.log") == 0o600


def test_the_log_rotates_and_every_file_stays_private(log_dir):
    path = logs.setup_logging(log_dir, max_bytes=2000, backups=3)
    log = logging.getLogger("exotui.test")
    for n in range(400):
        log.warning("line %d %s", n, "x" * 40)
    files = sorted(log_dir.glob("exotui.log*"))
    assert [f.name for f in files] == ["exotui.log", "exotui.log.1", "exotui.log.2", "exotui.log.3"]
    assert all(f.stat().st_size <= 2100 for f in files)
    assert all(_mode(f) == 0o600 for f in files)
    assert "line 399" in path.read_text()


SECRET = "s3cr3t-Value-42"


@pytest.mark.parametrize("line", [
    f"password={SECRET}", f"password: {SECRET}", f'{{"password": "{SECRET}"}}',
    f"X-Auth-Token: {SECRET}", f"x-subject-token={SECRET}", f"'application_credential_secret': '{SECRET}'",
    f"token {{SHA256}}abc token={SECRET}", f"OS_PASSWORD={SECRET}", f"auth?token={SECRET}&x=1",
])
def test_secret_values_are_redacted(log_dir, line):
    path = logs.setup_logging(log_dir)
    logging.getLogger("keystoneauth.session").warning("REQ: %s", line)
    text = path.read_text()
    assert "REQ:" in text and SECRET not in text and logs.REDACTED in text


def test_known_secrets_are_redacted_anywhere_even_in_tracebacks(log_dir):
    path = logs.setup_logging(log_dir)
    logs.redact.add("hunter2-is-long")
    try:
        raise RuntimeError("login failed for hunter2-is-long")
    except RuntimeError:
        logging.getLogger("exotui").exception("boom")
    assert "hunter2-is-long" not in path.read_text() and "login failed" in path.read_text()


def test_library_warnings_go_to_the_file_not_the_terminal(log_dir, capsys):
    path = logs.setup_logging(log_dir)
    logging.getLogger("keystoneauth.session").warning("Retriable status code 503")
    with warnings.catch_warnings():
        warnings.simplefilter("always")
        logging.captureWarnings(True)  # catch_warnings put showwarning back
        warnings.warn("an openstacksdk deprecation", DeprecationWarning)
    out = capsys.readouterr()
    assert out.err == "" and out.out == ""
    text = path.read_text()
    assert "Retriable status code 503" in text and "an openstacksdk deprecation" in text


def _exotui(*args, env) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "exotui", *args], check=False, capture_output=True, text=True,
                          timeout=60, env=env, stdin=subprocess.DEVNULL)


@pytest.mark.parametrize("mode, warned", [(0o644, True), (0o640, True), (0o600, False), (0o400, False)])
def test_a_clouds_yaml_others_can_read_is_warned_about(tmp_path, mode, warned):
    """One line on stderr before anything else, as ssh does; the run then goes on (here: to its usual
    one-line failure for an unknown cloud)."""
    clouds = tmp_path / "clouds.yaml"
    clouds.write_text(yaml.safe_dump({"clouds": {"mine": {"auth": {
        "auth_url": "http://127.0.0.1:9/v3", "username": "u", "password": "pw-never-shown",
        "project_name": "p", "user_domain_name": "Default", "project_domain_name": "Default"}}}}))
    os.chmod(clouds, mode)
    env = {k: v for k, v in os.environ.items() if not k.startswith("OS_")}
    env.update(OS_CLIENT_CONFIG_FILE=str(clouds), EXOTUI_STATE_DIR=str(tmp_path / "state"))
    done = _exotui("--cloud", "nope", env=env)
    lines = done.stderr.strip().splitlines()
    assert done.returncode == 1 and "nope" in lines[-1]
    assert ("others may read" in done.stderr) == warned
    if warned:
        assert len(lines) == 2 and str(clouds) in lines[0] and "chmod 600" in lines[0]
    assert "pw-never-shown" not in done.stderr + done.stdout


@pytest.mark.parametrize("clouds_mode, secure_mode, password_in, warned", [
    (0o644, 0o644, "secure", ["secure.yaml"]),  # the secret is in secure.yaml: only it is named
    (0o644, 0o600, "secure", []),  # the usual split: clouds.yaml may be shared, secure.yaml is private
    (0o644, 0o640, "both", ["clouds.yaml", "secure.yaml"]),
    (0o600, 0o604, "both", ["secure.yaml"]),
])
def test_a_secure_yaml_others_can_read_is_warned_about(tmp_path, clouds_mode, secure_mode, password_in, warned):
    auth = {"auth_url": "http://127.0.0.1:9/v3", "username": "u", "project_name": "p",
            "user_domain_name": "Default", "project_domain_name": "Default"}
    clouds, secure = tmp_path / "clouds.yaml", tmp_path / "secure.yaml"
    clouds.write_text(yaml.safe_dump({"clouds": {"mine": {"auth": {
        **auth, **({"password": "pw-never-shown"} if password_in == "both" else {})}}}}))
    secure.write_text(yaml.safe_dump({"clouds": {"mine": {"auth": {"password": "pw-never-shown-2"}}}}))
    os.chmod(clouds, clouds_mode)
    os.chmod(secure, secure_mode)
    env = {k: v for k, v in os.environ.items() if not k.startswith("OS_")}
    env.update(OS_CLIENT_CONFIG_FILE=str(clouds), OS_CLIENT_SECURE_FILE=str(secure), HOME=str(tmp_path),
               EXOTUI_STATE_DIR=str(tmp_path / "state"))
    done = _exotui("--cloud", "nope", env=env)
    lines = done.stderr.strip().splitlines()
    assert done.returncode == 1 and "nope" in lines[-1] and len(lines) == len(warned) + 1, done.stderr
    for line, name in zip(lines, warned):
        path = tmp_path / name
        assert line == (f"exotui: warning: {path} holds a password or secret and others may read it "
                        f"(mode {path.stat().st_mode & 0o777:o}); run: chmod 600 {path}")
    assert "pw-never-shown" not in done.stderr + done.stdout

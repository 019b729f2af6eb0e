"""The command line reads the dashboard's usual start with the options alone (no sub-parsers, no doctor
module: ~15 ms before the first frame); every other command line goes to the whole parser. Either way
the result, the help and the errors are the ones the whole parser gives."""

from __future__ import annotations

import contextlib
import io

import pytest

from exotui import cli

SAME = [[], ["--demo"], ["--cloud", "jetstream2"], ["--cloud=jetstream2", "--theme", "exotui-light"],
        ["--openrc", "app-cred-openrc.sh"], ["--cl", "abbreviated"], ["--cloud", "doctor"],
        ["doctor", "web"], ["--cloud", "c", "doctor", "web", "--from", "1.2.3.4"], ["ssh", "web", "-l", "rocky"],
        ["--demo", "ssh", "web"], ["demo-cloud", "--config-dir", "/tmp/x", "--servers", "5"],
        ["--demo", "--servers", "100", "--latency-ms", "50"], ["--demo", "--error-rate", "0.2", "ssh", "web"],
        ["--readonly", "--demo"], ["--readonly", "ssh", "web"]]
FAILING = [["-h"], ["--help"], ["--he"], ["--version"], ["--cloud"], ["--nope"], ["web"], ["doctor"],
           ["--cloud", "x", "stray"], ["demo-cloud"], ["--demo", "-x"]]


def _run(parse, argv):
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            return vars(parse(argv)), None, out.getvalue(), err.getvalue()
        except SystemExit as stop:
            return None, stop.code, out.getvalue(), err.getvalue()


@pytest.mark.parametrize("argv", SAME + FAILING, ids=lambda argv: " ".join(argv) or "(nothing)")
def test_the_quick_reading_is_the_whole_parsers(argv):
    assert _run(cli._parse, argv) == _run(lambda a: cli.build_parser().parse_args(a), argv)


def test_the_usual_start_builds_no_commands(monkeypatch):
    built = []
    real = cli.build_parser
    monkeypatch.setattr(cli, "build_parser", lambda commands=True: built.append(commands) or real(commands))
    assert cli._parse(["--cloud", "jetstream2"]).cloud == "jetstream2"
    assert built == [False]
    assert cli._parse(["doctor", "web"]).command == "doctor"
    assert built == [False, False, True], "a command: the options alone leave words over, so the whole parser"


def test_the_demo_takes_the_demo_clouds_knobs():
    """`exotui --demo --servers 100` is what a newcomer types after `exotui demo-cloud --help`: it was
    "invalid choice: '100'"."""
    args = cli._parse(["--demo", "--servers", "100", "--latency-ms", "50", "--no-ssh"])
    knobs = cli._knobs(args)
    assert (args.demo, knobs.servers, knobs.latency_ms, knobs.ssh) == (True, 100, 50.0, False)


def test_knobs_without_the_demo_are_one_clear_line(capsys):
    assert cli.main(["--servers", "100"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--demo" in err and "Traceback" not in err


def test_the_demo_removes_its_config_dir_which_holds_its_password_and_key(monkeypatch, tmp_path):
    """`exotui --demo` wrote the demo's clouds.yaml (a password) and private key into a temporary folder
    and left it behind at every run."""
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    monkeypatch.delenv("OS_CLIENT_CONFIG_FILE", raising=False)
    seen = {}

    def run_app(workspace, theme=None):  # the app's own start calls this factory in a thread
        ws = workspace()
        folder = next(tmp_path.glob("exotui-demo-*"))
        seen["mode"] = folder.stat().st_mode & 0o777
        seen["files"] = sorted(p.name for p in folder.iterdir())
        seen["projects"] = len(ws.profiles)
        return 0

    import exotui.ui.app

    monkeypatch.setattr(exotui.ui.app, "run_app", run_app)
    assert cli.main(["--demo", "--no-ssh", "--servers", "3"]) == 0
    assert seen["mode"] == 0o700 and "clouds.yaml" in seen["files"] and seen["projects"] == 1
    assert list(tmp_path.glob("exotui-demo-*")) == []


def test_readonly_is_read_on_the_usual_start_and_with_commands():
    assert cli._parse(["--readonly"]).readonly is True
    assert cli._parse(["--readonly", "ssh", "web"]).readonly is True
    assert cli._parse([]).readonly is False

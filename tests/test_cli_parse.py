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
        ["--demo", "ssh", "web"], ["demo-cloud", "--config-dir", "/tmp/x", "--servers", "5"]]
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

"""compare.py's verdict, on recorded tables: the demo may not lose a test the real stack passes unless
exceptions.json explains it in one line; tests the real stack fails or skips do not count."""

from __future__ import annotations

import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import compare  # noqa: E402  (tests/osc/compare.py)

A, B, C, D = (f"identity/v3/test_x.py::XTests::test_{n}" for n in "abcd")


def table(path: Path, outcomes: dict[str, str]) -> str:
    path.write_text(json.dumps({"tests": {t: {"outcome": o, "seconds": 1.0, "why": f"{o} here"}
                                          for t, o in outcomes.items()}}))
    return str(path)


def test_a_loss_fails_and_names_the_test(tmp_path, capsys):
    real = table(tmp_path / "real.json", {A: "passed", B: "passed", C: "failed", D: "skipped"})
    demo = table(tmp_path / "demo.json", {A: "passed", B: "error", C: "passed", D: "passed"})
    assert compare.main([real, demo, str(tmp_path / "none.json")]) == 1
    out = capsys.readouterr().out
    assert "passed on real 2; passed on demo 3; of those passed on real, passed on demo 1 (50.0%)" in out
    assert f"LOST      {B}: error here" in out and C not in out.split("\n", 1)[1]


def test_an_explained_loss_passes(tmp_path, capsys):
    real = table(tmp_path / "real.json", {A: "passed", B: "passed"})
    demo = table(tmp_path / "demo.json", {A: "passed"})  # B not run on the demo at all
    explained = tmp_path / "exceptions.json"
    explained.write_text(json.dumps({B: "a service neither cloud serves"}))
    assert compare.main([real, demo, str(explained)]) == 0
    assert f"explained {B}: a service neither cloud serves" in capsys.readouterr().out


def test_no_loss_passes_and_a_missing_real_table_says_how(tmp_path, capsys):
    real = table(tmp_path / "real.json", {A: "passed", B: "failed"})
    demo = table(tmp_path / "demo.json", {A: "passed", B: "failed"})
    assert compare.main([real, demo, str(tmp_path / "none.json")]) == 0
    assert "(100.0%)" in capsys.readouterr().out
    assert compare.main([str(tmp_path / "absent.json"), demo]) == 2
    assert "run tests/osc/run.py --clouds-yaml" in capsys.readouterr().out


def test_the_recorded_tables_agree(capsys):
    """The tables in the repo (results-real.json from the real stack's whole run, results-demo.json): every test
    the real stack passed passes on the demo or is explained in exceptions.json, and the share stays >= 95%."""
    assert compare.main([]) == 0, capsys.readouterr().out
    first = capsys.readouterr().out.splitlines()[0]
    share = float(first.rsplit("(", 1)[1].rstrip("%)"))
    assert share >= 95.0, first

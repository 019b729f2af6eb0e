"""The real tier's comparison: a part of python-openstackclient's own functional tests runs on the real stack
and on the demo cloud, and the demo must pass every one the real stack passes (tests/osc/compare.py;
exceptions.json may explain a loss in one line).

The whole suite takes over half an hour on each cloud, so CI runs a subset by service, chosen to fit about
five minutes for both clouds: 15 of identity's tests, of tokens, the catalog, projects and users
(COMPARED below), each run with a member, a project admin and a system admin.
`python tests/osc/run.py` runs everything; see tests/osc/README.md.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "cloud"))
import compare  # noqa: E402  (tests/osc/compare.py)
import run  # noqa: E402  (tests/osc/run.py)
from clouds import require_real_stack  # noqa: E402  (tests/cloud/clouds.py)

pytestmark = [pytest.mark.realcloud, pytest.mark.slow]

SERVICES = "identity"
# OSC's identity test files run on both clouds (pytest -k on the file's test class names)
COMPARED = ["TokenTests", "CatalogTests", "ProjectTests", "UserTests"]  # 15 tests, 4 class set-ups
# the real stack's clouds.yaml (tests/realcloud/seed.py): member, project admin, system admin
REAL_MEMBER, REAL_ADMIN, REAL_SYSTEM = "realcloud", "realcloud-admin", "realcloud-system"


def keyword() -> str:
    return " or ".join(COMPARED)


@pytest.mark.timeout(900)
def test_the_demo_passes_what_the_real_stack_passes(tmp_path, capsys):
    pytest.importorskip("tempest.lib", reason="tempest is not installed (pip install -r tests/osc/requirements.txt)")
    real_yaml = require_real_stack()
    assert run.main(["--clouds-yaml", str(real_yaml), "--cloud", REAL_MEMBER, "--admin-cloud", REAL_ADMIN,
                     "--system-cloud", REAL_SYSTEM, "--label", "real", "--services", SERVICES,
                     "-k", keyword(), "--out-dir", str(tmp_path), "--timeout", "90"]) == 0
    assert run.main(["--label", "demo", "--services", SERVICES, "-k", keyword(), "--out-dir", str(tmp_path),
                     "--timeout", "90"]) == 0
    real = json.loads((tmp_path / "results-real.json").read_text())
    assert real["total"]["passed"] > 0, "no OSC test passed on the real stack: " + json.dumps(real["tests"])[:2000]
    verdict = compare.main([str(tmp_path / "results-real.json"), str(tmp_path / "results-demo.json")])
    report = capsys.readouterr().out
    with capsys.disabled():  # the figures belong in CI's log
        print("\n" + report)
    assert verdict == 0, report

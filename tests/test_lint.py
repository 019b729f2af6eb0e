"""The checks CI also runs on exotui/: ruff (pyflakes, pycodestyle, import order, bugbear) and mypy on every
module not yet on pyproject.toml's ratchet list. Part of the suite so that the README's one test command
covers them."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _tool(name: str) -> str:
    found = shutil.which(name, path=str(Path(sys.executable).parent))
    if found is None:
        pytest.fail(f"{name} is not installed beside {sys.executable}: pip install -e '.[test]'")
    return found


def test_ruff_finds_nothing():
    done = subprocess.run([_tool("ruff"), "check", "exotui"], cwd=ROOT, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.timeout(600)
def test_mypy_finds_nothing_outside_the_ratchet():
    done = subprocess.run([_tool("mypy")], cwd=ROOT, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout[-5000:] + done.stderr[-2000:]


def test_no_two_test_files_share_a_name():
    """The test folders are not packages, so pytest imports each file by its base name: two files of one name
    (tests/cloud/test_search.py and tests/ui/test_search.py did) stop the whole run at collection, which a run of
    either file alone never shows."""
    seen: dict[str, list[str]] = {}
    for path in sorted((ROOT / "tests").rglob("test_*.py")):
        seen.setdefault(path.name, []).append(str(path.relative_to(ROOT)))
    assert not {name: paths for name, paths in seen.items() if len(paths) > 1}

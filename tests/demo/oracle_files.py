"""The oracle's captured exchanges (../shared/oracle) for the demo cloud's tests, and unique names."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest

ORACLE = Path(__file__).resolve().parents[3] / "shared" / "oracle" / "responses"


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def oracle(name: str) -> dict:
    found = sorted(ORACLE.glob(f"{name}*.json")) if ORACLE.is_dir() else []
    if not found:
        pytest.skip(f"oracle exchange {name} not found under {ORACLE}")
    return json.loads(found[0].read_text())

"""The oracle's captured exchanges (tests/oracle, captured from real services) for the demo cloud's tests, and unique names."""

from __future__ import annotations

import json
import uuid
from pathlib import Path


ORACLE = Path(__file__).resolve().parents[1] / "oracle" / "responses"


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def oracle(name: str) -> dict:
    found = sorted(ORACLE.glob(f"{name}*.json"))
    assert found, f"oracle exchange {name} not found under {ORACLE}"
    return json.loads(found[0].read_text())

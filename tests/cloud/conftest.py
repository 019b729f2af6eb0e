"""`target`: the cloud layer's integration tests run once on the demo cloud and once on the real stack."""

from __future__ import annotations

import os

import pytest
from clouds import DemoTarget, RealTarget, require_real_stack


@pytest.fixture(params=["demo", pytest.param("real", marks=pytest.mark.realcloud)])
def target(request, monkeypatch):
    if request.param == "demo":
        clouds_yaml = request.getfixturevalue("demo_dir") / "clouds.yaml"
        made = DemoTarget(request.getfixturevalue("demo"), clouds_yaml)
    else:
        clouds_yaml = require_real_stack()
        made = RealTarget(clouds_yaml)
    monkeypatch.setenv("OS_CLIENT_CONFIG_FILE", str(clouds_yaml))
    for key in list(os.environ):
        if key.startswith("OS_") and key != "OS_CLIENT_CONFIG_FILE":
            monkeypatch.delenv(key)
    yield made
    made.cleanup()

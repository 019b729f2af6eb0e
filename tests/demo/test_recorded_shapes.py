"""The demo cloud answers with the fields real services answer with: held against the shapes that
tests/realcloud/record.py recorded from the real stack (fields, which are null, version headers)."""

from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path

import pytest

RECORDED = Path(__file__).resolve().parents[1] / "realcloud" / "recorded" / "shapes.json"
if not RECORDED.exists():
    pytest.skip(f"no recording at {RECORDED}: run tests/realcloud/record.py against the real stack",
                allow_module_level=True)
SHAPES = json.loads(RECORDED.read_text())
# fields real services show only for some items (an ERROR server's fault) or only to admins
CONDITIONAL = {"fault"}
# an image's own properties (the SDK's owner_specified.* checksums, the demo's os_*, hw_*, default_user)
IMAGE_PROPERTY = re.compile(r"^(owner_specified\.|os_|hw_|default_user$)")


def _record_module():
    spec = importlib.util.spec_from_file_location("exotui_record", RECORDED.parents[1] / "record.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def demo_shapes(demo, demo_dir):
    import os

    import openstack

    previous = os.environ.get("OS_CLIENT_CONFIG_FILE")
    os.environ["OS_CLIENT_CONFIG_FILE"] = str(demo_dir / "clouds.yaml")
    try:
        conn = openstack.connect(cloud="exotui-demo")
        yield _record_module().shapes(conn)
        conn.close()
    finally:
        if previous is None:
            os.environ.pop("OS_CLIENT_CONFIG_FILE", None)
        else:
            os.environ["OS_CLIENT_CONFIG_FILE"] = previous


@pytest.mark.parametrize("answer", sorted(SHAPES))
def test_the_demo_answers_with_real_fields(demo_shapes, answer):
    real, ours = SHAPES[answer], demo_shapes.get(answer)
    assert ours is not None, f"the demo cloud gave no {answer}"
    assert ours["status"] == real["status"]
    keep = (lambda f: not IMAGE_PROPERTY.match(f)) if answer.startswith("image") else (lambda f: True)
    assert {f for f in ours["fields"] if keep(f)} - CONDITIONAL == {f for f in real["fields"] if keep(f)} - CONDITIONAL
    assert ours["version_header"] == real["version_header"]

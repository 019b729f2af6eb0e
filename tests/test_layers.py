"""The rules between layers (../shared/DESIGN.md), checked rather than trusted."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "exotui"


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if node.level:  # relative: resolve against the file's package
                package = path.relative_to(PACKAGE.parent).with_suffix("").parts[:-node.level]
                module = ".".join((*package, module)) if module else ".".join(package)
            found.add(module)
    return found


def _layer_files(*layers: str):
    for layer in layers:
        yield from (PACKAGE / layer).rglob("*.py")


def test_nothing_below_ui_imports_textual_or_ui():
    offenders = []
    for path in _layer_files("cloud", "net", "ssh", "demo"):
        for module in _imports(path):
            if module.split(".")[0] == "textual" or module.startswith("exotui.ui"):
                offenders.append(f"{path.relative_to(PACKAGE)} imports {module}")
    assert not offenders, offenders


def test_product_code_never_imports_the_demo_cloud():
    offenders = []
    for path in _layer_files("cloud", "net", "ssh", "ui"):
        for module in _imports(path):
            if module.startswith("exotui.demo"):
                offenders.append(f"{path.relative_to(PACKAGE)} imports {module}")
    assert not offenders, offenders


def test_net_uses_only_the_models():
    for path in _layer_files("net"):
        for module in _imports(path):
            if module.startswith("exotui.") and not module.startswith(("exotui.cloud.models", "exotui.net")):
                raise AssertionError(f"{path.relative_to(PACKAGE)} imports {module}")


def test_the_cloud_layer_loads_openstacksdk_lazily():
    """Importing the cloud layer must not import openstacksdk: it costs ~0.5 s before the first frame."""
    code = ("import sys, exotui.cloud.workspace, exotui.cloud.poller, exotui.cloud.profiles; "
            "print(sorted(m for m in ('openstack', 'keystoneauth1', 'textual') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"

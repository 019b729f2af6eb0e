"""The rules between layers (docs/architecture.md), checked rather than trusted."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

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


# the libraries only the layers below ui/ talk to: ui/ reaches them through cloud/ and ssh/
BELOW_UI_ONLY = ("openstack", "keystoneauth1", "asyncssh", "pyte", "pyghostty", "wcwidth", "requests", "urllib3")


def test_ui_never_imports_the_cloud_sdk_ssh_or_the_terminal_core():
    offenders = [f"{path.relative_to(PACKAGE)} imports {module}"
                 for path in _layer_files("ui") for module in _imports(path)
                 if module.split(".")[0] in BELOW_UI_ONLY]
    assert not offenders, offenders


def test_every_imported_distribution_is_declared():
    """A third-party module imported by exotui/ is a declared dependency (pyproject.toml), not a lucky
    transitive one."""
    tomllib = pytest.importorskip("tomllib")  # 3.11+
    from importlib.metadata import packages_distributions  # noqa: PLC0415

    declared = {_distribution_name(spec) for spec in
                tomllib.loads((PACKAGE.parent / "pyproject.toml").read_text())["project"]["dependencies"]}
    owners = packages_distributions()
    missing = set()
    for path in PACKAGE.rglob("*.py"):
        for module in _imports(path):
            top = module.split(".")[0]
            if not top or top == "exotui" or top in sys.stdlib_module_names:
                continue
            dists = {d.lower().replace("_", "-") for d in owners.get(top, [top])}
            if not dists & declared:
                missing.add(f"{top} ({path.relative_to(PACKAGE)})")
    assert not missing, sorted(missing)


def _distribution_name(spec: str) -> str:
    import re  # noqa: PLC0415

    return re.split(r"[<>=!~;\[ ]", spec, maxsplit=1)[0].strip().lower().replace("_", "-")

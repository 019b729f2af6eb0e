"""A fixed handful of python-openstackclient's own functional tests, run against the demo cloud, so the
suite keeps them passing. The whole suite is a command: `python tests/osc/run.py` (see results-demo.md).

The subset is tests that pass on the demo and are quick; each runs the real `openstack` CLI several times.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import run  # noqa: E402  (tests/osc/run.py)
from demo_for_osc import add_devstack_fixtures  # noqa: E402

from exotui.demo.app import DemoCloudThread  # noqa: E402
from exotui.demo.world import Knobs  # noqa: E402

pytestmark = pytest.mark.slow

SUBSET = [  # from results-demo.md: passed on the demo, among the quickest, every service that passes any
    "compute/v2/test_keypair.py::KeypairTests::test_keypair_list",
    "compute/v2/test_keypair.py::KeypairTests::test_keypair_create_duplicate",
    "compute/v2/test_keypair.py::KeypairTests::test_keypair_show",
    "compute/v2/test_keypair.py::KeypairTests::test_keypair_delete",
    "network/v2/test_router.py::RouterTests::test_router_create_and_delete",
    "network/v2/test_network.py::NetworkTests::test_network_delete_network",
    "network/v2/test_subnet.py::SubnetTests::test_subnet_create_and_delete",
    "network/v2/test_security_group.py::SecurityGroupTests::test_security_group_show",
    "image/v2/test_image.py::ImageTests::test_image_list_with_status_filter",
    "volume/v3/test_volume.py::VolumeTests::test_volume_delete",
    "compute/v2/test_server_group.py::ServerGroupTests::test_server_group_delete",
]
ADMIN_SUBSET = [  # run as the demo's admin, as run.py runs its ADMIN_FILES: one quick test per admin module
    "compute/v2/test_aggregate.py::AggregateTests::test_aggregate_add_and_remove_host",
    "compute/v2/test_hypervisor.py::HypervisorTests::test_hypervisor_list",
    "volume/v3/test_volume_type.py::VolumeTypeTests::test_volume_type_set_unset_project",
    "volume/v3/test_service.py::VolumeServiceTests::test_volume_service",
    "network/v2/test_network.py::NetworkTests::test_network_set",
    "compute/v2/test_server.py::ServerTests::test_server_migration_list",  # a single test in ADMIN_FILES
]


@pytest.fixture()
def osc_demo(tmp_path):
    """A demo cloud of the test's own with devstack's fixtures (m1.tiny, cirros, `private`)."""
    with DemoCloudThread(Knobs(delay_scale=0.0, ssh=False, seed=3), state_dir=tmp_path / "state") as cloud:
        cloud.call(add_devstack_fixtures, cloud.world)
        cloud.cloud.write_config(tmp_path / "demo", operators=True)
        yield tmp_path / "demo" / "clouds.yaml"


@pytest.mark.timeout(900)  # ~40 `openstack` runs: about 60 s on an idle machine, 200 s on a loaded one
def test_osc_functional_subset_passes_on_the_demo(osc_demo, tmp_path):
    passes(osc_demo, tmp_path, SUBSET, None, None)


@pytest.mark.timeout(900)
def test_osc_admin_subset_passes_on_the_demo_as_its_admin(osc_demo, tmp_path):
    assert all(nodeid.split("::")[0] in run.ADMIN_FILES or nodeid in run.ADMIN_FILES for nodeid in ADMIN_SUBSET)
    passes(osc_demo, tmp_path, ADMIN_SUBSET, run.DEMO_ADMIN, run.DEMO_SYSTEM)


def passes(clouds_yaml, tmp_path, subset: list[str], admin: str | None, system: str | None) -> None:
    """Run these OSC tests with the member as `devstack` and `admin`/`system` (or the member) as the admins."""
    pytest.importorskip("tempest.lib", reason="tempest is not installed (pip install -r tests/osc/requirements.txt)")
    workdir = tmp_path / "run"
    run.write_osc_clouds(clouds_yaml, "exotui-demo", admin, system, workdir)
    results = tmp_path / "raw.json"
    root = run.functional_root()
    env = {k: v for k, v in os.environ.items() if not k.startswith("OS_")}
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    env["PYTHONPATH"] = str(HERE) + os.pathsep + env.get("PYTHONPATH", "")
    env["OSC_RESULTS_JSON"] = str(results)
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "osc_plugin", "-p", "no:cacheprovider",
                           "-o", "addopts=", "--rootdir", str(root), "-c", os.devnull, "--timeout=60",
                           *[str(root / nodeid.split("::")[0]) + "::" + nodeid.split("::", 1)[1] for nodeid in subset]],
                          cwd=workdir, env=env, capture_output=True, text=True, timeout=600)
    assert results.exists(), done.stdout[-3000:] + done.stderr[-3000:]
    outcomes = {run.relative(k): v for k, v in json.loads(results.read_text())["tests"].items()}
    failed = {n: r.get("why", "") for n, r in outcomes.items() if r["outcome"] != "passed"}
    assert not failed, json.dumps(failed, indent=1)
    assert sorted(outcomes) == sorted(subset)

"""The rule tables: Nova's (held against real Nova's action matrix), Jetstream2's, and resize targets."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from exotui.cloud.action_table import SERVER_ACTIONS
from exotui.cloud.models import Flavor, Quota, Server
from exotui.cloud.rules import (ACTIONS, GENERAL, GPU, LARGE_MEMORY, NO_RULES, allowed_actions, flavor_family,
                                load_cloud_rules, resize_targets, resize_verdict, rules_for_cloud, server_flavor)

ORACLE = Path(__file__).resolve().parents[1] / "oracle" / "nova-action-matrix.json"
# the oracle's action names (Nova's) -> exotui's: each action declares its own (action_table.ServerAction.api)
ORACLE_ACTIONS = {a.api: a.name for a in SERVER_ACTIONS}
JS2 = rules_for_cloud("exotui-demo")


def _owner_cells() -> list:
    matrix = json.loads(ORACLE.read_text())
    return [pytest.param(row["start_step"], action, cell["status"], id=f"{state}-{action}")
            for state, row in matrix["states"].items() if "admin" not in row["actor"]
            for action, cell in row["actions"].items()]


def server(step: str = "ACTIVE/None/active/1", flavor: str = "m3.small", **kw) -> Server:
    """A server from the oracle's step format: status/task_state/vm_state/power_state[/locked]."""
    status, task, vm_state, power, *locked = step.split("/")
    return Server(id="s1", name="web", status=status, task_state=None if task == "None" else task,
                  vm_state=vm_state, power_state=int(power), locked=bool(locked), flavor_name=flavor,
                  host_id="" if vm_state == "shelved_offloaded" else "abc", image_id="img", **kw)


@pytest.mark.parametrize("start_step,action,http_status", _owner_cells())
def test_allowed_iff_real_nova_said_2xx(start_step, action, http_status):
    verdict = allowed_actions(server(start_step))[ORACLE_ACTIONS[action]]
    assert verdict.allowed == (200 <= http_status < 300), verdict.reason
    assert verdict.allowed or verdict.reason


def test_reasons_are_in_words():
    shelved = allowed_actions(server("SHELVED_OFFLOADED/None/shelved_offloaded/4"))
    assert shelved["start"].reason == "the instance is shelved: unshelve it first"
    assert shelved["console_log"].reason == "the instance is shelved: unshelve it first"
    assert shelved["unshelve"]
    locked = allowed_actions(server("ACTIVE/None/active/1/locked"))
    assert locked["stop"].reason == "the instance is locked: unlock it first"
    assert locked["delete"].reason == "the instance is locked: unlock it first"
    assert locked["create_image"] and locked["console_log"] and locked["unlock"]
    busy = allowed_actions(server("ACTIVE/powering-off/active/1"))
    assert busy["shelve"].reason == "Nova is busy with this instance (task: powering-off)"
    assert busy["delete"] and busy["console_log"]
    active = allowed_actions(server())
    assert active["start"].reason == "the instance is already running"
    assert active["resume"].reason == "the instance is not suspended (it is running)"
    assert active["shelve_offload"].reason.startswith("only a cloud administrator")
    stopped = allowed_actions(server("SHUTOFF/None/stopped/4"))
    assert stopped["suspend"].reason == "the instance is stopped: start it first"
    assert stopped["confirm_resize"].reason == "there is no resize to confirm (it is stopped)"


def test_hard_reboot_may_interrupt_a_stuck_pause_but_not_a_shelve():
    assert allowed_actions(server("ACTIVE/pausing/active/1"))["reboot_hard"]
    assert not allowed_actions(server("ACTIVE/shelving/active/1"))["reboot_hard"]


def test_without_extended_status_the_vm_state_is_read_from_status():
    hidden = Server(id="s", name="n", status="SUSPENDED")
    verdicts = allowed_actions(hidden)
    assert verdicts["resume"] and not verdicts["start"]
    assert set(verdicts) == set(ACTIONS)


def test_jetstream2_is_chosen_by_name_auth_url_or_explicitly():
    assert JS2.name == "jetstream2"
    assert rules_for_cloud("openstack", "https://js2.jetstream-cloud.org:5000/v3/").name == "jetstream2"
    assert rules_for_cloud("mycloud", "https://keystone.example.org:5000/v3").name == ""
    assert rules_for_cloud("whatever", explicit="jetstream2").name == "jetstream2"
    assert rules_for_cloud(None, "https://evil-jetstream-cloud.org/v3") is NO_RULES
    custom = load_cloud_rules({"clouds": {"tiny": {"match": {"cloud_names": ["tiny*"]},
                                                   "flavor_groups": [{"name": "x", "pattern": "^x\\.",
                                                                      "refuse": {"pause": "no pausing here"}}]}}})
    rules = rules_for_cloud("tiny-lab", tables=custom)
    assert allowed_actions(server(flavor="x.big"), cloud_rules=rules)["pause"].reason == "no pausing here"


@pytest.mark.parametrize("flavor,suspend,resize", [
    ("m3.small", True, True), ("r3.large", False, True), ("g3.small", False, True), ("g3.large", False, True),
    ("g3.xl", False, False), ("g3.2xl", False, False), ("g4.xl", False, False), ("g5.xl", False, False),
])
def test_jetstream2_flavor_rules(flavor, suspend, resize):
    verdicts = allowed_actions(server(flavor=flavor), cloud_rules=JS2)
    assert verdicts["suspend"].allowed == suspend
    assert verdicts["resize"].allowed == resize
    assert verdicts["stop"] and verdicts["shelve"]
    if not suspend:
        assert "Jetstream2" in verdicts["suspend"].reason
    assert allowed_actions(server(flavor=flavor))["suspend"], "Nova alone allows it"


def test_a_lasting_cloud_refusal_wins_over_a_passing_nova_one():
    verdict = allowed_actions(server("SHUTOFF/None/stopped/4", flavor="r3.large"), cloud_rules=JS2)["suspend"]
    assert "large-memory" in verdict.reason


def test_full_gpu_cannot_become_partial():
    assert "partial-GPU" in JS2.resize_refusal("g3.xl", "g3.large")
    assert JS2.resize_refusal("g3.large", "g3.xl") is None


FLAVORS = [Flavor("1", "m3.tiny", 1, 3072, 20), Flavor("2", "m3.small", 2, 6144, 20),
           Flavor("4", "m3.medium", 8, 30720, 60), Flavor("5", "m3.large", 16, 61440, 60),
           Flavor("8", "r3.large", 64, 512000, 60, extra_specs={"trait:CUSTOM_LARGE_MEMORY": "required"}),
           Flavor("10", "g3.small", 4, 15360, 60, extra_specs={"resources:VGPU": "1"}),
           Flavor("13", "g3.xl", 32, 122880, 60, extra_specs={"pci_passthrough:alias": "a100:1"})]


def test_flavor_family_from_specs_then_names():
    families = {f.name: flavor_family(f) for f in FLAVORS}
    assert families == {"m3.tiny": GENERAL, "m3.small": GENERAL, "m3.medium": GENERAL, "m3.large": GENERAL,
                        "r3.large": LARGE_MEMORY, "g3.small": GPU, "g3.xl": GPU}
    assert flavor_family(Flavor("x", "big", extra_specs={"resources:PGPU": "1"})) == GPU
    assert flavor_family(Flavor("x", "g4.xl")) == GPU
    assert flavor_family(Flavor("x", "nic", extra_specs={"pci_passthrough:alias": "sriov:1"})) == GENERAL


def test_resize_targets_say_why_not():
    medium = server(flavor="m3.medium")
    quotas = [Quota("compute", "cores", 40, 20), Quota("compute", "ram", -1, 0)]
    targets = resize_targets(medium, None, FLAVORS, quotas, JS2)
    assert [f.name for f, _ in targets] == ["m3.tiny", "m3.small", "m3.medium", "m3.large", "r3.large",
                                            "g3.small", "g3.xl"]
    verdicts = {f.name: v for f, v in targets}
    assert "root disk (20 GB) is smaller" in verdicts["m3.tiny"].reason
    assert verdicts["m3.medium"].reason == "this is the instance's current flavor"
    assert verdicts["m3.large"] and verdicts["g3.small"]
    assert verdicts["r3.large"].reason == "needs 56 more vCPUs; the project has 20 left (quota 40)"
    assert not verdicts["g3.xl"] and "vCPUs" in verdicts["g3.xl"].reason


def test_resize_targets_follow_the_instance():
    full_gpu = resize_targets(server(flavor="g3.xl"), None, FLAVORS, (), JS2)
    assert all(not v and "full-GPU" in v.reason for _, v in full_gpu)
    paused = resize_targets(server("PAUSED/None/paused/1"), None, FLAVORS, (), JS2)
    assert all(v.reason == "the instance is paused: unpause it first" for _, v in paused)
    volume_backed = Server(id="v", name="v", status="ACTIVE", vm_state="active", flavor_name="m3.medium",
                           image_id=None)
    assert resize_verdict(volume_backed, FLAVORS[2], FLAVORS[0]), "a volume-backed root disk is not the flavor's"


def test_server_flavor_falls_back_to_the_embedded_copy():
    embedded = Server(id="s", name="s", status="ACTIVE", flavor_name="g9.huge", flavor_vcpus=96,
                      flavor_ram_mb=1024, flavor_extra_specs={"resources:VGPU": "1"})
    flavor = server_flavor(embedded, FLAVORS)
    assert (flavor.name, flavor.vcpus, flavor_family(flavor)) == ("g9.huge", 96, GPU)
    assert server_flavor(server(flavor="m3.large"), FLAVORS) is FLAVORS[3]

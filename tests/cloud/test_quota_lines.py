"""cloud/quotas.py: every quota the cloud reports named in the user's words and units, the tightest few, and which
quota a launch would pass, said in one line before anything is sent. The quota bodies are the oracle's."""

from __future__ import annotations

import json
from pathlib import Path

from exotui.cloud.models import Flavor, Quota, Server
from exotui.cloud.poller import _quota_lines
from exotui.cloud.quotas import amount, launch_shortfall, lines, name_of, tightest
from exotui.cloud.rules import resize_verdict

ORACLE = Path(__file__).resolve().parents[1] / "oracle" / "responses"


def _oracle(name: str, outer: str) -> dict:
    return json.loads((ORACLE / name).read_text())["response_body"][outer]


def oracle_quotas() -> list[Quota]:
    """What real Nova, Cinder and Neutron answered, parsed as the poller parses it."""
    return (_quota_lines("compute", _oracle("nova-069-quota-sets-detail-mv2.1.json", "quota_set"), "in_use")
            + _quota_lines("volume", _oracle("cinder-262-quota-sets-show-usage.json", "quota_set"), "in_use")
            + _quota_lines("network", _oracle("neutron-236-quotas-details.json", "quota"), "used"))


def test_every_quota_real_services_report_has_a_line_in_order():
    shown = lines(oracle_quotas())
    titles = [line.name.title for line in shown]
    for wanted in ("Instances", "vCPUs", "RAM", "Key pairs", "Server groups", "Volumes", "Volume snapshots",
                   "Volume storage", "Volume backups", "Networks", "Subnets", "Ports", "Routers", "Floating IPs",
                   "Security groups", "Security group rules"):
        assert wanted in titles, wanted
    assert [line.quota.service for line in shown] == sorted((line.quota.service for line in shown),
                                                            key=["compute", "volume", "network"].index)
    # nova-network's proxies (always -1 beside Neutron's own) are not shown twice
    assert titles.count("Security groups") == 1 and "Floating ips" not in titles
    # Cinder's per-type lines read as such, the type's name as the cloud has it
    assert "Volumes of type __DEFAULT__" in titles and "Storage of type __DEFAULT__" in titles
    by_title = {line.name.title: line for line in shown}
    assert by_title["RAM"].text == "0 GiB of 500 GiB"  # Nova's 512000 MB, as flavors say RAM
    assert by_title["Volume storage"].text == "4 GiB of 1,000 GiB"
    assert by_title["Floating IPs"].text == "1 of 50"
    assert by_title["Metadata items per instance"].text == "at most 128" and by_title["Metadata items per "
                                                                                      "instance"].share is None
    assert by_title["Injected file size"].text == "at most 10 KiB"
    assert by_title["Subnet pools"].text == "0 (no limit)" and by_title["Subnet pools"].share is None


def test_units_are_human():
    assert amount(512000, "MiB") == "500 GiB" and amount(1536, "MiB") == "1.5 GiB"
    assert amount(1000, "GiB") == "1,000 GiB" and amount(10240, "bytes") == "10 KiB" and amount(255, "bytes") == \
        "255 bytes"


def test_a_volume_type_name_from_the_cloud_is_made_printable():
    odd = name_of(Quota("volume", "volumes_fast\x1b[31m", -1, 2))
    assert "\x1b" not in odd.title and odd.title.startswith("Volumes of type fast")


def test_the_tightest_three_are_the_fullest_limited_totals():
    quotas = [Quota("compute", "cores", 256, 250), Quota("compute", "ram", 1024000, 512000),
              Quota("network", "floatingip", 10, 9), Quota("compute", "instances", 20, 2),
              Quota("compute", "metadata_items", 128, 127), Quota("network", "subnetpool", -1, 50)]
    assert [line.name.short for line in tightest(quotas)] == ["cores", "FIPs", "RAM"]


FLAVOR = Flavor("f", "m3.large", vcpus=16, ram_mb=61440)


def _room(**limits: tuple[int, int]) -> dict[str, Quota]:
    services = {"instances": "compute", "cores": "compute", "ram": "compute", "volumes": "volume",
                "gigabytes": "volume", "floatingip": "network"}
    return {f"{services[k]}:{k}": Quota(services[k], k, limit, used) for k, (limit, used) in limits.items()}


def test_a_launch_that_fits_passes():
    quotas = _room(instances=(20, 8), cores=(256, 100), ram=(1024000, 100000), volumes=(10, 3),
                   gigabytes=(1000, 750), floatingip=(10, 6))
    assert launch_shortfall(quotas, FLAVOR, 2, new_volume_gb=100, floating_ips=True) is None


def test_a_launch_past_a_quota_says_which_in_one_line():
    quotas = _room(instances=(20, 8), cores=(256, 250), ram=(1024000, 1000000))
    said = launch_shortfall(quotas, FLAVOR, 1)
    assert said == ("over quota: vCPUs needs 16, 6 left of 256; RAM needs 60 GiB, 23.4 GiB left of 1,000 GiB")
    assert "\n" not in said


def test_min_count_lets_nova_build_fewer():
    quotas = _room(instances=(20, 17), cores=(256, 0), ram=(-1, 0))
    assert launch_shortfall(quotas, FLAVOR, 5, 3) is None  # Nova builds the 3 that fit
    assert launch_shortfall(quotas, FLAVOR, 5, 4) == "over quota: Instances needs 4, 3 left of 20"


def test_volumes_and_floating_ips_are_checked_for_the_instances_built():
    quotas = _room(instances=(20, 0), cores=(-1, 0), ram=(-1, 0), volumes=(10, 9), gigabytes=(1000, 900),
                   floatingip=(10, 9))
    said = launch_shortfall(quotas, FLAVOR, 2, new_volume_gb=60, floating_ips=True)
    assert said == ("over quota: Volumes needs 2, 1 left of 10; Volume storage needs 120 GiB, 100 GiB left of "
                    "1,000 GiB; Floating IPs needs 2, 1 left of 10")
    assert launch_shortfall(quotas, FLAVOR, 1, new_volume_gb=60, floating_ips=True) is None


def test_the_resize_picker_says_ram_in_gib_like_flavors():
    server = Server(id="s", name="s", status="ACTIVE", vm_state="active", flavor_name="m3.small", image_id="i")
    small, big = Flavor("a", "m3.small", vcpus=2, ram_mb=6144), Flavor("b", "m3.big", vcpus=2, ram_mb=38912)
    verdict = resize_verdict(server, small, big, [Quota("compute", "ram", 51200, 40960)])
    assert verdict.reason == "needs 32 more GiB of RAM; the project has 10 left (quota 50)"

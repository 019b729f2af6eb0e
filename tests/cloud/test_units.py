"""Jetstream2 service units: per-instance rates, GPU shares, a project's burn rate and its allocations."""

from __future__ import annotations

import datetime as dt

import pytest

from exotui.cloud.models import Allocation, Flavor, Server
from exotui.cloud.units import (
    allocation_balances,
    gpu_fraction,
    load_su_rates,
    project_burn_rate,
    server_su_per_hour,
    state_rate,
    su_per_hour,
    tightest,
    what_if_shelved,
)

M3_SMALL = Flavor("2", "m3.small", 2, 6144, 20)
R3_LARGE = Flavor("8", "r3.large", 64, 512000, 60, extra_specs={"trait:CUSTOM_LARGE_MEMORY": "required"})
G3_LARGE = Flavor("12", "g3.large", 16, 61440, 60, extra_specs={"resources:VGPU": "1",
                                                                "trait:CUSTOM_VGPU_A100_20C": "required"})
G3_XL = Flavor("13", "g3.xl", 32, 122880, 60, extra_specs={"pci_passthrough:alias": "a100:1"})


@pytest.mark.parametrize("flavor,status,expected", [
    (M3_SMALL, "ACTIVE", 2), (M3_SMALL, "SUSPENDED", 1.5), (M3_SMALL, "SHUTOFF", 1), (M3_SMALL, "PAUSED", 1.5),
    (M3_SMALL, "SHELVED_OFFLOADED", 0), (M3_SMALL, "SHELVED", 0), (M3_SMALL, "ERROR", 0), (M3_SMALL, "BUILD", 0),
    (M3_SMALL, "VERIFY_RESIZE", 2), (M3_SMALL, "REBOOT", 2),
    (R3_LARGE, "ACTIVE", 128), (G3_LARGE, "ACTIVE", 32), (G3_XL, "ACTIVE", 64), (G3_XL, "SHUTOFF", 32),
])
def test_su_per_hour(flavor, status, expected):
    assert su_per_hour(flavor, status) == pytest.approx(expected)


def test_jetstream2_documented_flavor_rates():
    # docs.jetstream-cloud.org "Instance Flavors": SU/h of each flavor, active
    for name, vcpus, rate in [("m3.tiny", 1, 1), ("m3.xl", 32, 32), ("r3.xl", 128, 256), ("g3.medium", 8, 16)]:
        assert su_per_hour(Flavor(name, name, vcpus)) == rate


def test_newer_gpu_flavors_use_their_own_rate_from_the_data():
    assert su_per_hour(Flavor("x", "g5.xl", 32)) == pytest.approx(32 * 6.4)
    rates = load_su_rates({"family_rates": {"general": 1, "gpu": 3}, "state_rates": {"ACTIVE": 1}})
    assert su_per_hour(Flavor("x", "g5.xl", 32), rates=rates) == 96
    assert state_rate("SHUTOFF", rates) == 1.0, "a status the data leaves out is charged as running"


@pytest.mark.parametrize("flavor,expected", [
    (Flavor("9", "g3.small", 4, extra_specs={"resources:VGPU": "1", "trait:CUSTOM_VGPU_A100_8C": "required"}), 0.2),
    (Flavor("10", "g3.medium", 8, extra_specs={"resources:VGPU": "1",
                                                "trait:CUSTOM_VGPU_A100_10C": "required"}), 0.25),
    (G3_LARGE, 0.5), (G3_XL, 1.0),
    (Flavor("x", "gpu-slice", 8, extra_specs={"resources:CUSTOM_A100X_10C": "1"}), 0.25),
    (Flavor("x", "g3.medium", 8), 0.25), (Flavor("x", "g5.2xl", 64), 2.0),
    (Flavor("x", "big", 8, extra_specs={"pci_passthrough:alias": "h100:4"}), 4.0),
    (M3_SMALL, 0.0), (R3_LARGE, 0.0), (Flavor("x", "g9.mystery", 8), None),
])
def test_gpu_fraction(flavor, expected):
    assert gpu_fraction(flavor) == expected


def _server(sid: str, flavor: Flavor, status: str) -> Server:
    return Server(id=sid, name=sid, status=status, flavor_name=flavor.name, flavor_vcpus=flavor.vcpus,
                  flavor_extra_specs=dict(flavor.extra_specs))


def test_project_burn_rate_splits_by_allocation_family():
    servers = [_server("web", M3_SMALL, "ACTIVE"), _server("nb", Flavor("3", "m3.quad", 4), "SUSPENDED"),
               _server("gpu", G3_LARGE, "ACTIVE"), _server("mem", R3_LARGE, "SHUTOFF"),
               _server("arch", Flavor("5", "m3.large", 16), "SHELVED_OFFLOADED")]
    burn = project_burn_rate(servers, [M3_SMALL, G3_LARGE])
    assert burn.by_server == {"web": 2, "nb": 3, "gpu": 32, "mem": 64, "arch": 0}
    assert burn.by_family == {"general": 5, "gpu": 32, "large_memory": 64}
    assert burn.per_hour == 101 and burn.per_day == 101 * 24
    assert server_su_per_hour(servers[2]) == 32


def test_allocation_balances_with_time_left():
    allocations = [Allocation("jetstream2.indiana.xsede.org", 500_000, 183_412.5, end_date="2027-01-01"),
                   Allocation("jetstream2-gpu.indiana.xsede.org", 100_000, 41_220.0),
                   Allocation("jetstream2-storage.indiana.xsede.org", 10_000, 2_048.0),
                   Allocation("something-else", 10, 20)]
    burn = project_burn_rate([_server("gpu", G3_LARGE, "ACTIVE"), _server("web", M3_SMALL, "ACTIVE")])
    cpu, gpu, storage, other = allocation_balances(allocations, burn)
    assert (cpu.title, cpu.family, cpu.remaining, cpu.burn_per_hour) == ("CPU", "general", 316_587.5, 2)
    assert cpu.hours_left == pytest.approx(316_587.5 / 2) and cpu.end_date == "2027-01-01"
    assert (gpu.title, gpu.remaining, gpu.hours_left) == ("GPU", 58_780, pytest.approx(58_780 / 32))
    assert gpu.fraction_used == pytest.approx(0.4122)
    assert storage.title == "Storage" and storage.hours_left is None
    assert other.title == "something-else" and other.remaining == -10 and other.hours_left is None


# --- runway against the end date, and what shelving would add (issue 18 item 7) ----------------------

def test_runway_in_days_against_the_end_date():
    today = dt.date(2026, 12, 6)
    gpu = Allocation("jetstream2-gpu.indiana.xsede.org", 100_000, 41_220.0, end_date="2027-04-07")
    lm = Allocation("jetstream2-lm.indiana.xsede.org", 200_000, 96_512.0, end_date="2027-05-20T00:00:00Z")
    burn = project_burn_rate([_server("gpu", G3_LARGE, "ACTIVE"), _server("mem", R3_LARGE, "ACTIVE")])
    gpu_balance, lm_balance = allocation_balances([gpu, lm], burn)
    assert gpu_balance.by_server == {"gpu": 32} and lm_balance.by_server == {"mem": 128}
    assert gpu_balance.runway_days == pytest.approx(58_780 / 32 / 24)  # 76.5 days
    assert gpu_balance.days_to_end(today) == 122
    assert gpu_balance.runs_out_before_end(today)
    assert gpu_balance.shortfall_days(today) == pytest.approx(122 - 58_780 / 32 / 24)
    assert lm_balance.runway_days == pytest.approx(103_488 / 128 / 24) and lm_balance.days_to_end(today) == 165
    idle = allocation_balances([Allocation("jetstream2.indiana.xsede.org", 10, 0, end_date="")])[0]
    assert idle.runway_days is None and idle.ends is None and not idle.runs_out_before_end(today)


def test_the_tightest_allocation_is_the_one_that_runs_out_first_before_its_end():
    today = dt.date(2026, 12, 6)
    cpu = Allocation("jetstream2.indiana.xsede.org", 500_000, 183_412.5, end_date="2027-05-20")
    gpu = Allocation("jetstream2-gpu.indiana.xsede.org", 100_000, 41_220.0, end_date="2027-04-07")
    storage = Allocation("jetstream2-storage.indiana.xsede.org", 10_000, 9_000.0, end_date="2027-05-20")
    servers = [_server("gpu", G3_LARGE, "ACTIVE"), _server("web", M3_SMALL, "ACTIVE")]
    balances = allocation_balances([cpu, gpu, storage], project_burn_rate(servers))
    assert tightest(balances, today).title == "GPU"  # 76 days of SUs, 122 to its end
    calm = allocation_balances([cpu, gpu, storage], project_burn_rate(servers[1:]))
    assert tightest(calm, today).title == "CPU"  # lasts, but the only one burned
    assert tightest(allocation_balances([cpu, storage]), today).title == "Storage"  # nothing burns: least left
    assert tightest([], today) is None


def test_what_if_shelving_a_selection():
    servers = [_server("gpu", G3_LARGE, "ACTIVE"), _server("web", M3_SMALL, "ACTIVE"),
               _server("nb", Flavor("3", "m3.quad", 4), "SUSPENDED")]
    allocations = [Allocation("jetstream2.indiana.xsede.org", 500_000, 183_412.5, end_date="2027-05-20"),
                   Allocation("jetstream2-gpu.indiana.xsede.org", 100_000, 41_220.0, end_date="2027-04-07")]
    cpu, gpu = what_if_shelved(allocations, servers, {"web"})
    assert (cpu.now.burn_per_hour, cpu.shelved.burn_per_hour, cpu.saves_per_hour) == (5, 3, 2)
    assert cpu.adds_days == pytest.approx(316_587.5 / 3 / 24 - 316_587.5 / 5 / 24)
    assert gpu.saves_per_hour == 0 and gpu.adds_days == 0
    _cpu, gpu_shelved = what_if_shelved(allocations, servers, {"gpu"})
    assert gpu_shelved.shelved.burn_per_hour == 0 and gpu_shelved.shelved.runway_days is None
    assert gpu_shelved.saves_per_hour == 32


async def test_every_allocation_of_the_demo_with_its_burn_and_runway(clouds_env):
    """The demo's accounting endpoint (the shape Exosphere's decoder reads) through the poller's fetcher:
    an allocation per resource, the GPU one burnt by gpu-training at 32 SU/h."""
    import openstack

    from exotui.cloud.poller import FETCHERS
    from exotui.cloud.session import CloudSession
    from exotui.demo.app import CLOUD_NAME

    session = CloudSession(lambda: openstack.connect(cloud=CLOUD_NAME), label="test")
    try:
        allocations = await FETCHERS["allocations"](session)
        flavors = await FETCHERS["flavors"](session)
        page = await session.get_list("compute", "/servers/detail", "servers", microversion=session.compute_mv)
    finally:
        session.close()
    live = [Server.from_api(s) for s in page.items]
    seeded = [s for s in live if s.name in {"web-frontend", "gpu-training", "analysis-rocky", "notebook",
                                            "archive-node", "broken-build", "bigmem-assembly", "db-primary"}]
    balances = {b.title: b for b in allocation_balances(allocations, project_burn_rate(seeded, flavors))}
    assert set(balances) == {"CPU", "GPU", "Large memory", "Storage"}
    assert all(b.active and b.ends is not None for b in balances.values())
    gpu = balances["GPU"]
    assert (gpu.remaining, gpu.burn_per_hour) == (58_780, 32)
    assert gpu.runway_days == pytest.approx(58_780 / 32 / 24)
    assert balances["Large memory"].burn_per_hour == 128  # bigmem-assembly, r3.large at 2x
    gpu_training = next(s.id for s in seeded if s.name == "gpu-training")
    shelved = {w.now.title: w for w in what_if_shelved(allocations, seeded, {gpu_training}, flavors)}
    assert shelved["GPU"].saves_per_hour == 32 and shelved["CPU"].saves_per_hour == 0

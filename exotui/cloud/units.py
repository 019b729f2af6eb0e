"""Jetstream2 service units: what instances cost per hour, GPU shares, and what an allocation has left.

The rates are data (su_rates.json): SU/hour = vCPUs x flavor-family rate x instance-state rate.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import re
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from dataclasses import replace as _replace
from importlib import resources
from typing import Any, Iterable, Mapping

from .models import Allocation, Flavor, Server
from .rules import GPU, flavor_family, server_flavor


@dataclass(frozen=True)
class SuRates:
    family: Mapping[str, float]  # SU per vCPU-hour by flavor family
    prefixes: Mapping[str, float]  # flavor-name prefixes with a rate of their own
    states: Mapping[str, float]  # share of the rate charged in each status
    default_state: float
    allocation_resources: tuple[tuple[str, str, str], ...]  # (substring of the resource, family, title)
    gpu_names: Mapping[str, float]  # flavor name -> GPU share
    gpu_memory_gb: Mapping[str, float]  # GPU model -> memory of the whole card


def _numbers(table: Mapping[str, Any]) -> dict[str, float]:
    return {k: float(v) for k, v in table.items() if not k.startswith("_")}


def load_su_rates(data: Mapping[str, Any] | None = None) -> SuRates:
    """Rates from `data`, or the shipped su_rates.json."""
    if data is None:
        return _shipped()
    return SuRates(family=_numbers(data.get("family_rates", {})),
                   prefixes=_numbers(data.get("flavor_prefix_rates", {})),
                   states=_numbers(data.get("state_rates", {})),
                   default_state=float(data.get("default_state_rate", 1.0)),
                   allocation_resources=tuple((r["match"], r["family"], r["title"])
                                              for r in data.get("allocation_resources", [])),
                   gpu_names=_numbers(data.get("gpu_fractions", {})),
                   gpu_memory_gb=_numbers(data.get("gpu_memory_gb", {})))


@functools.lru_cache(maxsize=1)
def _shipped() -> SuRates:
    return load_su_rates(json.loads(resources.files(__package__).joinpath("su_rates.json").read_text()))


# --- per instance ----------------------------------------------------------------------------------

def vcpu_rate(flavor: Flavor, rates: SuRates | None = None) -> float:
    """SU per vCPU-hour of a running instance of this flavor."""
    rates = rates or _shipped()
    for prefix, rate in rates.prefixes.items():
        if flavor.name.startswith(prefix):
            return rate
    return rates.family.get(flavor_family(flavor), 1.0)


def state_rate(status: str, rates: SuRates | None = None) -> float:
    rates = rates or _shipped()
    return rates.states.get(status.upper(), rates.default_state)


def su_per_hour(flavor: Flavor, status: str = "ACTIVE", rates: SuRates | None = None) -> float:
    """SU/hour of one instance of `flavor` in `status` (ACTIVE: the flavor's full rate)."""
    return flavor.vcpus * vcpu_rate(flavor, rates) * state_rate(status, rates)


def server_su_per_hour(server: Server, flavors: Iterable[Flavor] = (), rates: SuRates | None = None) -> float:
    return su_per_hour(server_flavor(server, flavors), server.status, rates)


# vGPU profiles name the slice's memory: CUSTOM_VGPU_A100_8C, CUSTOM_A100X_20C
_VGPU = re.compile(r"(A100|H100|L40S?)\D*?(\d+)C\b", re.I)
_WHOLE = re.compile(r"\.(\d*)xl$")


def gpu_fraction(flavor: Flavor, rates: SuRates | None = None) -> float | None:
    """How many GPUs the flavor holds (0.2 = a fifth of one; 2.0 = two whole ones).

    0.0 for a flavor without a GPU; None for a GPU flavor whose share cannot be told.
    """
    rates = rates or _shipped()
    if flavor_family(flavor) != GPU:
        return 0.0
    specs = flavor.extra_specs
    alias = specs.get("pci_passthrough:alias", "")
    if alias:  # "a100:1": whole cards passed through
        counts = [int(n) for _, _, n in (part.partition(":") for part in alias.split(",")) if n.strip().isdigit()]
        return float(sum(counts) or 1)
    if specs.get("resources:PGPU", "").isdigit():
        return float(specs["resources:PGPU"])
    for key in specs:
        found = _VGPU.search(key)
        if found:
            model = found.group(1).upper()
            whole = rates.gpu_memory_gb.get(model)
            if whole:
                return round(int(found.group(2)) / whole, 3)
    if flavor.name in rates.gpu_names:
        return rates.gpu_names[flavor.name]
    whole = _WHOLE.search(flavor.name)
    if whole:  # g4.xl one card, g5.2xl two
        return float(whole.group(1) or 1)
    return None


# --- per project ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class BurnRate:
    per_hour: float
    by_family: Mapping[str, float]  # general / large_memory / gpu: each draws on its own allocation
    by_server: Mapping[str, float]
    family_of: Mapping[str, str] = dataclass_field(default_factory=dict)  # server ID -> its flavor's family

    @property
    def per_day(self) -> float:
        return self.per_hour * 24


def project_burn_rate(servers: Iterable[Server], flavors: Iterable[Flavor] = (),
                      rates: SuRates | None = None) -> BurnRate:
    """What the project's instances cost per hour now, in total, per family and per instance."""
    flavors = list(flavors)
    by_family: dict[str, float] = {}
    by_server: dict[str, float] = {}
    family_of: dict[str, str] = {}
    for server in servers:
        flavor = server_flavor(server, flavors)
        rate = su_per_hour(flavor, server.status, rates)
        by_server[server.id] = rate
        family = flavor_family(flavor)
        family_of[server.id] = family
        by_family[family] = by_family.get(family, 0.0) + rate
    return BurnRate(sum(by_server.values()), by_family, by_server, family_of)


@dataclass(frozen=True)
class AllocationBalance:
    resource: str
    title: str  # CPU, GPU, Large memory, Storage
    family: str
    allocated: float
    used: float
    burn_per_hour: float
    end_date: str = ""
    active: bool = True
    by_server: Mapping[str, float] | None = None  # what each instance charged to it burns, SU/h

    @property
    def remaining(self) -> float:
        return self.allocated - self.used

    @property
    def fraction_used(self) -> float:
        return self.used / self.allocated if self.allocated > 0 else 1.0

    @property
    def hours_left(self) -> float | None:
        """At the current burn rate; None when nothing burns it."""
        if self.burn_per_hour <= 0:
            return None
        return max(self.remaining, 0.0) / self.burn_per_hour

    @property
    def runway_days(self) -> float | None:
        """Days the balance lasts at the current burn; None when nothing burns it."""
        hours = self.hours_left
        return None if hours is None else hours / 24

    @property
    def ends(self) -> dt.date | None:
        """The allocation's end date ("2027-05-20" or an ISO time); None when absent or unreadable."""
        try:
            return dt.date.fromisoformat(self.end_date[:10])
        except ValueError:
            return None

    def days_to_end(self, today: dt.date) -> int | None:
        ends = self.ends
        return None if ends is None else (ends - today).days

    def runs_out_before_end(self, today: dt.date) -> bool:
        """At this burn, the balance is gone before the end date (the SUs do not last the allocation)."""
        runway, to_end = self.runway_days, self.days_to_end(today)
        if runway is None:
            return False
        return to_end is None or runway < to_end

    def shortfall_days(self, today: dt.date) -> float | None:
        """How many days before its end date the balance runs out at this burn (None: it lasts)."""
        runway, to_end = self.runway_days, self.days_to_end(today)
        if runway is None or to_end is None or runway >= to_end:
            return None
        return to_end - runway


def allocation_balances(allocations: Iterable[Allocation], burn: BurnRate | None = None,
                        rates: SuRates | None = None) -> list[AllocationBalance]:
    """Each allocation line with what is left and, given the project's burn rate, for how long.

    The accounting service updates `used` about once a day, so the balance lags the burn.
    """
    rates = rates or _shipped()
    balances = []
    for allocation in allocations:
        family, title = "", allocation.resource
        for match, fam, name in rates.allocation_resources:
            if match in allocation.resource:
                family, title = fam, name
                break
        burning = burn.by_family.get(family, 0.0) if burn is not None else 0.0
        charged = ({sid: rate for sid, rate in burn.by_server.items() if burn.family_of.get(sid) == family}
                   if burn is not None else {})
        balances.append(AllocationBalance(allocation.resource, title, family, allocation.allocated,
                                          allocation.used, burning, allocation.end_date, allocation.active, charged))
    return balances


@dataclass(frozen=True)
class WhatIf:
    """One allocation now and with the selected instances shelved."""

    now: AllocationBalance
    shelved: AllocationBalance

    @property
    def saves_per_hour(self) -> float:
        return self.now.burn_per_hour - self.shelved.burn_per_hour

    @property
    def adds_days(self) -> float | None:
        """Days of runway shelving adds; None when nothing burns the allocation afterwards (it lasts),
        or nothing burned it before (shelving changes nothing)."""
        before, after = self.now.runway_days, self.shelved.runway_days
        if before is None or after is None:
            return None
        return after - before


def what_if_shelved(allocations: Iterable[Allocation], servers: Iterable[Server], selected: Iterable[str],
                    flavors: Iterable[Flavor] = (), rates: SuRates | None = None) -> list[WhatIf]:
    """Each allocation's burn and runway now, and with the `selected` instances (IDs) shelved: a shelved
    instance costs nothing (su_rates.json SHELVED_OFFLOADED)."""
    servers, flavors, allocations = list(servers), list(flavors), list(allocations)
    chosen = set(selected)
    after = [_replace(s, status="SHELVED_OFFLOADED", task_state=None) if s.id in chosen else s for s in servers]
    now = allocation_balances(allocations, project_burn_rate(servers, flavors, rates), rates)
    then = allocation_balances(allocations, project_burn_rate(after, flavors, rates), rates)
    return [WhatIf(a, b) for a, b in zip(now, then)]


def tightest(balances: Iterable[AllocationBalance], today: dt.date) -> AllocationBalance | None:
    """The allocation to watch: the one that runs out soonest before its end date at the current burn, else the
    one burned that lasts the shortest, else the one with the least share left (None: no active allocation)."""
    live = [b for b in balances if b.active]

    def key(balance: AllocationBalance) -> tuple:
        runway = balance.runway_days
        short = balance.shortfall_days(today)
        return (not balance.runs_out_before_end(today), -(short or 0.0),
                runway if runway is not None else float("inf"), -balance.fraction_used)

    return min(live, key=key) if live else None

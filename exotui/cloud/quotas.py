"""Quotas in the user's words: every compute, volume and network quota a cloud reports, named and in human units
(GiB, not MB), how full each is, the tightest few, and which quota a launch would pass before it is sent."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Mapping

from .models import Flavor, Quota, printable

COUNT, MIB, GIB, BYTES = "count", "MiB", "GiB", "bytes"  # the unit a quota's numbers come in


@dataclass(frozen=True, slots=True)
class QuotaName:
    title: str  # on the project detail: "RAM", "Volume storage"
    short: str  # in a few cells of the Projects view: "RAM", "vol GB"
    unit: str = COUNT
    per_item: bool = False  # a cap on each item (metadata items per instance), not a total that fills up


# The order within a service is the order shown. Nova's floating_ips, fixed_ips, security_groups and
# security_group_rules are nova-network's, deprecated since 2.36 and always -1 beside Neutron's own: not shown.
NAMES: dict[tuple[str, str], QuotaName] = {
    ("compute", "instances"): QuotaName("Instances", "VMs"),
    ("compute", "cores"): QuotaName("vCPUs", "cores"),
    ("compute", "ram"): QuotaName("RAM", "RAM", MIB),
    ("compute", "key_pairs"): QuotaName("Key pairs", "keys"),
    ("compute", "server_groups"): QuotaName("Server groups", "groups"),
    ("compute", "server_group_members"): QuotaName("Members per server group", "members", per_item=True),
    ("compute", "metadata_items"): QuotaName("Metadata items per instance", "meta", per_item=True),
    ("compute", "injected_files"): QuotaName("Injected files per instance", "files", per_item=True),
    ("compute", "injected_file_content_bytes"): QuotaName("Injected file size", "file size", BYTES, per_item=True),
    ("compute", "injected_file_path_bytes"): QuotaName("Injected file path", "path", BYTES, per_item=True),
    ("volume", "volumes"): QuotaName("Volumes", "vols"),
    ("volume", "gigabytes"): QuotaName("Volume storage", "vol GB", GIB),
    ("volume", "snapshots"): QuotaName("Volume snapshots", "snaps"),
    ("volume", "backups"): QuotaName("Volume backups", "backups"),
    ("volume", "backup_gigabytes"): QuotaName("Backup storage", "bkp GB", GIB),
    ("volume", "groups"): QuotaName("Volume groups", "vgroups"),
    ("volume", "per_volume_gigabytes"): QuotaName("Size per volume", "per vol", GIB, per_item=True),
    ("network", "network"): QuotaName("Networks", "nets"),
    ("network", "subnet"): QuotaName("Subnets", "subnets"),
    ("network", "port"): QuotaName("Ports", "ports"),
    ("network", "router"): QuotaName("Routers", "routers"),
    ("network", "floatingip"): QuotaName("Floating IPs", "FIPs"),
    ("network", "security_group"): QuotaName("Security groups", "SGs"),
    ("network", "security_group_rule"): QuotaName("Security group rules", "rules"),
    ("network", "subnetpool"): QuotaName("Subnet pools", "pools"),
    ("network", "rbac_policy"): QuotaName("RBAC policies", "rbac"),
    ("network", "router_route"): QuotaName("Routes per router", "routes", per_item=True),
}
HIDDEN = {("compute", r) for r in ("floating_ips", "fixed_ips", "security_groups", "security_group_rules")}
SERVICES = ("compute", "volume", "network")
SERVICE_TITLES = {"compute": "Compute", "volume": "Volume", "network": "Network"}
_PER_TYPE = {"volumes": ("Volumes", COUNT), "gigabytes": ("Storage", GIB), "snapshots": ("Snapshots", COUNT)}


def name_of(quota: Quota) -> QuotaName:
    """Its name and unit; Cinder's per-type lines ("gigabytes___DEFAULT__") and quotas unknown here by their key,
    made printable (a volume type's name is the cloud's text)."""
    known = NAMES.get((quota.service, quota.resource))
    if known is not None:
        return known
    base, sep, volume_type = quota.resource.partition("_")  # Cinder's f"{resource}_{type name}"
    if quota.service == "volume" and sep and volume_type and base in _PER_TYPE:
        title, unit = _PER_TYPE[base]
        volume_type = printable(volume_type)
        return QuotaName(f"{title} of type {volume_type}", f"{base[:4]} {volume_type}"[:10], unit)
    words = printable(quota.resource.replace("_", " "))
    return QuotaName(words[:1].upper() + words[1:], words[:10])


def amount(value: int, unit: str) -> str:
    """A quota's number in human units: 51200 MiB -> "50 GiB", 10240 bytes -> "10 KiB"."""
    if unit == MIB:
        return f"{round(value / 1024, 1):,g} GiB"
    if unit == GIB:
        return f"{value:,} GiB"
    if unit == BYTES:
        return f"{value / 1024:g} KiB" if value >= 1024 and not value % 1024 else f"{value:,} bytes"
    return f"{value:,}"


@dataclass(frozen=True, slots=True)
class QuotaLine:
    """One quota as the project detail shows it."""

    quota: Quota
    name: QuotaName

    @property
    def share(self) -> float | None:
        """How full, 0..1 (more when over); None when unlimited or a per-item cap."""
        limit = self.quota.limit
        if limit < 0 or self.name.per_item:
            return None
        return 1.0 if limit == 0 and self.quota.in_use == 0 else self.quota.in_use / limit if limit else 9.99

    @property
    def used_text(self) -> str:
        return amount(self.quota.in_use, self.name.unit)

    @property
    def limit_text(self) -> str:
        return "no limit" if self.quota.limit < 0 else amount(self.quota.limit, self.name.unit)

    @property
    def text(self) -> str:
        """"12 GiB of 500 GiB", "max 128" for a per-item cap, "3 (no limit)"."""
        if self.name.per_item:
            return "no limit" if self.quota.limit < 0 else f"at most {self.limit_text}"
        if self.quota.limit < 0:
            return f"{self.used_text} (no limit)"
        return f"{self.used_text} of {self.limit_text}"


def lines(quotas: Iterable[Quota] | Mapping[str, Quota]) -> list[QuotaLine]:
    """Every quota the cloud reports, service by service (compute, volume, network), known ones in NAMES' order."""
    items = quotas.values() if isinstance(quotas, Mapping) else quotas
    order = {key: i for i, key in enumerate(NAMES)}
    shown = [q for q in items if (q.service, q.resource) not in HIDDEN]
    shown.sort(key=lambda q: (SERVICES.index(q.service) if q.service in SERVICES else 9,
                              order.get((q.service, q.resource), len(order)), q.resource))
    return [QuotaLine(q, name_of(q)) for q in shown]


def tightest(quotas: Iterable[Quota] | Mapping[str, Quota], most: int = 3) -> list[QuotaLine]:
    """The `most` fullest limited totals, fullest first (ties in the order shown)."""
    limited = [line for line in lines(quotas) if line.share is not None]
    return sorted(limited, key=lambda line: -(line.share or 0.0))[:most]


def _quota(quotas: Mapping[str, Quota], service: str, resource: str) -> Quota | None:
    return quotas.get(f"{service}:{resource}")


def launch_shortfall(quotas: Mapping[str, Quota], flavor: Flavor | None, most: int, least: int | None = None, *,
                     new_volume_gb: int = 0, floating_ips: bool = False) -> str | None:
    """Which quota a launch would pass, in one line, or None if it fits (or the quota is not known).

    Nova builds `most` (max_count) instances if they fit in instances, cores and RAM, else as many as fit if that
    is at least `least` (min_count); each of those takes a new volume of `new_volume_gb` (boot from a new volume)
    and a floating IP when asked, which Nova does not check first: they are checked for the number built."""
    least = most if least is None else least
    wanted = {"instances": 1, "cores": flavor.vcpus if flavor else 0, "ram": flavor.ram_mb if flavor else 0}
    fits = most
    for resource, each in wanted.items():
        quota = _quota(quotas, "compute", resource)
        if quota is not None and quota.headroom is not None and each:
            fits = min(fits, max(quota.headroom, 0) // each)
    over: list[str] = []
    if fits < least:
        for resource, each in wanted.items():
            quota = _quota(quotas, "compute", resource)
            if quota is not None and quota.headroom is not None and each * least > quota.headroom:
                over.append(_over(quota, each * least))
        return "over quota: " + "; ".join(over)
    extra = [("volume", "volumes", 1 if new_volume_gb else 0), ("volume", "gigabytes", new_volume_gb),
             ("network", "floatingip", 1 if floating_ips else 0)]
    for service, resource, each in extra:
        quota = _quota(quotas, service, resource)
        if quota is not None and quota.headroom is not None and each and each * fits > quota.headroom:
            over.append(_over(quota, each * fits))
    return "over quota: " + "; ".join(over) if over else None


def _over(quota: Quota, needed: int) -> str:
    """"RAM needs 64 GiB, 12 GiB left of 500 GiB"."""
    name = name_of(quota)
    left = max(quota.headroom or 0, 0)
    return (f"{name.title} needs {amount(needed, name.unit)}, {amount(left, name.unit)} left "
            f"of {amount(quota.limit, name.unit)}")

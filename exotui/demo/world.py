"""The demo cloud's in-memory state: every service's tables, the knobs, and timed transitions."""

from __future__ import annotations

import asyncio
import collections
import datetime as _dt
import random
from dataclasses import dataclass, field
from typing import Any, Callable

from .common import ApiError, utcnow


@dataclass
class Knobs:
    """What tests, benchmarks and demos may turn."""

    servers: int = 0  # extra generated servers on top of the seed (up to 20,000)
    latency_ms: float = 0.0  # added to every answer
    answer_latency_ms: float = 0.0  # added after a request is carried out: a slow way back, answers lost to timeouts
    error_rate: float = 0.0  # fraction of requests answered 503 (version documents and auth excepted)
    token_lifetime: float = 3600.0  # seconds a Keystone token lives
    delay_scale: float = 1.0  # multiplies transition delays; 0 makes transitions instant
    seed: int = 0
    ssh: bool = True  # serve SSH for ACTIVE instances with a floating IP
    frozen_at: str | None = None  # an ISO time: the cloud's clock stands there (screenshots; not for polling)
    object_store_cap: int = 1 << 30  # bytes the object store holds in memory before answering 413


Listener = Callable[[str, str], None]


@dataclass
class World:
    """All of the demo cloud's state. Mutated only on the event loop that serves it."""

    knobs: Knobs
    base_url: str = "http://127.0.0.1:0"
    rng: random.Random = field(default_factory=random.Random)
    ids: random.Random = field(default_factory=random.Random)  # Nova's, Cinder's, Glance's IDs, seeded apart
    loop: asyncio.AbstractEventLoop | None = None
    asked: collections.deque = field(default_factory=lambda: collections.deque(maxlen=10000))  # (method, path?query)
    # the same, once carried out (before the answer_latency knob's pause) and once answered: tests wait on these
    handled: collections.deque = field(default_factory=lambda: collections.deque(maxlen=10000))
    answered: collections.deque = field(default_factory=lambda: collections.deque(maxlen=10000))

    # keystone
    domains: dict[str, dict] = field(default_factory=dict)
    users: dict[str, dict] = field(default_factory=dict)
    projects: dict[str, dict] = field(default_factory=dict)
    roles: dict[str, dict] = field(default_factory=dict)
    assignments: list[tuple[str, str, str]] = field(default_factory=list)  # (user_id, project_id, role_id)
    tokens: dict[str, dict] = field(default_factory=dict)
    app_creds: dict[str, dict] = field(default_factory=dict)
    ec2_creds: dict[str, dict] = field(default_factory=dict)  # sha256(access) -> pair (keystone_creds.py)
    # the rest of Keystone's tables (groups, services, endpoints, regions, limits, grants, ...): keystone_admin
    identity: dict[str, Any] = field(default_factory=dict)
    accounting: dict[str, list[dict]] = field(default_factory=dict)  # project_id -> allocations
    # nova
    flavors: dict[str, dict] = field(default_factory=dict)
    keypairs: dict[tuple[str, str], dict] = field(default_factory=dict)  # (user_id, name)
    servers: dict[str, dict] = field(default_factory=dict)
    instance_actions: dict[str, list[dict]] = field(default_factory=dict)  # server_id -> actions
    server_groups: dict[str, dict] = field(default_factory=dict)
    aggregates: dict[int, dict] = field(default_factory=dict)  # id -> host aggregate (demo/nova_hosts_admin.py)
    console_tokens: dict[str, dict] = field(default_factory=dict)  # remote console token -> grant (nova_consoles)
    migrations: list[dict] = field(default_factory=list)  # resize records, oldest first (nova_server_admin.py)
    # glance
    images: dict[str, dict] = field(default_factory=dict)
    metadef_namespaces: dict[str, dict] = field(default_factory=dict)  # name -> namespace (demo/glance_metadefs.py)
    metadef_resource_types: dict[str, dict] = field(default_factory=dict)  # name -> resource type
    # neutron
    networks: dict[str, dict] = field(default_factory=dict)
    subnets: dict[str, dict] = field(default_factory=dict)
    routers: dict[str, dict] = field(default_factory=dict)
    ports: dict[str, dict] = field(default_factory=dict)
    floatingips: dict[str, dict] = field(default_factory=dict)
    security_groups: dict[str, dict] = field(default_factory=dict)
    security_group_rules: dict[str, dict] = field(default_factory=dict)
    subnetpools: dict[str, dict] = field(default_factory=dict)  # demo/neutron_pools.py
    address_scopes: dict[str, dict] = field(default_factory=dict)
    address_groups: dict[str, dict] = field(default_factory=dict)  # demo/neutron_address_groups.py
    rbac_policies: dict[str, dict] = field(default_factory=dict)  # demo/neutron_rbac.py
    network_flavors: dict[str, dict] = field(default_factory=dict)  # demo/neutron_flavors.py
    service_profiles: dict[str, dict] = field(default_factory=dict)
    default_security_group_rules: dict[str, dict] = field(default_factory=dict)  # demo/neutron_default_rules.py
    default_rules_seeded: bool = False  # the legacy four added once (deleting all four leaves none)
    # neutron indexes, derived from the tables above so hot look-ups need not scan every port
    ports_by_device: dict[str, list[str]] = field(default_factory=dict)  # device_id -> port ids
    floatingip_by_port: dict[str, str] = field(default_factory=dict)  # port_id -> floating IP id
    subnet_used_ips: dict[str, set[int]] = field(default_factory=dict)  # subnet_id -> allocated addresses
    mac_addresses: set[str] = field(default_factory=set)
    neutron_attr_seq: int = 0  # Neutron's standard_attr_id counter
    # cinder
    volumes: dict[str, dict] = field(default_factory=dict)
    snapshots: dict[str, dict] = field(default_factory=dict)
    volume_types: dict[str, dict] = field(default_factory=dict)  # id -> type (demo/cinder_types_admin.py)
    volume_transfers: dict[str, dict] = field(default_factory=dict)  # id -> transfer (demo/cinder_transfers.py)
    qos_specs: dict[str, dict] = field(default_factory=dict)  # id -> QoS specs (demo/cinder_qos.py)
    group_types: dict[str, dict] = field(default_factory=dict)  # id -> group type (demo/cinder_groups.py)
    volume_groups: dict[str, dict] = field(default_factory=dict)  # id -> group (demo/cinder_groups.py)
    # heat: stack id -> stack (demo/heat_engine.py)
    stacks: dict[str, dict] = field(default_factory=dict)
    # manila: shares, access rules, share types, export locations (demo/manila.py)
    shares: dict[str, dict] = field(default_factory=dict)
    # swift (demo/swift.py: ObjectStore, made on first use)
    object_store: Any = None
    # magnum (demo/magnum.py: Magnum, its templates, clusters and CAs; made on first use)
    magnum: Any = None
    # quotas: project_id -> service -> resource -> limit
    quotas: dict[str, dict[str, dict[str, int]]] = field(default_factory=dict)

    # the SSH side: where each instance listens, filled by demo.sshd
    ssh_port: int = 0  # every instance's SSH listens on <its floating IP>:<ssh_port>
    ssh_endpoints: dict[str, tuple[str, int]] = field(default_factory=dict)  # server id -> (address, port)
    listeners: list[Listener] = field(default_factory=list)
    # called with the server before its console log is read (demo.sshd: a reporter installed from a shell still open)
    console_readers: list[Callable[[dict], None]] = field(default_factory=list)
    _pending: set[asyncio.TimerHandle] = field(default_factory=set)
    clock_offset: float = 0.0  # seconds the cloud's clock runs ahead of the machine's (advance())

    def __post_init__(self) -> None:
        self.rng.seed(self.knobs.seed)
        self.ids.seed(f"ids-{self.knobs.seed}")  # its own stream: drawing IDs leaves the seed's choices as they were

    # --- time and transitions -------------------------------------------------------------

    def now(self):
        start = _dt.datetime.fromisoformat(self.knobs.frozen_at) if self.knobs.frozen_at else utcnow()
        return start + _dt.timedelta(seconds=self.clock_offset)

    def advance(self, seconds: float) -> None:
        """Move the cloud's clock on (tokens expire, `changes-since` windows pass) without waiting for it:
        tests of expiry and polling move time instead of sleeping."""
        self.clock_offset += seconds

    def later(self, seconds: float, fn: Callable[[], None]) -> None:
        """Run `fn` after `seconds` scaled by the delay knob; at scale 0 (or no loop) at once."""
        delay = seconds * self.knobs.delay_scale
        if delay <= 0 or self.loop is None:
            fn()
            return
        handle: asyncio.TimerHandle

        def run() -> None:
            self._pending.discard(handle)
            fn()

        handle = self.loop.call_later(delay, run)
        self._pending.add(handle)

    def cancel_pending(self) -> None:
        for handle in list(self._pending):
            handle.cancel()
        self._pending.clear()

    # --- change notification (the SSH side follows server and floating-IP changes) ----------

    def changed(self, kind: str, ident: str) -> None:
        for listener in list(self.listeners):
            listener(kind, ident)

    # --- look-ups shared by every service ---------------------------------------------------

    def project_servers(self, project_id: str) -> list[dict]:
        return [s for s in self.servers.values() if s["tenant_id"] == project_id and not s.get("_deleted")]

    def quota(self, project_id: str, service: str, resource: str, default: int = -1) -> int:
        return self.quotas.get(project_id, {}).get(service, {}).get(resource, default)


def find_owned(table: dict[str, dict], ident: str, project_id: str, status: int, message: str,
               owner_key: str = "project_id") -> dict[str, Any]:
    """`table[ident]` if it belongs to the project (or is shared/public), else ApiError(status)."""
    item = table.get(ident)
    if item is None or item.get("_deleted"):
        raise ApiError(status, message)
    owner = item.get(owner_key)
    if owner not in (None, "", project_id) and not (item.get("shared") or item.get("visibility") == "public"
                                                   or item.get("router:external")):
        raise ApiError(status, message)
    return item

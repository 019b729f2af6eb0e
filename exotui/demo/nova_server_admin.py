"""Nova's operator reads of servers in the demo cloud: os-migrations (the resize records), a server's
in-progress live migrations, its diagnostics and its NUMA topology, under Nova 34's default policy
(nova/policies/migrations.py, servers_migrations.py, server_diagnostics.py, server_topology.py): a member gets
Nova's 403 line where the policy is an admin's (or a project manager's), an admin a real-shaped answer.

Diagnostics are the libvirt driver's (nova/virt/libvirt/driver.py get_instance_diagnostics from 2.48,
get_diagnostics before), read from the server's flavor, ports and volumes.
"""

from __future__ import annotations

from aiohttp import web

from . import cinder, neutron, nova
from .common import ApiError, iso_micro, json_response, new_id, parse_time
from .nova_api import _bad_input, _is_admin, _mv, _server
from .service import ctx_of, world_of
from .world import World

MAX_LIMIT = 1000  # Nova's [api]max_limit
POWER = {0: "pending", 1: "running", 3: "paused", 4: "shutdown", 6: "crashed", 7: "suspended"}  # power_state.py


def _policy(name: str) -> ApiError:
    return ApiError(403, f"Policy doesn't allow {name} to be performed.")


def _is_manager(request: web.Request) -> bool:
    """rule:project_manager_or_admin: the manager role on the token's project, or an admin."""
    return _is_admin(request) or any(r.get("name") == "manager" for r in ctx_of(request).get("roles", ()))


# --- migrations -------------------------------------------------------------------------------

def record_resize(world: World, server: dict, old_flavor_id: str, new_flavor_id: str) -> dict:
    """The migration row a resize makes (one compute host: source and destination are the same)."""
    now = world.now()
    migration = {"id": len(world.migrations) + 1, "uuid": new_id(world), "instance_uuid": server["id"],
                 "migration_type": "resize", "status": "finished", "source_compute": nova.COMPUTE_HOST,
                 "source_node": nova.COMPUTE_HOST, "dest_compute": nova.COMPUTE_HOST,
                 "dest_host": "127.0.0.1", "dest_node": nova.COMPUTE_HOST,
                 "old_instance_type_id": _flavor_number(world, old_flavor_id),
                 "new_instance_type_id": _flavor_number(world, new_flavor_id),
                 "user_id": server["user_id"], "project_id": server["tenant_id"],
                 "_created": now, "_updated": now}
    world.migrations.append(migration)
    return migration


def settle_resize(world: World, server: dict, status: str) -> None:
    """A confirmed or reverted resize: its migration row says so."""
    for migration in reversed(world.migrations):
        if migration["instance_uuid"] == server["id"] and migration["status"] == "finished":
            migration["status"], migration["_updated"] = status, world.now()
            return


def _flavor_number(world: World, flavor_id: str) -> int:
    """Nova's migrations name flavors by their database row number, not their flavor ID."""
    ids = list(world.flavors)
    return ids.index(flavor_id) + 1 if flavor_id in ids else len(ids) + 1


def _migration_view(migration: dict, mv: tuple[int, int], *, host: bool) -> dict:
    view = {k: v for k, v in migration.items() if not k.startswith("_")}
    view["created_at"] = iso_micro(migration["_created"])
    view["updated_at"] = iso_micro(migration["_updated"])
    if mv < (2, 59):
        del view["uuid"]
    if mv < (2, 80):
        del view["user_id"], view["project_id"]
    if mv < (2, 23):
        del view["migration_type"]
    if not host:
        view.update(dest_compute=None, dest_host=None, dest_node=None, source_compute=None, source_node=None)
    return view


def _query_keys(mv: tuple[int, int]) -> set[str] | None:
    """os-migrations' query schema: anything goes before 2.59, then only these."""
    if mv < (2, 59):
        return None
    keys = {"hidden", "host", "instance_uuid", "source_compute", "status", "migration_type", "limit", "marker",
            "changes-since"}
    if mv >= (2, 66):
        keys.add("changes-before")
    if mv >= (2, 80):
        keys |= {"user_id", "project_id"}
    return keys


async def list_migrations(request: web.Request) -> web.Response:
    world, mv, ctx, q = world_of(request), _mv(request), ctx_of(request), request.query
    if not _is_manager(request):
        raise _policy("os_compute_api:os-migrations:index")
    if q.get("project_id") != ctx["project_id"] and not _is_admin(request):
        raise _policy("os_compute_api:os-migrations:index:all_projects")
    allowed = _query_keys(mv)
    extra = sorted(set(q) - allowed) if allowed is not None else []
    if extra:
        raise ApiError(400, f"Invalid input for query parameters {extra[0]}. Value: {q[extra[0]]}. "
                            f"Additional properties are not allowed ({extra[0]!r} was unexpected)")
    rows = list(world.migrations)
    for key in ("instance_uuid", "source_compute", "status", "migration_type", "user_id", "project_id"):
        if key in q and (allowed is None or key in allowed):
            rows = [m for m in rows if str(m[key]) == q[key]]
    if "host" in q:
        rows = [m for m in rows if q["host"] in (m["source_compute"], m["dest_compute"])]
    for key, keep in (("changes-since", lambda m, t: m["_updated"] >= t),
                      ("changes-before", lambda m, t: m["_updated"] <= t)):
        if key in q and allowed is not None and key in allowed:
            try:
                moment = parse_time(q[key])
            except ValueError:
                raise _bad_input(key, q[key], f"'{q[key]}' is not a 'date-time'") from None
            rows = [m for m in rows if keep(m, moment)]
    body: dict = {}
    if mv >= (2, 59):  # newest first, in pages
        rows.sort(key=lambda m: (m["_created"], m["id"]), reverse=True)
        if "marker" in q:
            index = next((i for i, m in enumerate(rows) if m["uuid"] == q["marker"]), None)
            if index is None:
                raise ApiError(400, f"Marker {q['marker']} could not be found.")
            rows = rows[index + 1:]
        try:
            limit = min(int(q.get("limit", MAX_LIMIT)), MAX_LIMIT)
        except ValueError:
            raise _bad_input("limit", q["limit"], f"'{q['limit']}' is not a 'integer'") from None
        if limit < 0:
            raise _bad_input("limit", q["limit"], f"{limit} is less than the minimum of 0")
        rows = rows[:limit]
        if rows and len(rows) == limit:
            params = [(k, v) for k, v in q.items() if k != "marker"] + [("marker", rows[-1]["uuid"])]
            next_url = world.base_url + request.url.with_query(params).path_qs
            body["migrations_links"] = [{"rel": "next", "href": next_url}]
    body = {"migrations": [_migration_view(m, mv, host=_is_admin(request)) for m in rows], **body}
    return json_response(body)


async def server_migrations(request: web.Request) -> web.Response:
    """In-progress live migrations of one server: the demo has one compute host, so never any."""
    server = _server(request, admin_reads=True)
    if _mv(request) < (2, 23):
        raise ApiError(404, "The resource could not be found.")
    if not (_is_admin(request) or (_is_manager(request) and server["tenant_id"] == ctx_of(request)["project_id"])):
        raise _policy("os_compute_api:servers:migrations:index")
    return json_response({"migrations": []})


# --- diagnostics ------------------------------------------------------------------------------

async def diagnostics(request: web.Request) -> web.Response:
    world, mv = world_of(request), _mv(request)
    server = _server(request, admin_reads=True)
    if not _is_admin(request):
        raise _policy("os_compute_api:os-server-diagnostics")
    if not server.get("_host"):
        raise ApiError(409, f"Instance {server['id']} is not ready")
    flavor = nova.instance_flavor(world, server)
    ports = neutron.device_ports(world, server["id"])
    attached = cinder.attachments_of(world, server["id"])
    disks = ["vda"] + [(a.get("device") or "/dev/sdb").rsplit("/", 1)[-1] for a in attached]
    ram_kib = int(flavor.get("ram", 0)) * 1024
    vcpus = int(flavor.get("vcpus", 1))
    if mv < (2, 48):  # the driver's own dict, as get_diagnostics returns it
        legacy: dict = {f"cpu{i}_time": 17_300_000_000 for i in range(vcpus)}
        legacy["memory"] = ram_kib
        for disk in disks:
            legacy.update({f"{disk}_errors": -1, f"{disk}_read": 262144, f"{disk}_read_req": 112,
                           f"{disk}_write": 5778432, f"{disk}_write_req": 488})
        for index, _port in enumerate(ports):
            tap = f"tap{index}"
            legacy.update({f"{tap}_rx": 2070139, f"{tap}_rx_drop": 0, f"{tap}_rx_errors": 0, f"{tap}_rx_packets": 26701,
                           f"{tap}_tx": 140208, f"{tap}_tx_drop": 0, f"{tap}_tx_errors": 0, f"{tap}_tx_packets": 662})
        return json_response(legacy)
    launched = server.get("_launched")
    uptime = int((world.now() - launched).total_seconds()) if launched else 0
    return json_response({
        "state": POWER.get(server["OS-EXT-STS:power_state"], "nostate"), "driver": "libvirt", "hypervisor": "kvm",
        "hypervisor_os": "linux", "uptime": uptime, "config_drive": False,
        "num_cpus": vcpus, "num_nics": len(ports), "num_disks": len(disks),
        "cpu_details": [{"id": i, "time": 17_300_000_000, "utilisation": None} for i in range(vcpus)],
        "nic_details": [{"mac_address": p["mac_address"], "rx_octets": 2070139, "rx_errors": 0, "rx_drop": 0,
                         "rx_packets": 26701, "rx_rate": None, "tx_octets": 140208, "tx_errors": 0, "tx_drop": 0,
                         "tx_packets": 662, "tx_rate": None} for p in ports],
        "disk_details": [{"read_bytes": 262144, "read_requests": 112, "write_bytes": 5778432, "write_requests": 488,
                          "errors_count": -1} for _disk in disks],
        "memory_details": {"maximum": ram_kib // 1024, "used": ram_kib // 1024},
    })


async def topology(request: web.Request) -> web.Response:
    """server_topology.py (2.78): the demo's flavors ask for no NUMA layout, so Nova has none to show."""
    _server(request, admin_reads=True)
    if _mv(request) < (2, 78):
        raise ApiError(404, "The resource could not be found.")
    return json_response({"nodes": [], "pagesize_kb": None})


def add_routes(router: web.UrlDispatcher, prefix: str) -> None:
    router.add_get(f"{prefix}/os-migrations", list_migrations)
    router.add_get(f"{prefix}/servers/{{server_id}}/migrations", server_migrations)
    router.add_get(f"{prefix}/servers/{{server_id}}/diagnostics", diagnostics)
    router.add_get(f"{prefix}/servers/{{server_id}}/topology", topology)

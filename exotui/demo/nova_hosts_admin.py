"""Nova's operator APIs about hosts, as an admin and a member meet them: host aggregates, os-hosts, hypervisors.

Held against Nova's code (nova/api/openstack/compute/aggregates.py, hosts.py, hypervisors.py, their schemas,
nova/policies/aggregates.py, hosts.py, hypervisors.py, nova/exception.py). Every route is admin only under
Nova's default policy: a member gets 403 with the policy line, after the body's schema (the
`validation.schema` decorator runs before the method's `context.can`).
The demo is one all-in-one host as devstack's is: `nova.COMPUTE_HOST` runs nova-compute (zone `nova`) and
nova-conductor and nova-scheduler (zone `internal`); it is the one hypervisor. Aggregates live in
`world.aggregates` (integer id -> aggregate); an aggregate's availability zone is its metadata's.
"""

from __future__ import annotations

import json
import re
import uuid

from aiohttp import web

from . import nova
from .common import ApiError, iso_micro, json_response, no_content, policy_refused, read_json, schema_error
from .service import is_admin, world_of
from .world import World

HYPERVISOR_ID = 1
HYPERVISOR_UUID = "8d0e1b8e-9f65-4f0c-bb2d-6a8f4cbb2d01"  # the compute node's
SERVICE_ID, SERVICE_UUID = 3, "1f8d7a0e-2c55-4d2b-9b4e-2f8c6b0f6a13"  # nova-compute's
HOST_IP = "127.0.0.1"
CAPACITY = {"vcpus": 64, "memory_mb": 257_000, "local_gb": 2000}  # the demo's one compute node
UPTIME = " 18:00:00 up 10 days,  2:04,  0 users,  load average: 0.08, 0.12, 0.10"  # the host's `uptime`
RESERVED_MB = 512  # [DEFAULT]reserved_host_memory_mb: counted as used, as Nova's resource tracker does
# (binary's topic, zone) of the services os-hosts lists (the API services are left out)
SERVICES = (("conductor", "internal"), ("scheduler", "internal"), ("compute", nova.AZ))
METADATA_KEY = "^[a-zA-Z0-9-_:. ]{1,255}$"  # schemas/aggregates.py
NAME_LENGTH = 255


def _require_admin(request: web.Request, policy: str) -> None:
    if not is_admin(request):
        raise policy_refused(f"os_compute_api:{policy}")


_invalid = schema_error


def _mv(request: web.Request) -> tuple[int, int]:
    return request["mv"]


# --- aggregates --------------------------------------------------------------------------------

def _stamp(world: World) -> str:
    return iso_micro(world.now().replace(microsecond=0))


def _view(request: web.Request, aggregate: dict, *, created: bool = False) -> dict:
    """`_marshall_aggregate`: every field of the object, the uuid from 2.41; create leaves out hosts and
    metadata."""
    body = {"availability_zone": aggregate["metadata"].get("availability_zone"),
            "created_at": aggregate["created_at"], "deleted": False, "deleted_at": None,
            "hosts": list(aggregate["hosts"]), "id": aggregate["id"], "metadata": dict(aggregate["metadata"]),
            "name": aggregate["name"], "updated_at": aggregate["updated_at"]}
    if _mv(request) >= (2, 41):
        body["uuid"] = aggregate["uuid"]
    if created:
        del body["hosts"], body["metadata"]
    return {"aggregate": body}


def _name(field: str, value, *, nullable: bool = False) -> str | None:
    """parameter_types.name (availability_zone: the same, nullable), then common.normalize_name."""
    if value is None and nullable:
        return None
    if not isinstance(value, str):
        kinds = "'string', 'null'" if nullable else "'string'"
        raise _invalid(field, value, f"{value!r} is not of type {kinds}")
    if not value or len(value) > NAME_LENGTH:
        raise _invalid(field, value, f"{value!r} is too {'short' if not value else 'long'}")
    if value != value.strip() or not value.isprintable():
        raise ApiError(400, f"An invalid '{field}' value was provided. The name must be: printable characters. "
                            "Can not start or end with whitespace.")
    return value


def _aggregate_spec(body, *, creating: bool) -> dict:
    if not isinstance(body, dict) or "aggregate" not in body:
        raise _invalid("body" if not isinstance(body, dict) else "aggregate", body,
                       "'aggregate' is a required property")
    spec = body["aggregate"]
    if not isinstance(spec, dict):
        raise _invalid("aggregate", spec, f"{spec!r} is not of type 'object'")
    extra = sorted(set(spec) - {"name", "availability_zone"})
    if extra:
        raise _invalid("aggregate", spec, f"Additional properties are not allowed ({', '.join(map(repr, extra))} "
                       f"{'was' if len(extra) == 1 else 'were'} unexpected)")
    if creating and "name" not in spec:
        raise _invalid("aggregate", spec, "'name' is a required property")
    if not creating and not spec:
        raise _invalid("aggregate", spec, "{} does not have enough properties")
    out = {}
    if "name" in spec:
        out["name"] = _name("name", spec["name"])
    if "availability_zone" in spec:
        out["availability_zone"] = _name("availability_zone", spec["availability_zone"], nullable=True)
    return out


def _find(request: web.Request) -> dict:
    ident = request.match_info["aggregate_id"]
    if not re.fullmatch(r"-?[0-9]+", ident.strip()):  # utils.validate_integer
        raise ApiError(400, "Invalid input received: id must be an integer")
    aggregate = world_of(request).aggregates.get(int(ident))
    if aggregate is None:
        raise ApiError(404, f"Aggregate {int(ident)} could not be found.")
    return aggregate


def _name_taken(world: World, name: str, but: dict | None = None) -> None:
    if any(a["name"] == name and a is not but for a in world.aggregates.values()):
        raise ApiError(409, f"Aggregate {name} already exists.")


async def list_aggregates(request: web.Request) -> web.Response:
    _require_admin(request, "os-aggregates:index")
    aggregates = world_of(request).aggregates.values()
    return json_response({"aggregates": [_view(request, a)["aggregate"] for a in aggregates]})


async def create_aggregate(request: web.Request) -> web.Response:
    spec = _aggregate_spec(await read_json(request), creating=True)
    _require_admin(request, "os-aggregates:create")
    world = world_of(request)
    _name_taken(world, spec["name"])
    ident = max(world.aggregates, default=0) + 1
    zone = spec.get("availability_zone")
    aggregate = {"id": ident, "uuid": str(uuid.uuid4()), "name": spec["name"], "hosts": [],
                 "metadata": {"availability_zone": zone} if zone else {}, "created_at": _stamp(world),
                 "updated_at": None}
    world.aggregates[ident] = aggregate
    return json_response(_view(request, aggregate, created=True))


async def show_aggregate(request: web.Request) -> web.Response:
    _require_admin(request, "os-aggregates:show")
    return json_response(_view(request, _find(request)))


async def update_aggregate(request: web.Request) -> web.Response:
    spec = _aggregate_spec(await read_json(request), creating=False)
    _require_admin(request, "os-aggregates:update")
    world = world_of(request)
    aggregate = _find(request)
    if "name" in spec:
        _name_taken(world, spec["name"], aggregate)
        aggregate["name"] = spec["name"]
    if "availability_zone" in spec:
        _set_zone(aggregate, spec["availability_zone"])
    aggregate["updated_at"] = _stamp(world)
    return json_response(_view(request, aggregate))


def _set_zone(aggregate: dict, zone: str | None) -> None:
    if zone:
        aggregate["metadata"]["availability_zone"] = zone
    else:
        aggregate["metadata"].pop("availability_zone", None)


async def delete_aggregate(request: web.Request) -> web.Response:
    _require_admin(request, "os-aggregates:delete")
    aggregate = _find(request)
    if aggregate["hosts"]:
        raise ApiError(400, f"Cannot remove aggregate {aggregate['id']}. Reason: Host aggregate is not empty.")
    del world_of(request).aggregates[aggregate["id"]]
    return no_content(200)


def _host_arg(body, action: str) -> str:
    args = body.get(action) if isinstance(body, dict) else None
    if not isinstance(args, dict) or "host" not in args:
        raise _invalid(action, args, "'host' is a required property")
    return str(_name("host", args["host"]))


def _metadata_arg(body) -> dict:
    args = body.get("set_metadata")
    if not isinstance(args, dict) or "metadata" not in args:
        raise _invalid("set_metadata", args, "'metadata' is a required property")
    metadata = args["metadata"]
    if not isinstance(metadata, dict):
        raise _invalid("metadata", metadata, f"{metadata!r} is not of type 'object'")
    for key, value in metadata.items():
        if not re.match(METADATA_KEY, key):
            raise _invalid("metadata", metadata, f"Additional properties are not allowed ({key!r} was unexpected)")
        if value is not None and (not isinstance(value, str) or len(value) > 255):
            raise _invalid(key, value, f"{value!r} is not of type 'string', 'null'")
    return metadata


async def aggregate_action(request: web.Request) -> web.Response:
    """POST /os-aggregates/{id}/action: add_host, remove_host, set_metadata."""
    world = world_of(request)
    body = await read_json(request)
    action = next(iter(body), None) if isinstance(body, dict) and len(body) == 1 else None
    if action not in ("add_host", "remove_host", "set_metadata"):
        raise ApiError(400, "There is no such action: %s" % (action,))
    if action == "set_metadata":
        metadata = _metadata_arg(body)
        _require_admin(request, "os-aggregates:set_metadata")
        aggregate = _find(request)
        for key, value in metadata.items():  # a null value removes the key
            if value is None:
                aggregate["metadata"].pop(key, None)
            else:
                aggregate["metadata"][key] = value
    else:
        host = _host_arg(body, action)
        _require_admin(request, f"os-aggregates:{action}")
        aggregate = _find(request)
        if action == "add_host":
            if host != nova.COMPUTE_HOST:
                raise ApiError(404, f"Compute host {host} could not be found.")
            if host in aggregate["hosts"]:
                raise ApiError(409, f"Aggregate {aggregate['id']} already has host {host}.")
            aggregate["hosts"].append(host)
        else:
            if host not in aggregate["hosts"]:
                raise ApiError(404, f"Cannot remove host {host} in aggregate {aggregate['id']}")
            aggregate["hosts"].remove(host)
    aggregate["updated_at"] = _stamp(world)
    return json_response(_view(request, aggregate))


# --- os-hosts (2.1 to 2.42) --------------------------------------------------------------------

def _before_2_43(request: web.Request) -> None:
    if _mv(request) >= (2, 43):
        raise ApiError(404, "The resource could not be found.")


async def list_hosts(request: web.Request) -> web.Response:
    _before_2_43(request)
    _require_admin(request, "os-hosts:list")
    zone = request.query.get("zone")
    hosts = [{"host_name": nova.COMPUTE_HOST, "service": topic, "zone": az} for topic, az in SERVICES
             if not zone or az == zone]
    return json_response({"hosts": hosts})


async def show_host(request: web.Request) -> web.Response:
    """GET /os-hosts/{host}: the host's capacity and each project's use of it (hosts.py show)."""
    _before_2_43(request)
    _require_admin(request, "os-hosts:show")
    host = request.match_info["host"]
    if host != nova.COMPUTE_HOST:
        raise ApiError(404, f"Compute host {host} could not be found.")
    world = world_of(request)
    used = _used(world)

    def row(project: str, cpu: int, memory: int, disk: int) -> dict:
        return {"resource": {"host": host, "project": project, "cpu": cpu, "memory_mb": memory, "disk_gb": disk}}

    rows = [row("(total)", CAPACITY["vcpus"], CAPACITY["memory_mb"], CAPACITY["local_gb"]),
            row("(used_now)", used["vcpus"], used["memory_mb"] + RESERVED_MB, used["local_gb"]),
            row("(used_max)", used["vcpus"], used["memory_mb"], used["local_gb"])]
    for project, use in sorted(used["by_project"].items()):
        rows.append(row(project, use["vcpus"], use["memory_mb"], use["local_gb"]))
    return json_response({"host": rows})


# --- hypervisors -------------------------------------------------------------------------------

def _on_host(world: World) -> list[dict]:
    return [s for s in world.servers.values() if not s.get("_deleted") and s.get("_host") == nova.COMPUTE_HOST]


def _used(world: World) -> dict:
    totals: dict = {"vcpus": 0, "memory_mb": 0, "local_gb": 0, "running_vms": 0, "by_project": {}}
    for server in _on_host(world):
        flavor = nova.instance_flavor(world, server)
        use = (flavor.get("vcpus", 0), flavor.get("ram", 0), flavor.get("disk", 0))
        mine = totals["by_project"].setdefault(server["tenant_id"], {"vcpus": 0, "memory_mb": 0, "local_gb": 0})
        for key, value in zip(("vcpus", "memory_mb", "local_gb"), use):
            totals[key] += value
            mine[key] += value
        totals["running_vms"] += 1
    return totals


def _figures(world: World) -> dict:
    """A compute node's capacity and use as Nova's resource tracker reports it (hypervisor detail before 2.88,
    statistics: the sum over the one node)."""
    used = _used(world)
    memory_used = used["memory_mb"] + RESERVED_MB
    return {"vcpus": CAPACITY["vcpus"], "memory_mb": CAPACITY["memory_mb"], "local_gb": CAPACITY["local_gb"],
            "vcpus_used": used["vcpus"], "memory_mb_used": memory_used, "local_gb_used": used["local_gb"],
            "free_ram_mb": CAPACITY["memory_mb"] - memory_used, "free_disk_gb": CAPACITY["local_gb"] - used["local_gb"],
            "current_workload": 0, "running_vms": used["running_vms"],
            "disk_available_least": CAPACITY["local_gb"] - used["local_gb"]}


def _hypervisor(request: web.Request, *, detail: bool, with_servers: bool = False) -> dict:
    """hypervisors.py `_view_hypervisor`: UUIDs for IDs from 2.53, the usage figures until 2.88, uptime after."""
    world, mv = world_of(request), _mv(request)
    uuids = mv >= (2, 53)
    body: dict = {"id": HYPERVISOR_UUID if uuids else HYPERVISOR_ID, "hypervisor_hostname": nova.COMPUTE_HOST,
                  "state": "up", "status": "enabled"}
    if detail:
        body.update(hypervisor_type="QEMU", hypervisor_version=8002002, host_ip=HOST_IP,
                    service={"id": SERVICE_UUID if uuids else SERVICE_ID, "host": nova.COMPUTE_HOST,
                             "disabled_reason": None})
    if detail and mv < (2, 88):
        body.update(_figures(world))
        cpu_info = {"arch": "x86_64", "model": "EPYC-Rome", "vendor": "AMD",
                    "topology": {"cells": 1, "sockets": 1, "cores": 32, "threads": 2}, "features": []}
        body["cpu_info"] = cpu_info if mv >= (2, 28) else json.dumps(cpu_info)
    if detail and mv >= (2, 88):
        body["uptime"] = UPTIME
    servers = _on_host(world) if with_servers else []
    if servers:
        body["servers"] = [{"name": s["name"], "uuid": s["id"]} for s in servers]
    elif with_servers and mv >= (2, 75):
        body["servers"] = []
    return body


def _with_servers(request: web.Request) -> bool:
    if _mv(request) < (2, 53):
        return False
    raw = request.query.get("with_servers", "false").lower()
    if raw not in {"1", "t", "true", "on", "y", "yes", "0", "f", "false", "off", "n", "no"}:
        raise ApiError(400, f"Unrecognized value '{request.query['with_servers']}', acceptable values are: '0', "
                            "'1', 'f', 'false', 'n', 'no', 'off', 'on', 't', 'true', 'y', 'yes'")
    return raw in {"1", "t", "true", "on", "y", "yes"}


def _matches(request: web.Request) -> bool:
    """hypervisor_hostname_pattern (2.53+): a substring of the hostname, else 404 as Nova answers."""
    pattern = request.query.get("hypervisor_hostname_pattern") if _mv(request) >= (2, 53) else None
    if pattern is not None and pattern not in nova.COMPUTE_HOST:
        raise ApiError(404, f"No hypervisor matching '{pattern}' could be found.")
    return True


async def list_hypervisors(request: web.Request) -> web.Response:
    _require_admin(request, "os-hypervisors:list")
    _matches(request)
    return json_response({"hypervisors": [_hypervisor(request, detail=False,
                                                      with_servers=_with_servers(request))]})


async def list_hypervisors_detail(request: web.Request) -> web.Response:
    _require_admin(request, "os-hypervisors:list-detail")
    _matches(request)
    return json_response({"hypervisors": [_hypervisor(request, detail=True, with_servers=_with_servers(request))]})


def _found(request: web.Request) -> None:
    """`_validate_id` then the look-up: a UUID from 2.53 (else 400), an integer before (else 404)."""
    ident = request.match_info["hypervisor_id"]
    if _mv(request) >= (2, 53):
        try:
            uuid.UUID(ident)
        except ValueError:
            raise ApiError(400, f"Invalid uuid {ident}") from None
        found = ident == HYPERVISOR_UUID
    else:
        found = ident.strip().lstrip("-").isdigit() and int(ident) == HYPERVISOR_ID
    if not found:
        raise ApiError(404, f"Hypervisor with ID '{ident}' could not be found.")


async def show_hypervisor(request: web.Request) -> web.Response:
    if request.match_info["hypervisor_id"] == "statistics":
        return await hypervisor_statistics(request)
    with_servers = _with_servers(request)
    _require_admin(request, "os-hypervisors:show")
    _found(request)
    return json_response({"hypervisor": _hypervisor(request, detail=True, with_servers=with_servers)})


async def hypervisor_uptime(request: web.Request) -> web.Response:
    """GET /os-hypervisors/{id}/uptime (2.1 to 2.87; OSC's `hypervisor show` asks it there)."""
    if _mv(request) >= (2, 88):
        raise ApiError(404, "The resource could not be found.")
    _require_admin(request, "os-hypervisors:uptime")
    _found(request)
    return json_response({"hypervisor": {**_hypervisor(request, detail=False), "uptime": UPTIME}})


async def hypervisor_statistics(request: web.Request) -> web.Response:
    if _mv(request) >= (2, 88):
        raise ApiError(404, "The resource could not be found.")
    _require_admin(request, "os-hypervisors:statistics")
    stats = {"count": 1, **_figures(world_of(request))}
    return json_response({"hypervisor_statistics": stats})


def add_routes(r: web.UrlDispatcher, v: str) -> None:
    r.add_get(f"{v}/os-aggregates", list_aggregates)
    r.add_post(f"{v}/os-aggregates", create_aggregate)
    r.add_get(f"{v}/os-aggregates/{{aggregate_id}}", show_aggregate)
    r.add_put(f"{v}/os-aggregates/{{aggregate_id}}", update_aggregate)
    r.add_delete(f"{v}/os-aggregates/{{aggregate_id}}", delete_aggregate)
    r.add_post(f"{v}/os-aggregates/{{aggregate_id}}/action", aggregate_action)
    r.add_get(f"{v}/os-hosts", list_hosts)
    r.add_get(f"{v}/os-hosts/{{host}}", show_host)
    r.add_get(f"{v}/os-hypervisors", list_hypervisors)
    r.add_get(f"{v}/os-hypervisors/detail", list_hypervisors_detail)
    r.add_get(f"{v}/os-hypervisors/{{hypervisor_id}}", show_hypervisor)
    r.add_get(f"{v}/os-hypervisors/{{hypervisor_id}}/uptime", hypervisor_uptime)

"""Magnum (container-infra v1) of the demo cloud: cluster templates, clusters and their certificates, as Magnum's
API answers them (magnum/api/controllers/v1). Microversions come in `OpenStack-API-Version: container-infra 1.x`
(any of Magnum's three service names; none asked means 1.1, as Magnum's default; `latest` is 1.14); resize needs
1.7. Errors have Magnum's `{"errors": [...]}` body (common.error_body, style "magnum").

A cluster is made through the demo's Heat: its stack (the network, subnet and security group Magnum's templates
make; not its nodes' instances, which would take the demo's instance quota) is a real stack of demo/heat_engine,
and the cluster's status follows it as Magnum's periodic sync does (CREATE_IN_PROGRESS until the stack is
CREATE_COMPLETE, then the stack's reason). Resize moves the stack through UPDATE as Magnum's stack update would.
Each cluster has a CA of its own (made when first asked for, RSA 2048 as Magnum's x509 defaults) that signs the
CSRs `openstack coe cluster config` sends.
"""

from __future__ import annotations

import copy
import datetime as _dt
import ipaddress
import re
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from . import heat_engine as engine
from .common import ApiError, json_response, new_id, no_content, read_json
from .service import ctx_of, service_app, world_of
from .world import World

SERVICE_NAMES = ("container-infrastructure-management", "container-infrastructure", "container-infra")
MIN_VERSION, MAX_VERSION = (1, 1), (1, 14)
MIN_STRING, MAX_STRING = f"{SERVICE_NAMES[0]} 1.1", f"{SERVICE_NAMES[0]} 1.14"
RESIZE_SINCE = (1, 7)
ZERO_NODES_SINCE = (1, 10)
CLUSTER_ID_SINCE = (1, 13)  # `cluster_id` replaces `stack_id`
STEP = 1.0  # seconds (times the delay knob) between a cluster's steps
MAX_CLUSTERS = 20  # Magnum's quotas.max_clusters_per_project
NAME_PATTERN = "^[a-zA-Z][a-zA-Z0-9_.-]*$"
UPDATABLE = ("CREATE_COMPLETE", "UPDATE_COMPLETE", "RESUME_COMPLETE", "RESTORE_COMPLETE", "ROLLBACK_COMPLETE",
             "SNAPSHOT_COMPLETE", "CHECK_COMPLETE", "ADOPT_COMPLETE")
RESIZABLE = (*UPDATABLE, "UPDATE_FAILED", "UPDATE_IN_PROGRESS")
CERT_DAYS = 365 * 5  # Magnum's x509.term_of_validity

# Jetstream2's public templates, as its docs name them
TEMPLATES = (
    ("kubernetes-1-30-jammy", "v1.30.4", "Featured-Ubuntu22"),
    ("kubernetes-1-31-jammy", "v1.31.1", "Featured-Ubuntu22"),
)

# the cluster's own network, as Magnum's Kubernetes templates make one (fixed_subnet_cidr 10.0.0.0/24)
STACK_TEMPLATE = {
    "heat_template_version": "2021-04-16",
    "description": "Kubernetes cluster made by Magnum (the demo's: its network and security group)",
    "parameters": {"cluster_name": {"type": "string"}},
    "resources": {
        "network": {"type": "OS::Neutron::Net", "properties": {"name": {"get_param": "cluster_name"}}},
        "fixed_subnet": {"type": "OS::Neutron::Subnet",
                         "properties": {"network": {"get_resource": "network"}, "cidr": "10.0.0.0/24",
                                        "name": {"get_param": "cluster_name"}}},
        "secgroup_kube_master": {"type": "OS::Neutron::SecurityGroup", "properties": {"rules": [
            {"protocol": "tcp", "port_range_min": 6443, "port_range_max": 6443},
            {"protocol": "tcp", "port_range_min": 22, "port_range_max": 22}]}},
    },
    "outputs": {"fixed_network": {"description": "the cluster's network", "value": {"get_resource": "network"}},
                "fixed_subnet": {"description": "its subnet", "value": {"get_resource": "fixed_subnet"}}},
}


@dataclass
class Magnum:
    templates: dict[str, dict] = field(default_factory=dict)
    clusters: dict[str, dict] = field(default_factory=dict)
    cas: dict[str, tuple[Any, Any]] = field(default_factory=dict)  # cluster uuid -> (CA key, CA certificate)
    addresses: int = 0  # API addresses handed out


def state_of(world: World) -> Magnum:
    """world.magnum, made (with the public templates) on first use."""
    if world.magnum is None:
        world.magnum = state = Magnum()
        images = {i["name"]: i["id"] for i in world.images.values()}
        for name, kube_tag, image in TEMPLATES:
            ident = new_id(world)
            state.templates[ident] = {
                "uuid": ident, "name": name, "coe": "kubernetes", "image_id": images.get(image, image),
                "flavor_id": "m3.medium", "master_flavor_id": "m3.small", "keypair_id": None,
                "external_network_id": "public", "fixed_network": None, "fixed_subnet": None,
                "network_driver": "calico", "volume_driver": "cinder", "docker_volume_size": None,
                "docker_storage_driver": "overlay2", "cluster_distro": "ubuntu", "server_type": "vm",
                "labels": {"kube_tag": kube_tag, "cinder_csi_enabled": "true", "auto_scaling_enabled": "false"},
                "http_proxy": None, "https_proxy": None, "no_proxy": None, "dns_nameserver": "8.8.8.8",
                "tls_disabled": False, "public": True, "hidden": False, "registry_enabled": False,
                "insecure_registry": None, "master_lb_enabled": False, "floating_ip_enabled": True,
                "apiserver_port": None, "tags": None, "driver": "k8s_capi_helm_v1", "project_id": "admin",
                "user_id": "admin", "created_at": world.now(), "updated_at": None,
            }
    return world.magnum


# --- microversions and errors ------------------------------------------------------------------------------

VERSION_KEY = web.RequestKey("magnum_version", tuple)


def _asked_version(request: web.Request) -> tuple[int, int]:
    """Magnum's Version.parse_headers: exactly "<service> X.Y" (or latest), else 406."""
    header = request.headers.get("OpenStack-API-Version", MIN_STRING)
    words = header.split()
    if len(words) != 2:
        raise ApiError(406, "Invalid service type for OpenStack-API-Version header")
    service, text = words
    if text.lower() == "latest":
        return MAX_VERSION
    if service not in SERVICE_NAMES:
        raise ApiError(406, "Invalid service type for OpenStack-API-Version header")
    try:
        version = tuple(int(part) for part in text.split("."))
    except ValueError:
        version = ()
    if len(version) != 2:
        raise ApiError(406, "Invalid value for OpenStack-API-Version header")
    asked = (version[0], version[1])
    shown = f"{asked[0]}.{asked[1]}"
    if asked[0] != 1:
        raise ApiError(406, f"Mutually exclusive versions requested. Version {shown} requested but not supported by "
                            f"this service.The supported version range is: [{MIN_STRING}, {MAX_STRING}].",
                       "magnum.microversion-unsupported")
    if not MIN_VERSION <= asked <= MAX_VERSION:
        raise ApiError(406, f"Version {shown} was requested but the minor version is not supported by this service. "
                            f"The supported version range is: [{MIN_STRING}, {MAX_STRING}].",
                       "magnum.microversion-unsupported")
    return asked


@web.middleware
async def _versions(request: web.Request, handler):
    """Below /v1, as Magnum's V1 controller routes: the version asked is read (406 when Magnum would refuse it)
    and the answer says the range and the version used, whatever it is."""
    path = request.match_info.route.resource.canonical if request.match_info.route.resource else ""
    if "/v1" not in path:
        return await handler(request)
    headers = {"OpenStack-API-Minimum-Version": MIN_STRING, "OpenStack-API-Maximum-Version": MAX_STRING,
               "Vary": "OpenStack-API-Version"}
    try:
        version = _asked_version(request)
    except ApiError as err:
        err.headers.update(headers)
        raise
    headers["OpenStack-API-Version"] = f"{SERVICE_NAMES[0]} {version[0]}.{version[1]}"
    request[VERSION_KEY] = version
    try:
        response = await handler(request)
    except ApiError as err:
        err.headers.update(headers)
        raise
    response.headers.update(headers)
    return response


def _version(request: web.Request) -> tuple[int, int]:
    return request.get(VERSION_KEY, MIN_VERSION)


def _not_for_version(request: web.Request, api: str) -> ApiError:
    v = _version(request)
    return ApiError(406, f"Version {v[0]}.{v[1]} was requested but the requested API {api} is not supported for "
                         "this version.")


def _invalid(name: str, value: Any, why: str) -> ApiError:
    """wsme's words for a field that does not pass its type."""
    return ApiError(400, f"Invalid input for field/attribute {name}. Value: '{value}'. {why}")


# --- look-ups and views ------------------------------------------------------------------------------------

def _time(value: _dt.datetime | None) -> str | None:
    return value.astimezone(_dt.timezone.utc).isoformat(timespec="seconds") if value is not None else None


def _links(request: web.Request, kind: str, ident: str) -> list[dict]:
    base = f"{world_of(request).base_url}/container-infra"
    return [{"href": f"{base}/v1/{kind}/{ident}", "rel": "self"}, {"href": f"{base}/{kind}/{ident}", "rel": "bookmark"}]


def _is_uuid(text: str) -> bool:
    return re.fullmatch(r"[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}",
                        text) is not None


def _visible_templates(world: World, pid: str) -> list[dict]:
    return [t for t in state_of(world).templates.values() if t["public"] or t["project_id"] == pid]


def _template(world: World, pid: str, ident: str) -> dict:
    templates = _visible_templates(world, pid)
    if _is_uuid(ident):
        found = [t for t in templates if t["uuid"] == ident]
    else:
        found = [t for t in templates if t["name"] == ident]
        if len(found) > 1:
            raise ApiError(409, "Multiple ClusterTemplates exist with same name. Please use the ClusterTemplate "
                                "uuid instead.")
    if not found:
        raise ApiError(404, f"ClusterTemplate {ident} could not be found.")
    return found[0]


def _own_clusters(world: World, pid: str) -> list[dict]:
    return [c for c in state_of(world).clusters.values() if c["project_id"] == pid]


def _cluster(request: web.Request, ident: str) -> dict:
    """api_utils.get_resource: a UUID, else a name (409 when two clusters share it)."""
    clusters = _own_clusters(world_of(request), ctx_of(request)["project_id"])
    if _is_uuid(ident):
        found = [c for c in clusters if c["uuid"] == ident]
    else:
        found = [c for c in clusters if c["name"] == ident]
        if len(found) > 1:
            raise ApiError(409, "Multiple clusters exist with same name. Please use the cluster uuid instead.")
    if not found:
        raise ApiError(404, f"Cluster {ident} could not be found.")
    return found[0]


def _template_view(request: web.Request, template: dict) -> dict:
    """Every field, in the list as in show (Magnum's template collection is not cut down as the clusters' is)."""
    body = {k: (_time(v) if k in ("created_at", "updated_at") else v) for k, v in template.items()}
    body["links"] = _links(request, "clustertemplates", template["uuid"])
    return body


_CLUSTER_SUMMARY = ("uuid", "name", "cluster_template_id", "keypair", "docker_volume_size", "labels", "node_count",
                    "status", "master_flavor_id", "flavor_id", "create_timeout", "master_count", "health_status")


def _cluster_view(request: web.Request, cluster: dict, expand: bool = True) -> dict:
    body = {k: v for k, v in cluster.items() if not k.startswith("_")}
    body["created_at"], body["updated_at"] = _time(cluster["created_at"]), _time(cluster["updated_at"])
    new_style = _version(request) >= CLUSTER_ID_SINCE
    stack_key = "cluster_id" if new_style else "stack_id"
    if not expand:
        body = {k: body[k] for k in _CLUSTER_SUMMARY}
    else:
        template = state_of(world_of(request)).templates.get(cluster["cluster_template_id"]) or {}
        parent = template.get("labels") or {}
        labels = cluster["labels"] or {}
        body["labels_overridden"] = {k: v for k, v in labels.items() if k in parent and parent[k] != v}
        body["labels_added"] = {k: v for k, v in labels.items() if k not in parent}
        body["labels_skipped"] = {k: v for k, v in parent.items() if k not in labels}
        if cluster["status"].endswith("FAILED"):
            body["faults"] = {"default-worker": cluster["status_reason"] or ""}
        body.pop("stack_id", None)
    body[stack_key] = cluster["stack_id"]
    body["links"] = _links(request, "clusters", cluster["uuid"])
    return body


def _page(request: web.Request, items: list[dict], kind: str) -> tuple[list[dict], str | None]:
    """Magnum's marker/limit paging by uuid; `next` while a page was full."""
    query = request.query
    sort_dir = query.get("sort_dir", "asc")
    if sort_dir not in ("asc", "desc"):
        raise ApiError(400, f"Invalid sort direction: {sort_dir}. Acceptable values are 'asc' or 'desc'")
    items = sorted(items, key=lambda i: i["created_at"], reverse=sort_dir == "desc")
    marker = query.get("marker")
    if marker:
        ids = [i["uuid"] for i in items]
        if marker not in ids:
            raise ApiError(404, f"{'Cluster' if kind == 'clusters' else 'ClusterTemplate'} {marker} could not be "
                                "found.")
        items = items[ids.index(marker) + 1:]
    limit_text = query.get("limit")
    if limit_text is None:
        return items, None
    try:
        limit = int(limit_text)
    except ValueError:
        raise _invalid("limit", limit_text, "Invalid integer value.") from None
    if limit < 0:
        raise ApiError(400, f"Limit must be positive integer: {limit}")
    if limit == 0 or len(items) <= limit:
        return items, None
    items = items[:limit]
    base = f"{world_of(request).base_url}/container-infra/v1/{kind}"
    return items, f"{base}?limit={limit}&marker={items[-1]['uuid']}"


# --- handlers ------------------------------------------------------------------------------------------------

async def root(request: web.Request) -> web.Response:
    base = world_of(request).base_url + "/container-infra"
    return json_response({
        "name": "OpenStack Magnum API",
        "description": "Magnum is an OpenStack project which aims to provide container cluster management.",
        "versions": [{"id": "v1", "links": [{"href": f"{base}/v1/", "rel": "self"}], "status": "CURRENT",
                      "max_version": "1.14", "min_version": "1.1"}]})


async def v1(request: web.Request) -> web.Response:
    base = world_of(request).base_url + "/container-infra"
    body: dict[str, Any] = {
        "id": "v1",
        "media_types": [{"base": "application/json", "type": "application/vnd.openstack.magnum.v1+json"}],
        "links": [{"href": f"{base}/v1/", "rel": "self"},
                  {"href": "http://docs.openstack.org/developer/magnum/dev/api-spec-v1.html", "rel": "describedby",
                   "type": "text/html"}],
    }
    for kind in ("clustertemplates", "clusters", "quotas", "certificates", "mservices", "stats", "federations",
                 "credentials"):
        body[kind] = [{"href": f"{base}/v1/{kind}/", "rel": "self"}, {"href": f"{base}/{kind}/", "rel": "bookmark"}]
    return json_response(body)


async def list_templates(request: web.Request) -> web.Response:
    items, nxt = _page(request, _visible_templates(world_of(request), ctx_of(request)["project_id"]),
                       "clustertemplates")
    body: dict[str, Any] = {"clustertemplates": [_template_view(request, t) for t in items]}
    if nxt:
        body["next"] = nxt
    return json_response(body)


async def show_template(request: web.Request) -> web.Response:
    return json_response(_template_view(request, _template(world_of(request), ctx_of(request)["project_id"],
                                                               request.match_info["ident"])))


async def list_clusters(request: web.Request) -> web.Response:
    expand = request.path.rstrip("/").endswith("/detail")
    items, nxt = _page(request, _own_clusters(world_of(request), ctx_of(request)["project_id"]), "clusters")
    body: dict[str, Any] = {"clusters": [_cluster_view(request, c, expand) for c in items]}
    if nxt:
        body["next"] = nxt
    return json_response(body)


async def show_cluster(request: web.Request) -> web.Response:
    return json_response(_cluster_view(request, _cluster(request, request.match_info["ident"])))


def _count(body: dict, name: str, default: int, minimum: int) -> int:
    value = body.get(name, default)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise _invalid(name, value, "Invalid integer value.")
    try:
        number = int(value)
    except ValueError:
        raise _invalid(name, value, "Invalid integer value.") from None
    if number < minimum:
        raise _invalid(name, value, f"Value should be greater or equal to {minimum}")
    return number


async def create_cluster(request: web.Request) -> web.Response:
    body = await read_json(request, malformed="The request body is not valid JSON")
    if not isinstance(body, dict):
        raise ApiError(400, "Invalid input for field/attribute cluster. Value: 'None'. Invalid JSON object")
    cluster = new_cluster(world_of(request), ctx_of(request), body, _version(request))
    return json_response({"uuid": cluster["uuid"]}, 202)


def new_cluster(world: World, ctx: dict, body: dict, version: tuple[int, int] = MAX_VERSION) -> dict:
    """Check a create as Magnum's API does, record the cluster CREATE_IN_PROGRESS, make its stack and follow it
    (`ctx`: the token's project_id and user_id). Tests use it to put a cluster in a world directly."""
    template_ref = body.get("cluster_template_id")
    if not isinstance(template_ref, str) or not template_ref:
        raise _invalid("cluster_template_id", template_ref, "Mandatory field missing.")
    name = body.get("name")
    if name is not None and (not isinstance(name, str) or not 1 <= len(name) <= 242
                             or re.fullmatch(NAME_PATTERN, name) is None):
        raise _invalid("name", name, f"Value should match the pattern {NAME_PATTERN}")
    node_count = _count(body, "node_count", 1, 0)
    master_count = _count(body, "master_count", 1, 1)
    timeout = _count(body, "create_timeout", 60, 0)
    if node_count == 0 and version < ZERO_NODES_SINCE:
        raise ApiError(400, "Resizing a nodegroup to zero is not supported in the provided microversion.")
    state = state_of(world)
    if len(_own_clusters(world, ctx["project_id"])) >= MAX_CLUSTERS:
        raise ApiError(403, f"Resource limit exceeded: You have reached the maximum clusters per project, "
                            f"{MAX_CLUSTERS}. You may delete a cluster to make room for a new one.")
    try:
        template = _template(world, ctx["project_id"], template_ref)
    except ApiError as err:
        if err.status == 404:
            err.status = 400  # validation.ct_not_found_to_bad_request
        raise
    keypair = body.get("keypair") or template["keypair_id"]
    if keypair is not None and (ctx["user_id"], keypair) not in world.keypairs:
        raise ApiError(404, f"Unable to find keypair {keypair}.")
    labels = body.get("labels") if isinstance(body.get("labels"), dict) and body.get("labels") else None
    if labels is None:
        labels = dict(template["labels"])
    elif body.get("merge_labels"):
        labels = {**template["labels"], **labels}
    if not name:
        name = f"{world.rng.choice(('alpha', 'beta', 'gamma', 'delta', 'zeta', 'theta', 'kappa'))}-" \
               f"{world.rng.randint(1, 99)}-cluster"
    ident = new_id(world)
    user = world.users.get(ctx["user_id"], {})
    stack = engine.new_stack(world, {**ctx, "user_name": user.get("name", "")}, {
        "stack_name": f"{name}-{new_id(world).replace('-', '')[:12]}", "template": copy.deepcopy(STACK_TEMPLATE),
        "parameters": {"cluster_name": name}, "timeout_mins": timeout or None, "tags": f"magnum,{ident}"})
    state.addresses += 1
    address = ipaddress.ip_network("127.64.0.0/16")[64000 + state.addresses]  # the demo's public range
    now = world.now()
    state.clusters[ident] = {
        "uuid": ident, "name": name, "cluster_template_id": template["uuid"], "keypair": keypair,
        "node_count": node_count, "master_count": master_count,
        "docker_volume_size": body.get("docker_volume_size") or template["docker_volume_size"],
        "labels": labels, "master_flavor_id": body.get("master_flavor_id") or template["master_flavor_id"],
        "flavor_id": body.get("flavor_id") or template["flavor_id"], "create_timeout": timeout,
        "stack_id": stack["id"], "status": "CREATE_IN_PROGRESS", "status_reason": None,
        "health_status": None, "health_status_reason": {}, "discovery_url": None, "api_address": None,
        "coe_version": None, "container_version": None, "project_id": ctx["project_id"], "user_id": ctx["user_id"],
        "node_addresses": [], "master_addresses": [],
        "fixed_network": body.get("fixed_network") or template["fixed_network"],
        "fixed_subnet": body.get("fixed_subnet") or template["fixed_subnet"],
        "floating_ip_enabled": body.get("floating_ip_enabled", template["floating_ip_enabled"]),
        "master_lb_enabled": body.get("master_lb_enabled", template["master_lb_enabled"]),
        "merge_labels": bool(body.get("merge_labels", False)), "created_at": now, "updated_at": None,
        "_address": str(address), "_kube_tag": str(labels.get("kube_tag") or "v1.30.4"),
    }
    world.later(STEP, lambda: _follow_create(world, state.clusters[ident]))
    return state.clusters[ident]


def _addresses(count: int, first: int) -> list[str]:
    return [f"10.0.0.{first + n}" for n in range(count)]


def _settle(world: World, cluster: dict, status: str, reason: str | None) -> None:
    cluster["status"], cluster["status_reason"], cluster["updated_at"] = status, reason, world.now()


def _follow_create(world: World, cluster: dict) -> None:
    """Magnum's periodic sync: the cluster's status follows its stack's until the stack settles."""
    if cluster["status"] != "CREATE_IN_PROGRESS":
        return
    stack = world.stacks.get(cluster["stack_id"])
    if stack is None or stack["action"] != "CREATE":
        _settle(world, cluster, "CREATE_FAILED", "Stack is gone")
        return
    if stack["status"] == "IN_PROGRESS":
        world.later(STEP, lambda: _follow_create(world, cluster))
        return
    if stack["status"] == "FAILED":
        _settle(world, cluster, "CREATE_FAILED", stack["reason"])
        return
    cluster["api_address"] = f"https://{cluster['_address']}:6443"
    cluster["master_addresses"] = _addresses(cluster["master_count"], 10)
    cluster["node_addresses"] = _addresses(cluster["node_count"], 100)
    cluster["coe_version"], cluster["container_version"] = cluster["_kube_tag"], "1.7.20"
    cluster["health_status"] = "HEALTHY"
    cluster["health_status_reason"] = {"api": "ok", **{f"{cluster['name']}-node-{n}.Ready": "True"
                                                       for n in range(cluster["node_count"])}}
    _settle(world, cluster, "CREATE_COMPLETE", stack["reason"])


def _resize(world: World, cluster: dict, node_count: int) -> None:
    """The conductor's cluster_resize, as a cast: a cluster in a state Magnum does not resize from stays as it
    is (Magnum answers 202 all the same and logs the refusal)."""
    if cluster["status"] not in RESIZABLE:
        return
    _settle(world, cluster, "UPDATE_IN_PROGRESS", None)
    stack = world.stacks.get(cluster["stack_id"])
    if stack is not None and not stack["deleted"]:
        stack["action"], stack["status"] = "UPDATE", "IN_PROGRESS"
        engine.stack_event(world, stack, "Stack UPDATE started")

    def done() -> None:
        if cluster["status"] != "UPDATE_IN_PROGRESS":
            return
        cluster["node_count"] = node_count
        cluster["node_addresses"] = _addresses(node_count, 100)
        cluster["health_status_reason"] = {"api": "ok", **{f"{cluster['name']}-node-{n}.Ready": "True"
                                                           for n in range(node_count)}}
        reason = "Stack UPDATE completed successfully"
        if stack is not None and stack["action"] == "UPDATE":
            stack["status"] = "COMPLETE"
            engine.stack_event(world, stack, reason)
        _settle(world, cluster, "UPDATE_COMPLETE", reason)

    world.later(STEP * 2, done)


async def resize_cluster(request: web.Request) -> web.Response:
    if _version(request) < RESIZE_SINCE:
        raise _not_for_version(request, "resize")
    cluster = _cluster(request, request.match_info["ident"])
    body = await read_json(request, malformed="The request body is not valid JSON")
    if not isinstance(body, dict) or "node_count" not in body:
        raise _invalid("node_count", None, "Mandatory field missing.")
    node_count = _count(body, "node_count", 1, 0)
    if node_count == 0 and _version(request) < ZERO_NODES_SINCE:
        raise ApiError(400, "Resizing a nodegroup to zero is not supported in the provided microversion.")
    nodegroup = body.get("nodegroup")
    if nodegroup not in (None, "", "default-worker"):
        raise ApiError(404, f"Nodegroup {nodegroup} could not be found.")
    _resize(world_of(request), cluster, node_count)
    return json_response({"uuid": cluster["uuid"]}, 202)


_INTERNAL = ("/api_address", "/node_addresses", "/master_addresses", "/stack_id", "/cluster_id", "/uuid", "/id",
             "/created_at", "/updated_at", "/ca_cert_ref", "/magnum_cert_ref")


async def patch_cluster(request: web.Request) -> web.Response:
    """A JSON patch of node_count (the only field Magnum lets a patch change, with the health fields)."""
    cluster = _cluster(request, request.match_info["ident"])
    body = await read_json(request, malformed="The request body is not valid JSON")
    if not isinstance(body, list) or not all(isinstance(op, dict) for op in body):
        raise ApiError(400, "Invalid input for field/attribute patch. Value: 'None'. Invalid JSON patch")
    node_count = cluster["node_count"]
    changed = set()
    for op in body:
        path = op.get("path")
        if op.get("op") not in ("add", "replace", "remove"):  # wsme's Enum, before the paths are looked at
            raise _invalid("op", op.get("op"), "Value should be one of: add, remove, replace")
        if path in _INTERNAL or op.get("from") in _INTERNAL:
            raise ApiError(400, f"'{path}' is an internal attribute and can not be updated")
        if path == "/node_count":
            node_count = _count({"node_count": op.get("value")}, "node_count", 1, 0)
        changed.add(str(path).strip("/"))
    refused = sorted(changed - {"node_count", "health_status", "health_status_reason"})
    if refused:
        raise ApiError(400, f"cannot change cluster property(ies) {', '.join(refused)}.")
    if node_count == 0 and _version(request) < ZERO_NODES_SINCE:
        raise ApiError(400, "Resizing a nodegroup to zero is not supported in the provided microversion.")
    if cluster["status"] in UPDATABLE and node_count != cluster["node_count"]:
        _resize(world_of(request), cluster, node_count)
    return json_response({"uuid": cluster["uuid"]}, 202)


async def delete_cluster(request: web.Request) -> web.Response:
    world = world_of(request)
    cluster = _cluster(request, request.match_info["ident"])
    if cluster["status"] != "DELETE_IN_PROGRESS":
        _settle(world, cluster, "DELETE_IN_PROGRESS", None)
        stack = world.stacks.get(cluster["stack_id"])
        if stack is not None and not stack["deleted"] and not (stack["action"] == "DELETE"
                                                               and stack["status"] == "IN_PROGRESS"):
            engine.delete_stack(world, stack)
        world.later(STEP, lambda: _follow_delete(world, cluster))
    return no_content(204)


def _follow_delete(world: World, cluster: dict) -> None:
    """Gone from the lists once its stack is (DELETE_COMPLETE); DELETE_FAILED with the stack's reason."""
    state = state_of(world)
    stack = world.stacks.get(cluster["stack_id"])
    if stack is None or stack["deleted"]:
        state.clusters.pop(cluster["uuid"], None)
        state.cas.pop(cluster["uuid"], None)
        return
    if stack["status"] == "FAILED":
        _settle(world, cluster, "DELETE_FAILED", stack["reason"])
        return
    world.later(STEP, lambda: _follow_delete(world, cluster))


# --- certificates ---------------------------------------------------------------------------------------------

def _ca(world: World, cluster: dict) -> tuple[Any, Any]:
    state = state_of(world)
    if cluster["uuid"] not in state.cas:
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import rsa
        from cryptography.x509.oid import NameOID

        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cluster["name"])])
        now = world.now()
        cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
                .serial_number(x509.random_serial_number()).not_valid_before(now - _dt.timedelta(minutes=5))
                .not_valid_after(now + _dt.timedelta(days=CERT_DAYS))
                .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
                .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False,
                                             key_encipherment=True, data_encipherment=False, key_agreement=False,
                                             key_cert_sign=True, crl_sign=True, encipher_only=False,
                                             decipher_only=False), critical=True)
                .sign(key, hashes.SHA256()))
        state.cas[cluster["uuid"]] = (key, cert)
    return state.cas[cluster["uuid"]]


def _pem(cert: Any) -> str:
    from cryptography.hazmat.primitives import serialization

    return cert.public_bytes(serialization.Encoding.PEM).decode()


async def show_ca(request: web.Request) -> web.Response:
    world = world_of(request)
    cluster = _cluster(request, request.match_info["ident"])
    _key, cert = _ca(world, cluster)
    return json_response({"cluster_uuid": cluster["uuid"], "pem": _pem(cert),
                          "links": _links(request, "certificates", cluster["uuid"])})


async def sign_csr(request: web.Request) -> web.Response:
    """Sign a client's CSR with the cluster's CA (Magnum keeps the CSR's subject: CN=admin, O=system:masters)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes

    world = world_of(request)
    body = await read_json(request, malformed="The request body is not valid JSON")
    if not isinstance(body, dict):
        raise ApiError(400, "Invalid input for field/attribute certificate. Value: 'None'. Invalid JSON object")
    ref = body.get("cluster_uuid") or body.get("bay_uuid")
    if not isinstance(ref, str) or not ref:
        raise ApiError(400, "Invalid input for field/attribute cluster_uuid. Value: 'None'. Mandatory field missing.")
    try:
        cluster = _cluster(request, ref)
    except ApiError as err:
        if err.status == 404:
            err.status = 400  # Certificate._set_cluster_uuid: BadRequest
        raise
    text = body.get("csr")
    if not isinstance(text, str) or not text:
        raise _invalid("csr", text, "Value should have a minimum character requirement of 1")
    try:
        csr = x509.load_pem_x509_csr(text.encode())
        if not csr.is_signature_valid:
            raise ValueError("bad signature")
    except ValueError:
        raise ApiError(400, f"Received invalid csr {text}.") from None
    key, ca = _ca(world, cluster)
    now = world.now()
    cert = (x509.CertificateBuilder().subject_name(csr.subject).issuer_name(ca.subject)
            .public_key(csr.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - _dt.timedelta(minutes=5)).not_valid_after(now + _dt.timedelta(days=CERT_DAYS))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
            .sign(key, hashes.SHA256()))
    return json_response({"cluster_uuid": cluster["uuid"], "csr": text, "pem": _pem(cert),
                          "links": _links(request, "certificates", cluster["uuid"])}, 201)


def make_app(world: World) -> web.Application:
    app = service_app(world, "magnum", public=("/", "/v1"))
    app.middlewares.append(_versions)
    r = app.router
    r.add_get("/", root)
    r.add_get("/v1", v1)
    r.add_get("/v1/", v1)
    r.add_get("/v1/clustertemplates", list_templates)
    r.add_get("/v1/clustertemplates/detail", list_templates)
    r.add_get("/v1/clustertemplates/{ident}", show_template)
    r.add_get("/v1/clusters", list_clusters)
    r.add_post("/v1/clusters", create_cluster)
    r.add_get("/v1/clusters/detail", list_clusters)
    r.add_get("/v1/clusters/{ident}", show_cluster)
    r.add_patch("/v1/clusters/{ident}", patch_cluster)
    r.add_delete("/v1/clusters/{ident}", delete_cluster)
    r.add_post("/v1/clusters/{ident}/actions/resize", resize_cluster)
    r.add_post("/v1/certificates", sign_csr)
    r.add_get("/v1/certificates/{ident}", show_ca)
    return app

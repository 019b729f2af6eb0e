"""Nova v2.1 in the demo cloud beside the servers: flavors, keypairs, limits, quotas, zones."""

from __future__ import annotations

import re

from aiohttp import web

from . import nova
from . import nova_flavors_admin as flavors_admin
from .common import ApiError, json_response, no_content, policy_refused, read_json
from .nova_api import _bad_input, _mv, _page
from .service import ctx_of, is_admin, is_public_filter, world_of
from .world import World


def _min_filter(request: web.Request, name: str) -> int | None:
    raw = request.query.get(name)
    if raw is None:
        return None
    try:
        return int(raw)
    except ValueError:  # nova/api/openstack/compute/flavors.py
        raise ApiError(400, f"Invalid {name} filter [{raw}]") from None


def _flavor_list(request: web.Request) -> list[dict]:
    """Flavors by id, filtered as Nova filters them for the caller (nova_flavors_admin: is_public, access)."""
    wanted = is_public_filter(request)
    min_ram, min_disk = _min_filter(request, "minRam"), _min_filter(request, "minDisk")
    flavors = sorted(world_of(request).flavors.values(), key=lambda f: f["id"])
    flavors = [f for f in flavors if flavors_admin.listed(request, f, wanted)]
    if min_ram is not None:
        flavors = [f for f in flavors if f["ram"] >= min_ram]
    if min_disk is not None:
        flavors = [f for f in flavors if f["disk"] >= min_disk]
    return flavors


async def _flavors(request: web.Request, detail: bool) -> web.Response:
    """A page of flavors (limit and marker, by id, as Nova's common.get_limit_and_marker reads them)."""
    world, mv = world_of(request), _mv(request)
    page, links = _page(request, _flavor_list(request), "flavors")
    body: dict = {"flavors": [nova.flavor_view(world, f, mv, detail=detail) for f in page]}
    if links:
        body["flavors_links"] = links
    return json_response(body)


async def list_flavors(request: web.Request) -> web.Response:
    return await _flavors(request, detail=False)


async def list_flavors_detail(request: web.Request) -> web.Response:
    return await _flavors(request, detail=True)


def _flavor(request: web.Request) -> dict:
    # the CLI looks a flavor up by name through this route first (a 404 sends it to the list)
    return flavors_admin.find(request)


async def show_flavor(request: web.Request) -> web.Response:
    return json_response({"flavor": nova.flavor_view(world_of(request), _flavor(request), _mv(request))})


async def flavor_extra_specs(request: web.Request) -> web.Response:
    return json_response({"extra_specs": dict(_flavor(request)["extra_specs"])})


async def flavor_extra_spec(request: web.Request) -> web.Response:
    flavor = _flavor(request)
    key = request.match_info["key"]
    if key not in flavor["extra_specs"]:
        raise ApiError(404, f"Flavor {flavor['id']} has no extra specs with key {key}.")
    return json_response({key: flavor["extra_specs"][key]})


def _keypair_user(request: web.Request, action: str, asked: str | None = None) -> str:
    """Whose keypairs: from 2.10 an admin may name another user (`user_id` in the query or the create body);
    Nova's policy `admin_api or user_id:%(user_id)s` refuses anyone else (keypairs.py, policies/keypairs.py)."""
    own = ctx_of(request)["user_id"]
    if _mv(request) < (2, 10):
        return own
    user_id = asked or request.query.get("user_id") or own
    if user_id != own and not is_admin(request):
        raise policy_refused(f"os_compute_api:os-keypairs:{action}")
    return user_id


async def list_keypairs(request: web.Request) -> web.Response:
    world, mv = world_of(request), _mv(request)
    user_id = _keypair_user(request, "index")
    pairs = [k for (uid, _name), k in sorted(world.keypairs.items()) if uid == user_id]
    return json_response({"keypairs": [{"keypair": nova.keypair_view(k, mv)} for k in pairs]})


async def create_keypair(request: web.Request) -> web.Response:
    world, mv = world_of(request), _mv(request)
    body = await read_json(request)
    spec = body.get("keypair") if isinstance(body, dict) else None
    if not isinstance(spec, dict) or not isinstance(spec.get("name"), str):
        raise _bad_input("keypair", spec, "'name' is a required property")
    name = spec["name"]
    if not name.strip() or len(name) > 255 or not re.fullmatch(r"[\w .@-]+", name):
        raise ApiError(400, "Keypair data is invalid: Keypair name contains unsafe characters")
    user_id = _keypair_user(request, "create", spec.get("user_id") if isinstance(spec.get("user_id"), str) else None)
    public_key = spec.get("public_key")
    private_key = None
    if public_key is None:
        if mv >= (2, 92):
            raise _bad_input("keypair", spec, "'public_key' is a required property")
        import asyncssh

        key = asyncssh.generate_private_key("ssh-rsa", key_size=2048)
        private_key = key.export_private_key("pkcs1-pem").decode()
        public_key = key.export_public_key("openssh").decode().strip() + " Generated-by-Nova"
    else:
        try:
            import asyncssh

            asyncssh.import_public_key(public_key)
        except Exception:
            raise ApiError(400, "Keypair data is invalid: failed to generate fingerprint") from None
    keypair = nova.add_keypair(world, user_id, name, public_key, spec.get("type", "ssh"))
    view = nova.keypair_view(keypair, mv)
    view["user_id"] = user_id
    if private_key is not None:
        view = {"private_key": private_key, **view}
    return json_response({"keypair": view}, 201 if mv >= (2, 2) else 200)


def _keypair(request: web.Request, action: str) -> dict:
    name = request.match_info["name"]
    user_id = _keypair_user(request, action)
    keypair = world_of(request).keypairs.get((user_id, name))
    if keypair is None:
        raise ApiError(404, f"Keypair {name} not found for user {user_id}")
    return keypair


async def show_keypair(request: web.Request) -> web.Response:
    return json_response({"keypair": nova.keypair_view(_keypair(request, "show"), _mv(request), full=True)})


async def delete_keypair(request: web.Request) -> web.Response:
    keypair = _keypair(request, "delete")
    del world_of(request).keypairs[(keypair["user_id"], keypair["name"])]
    return no_content(202 if _mv(request) < (2, 2) else 204)


_QUOTA_DEFAULTS = {"cores": 20, "instances": 10, "ram": 51200, "key_pairs": 100, "metadata_items": 128,
                   "server_groups": 10, "server_group_members": 10, "injected_file_content_bytes": 10240,
                   "injected_file_path_bytes": 255, "injected_files": 5, "fixed_ips": -1, "floating_ips": -1,
                   "security_group_rules": -1, "security_groups": -1}


def _quota_keys(mv: tuple[int, int]) -> list[str]:
    keys = sorted(_QUOTA_DEFAULTS)
    if mv >= (2, 36):
        keys = [k for k in keys if k not in ("fixed_ips", "floating_ips", "security_group_rules", "security_groups")]
    if mv >= (2, 57):
        keys = [k for k in keys if not k.startswith("injected_file")]
    return keys


def _quota_values(world: World, project_id: str) -> dict[str, int]:
    return {**_QUOTA_DEFAULTS, **world.quotas.get(project_id, {}).get("compute", {})}


def _quota_project(request: web.Request) -> str:
    project_id = request.match_info["project_id"]
    if project_id != ctx_of(request)["project_id"]:
        raise ApiError(403, "Policy doesn't allow os_compute_api:os-quota-sets:show to be performed.")
    return project_id


async def quota_set(request: web.Request) -> web.Response:
    world, mv = world_of(request), _mv(request)
    project_id = _quota_project(request)
    if request.method == "PUT":
        raise ApiError(403, "Policy doesn't allow os_compute_api:os-quota-sets:update to be performed.")
    values = _quota_values(world, project_id)
    detail = request.path.endswith("/detail")
    used = nova.usage(world, project_id)
    body = {"id": project_id}
    for key in _quota_keys(mv):
        body[key] = {"limit": values[key], "in_use": used.get(key, 0), "reserved": 0} if detail else values[key]
    return json_response({"quota_set": body})


async def quota_defaults(request: web.Request) -> web.Response:
    mv = _mv(request)
    project_id = _quota_project(request)
    return json_response({"quota_set": {"id": project_id, **{k: _QUOTA_DEFAULTS[k] for k in _quota_keys(mv)}}})


async def limits(request: web.Request) -> web.Response:
    world, mv = world_of(request), _mv(request)
    project_id = ctx_of(request)["project_id"]
    values = _quota_values(world, project_id)
    used = nova.usage(world, project_id)
    absolute = {"maxTotalCores": values["cores"], "maxPersonality": values["injected_files"],
                "maxPersonalitySize": values["injected_file_content_bytes"],
                "maxTotalInstances": values["instances"], "maxTotalKeypairs": values["key_pairs"],
                "maxServerMeta": values["metadata_items"], "maxImageMeta": 128, "maxTotalRAMSize": values["ram"],
                "maxServerGroups": values["server_groups"], "maxServerGroupMembers": values["server_group_members"],
                "maxTotalFloatingIps": -1, "maxSecurityGroups": -1, "maxSecurityGroupRules": -1,
                "totalRAMUsed": used["ram"], "totalCoresUsed": used["cores"],
                "totalInstancesUsed": used["instances"], "totalFloatingIpsUsed": 0, "totalSecurityGroupsUsed": 0,
                "totalServerGroupsUsed": used["server_groups"]}
    if mv >= (2, 36):
        for key in ("maxTotalFloatingIps", "maxSecurityGroups", "maxSecurityGroupRules", "totalFloatingIpsUsed",
                    "totalSecurityGroupsUsed"):
            del absolute[key]
    if mv >= (2, 39):
        del absolute["maxImageMeta"]
    if mv >= (2, 57):
        del absolute["maxPersonality"], absolute["maxPersonalitySize"]
    return json_response({"limits": {"rate": [], "absolute": absolute}})


async def availability_zones(request: web.Request) -> web.Response:
    return json_response({"availabilityZoneInfo": [{"zoneName": nova.AZ, "zoneState": {"available": True},
                                                    "hosts": None}]})

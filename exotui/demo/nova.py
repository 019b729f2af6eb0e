"""Nova's model in the demo cloud: flavors, keypairs, servers, their transitions and API views.

The HTTP handlers are in nova_api.py; the state rules in nova_rules.py.
"""

from __future__ import annotations

import base64
import hashlib
import secrets

from . import cinder, neutron
from .common import ApiError, iso_micro, iso_z, new_id
from .nova_rules import RUNNING, SETTLED, SHUTDOWN, Rule, Step, status_of
from .world import World

MIN_VERSION, MAX_VERSION = "2.1", "2.104"
COMPUTE_HOST = "demo-compute-1"
AZ = "nova"


# --- flavors and keypairs -----------------------------------------------------------------

def add_flavor(world: World, flavor_id: str, name: str, vcpus: int, ram_mb: int, disk_gb: int,
               extra_specs: dict) -> dict:
    flavor = {"id": flavor_id, "name": name, "vcpus": vcpus, "ram": ram_mb, "disk": disk_gb, "ephemeral": 0,
              "swap": 0, "is_public": True, "description": None, "extra_specs": dict(extra_specs)}
    world.flavors[flavor_id] = flavor
    return flavor


def instance_flavor(world: World, server: dict, flavor_id: str | None = None) -> dict:
    """The flavor a server was built with (or resized from): Nova keeps a copy on the instance, so deleting the
    flavor leaves the server's view and quota usage as they were (nova_flavors_admin.delete_flavor)."""
    fid = flavor_id or server["_flavor_id"]
    return world.flavors.get(fid) or server.get("_flavor_copies", {}).get(fid) or {}


def fingerprint(public_key: str) -> str:
    """The MD5 fingerprint Nova shows for a public key (aa:bb:...)."""
    try:
        blob = base64.b64decode(public_key.split()[1])
    except (IndexError, ValueError):
        raise ApiError(400, "Keypair data is invalid: failed to generate fingerprint") from None
    digest = hashlib.md5(blob).hexdigest()
    return ":".join(digest[i:i + 2] for i in range(0, 32, 2))


def add_keypair(world: World, user_id: str, name: str, public_key: str, key_type: str = "ssh") -> dict:
    if (user_id, name) in world.keypairs:
        raise ApiError(409, f"Key pair '{name}' already exists.")
    keypair = {"name": name, "public_key": public_key.strip(), "fingerprint": fingerprint(public_key),
               "user_id": user_id, "type": key_type, "created_at": iso_micro(world.now()),
               "id": len(world.keypairs) + 1}
    world.keypairs[(user_id, name)] = keypair
    return keypair


# --- servers --------------------------------------------------------------------------------

def _new_server(world: World, project_id: str, user_id: str, name: str, flavor_id: str, image_id: str | None,
                key_name: str | None, metadata: dict | None, description: str | None) -> dict:
    now = world.now()
    server = {
        "id": new_id(world), "name": name, "tenant_id": project_id, "user_id": user_id,
        "image": {"id": image_id} if image_id else "", "_flavor_id": flavor_id, "_old_flavor_id": None,
        "key_name": key_name, "metadata": dict(metadata or {}), "description": description,
        "hostname": _hostname(name), "locked": False, "locked_reason": None, "tags": [],
        "OS-EXT-STS:vm_state": "building", "OS-EXT-STS:task_state": "scheduling",
        "OS-EXT-STS:power_state": 0, "status": "BUILD", "fault": None,
        "_created": now, "_updated": now, "_launched": None, "_terminated": None, "_host": None,
        "_deleted": False, "_history": [], "_password": "", "_attach_order": [],
    }
    world.servers[server["id"]] = server
    _record(server)
    return server


def _hostname(name: str) -> str:
    cleaned = "".join(c if c.isalnum() or c == "-" else "-" for c in name.lower()).strip("-")
    return cleaned[:63] or "server"


def boot(world: World, project_id: str, user_id: str, name: str, flavor_id: str, image_id: str,
         network_ids: list[str], *, key_name: str | None = None, security_groups: list[str] | None = None,
         status: str = "ACTIVE", metadata: dict | None = None, description: str | None = None) -> dict:
    """Create a server directly in a settled state (the seed's way; the API goes through BUILD)."""
    server = _new_server(world, project_id, user_id, name, flavor_id, image_id, key_name, metadata, description)
    plug_networks(world, server, network_ids, security_groups or ["default"])
    vm_state, power = SETTLED[status]
    server["_launched"] = server["_created"]
    server["_host"] = None if vm_state == "shelved_offloaded" else COMPUTE_HOST
    if status == "ERROR":
        server["fault"] = {"code": 500, "created": iso_z(server["_created"]), "message": NO_VALID_HOST}
    _set(world, server, None, vm_state, power)
    return server


def plug_networks(world: World, server: dict, network_ids: list[str], group_names: list[str]) -> None:
    """Give the server a port on each network, in the named security groups."""
    project_id = server["tenant_id"]
    group_ids = []
    for name in group_names:
        group = neutron.find_security_group(world, project_id, name)
        if group is None:
            if name == "default":
                group = neutron.ensure_default_security_group(world, project_id)
            else:
                raise ApiError(400, f"Security group {name} not found.")
        if group["id"] not in group_ids:
            group_ids.append(group["id"])
    for network_id in network_ids:
        neutron.create_port(world, project_id, network_id, device_id=server["id"],
                            device_owner=f"compute:{AZ}", security_group_ids=group_ids)


def _set(world: World, server: dict, task_state: str | None, vm_state: str | None = None,
         power: int | None = None) -> None:
    """Move the server to a new (task_state, vm_state, power) and tell whoever listens."""
    if vm_state is not None:
        server["OS-EXT-STS:vm_state"] = vm_state
    if power is not None:
        server["OS-EXT-STS:power_state"] = power
    server["OS-EXT-STS:task_state"] = task_state
    server["status"] = status_of(server["OS-EXT-STS:vm_state"], task_state)
    server["_updated"] = world.now()
    _record(server)
    world.changed("server", server["id"])


def _record(server: dict) -> None:
    """Keep the visible sequence (the oracle's format) so tests can compare it with real Nova's."""
    step = "/".join([server["status"], str(server["OS-EXT-STS:task_state"]), server["OS-EXT-STS:vm_state"],
                     str(server["OS-EXT-STS:power_state"])])
    if server["locked"]:
        step += "/locked"
    history = server["_history"]
    if not history or history[-1] != step:
        history.append(step)


def run_steps(world: World, server: dict, steps: tuple[Step, ...], done=None) -> None:
    """Apply the first step now and each later one after its delay; then call `done(server)`."""

    def apply(index: int) -> None:
        if server["_deleted"] and steps[index].vm_state != "deleted":
            return  # deleted meanwhile: an older action's steps stop here
        step = steps[index]
        _set(world, server, step.task_state, step.vm_state, step.power)
        if index + 1 < len(steps):
            world.later(steps[index + 1].delay, lambda: apply(index + 1))
        elif done is not None:
            done(server)

    if steps:
        if steps[0].delay:
            world.later(steps[0].delay, lambda: apply(0))
        else:
            apply(0)
    elif done is not None:
        done(server)


# the event each action's compute (or conductor) step is recorded under, where it is not
# compute_<action>_instance (nova/compute/manager.py wrap_instance_event names)
EVENT_NAMES = {"create": "compute__do_build_and_run_instance", "delete": "compute_terminate_instance",
               "resize": "compute_prep_resize", "confirmResize": "compute_confirm_resize",
               "revertResize": "compute_revert_resize", "createImage": "compute_snapshot_instance",
               "attach_volume": "compute_attach_volume", "detach_volume": "compute_detach_volume"}
NO_VALID_HOST = "No valid host was found. There are not enough hosts available."


def record_action(world: World, server: dict, action: str, request_id: str, user_id: str,
                  message: str | None = None, *, result: str = "Success", event: str | None = None,
                  at=None) -> dict:
    """Nova's instance action with its one event. A failed one has message "Error" and its event's result
    "Error" (what a member sees: the traceback and the details are an admin's)."""
    now = iso_micro(at or world.now())
    if result != "Success" and message is None:
        message = "Error"
    entry = {"action": action, "instance_uuid": server["id"], "request_id": request_id or f"req-{new_id(world)}",
             "user_id": user_id, "project_id": server["tenant_id"], "start_time": now, "message": message,
             "updated_at": now,
             "events": [{"event": event or EVENT_NAMES.get(action, f"compute_{action}_instance"), "start_time": now,
                         "finish_time": now, "result": result, "hostId": host_id(server)}]}
    world.instance_actions.setdefault(server["id"], []).insert(0, entry)
    return entry


def fail_build(world: World, server: dict, request_id: str, user_id: str, reason: str = NO_VALID_HOST) -> None:
    """The scheduler found no host: ERROR with Nova's fault, no ports, a failed `create` action."""
    server["fault"] = {"code": 500, "created": iso_z(world.now()), "message": reason}
    record_action(world, server, "create", request_id, user_id, result="Error",
                  event="conductor_schedule_and_build_instances")
    _set(world, server, None, "error", 0)


def start_build(world: World, server: dict) -> None:
    """BUILD/scheduling -> networking -> block_device_mapping -> spawning -> ACTIVE."""

    def launched(s: dict) -> None:
        s["_launched"] = world.now()

    server["_host"] = COMPUTE_HOST
    run_steps(world, server, (Step(1.0, "networking"), Step(1.0, "block_device_mapping"), Step(1.0, "spawning"),
                              Step(3.0, None, "active", RUNNING)), done=launched)


def run_rule(world: World, server: dict, action: str, rule: Rule) -> None:
    """Run a state-changing action whose rule already passed `nova_rules.check`."""
    from . import nova_server_admin  # the migration rows; it imports the API module, which imports this one

    done = None
    steps = rule.steps
    if action in ("confirmResize", "revertResize") and server.get("_resized_from_stopped"):
        # a server resized while stopped settles stopped again
        steps = tuple(Step(s.delay, s.task_state, "stopped" if s.vm_state else None,
                           SHUTDOWN if s.vm_state else None) for s in steps)
    if action == "resize":
        server["_resized_from_stopped"] = server["OS-EXT-STS:vm_state"] == "stopped"
        nova_server_admin.record_resize(world, server, server["_old_flavor_id"], server["_flavor_id"])
    elif action == "revertResize":
        server["_flavor_id"], server["_old_flavor_id"] = server["_old_flavor_id"], None
        nova_server_admin.settle_resize(world, server, "reverted")
    elif action == "confirmResize":
        server["_old_flavor_id"] = None
        nova_server_admin.settle_resize(world, server, "confirmed")
    elif action == "shelve":
        def offloaded(s: dict) -> None:
            s["_host"] = None
        done = offloaded
    elif action == "unshelve":
        server["_host"] = COMPUTE_HOST
    run_steps(world, server, steps, done)


def delete(world: World, server: dict) -> None:
    """Nova's delete: `deleting`, then gone; ports freed, volumes detached, the row kept as DELETED."""

    def gone(s: dict) -> None:
        s["_deleted"] = True
        for group in world.server_groups.values():  # a deleted server leaves its groups
            if s["id"] in group["members"]:
                group["members"].remove(s["id"])
        s["_terminated"] = world.now()
        for port in neutron.device_ports(world, s["id"]):  # the user's own ports are unbound, kept
            if port["id"] in s.get("_user_ports", ()):
                neutron.set_port_device(world, port, "", "")
            else:
                neutron.delete_port(world, port["id"])
        for attachment in cinder.attachments_of(world, s["id"]):
            cinder.detach(world, attachment["volume_id"], s["id"], instant=True)
            if attachment["delete_on_termination"]:
                cinder.delete_with_server(world, attachment["volume_id"])
        world.changed("server", s["id"])

    if server["OS-EXT-STS:vm_state"] == "shelved_offloaded":
        _set(world, server, None, "deleted", 0)
        gone(server)
        return
    if server["OS-EXT-STS:vm_state"] == "resized":
        # real Nova reverts the pending resize first: ACTIVE/None/active, then DELETED
        server["_old_flavor_id"] = None
        _set(world, server, None, "active")
        run_steps(world, server, (Step(1.5, None, "deleted", 0),), gone)
        return
    run_steps(world, server, (Step(0, "deleting"), Step(1.5, None, "deleted", 0)), gone)


def attach_volume(world: World, server: dict, volume_id: str, *, instant: bool = False) -> dict:
    """Attach through Cinder on the next free /dev/sdX; returns Cinder's attachment."""
    used = {a.get("device") for a in cinder.attachments_of(world, server["id"])}
    device = next(f"/dev/sd{c}" for c in "bcdefghijklmnopqrstuvwxyz" if f"/dev/sd{c}" not in used)
    return cinder.attach(world, volume_id, server["id"], device, instant=instant)


# --- views ----------------------------------------------------------------------------------

def host_id(server: dict) -> str:
    if not server["_host"]:
        return ""
    return hashlib.sha224((server["tenant_id"] + server["_host"]).encode()).hexdigest()


def links(world: World, kind: str, ident: str) -> list[dict]:
    base = world.base_url + "/compute"
    return [{"rel": "self", "href": f"{base}/v2.1/{kind}/{ident}"},
            {"rel": "bookmark", "href": f"{base}/{kind}/{ident}"}]


def bookmark(world: World, kind: str, ident: str) -> list[dict]:
    return [{"rel": "bookmark", "href": f"{world.base_url}/compute/{kind}/{ident}"}]


_PROGRESS = {"ACTIVE", "BUILD", "REBUILD", "RESIZE", "VERIFY_RESIZE", "MIGRATING"}


def server_view(world: World, server: dict, mv: tuple[int, int], *, show: bool = False, admin: bool = False) -> dict:
    """A server as Nova shows it to its owner at microversion `mv`; `admin`: with the extended server
    attributes Nova's default policy (os-extended-server-attributes) shows to admins only."""
    flavor = instance_flavor(world, server)
    deleted = server["_deleted"]
    view = {
        "accessIPv4": "", "accessIPv6": "",
        "addresses": {} if deleted else neutron.server_addresses(world, server["id"], cached=True),
        "created": iso_z(server["_created"]),
    }
    if mv >= (2, 47):
        view["flavor"] = {"vcpus": flavor.get("vcpus"), "ram": flavor.get("ram"), "disk": flavor.get("disk"),
                          "ephemeral": flavor.get("ephemeral", 0), "swap": flavor.get("swap", 0),
                          "original_name": flavor.get("name"), "extra_specs": dict(flavor.get("extra_specs", {}))}
    else:
        view["flavor"] = {"id": server["_flavor_id"], "links": bookmark(world, "flavors", server["_flavor_id"])}
    view["hostId"] = host_id(server)
    view["id"] = server["id"]
    image = server["image"]
    if image:
        view["image"] = {"id": image["id"], "links": bookmark(world, "images", image["id"])}
        if mv >= (2, 98):
            view["image"]["properties"] = {}
    else:
        view["image"] = ""
    view.update({
        "links": links(world, "servers", server["id"]),
        "metadata": dict(server["metadata"]),
        "name": server["name"],
        "status": server["status"],
        "tenant_id": server["tenant_id"],
        "user_id": server["user_id"],
        "updated": iso_z(server["_updated"]),
        "OS-DCF:diskConfig": "MANUAL",
    })
    if server["status"] in _PROGRESS:
        view["progress"] = 0
    view.update({
        "OS-EXT-AZ:availability_zone": AZ,
        "config_drive": "",
        "key_name": server["key_name"],
        "OS-SRV-USG:launched_at": iso_micro(server["_launched"]) if server["_launched"] else None,
        "OS-SRV-USG:terminated_at": iso_micro(server["_terminated"]) if server["_terminated"] else None,
        "OS-EXT-STS:task_state": server["OS-EXT-STS:task_state"],
        "OS-EXT-STS:vm_state": server["OS-EXT-STS:vm_state"],
        "OS-EXT-STS:power_state": server["OS-EXT-STS:power_state"],
        "os-extended-volumes:volumes_attached": [] if deleted else [
            ({"id": a["volume_id"], "delete_on_termination": a["delete_on_termination"]} if mv >= (2, 3)
             else {"id": a["volume_id"]})
            for a in cinder.attachments_of(world, server["id"])],
    })
    if server["fault"] and server["status"] in ("ERROR", "DELETED"):
        view["fault"] = dict(server["fault"])
    if mv >= (2, 9):
        view["locked"] = server["locked"]
    if mv >= (2, 19):
        view["description"] = server["description"]
    if mv >= (2, 26):
        view["tags"] = list(server["tags"])
    if mv >= (2, 63):
        view["trusted_image_certificates"] = None
    if mv >= (2, 73):
        view["locked_reason"] = server["locked_reason"]
    if admin:
        view.update(_admin_attributes(server, mv))
    elif mv >= (2, 90):
        view["OS-EXT-SRV-ATTR:hostname"] = server["hostname"]
    if mv >= (2, 96):
        view["pinned_availability_zone"] = None
    if mv >= (2, 100):
        view["scheduler_hints"] = {}
    if show and mv >= (2, 71):
        view["server_groups"] = [g["id"] for g in world.server_groups.values() if server["id"] in g["members"]]
    if not deleted:
        names = security_group_names(world, server)
        if names:
            view["security_groups"] = [{"name": n} for n in names]
    return view


def _admin_attributes(server: dict, mv: tuple[int, int]) -> dict:
    """nova/api/openstack/compute/views/servers.py: host, instance name and hypervisor always; from 2.3 the
    reservation, launch index, kernel and ramdisk, hostname, root device and the user data as it was sent."""
    host = server.get("_host")
    view = {"OS-EXT-SRV-ATTR:host": host, "OS-EXT-SRV-ATTR:hypervisor_hostname": host,
            "OS-EXT-SRV-ATTR:instance_name": f"instance-{int(server['id'][:8], 16) % 10**8:08x}"}
    if mv >= (2, 3):
        view.update({"OS-EXT-SRV-ATTR:reservation_id": server.get("_reservation_id", ""),
                     "OS-EXT-SRV-ATTR:launch_index": server.get("_launch_index", 0),
                     "OS-EXT-SRV-ATTR:kernel_id": "", "OS-EXT-SRV-ATTR:ramdisk_id": "",
                     "OS-EXT-SRV-ATTR:hostname": server["hostname"],
                     "OS-EXT-SRV-ATTR:root_device_name": "/dev/vda",
                     "OS-EXT-SRV-ATTR:user_data": server.get("_user_data")})
    return view


def security_group_names(world: World, server: dict) -> list[str]:
    names: list[str] = []
    for port in neutron.device_ports(world, server["id"]):
        for group_id in port.get("security_groups", []):
            group = world.security_groups.get(group_id)
            if group and group["name"] not in names:
                names.append(group["name"])
    return names


def flavor_view(world: World, flavor: dict, mv: tuple[int, int], detail: bool = True) -> dict:
    view = {"id": flavor["id"], "name": flavor["name"]}
    if not detail:
        view["links"] = links(world, "flavors", flavor["id"])
        if mv >= (2, 55):
            view["description"] = flavor["description"]
        return view
    view.update({"ram": flavor["ram"], "disk": flavor["disk"],
                 "swap": flavor["swap"] if mv >= (2, 75) else (flavor["swap"] or ""),
                 "OS-FLV-EXT-DATA:ephemeral": flavor["ephemeral"]})
    if mv < (2, 102):  # Nova drops both at 2.102 (not 2.75): real Nova 34 showed them at 2.100
        view["OS-FLV-DISABLED:disabled"] = False
    view["vcpus"] = flavor["vcpus"]
    view["os-flavor-access:is_public"] = flavor["is_public"]
    if mv < (2, 102):
        view["rxtx_factor"] = flavor.get("rxtx_factor", 1.0)
    view["links"] = links(world, "flavors", flavor["id"])
    if mv >= (2, 55):
        view["description"] = flavor["description"]
    if mv >= (2, 61):
        view["extra_specs"] = dict(flavor["extra_specs"])
    return view


def keypair_view(keypair: dict, mv: tuple[int, int], *, full: bool = False) -> dict:
    view = {"name": keypair["name"], "public_key": keypair["public_key"], "fingerprint": keypair["fingerprint"]}
    if full:
        view.update({"user_id": keypair["user_id"], "created_at": keypair["created_at"], "deleted": False,
                     "deleted_at": None, "id": keypair["id"], "updated_at": None})
    if mv >= (2, 2):
        view["type"] = keypair["type"]
    return view


def usage(world: World, project_id: str) -> dict[str, int]:
    """What the project's live servers hold against its compute quota."""
    servers = world.project_servers(project_id)
    cores = ram = 0
    for server in servers:
        flavor = instance_flavor(world, server)
        cores += flavor.get("vcpus", 0)
        ram += flavor.get("ram", 0)
    keypairs = sum(1 for (uid, _n) in world.keypairs)  # key pairs are per user; one demo user
    groups = sum(1 for g in world.server_groups.values() if g["project_id"] == project_id)
    return {"instances": len(servers), "cores": cores, "ram": ram, "key_pairs": keypairs, "server_groups": groups}


def check_quota(world: World, project_id: str, flavor: dict, count: int = 1, *, least: int | None = None,
                replacing: dict | None = None) -> int:
    """How many of `count` servers of `flavor` Nova builds (nova/compute/api.py `_check_num_instances_quota`):
    all of them if they fit, else as many as the headroom of instances, cores and RAM allows if that is at least
    `least` (min_count); otherwise 403 as Nova words it ("Quota exceeded for cores, ram: Requested ...")."""
    least = count if least is None else least
    used = usage(world, project_id)
    wanted = {"instances": 0 if replacing else count, "cores": flavor["vcpus"] * count,
              "ram": flavor["ram"] * count}
    if replacing:
        wanted["cores"] -= replacing["vcpus"]
        wanted["ram"] -= replacing["ram"]
    limits = {r: world.quota(project_id, "compute", r) for r in ("instances", "cores", "ram")}
    overs = sorted(r for r in ("instances", "cores", "ram")  # sorted, as Quotas.check_deltas lists them
                   if limits[r] >= 0 and wanted[r] > 0 and used[r] + wanted[r] > limits[r])
    if not overs:
        return count
    if not replacing:
        headroom = {r: (limits[r] - used[r]) if limits[r] >= 0 else count for r in limits}
        allowed = headroom["instances"]
        if flavor["vcpus"]:
            allowed = min(allowed, headroom["cores"] // flavor["vcpus"])
        if flavor["ram"]:
            allowed = min(allowed, headroom["ram"] // flavor["ram"])
        if 0 < allowed and least <= allowed <= count:
            return allowed
    requested = {**wanted, "instances": str(count) if least == count else f"{least}-{count}"}
    raise ApiError(403, "Quota exceeded for {0}: Requested {1}, but already used {2} of {3} {0}".format(
        ", ".join(overs), ", ".join(str(requested[r]) for r in overs), ", ".join(str(used[r]) for r in overs),
        ", ".join(str(limits[r]) for r in overs)))


def admin_pass() -> str:
    return secrets.token_urlsafe(9)

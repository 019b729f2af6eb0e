"""What the demo cloud holds at start: a Jetstream2-like user with two allocations."""

from __future__ import annotations

import datetime as dt

from . import cinder, glance, keystone, neutron, nova, nova_groups
from .common import iso_micro
from .world import World

DEMO_USER = "demo"
DEMO_PASSWORD = "exotui-demo-password"  # a demo cloud's password: known, printed nowhere
DEMO_KEYPAIR = "exotui-demo"
# (project name, description); the first is the one clouds.yaml scopes to
DEMO_PROJECTS = [
    ("BIO230045", "Genome assembly pipelines on Jetstream2"),
    ("CIS240112", "Workshop: cloud computing for researchers"),
]
DEMO_APPCRED_ID = "a7c3e2d1f0b94c5e8d6a1b2c3d4e5f60"
DEMO_APPCRED_SECRET = "exotui-demo-appcred-secret"

# Jetstream2's flavors (docs.jetstream-cloud.org, "Instance Flavors"): name, vCPU, RAM GiB, root disk GB,
# extra specs. g3 flavors are A100 vGPU slices; g3.xl is a whole A100 (PCI passthrough).
FLAVORS = [
    ("m3.tiny", 1, 3, 20, {}),
    ("m3.small", 2, 6, 20, {}),
    ("m3.quad", 4, 15, 20, {}),
    ("m3.medium", 8, 30, 60, {}),
    ("m3.large", 16, 60, 60, {}),
    ("m3.xl", 32, 125, 60, {}),
    ("m3.2xl", 64, 250, 60, {}),
    ("r3.large", 64, 500, 60, {"trait:CUSTOM_LARGE_MEMORY": "required"}),
    ("r3.xl", 128, 1000, 60, {"trait:CUSTOM_LARGE_MEMORY": "required"}),
    ("g3.small", 4, 15, 60, {"resources:VGPU": "1", "trait:CUSTOM_VGPU_A100_8C": "required"}),
    ("g3.medium", 8, 30, 60, {"resources:VGPU": "1", "trait:CUSTOM_VGPU_A100_10C": "required"}),
    ("g3.large", 16, 60, 60, {"resources:VGPU": "1", "trait:CUSTOM_VGPU_A100_20C": "required"}),
    ("g3.xl", 32, 120, 60, {"pci_passthrough:alias": "a100:1"}),
]

IMAGES = [
    ("Featured-Ubuntu24", {"os_distro": "ubuntu", "os_version": "24.04", "os_type": "linux",
                           "hw_scsi_model": "virtio-scsi", "default_user": "ubuntu"}),
    ("Featured-Ubuntu22", {"os_distro": "ubuntu", "os_version": "22.04", "os_type": "linux",
                           "hw_scsi_model": "virtio-scsi", "default_user": "ubuntu"}),
    ("Featured-RockyLinux9", {"os_distro": "rocky", "os_version": "9", "os_type": "linux",
                              "default_user": "rocky"}),
]

# name, flavor, image, final status, floating IP?, extra security group?, volume (name, GB) or None
SERVERS = {
    0: [
        ("web-frontend", "m3.small", "Featured-Ubuntu24", "ACTIVE", True, True, ("scratch-data", 100)),
        ("gpu-training", "g3.large", "Featured-Ubuntu22", "ACTIVE", True, True, ("results", 500)),
        ("analysis-rocky", "m3.medium", "Featured-RockyLinux9", "SHUTOFF", True, True, None),
        ("notebook", "m3.quad", "Featured-Ubuntu24", "SUSPENDED", True, True, None),
        ("archive-node", "m3.large", "Featured-Ubuntu22", "SHELVED_OFFLOADED", False, True, None),
        ("broken-build", "m3.tiny", "Featured-Ubuntu24", "ERROR", False, False, None),
        ("bigmem-assembly", "r3.large", "Featured-RockyLinux9", "ACTIVE", False, True, None),
        ("db-primary", "m3.medium", "Featured-Ubuntu24", "ACTIVE", True, False, None),
    ],
    1: [
        ("workshop-vm-1", "m3.small", "Featured-Ubuntu24", "ACTIVE", True, True, None),
        ("workshop-vm-2", "m3.small", "Featured-Ubuntu24", "SHUTOFF", False, True, None),
    ],
}
BULK_STATUSES = ["ACTIVE"] * 7 + ["SHUTOFF", "SUSPENDED", "SHELVED_OFFLOADED"]

NOVA_QUOTA = {"instances": 20, "cores": 256, "ram": 1000 * 1024, "key_pairs": 100, "metadata_items": 128,
              "server_groups": 10, "server_group_members": 10}
NEUTRON_QUOTA = {"network": 100, "subnet": 100, "port": 250, "router": 10, "floatingip": 10,
                 "security_group": 50, "security_group_rule": 300, "rbac_policy": 10, "subnetpool": -1}
CINDER_QUOTA = {"volumes": 10, "gigabytes": 1000, "snapshots": 10, "backups": 10, "backup_gigabytes": 1000,
                "per_volume_gigabytes": -1, "groups": 10}


def populate(world: World) -> None:
    """Fill an empty world. Deterministic for a given knobs.seed (names, states, sizes)."""
    now = world.now()
    world.domains["default"] = {"id": "default", "name": "Default"}
    for role in ("reader", "member", "admin"):
        rid = _hid(world)
        world.roles[rid] = {"id": rid, "name": role}
    role_id = {r["name"]: r["id"] for r in world.roles.values()}
    user_id = _hid(world)
    projects = []
    for name, description in DEMO_PROJECTS:
        pid = _hid(world)
        world.projects[pid] = {"id": pid, "name": name, "domain_id": "default", "description": description}
        world.assignments += [(user_id, pid, role_id["reader"]), (user_id, pid, role_id["member"])]
        projects.append(pid)
    world.users[user_id] = {"id": user_id, "name": DEMO_USER, "domain_id": "default", "enabled": True,
                            "password": DEMO_PASSWORD, "default_project_id": projects[0]}
    keystone.create_app_cred(world, user_id, projects[0], "exotui-demo", secret=DEMO_APPCRED_SECRET,
                             cred_id=DEMO_APPCRED_ID, description="exotui demo application credential",
                             expires_at=iso_micro(now + dt.timedelta(days=30)))

    for i, (name, vcpus, ram_gib, disk, specs) in enumerate(FLAVORS, start=1):
        nova.add_flavor(world, str(i), name, vcpus, ram_gib * 1024, disk, specs)
    images = {name: glance.add_image(world, name, properties=props, min_disk=20, size=4_600_000_000 + i)["id"]
              for i, (name, props) in enumerate(IMAGES)}
    flavor_by_name = {f["name"]: f["id"] for f in world.flavors.values()}
    nova.add_keypair(world, user_id, DEMO_KEYPAIR, demo_public_key(world))

    admin_pid = "admin"  # the external network belongs to the cloud, not to a user's project
    public = neutron.create_network(world, admin_pid, "public", external=True, shared=False,
                                    description="Jetstream2 public network")
    neutron.create_subnet(world, admin_pid, public["id"], "public-subnet", neutron.PUBLIC_CIDR,
                          gateway_ip=neutron.PUBLIC_GATEWAY, enable_dhcp=False)

    for index, pid in enumerate(projects):
        world.quotas[pid] = {"compute": dict(NOVA_QUOTA), "network": dict(NEUTRON_QUOTA),
                             "volume": dict(CINDER_QUOTA)}
        world.accounting[pid] = _allocations(world, index)
        net = neutron.create_network(world, pid, "auto_allocated_network")
        subnet = neutron.create_subnet(world, pid, net["id"], "auto_allocated_subnet_v4", f"10.{index}.0.0/16")
        router = neutron.create_router(world, pid, "auto_allocated_router", external_network_id=public["id"])
        neutron.add_router_interface(world, router["id"], subnet["id"])
        neutron.ensure_default_security_group(world, pid)
        ssh = neutron.create_security_group(world, pid, "ssh-icmp", "SSH and ICMP from anywhere")
        neutron.create_security_group_rule(world, pid, ssh["id"], "ingress", protocol="tcp",
                                           port_range_min=22, port_range_max=22, remote_ip_prefix="0.0.0.0/0")
        neutron.create_security_group_rule(world, pid, ssh["id"], "ingress", protocol="icmp",
                                           remote_ip_prefix="0.0.0.0/0")
        for name, flavor, image, status, fip, open_ssh, volume in SERVERS.get(index, []):
            groups = ["default", "ssh-icmp"] if open_ssh else ["default"]
            server = nova.boot(world, pid, user_id, name, flavor_by_name[flavor], images[image], [net["id"]],
                               key_name=DEMO_KEYPAIR, security_groups=groups, status=status)
            _backdate(server, world.rng.uniform(0.2, 90))
            if fip:
                port = neutron.device_ports(world, server["id"])[0]
                neutron.create_floating_ip(world, pid, public["id"], port_id=port["id"])
            if volume:
                vol = cinder.create_volume(world, pid, volume[0], volume[1], user_id=user_id, instant=True)
                vol["created_at"] = iso_micro(server["_created"])  # made with its instance
                nova.attach_volume(world, server, vol["id"], instant=True)
        _history(world, pid, user_id)
        if index == 1:
            _fresh_passphrase(world, pid)
        if index == 0:
            _exosphere_built(world, pid)
            _kept_for_later(world, pid, user_id)
            spare = cinder.create_volume(world, pid, "spare", 50, user_id=user_id, instant=True)
            spare["created_at"] = iso_micro(now - dt.timedelta(days=21))
            neutron.create_floating_ip(world, pid, public["id"], description="kept for the next web server")
            if world.knobs.servers:
                _bulk(world, pid, user_id, flavor_by_name, images, public["id"])
    for server in world.servers.values():  # the seed is history: Nova's caches caught up long ago
        server["_addresses"] = None


# What each seeded status was reached by, after its create: (action, event) pairs, oldest first
_HOW_REACHED = {"SHUTOFF": [("stop", None)], "SUSPENDED": [("suspend", None)],
                "SHELVED_OFFLOADED": [("shelve", None)]}
EXOSPHERE_PASSPHRASE = "ash bay cod dew elm fig gum hay ivy jam kit"  # 11 words, like Exosphere's; a tag's 54
EXOSPHERE_FRESH_PASSPHRASE = "oak pea rye sap tea urn vat wax yam zip ant"


def _history(world: World, pid: str, user_id: str) -> None:
    """Each seeded instance's os-instance-actions: its create, how it reached its status, and on
    `analysis-rocky` a resize that failed before it was stopped (a failed action, as Nova records one)."""
    for server in world.project_servers(pid):
        created = server["_created"]
        if server["status"] == "ERROR":
            nova.record_action(world, server, "create", "", user_id, result="Error",
                               event="conductor_schedule_and_build_instances", at=created)
            continue
        nova.record_action(world, server, "create", "", user_id, at=created)
        steps = list(_HOW_REACHED.get(server["status"], []))
        if server["name"] == "analysis-rocky":
            steps.insert(0, ("resize", None))
        for hours, (action, event) in enumerate(steps, start=1):
            failed = server["name"] == "analysis-rocky" and action == "resize"
            nova.record_action(world, server, action, "", user_id, result="Error" if failed else "Success",
                               event=event, at=created + dt.timedelta(hours=hours))


def _exosphere_built(world: World, pid: str) -> None:
    """`notebook` looks built by Exosphere: its metadata, and the exouser passphrase that Exosphere moved
    from os-server-password to an `exoPw:` tag (src/State/State.elm ReceiveServerPassphrase)."""
    server = next(s for s in world.project_servers(pid) if s["name"] == "notebook")
    epoch = int(server["_created"].timestamp() * 1000) + 600_000
    server["metadata"].update({
        "exoServerVersion": "6", "exoClientUuid": "0c1b2f3e-4d5a-4b6c-8d7e-9f0a1b2c3d4e",
        "exoCreatorUsername": "demo@access-ci.org", "exoSetup": f'{{"status":"complete","epoch":{epoch}}}',
        "exoGuac": '{"v":1,"ssh":true,"vnc":false}'})
    server["tags"].append("exoPw:" + EXOSPHERE_PASSPHRASE)


def _kept_for_later(world: World, pid: str, user_id: str) -> None:
    """A volume snapshot taken a week ago, and a server group the assembly instances were launched into,
    so the snapshot and server-group views have something to show."""
    servers = {s["name"]: s for s in world.project_servers(pid)}
    scratch = next(v for v in world.volumes.values() if v["name"] == "scratch-data")
    snapshot = cinder.create_snapshot(world, scratch, "scratch-data-before-upgrade", user_id=user_id,
                                      description="before the Ubuntu 24.04 upgrade")
    snapshot["created_at"] = snapshot["updated_at"] = iso_micro(world.now() - dt.timedelta(days=7))
    group = nova_groups.create_group(world, pid, user_id, "assembly-pipeline", "soft-affinity")
    group["members"] += [servers["bigmem-assembly"]["id"], servers["analysis-rocky"]["id"]]


def _fresh_passphrase(world: World, pid: str) -> None:
    """`workshop-vm-1` was built by Exosphere moments ago: its passphrase is still in os-server-password,
    where the instance's setup POSTed it, not yet moved to a tag."""
    server = next(s for s in world.project_servers(pid) if s["name"] == "workshop-vm-1")
    server["metadata"].update({"exoServerVersion": "6", "exoCreatorUsername": "demo@access-ci.org",
                               "exoSetup": '{"status":"running","epoch":null}'})
    server["_password"] = EXOSPHERE_FRESH_PASSPHRASE


def _backdate(server: dict, days: float) -> None:
    """Seeded instances were made some time ago, as in a real allocation (ages are not all "1s")."""
    server["_created"] = server["_launched"] = server["_created"] - dt.timedelta(days=days)


def _bulk(world: World, pid: str, user_id: str, flavors: dict, images: dict, public_id: str) -> None:
    """`--servers N` generated servers on a network of their own, wide enough for 20,000."""
    net = neutron.create_network(world, pid, "bulk-network")
    neutron.create_subnet(world, pid, net["id"], "bulk-subnet", "10.128.0.0/14")
    flavor_ids = [flavors[n] for n in ("m3.tiny", "m3.small", "m3.quad", "m3.medium", "g3.small")]
    image_ids = list(images.values())
    for i in range(world.knobs.servers):
        rng = world.rng
        nova.boot(world, pid, user_id, f"bulk-{i:05d}", rng.choice(flavor_ids), rng.choice(image_ids),
                  [net["id"]], key_name=DEMO_KEYPAIR, security_groups=["default"],
                  status=rng.choice(BULK_STATUSES))


def _allocations(world: World, index: int) -> list[dict]:
    today = world.now().date()
    start = today - dt.timedelta(days=200)
    end = start + dt.timedelta(days=365)
    project = list(world.projects.values())[index]
    # one allocation per ACCESS resource, a year long; the GPU one was granted later for six months (a guess
    # at how dates differ: the shape is Exosphere's decoder's, src/Rest/Jetstream2Accounting.elm)
    gpu_start = today - dt.timedelta(days=60)
    gpu_end = gpu_start + dt.timedelta(days=182)
    rows = [("jetstream2.indiana.xsede.org", 500_000, 183_412.5 if index == 0 else 12_040.0, start, end),
            ("jetstream2-gpu.indiana.xsede.org", 100_000, 41_220.0 if index == 0 else 0.0, gpu_start, gpu_end),
            ("jetstream2-lm.indiana.xsede.org", 200_000, 96_512.0 if index == 0 else 0.0, start, end),
            ("jetstream2-storage.indiana.xsede.org", 10_000, 2_048.0 if index == 0 else 40.0, start, end)]
    return [{"description": project["description"], "abstract": project["description"],
             "service_units_allocated": allocated, "service_units_used": used,
             "start_date": begin.isoformat(), "end_date": finish.isoformat(), "resource": resource,
             "active": 1} for resource, allocated, used, begin, finish in rows]


def _hid(world: World) -> str:
    return "%032x" % world.rng.getrandbits(128)


# --- the demo user's SSH key ------------------------------------------------------------------

def _demo_key(world: World):
    import asyncssh

    key = getattr(world, "_demo_key", None)
    if key is None:
        key = asyncssh.generate_private_key("ssh-ed25519", comment="exotui-demo")
        world._demo_key = key  # type: ignore[attr-defined]
    return key


def demo_public_key(world: World) -> str:
    return _demo_key(world).export_public_key("openssh").decode().strip()


def demo_private_key_openssh(world: World) -> str:
    return _demo_key(world).export_private_key("openssh").decode()

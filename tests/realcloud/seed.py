"""The real stack's catalog, readiness checks and seed, through openstacksdk as a user would.

Runs inside the stack's venv (stack.py imports it after Keystone answers).
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import configs
import openstack
import yaml
from configs import REGION, Layout, url

PROJECT = "BIO230045"
DEMO_USER = "demo"
IMAGE = "Featured-Ubuntu24"
PRIVATE_NETWORK = "auto_allocated_network"
KEYPAIR = "exotui-demo"
APP_CREDENTIAL = "exotui-tests"

# Jetstream2's names and sizes (exotui/demo/seed.py). Real Jetstream2 g3 and r3 flavors carry extra
# specs (a VGPU resource, custom traits, a PCI alias) that this one fake host cannot satisfy, so here
# they are left out: the names are what exotui's Jetstream2 rules read.
FLAVORS = [("m3.tiny", 1, 3, 20), ("m3.small", 2, 6, 20), ("m3.quad", 4, 15, 20), ("m3.medium", 8, 30, 60),
           ("m3.large", 16, 60, 60), ("m3.xl", 32, 125, 60), ("m3.2xl", 64, 250, 60), ("r3.large", 64, 500, 60),
           ("r3.xl", 128, 1000, 60), ("g3.small", 4, 15, 60), ("g3.medium", 8, 30, 60), ("g3.large", 16, 60, 60),
           ("g3.xl", 32, 120, 60)]
ENDPOINTS = [("placement", "placement", url("placement")), ("glance", "image", url("glance")),
             ("neutron", "network", url("neutron")), ("nova", "compute", url("nova") + "/v2.1"),
             ("cinder", "block-storage", url("cinder") + "/v3"), ("cinderv3", "volumev3", url("cinder") + "/v3"),
             ("heat", "orchestration", url("heat") + "/v1/$(project_id)s"),
             ("swift", "object-store", url("swift") + "/v1/AUTH_$(project_id)s"),
             # Manila under both names Jetstream2's catalog has (the sdk asks for shared-file-system,
             # manilaclient for sharev2); since 2.60 no project ID in the address
             ("manila", "shared-file-system", url("manila") + "/v2"), ("manilav2", "sharev2", url("manila") + "/v2"),
             ("magnum", "container-infra", url("magnum") + "/v1")]
SHARE_TYPE = "cephfsnativetype"  # Jetstream2's one share type; here the dummy backend stands behind it


def admin(pw: dict[str, str]) -> openstack.connection.Connection:
    return openstack.connect(auth_url=url("keystone") + "/v3", username="admin", password=pw["admin"],
                             project_name="admin", user_domain_name="Default", project_domain_name="Default",
                             region_name=REGION, identity_interface="public")


def catalog(pw: dict[str, str]) -> None:
    """Service project, users and endpoints, before any service that authenticates starts (blocker 5)."""
    conn = admin(pw)
    ident = conn.identity
    service = ident.find_project("service") or ident.create_project(name="service", domain_id="default",
                                                                    description="OpenStack services")
    roles = {r.name: r for r in ident.roles()}
    if "service" not in roles:
        roles["service"] = ident.create_role(name="service")
    for name in configs.SERVICE_USERS:
        user = ident.find_user(name, domain_id="default") or ident.create_user(
            name=name, password=pw[name], domain_id="default", default_project_id=service.id)
        for role in ("admin", "service"):
            ident.assign_project_role_to_user(service, user, roles[role])
    have = {s.type for s in ident.services()}
    for name, kind, address in ENDPOINTS:
        if kind in have:
            continue
        svc = ident.create_service(name=name, type=kind, enabled=True)
        for interface in ("public", "internal", "admin"):
            ident.create_endpoint(service_id=svc.id, interface=interface, url=address, region_id=REGION)
    conn.close()


def heat_domain(pw: dict[str, str]) -> None:
    """What heat-keystone-setup-domain does: a domain for the users Heat makes for stacks, its admin, and
    the role those users get."""
    conn = admin(pw)
    ident = conn.identity
    domain = ident.find_domain(configs.HEAT_DOMAIN) or ident.create_domain(
        name=configs.HEAT_DOMAIN, description="Owns users and projects created by heat")
    user = ident.find_user(configs.HEAT_DOMAIN_ADMIN, domain_id=domain.id) or ident.create_user(
        name=configs.HEAT_DOMAIN_ADMIN, password=pw[configs.HEAT_DOMAIN_ADMIN], domain_id=domain.id)
    roles = {r.name: r for r in ident.roles()}
    ident.assign_domain_role_to_user(domain, user, roles["admin"])
    if "heat_stack_user" not in roles:
        ident.create_role(name="heat_stack_user")
    conn.close()


def services_up(pw: dict[str, str]) -> bool:
    conn = admin(pw)
    try:
        compute = {s.binary: s.state for s in conn.compute.services()}
        volume = {s.binary: s.state for s in conn.block_storage.services()}
        providers = list(conn.placement.resource_providers())
    finally:
        conn.close()
    return (all(compute.get(b) == "up" for b in ("nova-conductor", "nova-scheduler", "nova-compute"))
            and all(volume.get(b) == "up" for b in ("cinder-scheduler", "cinder-volume")) and bool(providers))


def shares_up(pw: dict[str, str]) -> bool:
    """manila-scheduler and manila-share report up, and the scheduler knows the dummy backend's pool (a share
    asked for before then finds no host)."""
    conn = admin(pw)
    try:
        fs = conn.shared_file_system
        # the sdk's services() asks /services with no microversion, which Manila serves from 2.7 (404 before)
        listed = fs.get("/services", microversion="2.7").json()["services"]
        services = {s["binary"]: s["state"] for s in listed}
        pools = list(fs.storage_pools())
    finally:
        conn.close()
    return all(services.get(b) == "up" for b in ("manila-scheduler", "manila-share")) and bool(pools)


def share_type(pw: dict[str, str]) -> None:
    """Jetstream2's share type: public, for a backend that handles no share servers."""
    conn = admin(pw)
    try:
        if not any(t.name == SHARE_TYPE for t in conn.shared_file_system.share_types()):
            conn.shared_file_system.create_share_type(SHARE_TYPE, is_public=True,
                                                      extra_specs={"driver_handles_share_servers": "False"})
    finally:
        conn.close()


# Jetstream2's public Kubernetes templates, as the demo seeds them (exotui/demo/magnum.py TEMPLATES): name, kube_tag
CLUSTER_TEMPLATES = (("kubernetes-1-30-jammy", "v1.30.4"), ("kubernetes-1-31-jammy", "v1.31.1"))
TEMPLATE_IMAGE = "Featured-Ubuntu22"  # their image: Magnum reads the driver's OS from its os_distro


def magnum_up(pw: dict[str, str]) -> bool:
    """magnum-conductor reports up (a cluster asked for before then waits in the RPC queue)."""
    conn = admin(pw)
    try:
        listed = conn.container_infrastructure_management.get("/mservices").json()["mservices"]
    finally:
        conn.close()
    return any(s["binary"] == "magnum-conductor" and s["state"] == "up" for s in listed)


def cluster_templates(lay: Layout, pw: dict[str, str]) -> None:
    """Jetstream2's public templates, made by the admin (publishing one is an admin's), for the capi-helm driver."""
    conn = admin(pw)
    try:
        image = conn.image.find_image(TEMPLATE_IMAGE)
        if image is None:
            image_file = lay.data / "featured.img"
            image_file.write_bytes(b"\0" * 1024 * 1024)
            image = conn.image.create_image(name=TEMPLATE_IMAGE, filename=str(image_file), disk_format="raw",
                                            container_format="bare", visibility="public", os_distro="ubuntu",
                                            os_version="22.04", os_type="linux", wait=True)
        coe = conn.container_infrastructure_management
        have = {t["name"] for t in coe.get("/clustertemplates").json()["clustertemplates"]}
        for name, kube_tag in CLUSTER_TEMPLATES:
            if name in have:
                continue
            body = {"name": name, "coe": "kubernetes", "image_id": image.id, "flavor_id": "m3.medium",
                    "master_flavor_id": "m3.small", "external_network_id": "public", "network_driver": "calico",
                    "volume_driver": "cinder", "docker_storage_driver": "overlay2", "dns_nameserver": "8.8.8.8",
                    "server_type": "vm", "public": True, "floating_ip_enabled": True, "master_lb_enabled": False,
                    "labels": {"kube_tag": kube_tag, "cinder_csi_enabled": "true", "auto_scaling_enabled": "false"}}
            answer = coe.post("/clustertemplates", json=body)
            if answer.status_code != 201:
                raise RuntimeError(f"Magnum refused the template {name}: {answer.status_code} {answer.text[:500]}")
    finally:
        conn.close()


def _public_key() -> str:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ed25519

    key = ed25519.Ed25519PrivateKey.generate().public_key()
    return key.public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH).decode()


def demo(lay: Layout, pw: dict[str, str]) -> None:
    conn = admin(pw)
    for name, vcpus, ram_gib, disk in FLAVORS:
        if not conn.compute.find_flavor(name):
            conn.compute.create_flavor(name=name, vcpus=vcpus, ram=ram_gib * 1024, disk=disk, is_public=True)
    image_file = lay.data / "featured.img"
    image_file.write_bytes(b"\0" * 1024 * 1024)
    if not conn.image.find_image(IMAGE):
        conn.image.create_image(name=IMAGE, filename=str(image_file), disk_format="raw", container_format="bare",
                                visibility="public", os_distro="ubuntu", os_version="24.04", os_type="linux",
                                wait=True)
    public = conn.network.find_network("public") or conn.network.create_network(
        name="public", is_router_external=True, is_shared=False, provider_network_type="flat",
        provider_physical_network="public")
    if not list(conn.network.subnets(network_id=public.id)):
        conn.network.create_subnet(name="public-subnet", network_id=public.id, ip_version=4,
                                   cidr="203.0.113.0/24", gateway_ip="203.0.113.1", is_dhcp_enabled=False)
    ident = conn.identity
    project = ident.find_project(PROJECT) or ident.create_project(
        name=PROJECT, domain_id="default", description="Genome assembly pipelines (exotui real tier)")
    user = ident.find_user(DEMO_USER, domain_id="default") or ident.create_user(
        name=DEMO_USER, password=pw["demo"], domain_id="default", default_project_id=project.id)
    member = next(r for r in ident.roles() if r.name == "member")
    ident.assign_project_role_to_user(project, user, member)
    conn.set_compute_quotas(project.id, instances=260, cores=8000, ram=4_000_000, key_pairs=100)
    conn.set_network_quotas(project.id, port=600, floatingip=60, security_group=50, security_group_rule=500,
                            network=20, subnet=20, router=10)
    conn.set_volume_quotas(project.id, volumes=60, gigabytes=10_000, snapshots=60)
    conn.close()

    mine = openstack.connect(**_demo_auth(pw), region_name=REGION)
    net = mine.network.find_network(PRIVATE_NETWORK) or mine.network.create_network(name=PRIVATE_NETWORK)
    if not list(mine.network.subnets(network_id=net.id)):
        subnet = mine.network.create_subnet(name="auto_allocated_subnet_v4", network_id=net.id, ip_version=4,
                                            cidr="10.0.0.0/24")
        router = mine.network.create_router(name="auto_allocated_router",
                                            external_gateway_info={"network_id": public.id})
        mine.network.add_interface_to_router(router, subnet_id=subnet.id)
    if not mine.network.find_security_group("ssh-icmp", project_id=project.id):
        group = mine.network.create_security_group(name="ssh-icmp", description="SSH and ICMP from anywhere")
        mine.network.create_security_group_rule(security_group_id=group.id, direction="ingress",
                                                ethertype="IPv4", protocol="tcp", port_range_min=22,
                                                port_range_max=22, remote_ip_prefix="0.0.0.0/0")
        mine.network.create_security_group_rule(security_group_id=group.id, direction="ingress",
                                                ethertype="IPv4", protocol="icmp", remote_ip_prefix="0.0.0.0/0")
    if not mine.compute.find_keypair(KEYPAIR):
        mine.compute.create_keypair(name=KEYPAIR, public_key=_public_key())
    me = mine.identity.get_user(mine.current_user_id)
    for old in mine.identity.application_credentials(me):
        if old.name == APP_CREDENTIAL:
            mine.identity.delete_application_credential(me, old)
    cred = mine.identity.create_application_credential(me, name=APP_CREDENTIAL, description="exotui real tier")
    mine.close()
    path = lay.root / "secrets.json"
    stored = json.loads(path.read_text())
    stored.update(app_credential_id=cred.id, app_credential_secret=cred.secret)
    path.write_text(json.dumps(stored))


def _demo_auth(pw: dict[str, str]) -> dict:
    return {"auth_url": url("keystone") + "/v3", "username": DEMO_USER, "password": pw["demo"],
            "project_name": PROJECT, "user_domain_name": "Default", "project_domain_name": "Default"}


def write_clouds_yaml(lay: Layout, pw: dict[str, str]) -> Path:
    stored = json.loads((lay.root / "secrets.json").read_text())
    common = {"region_name": REGION, "identity_api_version": 3, "interface": "public"}
    clouds = {
        "realcloud": {"auth": _demo_auth(pw), **common},
        "realcloud-appcred": {"auth_type": "v3applicationcredential", **common,
                              "auth": {"auth_url": url("keystone") + "/v3",
                                       "application_credential_id": stored["app_credential_id"],
                                       "application_credential_secret": stored["app_credential_secret"]}},
        "realcloud-admin": {"auth": {"auth_url": url("keystone") + "/v3", "username": "admin",
                                     "password": pw["admin"], "project_name": "admin",
                                     "user_domain_name": "Default", "project_domain_name": "Default"}, **common},
        # keystone-manage bootstrap gives the admin the admin role on the system too
        "realcloud-system": {"auth": {"auth_url": url("keystone") + "/v3", "username": "admin",
                                      "password": pw["admin"], "system_scope": "all",
                                      "user_domain_name": "Default"}, **common},
    }
    text = "# written by tests/realcloud/stack.py up; " + time.strftime("%Y-%m-%d %H:%M:%S") + "\n"
    text += yaml.safe_dump({"clouds": clouds}, sort_keys=False)
    lay.clouds_yaml.write_text(text)
    lay.clouds_yaml.chmod(0o600)
    return lay.clouds_yaml

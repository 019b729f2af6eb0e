"""Add to the real stack what devstack gives python-openstackclient's functional tests (as demo_for_osc.py adds
to the demo), through openstacksdk as the stack's admin; safe to run again.

    python tests/osc/real_fixtures.py [--clouds-yaml .realcloud/clouds.yaml]

What OSC's tests look for: a flavor m1.tiny or cirros256 and an image cirros-*-disk
(openstackclient/tests/functional/compute/v2/common.py), a network `private` (the member's, behind a router to
`public`), the volume type `lvmdriver-1` as the default type (devstack's lib/cinder; here the projects' default
through Cinder's default-types API, 3.67, on the stack's one backend `fake`), and devstack's project `demo` with the
member `demo` in it. The stack's own seed (tests/realcloud/seed.py: Jetstream2's names) stays as it is.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

import openstack

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from demo_for_osc import CIRROS, FLAVORS  # noqa: E402 (devstack's names, shared with the demo's launcher)


def add(clouds_yaml: Path, member: str, admin_cloud: str) -> None:
    os.environ["OS_CLIENT_CONFIG_FILE"] = str(clouds_yaml)  # read first, as the CLI would
    admin, mine = openstack.connect(cloud=admin_cloud), openstack.connect(cloud=member)
    for name, vcpus, ram, disk in FLAVORS:
        if not admin.compute.find_flavor(name):
            admin.compute.create_flavor(name=name, vcpus=vcpus, ram=ram, disk=disk, is_public=True)
    if not admin.image.find_image(CIRROS):
        with tempfile.NamedTemporaryFile(suffix=".img") as data:  # raw zeros: Glance's format check accepts them
            data.write(b"\0" * 1024 * 1024)
            data.flush()
            admin.image.create_image(name=CIRROS, filename=data.name, disk_format="raw", container_format="bare",
                                     visibility="public", os_distro="cirros", wait=True)
    lvm = admin.block_storage.find_type("lvmdriver-1") or admin.block_storage.create_type(
        name="lvmdriver-1", extra_specs={"volume_backend_name": "fake"})
    ident = admin.identity
    demo = ident.find_project("demo", domain_id="default") or ident.create_project(
        name="demo", domain_id="default", description="devstack's demo project (OSC's functional tests)")
    member_role = next(r for r in ident.roles() if r.name == "member")
    user = ident.get_user(mine.current_user_id)
    ident.assign_project_role_to_user(demo, user, member_role)
    admin.block_storage.default_microversion = "3.67"
    for project in (demo, ident.find_project(mine.current_project_id), ident.find_project("admin")):
        admin.block_storage.set_default_type(project, lvm)
    public = admin.network.find_network("public")
    if not mine.network.find_network("private"):
        net = mine.network.create_network(name="private")
        subnet = mine.network.create_subnet(name="private-subnet", network_id=net.id, ip_version=4,
                                            cidr="10.0.1.0/26")
        router = mine.network.create_router(name="router1", external_gateway_info={"network_id": public.id})
        mine.network.add_interface_to_router(router, subnet_id=subnet.id)
    admin.close()
    mine.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clouds-yaml", type=Path, default=HERE.parent.parent / ".realcloud" / "clouds.yaml")
    parser.add_argument("--cloud", default="realcloud")
    parser.add_argument("--admin-cloud", default="realcloud-admin")
    args = parser.parse_args()
    add(args.clouds_yaml, args.cloud, args.admin_cloud)
    print(f"devstack's fixtures are on the cloud of {args.clouds_yaml}")


if __name__ == "__main__":
    main()

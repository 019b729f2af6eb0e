"""The demo cloud with what devstack gives python-openstackclient's functional tests, then served until killed.

    python tests/osc/demo_for_osc.py --config-dir DIR     # prints "ready" like `exotui demo-cloud`

OSC's compute tests look for a flavor named m1.tiny or cirros256, an image named cirros-*-disk and a
network named `private` (openstackclient/tests/functional/compute/v2/common.py), and volume's tests for
the default volume type `lvmdriver-1` (devstack's lib/cinder: one type per LVM backend, the first made
Cinder's `default_volume_type`); devstack makes them as admin. This launcher adds devstack's fixtures to the
world before serving it: the two flavors, a public cirros image, the volume type, devstack's project `demo`
(the member `demo` a member of it; network and router tests make things in it as admin), and in the first
project a `private` network and subnet behind a router to `public`. The demo's own seed (Jetstream2's names)
is left as it is.
"""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path

from exotui.demo import cinder_types_admin, glance, neutron, nova
from exotui.demo.app import CLOUD_NAME, DemoCloud
from exotui.demo.keystone_admin import stable_id
from exotui.demo.seed import CINDER_QUOTA, DEMO_PROJECTS, DEMO_USER, NEUTRON_QUOTA, NOVA_QUOTA
from exotui.demo.world import Knobs

# devstack's (lib/nova flavors, lib/tempest): name, vCPUs, RAM MB, disk GB
FLAVORS = [("m1.tiny", 1, 512, 1), ("cirros256", 1, 256, 1)]
CIRROS = "cirros-0.6.3-x86_64-disk"


def add_devstack_fixtures(world) -> None:
    for index, (name, vcpus, ram, disk) in enumerate(FLAVORS, start=1):
        nova.add_flavor(world, f"osc-{index}", name, vcpus, ram, disk, {})
    lvm = cinder_types_admin.add_type(world, "lvmdriver-1", default=True)
    lvm["extra_specs"]["volume_backend_name"] = "lvmdriver-1"
    glance.add_image(world, CIRROS, disk_format="qcow2", size=21_430_272, min_disk=0,
                     properties={"os_distro": "cirros", "hw_rng_model": "virtio"})
    demo = stable_id("project", "demo")
    world.projects[demo] = {"id": demo, "name": "demo", "domain_id": "default", "description": ""}
    member_role = next(r["id"] for r in world.roles.values() if r["name"] == "member")
    world.assignments.append((next(u["id"] for u in world.users.values() if u["name"] == DEMO_USER), demo, member_role))
    world.quotas.setdefault(demo, {"compute": dict(NOVA_QUOTA), "network": dict(NEUTRON_QUOTA),
                                   "volume": dict(CINDER_QUOTA)})
    project_id = next(p["id"] for p in world.projects.values() if p["name"] == DEMO_PROJECTS[0][0])  # clouds.yaml's
    public = next(n for n in world.networks.values() if n.get("router:external"))
    net = neutron.create_network(world, project_id, "private")
    subnet = neutron.create_subnet(world, project_id, net["id"], "private-subnet", "10.0.0.0/26")
    router = neutron.create_router(world, project_id, "router1", external_network_id=public["id"])
    neutron.add_router_interface(world, router["id"], subnet["id"])


async def serve(config_dir: Path) -> None:
    cloud = DemoCloud(Knobs(delay_scale=0.0, ssh=False), 0, state_dir=config_dir / "state")
    await cloud.start()
    add_devstack_fixtures(cloud.world)
    path = cloud.write_config(config_dir, operators=True)
    print(f"exotui demo cloud (with devstack's fixtures) ready at {cloud.auth_url} "
          f"(clouds.yaml: {path}, cloud: {CLOUD_NAME})", flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        await cloud.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config-dir", type=Path, required=True)
    args = parser.parse_args()
    args.config_dir.mkdir(parents=True, exist_ok=True)
    try:
        asyncio.run(serve(args.config_dir))
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()

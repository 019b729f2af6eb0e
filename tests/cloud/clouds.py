"""The two clouds the cloud layer's integration tests run against: the demo cloud and a real stack.

A test that takes the `target` fixture runs twice, once per cloud. It makes what it needs through
`target` and checks the cloud's side through `target.conn` (openstacksdk, the user's own view), so
the same assertions hold on both. The real stack is the one `tests/realcloud/stack.py up` brings up;
where it is absent the real half skips and says why, or fails when EXOTUI_REALCLOUD=required (CI).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import openstack
import pytest
from conditions import seconds_until, until, wait_until  # noqa: F401  (the cloud tests import them from here)

from exotui.demo import neutron, nova
from exotui.demo.app import CLOUD_NAME, DemoCloudThread

REPO = Path(__file__).resolve().parents[2]
PROJECT = "BIO230045"
IMAGE = "Featured-Ubuntu24"
NETWORK = "auto_allocated_network"
KEYPAIR = "exotui-demo"
REAL_CLOUD = "realcloud"
# how a settled server gets from ACTIVE to each status, one action after another
_ROUTES = {"ACTIVE": [], "SHUTOFF": ["stop"], "SUSPENDED": ["suspend"], "PAUSED": ["pause"],
           "SHELVED_OFFLOADED": ["shelve"], "RESCUE": ["rescue"]}


def realcloud_dir() -> Path:
    return Path(os.environ.get("EXOTUI_REALCLOUD_DIR") or REPO / ".realcloud")


_checked: dict[str, str | None] = {}


def real_stack_absent() -> str | None:
    """Why the real tier cannot run here, or None when the stack answers (asked once a run: a
    Keystone busy under the whole suite's load may take a while to answer a probe)."""
    if "answer" not in _checked:
        _checked["answer"] = _probe()
    return _checked["answer"]


def _probe() -> str | None:
    clouds = realcloud_dir() / "clouds.yaml"
    if not clouds.exists():
        return (f"no real OpenStack stack: {clouds} does not exist; bring one up with "
                "`python3 tests/realcloud/stack.py up` (root, ~2-4 min, ~2.3 GB)")
    try:
        with urllib.request.urlopen("http://127.0.0.1:5000/v3", timeout=30):
            pass
    except OSError as error:
        return f"the real stack's Keystone (127.0.0.1:5000) does not answer ({error}): is it down?"
    return None


def require_real_stack() -> Path:
    """The real stack's clouds.yaml; skip (or fail, where the tier is required) when it is absent."""
    reason = real_stack_absent()
    if reason:
        if os.environ.get("EXOTUI_REALCLOUD") == "required":
            pytest.fail(f"the real tier is required here but {reason}", pytrace=False)
        pytest.skip(reason)
    return realcloud_dir() / "clouds.yaml"


def _stack(*args: str) -> str:
    """tests/realcloud/stack.py run on this run's stack (its folder from EXOTUI_REALCLOUD_DIR, as the clouds.yaml)."""
    done = subprocess.run([sys.executable, str(REPO / "tests" / "realcloud" / "stack.py"), *args], capture_output=True,
                          text=True, timeout=180, check=False,
                          env={**os.environ, "EXOTUI_REALCLOUD_DIR": str(realcloud_dir())})
    assert done.returncode == 0, f"stack.py {' '.join(args)}: {done.stderr[-2000:]}"
    return done.stdout


class Target:
    """One cloud as the tests see it."""

    kind: str
    cloud_name: str
    clouds_yaml: Path
    real: bool

    def __init__(self) -> None:
        self.made: list[str] = []
        self._conn = None

    @property
    def conn(self) -> openstack.connection.Connection:
        if self._conn is None:
            self._conn = openstack.connect(cloud=self.cloud_name)
        return self._conn

    def flavor_id(self, name: str) -> str:
        return self.conn.compute.find_flavor(name, ignore_missing=False).id

    def image_id(self, name: str = IMAGE) -> str:
        return self.conn.image.find_image(name, ignore_missing=False).id

    def network_id(self, name: str = NETWORK) -> str:
        return self.conn.network.find_network(name, ignore_missing=False).id

    def status(self, sid: str) -> str:
        server = self.conn.compute.find_server(sid)
        return "DELETED" if server is None else server.status

    def boot(self, name: str, flavor: str = "m3.small", status: str = "ACTIVE", floating_ip: bool = False) -> str:
        raise NotImplementedError

    def delete(self, sid: str, wait: float = 60) -> None:
        """Delete behind the layer's back and wait until Nova no longer shows it."""
        self.conn.compute.delete_server(sid)
        try:
            self.conn.compute.wait_for_delete(self.conn.compute.get_server(sid), interval=0.5, wait=wait)
        except openstack.exceptions.NotFoundException:
            pass

    def apis_down(self) -> None:
        """Compute and Network stop answering (the real stack: their processes stopped)."""
        raise NotImplementedError

    def apis_up(self) -> None:
        """... and answer again (the real stack: new processes, which remember nothing but the database)."""
        raise NotImplementedError

    def purge(self, sid: str) -> None:
        """Deleted, and gone from what changes-since reports (as an operator's archive of deleted rows does)."""
        raise NotImplementedError

    def action_count(self, sid: str, action: str) -> int:
        return sum(1 for a in self.conn.compute.server_actions(sid) if a.action == action)

    def cleanup(self) -> None:
        for sid in self.made:
            server = self.conn.compute.find_server(sid)
            if server is not None:
                if server.is_locked:
                    self.conn.compute.unlock_server(sid)
                self.conn.compute.delete_server(sid, force=False)
        for sid in self.made:
            try:
                self.conn.compute.wait_for_delete(self.conn.compute.get_server(sid), wait=60)
            except openstack.exceptions.NotFoundException:
                pass
        self.made.clear()
        self.close()

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None


class DemoTarget(Target):
    kind, cloud_name, real = "demo", CLOUD_NAME, False

    def __init__(self, demo: DemoCloudThread, clouds_yaml: Path) -> None:
        super().__init__()
        self.demo, self.clouds_yaml = demo, clouds_yaml

    def boot(self, name: str, flavor: str = "m3.small", status: str = "ACTIVE", floating_ip: bool = False) -> str:
        """Made in the world directly, as the seed does: settled at once."""

        def make(world):
            project = next(p for p in world.projects.values() if p["name"] == PROJECT)
            flavors = {f["name"]: f["id"] for f in world.flavors.values()}
            image = next(i["id"] for i in world.images.values() if i["name"] == IMAGE)
            network = next(n for n in world.networks.values() if n["project_id"] == project["id"]
                           and n["name"] == NETWORK)
            user = next(iter(world.users))
            server = nova.boot(world, project["id"], user, name, flavors[flavor], image,
                               [network["id"]], key_name=KEYPAIR, security_groups=["default"], status=status)
            nova.record_action(world, server, "create", "", user)  # as the seed's servers have theirs
            if floating_ip:
                public = next(n for n in world.networks.values() if n.get("router:external"))
                port = neutron.device_ports(world, server["id"])[0]
                neutron.create_floating_ip(world, project["id"], public["id"], port_id=port["id"])
            return server["id"]

        sid = self.demo.call(make, self.demo.world)
        self.made.append(sid)
        return sid

    async def clock_moves_on(self, seconds: float) -> None:
        """The cloud's clock (its Date header, the times it stamps) moved on by `seconds`, without waiting."""
        self.demo.call(self.demo.world.advance, seconds)

    def apis_down(self) -> None:
        self.demo.world.knobs.error_rate = 1.0  # every answer a 503 (the session's cloud stays on its port)

    def apis_up(self) -> None:
        self.demo.world.knobs.error_rate = 0.0

    def purge(self, sid: str) -> None:
        def gone(world):
            nova.delete(world, world.servers[sid])
            world.servers.pop(sid, None)

        self.demo.call(gone, self.demo.world)

    def cleanup(self) -> None:
        def clean(world):  # the session's demo cloud is shared: give its quota back
            for sid in self.made:
                server = world.servers.get(sid)  # a purged one is not there at all
                if server is not None and not server["_deleted"]:
                    nova.delete(world, server)

        self.demo.call(clean, self.demo.world)
        self.made.clear()
        self.close()


class RealTarget(Target):
    kind, cloud_name, real = "real", REAL_CLOUD, True

    def __init__(self, clouds_yaml: Path) -> None:
        super().__init__()
        self.clouds_yaml = clouds_yaml

    async def clock_moves_on(self, seconds: float) -> None:
        """A real cloud's clock cannot be moved: wait until its Date header says `seconds` have passed."""
        import email.utils

        def cloud_time() -> float:
            response = self.conn.compute.get("/", raise_exc=False)
            date = response.headers.get("Date")  # the real stack sends none; its clock is this machine's
            return email.utils.parsedate_to_datetime(date).timestamp() if date else time.time()

        start = cloud_time()
        assert await seconds_until(lambda: cloud_time() >= start + seconds, timeout=seconds + 30) < float("inf")

    def boot(self, name: str, flavor: str = "m3.small", status: str = "ACTIVE", floating_ip: bool = False) -> str:
        """Booted through Nova and walked to `status` with real actions (a few seconds)."""
        compute = self.conn.compute
        server = compute.create_server(name=name, flavor_id=self.flavor_id(flavor), image_id=self.image_id(),
                                       networks=[{"uuid": self.network_id()}], key_name=KEYPAIR)
        self.made.append(server.id)
        server = compute.wait_for_server(server, status="ACTIVE", wait=120, interval=0.5)
        if floating_ip:
            public = self.conn.network.find_network("public", ignore_missing=False)
            port = next(self.conn.network.ports(device_id=server.id))
            self.conn.network.create_ip(floating_network_id=public.id, port_id=port.id)
        for action in _ROUTES[status]:
            getattr(compute, f"{action}_server")(server)
        wanted = "SHELVED_OFFLOADED" if status == "SHELVED_OFFLOADED" else status
        if status != "ACTIVE":
            compute.wait_for_server(server, status=wanted, wait=120, interval=0.5)
        return server.id

    def apis_down(self) -> None:
        _stack("stop-apis", "nova", "neutron")

    def apis_up(self) -> None:
        _stack("start-apis", "nova", "neutron")

    def api_pids(self) -> dict[str, int]:
        """The stack's nova-api and neutron-api processes, by the pids it recorded."""
        lines = _stack("status").splitlines()
        return {name: int(pid) for name, _, pid in (line.partition(": pid ") for line in lines)
                if name in ("nova-api", "neutron-api")}

    def purge(self, sid: str) -> None:
        self.delete(sid)
        _stack("archive")

    def cleanup(self) -> None:
        for sid in self.made:  # floating IPs the test left on its servers go with them
            for port in self.conn.network.ports(device_id=sid):
                for fip in self.conn.network.ips(port_id=port.id):
                    self.conn.network.delete_ip(fip)
        super().cleanup()

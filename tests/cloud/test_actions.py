"""Actions against the demo cloud over HTTP: checked locally, sent once, followed through the store."""

from __future__ import annotations

import asyncio
import re

import openstack
import pytest

from exotui.cloud.actions import ActionRefused, Actions, _ServerFollower
from exotui.cloud.models import Server
from exotui.cloud.poller import Intervals, ProjectPoller
from exotui.cloud.rules import rules_for_cloud
from exotui.cloud.session import CloudSession
from exotui.cloud.store import ProjectKey, ProjectStore
from exotui.demo import neutron, nova
from exotui.demo.app import CLOUD_NAME, DemoCloudThread
from exotui.demo.world import Knobs


async def until(predicate, timeout: float = 10.0):
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        assert loop.time() < deadline, "timed out"
        await asyncio.sleep(0.02)


class Cloud:
    """The cloud layer over one demo cloud, with helpers to seed servers behind its back."""

    def __init__(self, demo: DemoCloudThread, fast: float = 0.05):
        self.demo = demo
        self.session = CloudSession(lambda: openstack.connect(cloud=CLOUD_NAME), label="actions-test")
        self.store = ProjectStore(ProjectKey(CLOUD_NAME, "BIO230045"))
        self.poller = ProjectPoller(self.session, self.store, Intervals(fast=fast, idle=0.2, others=30))
        self.actions = Actions(self.session, self.store, self.poller, cloud_rules=rules_for_cloud(CLOUD_NAME),
                               timeout=20)
        self.sent: list[tuple[str, str, str]] = []
        self.booted: list[str] = []
        request = self.session.request

        async def counting(service, method, path, **kw):
            self.sent.append((service, method, path))
            return await request(service, method, path, **kw)

        self.session.request = counting

    async def start(self) -> "Cloud":
        await self.poller.load_all()
        await self.poller.start()
        return self

    async def stop(self) -> None:
        await self.poller.stop()
        self.session.close()

        def clean(world):  # the session's demo cloud is shared: give its quota back
            for sid in self.booted:
                if not world.servers[sid]["_deleted"]:
                    nova.delete(world, world.servers[sid])

        self.demo.call(clean, self.demo.world)

    def boot(self, name: str, flavor: str = "m3.small", status: str = "ACTIVE", floating_ip: bool = False) -> str:
        """A server made in the demo cloud's world directly (as the seed does), in a settled state."""

        def make(world):
            project = next(p for p in world.projects.values() if p["name"] == "BIO230045")
            flavors = {f["name"]: f["id"] for f in world.flavors.values()}
            image = next(i["id"] for i in world.images.values() if i["name"] == "Featured-Ubuntu24")
            network = next(n for n in world.networks.values() if n["project_id"] == project["id"]
                           and n["name"] == "auto_allocated_network")
            server = nova.boot(world, project["id"], next(iter(world.users)), name, flavors[flavor], image,
                               [network["id"]], key_name="exotui-demo", security_groups=["default"], status=status)
            if floating_ip:
                public = next(n for n in world.networks.values() if n.get("router:external"))
                port = neutron.device_ports(world, server["id"])[0]
                neutron.create_floating_ip(world, project["id"], public["id"], port_id=port["id"])
            return server["id"]

        sid = self.demo.call(make, self.demo.world)
        self.booted.append(sid)
        return sid

    async def server(self, name: str, **kw) -> Server:
        sid = self.boot(name, **kw)
        await until(lambda: sid in self.store.get("servers"))
        return self.store.item("servers", sid)

    def world_server(self, sid: str) -> dict:
        return self.demo.world.servers[sid]

    def flavor_id(self, name: str) -> str:
        return next(f.id for f in self.store.get("flavors").values() if f.name == name)


@pytest.fixture()
async def cloud(demo, clouds_env):
    layer = await Cloud(demo).start()
    yield layer
    await layer.stop()


async def test_each_server_action_settles_in_the_store(cloud):
    srv = await cloud.server("act-lifecycle", floating_ip=True)
    act, sid = cloud.actions, srv.id
    steps = [("stop", {}, "SHUTOFF"), ("start", {}, "ACTIVE"), ("reboot_soft", {}, "ACTIVE"),
             ("reboot_hard", {}, "ACTIVE"), ("pause", {}, "PAUSED"), ("unpause", {}, "ACTIVE"),
             ("suspend", {}, "SUSPENDED"), ("resume", {}, "ACTIVE"), ("shelve", {}, "SHELVED_OFFLOADED"),
             ("unshelve", {}, "ACTIVE"), ("resize", {"flavor_id": cloud.flavor_id("m3.medium")}, "VERIFY_RESIZE"),
             ("confirm_resize", {}, "ACTIVE"), ("resize", {"flavor_id": cloud.flavor_id("m3.large")}, "VERIFY_RESIZE"),
             ("revert_resize", {}, "ACTIVE"), ("rescue", {}, "RESCUE"), ("unrescue", {}, "ACTIVE"),
             ("lock", {"reason": "testing"}, "ACTIVE")]
    for action, params, status in steps:
        result = await act.run(sid, action, **params)
        assert result.ok, (action, result.message)
        server = cloud.store.item("servers", sid)
        assert (result.status, server.status, server.task_state) == (status, status, None), action
        assert cloud.world_server(sid)["status"] == status, action
    assert cloud.store.item("servers", sid).locked and cloud.store.item("servers", sid).flavor_name == "m3.medium"
    assert result.message == "act-lifecycle: locked"
    snapshot = await act.run(sid, "create_image", name="act-lifecycle-snap")  # a lock does not stop snapshots
    assert snapshot.ok and cloud.demo.world.images[snapshot.value]["name"] == "act-lifecycle-snap"
    assert (await act.run(sid, "unlock")).ok and not cloud.store.item("servers", sid).locked

    address = cloud.store.item("servers", sid).floating_ips[0]
    gone = await act.run(sid, "delete", release_floating_ips=True)
    assert gone.ok and gone.status == "DELETED", gone.message
    assert sid not in cloud.store.get("servers") and cloud.world_server(sid)["_deleted"]
    assert address not in {f["floating_ip_address"] for f in cloud.demo.world.floatingips.values()}
    assert address not in {f.address for f in cloud.store.get("floating_ips").values()}


async def test_refused_actions_never_reach_the_cloud(cloud):
    seeded = {s.name: s for s in cloud.store.get("servers").values()}
    shelved, bigmem = seeded["archive-node"], seeded["bigmem-assembly"]
    gpu = await cloud.server("act-fullgpu", flavor="g3.xl")
    history = {s.id: list(cloud.world_server(s.id)["_history"]) for s in (shelved, bigmem, gpu)}
    cloud.sent.clear()
    cases = [(shelved.id, "start", {}, "the instance is shelved: unshelve it first"),
             (shelved.id, "resize", {"flavor_id": cloud.flavor_id("m3.xl")}, "the instance is shelved"),
             (bigmem.id, "suspend", {}, "Jetstream2 does not suspend large-memory"),
             (bigmem.id, "resize", {"flavor_id": cloud.flavor_id("m3.small")}, "root disk (20 GB) is smaller"),
             (bigmem.id, "resize", {"flavor_id": cloud.flavor_id("r3.large")}, "current flavor"),
             (gpu.id, "resize", {"flavor_id": cloud.flavor_id("m3.2xl")}, "cannot resize full-GPU"),
             (bigmem.id, "unpause", {}, "the instance is not paused (it is running)"),
             (bigmem.id, "create_image", {"name": "  "}, "a snapshot needs a name")]
    for sid, action, params, reason in cases:
        with pytest.raises(ActionRefused, match=re.escape(reason)):
            await cloud.actions.run(sid, action, **params)
    with pytest.raises(ActionRefused, match="shelved"):
        await cloud.actions.console_log(shelved.id)
    assert cloud.sent == []
    assert {sid: cloud.world_server(sid)["_history"] for sid in history} == history
    assert not cloud.poller.pending and not cloud.actions.in_flight


async def test_a_second_identical_request_is_refused_while_the_first_runs(cloud):
    srv = await cloud.server("act-double")
    first, second = await asyncio.gather(cloud.actions.run(srv.id, "stop"), cloud.actions.run(srv.id, "stop"),
                                         return_exceptions=True)
    assert first.ok and first.status == "SHUTOFF"
    assert isinstance(second, ActionRefused) and second.reason == "stop act-double: already in progress"
    assert [m for _s, m, p in cloud.sent if p.endswith(f"{srv.id}/action")] == ["POST"]
    assert sum(1 for a in cloud.demo.world.instance_actions[srv.id] if a["action"] == "stop") == 1
    assert (await cloud.actions.run(srv.id, "start")).ok, "the claim is released when the action ends"


async def test_a_409_from_nova_is_a_failed_result_with_novas_words(cloud, conn):
    srv = await cloud.server("act-locked-behind")
    conn.compute.lock_server(srv.id)  # behind the layer's back: the store still says unlocked
    assert not cloud.store.item("servers", srv.id).locked
    result = await cloud.actions.run(srv.id, "stop")
    assert not result.ok and result.http_status == 409
    assert f"Instance {srv.id} is locked" in result.message and result.message.startswith("could not stop")
    assert result.status == "ACTIVE" and cloud.world_server(srv.id)["status"] == "ACTIVE"
    assert sum(1 for _s, m, p in cloud.sent if p.endswith(f"{srv.id}/action")) == 1, "never resent"
    assert srv.id not in cloud.poller.pending and not cloud.actions.in_flight


async def test_a_quota_403_is_a_failed_result(cloud):
    image = next(i.id for i in cloud.store.get("images").values() if i.name == "Featured-Ubuntu24")
    before = len(cloud.demo.world.servers)
    result = await cloud.actions.launch("act-too-many", image, cloud.flavor_id("m3.tiny"), count=40)
    assert not result.ok and result.http_status == 403 and "Quota exceeded for instances" in result.message
    assert len(cloud.demo.world.servers) == before


async def test_launch_and_delete_end_to_end(cloud):
    image = next(i.id for i in cloud.store.get("images").values() if i.name == "Featured-Ubuntu22")
    network = next(n.id for n in cloud.store.get("networks").values() if n.name == "auto_allocated_network")
    result = await cloud.actions.launch("act-pair", image, cloud.flavor_id("m3.tiny"), [network],
                                        key_name="exotui-demo", security_groups=["default", "ssh-icmp"],
                                        user_data="#cloud-config\npackages: [htop]\n", count=2)
    assert result.ok and len(result.value) == 2, result.message
    for sid in result.value:
        server = cloud.store.item("servers", sid)
        assert server.status == "ACTIVE" and server.key_name == "exotui-demo"
        assert set(server.security_groups) == {"default", "ssh-icmp"} and server.fixed_ips
    boot_volume = await cloud.actions.launch("act-bfv", image, cloud.flavor_id("m3.tiny"), boot_volume_size_gb=40)
    assert boot_volume.ok and cloud.store.item("servers", boot_volume.value[0]).image_id is None
    for sid in (*result.value, *boot_volume.value):
        assert (await cloud.actions.run(sid, "delete")).ok
        assert sid not in cloud.store.get("servers")


async def test_volumes_end_to_end(cloud):
    srv = await cloud.server("act-volumes")
    made = await cloud.actions.create_volume("act-data", 10, description="scratch")
    assert made.ok and cloud.store.item("volumes", made.value).status == "available", made.message
    vid = made.value
    attached = await cloud.actions.attach_volume(srv.id, vid)
    assert attached.ok, attached.message
    assert cloud.store.item("volumes", vid).status == "in-use" and vid in cloud.store.item("servers", srv.id).volume_ids
    with pytest.raises(ActionRefused, match="detach it first"):
        await cloud.actions.delete_volume(vid)
    grown = await cloud.actions.extend_volume(vid, 20)  # attached: Cinder 3.42
    assert grown.ok and cloud.store.item("volumes", vid).size_gb == 20, grown.message
    with pytest.raises(ActionRefused, match="only grow"):
        await cloud.actions.extend_volume(vid, 5)
    assert (await cloud.actions.detach_volume(srv.id, vid)).ok
    assert cloud.store.item("volumes", vid).status == "available"
    assert vid not in cloud.store.item("servers", srv.id).volume_ids
    assert (await cloud.actions.delete_volume(vid)).ok and vid not in cloud.store.get("volumes")
    assert vid not in cloud.demo.world.volumes


async def test_floating_ips_end_to_end(cloud):
    srv = await cloud.server("act-fip")
    allocated = await cloud.actions.allocate_floating_ip(description="act test")
    assert allocated.ok, allocated.message
    fip = allocated.value
    assert fip.address and fip.id in cloud.store.get("floating_ips")
    assigned = await cloud.actions.assign_floating_ip(fip.id, srv.id)
    assert assigned.ok and fip.address in cloud.store.item("servers", srv.id).floating_ips, assigned.message
    with pytest.raises(ActionRefused, match="already assigned"):
        await cloud.actions.assign_floating_ip(fip.id, srv.id)
    assert (await cloud.actions.unassign_floating_ip(fip.id)).ok
    assert fip.address not in cloud.store.item("servers", srv.id).floating_ips
    assert (await cloud.actions.release_floating_ip(fip.id)).ok
    assert fip.id not in cloud.store.get("floating_ips") and fip.id not in cloud.demo.world.floatingips


async def test_security_groups_end_to_end(cloud, conn):
    group = conn.network.create_security_group(name="act-web", description="for the actions test")
    cloud.poller.kick("security_groups")
    await until(lambda: group.id in cloud.store.get("security_groups"))
    added = await cloud.actions.add_rule(group.id, "ingress", "tcp", 8888, 8888, "0.0.0.0/0")
    assert added.ok, added.message
    rule = next(r for r in cloud.store.item("security_groups", group.id).rules if r.id == added.value)
    assert (rule.protocol, rule.port_min, rule.remote_cidr) == ("tcp", 8888, "0.0.0.0/0")
    with pytest.raises(ActionRefused, match="already has this rule"):
        await cloud.actions.add_rule(group.id, "ingress", "tcp", 8888, 8888, "0.0.0.0/0")
    srv = await cloud.server("act-groups")
    assert (await cloud.actions.attach_security_group(srv.id, "act-web")).ok
    assert "act-web" in cloud.store.item("servers", srv.id).security_groups
    with pytest.raises(ActionRefused, match="already in security group"):
        await cloud.actions.attach_security_group(srv.id, "act-web")
    assert (await cloud.actions.detach_security_group(srv.id, "act-web")).ok
    assert "act-web" not in cloud.store.item("servers", srv.id).security_groups
    assert (await cloud.actions.remove_rule(added.value)).ok
    assert all(r.id != added.value for r in cloud.store.item("security_groups", group.id).rules)
    assert added.value not in cloud.demo.world.security_group_rules
    conn.network.delete_security_group(group.id)


async def test_console_log(cloud):
    srv = await cloud.server("act-console")
    result = await cloud.actions.console_log(srv.id, length=50)
    assert result.ok and isinstance(result.value, str) and result.value


@pytest.fixture()
async def slow_cloud(tmp_path, monkeypatch):
    """A demo cloud of its own whose transitions take real (short) time."""
    with DemoCloudThread(Knobs(delay_scale=0.1, seed=3, ssh=False)) as demo:
        monkeypatch.setenv("OS_CLIENT_CONFIG_FILE", str(demo.cloud.write_config(tmp_path)))
        layer = await Cloud(demo, fast=0.02).start()
        yield layer
        await layer.stop()


async def test_progress_hears_each_task_state(slow_cloud):
    srv = await slow_cloud.server("act-slow")
    seen: list[str] = []
    shelved = await slow_cloud.actions.run(srv.id, "shelve", progress=seen.append)
    assert shelved.ok and shelved.status == "SHELVED_OFFLOADED", shelved.message
    assert seen[0] == "shelving" and "shelving_image_uploading" in seen and seen[-1] == "shelving_offloading"
    assert len(seen) == len(set(seen)), "each change once"
    seen.clear()
    assert (await slow_cloud.actions.run(srv.id, "unshelve", progress=seen.append)).ok
    assert seen == ["unshelving", "spawning"]


async def test_an_action_outlasting_its_wait_is_still_running(slow_cloud):
    srv = await slow_cloud.server("act-slower")
    result = await slow_cloud.actions.run(srv.id, "suspend", timeout=0.05)
    assert not result.ok and result.still_running and result.task_state == "suspending"
    assert "still under way" in result.message
    await until(lambda: slow_cloud.store.item("servers", srv.id).status == "SUSPENDED")


def test_follower_reports_error_with_the_fault():
    before = Server("s", "web", "SHUTOFF", vm_state="stopped", updated="2026-01-01T00:00:00Z")
    follower = _ServerFollower(before, "start", None)
    fresh = Server("s", "web", "SHUTOFF", task_state="powering-on", updated="2026-01-01T00:00:05Z")
    follower.trust(fresh)
    assert follower.judge(fresh) is None
    assert follower.judge(before) is None, "a stale picture from before the action is ignored"
    failed = follower.judge(Server("s", "web", "ERROR", updated="2026-01-01T00:00:09Z", fault="disk full"))
    assert not failed.ok and failed.message == "web went into ERROR: disk full"
    resize = _ServerFollower(Server("s", "web", "ACTIVE", updated="2026-01-01T00:00:00Z"), "resize", None)
    fresh = Server("s", "web", "RESIZE", task_state="resize_prep", updated="2026-01-01T00:00:01Z")
    resize.trust(fresh)
    assert resize.judge(fresh) is None
    back = resize.judge(Server("s", "web", "ACTIVE", updated="2026-01-01T00:00:03Z"))
    assert not back.ok and back.message == "web ended ACTIVE, not VERIFY_RESIZE" and resize.quiet_failure

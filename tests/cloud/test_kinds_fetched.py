"""Issue 18's kinds in the cloud layer, against the demo cloud over HTTP: routers, subnets, ports, volume
snapshots and server groups as store kinds; an instance's action history and the exouser passphrase fetched
when asked for (the passphrase never in the store, a repr, or keystoneauth's debug log)."""

from __future__ import annotations

import logging

import openstack
import pytest

from exotui.cloud.kinds import Passphrase, fetch_history, fetch_passphrase
from exotui.cloud.models import InstanceAction, Server, ServerGroup, VolumeSnapshot
from exotui.cloud.poller import FETCHERS, SINGLE
from exotui.cloud.session import CloudSession
from exotui.cloud.store import KINDS, ProjectStore
from exotui.demo.app import CLOUD_NAME
from exotui.demo.seed import EXOSPHERE_PASSPHRASE

pytestmark = pytest.mark.slow


def _named(store: ProjectStore, kind: str, name: str):
    return next(item for item in store.get(kind).values() if item.name == name)


def test_the_new_kinds_are_registered_for_lists_and_single_checks():
    for kind in ("routers", "subnets", "ports", "volume_snapshots", "server_groups"):
        assert kind in KINDS and kind in FETCHERS and kind in SINGLE


async def test_network_kinds_are_in_the_store(loaded):
    _session, store, _poller = loaded
    router = _named(store, "routers", "auto_allocated_router")
    assert router.external_network_id and router.external_ips
    subnet = _named(store, "subnets", "auto_allocated_subnet_v4")
    assert subnet.cidr == "10.0.0.0/16"
    web = _named(store, "servers", "web-frontend")
    ports = [p for p in store.get("ports").values() if p.device_id == web.id]
    assert ports and ports[0].mac_address.count(":") == 5
    assert any(p.device_owner == "network:router_interface" and p.device_id == router.id
               for p in store.get("ports").values())


async def test_snapshots_and_server_groups_arrive_in_the_store(loaded, conn):
    _session, store, poller = loaded
    seeded = _named(store, "volume_snapshots", "scratch-data-before-upgrade")
    assert seeded.volume_id == _named(store, "volumes", "scratch-data").id and seeded.size_gb == 100
    pipeline = _named(store, "server_groups", "assembly-pipeline")
    assert _named(store, "servers", "bigmem-assembly").id in pipeline.member_ids and pipeline.policy == "soft-affinity"
    volume = conn.block_storage.create_volume(name="kinds-src", size=1)
    conn.block_storage.wait_for_status(volume, "available", wait=30)
    snapshot = conn.block_storage.create_snapshot(volume_id=volume.id, name="kinds-snap\x1b[31m")
    group = conn.compute.create_server_group(name="kinds-group", policy="anti-affinity")
    try:
        conn.block_storage.wait_for_status(snapshot, "available", wait=30)
        await poller.load_all(("volume_snapshots", "server_groups"))
        snap = store.get("volume_snapshots")[snapshot.id]
        assert isinstance(snap, VolumeSnapshot)
        assert (snap.volume_id, snap.size_gb, snap.status, snap.progress) == (volume.id, 1, "available", "100%")
        assert "\x1b" not in snap.name and snap.name.startswith("kinds-snap")  # the trust boundary
        held = store.get("server_groups")[group.id]
        assert isinstance(held, ServerGroup) and (held.name, held.policy, held.member_ids) == (
            "kinds-group", "anti-affinity", ())
    finally:
        conn.block_storage.delete_snapshot(snapshot)
        conn.compute.delete_server_group(group)
        conn.block_storage.wait_for_delete(snapshot, wait=30)
        conn.block_storage.delete_volume(volume)
    await poller.load_all(("volume_snapshots", "server_groups"))
    assert snapshot.id not in store.get("volume_snapshots") and group.id not in store.get("server_groups")


async def test_action_history_with_events_and_the_failure_marked(loaded):
    session, store, _poller = loaded
    rocky = _named(store, "servers", "analysis-rocky")
    history = await fetch_history(session, rocky.id)
    assert [a.action for a in history] == ["stop", "resize", "create"]
    assert all(isinstance(a, InstanceAction) and a.request_id.startswith("req-") and a.user_id and a.start_time
               for a in history)
    assert [a.failed for a in history] == [False, True, False]
    assert history[1].events[0].event == "compute_prep_resize" and history[1].events[0].failed
    assert history[2].events[0].result == "Success"
    bare = await fetch_history(session, rocky.id, events=False)
    assert [a.request_id for a in bare] == [a.request_id for a in history] and not bare[0].events
    newest = await fetch_history(session, rocky.id, events_for=1)
    assert [bool(a.events) for a in newest] == [True, False, False]


async def test_the_passphrase_is_fetched_on_demand_and_never_kept_or_logged(loaded, caplog):
    session, store, _poller = loaded
    notebook = _named(store, "servers", "notebook")
    assert notebook.has_passphrase and not any(t.startswith("exoPw") for t in notebook.tags)
    assert EXOSPHERE_PASSPHRASE not in repr(notebook)
    caplog.set_level(logging.DEBUG)
    found = await fetch_passphrase(session, notebook.id)
    assert isinstance(found, Passphrase) and found.value == EXOSPHERE_PASSPHRASE and found.source == "tag"
    assert EXOSPHERE_PASSPHRASE not in repr(found) and EXOSPHERE_PASSPHRASE not in str(found)
    assert EXOSPHERE_PASSPHRASE not in caplog.text
    web = _named(store, "servers", "web-frontend")
    assert not web.has_passphrase and await fetch_passphrase(session, web.id) is None


async def test_a_passphrase_still_in_os_server_password_is_found(clouds_env, demo):
    from exotui.demo.seed import EXOSPHERE_FRESH_PASSPHRASE

    def put_back(world):  # another test may have moved it to a tag already (tests/demo/test_kinds_served.py)
        server = next(s for s in world.servers.values() if s["name"] == "workshop-vm-1")
        server["tags"] = [t for t in server["tags"] if not t.startswith("exoPw:")]
        server["_password"] = EXOSPHERE_FRESH_PASSPHRASE
        return server["id"]

    server_id = demo.call(put_back, demo.world)
    conn = openstack.connect(cloud=CLOUD_NAME, project_name="CIS240112")
    session = CloudSession(lambda: conn, label="test")
    try:
        found = await fetch_passphrase(session, server_id)
        assert found is not None and (found.value, found.source) == (EXOSPHERE_FRESH_PASSPHRASE, "os-server-password")
    finally:
        session.close()


def test_models_read_both_server_group_shapes_and_hide_the_passphrase():
    old = ServerGroup.from_api({"id": "g", "name": "n", "policies": ["affinity"], "members": ["a"], "metadata": {}})
    new = ServerGroup.from_api({"id": "g", "name": "n", "policy": "anti-affinity", "rules": {"max_server_per_host": 2},
                                "members": []})
    assert (old.policy, old.member_ids) == ("affinity", ("a",))
    assert (new.policy, dict(new.rules)) == ("anti-affinity", {"max_server_per_host": "2"})
    server = Server.from_api({"id": "s", "name": "x", "status": "ACTIVE", "tags": ["exoPw:secret words", "keep\x07"],
                              "metadata": {"exouserPassword": "older secret", "exoServerVersion": "6"}})
    assert server.has_passphrase and server.tags == ("keep\u2407",)
    assert "secret" not in repr(server) and dict(server.metadata) == {"exoServerVersion": "6"}
    assert InstanceAction.from_api({"request_id": "r", "action": "resize", "message": "Error"}).failed
    assert not InstanceAction.from_api({"request_id": "r", "action": "stop", "message": None,
                                        "events": [{"event": "e", "result": "Success"}]}).failed


async def test_with_the_libraries_at_debug_the_log_file_never_holds_the_passphrase(clouds_env, tmp_path):
    """The worst case: keystoneauth logging every response body (a server list carries the exoPw: tag)
    through exotui's own redacting formatter and filter."""
    import io

    from exotui.logs import FORMAT, RedactingFilter, RedactingFormatter

    written = io.StringIO()
    handler = logging.StreamHandler(written)
    handler.setFormatter(RedactingFormatter(FORMAT))
    handler.addFilter(RedactingFilter())
    library = logging.getLogger("keystoneauth")
    level = library.level
    library.addHandler(handler)
    library.setLevel(logging.DEBUG)
    session = CloudSession(lambda: openstack.connect(cloud=CLOUD_NAME), label="test")
    try:
        page = await session.get_list("compute", "/servers/detail", "servers", microversion="2.26")
        notebook = next(s for s in page.items if s["name"] == "notebook")
        assert f"exoPw:{EXOSPHERE_PASSPHRASE}" in notebook["tags"]  # it was in the answer
        found = await fetch_passphrase(session, notebook["id"])
        assert found is not None and found.value == EXOSPHERE_PASSPHRASE
    finally:
        library.removeHandler(handler)
        library.setLevel(level)
        session.close()
    log = written.getvalue()
    assert "RESP BODY" in log and "exoPw:***" in log, "the test saw the bodies it means to check"
    assert EXOSPHERE_PASSPHRASE not in log and "ash bay" not in log

"""Cinder of the demo cloud: the model on a hand-built World, then the API through the `openstack`
CLI, openstacksdk and raw HTTP, held against the oracle's captured exchanges."""

from __future__ import annotations

import asyncio
import json

import pytest
import requests

from conditions import run_loop_until
from oracle_files import oracle, unique

from exotui.demo import cinder
from exotui.demo.common import ApiError
from exotui.demo.world import Knobs, World


# --- the model (the contract Nova and the seed call) ----------------------------------------

@pytest.fixture()
def world() -> World:
    return World(Knobs(delay_scale=0.0, seed=4))


@pytest.fixture()
def slow_world():
    """A world whose transitions take (scaled-down) time, to watch the intermediate states."""
    loop = asyncio.new_event_loop()
    w = World(Knobs(delay_scale=0.01, seed=5), loop=loop)
    yield w, lambda: run_loop_until(loop, lambda: not w._pending, what="the world's transitions")
    loop.close()


def test_model_volume_goes_creating_then_available(slow_world):
    world, settle = slow_world
    volume = cinder.create_volume(world, "p1", "data", 10, user_id="u1")
    assert volume["status"] == "creating" and volume["bootable"] == "false"
    settle()
    assert volume["status"] == "available" and volume["updated_at"] is not None
    assert volume["os-vol-tenant-attr:tenant_id"] == "p1" and volume["volume_type"] == "__DEFAULT__"


def test_model_attach_detach_sequence(slow_world):
    world, settle = slow_world
    volume = cinder.create_volume(world, "p1", "data", 10, instant=True)
    attachment = cinder.attach(world, volume["id"], "srv-1", "/dev/sdb")
    assert volume["status"] == "attaching"
    assert set(attachment) == {"id", "server_id", "attachment_id", "volume_id", "device", "host_name", "attached_at"}
    settle()
    assert volume["status"] == "in-use"
    cinder.detach(world, volume["id"], "srv-1")
    assert volume["status"] == "detaching"
    settle()
    assert volume["status"] == "available" and volume["attachments"] == []


def test_model_attach_refuses_attached_volume_with_novas_wording(world):
    volume = cinder.create_volume(world, "p1", "data", 1, instant=True)
    cinder.attach(world, volume["id"], "srv-1", "/dev/sdb", instant=True)
    with pytest.raises(ApiError) as err:
        cinder.attach(world, volume["id"], "srv-2", "/dev/sdc")
    assert err.value.status == 400
    assert err.value.message == (f"Invalid volume: volume {volume['id']} is already attached to instances: srv-1")
    creating = cinder.create_volume(world, "p1", "new", 1)
    creating["status"] = "creating"
    with pytest.raises(ApiError) as err:
        cinder.attach(world, creating["id"], "srv-1", "/dev/sdc")
    assert err.value.status == 400 and "current status is creating" in err.value.message


def test_model_attachments_of_in_attach_order_and_detach_unknown(world):
    first = cinder.create_volume(world, "p1", "a", 1, instant=True)
    second = cinder.create_volume(world, "p1", "b", 1, instant=True)
    cinder.attach(world, second["id"], "srv-1", "/dev/sdb", instant=True)
    cinder.attach(world, first["id"], "srv-1", "/dev/sdc", instant=True)
    found = cinder.attachments_of(world, "srv-1")
    assert [(a["volume_id"], a["device"]) for a in found] == [(second["id"], "/dev/sdb"), (first["id"], "/dev/sdc")]
    assert all(not k.startswith("_") for a in found for k in a)
    assert cinder.attachments_of(world, "srv-2") == []
    with pytest.raises(ApiError) as err:
        cinder.detach(world, first["id"], "srv-2")
    assert err.value.status == 404


# --- the API through real clients ---------------------------------------------------------------

@pytest.fixture()
def api(conn):
    """(volume endpoint, headers with a token) for raw HTTP checks."""
    return conn.block_storage.get_endpoint().rstrip("/"), {"X-Auth-Token": conn.auth_token,
                                                           "Accept": "application/json"}


def cli_json(openstack_cli, *args: str):
    return json.loads(openstack_cli(*args, "-f", "json").stdout)


def test_cli_volume_lifecycle(openstack_cli):
    name = unique("cli-vol")
    created = cli_json(openstack_cli, "volume", "create", "--size", "2", "--description", "scratch", name)
    assert created["name"] == name and created["size"] == 2 and created["status"] == "creating"
    listed = {v["Name"]: v for v in cli_json(openstack_cli, "volume", "list")}
    assert listed[name]["Status"] == "available" and listed[name]["Size"] == 2
    renamed = unique("cli-renamed")
    openstack_cli("volume", "set", "--name", renamed, "--size", "5", name)
    shown = cli_json(openstack_cli, "volume", "show", renamed)
    assert (shown["size"], shown["status"], shown["description"]) == (5, "available", "scratch")
    done = openstack_cli("volume", "set", "--size", "3", renamed, check=False)
    assert done.returncode != 0
    openstack_cli("volume", "delete", renamed)
    assert renamed not in {v["Name"] for v in cli_json(openstack_cli, "volume", "list")}


def test_cli_create_size_zero_is_refused(openstack_cli):
    done = openstack_cli("volume", "create", "--size", "0", unique("zero"), check=False)
    assert done.returncode != 0
    assert "Invalid input for field/attribute size. Value: 0. 0 is less than the minimum of 1" in done.stderr


def test_delete_in_use_volume_is_refused(conn, openstack_cli):
    net = next(n for n in conn.network.networks() if n.name == "auto_allocated_network")
    image = conn.image.find_image("Featured-Ubuntu24")
    server = conn.compute.create_server(name=unique("vol-host"), image_id=image.id,
                                        flavor_id=conn.compute.find_flavor("m3.tiny").id,
                                        networks=[{"uuid": net.id}])
    server = conn.compute.wait_for_server(server, wait=30)
    volume = conn.block_storage.create_volume(size=1, name=unique("attached"))
    volume = conn.block_storage.wait_for_status(volume, "available", wait=10)
    try:
        conn.compute.create_volume_attachment(server, volume=volume)
        shown = conn.block_storage.get_volume(volume.id)
        assert shown.status == "in-use"
        assert [a["server_id"] for a in shown.attachments] == [server.id]
        done = openstack_cli("volume", "delete", volume.id, check=False)
        assert done.returncode != 0
        assert cinder.IN_USE_MESSAGE in done.stderr
        conn.compute.delete_volume_attachment(server, volume.id)
        assert conn.block_storage.wait_for_status(volume, "available", wait=10).attachments == []
    finally:
        conn.compute.delete_server(server)
    conn.block_storage.delete_volume(volume)


def test_snapshots_through_cli_and_sdk(conn, openstack_cli):
    volume = conn.block_storage.create_volume(size=3, name=unique("snapped"))
    conn.block_storage.wait_for_status(volume, "available", wait=10)
    name = unique("snap")
    created = cli_json(openstack_cli, "volume", "snapshot", "create", "--volume", volume.id, name)
    assert created["status"] == "creating" and created["size"] == 3
    listed = {s["Name"]: s for s in cli_json(openstack_cli, "volume", "snapshot", "list")}
    assert listed[name]["Status"] == "available"
    snapshot = conn.block_storage.find_snapshot(name)
    assert conn.block_storage.get_snapshot(snapshot.id).volume_id == volume.id
    with pytest.raises(Exception, match="have snapshots"):
        conn.block_storage.delete_volume(volume)
    openstack_cli("volume", "snapshot", "delete", name)
    assert conn.block_storage.find_snapshot(name) is None
    conn.block_storage.delete_volume(volume)


def test_quota_usage_follows_volumes(conn):
    project = conn.current_project_id
    before = conn.block_storage.get_quota_set(project, usage=True)
    volume = conn.block_storage.create_volume(size=7, name=unique("quota"))
    after = conn.block_storage.get_quota_set(project, usage=True)
    assert after.usage["volumes"] == before.usage["volumes"] + 1
    assert after.usage["gigabytes"] == before.usage["gigabytes"] + 7
    assert after.volumes == 10 and after.gigabytes == 1000
    with pytest.raises(Exception, match="VolumeSizeExceedsAvailableQuota"):
        conn.block_storage.create_volume(size=5000, name=unique("too-big"))
    conn.block_storage.delete_volume(volume)


def test_raw_microversions_errors_and_url_forms(conn, api):
    base, headers = api
    too_high = requests.get(base + "/volumes", headers={**headers, "OpenStack-API-Version": "volume 3.999"})
    assert too_high.status_code == 406
    assert too_high.headers["OpenStack-API-Version"] == "volume 3.999"
    assert too_high.json() == oracle("cinder-266")["response_body"]
    missing = requests.get(base + "/volumes/00000000-0000-0000-0000-000000000000", headers=headers)
    assert missing.status_code == 404 and missing.json() == oracle("cinder-252")["response_body"]
    assert missing.headers["OpenStack-API-Version"] == "volume 3.0"
    unauthorized = requests.get(base + "/volumes", headers={"X-Auth-Token": "not-a-token"})
    assert unauthorized.status_code == 401 and unauthorized.json() == oracle("cinder-267")["response_body"]
    assert requests.get(base + "/", headers={}).status_code == 401  # /v3/ needs a token (cinder-245)

    volume = conn.block_storage.create_volume(size=1, name=unique("raw"))
    with_project = requests.get(f"{base}/{conn.current_project_id}/volumes/{volume.id}", headers=headers)
    assert with_project.status_code == 200
    assert f"/v3/{conn.current_project_id}/volumes/{volume.id}" in with_project.json()["volume"]["links"][0]["href"]
    old = requests.get(f"{base}/volumes/{volume.id}", headers={**headers, "OpenStack-API-Version": "volume 3.0"})
    new = requests.get(f"{base}/volumes/{volume.id}", headers={**headers, "OpenStack-API-Version": "volume 3.71"})
    assert new.headers["OpenStack-API-Version"] == "volume 3.71"
    added = set(new.json()["volume"]) - set(old.json()["volume"])
    assert added == {"group_id", "shared_targets", "service_uuid", "volume_type_id", "consumes_quota"}
    smaller = requests.post(f"{base}/volumes/{volume.id}/action", json={"os-extend": {"new_size": 1}},
                            headers=headers)
    assert smaller.status_code == 400 and smaller.json()["badRequest"]["message"] == (
        "Invalid input received: New size for extend must be greater than current size. (current: 1, extended: 1).")
    conn.block_storage.delete_volume(volume)


def test_raw_list_filters_sorting_and_paging(conn, api):
    base, headers = api
    tag = unique("page")
    ids = [conn.block_storage.create_volume(size=1, name=f"{tag}-{i}").id for i in range(3)]
    named = requests.get(f"{base}/volumes/detail", params={"name": f"{tag}-1"}, headers=headers).json()
    assert [v["id"] for v in named["volumes"]] == [ids[1]]
    seen, params = [], {"limit": 2, "sort": "name:asc"}
    url = f"{base}/volumes"
    while url:
        page = requests.get(url, params=params, headers=headers).json()
        seen += [v["name"] for v in page["volumes"]]
        url, params = next((link["href"] for link in page.get("volumes_links", [])), None), None
    mine = [n for n in seen if n.startswith(tag)]
    assert mine == [f"{tag}-0", f"{tag}-1", f"{tag}-2"] and seen == sorted(seen, key=lambda n: (n is not None, n))
    for volume_id in ids:
        conn.block_storage.delete_volume(volume_id)


def test_types_zones_and_limits(conn, api):
    base, headers = api
    types = requests.get(base + "/types", headers=headers).json()
    assert types == oracle("cinder-260")["response_body"]
    zones = requests.get(base + "/os-availability-zone", headers=headers).json()
    assert zones == oracle("cinder-265")["response_body"]
    absolute = requests.get(base + "/limits", headers=headers).json()["limits"]["absolute"]
    assert set(absolute) == set(oracle("cinder-261")["response_body"]["limits"]["absolute"])
    volumes = [v for v in conn.block_storage.volumes()]
    assert absolute["totalVolumesUsed"] == len(volumes)


# --- shape: the demo's JSON has (at least) the keys the real Cinder sends ----------------------------

def test_shapes_match_oracle(conn, api):
    base, headers = api
    volume = conn.block_storage.create_volume(size=1, name=unique("shape"))
    for exchange, version in (("cinder-249", "3.0"), ("cinder-250", "3.71")):
        want = oracle(exchange)["response_body"]["volumes"][0]
        got = requests.get(base + "/volumes/detail", params={"name": volume.name},
                           headers={**headers, "OpenStack-API-Version": f"volume {version}"}).json()["volumes"][0]
        assert set(got) == set(want), exchange
    created = requests.post(base + "/volumes", json={"volume": {"size": 1, "name": unique("shape")}},
                            headers={**headers, "OpenStack-API-Version": "volume 3.0"}).json()["volume"]
    assert set(created) == set(oracle("cinder-161")["response_body"]["volume"])
    snap = requests.post(base + "/snapshots", json={"snapshot": {"volume_id": volume.id, "name": unique("s")}},
                         headers=headers).json()["snapshot"]
    assert set(snap) == set(oracle("cinder-258")["response_body"]["snapshot"])
    detail = requests.get(base + "/snapshots/detail", headers=headers).json()["snapshots"]
    assert set(next(s for s in detail if s["id"] == snap["id"])) == set(
        oracle("cinder-259")["response_body"]["snapshots"][0])
    quota = requests.get(f"{base}/os-quota-sets/{conn.current_project_id}", params={"usage": "true"},
                         headers=headers).json()["quota_set"]
    assert set(quota) == set(oracle("cinder-262")["response_body"]["quota_set"])
    conn.block_storage.delete_snapshot(snap["id"])
    conn.block_storage.delete_volume(created["id"])
    conn.block_storage.delete_volume(volume)


def test_volumes_filter_on_update_time_from_3_60(conn):
    """Cinder's time comparison filters (3.60), the shape exotui's poller uses for volumes: `updated_at=gte:`
    brings what changed since; before 3.60 the key is refused as an unknown filter."""
    import datetime as dt

    storage = conn.block_storage
    volume = storage.create_volume(name="time-filter", size=1)
    try:
        storage.wait_for_status(volume, "available", wait=10)
        updated = storage.get_volume(volume).updated_at
        stamp = dt.datetime.fromisoformat(updated.replace("Z", "+00:00")).strftime("%Y-%m-%dT%H:%M:%SZ")

        def names(query: str, mv: str = "3.60"):
            answer = storage.get(f"/volumes/detail?{query}", microversion=mv)
            return answer.status_code, [v["name"] for v in answer.json().get("volumes", [])], answer.json()

        status, found, _ = names(f"updated_at=gte:{stamp}")
        assert status == 200 and "time-filter" in found
        status, found, _ = names("updated_at=gt:2999-01-01T00:00:00Z")
        assert status == 200 and found == []
        status, _, body = names(f"updated_at=gte:{stamp}", mv="3.59")
        assert status == 400 and "Invalid filters updated_at" in body["badRequest"]["message"]
        status, _, body = names("updated_at=after:2026-01-01T00:00:00Z")
        assert status == 400 and "Time comparison operators" in body["badRequest"]["message"]
    finally:
        storage.delete_volume(volume)

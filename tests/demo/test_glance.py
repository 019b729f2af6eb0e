"""Glance of the demo cloud: the model on a hand-built World, then the API through the `openstack`
CLI, openstacksdk and raw HTTP, held against the oracle's captured exchanges."""

from __future__ import annotations

import asyncio
import hashlib
import json

import pytest
import requests

from conditions import run_loop_until
from oracle_files import oracle, unique

from exotui.demo import glance
from exotui.demo.world import Knobs, World

PATCH = {"Content-Type": "application/openstack-images-v2.1-json-patch"}


# --- the model (the contract Nova and the seed call) ----------------------------------------

def test_model_add_image_keeps_properties_at_top_level():
    world = World(Knobs(delay_scale=0.0))
    image = glance.add_image(world, "Featured-Ubuntu24", properties={"os_distro": "ubuntu", "default_user": "ubuntu"},
                             min_disk=20, size=4_600_000_000)
    assert image["os_distro"] == "ubuntu" and image["default_user"] == "ubuntu"
    assert (image["status"], image["visibility"], image["size"], image["min_disk"]) == ("active", "public",
                                                                                        4_600_000_000, 20)
    assert len(image["checksum"]) == 32 and image["os_hash_algo"] == "sha512" and image["stores"] == "fs"
    assert image["self"] == f"/v2/images/{image['id']}" and world.images[image["id"]] is image
    queued = glance.add_image(world, "empty", owner="p1", visibility="private", status="queued")
    assert (queued["status"], queued["size"], queued["checksum"], queued["owner"]) == ("queued", None, None, "p1")


def test_model_server_snapshot_goes_queued_saving_active():
    loop = asyncio.new_event_loop()
    world = World(Knobs(delay_scale=0.01), loop=loop)
    world.users["u1"] = {"id": "u1", "name": "demo"}
    world.projects["p1"] = {"id": "p1", "name": "BIO"}
    world.roles.update({"r1": {"id": "r1", "name": "member"}, "r2": {"id": "r2", "name": "reader"}})
    world.assignments += [("u1", "p1", "r1"), ("u1", "p1", "r2")]
    world.flavors["3"] = {"id": "3", "disk": 20}
    base = glance.add_image(world, "Featured-Ubuntu24", properties={"os_distro": "ubuntu"})
    server = {"id": "srv-1", "tenant_id": "p1", "user_id": "u1", "image": {"id": base["id"]}, "_flavor_id": "3"}
    try:
        snap = glance.create_server_snapshot(world, server, "backup", {"purpose": "test"})
        assert (snap["status"], snap["disk_format"], snap["size"]) == ("queued", None, None)
        assert snap["image_type"] == "snapshot" and snap["instance_uuid"] == "srv-1"
        assert snap["base_image_ref"] == base["id"] and snap["owner"] == "p1" and snap["visibility"] == "private"
        assert (snap["owner_user_name"], snap["owner_project_name"], snap["boot_roles"]) == ("demo", "BIO",
                                                                                             "reader,member")
        assert snap["os_distro"] == "ubuntu" and snap["purpose"] == "test" and snap["min_disk"] == 20
        seen = set()
        run_loop_until(loop, lambda: seen.add(snap["status"]) or snap["status"] == "active", what="the snapshot")
        assert seen == {"queued", "saving", "active"} and snap["checksum"] and snap["size"]
    finally:
        loop.close()


# --- the API through real clients ---------------------------------------------------------------

@pytest.fixture()
def api(conn):
    """(image endpoint, headers with a token) for raw HTTP checks."""
    endpoint = conn.image.get_endpoint().rstrip("/")
    base = endpoint[:-len("/v2")] if endpoint.endswith("/v2") else endpoint  # discovery appends /v2
    return base, {"X-Auth-Token": conn.auth_token, "Accept": "application/json"}


def cli_json(openstack_cli, *args: str):
    return json.loads(openstack_cli(*args, "-f", "json").stdout)


def test_cli_image_lifecycle(openstack_cli, tmp_path):
    data = tmp_path / "disk.raw"
    data.write_bytes(b"exotui" * 1000)
    name = unique("cli-img")
    created = cli_json(openstack_cli, "image", "create", "--file", str(data), "--disk-format", "raw",
                       "--container-format", "bare", "--property", "os_distro=debian", name)
    assert created["status"] == "active" and created["size"] == 6000 and created["visibility"] == "shared"
    assert created["checksum"] == hashlib.md5(data.read_bytes()).hexdigest()
    assert created["properties"]["os_distro"] == "debian"
    openstack_cli("image", "set", "--property", "default_user=debian", "--min-disk", "5", name)
    shown = cli_json(openstack_cli, "image", "show", name)
    assert shown["properties"]["default_user"] == "debian" and shown["min_disk"] == 5
    assert shown["properties"]["os_hash_value"] == hashlib.sha512(data.read_bytes()).hexdigest()
    listed = cli_json(openstack_cli, "image", "list", "--name", name)
    assert [i["Name"] for i in listed] == [name]
    assert {"Featured-Ubuntu24", name} <= {i["Name"] for i in cli_json(openstack_cli, "image", "list")}
    openstack_cli("image", "delete", name)
    assert cli_json(openstack_cli, "image", "list", "--name", name) == []
    missing = openstack_cli("image", "show", "00000000-0000-0000-0000-000000000000", check=False)
    assert missing.returncode != 0 and "No Image found" in missing.stderr


def test_sdk_properties_and_visibility(conn, demo):
    image = conn.image.create_image(name=unique("sdk-img"), disk_format="qcow2", container_format="bare",
                                    allow_duplicates=True, data=b"abc", validate_checksum=False)
    assert conn.image.get_image(image.id).status == "active"
    conn.image.update_image_properties(image, exotui_note="from the sdk", hw_disk_bus="scsi")
    updated = conn.image.get_image(image.id)
    assert updated.properties["exotui_note"] == "from the sdk" and updated.hw_disk_bus == "scsi"
    other = demo.call(lambda: glance.add_image(demo.world, unique("other-project"), owner="someone-else",
                                               visibility="private"))
    names = {i.name for i in conn.image.images()}
    assert image.name in names and other["name"] not in names
    assert conn.image.find_image(other["id"]) is None
    conn.image.delete_image(image)
    assert conn.image.find_image(image.id) is None


def test_raw_versions_auth_and_errors(api):
    base, headers = api
    root = requests.get(base, headers={})
    assert root.status_code == 300
    assert [v["id"] for v in root.json()["versions"]] == [v["id"] for v in oracle("glance-268")["response_body"]
                                                          ["versions"]]
    assert requests.get(base + "/versions").status_code == 200
    no_token = requests.get(base + "/v2")
    assert no_token.status_code == 401 and no_token.json() == oracle("glance-270")["response_body"]
    v2_slash = requests.get(base + "/v2/", headers=headers)
    assert v2_slash.status_code == 404 and v2_slash.json() == oracle("glance-271")["response_body"]
    unknown = requests.get(base + "/v2/images/00000000-0000-0000-0000-000000000000", headers=headers)
    assert unknown.status_code == 404 and unknown.json() == oracle("glance-277")["response_body"]
    public = requests.post(base + "/v2/images", json={"name": "x", "visibility": "public"}, headers=headers)
    assert public.status_code == 403 and public.json() == oracle("glance-283")["response_body"]
    schema = requests.get(base + "/v2/schemas/image", headers=headers)
    assert schema.json() == oracle("glance-284")["response_body"]


def test_raw_create_upload_patch_delete(api):
    base, headers = api
    created = requests.post(base + "/v2/images", json={"name": unique("raw"), "disk_format": "raw",
                                                        "container_format": "bare"}, headers=headers)
    assert created.status_code == 201
    image = created.json()
    assert created.headers["Location"].endswith(f"/v2/images/{image['id']}")
    assert (image["status"], image["visibility"], image["size"]) == ("queued", "shared", None)
    url = f"{base}/v2/images/{image['id']}"
    upload = requests.put(url + "/file", data=b"x" * 1024,
                          headers={**headers, "Content-Type": "application/octet-stream"})
    assert upload.status_code == 204
    after = requests.get(url, headers=headers).json()
    want = oracle("glance-281")["response_body"]
    for key in ("status", "size", "virtual_size", "checksum", "os_hash_algo", "os_hash_value", "stores"):
        assert after[key] == want[key], key
    again = requests.put(url + "/file", data=b"y", headers={**headers, "Content-Type": "application/octet-stream"})
    assert again.status_code == 409
    assert requests.get(url + "/file", headers=headers).content == b"x" * 1024

    added = requests.patch(url, json=[{"op": "add", "path": "/hw_disk_bus", "value": "scsi"},
                                      {"op": "replace", "path": "/name", "value": "renamed"}],
                           headers={**headers, **PATCH})
    assert added.status_code == 200 and added.json()["hw_disk_bus"] == "scsi" and added.json()["name"] == "renamed"
    assert list(added.json())[0] == "hw_disk_bus"  # properties come first, as in glance-282
    missing = requests.patch(url, json=[{"op": "replace", "path": "/nope", "value": "1"}],
                             headers={**headers, **PATCH})
    assert missing.status_code == 409 and "Property nope does not exist." in missing.json()["message"]
    read_only = requests.patch(url, json=[{"op": "replace", "path": "/status", "value": "active"}],
                               headers={**headers, **PATCH})
    assert read_only.status_code == 403
    removed = requests.patch(url, json=[{"op": "remove", "path": "/hw_disk_bus"}], headers={**headers, **PATCH})
    assert "hw_disk_bus" not in removed.json()
    assert requests.patch(url, json=[], headers=headers).status_code == 415
    deleted = requests.delete(url, headers=headers)
    assert deleted.status_code == 204
    assert requests.get(url, headers=headers).status_code == 404


def test_raw_list_filters_paging_and_sort(api):
    base, headers = api
    tag = unique("list")
    ids = [requests.post(base + "/v2/images", json={"name": f"{tag}-{i}", "distro_tag": tag},
                         headers=headers).json()["id"] for i in range(3)]
    by_name = requests.get(base + "/v2/images", params={"name": f"{tag}-1"}, headers=headers).json()
    assert [i["id"] for i in by_name["images"]] == [ids[1]]
    assert by_name["first"] == f"/v2/images?name={tag}-1" and "next" not in by_name
    by_property = requests.get(base + "/v2/images", params={"distro_tag": tag, "sort": "name:asc"},
                               headers=headers).json()
    assert [i["name"] for i in by_property["images"]] == [f"{tag}-0", f"{tag}-1", f"{tag}-2"]
    names, url, params = [], base + "/v2/images", {"distro_tag": tag, "limit": 1, "sort_key": "name",
                                                     "sort_dir": "desc"}
    while url:
        page = requests.get(url, params=params, headers=headers).json()
        names += [i["name"] for i in page["images"]]
        url, params = (base + page["next"]) if "next" in page else None, None
    assert names == [f"{tag}-2", f"{tag}-1", f"{tag}-0"]
    queued = requests.get(base + "/v2/images", params={"status": "queued", "visibility": "shared"},
                          headers=headers).json()["images"]
    assert set(ids) <= {i["id"] for i in queued} and all(i["status"] == "queued" for i in queued)
    public = requests.get(base + "/v2/images", params={"visibility": "public"}, headers=headers).json()["images"]
    assert public and all(i["visibility"] == "public" for i in public)
    bad = requests.get(base + "/v2/images", params={"sort_key": "nope"}, headers=headers)
    assert bad.status_code == 400
    for image_id in ids:
        assert requests.delete(f"{base}/v2/images/{image_id}", headers=headers).status_code == 204


def test_member_cannot_delete_public_image(conn, api):
    base, headers = api
    public = conn.image.find_image("Featured-Ubuntu24")
    refused = requests.delete(f"{base}/v2/images/{public.id}", headers=headers)
    assert refused.status_code == 403 and conn.image.get_image(public.id).status == "active"


def test_create_image_from_server_appears_in_glance(conn):
    net = next(n for n in conn.network.networks() if n.name == "auto_allocated_network")
    base = conn.image.find_image("Featured-RockyLinux9")
    server = conn.compute.create_server(name=unique("snap-src"), image_id=base.id,
                                        flavor_id=conn.compute.find_flavor("m3.medium").id,
                                        networks=[{"uuid": net.id}])
    server = conn.compute.wait_for_server(server, wait=30)
    try:
        name = unique("snap")
        image = conn.compute.create_server_image(server, name, wait=True, timeout=30)
        shown = conn.image.get_image(image.id)
        assert (shown.name, shown.status, shown.visibility, shown.min_disk) == (name, "active", "private", 60)
        assert shown.instance_uuid == server.id and shown.properties["image_type"] == "snapshot"
        assert shown.properties["base_image_ref"] == base.id and shown.os_distro == "rocky"
        assert name in {i.name for i in conn.image.images()}
        conn.image.delete_image(image)
    finally:
        conn.compute.delete_server(server)


# --- shape: the demo's JSON has (at least) the keys the real Glance sends ----------------------------

def test_shapes_match_oracle(conn, api):
    base, headers = api
    public = conn.image.find_image("Featured-Ubuntu24")
    shown = requests.get(f"{base}/v2/images/{public.id}", headers=headers).json()
    want = set(oracle("glance-275")["response_body"]) - {k for k in oracle("glance-275")["response_body"]
                                                          if k.startswith("owner_specified.")}
    assert want <= set(shown)
    created = requests.post(base + "/v2/images", json={"name": unique("shape"), "disk_format": "raw",
                                                        "container_format": "bare"}, headers=headers).json()
    assert set(created) == set(oracle("glance-279")["response_body"])
    listing = requests.get(base + "/v2/images", params={"limit": 1}, headers=headers).json()
    assert set(listing) == set(oracle("glance-274")["response_body"])
    net = next(n for n in conn.network.networks() if n.name == "auto_allocated_network")
    server = conn.compute.create_server(name=unique("shape-src"), image_id=public.id,
                                        flavor_id=conn.compute.find_flavor("m3.tiny").id,
                                        networks=[{"uuid": net.id}])
    server = conn.compute.wait_for_server(server, wait=30)
    try:
        snap = conn.compute.create_server_image(server, unique("shape-snap"), wait=True, timeout=30)
        body = requests.get(f"{base}/v2/images/{snap.id}", headers=headers).json()
        want = {k for k in oracle("glance-276")["response_body"] if not k.startswith("owner_specified.")}
        assert want <= set(body)
        conn.image.delete_image(snap)
    finally:
        conn.compute.delete_server(server)
    requests.delete(f"{base}/v2/images/{created['id']}", headers=headers)

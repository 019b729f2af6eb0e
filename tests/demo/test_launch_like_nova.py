"""What the demo Nova does with a launch's user data and count, as real Nova does (nova/api/openstack/compute/
schemas/servers.py, servers.py and compute/api.py `_check_num_instances_quota`), over HTTP with openstacksdk
and the `openstack` CLI."""

from __future__ import annotations

import base64
import uuid

import openstack
import pytest
from openstack.config import OpenStackConfig

from exotui.demo import nova
from exotui.demo.app import ADMIN_CLOUD_NAME

pytestmark = pytest.mark.slow


def _name(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:6]}"


@pytest.fixture()
def made(demo):
    """Servers a test made are deleted after it, so the shared project stays within its quotas."""
    ids: list[str] = []
    yield ids

    def discard(world):
        for sid in ids:
            if sid in world.servers and not world.servers[sid]["_deleted"]:
                nova.delete(world, world.servers[sid])

    demo.call(discard, demo.world)


@pytest.fixture()
def admin(demo, tmp_path, monkeypatch):
    """The demo cloud's admin (project admin), who may show any project's server, as Nova's default policy lets."""
    path = demo.cloud.write_config(tmp_path, operators=True)  # the member's clouds too, as they were
    monkeypatch.setenv("OS_CLIENT_CONFIG_FILE", str(path))
    connection = openstack.connection.Connection(
        config=OpenStackConfig(config_files=[str(path)], secure_files=[]).get_one(ADMIN_CLOUD_NAME))
    yield connection
    connection.close()


def _body(conn, name: str, **extra) -> dict:
    return {"server": {"name": name, "flavorRef": conn.compute.find_flavor("m3.tiny").id,
                       "imageRef": conn.image.find_image("Featured-Ubuntu24").id, "networks": "auto", **extra}}


def _post(conn, body: dict, mv: str = "2.104"):
    return conn.compute.post("/servers", json=body, microversion=mv, raise_exc=False)


def test_user_data_must_be_base64_of_at_most_65535_characters(conn):
    bad = _post(conn, _body(conn, _name("ud-bad"), user_data="not base64!"))
    assert bad.status_code == 400
    message = bad.json()["badRequest"]["message"]
    assert message.startswith("Invalid input for field/attribute user_data.") and "is not a 'base64'" in message
    long = _post(conn, _body(conn, _name("ud-long"), user_data="A" * 65536))
    assert long.status_code == 400 and "is too long" in long.json()["badRequest"]["message"]
    number = _post(conn, _body(conn, _name("ud-int"), user_data=12))
    assert number.status_code == 400 and "is not of type 'string'" in number.json()["badRequest"]["message"]


def test_user_data_is_kept_and_shown_to_an_admin_from_2_3(conn, admin, made):
    script = "#!/bin/sh\necho hello from user data\n"
    server = conn.compute.create_server(name=_name("ud"), flavor_id=conn.compute.find_flavor("m3.tiny").id,
                                        image_id=conn.image.find_image("Featured-Ubuntu24").id, networks="auto",
                                        user_data=base64.b64encode(script.encode()).decode())
    made.append(server.id)
    conn.compute.wait_for_server(server, wait=30)
    member = conn.compute.get(f"/servers/{server.id}", microversion="2.104").json()["server"]
    assert "OS-EXT-SRV-ATTR:user_data" not in member and "OS-EXT-SRV-ATTR:host" not in member
    seen = admin.compute.get(f"/servers/{server.id}", microversion="2.3").json()["server"]
    assert base64.b64decode(seen["OS-EXT-SRV-ATTR:user_data"]).decode() == script
    assert seen["OS-EXT-SRV-ATTR:reservation_id"].startswith("r-") and seen["OS-EXT-SRV-ATTR:launch_index"] == 0
    old = admin.compute.get(f"/servers/{server.id}", microversion="2.1").json()["server"]
    assert "OS-EXT-SRV-ATTR:user_data" not in old and old["OS-EXT-SRV-ATTR:host"]
    assert admin.compute.get_server(server.id).user_data == seen["OS-EXT-SRV-ATTR:user_data"]


def test_min_count_above_max_count_is_400(conn):
    answer = _post(conn, _body(conn, _name("mm"), min_count=3, max_count=2))
    assert answer.status_code == 400 and answer.json()["badRequest"]["message"] == "min_count must be <= max_count"


def test_nova_builds_as_many_as_the_quota_allows_between_min_and_max(conn, demo, made):
    project = conn.current_project_id
    used = demo.call(lambda world: nova.usage(world, project), demo.world)["instances"]
    limit = demo.call(lambda world: world.quota(project, "compute", "instances"), demo.world)
    room = limit - used
    name = _name("many")
    answer = _post(conn, _body(conn, name, min_count=1, max_count=room + 3))
    assert answer.status_code == 202, answer.text
    built = [s for s in conn.compute.servers(name=f"^{name}") if s.name.startswith(name)]
    made.extend(s.id for s in built)
    assert len(built) == room and {s.name for s in built} == {f"{name}-{i}" for i in range(1, room + 1)}
    refused = _post(conn, _body(conn, _name("none"), min_count=1, max_count=2))
    assert refused.status_code == 403
    assert refused.json()["forbidden"]["message"].startswith("Quota exceeded for instances: Requested 1-2, ")


def test_a_new_boot_volume_smaller_than_the_images_min_disk_is_400(conn):
    image = conn.image.find_image("Featured-Ubuntu24")
    assert image.min_disk == 20
    body = _body(conn, _name("small-root"), block_device_mapping_v2=[{
        "boot_index": 0, "uuid": image.id, "source_type": "image", "destination_type": "volume", "volume_size": 10}])
    del body["server"]["imageRef"]
    answer = _post(conn, body)
    assert answer.status_code == 400
    assert answer.json()["badRequest"]["message"] == (
        "Volume is smaller than the minimum size specified in image metadata. Volume size is 10737418240 bytes, "
        "minimum size is 21474836480 bytes.")

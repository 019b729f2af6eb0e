"""Launch options through the cloud layer, on the demo cloud and on the real stack, checked with openstacksdk:
user data as sent (read back by an admin where the cloud lets one), a floating IP on each instance once
ACTIVE, boot from an existing volume, and user data past Nova's limit refused before anything is sent."""

from __future__ import annotations

import base64

import openstack
import pytest
from openstack.config import OpenStackConfig
from test_actions import IMAGE, Cloud  # beside this file

from exotui.cloud.actions import ActionRefused
from exotui.demo.app import ADMIN_CLOUD_NAME

SCRIPT = b"#!/bin/sh\necho launched by exotui > /tmp/exotui\n"


@pytest.fixture()
async def cloud(target):
    layer = await Cloud(target).start()
    yield layer
    await layer.stop()


def _image(cloud) -> str:
    return next(i.id for i in cloud.store.get("images").values() if i.name == IMAGE)


async def test_user_data_and_a_floating_ip_each(cloud, tmp_path, monkeypatch):
    before = {f.id for f in cloud.target.conn.network.ips()}
    result = await cloud.actions.launch("opt-fip", _image(cloud), cloud.flavor_id("m3.tiny"), user_data=SCRIPT,
                                        count=2, min_count=1, floating_ip=True)
    cloud.target.made.extend(result.value or ())
    made = [f for f in cloud.target.conn.network.ips() if f.id not in before]
    try:
        assert result.ok and len(result.value) == 2, result.message
        for sid in result.value:
            ports = {p.id for p in cloud.target.conn.network.ports(device_id=sid)}
            assert [f for f in made if f.port_id in ports], f"{sid} has no floating IP of its own"
        assert all(f.floating_ip_address in result.message for f in made) and len(made) == 2
        if not cloud.target.real:  # the demo's admin reads it back, as Nova shows it to admins from 2.3
            path = cloud.target.demo.cloud.write_config(tmp_path, operators=True)
            monkeypatch.setenv("OS_CLIENT_CONFIG_FILE", str(path))
            admin = openstack.connection.Connection(
                config=OpenStackConfig(config_files=[str(path)], secure_files=[]).get_one(ADMIN_CLOUD_NAME))
            try:
                for sid in result.value:
                    assert base64.b64decode(admin.compute.get_server(sid).user_data) == SCRIPT
            finally:
                admin.close()
    finally:
        for fip in made:
            cloud.target.conn.network.delete_ip(fip.id)


async def test_boot_from_an_existing_volume_keeps_it(cloud):
    if cloud.target.real:
        pytest.skip("the real stack's fake Cinder cannot copy an image into a volume (realcloud-notes, Volumes)")
    conn = cloud.target.conn
    volume = conn.block_storage.create_volume(size=20, image_id=_image(cloud), name="opt-root")
    conn.block_storage.wait_for_status(volume, "available", wait=30)
    conn.block_storage.set_volume_bootable_status(volume, True)
    cloud.poller.kick("volumes")
    result = await cloud.actions.launch("opt-bfv", None, cloud.flavor_id("m3.tiny"), boot_volume_id=volume.id)
    cloud.target.made.extend(result.value or ())
    assert result.ok, result.message
    server = conn.compute.get_server(result.value[0])
    assert not (server.image or {}).get("id") and [a["id"] for a in server.attached_volumes] == [volume.id]
    assert conn.block_storage.get_volume(volume.id).attachments[0]["server_id"] == server.id
    assert (await cloud.actions.run(server.id, "delete")).ok
    conn.block_storage.wait_for_status(conn.block_storage.get_volume(volume.id), "available", wait=30)
    conn.block_storage.delete_volume(volume.id)


async def test_user_data_past_novas_limit_is_refused_before_it_is_sent(cloud):
    with pytest.raises(ActionRefused, match="too long: 49,152 bytes is 65,536 in base64; Nova takes at most 65,535"):
        await cloud.actions.launch("opt-big", _image(cloud), cloud.flavor_id("m3.tiny"), user_data=b"x" * 49152)
    with pytest.raises(ActionRefused, match="one volume boots one instance"):
        await cloud.actions.launch("opt-two", None, cloud.flavor_id("m3.tiny"), boot_volume_id="v", count=2)
    assert not [s for s in cloud.sent if s[1] == "POST"]

"""Cinder's volume and snapshot metadata routes and a volume's image metadata on the demo cloud, as the
`openstack` CLI (`volume set/unset --property/--image-property`, `volume snapshot set/unset --property`) and
openstacksdk drive them. Held against Cinder's code (see exotui/demo/cinder_metadata.py)."""

from __future__ import annotations

import json
import uuid

from exotui.demo.app import ALT_CLOUD_NAME, CLOUD_NAME
from tests.demo.test_keystone_admin import cli, connect, operators  # noqa: F401  (operators: the fixture)
from tests.demo.test_nova_flavors_admin import says  # Nova's and Cinder's error bodies alike

V3 = {"OpenStack-API-Version": "volume 3.0"}



def shown(operators, *args: str) -> dict:  # noqa: F811
    done = cli(operators, CLOUD_NAME, *args, "-f", "json")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def run(operators, *args: str) -> None:  # noqa: F811
    done = cli(operators, CLOUD_NAME, *args)
    assert done.returncode == 0 and done.stdout == "", done.stderr


def test_volume_properties_and_image_properties_are_set_and_unset(operators):  # noqa: F811
    member = connect(operators, CLOUD_NAME)
    name = "md-" + uuid.uuid4().hex[:8]
    volume = member.block_storage.create_volume(size=1, name=name, metadata={"Alpha": "a"})
    member.block_storage.wait_for_status(volume, "available", wait=30)
    try:
        run(operators, "volume", "set", "--no-property", "--property", "Beta=b", "--property", "Gamma=c",
            "--image-property", "a=b", "--image-property", "c=d", name)
        seen = shown(operators, "volume", "show", name)
        assert seen["properties"] == {"Beta": "b", "Gamma": "c"} and seen["volume_image_metadata"] == {"a": "b",
                                                                                                       "c": "d"}
        run(operators, "volume", "unset", "--property", "Beta", "--image-property", "a", name)
        seen = shown(operators, "volume", "show", name)
        assert seen["properties"] == {"Gamma": "c"} and seen["volume_image_metadata"] == {"c": "d"}
        assert says(member.block_storage.get(f"/volumes/{volume.id}/metadata/Beta", headers=V3), 404,
                    f"Volume {volume.id} has no metadata with key Beta.")
        mismatch = member.block_storage.put(f"/volumes/{volume.id}/metadata/Gamma", json={"meta": {"x": "y"}},
                                            headers=V3)
        assert says(mismatch, 400, "Request body and URI mismatch")
        gone = member.block_storage.post(f"/volumes/{volume.id}/action", headers=V3,
                                         json={"os-unset_image_metadata": {"key": "a"}})
        assert says(gone, 404, f"Glance metadata for volume/snapshot {volume.id} cannot be found.")
        other = connect(operators, ALT_CLOUD_NAME)  # another project's member finds nothing
        assert other.block_storage.get(f"/volumes/{volume.id}/metadata", headers=V3).status_code == 404
    finally:
        member.block_storage.delete_volume(volume)
        member.block_storage.wait_for_delete(volume, wait=30)


def test_snapshot_properties_are_set_and_unset(operators):  # noqa: F811
    member = connect(operators, CLOUD_NAME)
    volume = member.block_storage.create_volume(size=1, name="md-" + uuid.uuid4().hex[:8])
    member.block_storage.wait_for_status(volume, "available", wait=30)
    snapshot = member.block_storage.create_snapshot(volume_id=volume.id, name="md-snap-" + uuid.uuid4().hex[:6])
    member.block_storage.wait_for_status(snapshot, "available", wait=30)
    try:
        run(operators, "volume", "snapshot", "set", "--property", "Alpha=c", "--property", "Beta=b", snapshot.id)
        assert shown(operators, "volume", "snapshot", "show", snapshot.id)["properties"] == {"Alpha": "c", "Beta": "b"}
        run(operators, "volume", "snapshot", "unset", "--property", "Alpha", snapshot.id)
        assert shown(operators, "volume", "snapshot", "show", snapshot.id)["properties"] == {"Beta": "b"}
        run(operators, "volume", "snapshot", "set", "--no-property", snapshot.id)
        assert shown(operators, "volume", "snapshot", "show", snapshot.id)["properties"] == {}
    finally:
        member.block_storage.delete_snapshot(snapshot)
        member.block_storage.wait_for_delete(snapshot, wait=30)
        member.block_storage.delete_volume(volume)

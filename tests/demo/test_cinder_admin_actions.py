"""Cinder's os-reset_status on the demo cloud as an admin and a member meet it (`openstack volume set --state`,
`volume snapshot set --state`), over HTTP with openstacksdk and the CLI. Held against Cinder's admin_actions.py
(see exotui/demo/cinder_admin_actions.py)."""

from __future__ import annotations

import json
import uuid

from exotui.demo.app import ADMIN_CLOUD_NAME, CLOUD_NAME
from tests.demo.test_keystone_admin import cli, connect, operators  # noqa: F401  (operators: the fixture)
from tests.demo.test_nova_flavors_admin import says  # Nova's and Cinder's error bodies alike

V3 = {"OpenStack-API-Version": "volume 3.0"}



def test_an_admin_resets_a_volumes_and_a_snapshots_status_and_a_member_may_not(operators):  # noqa: F811
    admin, member = connect(operators, ADMIN_CLOUD_NAME), connect(operators, CLOUD_NAME)
    volume = member.block_storage.create_volume(size=1, name="rs-" + uuid.uuid4().hex[:8])
    member.block_storage.wait_for_status(volume, "available", wait=30)
    snapshot = member.block_storage.create_snapshot(volume_id=volume.id, name="rs-snap")
    member.block_storage.wait_for_status(snapshot, "available", wait=30)
    try:
        refused = member.block_storage.post(f"/volumes/{volume.id}/action", headers=V3,
                                            json={"os-reset_status": {"status": "error"}})
        assert says(refused, 403, "Policy doesn't allow volume_extension:volume_admin_actions:reset_status to be "
                                  "performed.")
        refused = member.block_storage.post(f"/snapshots/{snapshot.id}/action", headers=V3,
                                            json={"os-reset_status": {"status": "error"}})
        assert says(refused, 403, "Policy doesn't allow volume_extension:snapshot_admin_actions:reset_status to "
                                  "be performed.")
        done = cli(operators, CLOUD_NAME, "volume", "set", "--state", "error", volume.id)
        assert done.returncode != 0 and "volume_admin_actions:reset_status" in done.stderr
        bad = member.block_storage.post(f"/volumes/{volume.id}/action", headers=V3,
                                        json={"os-reset_status": {"status": "sideways"}})
        assert bad.status_code == 400 and "Volume status: sideways is invalid" in bad.text  # before the policy
        # the admin's own project holds nothing of the member's: the admin acts on a volume of its own
        mine = admin.block_storage.create_volume(size=1, name="rs-" + uuid.uuid4().hex[:8])
        admin.block_storage.wait_for_status(mine, "available", wait=30)
        mine_snap = admin.block_storage.create_snapshot(volume_id=mine.id, name="rs-snap")
        admin.block_storage.wait_for_status(mine_snap, "available", wait=30)
        done = cli(operators, ADMIN_CLOUD_NAME, "volume", "set", "--state", "error", mine.id)
        assert done.returncode == 0 and done.stdout == "", done.stderr
        assert admin.block_storage.get_volume(mine).status == "error"
        assert says(admin.block_storage.post(f"/volumes/{mine.id}/action", headers=V3,
                                             json={"os-reset_status": {"status": "in-use"}}), 400,
                    "Cannot reset-state to in-use because volume does not have any attachments.")
        done = cli(operators, ADMIN_CLOUD_NAME, "volume", "snapshot", "set", "--state", "error", mine_snap.id)
        assert done.returncode == 0, done.stderr
        assert admin.block_storage.get_snapshot(mine_snap).status == "error"
        admin.block_storage.delete_snapshot(mine_snap)
        admin.block_storage.wait_for_delete(mine_snap, wait=30)
        admin.block_storage.delete_volume(mine)
        admin.block_storage.wait_for_delete(mine, wait=30)
    finally:
        member.block_storage.delete_snapshot(snapshot)
        member.block_storage.wait_for_delete(snapshot, wait=30)
        member.block_storage.delete_volume(volume)


def test_an_admin_lists_the_volume_services_and_a_member_may_not(operators):  # noqa: F811
    admin, member = connect(operators, ADMIN_CLOUD_NAME), connect(operators, CLOUD_NAME)
    assert says(member.block_storage.get("/os-services", headers=V3), 403,
                "Policy doesn't allow volume_extension:services:index to be performed.")
    listed = admin.block_storage.get("/os-services", headers={"OpenStack-API-Version": "volume 3.49"}).json()
    binaries = {s["binary"]: s for s in listed["services"]}
    assert set(binaries) == {"cinder-scheduler", "cinder-volume"}
    assert binaries["cinder-volume"]["backend_state"] == "up" and "backend_state" not in binaries["cinder-scheduler"]
    host = binaries["cinder-volume"]["host"]
    done = cli(operators, ADMIN_CLOUD_NAME, "volume", "service", "list", "--long", "--host", host, "--service",
               "cinder-volume", "-f", "json")
    assert done.returncode == 0, done.stderr
    rows = json.loads(done.stdout)
    assert [(r["Host"], r["Binary"], r["Status"]) for r in rows] == [(host, "cinder-volume", "enabled")]
    assert "Disabled Reason" in rows[0]

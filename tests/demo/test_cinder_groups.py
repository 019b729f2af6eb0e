"""Cinder's generic volume groups on the demo cloud, over HTTP with the `openstack` CLI and openstacksdk: the
admin makes a group type, a project makes, lists, shows, renames and deletes a group of it; below 3.13 there
are no groups, a member may not write group types, and Cinder's reserved type takes no group. Held against
Cinder's code (see exotui/demo/cinder_groups.py)."""

from __future__ import annotations

import json
import uuid

import pytest

from exotui.demo.app import ADMIN_CLOUD_NAME, CLOUD_NAME
from tests.demo.test_cinder_types_admin import cli_json, cli_ok
from tests.demo.test_keystone_admin import cli, connect, operators  # noqa: F401  (operators: the fixture)
from tests.demo.test_nova_flavors_admin import says

V313 = {"OpenStack-API-Version": "volume 3.13"}


def group_cli(operators, *args: str):  # noqa: F811
    done = cli(operators, ADMIN_CLOUD_NAME, "--os-volume-api-version", "3.13", "volume", "group", *args)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout) if "-f" in args else done.stdout


@pytest.fixture(scope="module")
def admin(operators):  # noqa: F811
    return connect(operators, ADMIN_CLOUD_NAME)


def test_a_group_of_a_new_group_type_is_made_shown_renamed_and_deleted(operators, admin):  # noqa: F811
    gtype_name, vtype_name, name = (uuid.uuid4().hex for _ in range(3))
    gtype = group_cli(operators, "type", "create", gtype_name, "-f", "json")
    vtype = cli_json(operators, ADMIN_CLOUD_NAME, "volume", "type", "create", vtype_name)
    made = group_cli(operators, "create", "--volume-group-type", gtype_name, "--volume-type", vtype["id"],
                     "--name", name, "--description", "first", "-f", "json")
    assert (made["Name"], made["Description"], made["Group Type"]) == (name, "first", gtype["ID"])
    assert vtype["id"] in made["Volume Types"]
    assert made["ID"] in [g["ID"] for g in group_cli(operators, "list", "-f", "json")]
    group_cli(operators, "set", "--name", name + "-2", "--description", "second", made["ID"])
    shown = admin.block_storage.get(f"/groups/{made['ID']}", headers=V313).json()["group"]
    assert (shown["name"], shown["description"], shown["status"], shown["availability_zone"]) == (
        name + "-2", "second", "available", "nova")
    in_use = admin.block_storage.delete(f"/group_types/{gtype['ID']}", headers=V313)
    assert says(in_use, 400, "Target group type is still in use.")
    assert group_cli(operators, "delete", made["ID"]) == ""
    assert says(admin.block_storage.get(f"/groups/{made['ID']}", headers=V313), 404,
                f"Group {made['ID']} could not be found.")
    cli_ok(operators, ADMIN_CLOUD_NAME, "volume", "type", "delete", vtype["id"])
    assert group_cli(operators, "type", "delete", gtype_name) == ""


def test_groups_need_3_13_group_types_are_the_admins_and_the_reserved_type_takes_no_group(operators, admin):  # noqa: F811
    member = connect(operators, CLOUD_NAME)
    assert member.block_storage.get("/groups", headers={"OpenStack-API-Version": "volume 3.12"}).status_code == 404
    refused = member.block_storage.post("/group_types", json={"group_type": {"name": "g"}}, headers=V313)
    assert says(refused, 403, "Policy doesn't allow group:group_types:create to be performed.")
    listed = member.block_storage.get("/group_types", headers=V313).json()["group_types"]
    reserved = next(t for t in listed if t["name"] == "default_cgsnapshot_type")
    assert "group_specs" not in reserved  # an admin's only
    answer = member.block_storage.post("/groups", headers=V313, json={"group": {
        "group_type": reserved["id"], "volume_types": ["__DEFAULT__"]}})
    assert says(answer, 400, f"Group_type {reserved['id']} is reserved for migrating CGs to groups. Migrated group "
                             "can only be operated by CG APIs.")
    answer = member.block_storage.post("/groups", headers=V313, json={"group": {
        "group_type": "nope", "volume_types": ["__DEFAULT__"]}})
    assert says(answer, 404, "Group type with name nope could not be found.")
    junk = admin.block_storage.put(f"/groups/{uuid.uuid4()}", json={"group": {"add_volumes": 5}}, headers=V313)
    assert junk.status_code == 400 and "Invalid input for field/attribute add_volumes" in junk.text

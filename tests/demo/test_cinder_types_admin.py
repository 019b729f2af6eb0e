"""Cinder's volume types on the demo cloud as an admin and a member meet them, over HTTP with openstacksdk and
the `openstack` CLI: types-manage, private types and type access, extra specs (a member sees the user-visible
ones only), encryption, the default type. Held against Cinder's code (see exotui/demo/cinder_types_admin.py) and
the oracle's cinder-260 (a member's list)."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest

from exotui.demo.app import ADMIN_CLOUD_NAME, CLOUD_NAME
from tests.demo.test_keystone_admin import cli, connect, operators  # noqa: F401  (operators: the fixture)
from tests.demo.test_nova_flavors_admin import says  # Nova's and Cinder's error bodies alike

ORACLE = Path(__file__).resolve().parents[1] / "oracle" / "responses"
V3 = {"OpenStack-API-Version": "volume 3.0"}


def policy_line(action: str) -> str:
    return f"Policy doesn't allow volume_extension:{action} to be performed."


def fresh_name() -> str:
    return "vt-" + uuid.uuid4().hex[:12]



def cli_json(operators, cloud: str, *args: str):  # noqa: F811
    done = cli(operators, cloud, "--os-volume-api-version", "3", *args, "-f", "json")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def cli_ok(operators, cloud: str, *args: str) -> str:  # noqa: F811
    done = cli(operators, cloud, "--os-volume-api-version", "3", *args)
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.fixture(scope="module")
def admin(operators):  # noqa: F811
    return connect(operators, ADMIN_CLOUD_NAME)


@pytest.fixture(scope="module")
def member(operators):  # noqa: F811
    return connect(operators, CLOUD_NAME)


def test_a_members_list_is_the_oracles_and_its_writes_are_refused_with_cinders_policy_lines(operators, member):  # noqa: F811
    oracle = json.loads((ORACLE / "cinder-260-types-list.json").read_text())
    assert member.block_storage.get("/types", headers=V3).json() == oracle["response_body"]
    answer = member.block_storage.post("/types", json={"volume_type": {"name": fresh_name()}}, headers=V3)
    assert says(answer, 403, policy_line("type_create"))
    default_id = oracle["response_body"]["volume_types"][0]["id"]
    for method, path, body, action in (
            ("put", f"/types/{default_id}", {"volume_type": {"description": "x"}}, "type_update"),
            ("delete", f"/types/{default_id}", None, "type_delete"),
            ("post", f"/types/{default_id}/extra_specs", {"extra_specs": {"a": "b"}}, "types_extra_specs:create"),
            ("get", f"/types/{default_id}/os-volume-type-access", None, "volume_type_access:get_all_for_type"),
            ("get", f"/types/{default_id}/encryption", None, "volume_type_encryption:get")):
        answer = getattr(member.block_storage, method)(path, json=body, headers=V3)
        assert says(answer, 403, policy_line(action)), (path, answer.text)
    # the schema comes before the policy, as Cinder's validation.schema decorator runs first
    answer = member.block_storage.post("/types", json={"volume_type": {}}, headers=V3)
    assert answer.status_code == 400 and "'name' is a required property" in answer.text
    done = cli(operators, CLOUD_NAME, "volume", "type", "create", fresh_name())
    assert done.returncode != 0 and policy_line("type_create") in done.stderr


def test_a_private_type_is_seen_by_the_projects_it_is_shared_with(operators, admin, member):  # noqa: F811
    name = fresh_name()
    made = cli_json(operators, ADMIN_CLOUD_NAME, "volume", "type", "create", "--private", name)
    try:
        assert made["name"] == name and made["is_public"] is False
        assert name in [t["Name"] for t in cli_json(operators, ADMIN_CLOUD_NAME, "volume", "type", "list")]
        assert name not in [t["name"] for t in member.block_storage.types()]
        assert member.block_storage.get(f"/types/{made['id']}", headers=V3).status_code == 404
        private = admin.block_storage.get("/types?is_public=false", headers=V3).json()["volume_types"]
        assert [t["name"] for t in private] == [name] and "qos_specs_id" in private[0]
        assert says(admin.block_storage.get("/types?is_public=maybe", headers=V3), 400,
                    "Invalid is_public filter [maybe]")
        assert cli_ok(operators, ADMIN_CLOUD_NAME, "volume", "type", "set", "--project",
                      member.current_project_id, name) == ""
        seen = member.block_storage.get(f"/types/{made['id']}", headers=V3).json()["volume_type"]
        assert seen["name"] == name and "qos_specs_id" not in seen and seen["os-volume-type-access:is_public"] is False
        access = admin.block_storage.get(f"/types/{made['id']}/os-volume-type-access", headers=V3).json()
        assert access == {"volume_type_access": [{"volume_type_id": made["id"],
                                                  "project_id": member.current_project_id}]}
        again = admin.block_storage.post(f"/types/{made['id']}/action", headers=V3,
                                         json={"addProjectAccess": {"project": member.current_project_id}})
        assert says(again, 409, f"Volume type access for {made['id']} / {member.current_project_id} combination "
                                "already exists.")
        assert cli_ok(operators, ADMIN_CLOUD_NAME, "volume", "type", "unset", "--project",
                      member.current_project_id, name) == ""
        assert member.block_storage.get(f"/types/{made['id']}", headers=V3).status_code == 404
    finally:
        cli_ok(operators, ADMIN_CLOUD_NAME, "volume", "type", "delete", name)
    assert admin.block_storage.get(f"/types/{made['id']}", headers=V3).status_code == 404


def test_properties_are_set_and_unset_and_a_member_sees_the_user_visible_ones(operators, admin, member):  # noqa: F811
    name = fresh_name()
    cli_json(operators, ADMIN_CLOUD_NAME, "volume", "type", "create", name)
    try:
        cli_ok(operators, ADMIN_CLOUD_NAME, "volume", "type", "set", "--property", "a=b", "--property",
               "multiattach=<is> True", name)
        shown = cli_json(operators, ADMIN_CLOUD_NAME, "volume", "type", "show", name)
        assert shown["properties"] == {"a": "b", "multiattach": "<is> True"}
        mine = next(t for t in member.block_storage.get("/types", headers=V3).json()["volume_types"]
                    if t["name"] == name)
        assert mine["extra_specs"] == {"multiattach": "<is> True"}
        type_id = shown["id"]
        assert says(member.block_storage.get(f"/types/{type_id}/extra_specs/a", headers=V3), 404,
                    f"Volume Type {type_id} has no extra specs with key a.")
        cli_ok(operators, ADMIN_CLOUD_NAME, "volume", "type", "unset", "--property", "a", "--property",
               "multiattach", name)
        assert cli_json(operators, ADMIN_CLOUD_NAME, "volume", "type", "show", name)["properties"] == {}
        mismatch = admin.block_storage.put(f"/types/{type_id}/extra_specs/a", json={"b": "c"}, headers=V3)
        assert says(mismatch, 400, "Request body and URI mismatch")
    finally:
        cli_ok(operators, ADMIN_CLOUD_NAME, "volume", "type", "delete", name)


def test_encryption_is_created_shown_updated_and_removed(operators, admin):  # noqa: F811
    name = fresh_name()
    made = cli_json(operators, ADMIN_CLOUD_NAME, "volume", "type", "create", "--encryption-provider",
                    "LuksEncryptor", "--encryption-cipher", "aes-xts-plain64", "--encryption-key-size", "128",
                    "--encryption-control-location", "front-end", name)
    expected = {"provider": "LuksEncryptor", "cipher": "aes-xts-plain64", "key_size": 128,
                "control_location": "front-end"}
    assert {k: made["encryption"][k] for k in expected} == expected
    cli_ok(operators, ADMIN_CLOUD_NAME, "volume", "type", "set", "--encryption-key-size", "256",
           "--encryption-control-location", "back-end", name)
    shown = cli_json(operators, ADMIN_CLOUD_NAME, "volume", "type", "show", "--encryption-type", name)
    assert shown["encryption"]["key_size"] == 256 and shown["encryption"]["control_location"] == "back-end"
    listed = cli_json(operators, ADMIN_CLOUD_NAME, "volume", "type", "list", "--encryption-type")
    assert next(t["Encryption"] for t in listed if t["Name"] == name)["provider"] == "LuksEncryptor"
    again = admin.block_storage.post(f"/types/{made['id']}/encryption", headers=V3,
                                     json={"encryption": {"provider": "x", "control_location": "front-end"}})
    assert says(again, 400, f"Volume type encryption for type {made['id']} already exists.")
    bad = admin.block_storage.post(f"/types/{made['id']}/encryption", headers=V3, json={"encryption": {}})
    assert bad.status_code == 400 and "'provider' is a required property" in bad.text
    cli_ok(operators, ADMIN_CLOUD_NAME, "volume", "type", "unset", "--encryption-type", name)
    shown = cli_json(operators, ADMIN_CLOUD_NAME, "volume", "type", "show", "--encryption-type", name)
    assert shown["encryption"] == {}
    assert cli_ok(operators, ADMIN_CLOUD_NAME, "volume", "type", "delete", name) == ""


def test_the_default_type_and_a_type_in_use_are_not_deleted(operators, admin, member):  # noqa: F811
    default = admin.block_storage.get("/types/default", headers=V3).json()["volume_type"]
    assert default["name"] == "__DEFAULT__"
    assert says(admin.block_storage.delete(f"/types/{default['id']}", headers=V3), 400,
                f"The volume type {default['id']} is a default volume type and cannot be deleted.")
    name = fresh_name()
    made = cli_json(operators, ADMIN_CLOUD_NAME, "volume", "type", "create", name)
    volume = member.block_storage.create_volume(size=1, name=fresh_name(), volume_type=name)
    try:
        member.block_storage.wait_for_status(volume, "available", wait=30)
        assert member.block_storage.get_volume(volume).volume_type == name
        assert says(admin.block_storage.delete(f"/types/{made['id']}", headers=V3), 400,
                    "Target volume type is still in use.")
    finally:
        member.block_storage.delete_volume(volume)
        member.block_storage.wait_for_delete(volume, wait=30)
    assert says(admin.block_storage.post("/types", json={"volume_type": {"name": name}}, headers=V3), 409,
                f"Volume Type {name} already exists.")
    other = fresh_name()
    cli_ok(operators, ADMIN_CLOUD_NAME, "volume", "type", "create", other)
    assert cli_ok(operators, ADMIN_CLOUD_NAME, "volume", "type", "delete", name, other) == ""
    assert {name, other}.isdisjoint(t["name"] for t in admin.block_storage.types())

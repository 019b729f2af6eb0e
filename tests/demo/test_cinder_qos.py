"""Cinder's QoS specs on the demo cloud, over HTTP with the `openstack` CLI and openstacksdk: the admin creates,
lists, shows, sets and unsets keys, associates with volume types and deletes; a member gets Cinder's policy
line. Held against Cinder's code (see exotui/demo/cinder_qos.py)."""

from __future__ import annotations

import uuid

import pytest

from exotui.demo.app import ADMIN_CLOUD_NAME, CLOUD_NAME
from tests.demo.test_cinder_types_admin import cli_json, cli_ok
from tests.demo.test_keystone_admin import connect, operators  # noqa: F401  (operators: the fixture)
from tests.demo.test_nova_flavors_admin import says

V3 = {"OpenStack-API-Version": "volume 3.0"}


@pytest.fixture(scope="module")
def admin(operators):  # noqa: F811
    return connect(operators, ADMIN_CLOUD_NAME)


def test_the_admin_creates_sets_unsets_and_deletes_qos_specs(operators, admin):  # noqa: F811
    name = "qos-" + uuid.uuid4().hex[:8]
    made = cli_json(operators, ADMIN_CLOUD_NAME, "volume", "qos", "create", "--consumer", "front-end",
                    "--property", "Alpha=a", name)
    assert (made["name"], made["consumer"], made["properties"]) == (name, "front-end", {"Alpha": "a"})
    cli_ok(operators, ADMIN_CLOUD_NAME, "volume", "qos", "set", "--no-property", "--property", "Beta=b",
           "--property", "Charlie=c", name)
    assert cli_json(operators, ADMIN_CLOUD_NAME, "volume", "qos", "show", name)["properties"] == {
        "Beta": "b", "Charlie": "c"}
    cli_ok(operators, ADMIN_CLOUD_NAME, "volume", "qos", "unset", "--property", "Charlie", name)
    shown = admin.block_storage.get(f"/qos-specs/{made['id']}", headers=V3).json()
    assert shown["qos_specs"] == {"id": made["id"], "name": name, "consumer": "front-end", "specs": {"Beta": "b"}}
    assert [link["rel"] for link in shown["links"]] == ["self", "bookmark"]
    missing = admin.block_storage.put(f"/qos-specs/{made['id']}/delete_keys", json={"keys": ["Zulu"]}, headers=V3)
    assert says(missing, 404, f"QoS spec {made['id']} has no spec with key Zulu.")
    twice = admin.block_storage.post("/qos-specs", json={"qos_specs": {"name": name}}, headers=V3)
    assert says(twice, 409, f"QoS Specs {name} already exists.")
    odd = admin.block_storage.post("/qos-specs", json={"qos_specs": {"name": "x", "consumer": "side"}}, headers=V3)
    assert odd.status_code == 400 and "Valid consumer of QoS specs are" in odd.text
    assert name in [q["Name"] for q in cli_json(operators, ADMIN_CLOUD_NAME, "volume", "qos", "list")]
    assert cli_ok(operators, ADMIN_CLOUD_NAME, "volume", "qos", "delete", name) == ""
    assert says(admin.block_storage.get(f"/qos-specs/{made['id']}", headers=V3), 404,
                f"No such QoS spec {made['id']}.")


def test_qos_specs_are_associated_with_volume_types(operators, admin):  # noqa: F811
    name, types = "qos-" + uuid.uuid4().hex[:8], ["vt-" + uuid.uuid4().hex[:8] for _ in range(2)]
    ids = [cli_json(operators, ADMIN_CLOUD_NAME, "volume", "type", "create", t)["id"] for t in types]
    qos = cli_json(operators, ADMIN_CLOUD_NAME, "volume", "qos", "create", name)
    try:
        for vtype in types:
            assert cli_ok(operators, ADMIN_CLOUD_NAME, "volume", "qos", "associate", name, vtype) == ""
        assert set(cli_json(operators, ADMIN_CLOUD_NAME, "volume", "qos", "show", name)["associations"]) == set(types)
        vtype = admin.block_storage.get(f"/types/{ids[0]}", headers=V3).json()["volume_type"]
        assert vtype["qos_specs_id"] == qos["id"]
        in_use = admin.block_storage.delete(f"/qos-specs/{qos['id']}", headers=V3)
        assert says(in_use, 400, "Qos specs still in use.")
        other = admin.block_storage.post("/qos-specs", json={"qos_specs": {"name": name + "-2"}}, headers=V3)
        other_id = other.json()["qos_specs"]["id"]
        taken = admin.block_storage.get(f"/qos-specs/{other_id}/associate?vol_type_id={ids[0]}", headers=V3)
        assert says(taken, 400, f"Invalid volume type: Type {ids[0]} is already associated with another qos specs: "
                                f"{qos['id']}")
        admin.block_storage.delete(f"/qos-specs/{other_id}", headers=V3)
        cli_ok(operators, ADMIN_CLOUD_NAME, "volume", "qos", "disassociate", "--volume-type", types[0], name)
        assert cli_json(operators, ADMIN_CLOUD_NAME, "volume", "qos", "show", name)["associations"] == [types[1]]
        cli_ok(operators, ADMIN_CLOUD_NAME, "volume", "qos", "disassociate", "--all", name)
        assert "associations" not in cli_json(operators, ADMIN_CLOUD_NAME, "volume", "qos", "show", name)
    finally:
        cli_ok(operators, ADMIN_CLOUD_NAME, "volume", "qos", "delete", "--force", name)
        for vtype in types:
            cli_ok(operators, ADMIN_CLOUD_NAME, "volume", "type", "delete", vtype)


def test_a_member_gets_cinders_policy_lines(operators):  # noqa: F811
    member = connect(operators, CLOUD_NAME)
    for method, path, body, action in (
            ("get", "/qos-specs", None, "get_all"), ("post", "/qos-specs", {"qos_specs": {"name": "q"}}, "create"),
            ("get", "/qos-specs/x", None, "get"), ("put", "/qos-specs/x", {"qos_specs": {"a": "b"}}, "update"),
            ("delete", "/qos-specs/x", None, "delete")):
        answer = getattr(member.block_storage, method)(path, json=body, headers=V3)
        assert says(answer, 403, f"Policy doesn't allow volume_extension:qos_specs_manage:{action} to be "
                                 "performed."), path
    # the body's schema comes first
    assert member.block_storage.post("/qos-specs", json={"qos_specs": {}}, headers=V3).status_code == 400

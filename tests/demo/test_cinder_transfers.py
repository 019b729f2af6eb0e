"""Cinder's volume transfers on the demo cloud, over HTTP with the `openstack` CLI and openstacksdk: a member
offers a volume (the key shown once, the volume `awaiting-transfer`), lists and shows the offer, takes it back,
and the second member's project accepts one with the key. Held against Cinder's code (see
exotui/demo/cinder_transfers.py)."""

from __future__ import annotations

import uuid

import pytest

from exotui.demo.app import ALT_CLOUD_NAME, CLOUD_NAME
from tests.demo.test_cinder_types_admin import cli_json, cli_ok
from tests.demo.test_keystone_admin import connect, operators  # noqa: F401  (operators: the fixture)
from tests.demo.test_nova_flavors_admin import says

V355, V357 = {"OpenStack-API-Version": "volume 3.55"}, {"OpenStack-API-Version": "volume 3.57"}


@pytest.fixture(scope="module")
def member(operators):  # noqa: F811
    return connect(operators, CLOUD_NAME)


@pytest.fixture(scope="module")
def alt(operators):  # noqa: F811
    return connect(operators, ALT_CLOUD_NAME)


def new_volume(member) -> dict:
    answer = member.block_storage.post("/volumes", json={"volume": {"size": 1, "name": uuid.uuid4().hex}})
    return answer.json()["volume"]


def status_of(conn, volume_id: str) -> str:
    return conn.block_storage.get(f"/volumes/{volume_id}").json()["volume"]["status"]


def test_an_offer_is_listed_shown_and_taken_back_with_the_cli(operators, member):  # noqa: F811
    volume, name = new_volume(member), "xfer-" + uuid.uuid4().hex[:8]
    made = cli_json(operators, CLOUD_NAME, "volume", "transfer", "request", "create", "--name", name, volume["id"])
    assert made["name"] == name and made["volume_id"] == volume["id"] and len(made["auth_key"]) == 16
    assert status_of(member, volume["id"]) == "awaiting-transfer"
    listed = cli_json(operators, CLOUD_NAME, "volume", "transfer", "request", "list")
    assert [(t["ID"], t["Name"]) for t in listed if t["Volume"] == volume["id"]] == [(made["id"], name)]
    shown = cli_json(operators, CLOUD_NAME, "volume", "transfer", "request", "show", made["id"])
    assert shown["name"] == name and "auth_key" not in shown  # the key is shown once, at creation
    busy = member.block_storage.delete(f"/volumes/{volume['id']}")
    assert busy.status_code == 400 and "awaiting a transfer" in busy.json()["badRequest"]["message"]
    assert cli_ok(operators, CLOUD_NAME, "volume", "transfer", "request", "delete", made["id"]) == ""
    assert status_of(member, volume["id"]) == "available"
    gone = member.block_storage.get(f"/volume-transfers/{made['id']}", headers=V355)
    assert says(gone, 404, f"Transfer {made['id']} could not be found.")
    member.block_storage.delete(f"/volumes/{volume['id']}")


def test_the_second_project_accepts_with_the_key_and_owns_the_volume(operators, member, alt):  # noqa: F811
    volume = new_volume(member)
    offer = member.block_storage.post("/volume-transfers", headers=V357,
                                      json={"transfer": {"volume_id": volume["id"], "name": "gift"}})
    assert offer.status_code == 202
    made = offer.json()["transfer"]
    assert (made["no_snapshots"], made["accepted"], made["source_project_id"], made["destination_project_id"]) == (
        False, False, member.current_project_id, None)
    # another project does not see the offer, but may accept it with its ID and key
    assert alt.block_storage.get(f"/volume-transfers/{made['id']}", headers=V355).status_code == 404
    assert made["id"] not in [t["id"] for t in alt.block_storage.get("/os-volume-transfer").json()["transfers"]]
    wrong = alt.block_storage.post(f"/volume-transfers/{made['id']}/accept", headers=V355,
                                   json={"accept": {"auth_key": "0" * 16}})
    assert says(wrong, 400, f"Invalid auth key: Attempt to transfer {made['id']} with invalid auth key.")
    again = member.block_storage.post("/volume-transfers", headers=V355, json={"transfer": {"volume_id": volume["id"]}})
    assert says(again, 400, "Invalid volume: status must be available")
    accepted = cli_json(operators, ALT_CLOUD_NAME, "volume", "transfer", "request", "accept", "--auth-key",
                        made["auth_key"], made["id"])
    assert accepted["name"] == "gift" and accepted["volume_id"] == volume["id"]
    assert status_of(alt, volume["id"]) == "available"
    assert member.block_storage.get(f"/volumes/{volume['id']}").status_code == 404
    assert member.block_storage.get("/volume-transfers", headers=V355).json()["transfers"] == []
    assert alt.block_storage.delete(f"/volumes/{volume['id']}").status_code == 202


def test_offers_are_checked_like_cinder(member):
    missing = str(uuid.uuid4())
    answer = member.block_storage.post("/volume-transfers", headers=V355, json={"transfer": {"volume_id": missing}})
    assert says(answer, 404, f"Volume {missing} could not be found.")
    answer = member.block_storage.post("/volume-transfers", headers=V355, json={"transfer": {"volume_id": "x"}})
    assert says(answer, 400, "Invalid input for field/attribute volume_id. Value: x. 'x' is not a 'uuid'")
    answer = member.block_storage.post("/os-volume-transfer", json={"transfer": {"volume_id": missing,
                                                                                 "no_snapshots": True}})
    assert answer.status_code == 400 and "'no_snapshots' was unexpected" in answer.text  # 3.55 brought it

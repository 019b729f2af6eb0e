"""Neutron's default security group rules on the demo (exotui/demo/neutron_default_rules.py), with openstacksdk and
the `openstack` CLI over HTTP, held against what the real tier's Neutron answered on 2026-12-07 (the same requests
through openstacksdk as its member and admin): the four legacy rules, anyone reads, a member's create is parsed
before it is refused, a duplicate names the rule it repeats, a second delete is a 404."""

from __future__ import annotations

import pytest

from exotui.demo.app import ADMIN_CLOUD_NAME, CLOUD_NAME
from tests.demo.test_keystone_admin import connect, operators  # noqa: F401  (operators: the fixture)
from tests.demo.test_nova_hosts_admin import cli_json, cli_ok

pytestmark = pytest.mark.slow

PATH = "/default-security-group-rules"
SSH = {"direction": "ingress", "ethertype": "IPv4", "protocol": "tcp", "port_range_min": 2222,
       "port_range_max": 2222}
# the real tier's answers (Neutron 2026.2, ML2/OVS), word for word
REAL_LEGACY = {("IPv4", "ingress", "PARENT", "Legacy default SG rule for ingress traffic", True, False),
               ("IPv4", "egress", None, "Legacy default SG rule for egress traffic", True, True),
               ("IPv6", "ingress", "PARENT", "Legacy default SG rule for ingress traffic", True, False),
               ("IPv6", "egress", None, "Legacy default SG rule for egress traffic", True, True)}
REAL_KEYS = ["id", "ethertype", "direction", "protocol", "port_range_min", "port_range_max", "remote_ip_prefix",
             "remote_address_group_id", "remote_group_id", "description", "used_in_default_sg",
             "used_in_non_default_sg"]


def _error(response) -> tuple[int, str, str]:
    body = response.json()["NeutronError"]
    return response.status_code, body["type"], body["message"]


def test_anyone_reads_the_legacy_rules_and_a_member_changes_none(operators):  # noqa: F811
    member = connect(operators, CLOUD_NAME)
    rules = member.network.get(PATH).json()["default_security_group_rules"]
    legacy = [r for r in rules if r["description"].startswith("Legacy")]
    assert {(r["ethertype"], r["direction"], r["remote_group_id"], r["description"], r["used_in_default_sg"],
             r["used_in_non_default_sg"]) for r in legacy} == REAL_LEGACY
    assert all(list(r) == REAL_KEYS for r in rules)
    assert member.network.get(f"{PATH}/{legacy[0]['id']}").status_code == 200
    assert _error(member.network.post(PATH, json={"default_security_group_rule": SSH})) == (
        400, "HTTPBadRequest", "Failed to parse request. Required attribute 'used_in_default_sg' not specified")
    full = {**SSH, "used_in_default_sg": False, "used_in_non_default_sg": True}
    assert _error(member.network.post(PATH, json={"default_security_group_rule": full})) == (
        403, "PolicyNotAuthorized", "rule:create_default_security_group_rule is disallowed by policy")
    assert _error(member.network.delete(f"{PATH}/{legacy[0]['id']}")) == (
        403, "PolicyNotAuthorized", "rule:delete_default_security_group_rule is disallowed by policy")
    assert "security-groups-default-rules" in {e["alias"] for e in member.network.get("/extensions").json()[
        "extensions"]}


def test_an_admin_creates_is_told_of_a_duplicate_and_deletes_once(operators):  # noqa: F811
    admin = connect(operators, ADMIN_CLOUD_NAME)
    full = {**SSH, "used_in_default_sg": False, "used_in_non_default_sg": True}
    made = admin.network.post(PATH, json={"default_security_group_rule": full})
    assert made.status_code == 201
    rule = made.json()["default_security_group_rule"]
    assert list(rule) == REAL_KEYS and rule["description"] == "" and rule["remote_group_id"] is None
    assert _error(admin.network.post(PATH, json={"default_security_group_rule": full})) == (
        409, "DefaultSecurityGroupRuleExists", f"Default Security group rule already exists. Rule id is {rule['id']}.")
    assert admin.network.delete(f"{PATH}/{rule['id']}").status_code == 204
    assert _error(admin.network.delete(f"{PATH}/{rule['id']}")) == (
        404, "DefaultSecurityGroupRuleNotFound", f"Default Security Group rule {rule['id']} does not exist")


def test_the_cli_as_oscs_functional_tests_drive_it(operators):  # noqa: F811
    made = cli_json(operators, ADMIN_CLOUD_NAME, "default", "security", "group", "rule", "create", "--protocol",
                    "udp", "--dst-port", "5353:5353", "--egress", "--ethertype", "IPv4")
    listed = cli_json(operators, ADMIN_CLOUD_NAME, "default", "security", "group", "rule", "list")
    assert made["id"] in [r["ID"] for r in listed]
    shown = cli_json(operators, CLOUD_NAME, "default", "security", "group", "rule", "show", made["id"])
    assert (shown["protocol"], shown["port_range_min"], shown["port_range_max"], shown["direction"]) == (
        "udp", 5353, 5353, "egress")
    cli_ok(operators, ADMIN_CLOUD_NAME, "default", "security", "group", "rule", "delete", made["id"])

"""Network flavors and service profiles on the demo cloud, over HTTP with openstacksdk and the `openstack` CLI,
held against Neutron 29.0.0 (see exotui/demo/neutron_flavors.py)."""

from __future__ import annotations

import uuid

from exotui.demo.app import ADMIN_CLOUD_NAME, CLOUD_NAME
from tests.demo.test_keystone_admin import cli, connect, operators  # noqa: F401  (operators: the fixture)
from tests.demo.test_neutron_admin import cli_json, neutron_says


def test_an_admin_binds_a_profile_to_a_flavor_and_members_only_read_flavors(operators):  # noqa: F811
    member, admin = connect(operators, CLOUD_NAME), connect(operators, ADMIN_CLOUD_NAME)
    name = "fl-" + uuid.uuid4().hex[:8]
    flavor = cli_json(operators, ADMIN_CLOUD_NAME, "network", "flavor", "create", "--service-type", "L3_ROUTER_NAT",
                      "--description", "aaaa", "--disable", name)
    profile = cli_json(operators, ADMIN_CLOUD_NAME, "network", "flavor", "profile", "create", "--metainfo", "Extrainfo",
                       "--enable")
    try:
        assert (flavor["service_type"], flavor["enabled"], flavor["description"]) == ("L3_ROUTER_NAT", False, "aaaa")
        assert profile["enabled"] is True and profile["meta_info"] == "Extrainfo" and profile["driver"] == ""
        done = cli(operators, ADMIN_CLOUD_NAME, "network", "flavor", "add", "profile", name, profile["id"])
        assert done.returncode == 0, done.stderr
        assert admin.network.get(f"/flavors/{flavor['id']}").json()["flavor"]["service_profiles"] == [profile["id"]]
        assert admin.network.get(f"/service_profiles/{profile['id']}").json()["service_profile"]["flavors"] == [
            flavor["id"]]
        twice = admin.network.post(f"/flavors/{flavor['id']}/service_profiles",
                                   json={"service_profile": {"id": profile["id"]}})
        assert neutron_says(twice, 409, f"Service Profile {profile['id']} is already associated with flavor "
                                        f"{flavor['id']}.")
        busy = admin.network.delete(f"/service_profiles/{profile['id']}")
        assert neutron_says(busy, 409, f"Service Profile {profile['id']} is used by some service instance.")
        done = cli(operators, ADMIN_CLOUD_NAME, "network", "flavor", "remove", "profile", name, profile["id"])
        assert done.returncode == 0, done.stderr
        gone = admin.network.delete(f"/flavors/{flavor['id']}/service_profiles/{profile['id']}")
        assert neutron_says(gone, 404, f"Service Profile {profile['id']} is not associated with flavor "
                                       f"{flavor['id']}.")
        assert flavor["id"] in [f.id for f in member.network.flavors()]  # anyone reads flavors
        assert member.network.get("/service_profiles").json()["service_profiles"] == []  # profiles are the admin's
        refused = member.network.post("/flavors", json={"flavor": {"service_type": "L3_ROUTER_NAT"}})
        assert neutron_says(refused, 403, "rule:create_flavor is disallowed by policy")
        changed = member.network.put(f"/flavors/{flavor['id']}", json={"flavor": {"name": "x"}})
        assert neutron_says(changed, 403, "rule:update_flavor is disallowed by policy")
        bad = admin.network.post("/flavors", json={"flavor": {"service_type": "LOADBALANCERV2"}})
        assert neutron_says(bad, 400, "Invalid service type: LOADBALANCERV2.")
        empty = admin.network.post("/service_profiles", json={"service_profile": {"description": "x"}})
        assert neutron_says(empty, 400, "Invalid input for operation: Service Profile needs either a driver or "
                                        "metainfo.")
    finally:
        assert cli(operators, ADMIN_CLOUD_NAME, "network", "flavor", "delete", name).returncode == 0
        assert cli(operators, ADMIN_CLOUD_NAME, "network", "flavor", "profile", "delete", profile["id"]).returncode == 0


def test_services_the_real_tier_does_not_enable_are_not_found(operators):  # noqa: F811
    """trunk, qos and metering (exotui/demo/neutron_extensions.py NOT_ENABLED): 404 as on a Neutron without them,
    also for a POST to a two-part path such as /qos/policies (a served collection's member answers 405)."""
    member = connect(operators, CLOUD_NAME)
    for path in ("/trunks", "/qos/policies", "/metering/metering-labels"):
        assert member.network.post(path, json={}).status_code == 404, path
        assert member.network.get(path).status_code == 404, path
    assert member.network.post(f"/networks/{uuid.uuid4()}", json={}).status_code == 405

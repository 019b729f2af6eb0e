"""Keystone of the demo cloud, driven by the real `openstack` CLI and openstacksdk."""

from __future__ import annotations

import json

import openstack
import pytest

from exotui.demo.app import APPCRED_CLOUD_NAME, DemoCloudThread
from exotui.demo.seed import DEMO_PASSWORD, DEMO_PROJECTS
from exotui.demo.world import Knobs


def test_token_issue_and_my_projects(openstack_cli):
    token = json.loads(openstack_cli("token", "issue", "-f", "json").stdout)
    assert token["project_id"] and token["user_id"] and token["expires"]
    projects = json.loads(openstack_cli("project", "list", "--my-projects", "-f", "json").stdout)
    assert sorted(p["Name"] for p in projects) == sorted(name for name, _ in DEMO_PROJECTS)


def test_catalog_lists_every_service(openstack_cli):
    catalog = json.loads(openstack_cli("catalog", "list", "-f", "json").stdout)
    types = {entry["Type"] for entry in catalog}
    assert {"identity", "compute", "network", "block-storage", "volumev3", "image", "accounting"} <= types


def test_application_credential_cloud_works(openstack_cli):
    servers = json.loads(openstack_cli("server", "list", "-f", "json", cloud=APPCRED_CLOUD_NAME).stdout)
    assert "web-frontend" in {s["Name"] for s in servers}


def test_application_credential_lifecycle(openstack_cli, conn):
    created = json.loads(openstack_cli("application", "credential", "create", "cli-made-cred",
                                       "-f", "json").stdout)
    assert created["Secret"] and created["Project ID"] == conn.current_project_id
    listed = json.loads(openstack_cli("application", "credential", "list", "-f", "json").stdout)
    assert "cli-made-cred" in {c["Name"] for c in listed}
    again = openstack_cli("application", "credential", "create", "cli-made-cred", check=False)
    assert again.returncode != 0 and "Duplicate entry" in again.stderr
    openstack_cli("application", "credential", "delete", "cli-made-cred")
    listed = json.loads(openstack_cli("application", "credential", "list", "-f", "json").stdout)
    assert "cli-made-cred" not in {c["Name"] for c in listed}


def test_wrong_password_is_refused_with_401(demo):
    conn = openstack.connect(auth_url=demo.auth_url, username="demo", password="not-the-password",
                             project_name=DEMO_PROJECTS[0][0], user_domain_name="Default",
                             project_domain_name="Default", region_name="RegionOne")
    with pytest.raises(openstack.exceptions.SDKException) as caught:
        conn.authorize()
    assert "(HTTP 401)" in str(caught.value)
    assert DEMO_PASSWORD not in str(caught.value)


def test_scoping_to_the_second_project(demo):
    conn = openstack.connect(auth_url=demo.auth_url, username="demo", password=DEMO_PASSWORD,
                             project_name=DEMO_PROJECTS[1][0], user_domain_name="Default",
                             project_domain_name="Default", region_name="RegionOne")
    names = {s.name for s in conn.compute.servers()}
    assert names == {"workshop-vm-1", "workshop-vm-2"}


def test_expired_token_gets_401_and_keystoneauth_reauthenticates(tmp_path):
    with DemoCloudThread(Knobs(delay_scale=0, token_lifetime=1.0, ssh=False)) as cloud:
        conn = openstack.connect(auth_url=cloud.auth_url, username="demo", password=DEMO_PASSWORD,
                                 project_name=DEMO_PROJECTS[0][0], user_domain_name="Default",
                                 project_domain_name="Default", region_name="RegionOne")
        token = conn.session.get_token()
        response = conn.compute.get("/servers", headers={"X-Auth-Token": token}, raise_exc=False)
        assert response.status_code == 200
        cloud.call(cloud.world.advance, 1.2)  # the token's hour passes, on the cloud's clock
        stale = conn.compute.get("/servers", headers={"X-Auth-Token": token}, raise_exc=False,
                                 authenticated=False)
        assert stale.status_code == 401
        assert stale.json() == {"error": {"code": 401, "title": "Unauthorized",
                                          "message": "The request you have made requires authentication."}}
        # keystoneauth meets the 401 and fetches a new token by itself
        assert len(list(conn.compute.servers())) == 8


def test_revoked_token_fails_validation(demo, conn):
    token = conn.session.get_token()
    identity = conn.identity
    other = openstack.connect(auth_url=demo.auth_url, username="demo", password=DEMO_PASSWORD,
                              project_name=DEMO_PROJECTS[0][0], user_domain_name="Default",
                              project_domain_name="Default", region_name="RegionOne")
    victim = other.session.get_token()
    assert identity.delete("/auth/tokens", headers={"X-Subject-Token": victim}, raise_exc=False).status_code == 204
    checked = identity.get("/auth/tokens", headers={"X-Subject-Token": victim}, raise_exc=False)
    assert checked.status_code == 404 and checked.json()["error"]["message"] == "Failed to validate token"
    assert identity.get("/auth/tokens", headers={"X-Subject-Token": token}, raise_exc=False).status_code == 200


def test_malformed_auth_body_is_400(demo):
    import requests

    response = requests.post(demo.auth_url + "/auth/tokens", json={"auth": {}}, timeout=10)
    assert response.status_code == 400
    assert "'identity' is a required property" in response.json()["error"]["message"]
    response = requests.post(demo.auth_url + "/auth/tokens", data=b"{not json", timeout=10,
                             headers={"Content-Type": "application/json"})
    assert response.status_code == 400


def test_accounting_endpoint_reports_service_units(conn):
    endpoint = conn.session.get_endpoint(service_type="accounting", interface="public")
    rows = conn.session.get(endpoint).json()
    resources = {row["resource"] for row in rows}
    assert "jetstream2.indiana.xsede.org" in resources
    cpu = next(row for row in rows if row["resource"] == "jetstream2.indiana.xsede.org")
    assert 0 < cpu["service_units_used"] < cpu["service_units_allocated"]


# Keystone's default policy answers a project member 403 on the admin APIs (the route exists), with
# the words of keystone-018/019 in the oracle: "You are not authorized to perform the requested action:
# identity:<rule>." Regions are public to any token; a member may read its project's domain.
@pytest.mark.parametrize("method, path, rule", [
    ("GET", "/users", "list_users"), ("POST", "/users", "create_user"),
    ("GET", "/groups", "list_groups"), ("GET", "/roles", "list_roles"), ("POST", "/roles", "create_role"),
    ("GET", "/domains", "list_domains"), ("GET", "/services", "list_services"),
    ("GET", "/endpoints", "list_endpoints"), ("POST", "/projects", "create_project"),
    ("PATCH", "/projects/{project_id}", "update_project"), ("DELETE", "/projects/{project_id}", "delete_project"),
    ("POST", "/regions", "create_region"),
])
def test_admin_routes_answer_a_member_403(conn, method, path, rule):
    url = path.format(project_id=conn.current_project_id)
    answer = conn.identity.request(url, method, json={} if method in ("POST", "PATCH") else None)
    assert answer.status_code == 403
    assert answer.json() == {"error": {"code": 403, "title": "Forbidden", "message":
                                       f"You are not authorized to perform the requested action: identity:{rule}."}}


def test_regions_and_own_domain_through_the_cli(openstack_cli):
    regions = json.loads(openstack_cli("region", "list", "-f", "json").stdout)
    assert [r["Region"] for r in regions] == ["RegionOne"]
    domain = json.loads(openstack_cli("domain", "show", "default", "-f", "json").stdout)
    assert domain["name"] == "Default" and domain["enabled"] is True
    refused = openstack_cli("user", "list", check=False)
    assert refused.returncode != 0 and "identity:list_users" in refused.stderr

"""Keystone's operator side on the demo cloud: the admin, the system admin and a second member, over HTTP with
openstacksdk and the `openstack` CLI. Member answers are Keystone 30's default policy (keystone/common/policies)
and its wording (keystone/exception.py; the oracle's keystone-018/019 for the 403s)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import openstack
import pytest
from openstack.config import OpenStackConfig

from exotui.demo.app import (
    ADMIN_CLOUD_NAME,
    ALT_CLOUD_NAME,
    APPCRED_CLOUD_NAME,
    CLOUD_NAME,
    SYSTEM_CLOUD_NAME,
    DemoCloudThread,
)
from exotui.demo.world import Knobs

ORACLE = Path(__file__).resolve().parents[1] / "oracle" / "responses"


@pytest.fixture(scope="module")
def operators(tmp_path_factory):
    """A demo cloud of this module's own (its admins change the cloud) and its clouds.yaml with every identity."""
    folder = tmp_path_factory.mktemp("operators")
    with DemoCloudThread(Knobs(delay_scale=0, ssh=False), state_dir=folder / "state") as cloud:
        yield cloud, cloud.cloud.write_config(folder, operators=True)


def connect(operators, name: str) -> openstack.connection.Connection:
    region = OpenStackConfig(config_files=[str(operators[1])], secure_files=[]).get_one(name)
    return openstack.connection.Connection(config=region)


def cli(operators, cloud: str, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OS_")}
    env["OS_CLIENT_CONFIG_FILE"] = str(operators[1])
    return subprocess.run([str(Path(sys.executable).parent / "openstack"), "--os-cloud", cloud, *args],
                          capture_output=True, text=True, timeout=120, env=env)


def oracle_message(name: str) -> str:
    return json.loads((ORACLE / name).read_text())["response_body"]["error"]["message"]


def test_the_member_clouds_are_unchanged_by_default(operators):
    cloud, _path = operators
    assert set(cloud.cloud.clouds_yaml()["clouds"]) == {CLOUD_NAME, APPCRED_CLOUD_NAME}
    assert set(cloud.cloud.clouds_yaml(operators=True)["clouds"]) == {
        CLOUD_NAME, APPCRED_CLOUD_NAME, ALT_CLOUD_NAME, ADMIN_CLOUD_NAME, SYSTEM_CLOUD_NAME}


def test_system_scoped_token_and_its_catalog(operators):
    conn = connect(operators, SYSTEM_CLOUD_NAME)
    token = conn.identity.get("/auth/tokens", headers={"X-Subject-Token": conn.session.get_token()}).json()["token"]
    assert token["system"] == {"all": True}
    assert "project" not in token
    assert {r["name"] for r in token["roles"]} == {"admin", "manager", "member", "reader"}  # bootstrap's inferences
    assert {e["type"] for e in token["catalog"]} >= {"identity", "compute", "network", "image"}
    assert conn.identity.get("/auth/system").json()["system"] == [{"all": True}]


def test_a_member_cannot_scope_to_the_system(operators):
    member = connect(operators, CLOUD_NAME)
    answer = member.identity.post("/auth/tokens", json={"auth": {
        "identity": {"methods": ["token"], "token": {"id": member.session.get_token()}},
        "scope": {"system": {"all": True}}}}, raise_exc=False)
    assert answer.status_code == 401
    assert answer.json()["error"]["message"] == "User does not have access to the system."
    assert member.identity.get("/auth/system").json()["system"] == []


@pytest.mark.parametrize("path, action", [
    ("/users", "list_users"), ("/groups", "list_groups"), ("/roles", "list_roles"), ("/domains", "list_domains"),
    ("/services", "list_services"), ("/endpoints", "list_endpoints"), ("/projects", "list_projects"),
    ("/role_assignments?user.id=x", "list_role_assignments"), ("/policies", "list_policies"),
])
def test_a_member_is_refused_what_keystone_refuses(operators, path, action):
    answer = connect(operators, CLOUD_NAME).identity.get(path, raise_exc=False)
    assert answer.status_code == 403
    assert answer.json()["error"]["message"] == \
        f"You are not authorized to perform the requested action: identity:{action}."


def test_the_member_refusals_match_the_oracle(operators):
    member = connect(operators, CLOUD_NAME)
    assert member.identity.get("/projects", raise_exc=False).json()["error"]["message"] == \
        oracle_message("keystone-018-projects-list-member-403.json")
    assert member.identity.get("/role_assignments", raise_exc=False).json()["error"]["message"] == \
        oracle_message("keystone-019-role-assignments-member.json")


def test_a_member_reads_what_keystone_lets_it(operators):
    member = connect(operators, CLOUD_NAME)
    assert member.identity.get("/regions").json()["regions"][0]["id"] == "RegionOne"
    assert member.identity.get("/registered_limits").status_code == 200
    assert member.identity.get("/limits").status_code == 200
    me = member.identity.get(f"/users/{member.current_user_id}").json()["user"]
    assert me["name"] == "demo"
    assert member.identity.get("/domains/default").json()["domain"]["name"] == "Default"


def test_projects_are_separate_between_members(operators):
    member, alt = connect(operators, CLOUD_NAME), connect(operators, ALT_CLOUD_NAME)
    assert alt.identity.get(f"/projects/{alt.current_project_id}").json()["project"]["name"] == "alt_demo"
    other = alt.identity.get(f"/projects/{member.current_project_id}", raise_exc=False)
    assert (other.status_code, other.json()["error"]["message"]) == (
        403, "You are not authorized to perform the requested action: identity:get_project.")
    user = alt.identity.get(f"/users/{member.current_user_id}", raise_exc=False)
    assert user.status_code == 403
    assert "web-frontend" in {s.name for s in member.compute.servers()}
    assert not list(alt.compute.servers())  # the second member sees none of the first one's instances


def test_admin_manages_domains_projects_users_groups_and_grants(operators):
    admin = connect(operators, ADMIN_CLOUD_NAME)
    domain = admin.identity.create_domain(name="research", description="a second domain")
    project = admin.identity.create_project(name="lab", domain_id=domain.id)
    user = admin.identity.create_user(name="alice", password="alice-password", domain_id=domain.id,
                                      default_project_id=project.id, email="alice@example.org")
    group = admin.identity.create_group(name="lab-members", domain_id=domain.id)
    admin.identity.add_user_to_group(user, group)
    member_role = admin.identity.find_role("member")
    admin.identity.assign_project_role_to_group(project, group, member_role)
    assert admin.identity.validate_group_has_project_role(project, group, member_role)
    # alice reaches the project through her group, and her token carries the implied reader role
    alice = openstack.connect(auth_url=operators[0].auth_url, username="alice", password="alice-password",
                              user_domain_id=domain.id, project_id=project.id, region_name="RegionOne")
    token = alice.identity.get("/auth/tokens", headers={"X-Subject-Token": alice.session.get_token()}).json()["token"]
    assert {r["name"] for r in token["roles"]} == {"member", "reader"}
    effective = admin.identity.get(f"/role_assignments?effective&user.id={user.id}").json()["role_assignments"]
    assert [(a["scope"]["project"]["id"], a["links"].get("membership", "").endswith(f"/users/{user.id}"))
            for a in effective] == [(project.id, True)]
    duplicate = admin.identity.post("/projects", json={"project": {"name": "lab", "domain_id": domain.id}},
                                    raise_exc=False)
    assert duplicate.status_code == 409
    assert duplicate.json()["error"]["message"] == (
        f"Conflict occurred attempting to store project - Duplicate entry found with name lab at domain ID "
        f"{domain.id}.")
    enabled = admin.identity.delete(f"/domains/{domain.id}", raise_exc=False)
    assert (enabled.status_code, enabled.json()["error"]["message"]) == (
        403, "Cannot delete a domain that is enabled, please disable it first.")
    admin.identity.update_domain(domain, enabled=False)
    admin.identity.delete_domain(domain)
    gone = admin.identity.get(f"/users/{user.id}", raise_exc=False)
    assert (gone.status_code, gone.json()["error"]["message"]) == (404, f"Could not find user: {user.id}.")


def test_admin_edits_the_catalog_and_limits_with_the_cli(operators):
    made = json.loads(cli(operators, ADMIN_CLOUD_NAME, "service", "create", "--name", "quux", "-f", "json",
                          "dns").stdout)
    endpoint = cli(operators, ADMIN_CLOUD_NAME, "endpoint", "create", "--region", "RegionOne", made["id"], "public",
                   "http://127.0.0.1:9/v1", "-f", "json")
    assert endpoint.returncode == 0, endpoint.stderr
    member_catalog = json.loads(cli(operators, CLOUD_NAME, "catalog", "list", "-f", "json").stdout)
    assert "dns" in {e["Type"] for e in member_catalog}
    registered = cli(operators, SYSTEM_CLOUD_NAME, "registered", "limit", "create", "--service", made["id"],
                     "--default-limit", "10", "--region", "RegionOne", "widgets", "-f", "json")
    assert registered.returncode == 0, registered.stderr
    refused = cli(operators, CLOUD_NAME, "registered", "limit", "create", "--service", made["id"],
                  "--default-limit", "5", "gadgets")
    assert refused.returncode != 0  # the CLI looks the service up first, which a member may not
    assert "identity:list_services." in refused.stderr
    direct = connect(operators, CLOUD_NAME).identity.post("/registered_limits", json={"registered_limits": [
        {"service_id": made["id"], "resource_name": "gadgets", "default_limit": 5}]}, raise_exc=False)
    assert (direct.status_code, direct.json()["error"]["message"]) == (
        403, "You are not authorized to perform the requested action: identity:create_registered_limits.")
    cli(operators, ADMIN_CLOUD_NAME, "service", "delete", made["id"])
    after = json.loads(cli(operators, CLOUD_NAME, "catalog", "list", "-f", "json").stdout)
    assert "dns" not in {e["Type"] for e in after}


def test_application_credential_keeps_its_access_rules(operators):
    member = connect(operators, CLOUD_NAME)
    rules = [{"service": "compute", "path": "/v2.1/servers", "method": "GET"}]
    cred = member.identity.post(f"/users/{member.current_user_id}/application_credentials", json={
        "application_credential": {"name": "ruled", "access_rules": rules}}).json()["application_credential"]
    assert [{k: r[k] for k in ("service", "path", "method")} for r in cred["access_rules"]] == rules
    listed = member.identity.get(f"/users/{member.current_user_id}/access_rules").json()["access_rules"]
    assert cred["access_rules"][0]["id"] in {r["id"] for r in listed}
    shown = member.identity.get(f"/users/{member.current_user_id}/application_credentials/{cred['id']}").json()
    assert shown["application_credential"]["access_rules"] == cred["access_rules"]
    for other in (ALT_CLOUD_NAME, ADMIN_CLOUD_NAME):  # the owner's or a system reader's only, not a project admin's
        peek = connect(operators, other).identity.get(f"/users/{member.current_user_id}/access_rules",
                                                      raise_exc=False)
        assert (peek.status_code, peek.json()["error"]["message"]) == (
            403, "You are not authorized to perform the requested action: identity:list_access_rules.")
    assert connect(operators, SYSTEM_CLOUD_NAME).identity.get(
        f"/users/{member.current_user_id}/access_rules").json()["access_rules"] == listed


def test_endpoint_filters_associate_and_answer_404_when_absent(operators):
    admin = connect(operators, ADMIN_CLOUD_NAME)
    project = admin.identity.create_project(name="filtered", domain_id="default")
    endpoint = next(iter(admin.identity.endpoints(interface="public")))
    link = f"/OS-EP-FILTER/projects/{project.id}/endpoints/{endpoint.id}"
    assert admin.identity.head(link, raise_exc=False).status_code == 404
    assert admin.identity.put(link).status_code == 204
    assert admin.identity.head(link).status_code == 204
    assert [p["id"] for p in admin.identity.get(f"/OS-EP-FILTER/endpoints/{endpoint.id}/projects").json()[
        "projects"]] == [project.id]
    group = admin.identity.post("/OS-EP-FILTER/endpoint_groups", json={"endpoint_group": {
        "name": "computes", "filters": {"service_id": endpoint.service_id}}}).json()["endpoint_group"]
    group_link = f"/OS-EP-FILTER/endpoint_groups/{group['id']}/projects/{project.id}"
    missing = admin.identity.get(group_link, raise_exc=False)
    assert (missing.status_code, missing.json()["error"]["message"]) == (
        404, f"Could not find Endpoint Group Project Association: {group['id']}, {project.id}.")
    admin.identity.put(group_link)
    assert admin.identity.get(group_link).json()["project"]["id"] == project.id
    assert [p["id"] for p in admin.identity.get(f"/OS-EP-FILTER/endpoint_groups/{group['id']}/projects").json()[
        "projects"]] == [project.id]
    assert admin.identity.delete(link).status_code == 204
    assert admin.identity.head(link, raise_exc=False).status_code == 404
    member = connect(operators, CLOUD_NAME).identity.put(link, raise_exc=False)
    assert (member.status_code, member.json()["error"]["message"]) == (
        403, "You are not authorized to perform the requested action: identity:add_endpoint_to_project.")


def test_a_project_shows_its_parents_and_subtree_when_asked(operators):
    admin = connect(operators, ADMIN_CLOUD_NAME)
    top = admin.identity.create_project(name="top", domain_id="default")
    child = admin.identity.create_project(name="child", domain_id="default", parent_id=top.id)
    grandchild = admin.identity.create_project(name="grandchild", domain_id="default", parent_id=child.id)
    shown = admin.identity.get(f"/projects/{child.id}?parents_as_list&subtree_as_list").json()["project"]
    assert [p["project"]["id"] for p in shown["parents"]] == [top.id]
    assert [p["project"]["id"] for p in shown["subtree"]] == [grandchild.id]
    assert "parents" not in admin.identity.get(f"/projects/{child.id}").json()["project"]
    as_ids = admin.identity.get(f"/projects/{child.id}?parents_as_ids&subtree_as_ids").json()["project"]
    assert as_ids["parents"] == {top.id: {"default": None}}
    assert as_ids["subtree"] == {grandchild.id: None}

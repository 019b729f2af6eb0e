"""Nova's flavor API on the demo cloud as an admin and members meet it, over HTTP with openstacksdk and the
`openstack` CLI: flavor-manage, extra specs, private flavors and flavor access, is_public, validation. Held
against Nova's code and api-ref (see exotui/demo/nova_flavors_admin.py) and the oracle's nova-055 (a member's
create: 403 with Nova's policy line)."""

from __future__ import annotations

import contextlib
import json
import uuid
from pathlib import Path

import openstack.exceptions
import pytest

from exotui.demo.app import ADMIN_CLOUD_NAME, ALT_CLOUD_NAME, CLOUD_NAME, SYSTEM_CLOUD_NAME
from exotui.demo.seed import ALT_PROJECT
from tests.demo.test_keystone_admin import cli, connect, operators  # noqa: F401  (operators: the fixture)

ORACLE = Path(__file__).resolve().parents[1] / "oracle" / "responses"
MV_2_55 = {"OpenStack-API-Version": "compute 2.55"}


def policy_line(action: str) -> str:
    return f"Policy doesn't allow os_compute_api:{action} to be performed."


def fresh_name() -> str:
    return "t-" + uuid.uuid4().hex[:12]


def says(answer, status: int, message: str) -> bool:
    """Whether a Nova answer has this status and its one error body (badRequest, forbidden, ...) this message."""
    return answer.status_code == status and [b["message"] for b in answer.json().values()] == [message]


@contextlib.contextmanager
def scratch_flavor(admin, **spec):
    """A flavor of the admin's for one test, deleted after it."""
    flavor = admin.compute.create_flavor(**{"name": fresh_name(), "ram": 256, "vcpus": 1, "disk": 1, **spec})
    try:
        yield flavor
    finally:
        admin.compute.delete_flavor(flavor, ignore_missing=True)


def cli_json(operators, cloud: str, *args: str):  # noqa: F811
    done = cli(operators, cloud, *args, "-f", "json")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_member_create_is_refused_with_novas_policy_line(operators):  # noqa: F811
    oracle = json.loads((ORACLE / "nova-055-flavors-create-member-403.json").read_text())
    member = connect(operators, CLOUD_NAME)
    answer = member.compute.post("/flavors", json=oracle["request_body"])
    assert answer.status_code == 403 and answer.json() == oracle["response_body"]
    done = cli(operators, CLOUD_NAME, "flavor", "create", "--ram", "512", "--vcpus", "1", fresh_name())
    assert done.returncode != 0 and policy_line("os-flavor-manage:create") in done.stderr


def test_admin_creates_and_deletes_a_flavor_members_cannot(operators):  # noqa: F811
    admin, member = connect(operators, ADMIN_CLOUD_NAME), connect(operators, CLOUD_NAME)
    name = fresh_name()
    flavor = admin.compute.create_flavor(name=name, ram=2048, vcpus=2, disk=20, description="for tests",
                                         rxtx_factor=2.5)
    assert (flavor.ram, flavor.vcpus, flavor.disk, flavor.is_public, flavor.rxtx_factor) == (2048, 2, 20, True, 2.5)
    assert member.compute.find_flavor(name).id == flavor.id  # public: every member sees it
    answer = member.compute.delete(f"/flavors/{flavor.id}")
    assert says(answer, 403, policy_line("os-flavor-manage:delete"))
    answer = admin.compute.delete(f"/flavors/{flavor.id}")
    assert answer.status_code == 202  # api-ref: Delete Flavor answers 202
    assert member.compute.find_flavor(name) is None
    gone = admin.compute.get(f"/flavors/{flavor.id}")
    assert says(gone, 404, f"Flavor {flavor.id} could not be found.")


def test_system_scoped_admin_manages_flavors_too(operators):  # noqa: F811
    """Nova's context_is_admin is `role:admin` in any scope: the system admin creates and deletes."""
    name = fresh_name()
    made = cli_json(operators, SYSTEM_CLOUD_NAME, "flavor", "create", "--ram", "256", "--vcpus", "1", name)
    assert made["name"] == name
    done = cli(operators, SYSTEM_CLOUD_NAME, "flavor", "delete", name)
    assert done.returncode == 0, done.stderr


def test_private_flavor_is_seen_by_a_project_only_once_shared(operators):  # noqa: F811
    admin, alt, member = (connect(operators, n) for n in (ADMIN_CLOUD_NAME, ALT_CLOUD_NAME, CLOUD_NAME))
    name = fresh_name()
    made = cli_json(operators, ADMIN_CLOUD_NAME, "flavor", "create", "--private", "--ram", "512", "--vcpus", "1",
                    name)
    assert made["os-flavor-access:is_public"] is False
    fid = made["id"]
    assert alt.compute.get(f"/flavors/{fid}").status_code == 404
    assert name not in [f["Name"] for f in cli_json(operators, ALT_CLOUD_NAME, "flavor", "list", "--all")]
    # an admin's plain list is the public flavors; --private and --all find it
    assert name not in [f["Name"] for f in cli_json(operators, ADMIN_CLOUD_NAME, "flavor", "list")]
    assert name in [f["Name"] for f in cli_json(operators, ADMIN_CLOUD_NAME, "flavor", "list", "--private")]
    assert name in [f["Name"] for f in cli_json(operators, ADMIN_CLOUD_NAME, "flavor", "list", "--all")]
    refused = member.compute.post(f"/flavors/{fid}/action", json={"addTenantAccess": {"tenant": "x"}})
    assert says(refused, 403, policy_line("os-flavor-access:add_tenant_access"))

    done = cli(operators, ADMIN_CLOUD_NAME, "flavor", "set", "--project", ALT_PROJECT, name)
    assert done.returncode == 0, done.stderr
    alt_project = alt.current_project_id
    access = list(admin.compute.get_flavor_access(fid))
    assert access == [{"flavor_id": fid, "tenant_id": alt_project}]
    assert alt.compute.get_flavor(fid).name == name
    assert name in [f["Name"] for f in cli_json(operators, ALT_CLOUD_NAME, "flavor", "list")]
    assert member.compute.get(f"/flavors/{fid}").status_code == 404  # the other project still does not
    again = admin.compute.post(f"/flavors/{fid}/action", json={"addTenantAccess": {"tenant": alt_project}})
    assert says(again, 409, (
        f"Flavor access already exists for flavor {fid} and project {alt_project} combination."))

    done = cli(operators, ADMIN_CLOUD_NAME, "flavor", "unset", "--project", ALT_PROJECT, name)
    assert done.returncode == 0, done.stderr
    assert alt.compute.get(f"/flavors/{fid}").status_code == 404
    assert cli(operators, ADMIN_CLOUD_NAME, "flavor", "delete", name).returncode == 0


def test_access_on_a_public_flavor_is_refused_as_nova_refuses_it(operators):  # noqa: F811
    admin = connect(operators, ADMIN_CLOUD_NAME)
    with scratch_flavor(admin, disk=0) as flavor:
        listed = admin.compute.get(f"/flavors/{flavor.id}/os-flavor-access")
        assert says(listed, 404, "Access list not available for public flavors.")
        unknown = admin.compute.post(f"/flavors/{flavor.id}/action", json={"addTenantAccess": {"tenant": "x"}},
                                     microversion="2.7")
        assert says(unknown, 400, "Project ID x is not a valid project.")  # flavor_access.py checks the project first
        added = admin.compute.post(f"/flavors/{flavor.id}/action", microversion="2.7",
                                   json={"addTenantAccess": {"tenant": admin.current_project_id}})
        assert says(added, 409, "Can not add access to a public flavor.")
        member = connect(operators, CLOUD_NAME)
        refused = member.compute.get(f"/flavors/{flavor.id}/os-flavor-access")
        assert says(refused, 403, policy_line("os-flavor-access"))


def test_extra_specs_round_trip_and_members_only_read(operators):  # noqa: F811
    admin, member = connect(operators, ADMIN_CLOUD_NAME), connect(operators, CLOUD_NAME)
    with scratch_flavor(admin) as flavor:
        made = admin.compute.create_flavor_extra_specs(flavor, {"hw:cpu_policy": "dedicated", "a": "b"})
        assert made.extra_specs == {"hw:cpu_policy": "dedicated", "a": "b"}
        admin.compute.update_flavor_extra_specs_property(flavor, "a", "third and 10")
        assert admin.compute.get_flavor_extra_specs_property(flavor, "a") == "third and 10"
        assert member.compute.fetch_flavor_extra_specs(flavor).extra_specs == {"hw:cpu_policy": "dedicated",
                                                                             "a": "third and 10"}
        refused = member.compute.post(f"/flavors/{flavor.id}/os-extra_specs", json={"extra_specs": {"c": "d"}})
        assert says(refused, 403, policy_line("os-flavor-extra-specs:create"))
        mismatch = admin.compute.put(f"/flavors/{flavor.id}/os-extra_specs/a", json={"b": "x"})
        assert says(mismatch, 400, "Request body and URI mismatch")
        numbers = admin.compute.post(f"/flavors/{flavor.id}/os-extra_specs", json={"extra_specs": {"n": 4}})
        assert numbers.json() == {"extra_specs": {"n": 4}}  # the body back as sent; stored as text
        assert admin.compute.get(f"/flavors/{flavor.id}/os-extra_specs/n").json() == {"n": "4"}
        admin.compute.delete_flavor_extra_specs_property(flavor, "n")
        removed = admin.compute.delete(f"/flavors/{flavor.id}/os-extra_specs/a")
        assert removed.status_code == 200
        gone = admin.compute.get(f"/flavors/{flavor.id}/os-extra_specs/a")
        assert says(gone, 404, f"Flavor {flavor.id} has no extra specs with key a.")
        shown = cli_json(operators, ADMIN_CLOUD_NAME, "flavor", "show", flavor.id)
        assert shown["properties"] == {"hw:cpu_policy": "dedicated"}


def test_description_update_from_2_55(operators):  # noqa: F811
    admin, member = connect(operators, ADMIN_CLOUD_NAME), connect(operators, CLOUD_NAME)
    with scratch_flavor(admin) as flavor:
        body = {"flavor": {"description": "now described"}}
        assert admin.compute.put(f"/flavors/{flavor.id}", json=body, microversion="2.54").status_code == 404
        refused = member.compute.put(f"/flavors/{flavor.id}", json=body, microversion="2.55")
        assert says(refused, 403, policy_line("os-flavor-manage:update"))
        updated = admin.compute.put(f"/flavors/{flavor.id}", json=body, microversion="2.55")
        assert updated.status_code == 200 and updated.json()["flavor"]["description"] == "now described"
        assert member.compute.get_flavor(flavor.id).description == "now described"


@pytest.mark.parametrize("change, status, message", [
    ({"ram": 0}, 400, "Invalid input for field/attribute ram. Value: 0. 0 is less than the minimum of 1"),
    ({"vcpus": -1}, 400, "Invalid input for field/attribute vcpus. Value: -1. -1 is less than the minimum of 1"),
    ({"disk": "x"}, 400, "Invalid input for field/attribute disk. Value: x. 'x' does not match '^[0-9]+$'"),
    ({"rxtx_factor": 0}, 400, "Invalid input for field/attribute rxtx_factor. Value: 0. 0 is less than or equal to "
                              "the minimum of 0"),
    ({"rxtx_factor": "x"}, 400, "Invalid input for field/attribute rxtx_factor. Value: x. 'x' does not match "
                                "'^[0-9]+(\\\\.[0-9]+)?$'"),
    ({"ram": "9" * 12}, 400, "Invalid input for field/attribute ram. Value: 999999999999. 999999999999 is greater "
                             "than the maximum of 2147483647"),
    ({"vcpus": "0"}, 400, "Invalid input for field/attribute vcpus. Value: 0. 0 is less than the minimum of 1"),
    ({"name": "m1.tiny"}, 409, "Flavor with name m1.tiny already exists."),
    ({"id": "dup-id"}, 409, "Flavor with ID dup-id already exists."),
])
def test_create_validation_worded_as_nova(operators, change, status, message):  # noqa: F811
    admin = connect(operators, ADMIN_CLOUD_NAME)
    if admin.compute.find_flavor("m1.tiny") is None:
        admin.compute.create_flavor(name="m1.tiny", ram=512, vcpus=1, disk=1, id="dup-id")
    body = {"flavor": {"name": fresh_name(), "ram": 512, "vcpus": 1, "disk": 1, **change}}
    assert says(admin.compute.post("/flavors", json=body), status, message)


def test_is_public_is_an_admins_filter_only(operators):  # noqa: F811
    admin, member = connect(operators, ADMIN_CLOUD_NAME), connect(operators, CLOUD_NAME)
    with scratch_flavor(admin, is_public=False) as flavor:
        name = flavor.name
        for query in ("false", "none"):
            names = [f["name"] for f in member.compute.get(f"/flavors/detail?is_public={query}").json()["flavors"]]
            assert name not in names and names  # a member's filter is always public (plus shared)
        admin_private = admin.compute.get("/flavors/detail?is_public=false").json()["flavors"]
        assert name in [f["name"] for f in admin_private] and all(
            not f["os-flavor-access:is_public"] for f in admin_private)
        bad = admin.compute.get("/flavors/detail?is_public=maybe")
        assert says(bad, 400, "Invalid is_public filter [maybe]")
        with pytest.raises(openstack.exceptions.NotFoundException):
            member.compute.get_flavor(flavor.id)


def test_a_server_boots_on_a_shared_private_flavor_and_keeps_it_once_deleted(operators):  # noqa: F811
    """Nova looks the flavor up in the caller's context (a private flavor not shared: 'could not be found', as
    the oracle's nova-079 words it) and keeps a copy on the instance, so deleting the flavor changes nothing
    for the server's view or its project's usage."""
    admin, alt = connect(operators, ADMIN_CLOUD_NAME), connect(operators, ALT_CLOUD_NAME)
    name = fresh_name()
    flavor = admin.compute.create_flavor(name=name, ram=1024, vcpus=3, disk=5, is_public=False)
    image = alt.image.find_image("Featured-Ubuntu24", ignore_missing=False)
    body = {"server": {"name": fresh_name(), "flavorRef": flavor.id, "imageRef": image.id, "networks": "none"}}
    refused = alt.compute.post("/servers", json=body, microversion="2.47")
    assert says(refused, 400, f"Flavor {flavor.id} could not be found.")
    admin.compute.flavor_add_tenant_access(flavor.id, alt.current_project_id)
    made = alt.compute.post("/servers", json=body, microversion="2.47")
    assert made.status_code == 202, made.text
    server_id = made.json()["server"]["id"]
    try:
        used = alt.compute.get("/limits").json()["limits"]["absolute"]["totalCoresUsed"]
        admin.compute.delete_flavor(flavor)
        assert admin.compute.find_flavor(name) is None
        shown = alt.compute.get(f"/servers/{server_id}", microversion="2.47").json()["server"]["flavor"]
        assert (shown["original_name"], shown["vcpus"], shown["ram"], shown["disk"]) == (name, 3, 1024, 5)
        assert alt.compute.get("/limits").json()["limits"]["absolute"]["totalCoresUsed"] == used
    finally:
        alt.compute.delete_server(server_id)


def test_a_members_bad_body_meets_the_schema_before_the_policy(operators):  # noqa: F811
    """flavor_manage._create validates the body (the schema decorator) before `context.can`: a member's bad
    body is a 400, its good one a 403."""
    member = connect(operators, CLOUD_NAME)
    bad = member.compute.post("/flavors", json={"flavor": {"name": "x", "ram": 0, "vcpus": 1, "disk": 1}})
    assert says(bad, 400, "Invalid input for field/attribute ram. Value: 0. 0 is less than the minimum of 1")


def test_flavor_lists_come_in_pages(operators):  # noqa: F811
    """limit and marker as Nova reads them (common.get_limit_and_marker): by id, a next link when full."""
    member = connect(operators, CLOUD_NAME)
    every = [f["id"] for f in member.compute.get("/flavors").json()["flavors"]]
    first = member.compute.get("/flavors/detail?limit=2").json()
    assert [f["id"] for f in first["flavors"]] == every[:2]
    assert first["flavors_links"][0]["rel"] == "next" and f"marker={every[1]}" in first["flavors_links"][0]["href"]
    rest = member.compute.get(f"/flavors?marker={every[1]}").json()["flavors"]
    assert [f["id"] for f in rest] == every[2:]
    assert says(member.compute.get("/flavors?marker=nope"), 400, "marker [nope] not found")
    assert [f.id for f in member.compute.flavors(limit=2)] == every  # openstacksdk follows the next links


def test_heat_sees_the_flavors_its_user_sees(operators, tmp_path):  # noqa: F811
    """Heat validates a server's flavor through Nova as the stack's user: a private flavor not shared with the
    project is not found (Heat's nova.flavor constraint), and is once shared."""
    admin, alt = connect(operators, ADMIN_CLOUD_NAME), connect(operators, ALT_CLOUD_NAME)
    with scratch_flavor(admin, is_public=False) as flavor:
        template = tmp_path / "one.yaml"
        template.write_text("heat_template_version: 2018-08-31\nresources:\n  vm:\n    type: OS::Nova::Server\n"
                            f"    properties: {{flavor: {flavor.name}, image: Featured-Ubuntu24, networks: []}}\n")
        done = cli(operators, ALT_CLOUD_NAME, "stack", "create", "-t", str(template), "hidden")
        assert done.returncode != 0 and (f"Error validating value '{flavor.name}': No Flavor matching "
                                         f"{{'name': '{flavor.name}'}}. (HTTP 404)") in done.stderr  # real Heat's words
        admin.compute.flavor_add_tenant_access(flavor.id, alt.current_project_id)
        done = cli(operators, ALT_CLOUD_NAME, "stack", "create", "-t", str(template), "--wait", "shared")
        assert done.returncode == 0, done.stderr
        assert cli(operators, ALT_CLOUD_NAME, "stack", "delete", "--yes", "--wait", "shared").returncode == 0


ODD = [None, [], "x", True, {}, 1.5, -1, "", " a ", "\x1b[31m", "9" * 400]


@pytest.mark.parametrize("key", ["name", "id", "ram", "vcpus", "disk", "swap", "OS-FLV-EXT-DATA:ephemeral",
                                 "rxtx_factor", "os-flavor-access:is_public", "description"])
def test_odd_create_values_get_an_answer_never_a_fault(operators, key):  # noqa: F811
    admin = connect(operators, ADMIN_CLOUD_NAME)
    for value in ODD:
        body = {"flavor": {"name": fresh_name(), "ram": 1, "vcpus": 1, "disk": 1, key: value}}
        answer = admin.compute.post("/flavors", json=body, microversion="2.55")
        assert answer.status_code in (200, 400), (key, value, answer.text)
        if answer.status_code == 200:
            admin.compute.delete_flavor(answer.json()["flavor"]["id"])

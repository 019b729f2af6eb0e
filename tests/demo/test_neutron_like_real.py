"""Neutron's surface as a client sees it, held against the real stack (the oracle's recordings and Neutron 29's
own source, named at each test): the extension list, tags, If-Match revisions, atomic extra routes and floating-IP
status, driven over HTTP with openstacksdk and the `openstack` CLI."""

from __future__ import annotations

import json
import os
from pathlib import Path

import openstack
import pytest

from exotui.demo.app import CLOUD_NAME, DemoCloudThread
from exotui.demo.neutron_extensions import NOT_SERVED, REAL, SERVED
from exotui.demo.world import Knobs
from tests.conditions import wait_until

RECORDED = Path(__file__).resolve().parents[1] / "oracle" / "responses" / "neutron-186-extensions-list.json"


def _entry(alias: str, name: str, description: str, updated: str) -> dict:
    return {"name": name, "alias": alias, "description": description, "updated": updated, "links": []}


# --- extensions -----------------------------------------------------------------------------------

def test_the_real_table_is_what_the_real_stack_answered():
    """The oracle kept the real list's first five of 84: the table holds 84, and its first five are those, word
    for word (the demo had its own words for them, and a made-up `updated` for all)."""
    recorded = json.loads(RECORDED.read_text())
    assert recorded["note"] == f"response_body.extensions trimmed from {len(REAL)} to 5 items"
    assert [_entry(*e) for e in REAL[:5]] == recorded["response_body"]["extensions"]
    assert len({e[0] for e in REAL}) == len(REAL) and set(NOT_SERVED) < {e[0] for e in REAL}


def test_the_demo_lists_the_real_extensions_it_serves(conn, openstack_cli):
    listed = conn.network.get("/extensions").json()["extensions"]
    assert listed == [_entry(*e) for e in SERVED]
    aliases = {e["alias"] for e in listed}
    # what python-openstackclient and openstacksdk check for before they use a feature
    assert {"standard-attr-tag", "tag-creation", "standard-attr-timestamp", "standard-attr-revisions",
            "revision-if-match", "extraroute-atomic", "router", "external-net", "security-group",
            "port-security", "net-mtu", "quotas", "quota_details", "fip-port-details"} <= aliases
    # nothing listed that the demo does not serve (it listed agents and address groups, and 404'd them)
    assert not aliases & {"agent", "l3-flavors", "subnet_onboard", "trunk", "qos"}
    # served now (exotui/demo/neutron_pools.py, neutron_rbac.py, neutron_address_groups.py)
    assert {"address-group", "address-scope", "rbac-policies", "subnet_allocation", "default-subnetpools"} <= aliases
    shown = json.loads(openstack_cli("extension", "show", "tag-creation", "-f", "json").stdout)
    assert (shown["alias"], shown["description"]) == ("tag-creation", "Allow to create multiple tags for a resource")
    missing = conn.network.get("/extensions/agent", raise_exc=False)
    assert missing.status_code == 404
    assert missing.json()["NeutronError"]["message"] == "Extension with alias agent does not exist"


def test_each_listed_collection_answers(conn):
    """availability_zone is listed, so its collection is served (empty: zones come from agents); so is
    floatingip-pools (db/l3_fip_pools_db.py: the IPv4 subnets of external networks, in the caller's project)."""
    assert list(conn.network.availability_zones()) == []
    public = conn.network.find_network("public")
    subnet = conn.network.get_subnet(public.subnet_ids[0])
    pools = conn.network.get("/floatingip_pools").json()["floatingip_pools"]
    assert {"subnet_id": subnet.id, "subnet_name": subnet.name, "project_id": conn.current_project_id,
            "network_id": public.id, "cidr": subnet.cidr} in pools
    assert all(conn.network.get_network(p["network_id"]).is_router_external for p in pools)


# --- tags (neutron/extensions/tagging.py, services/tag/tag_plugin.py) -----------------------------

@pytest.fixture()
def network(conn):
    net = conn.network.create_network(name="tag-checks")
    yield net
    conn.network.delete_network(net)


def _put_tags(conn, net, body):
    return conn.network.put(f"/networks/{net.id}/tags", json=body, raise_exc=False)


def test_replacing_tags_answers_the_body_sent(conn, network):
    answer = _put_tags(conn, network, {"tags": ["zeta", "alpha"]})
    assert (answer.status_code, answer.json()) == (200, {"tags": ["zeta", "alpha"]})  # update_tags returns body
    shown = conn.network.get_network(network.id)
    assert sorted(shown.tags) == ["alpha", "zeta"]
    revision = shown.revision_number
    _put_tags(conn, network, {"tags": ["alpha", "zeta"]})
    assert conn.network.get_network(network.id).revision_number == revision  # nothing changed, no new revision


@pytest.mark.parametrize("body, message", [
    ({"tag": ["a"]}, "Invalid input for operation: Invalid tags body."),
    ({"tags": "red"}, "Invalid input for operation: 'red' is not a list."),
    ({"tags": ["red", "blue", "red"]}, "Invalid input for operation: Duplicate items in the list: 'red'."),
    ({"tags": ["red", 7]}, "Invalid input for operation: '7' is not a valid string."),
    ({"tags": ["x" * 256]}, f"Invalid input for operation: '{'x' * 256}' exceeds maximum length of 255."),
    ({"tags": [f"t{i}" for i in range(51)]},
     "Bad networks request: The number of tags exceed the per-resource limit of 50."),
])
def test_tag_bodies_are_refused_in_neutrons_words(conn, network, body, message):
    for answer in (_put_tags(conn, network, body),
                   conn.network.post(f"/networks/{network.id}/tags", json=body, raise_exc=False)):
        assert answer.status_code == 400
        assert answer.json()["NeutronError"]["message"] == message


def test_one_tag_at_a_time(conn, network):
    base = f"/networks/{network.id}/tags"
    assert conn.network.put(f"{base}/red").status_code == 201
    assert conn.network.get(f"{base}/red").status_code == 204
    missing = conn.network.get(f"{base}/blue", raise_exc=False)
    assert (missing.status_code, missing.json()["NeutronError"]["message"]) == (404, "Tag blue could not be found.")
    _put_tags(conn, network, {"tags": [f"t{i}" for i in range(50)]})
    over = conn.network.put(f"{base}/one-more", raise_exc=False)
    assert over.status_code == 400 and "per-resource limit of 50" in over.json()["NeutronError"]["message"]
    assert conn.network.delete(f"{base}/t0").status_code == 204
    assert conn.network.delete(f"{base}/t0", raise_exc=False).status_code == 404
    assert conn.network.delete(base).status_code == 204
    assert conn.network.get(base).json() == {"tags": []}


def test_lists_filter_on_tags(conn):
    made = {name: conn.network.create_network(name=name) for name in ("tf-red", "tf-red-blue", "tf-plain")}
    try:
        conn.network.set_tags(made["tf-red"], ["red"])
        conn.network.set_tags(made["tf-red-blue"], ["red", "blue"])

        def names(**query):
            return sorted(n.name for n in conn.network.networks(**query) if n.name.startswith("tf-"))

        assert names(tags="red,blue") == ["tf-red-blue"]
        assert names(any_tags="blue,green") == ["tf-red-blue"]
        assert names(not_tags="red,blue") == ["tf-plain", "tf-red"]
        assert names(not_any_tags="blue,green") == ["tf-plain", "tf-red"]
    finally:
        for net in made.values():
            conn.network.delete_network(net)


# --- revision-if-match (api/api_common.py, services/revisions/revision_plugin.py) -----------------

def test_an_update_at_another_revision_is_refused(conn, network):
    revision = network.revision_number  # openstacksdk updates the object in place
    stale = revision + 3
    answer = conn.network.put(f"/networks/{network.id}", json={"network": {"name": "renamed"}},
                              headers={"If-Match": f"revision_number={stale}"}, raise_exc=False)
    assert answer.status_code == 412
    assert answer.json()["NeutronError"] == {"type": "RevisionNumberConstraintFailed", "detail": "",
                                             "message": f"Constrained to {stale}, but current revision is "
                                                        f"{revision}"}
    renamed = conn.network.update_network(network, name="renamed", if_revision=revision)
    assert renamed.name == "renamed" and renamed.revision_number == revision + 1
    bad = conn.network.delete(f"/networks/{network.id}", headers={"If-Match": "revision_number=x"}, raise_exc=False)
    assert bad.status_code == 400
    assert bad.json()["NeutronError"]["message"] == ("Bad if-match request: Revision number etag must be in the "
                                                     "format of revision_number=<int>.")


# --- extraroute-atomic (db/extraroute_db.py) -------------------------------------------------------

def test_routes_are_added_and_removed_atomically(conn, openstack_cli):
    net = conn.network.create_network(name="routes")
    subnet = conn.network.create_subnet(network_id=net.id, ip_version=4, cidr="10.88.0.0/24")
    router = conn.network.create_router(name="routes")
    conn.network.add_interface_to_router(router, subnet=subnet.id)
    try:
        added = json.loads(openstack_cli("router", "add", "route", router.id, "--route",
                                         "destination=10.0.10.0/24,gateway=10.88.0.10", "--route",
                                         "destination=10.0.11.0/24,gateway=10.88.0.11", "-f", "json").stdout)
        assert len(added["routes"]) == 2
        again = conn.network.add_extra_routes_to_router(
            router, {"router": {"routes": [{"destination": "10.0.10.0/24", "nexthop": "10.88.0.10"}]}})
        assert len(again.routes) == 2  # an exact duplicate is merged
        removed = conn.network.remove_extra_routes_from_router(
            router, {"router": {"routes": [{"destination": "10.0.11.0/24", "nexthop": "10.88.0.11"},
                                           {"destination": "10.0.12.0/24", "nexthop": "10.88.0.12"}]}})
        assert removed.routes == [{"destination": "10.0.10.0/24", "nexthop": "10.88.0.10"}]

        far = conn.network.put(f"/routers/{router.id}/add_extraroutes", raise_exc=False, json={
            "router": {"routes": [{"destination": "10.0.13.0/24", "nexthop": "192.0.2.1"}]}})
        assert far.status_code == 400
        assert far.json()["NeutronError"]["message"] == (
            "Invalid format for routes: [{'destination': '10.0.10.0/24', 'nexthop': '10.88.0.10'}, "
            "{'destination': '10.0.13.0/24', 'nexthop': '192.0.2.1'}], the nexthop is not connected with router")
        unplug = conn.network.put(f"/routers/{router.id}/remove_router_interface", json={"subnet_id": subnet.id},
                                  raise_exc=False)
        assert unplug.status_code == 409
        assert unplug.json()["NeutronError"]["message"] == (
            f"Router interface for subnet {subnet.id} on router {router.id} cannot be deleted, as it is required "
            f"by one or more routes.")
    finally:
        conn.network.update_router(router, routes=[])
        conn.network.remove_interface_from_router(router, subnet=subnet.id)
        conn.network.delete_router(router)
        conn.network.delete_network(net)


# --- floating-IP status (services/l3_router/l3_router_plugin.py, api/rpc/handlers/l3_rpc.py) ------

@pytest.fixture()
def timed_conn(tmp_path, monkeypatch):
    """A demo whose L3 agent takes its time (0.3 s), so what the API answers can be told from what the agent
    reports after."""
    with DemoCloudThread(Knobs(delay_scale=0.3, seed=4, ssh=False), state_dir=tmp_path / "state") as cloud:
        cloud.cloud.write_config(tmp_path)
        monkeypatch.setenv("OS_CLIENT_CONFIG_FILE", str(tmp_path / "clouds.yaml"))
        for key in [k for k in os.environ if k.startswith("OS_") and k != "OS_CLIENT_CONFIG_FILE"]:
            monkeypatch.delenv(key)
        connection = openstack.connect(cloud=CLOUD_NAME)
        yield connection
        connection.close()


def test_floating_ip_status_is_the_l3_agents(timed_conn):
    """Neutron creates a floating IP DOWN and its update leaves status alone; the L3 agent reports ACTIVE once it
    has wired one to a port and DOWN once it left its router, each report a revision of its own. So moving an
    ACTIVE floating IP to another port answers ACTIVE (the demo answered DOWN), and so does letting it go, until
    the agent has taken it down."""
    conn = timed_conn
    net = conn.network.find_network("auto_allocated_network")
    public = conn.network.find_network("public")
    ports = [conn.network.create_port(network_id=net.id, name=f"fip-{i}") for i in range(2)]
    fip = conn.network.create_ip(floating_network_id=public.id)
    assert fip.status == "DOWN"

    def shown():
        return conn.network.get_ip(fip.id)

    moved = conn.network.update_ip(fip, port_id=ports[0].id)
    assert moved.status == "DOWN"  # not wired yet
    up = wait_until(lambda: shown() if shown().status == "ACTIVE" else None, timeout=10, interval=0.05)
    assert up and up.revision_number == moved.revision_number + 1
    moved = conn.network.update_ip(fip, port_id=ports[1].id)
    assert (moved.status, moved.port_id) == ("ACTIVE", ports[1].id)
    let_go = conn.network.update_ip(fip, port_id=None)
    assert (let_go.status, let_go.port_id) == ("ACTIVE", None)
    down = wait_until(lambda: shown() if shown().status == "DOWN" else None, timeout=10, interval=0.05)
    assert down and down.revision_number == let_go.revision_number + 1


# --- a subnet's gateway (db/db_base_plugin_v2.py _validate_subnet and update_subnet, ipam/utils.py) -------------

def test_a_gateway_is_checked_as_neutron_checks_it(conn, network):
    """Outside the subnet is allowed (OSC's test_subnet_set_show_unset sets one); its network or broadcast
    address, another IP version, an address in the pools or one a router holds are not."""
    subnet = conn.network.create_subnet(network_id=network.id, ip_version=4, cidr="10.89.0.0/26",
                                        gateway_ip="10.89.5.1")
    assert (subnet.gateway_ip, subnet.allocation_pools) == ("10.89.5.1", [{"start": "10.89.0.1",
                                                                            "end": "10.89.0.62"}])
    assert conn.network.update_subnet(subnet, gateway_ip="10.10.11.1").gateway_ip == "10.10.11.1"

    def refused(gateway):
        answer = conn.network.put(f"/subnets/{subnet.id}", json={"subnet": {"gateway_ip": gateway}}, raise_exc=False)
        return answer.status_code, answer.json()["NeutronError"]["message"]

    assert refused("10.89.0.0") == (400, "Invalid input for operation: Gateway is not valid on subnet.")
    assert refused("10.89.0.63") == (400, "Invalid input for operation: Gateway is not valid on subnet.")
    assert refused("fd00::1") == (400, "Invalid input for operation: gateway_ip 'fd00::1' does not match the "
                                       "ip_version '4'.")
    assert refused("10.89.0.9") == (409, "Gateway ip 10.89.0.9 conflicts with allocation pool "
                                         "10.89.0.1-10.89.0.62.")
    other = conn.network.create_subnet(network_id=network.id, ip_version=4, cidr="10.89.1.0/24")
    router = conn.network.create_router(name="holds-the-gateway")
    conn.network.add_interface_to_router(router, subnet=other.id)
    try:
        port = next(conn.network.ports(device_id=router.id))
        answer = conn.network.put(f"/subnets/{other.id}", json={"subnet": {"gateway_ip": None}}, raise_exc=False)
        assert answer.status_code == 409
        assert answer.json()["NeutronError"]["message"] == (f"Current gateway ip 10.89.1.1 already in use by port "
                                                            f"{port.id}. Unable to update.")
    finally:
        conn.network.remove_interface_from_router(router, subnet=other.id)
        conn.network.delete_router(router)
        for made in (subnet, other):
            conn.network.delete_subnet(made)


def test_a_port_takes_its_tags_at_create(conn, network):
    """tagging.py's TAG_ATTRIBUTE_MAP_PORTS: ports (only) accept tags in POST, checked as an attribute."""
    made = conn.network.post("/ports", json={"port": {"network_id": network.id, "tags": ["web", "blue"]}})
    port = made.json()["port"]
    try:
        assert sorted(port["tags"]) == ["blue", "web"]
        bad = conn.network.post("/ports", json={"port": {"network_id": network.id, "tags": ["a", "a"]}},
                                raise_exc=False)
        assert bad.status_code == 400
        assert bad.json()["NeutronError"]["message"] == ("Invalid input for tags. Reason: Duplicate items in the "
                                                         "list: 'a'.")
        refused = conn.network.post("/networks", json={"network": {"name": "x", "tags": ["a"]}}, raise_exc=False)
        assert (refused.status_code, refused.json()["NeutronError"]["message"]) == (
            400, "Attribute 'tags' not allowed in POST")  # neutron/api/v2/base.py, for every other kind
    finally:
        conn.network.delete(f"/ports/{port['id']}")

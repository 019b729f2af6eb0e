"""Manila (shared-file-system v2) of the demo cloud, driven by unmodified clients: openstacksdk's
shared_file_system proxy, the `openstack share ...` CLI (python-manilaclient's plugin), and plain HTTP where
Manila's own answers (status codes, fault bodies, the microversion header) are the point."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import openstack
import pytest
import requests

from exotui.demo import manila
from exotui.demo.app import CLOUD_NAME, DemoCloudThread
from exotui.demo.world import Knobs
from tests.conditions import wait_until

BIN = Path(sys.executable).parent
MV = "2.65"


@pytest.fixture(scope="module")
def cloud(tmp_path_factory):
    d = tmp_path_factory.mktemp("manila-demo")
    with DemoCloudThread(Knobs(delay_scale=0.0, seed=5, ssh=False)) as c:
        c.cloud.write_config(d)
        c.config_dir = d
        yield c


@pytest.fixture(scope="module")
def sdk(cloud):
    # openstacksdk's share resources carry no microversion of their own: without this setting it speaks 2.0,
    # where Manila has no `extend` or `allow_access` (its own functional tests set 2.82 the same way)
    conn = cloud.connect(shared_file_system_api_version=MV)
    yield conn
    conn.close()


@pytest.fixture(scope="module")
def http(sdk):
    """(session, base URL) for raw requests with the member's token."""
    url = sdk.shared_file_system.get_endpoint()
    return sdk.session, url.rstrip("/")


def osc(cloud, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OS_")}
    env["OS_CLIENT_CONFIG_FILE"] = str(cloud.config_dir / "clouds.yaml")
    done = subprocess.run([str(BIN / "openstack"), "--os-cloud", CLOUD_NAME, *args], capture_output=True,
                          text=True, timeout=120, env=env)
    if check:
        assert done.returncode == 0, done.stderr
    return done


def _raw(http, method: str, path: str, mv: str | None = MV, **kw) -> requests.Response:
    session, base = http
    headers = {"X-OpenStack-Manila-API-Version": mv} if mv else {}
    return session.request(base + path, method, headers=headers, raise_exc=False, **kw)


# --- the catalog and versions --------------------------------------------------------------------------

def test_catalog_lists_manila_under_both_types(sdk):
    types = {entry["type"] for entry in sdk.session.auth.get_access(sdk.session).service_catalog.catalog}
    assert {"shared-file-system", "sharev2"} <= types


def test_versions_document_and_microversion_header(cloud, http):
    root = requests.get(cloud.world.base_url + "/share/", timeout=10)
    assert root.status_code == 300
    (v2,) = root.json()["versions"]
    assert (v2["id"], v2["min_version"], v2["version"]) == ("v2.0", "2.0", manila.MAX_VERSION)
    assert tuple(map(int, manila.MAX_VERSION.split("."))) >= (2, 63)

    echoed = _raw(http, "GET", "/shares", mv="2.63")
    assert echoed.status_code == 200
    assert echoed.headers["X-OpenStack-Manila-API-Version"] == "2.63"
    assert echoed.headers["Vary"] == "X-OpenStack-Manila-API-Version"
    assert _raw(http, "GET", "/shares", mv=None).headers["X-OpenStack-Manila-API-Version"] == "2.0"

    too_high = _raw(http, "GET", "/shares", mv="2.999")
    assert too_high.status_code == 406
    assert too_high.json() == {"computeFault": {"code": 406, "message": (
        f"Version 2.999 is not supported by the API. Minimum is 2.0 and maximum is {manila.MAX_VERSION}.")}}
    bad = _raw(http, "GET", "/shares", mv="two")
    assert bad.status_code == 400
    assert "is of invalid format" in bad.json()["badRequest"]["message"]


def test_fields_follow_the_microversion(http):
    old = _raw(http, "GET", "/shares/detail", mv="2.8").json()["shares"][0]
    assert "export_locations" in old and "access_rules_status" not in old
    new = _raw(http, "GET", "/shares/detail", mv="2.63").json()["shares"][0]
    assert "export_locations" not in new
    assert new["share_type_name"] == "cephfsnativetype" and new["access_rules_status"] == "active"
    assert new["progress"] == "100%"


# --- openstacksdk's proxy ------------------------------------------------------------------------------

def test_sdk_lists_the_seeded_shares(sdk):
    shares = {s.name: s for s in sdk.shared_file_system.shares()}
    assert {"genomics-scratch", "reference-db"} <= set(shares)
    scratch = shares["genomics-scratch"]
    assert (scratch.size, scratch.share_protocol, scratch.status) == (500, "CEPHFS", "available")
    types = [t.name for t in sdk.shared_file_system.share_types()]
    assert types == ["cephfsnativetype"]


def test_sdk_share_life(sdk):
    sfs = sdk.shared_file_system
    share = sfs.create_share(name="sdk-share", size=2, share_protocol="CEPHFS", description="made by the SDK")
    assert sfs.get_share(share.id).status == "available"  # no delay in this cloud
    (export,) = sfs.export_locations(share.id)
    monitors, _, path = export.path.partition(":/")
    assert monitors == manila.CEPH_MONITORS and path.startswith("volumes/_nogroup/")

    rule = sfs.create_access_rule(share.id, access_type="cephx", access_to="sdk-user")
    rules = list(sfs.access_rules(share.id))
    assert [(r.access_type, r.access_to, r.state) for r in rules] == [("cephx", "sdk-user", "active")]
    assert rules[0].access_key and len(rules[0].access_key) == 40
    ip_rule = sfs.create_access_rule(share.id, access_type="ip", access_to="10.0.0.0/24", access_level="ro")
    assert ip_rule.access_level == "ro"

    sfs.resize_share(share.id, 4)
    assert sfs.get_share(share.id).size == 4
    sfs.delete_access_rule(rule.id, share.id)
    assert [r.access_to for r in sfs.access_rules(share.id)] == ["10.0.0.0/24"]

    sfs.delete_share(share.id)
    with pytest.raises(openstack.exceptions.NotFoundException):
        sfs.get_share(share.id)


def test_sdk_quota_set_and_limits(sdk, http):
    sfs = sdk.shared_file_system
    quota = sfs.get_quota_set(sdk.current_project_id)
    assert quota.shares == manila.QUOTA_DEFAULTS["shares"]
    # the SDK's Limit reads {"limits": {...}} as a list and so finds no values (its functional test checks
    # only hasattr); Manila's answer is {"limits": {"rate": [], "absolute": {...}}}
    assert list(sfs.limits())
    absolute = _raw(http, "GET", "/limits").json()["limits"]["absolute"]
    assert absolute["maxTotalShareGigabytes"] == manila.QUOTA_DEFAULTS["gigabytes"]


def test_quota_detail_counts_what_is_used(http, sdk):
    used = sum(s.size for s in sdk.shared_file_system.shares())
    detail = _raw(http, "GET", f"/quota-sets/{sdk.current_project_id}/detail").json()["quota_set"]
    assert detail["gigabytes"] == {"limit": 1000, "in_use": used, "reserved": 0}
    assert detail["per_share_gigabytes"]["limit"] == -1
    assert _raw(http, "GET", f"/quota-sets/{sdk.current_project_id}/detail", mv="2.24").status_code == 404


# --- Manila's refusals, as it words them ---------------------------------------------------------------

def _share_id(http, name: str) -> str:
    return next(s["id"] for s in _raw(http, "GET", "/shares").json()["shares"] if s["name"] == name)


@pytest.mark.parametrize(("body", "status", "message"), [
    ({"share": {"size": 0, "share_proto": "CEPHFS"}}, 400,
     "Invalid input received: Share size '0' must be an integer and greater than 0."),
    ({"share": {"size": 1, "share_proto": "HDFS"}}, 400, "Invalid share protocol provided: HDFS."),
    ({"share": {"size": 1, "share_proto": "NFS", "share_type": "gold"}}, 404, "Share type not found."),
    ({"share": {"size": 5000, "share_proto": "CEPHFS"}}, 413,
     "ShareSizeExceedsAvailableQuota: Requested share exceeds allowed project/user or share type gigabytes quota."),
    ({"nope": {}}, 422, None),
])
def test_create_refusals(http, body, status, message):
    answer = _raw(http, "POST", "/shares", json=body)
    assert answer.status_code == status
    if message:
        fault = next(iter(answer.json().values()))
        assert fault["code"] == status and message in fault["message"]
    if status == 413:
        assert answer.json()["overLimit"]["retryAfter"] == "0"


def test_action_refusals(http):
    sid = _share_id(http, "reference-db")
    smaller = _raw(http, "POST", f"/shares/{sid}/action", json={"extend": {"new_size": 50}})
    assert smaller.status_code == 400
    assert smaller.json()["badRequest"]["message"] == (
        "Invalid input received: New size for extend must be greater than current size. (current: 100, extended: 50).")
    assert _raw(http, "POST", f"/shares/{sid}/action", json={"extend": {"new_size": "x"}}).json() == {
        "badRequest": {"code": 400, "message": "New share size must be specified as an integer."}}
    dotted = _raw(http, "POST", f"/shares/{sid}/action",
                  json={"allow_access": {"access_type": "cephx", "access_to": "client.bob"}})
    assert dotted.json()["badRequest"]["message"] == "Ceph IDs may not contain periods."
    bad_ip = _raw(http, "POST", f"/shares/{sid}/action",
                  json={"allow_access": {"access_type": "ip", "access_to": "10.0.0.300"}})
    assert bad_ip.status_code == 400
    twice = [_raw(http, "POST", f"/shares/{sid}/action",
                  json={"allow_access": {"access_type": "ip", "access_to": "192.168.1.0/24"}}) for _ in range(2)]
    assert twice[0].status_code == 200
    assert twice[1].json()["badRequest"]["message"] == "Share access ip:192.168.1.0/24 exists."
    gone = _raw(http, "POST", f"/shares/{sid}/action", json={"deny_access": {"access_id": "no-such-rule"}})
    assert gone.json() == {"itemNotFound": {"code": 404, "message": "Resource could not be found."}}
    legacy = _raw(http, "POST", f"/shares/{sid}/action", json={"os-extend": {"new_size": 200}})
    assert legacy.status_code == 404  # os-extend ended at 2.6
    assert _raw(http, "GET", "/shares/no-such-share").json() == {
        "itemNotFound": {"code": 404, "message": "The resource could not be found."}}
    assert _raw(http, "GET", "/share-access-rules").json()["badRequest"]["message"] == (
        "The field 'share_id' has to be specified.")


def test_another_projects_url_is_malformed(http):
    session, base = http
    other = base.rsplit("/", 1)[0] + "/0123456789abcdef0123456789abcdef"
    answer = session.get(other + "/shares", headers={"X-OpenStack-Manila-API-Version": MV}, raise_exc=False)
    assert answer.status_code == 400
    assert answer.json()["badRequest"]["message"] == "Malformed request url"


def test_states_move_as_manila_moves_them(tmp_path):
    """creating -> available, extending -> available, deleting -> gone; a cephx key only once the rule is
    active; a share not available refuses to be deleted (403) or extended (400)."""
    with DemoCloudThread(Knobs(delay_scale=0.05, seed=6, ssh=False)) as c:
        conn = c.connect(shared_file_system_api_version=MV)
        sfs = conn.shared_file_system
        share = sfs.create_share(name="slow", size=1, share_protocol="CEPHFS")
        assert share.status == "creating"
        http = (conn.session, sfs.get_endpoint().rstrip("/"))
        early = _raw(http, "DELETE", f"/shares/{share.id}")
        assert early.status_code == 403
        assert early.json()["forbidden"]["message"] == (
            "Invalid share: Share status must be one of ('available', 'error', 'inactive').")
        assert list(sfs.export_locations(share.id)) == []
        assert wait_until(lambda: sfs.get_share(share.id).status == "available", timeout=10)

        rule = sfs.create_access_rule(share.id, access_type="cephx", access_to="slow-user")
        assert (rule.state, rule.access_key) == ("queued_to_apply", None)
        assert sfs.get_share(share.id).access_rules_status == "syncing"
        assert wait_until(lambda: next(iter(sfs.access_rules(share.id))).access_key, timeout=10)
        assert sfs.get_share(share.id).access_rules_status == "active"

        sfs.resize_share(share.id, 3)
        assert sfs.get_share(share.id).status == "extending"
        busy = _raw(http, "POST", f"/shares/{share.id}/action", json={"extend": {"new_size": 5}})
        assert busy.status_code == 400 and "status must be 'available' to extend" in busy.text
        assert wait_until(lambda: sfs.get_share(share.id).size == 3, timeout=10)

        sfs.delete_share(share.id)
        assert sfs.get_share(share.id).status == "deleting"
        assert wait_until(lambda: share.id not in {s.id for s in sfs.shares()}, timeout=10)
        conn.close()


# --- the `openstack share` CLI -------------------------------------------------------------------------

def test_cli_share_life(cloud):
    listed = json.loads(osc(cloud, "share", "list", "-f", "json").stdout)
    assert {"genomics-scratch", "reference-db"} <= {row["Name"] for row in listed}
    made = json.loads(osc(cloud, "share", "create", "CEPHFS", "3", "--name", "cli-share", "--share-type",
                          "cephfsnativetype", "--wait", "-f", "json").stdout)
    assert made["status"] == "available" and made["share_type_name"] == "cephfsnativetype"
    rule = json.loads(osc(cloud, "share", "access", "create", "cli-share", "cephx", "cli-user", "--wait",
                          "-f", "json").stdout)
    assert rule["state"] == "active" and len(rule["access_key"]) == 40
    rules = json.loads(osc(cloud, "share", "access", "list", "cli-share", "-f", "json").stdout)
    assert [r["Access To"] for r in rules] == ["cli-user"]
    exports = json.loads(osc(cloud, "share", "export", "location", "list", "cli-share", "-f", "json").stdout)
    assert exports[0]["Path"].startswith(manila.CEPH_MONITORS + ":/volumes/_nogroup/")
    osc(cloud, "share", "resize", "cli-share", "6", "--wait")
    assert json.loads(osc(cloud, "share", "show", "cli-share", "-f", "json").stdout)["size"] == 6
    osc(cloud, "share", "access", "delete", "cli-share", rule["id"], "--wait")
    assert json.loads(osc(cloud, "share", "access", "list", "cli-share", "-f", "json").stdout) == []
    osc(cloud, "share", "delete", "cli-share", "--wait")
    assert "cli-share" not in osc(cloud, "share", "list").stdout


def test_cli_types_limits_and_refusal(cloud):
    types = json.loads(osc(cloud, "share", "type", "list", "-f", "json").stdout)
    assert [t["Name"] for t in types] == ["cephfsnativetype"]
    limits = {row["Name"]: row["Value"] for row in json.loads(
        osc(cloud, "share", "limits", "show", "--absolute", "-f", "json").stdout)}
    assert limits["maxTotalShares"] == manila.QUOTA_DEFAULTS["shares"]
    refused = osc(cloud, "share", "create", "CEPHFS", "0", check=False)
    assert refused.returncode != 0
    assert "must be an integer and greater than 0" in refused.stderr

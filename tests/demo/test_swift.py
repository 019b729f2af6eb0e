"""Object storage of the demo cloud, driven by unmodified clients: the `openstack` CLI, python-swiftclient's
`swift`, openstacksdk's object_store proxy, and plain HTTP where Swift's own rules are the point."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import openstack
import pytest
import requests

from exotui.demo.app import CLOUD_NAME, DemoCloudThread
from exotui.demo.seed import DEMO_PASSWORD, DEMO_PROJECTS, DEMO_USER
from exotui.demo.world import Knobs

BIN = Path(sys.executable).parent


@pytest.fixture(scope="module")
def cloud(tmp_path_factory):
    d = tmp_path_factory.mktemp("swift-demo")
    with DemoCloudThread(Knobs(delay_scale=0.0, seed=3, ssh=False)) as c:
        c.cloud.write_config(d)
        c.config_dir = d
        yield c


@pytest.fixture(scope="module")
def sdk(cloud):
    conn = cloud.connect()
    yield conn
    conn.close()


def _env(cloud) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OS_")}
    env["OS_CLIENT_CONFIG_FILE"] = str(cloud.config_dir / "clouds.yaml")
    return env


def osc(cloud, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    done = subprocess.run([str(BIN / "openstack"), "--os-cloud", CLOUD_NAME, *args], capture_output=True, text=True,
                          timeout=120, env=_env(cloud))
    if check:
        assert done.returncode == 0, done.stderr
    return done


def swift(cloud, *args: str, cwd: Path | None = None, check: bool = True) -> subprocess.CompletedProcess:
    env = _env(cloud)
    env.update(OS_AUTH_URL=cloud.auth_url, OS_USERNAME=DEMO_USER, OS_PASSWORD=DEMO_PASSWORD,
               OS_PROJECT_NAME=DEMO_PROJECTS[0][0], OS_USER_DOMAIN_NAME="Default", OS_PROJECT_DOMAIN_NAME="Default",
               OS_IDENTITY_API_VERSION="3", OS_REGION_NAME="RegionOne")
    done = subprocess.run([str(BIN / "swift"), *args], capture_output=True, text=True, timeout=120, env=env, cwd=cwd)
    if check:
        assert done.returncode == 0, done.stderr
    return done


def test_catalog_names_object_store_with_the_projects_account(sdk):
    endpoint = sdk.object_store.get_endpoint()
    assert endpoint.endswith(f"/swift/v1/AUTH_{sdk.current_project_id}")
    assert sdk.object_store.get_info().slo["min_segment_size"] == 1


def test_openstack_cli_containers_and_objects(cloud, tmp_path):
    osc(cloud, "container", "create", "cli-box")
    src = tmp_path / "notes.txt"
    src.write_bytes(b"field notes\n")
    osc(cloud, "object", "create", "cli-box", str(src), "--name", "2024/notes.txt")
    osc(cloud, "object", "create", "cli-box", str(src), "--name", "top.txt")
    names = osc(cloud, "object", "list", "cli-box", "-f", "value", "-c", "Name").stdout.split()
    assert names == ["2024/notes.txt", "top.txt"]
    folders = osc(cloud, "object", "list", "cli-box", "--delimiter", "/", "-f", "value").stdout.split()
    assert folders == ["top.txt"]  # the CLI prints the objects at this level; subdirs have no name column
    shown = dict(line.split("=", 1) for line in osc(cloud, "container", "show", "cli-box", "-f", "shell"
                                                      ).stdout.splitlines() if "=" in line)
    assert shown["object_count"] == '"2"' and shown["bytes_used"] == '"24"'
    osc(cloud, "object", "set", "--property", "stage=raw", "cli-box", "top.txt")
    shown = osc(cloud, "object", "show", "cli-box", "top.txt", "-f", "json").stdout
    assert json.loads(shown)["properties"] == {"Stage": "raw"}  # swob title-cases header names
    osc(cloud, "object", "store", "account", "set", "--property", "owner=lab")
    account = osc(cloud, "object", "store", "account", "show", "-f", "json").stdout
    assert json.loads(account)["properties"] == {"Owner": "lab"}
    out = tmp_path / "back.txt"
    osc(cloud, "object", "save", "cli-box", "2024/notes.txt", "--file", str(out))
    assert out.read_bytes() == b"field notes\n"
    refused = osc(cloud, "container", "delete", "cli-box", check=False)
    assert refused.returncode != 0  # Swift answers 409 for a container with objects
    osc(cloud, "container", "delete", "--recursive", "cli-box")
    assert "cli-box" not in osc(cloud, "container", "list", "-f", "value").stdout.split()


def test_swift_client_segmented_upload_download_and_stat(cloud, tmp_path):
    data = os.urandom(2_500_000)
    (tmp_path / "up").mkdir()
    (tmp_path / "up" / "big.bin").write_bytes(data)
    swift(cloud, "upload", "--segment-size", "1000000", "--use-slo", "sw-box", "big.bin", cwd=tmp_path / "up")
    stat = swift(cloud, "stat", "sw-box", "big.bin").stdout
    assert "Manifest" in stat or "Static Large Object" in stat or "2500000" in stat
    assert "2500000" in stat
    segs = swift(cloud, "list", "sw-box_segments").stdout.split()
    assert len(segs) == 3
    (tmp_path / "down").mkdir()
    swift(cloud, "download", "sw-box", "big.bin", cwd=tmp_path / "down")
    assert (tmp_path / "down" / "big.bin").read_bytes() == data
    swift(cloud, "delete", "sw-box", "big.bin")  # the manifest and its segments
    assert swift(cloud, "list", "sw-box_segments").stdout.split() == []
    for i in range(25):  # above 20 objects swift deletes through the bulk middleware /info announces
        (tmp_path / "up" / f"f{i}.txt").write_text(str(i))
    swift(cloud, "upload", "sw-box", *(f"f{i}.txt" for i in range(25)), cwd=tmp_path / "up")
    before = len(cloud.world.asked)
    swift(cloud, "delete", "sw-box")
    assert any(m == "POST" and "bulk-delete" in p for m, p in list(cloud.world.asked)[before:])
    assert "sw-box" not in swift(cloud, "list").stdout.split()


def test_public_container_reads_without_a_token_and_private_refuses(cloud, sdk):
    sdk.object_store.create_container("pub-box")
    sdk.object_store.create_object("pub-box", "hello.txt", data=b"hi all")
    url = f"{sdk.object_store.get_endpoint()}/pub-box/hello.txt"
    assert requests.get(url).status_code == 401
    swift(cloud, "post", "-r", ".r:*,.rlistings", "pub-box")
    assert requests.get(url).content == b"hi all"
    assert requests.get(url.rsplit("/", 1)[0]).text == "hello.txt\n"
    swift(cloud, "post", "-r", "", "pub-box")
    refused = requests.get(url)
    assert refused.status_code == 401
    assert refused.text.startswith("<html><h1>Unauthorized</h1>")


def test_temp_url_signed_by_swift_client_and_checked_as_swift_does(cloud, sdk):
    sdk.object_store.create_container("tmp-box")
    sdk.object_store.create_object("tmp-box", "report.pdf", data=b"%PDF")
    sdk.object_store.set_account_temp_url_key("k3y")
    endpoint = sdk.object_store.get_endpoint()
    path = f"/v1/AUTH_{sdk.current_project_id}/tmp-box/report.pdf"
    for digest in ("sha1", "sha256", "sha512"):
        signed = swift(cloud, "tempurl", "--digest", digest, "GET", "60", path, "k3y").stdout.strip()
        url = endpoint.split("/v1/")[0] + signed
        got = requests.get(url)
        assert got.status_code == 200 and got.content == b"%PDF", digest
        assert got.headers["Content-Disposition"].startswith('attachment; filename="report.pdf"')
    assert requests.put(url, data=b"x").status_code == 401  # signed for GET only
    expires = int(time.time()) - 1
    body = f"GET\n{expires}\n{path}"
    sig = hmac.new(b"k3y", body.encode(), hashlib.sha256).hexdigest()
    stale = requests.get(f"{endpoint}/tmp-box/report.pdf?temp_url_sig={sig}&temp_url_expires={expires}")
    assert stale.status_code == 401 and stale.text == "401 Unauthorized: Temp URL invalid\n"


def test_listing_markers_limits_and_prefixes(sdk):
    store = sdk.object_store
    store.create_container("list-box")
    names = [f"run{r}/out{i:02d}.csv" for r in range(3) for i in range(4)] + ["zz.txt"]
    for n in names:
        store.create_object("list-box", n, data=b"1")
    get = lambda **q: store.get("/list-box", params={"format": "json", **q}).json()  # noqa: E731
    assert [r.get("subdir") for r in get(delimiter="/")][:3] == ["run0/", "run1/", "run2/"]
    assert [r["name"] for r in get(prefix="run1/", limit=2)] == ["run1/out00.csv", "run1/out01.csv"]
    assert [r["name"] for r in get(prefix="run1/", marker="run1/out01.csv")] == ["run1/out02.csv", "run1/out03.csv"]
    assert [r["name"] for r in get(marker="run2/out03.csv")] == ["zz.txt"]
    assert [r["name"] for r in get(end_marker="run0/out02.csv")] == ["run0/out00.csv", "run0/out01.csv"]
    assert [r.get("subdir") for r in get(delimiter="/", marker="run0/")][:1] == ["run1/"]
    too_many = store.get("/list-box", params={"limit": 10001}, raise_exc=False)
    assert too_many.status_code == 412
    head = store.head("/list-box")
    assert head.headers["X-Container-Object-Count"] == str(len(names))
    assert head.headers["X-Container-Bytes-Used"] == str(len(names))
    empty = store.get("/list-box", params={"prefix": "nothing"}, raise_exc=False)
    assert empty.status_code == 204  # plain text listing with nothing in it


def test_objects_range_etag_copy_post_and_dlo(sdk):
    store = sdk.object_store
    store.create_container("obj-box")
    data = bytes(range(256)) * 4
    put = store.put("/obj-box/blob", data=data, headers={"Etag": hashlib.md5(data).hexdigest()})
    assert put.status_code == 201 and put.headers["Etag"] == f'"{hashlib.md5(data).hexdigest()}"'
    bad = store.put("/obj-box/bad", data=b"abc", headers={"Etag": "0" * 32}, raise_exc=False)
    assert bad.status_code == 422
    part = store.get("/obj-box/blob", headers={"Range": "bytes=10-19"})
    assert part.status_code == 206 and part.content == data[10:20]
    assert part.headers["Content-Range"] == f"bytes 10-19/{len(data)}"
    assert store.get("/obj-box/blob", headers={"Range": "bytes=-5"}).content == data[-5:]
    assert store.get("/obj-box/blob", headers={"Range": "bytes=5000-"}, raise_exc=False).status_code == 416
    copied = store.request("/obj-box/blob", "COPY", headers={"Destination": "obj-box/blob2"})
    assert copied.status_code == 201 and copied.headers["X-Copied-From"] == "obj-box/blob"
    store.post("/obj-box/blob2", headers={"X-Object-Meta-Colour": "blue"})
    assert store.head("/obj-box/blob2").headers["X-Object-Meta-Colour"] == "blue"
    store.post("/obj-box/blob2", headers={"X-Object-Meta-Size": "L"})  # a POST replaces the metadata
    meta = store.head("/obj-box/blob2").headers
    assert "X-Object-Meta-Colour" not in meta and meta["X-Object-Meta-Size"] == "L"
    for i in range(3):
        store.put(f"/obj-box/parts/{i:03d}", data=f"<{i}>".encode())
    store.put("/obj-box/whole", data=b"", headers={"X-Object-Manifest": "obj-box/parts/"})
    assert store.get("/obj-box/whole").content == b"<0><1><2>"
    assert store.delete("/obj-box/nothing-here", raise_exc=False).status_code == 404


def test_account_headers_and_metadata(sdk):
    sdk.object_store.create_container("acct-box")
    sdk.object_store.create_object("acct-box", "one", data=b"12345")
    account = sdk.object_store.get_account_metadata()
    assert account.account_container_count >= 1 and account.account_object_count >= 1
    assert account.account_bytes_used >= 5
    sdk.object_store.set_account_metadata(purpose="tests")
    head = sdk.object_store.head("")
    assert head.status_code == 204 and head.headers["X-Account-Meta-Purpose"] == "tests"


def test_another_projects_account_is_forbidden(cloud, sdk):
    other = openstack.connect(auth_url=cloud.auth_url, username=DEMO_USER, password=DEMO_PASSWORD,
                              project_name=DEMO_PROJECTS[1][0], user_domain_name="Default",
                              project_domain_name="Default", region_name="RegionOne")
    mine = sdk.object_store.get_endpoint()
    answer = other.object_store.get(mine, raise_exc=False)
    assert answer.status_code == 403
    other.close()


def test_size_cap_answers_413(tmp_path):
    with DemoCloudThread(Knobs(delay_scale=0.0, ssh=False, object_store_cap=1000)) as small:
        conn = small.connect()
        conn.object_store.create_container("c")
        too_big = conn.object_store.put("/c/o", data=b"x" * 2000, raise_exc=False)
        assert too_big.status_code == 413
        conn.close()


# --- Keystone: EC2 credentials and application credentials with roles and access rules ------------

def test_ec2_credentials_with_the_cli(cloud):
    made = osc(cloud, "ec2", "credentials", "create", "-f", "shell").stdout
    fields = dict(line.split("=", 1) for line in made.splitlines() if "=" in line)
    access = fields["access"].strip('"')
    assert len(fields["secret"].strip('"')) == 32
    listed = osc(cloud, "ec2", "credentials", "list", "-f", "value", "-c", "Access").stdout.split()
    assert access in listed
    osc(cloud, "ec2", "credentials", "delete", access)
    assert access not in osc(cloud, "ec2", "credentials", "list", "-f", "value", "-c", "Access").stdout.split()


def test_application_credential_with_roles_expiry_and_access_rules(cloud):
    rules = json.dumps([{"service": "object-store", "method": "GET", "path": "/v1/*"}])
    made = osc(cloud, "application", "credential", "create", "--role", "member", "--expiration",
               "2031-01-01T00:00:00", "--access-rules", rules, "scoped-cred", "-f", "json").stdout
    body = json.loads(made)
    assert body["Roles"] in ("member", ["member"]) or "member" in str(body["Roles"])
    assert "2031-01-01" in body["Expires At"]
    assert "object-store" in str(body["Access Rules"])
    refused = osc(cloud, "application", "credential", "create", "--role", "admin", "too-much", check=False)
    assert refused.returncode != 0 and "unassigned role" in refused.stderr


def test_access_rules_limit_an_application_credential_and_restricted_ones_make_no_ec2(cloud, sdk):
    sdk.object_store.create_container("rules-box")
    sdk.object_store.create_object("rules-box", "a/b.txt", data=b"ok")
    sdk.object_store.create_container("other-box")
    user = sdk.current_user_id
    made = sdk.identity.post(f"/users/{user}/application_credentials", json={"application_credential": {
        "name": "reader-of-rules-box", "access_rules": [
            {"service": "object-store", "method": "GET", "path": "/v1/*/rules-box/**"}]}}).json()
    cred = made["application_credential"]
    assert cred["access_rules"][0]["path"] == "/v1/*/rules-box/**" and cred["access_rules"][0]["id"]
    limited = openstack.connect(auth_url=cloud.auth_url, auth_type="v3applicationcredential",
                                application_credential_id=cred["id"], application_credential_secret=cred["secret"],
                                region_name="RegionOne")
    assert limited.object_store.get("/rules-box/a/b.txt").content == b"ok"
    assert limited.object_store.put("/rules-box/new", data=b"x", raise_exc=False).status_code == 401
    assert limited.object_store.get("/other-box", raise_exc=False).status_code == 401
    refused = limited.identity.post(f"/users/{user}/credentials/OS-EC2",
                                    json={"tenant_id": sdk.current_project_id}, raise_exc=False)
    assert refused.status_code == 403 and "application_credential" in refused.json()["error"]["message"]
    limited.close()

"""The cloud layer's object storage and credentials against the demo cloud over HTTP: listings as folders
paged by marker, uploads and downloads with progress that resume, public/private, temp URLs, EC2 pairs and
their rclone/aws configs, application credentials exported and used by the real `openstack` CLI.

The tests that take `side` run on the demo cloud and on the real stack's Swift (tests/realcloud: proxy with
keystoneauth, tempurl and slo, account/container/object servers on one loopback device)."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import os
import secrets
import stat
import subprocess
import sys
from pathlib import Path

import openstack
import pytest
import requests
import yaml
from clouds import REAL_CLOUD, require_real_stack
from conditions import until

from exotui.cloud import credentials as creds
from exotui.cloud.actions import READ_ONLY, ActionRefused, Actions
from exotui.cloud.objects import ObjectStore, is_public
from exotui.cloud.poller import Intervals, ProjectPoller
from exotui.cloud.session import CloudSession
from exotui.cloud.store import ProjectKey, ProjectStore
from exotui.demo.app import DemoCloudThread
from exotui.demo.world import Knobs

BIN = Path(sys.executable).parent


@pytest.fixture(scope="module")
def cloud():
    with DemoCloudThread(Knobs(delay_scale=0.0, seed=4, ssh=False)) as c:
        yield c


def _layer(cloud, readonly: bool = False):
    session = CloudSession(lambda: cloud.connect(), label="objects-test")
    store = ProjectStore(ProjectKey("demo", "p"))
    poller = ProjectPoller(session, store, Intervals(fast=0.05, idle=0.2, others=30))
    return session, Actions(session, store, poller, readonly=readonly)


@pytest.fixture()
async def layer(cloud):
    session, actions = _layer(cloud)
    yield actions
    session.close()


class Side:
    """One cloud for the object tests: its demo (None on the real stack), how to connect, and a prefix that
    keeps this test's containers apart (the real stack outlives the run; its leftovers are deleted)."""

    def __init__(self, demo, connect, prefix: str = "") -> None:
        self.demo, self.connect, self.prefix = demo, connect, prefix

    def name(self, container: str) -> str:
        return self.prefix + container

    def cleanup(self) -> None:
        sdk = self.connect()
        for container in list(sdk.object_store.containers(prefix=self.prefix)):
            for obj in list(sdk.object_store.objects(container.name)):
                sdk.object_store.delete_object(obj, container=container.name)
            sdk.object_store.delete_container(container.name)
        sdk.close()


@pytest.fixture(params=["demo", pytest.param("real", marks=pytest.mark.realcloud)])
def side(request, monkeypatch):
    if request.param == "demo":
        demo = request.getfixturevalue("cloud")
        yield Side(demo, demo.connect)
        return
    monkeypatch.setenv("OS_CLIENT_CONFIG_FILE", str(require_real_stack()))
    for key in list(os.environ):
        if key.startswith("OS_") and key != "OS_CLIENT_CONFIG_FILE":
            monkeypatch.delenv(key)
    made = Side(None, lambda: openstack.connect(cloud=REAL_CLOUD), f"t{secrets.token_hex(3)}-")
    yield made
    made.cleanup()


@pytest.fixture()
async def both(side):
    """(side, actions) on the side's cloud."""
    session = CloudSession(side.connect, label="objects-test")
    store = ProjectStore(ProjectKey("objects", "p"))
    poller = ProjectPoller(session, store, Intervals(fast=0.05, idle=0.2, others=30))
    yield side, Actions(session, store, poller)
    session.close()


def _sent(cloud, method: str, needle: str) -> int:
    return sum(1 for m, p in list(cloud.world.asked) if m == method and needle in p)


async def test_listing_as_folders_paged_by_marker(both):
    side, layer = both
    runs = side.name("runs")
    sdk = side.connect()
    sdk.object_store.create_container(runs)
    for r in range(3):
        for i in range(5):
            sdk.object_store.create_object(runs, f"exp{r}/step{i}.log", data=b"x" * i)
    sdk.object_store.create_object(runs, "README", data=b"read me")
    objects = ObjectStore(layer.session, page=2)
    top = [e for page in [p async for p in objects.pages(runs)] for e in page.entries]
    assert [(e.name, e.is_folder) for e in top] == [("README", False), ("exp0/", True), ("exp1/", True),
                                                    ("exp2/", True)]
    pages = [p async for p in objects.pages(runs, "exp1/")]
    assert [len(p.entries) for p in pages] == [2, 2, 1]  # paged by marker, 2 a page
    assert [e.name for p in pages for e in p.entries] == [f"step{i}.log" for i in range(5)]
    assert pages[-1].entries[-1].bytes == 4 and pages[-1].next_marker is None
    info = await objects.container_info(runs)  # the container's own count, exact at once on both
    assert (info.count, info.bytes) == (16, 3 * 10 + 7)
    containers = {c.name: c for c in await objects.containers()}
    assert runs in containers
    if side.demo is not None:
        # the account listing's counts: real Swift's come from the container-updater (every 300 s by
        # default, not run on the real stack), so there they lag; the demo's are exact at once
        assert containers[runs].count == 16 and containers[runs].bytes == 3 * 10 + 7
    sdk.close()


async def test_hostile_names_are_made_printable(both):
    side, layer = both
    odd = side.name("odd")
    sdk = side.connect()
    sdk.object_store.create_container(odd)
    sdk.object_store.create_object(odd, "evil\x1b[31mred\u202e.txt", data=b"1")
    page = await ObjectStore(layer.session).list_page(odd)
    entry = page.entries[0]
    assert "\x1b" not in entry.name and "\u202e" not in entry.name
    assert entry.api_name == "evil\x1b[31mred\u202e.txt"  # what goes back to the API
    sdk.close()


async def test_upload_and_download_with_progress_and_resume(both, tmp_path):
    side, layer = both
    files = side.name("files")
    data = os.urandom(3 << 20)
    src = tmp_path / "data.bin"
    src.write_bytes(data)
    assert (await layer.create_container(files)).ok
    seen: list[tuple[int, int | None]] = []
    result = await layer.upload(src, files, progress=lambda done, total: seen.append((done, total)))
    assert result.ok, result.message
    assert seen[-1] == (len(data), len(data)) and len(seen) > 1
    dest = tmp_path / "back.bin"
    got: list[tuple[int, int | None]] = []
    await ObjectStore(layer.session).download(files, "data.bin", dest, lambda d, t: got.append((d, t)))
    assert dest.read_bytes() == data and got[-1] == (len(data), len(data))
    # an interrupted download left a part: the next one asks only for the rest
    part = tmp_path / "again.bin.part"
    part.write_bytes(data[:1000])  # had the whole been sent again after it, the file would be too long
    await ObjectStore(layer.session).download(files, "data.bin", tmp_path / "again.bin")
    assert (tmp_path / "again.bin").read_bytes() == data and not part.exists()
    if side.demo is not None:  # what went over the wire: only the demo records it
        asked = [p for m, p in list(side.demo.world.asked) if m == "GET" and p.endswith("/files/data.bin")]
        assert len(asked) == 2
    refused = await layer.delete_container(files)
    assert not refused.ok and "409" in refused.message  # Swift keeps a container that has objects
    emptied = await layer.empty_container(files)
    assert emptied.ok and emptied.message.endswith("1 objects deleted"), emptied.message
    assert (await layer.delete_container(files)).ok


async def test_large_upload_in_segments_resumes_where_it_stopped(both, tmp_path):
    side, layer = both
    big, segments = side.name("big"), side.name("big_segments")
    data = os.urandom(5 * 400_000 + 123)
    src = tmp_path / "big.bin"
    src.write_bytes(data)
    await layer.create_container(big)

    def progress(done, total):
        # the user stops it (or the line drops) after two segments: cancelled in the progress report itself,
        # which the loop runs before the upload goes on (waking a waiter first let a loaded machine finish it)
        if done >= 2 * 400_000:
            first.cancel()

    first = asyncio.create_task(layer.upload(src, big, progress=progress, segment_size=400_000,
                                             large_above=1_000_000))
    with pytest.raises(asyncio.CancelledError):
        await first
    # progress reports are throttled (every 0.1 s): the cancel can land a segment or more later, and the
    # segment on the wire then ends by itself; once its thread is done, count what the cloud holds
    await until(lambda: not layer.session.calls_under_way, what="the cancelled upload's last call over")
    stored = len((await ObjectStore(layer.session).list_page(segments, delimiter="")).entries)
    assert stored >= 2  # the two segments reported before the cancel
    sdk = side.connect()
    written = {o.name: o.last_modified_at for o in sdk.object_store.objects(segments)}
    before = _sent(side.demo, "PUT", "/big_segments/big.bin/slo/") if side.demo is not None else 0
    second = await layer.upload(src, big, segment_size=400_000, large_above=1_000_000)
    assert second.ok and "already there" in second.message, second.message
    if side.demo is not None:
        after = _sent(side.demo, "PUT", "/big_segments/big.bin/slo/")
        assert after - before == 6 - stored  # only the segments not there yet were sent
    rewritten = {o.name: o.last_modified_at for o in sdk.object_store.objects(segments)}
    assert len(rewritten) == 6 and {k: rewritten[k] for k in written} == written  # those there were kept
    sdk.close()
    dest = tmp_path / "down.bin"
    await ObjectStore(layer.session).download(big, "big.bin", dest)
    assert dest.read_bytes() == data
    deleted = await layer.delete_object(big, "big.bin", large=True)
    assert deleted.ok
    page = await ObjectStore(layer.session).list_page(segments, delimiter="")
    assert page.entries == []


async def test_public_private_and_temp_urls(both):
    side, layer = both
    share = side.name("share")
    await layer.create_container(share)
    sdk = side.connect()
    sdk.object_store.create_object(share, "paper.pdf", data=b"%PDF-1.7")
    url = f"{sdk.object_store.get_endpoint()}/{share}/paper.pdf"
    assert requests.get(url).status_code == 401
    assert (await layer.set_container_public(share, True)).ok
    info = await ObjectStore(layer.session).container_info(share)
    assert info.public and is_public(info.read_acl)
    assert requests.get(url).content == b"%PDF-1.7"
    assert (await layer.set_container_public(share, False)).ok
    assert requests.get(url).status_code == 401
    made = await layer.temp_url(share, "paper.pdf", 60)
    assert made.ok
    assert requests.get(made.value).content == b"%PDF-1.7"
    assert requests.put(made.value, data=b"x").status_code == 401
    if side.demo is not None:
        side.demo.call(side.demo.world.advance, 120)
        try:
            assert requests.get(made.value).status_code == 401  # expired on the cloud's clock
        finally:
            side.demo.call(side.demo.world.advance, -120)
    else:  # a real clock cannot be moved: a URL of 2 seconds, until it expires
        short = await layer.temp_url(share, "paper.pdf", 2)
        assert requests.get(short.value).status_code == 200
        await until(lambda: requests.get(short.value).status_code == 401, timeout=30, what="the temp URL expired")
    sdk.close()


async def test_every_write_refused_in_read_only_mode(cloud, tmp_path):
    session, actions = _layer(cloud, readonly=True)
    src = tmp_path / "f.txt"
    src.write_bytes(b"x")
    before = len(cloud.world.asked)
    for call in (actions.create_container("ro-box"), actions.set_container_public("ro-box", True),
                 actions.delete_container("ro-box"), actions.delete_object("ro-box", "f.txt"),
                 actions.upload(src, "ro-box"), actions.create_ec2(), actions.delete_ec2("abc"),
                 actions.create_app_credential("ro-cred")):
        with pytest.raises(ActionRefused) as refused:
            await call
        assert refused.value.reason == READ_ONLY
    writes = [(m, p) for m, p in list(cloud.world.asked)[before:] if m not in ("GET", "HEAD")
              and not p.endswith("/auth/tokens")]
    assert writes == []
    session.close()


async def test_ec2_credentials_and_ready_to_paste_configs(layer, cloud):
    made = await layer.create_ec2()
    assert made.ok
    pair = made.value
    assert pair.secret not in repr(pair)
    listed = await creds.list_ec2(layer.session)
    assert pair.access in {c.access for c in listed}
    endpoint, region = creds.s3_endpoint(await ObjectStore(layer.session).endpoint())
    assert endpoint == cloud.world.base_url and region == "RegionOne"
    assert creds.s3_endpoint("https://js2.jetstream-cloud.org:8001/swift/v1/AUTH_x") == \
        ("https://js2.jetstream-cloud.org:8001", "RegionOne")
    rclone = creds.rclone_config(pair, endpoint)
    assert f"access_key_id = {pair.access}" in rclone and f"secret_access_key = {pair.secret}" in rclone
    aws_creds, aws_conf = creds.aws_config(pair, endpoint, region)
    assert f"aws_secret_access_key = {pair.secret}" in aws_creds and f"endpoint_url = {endpoint}" in aws_conf
    assert (await layer.delete_ec2(pair.access)).ok
    assert pair.access not in {c.access for c in await creds.list_ec2(layer.session)}


async def test_application_credential_exported_works_and_is_never_logged(layer, cloud, tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    expires = dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=30)
    made = await layer.create_app_credential("laptop", expires_at=expires, roles=["member"],
                                             access_rules=[{"service": "compute", "method": "GET",
                                                            "path": "/v2.1/**"}])
    assert made.ok, made.message
    cred = made.value
    assert cred.roles == ("member",) and cred.expires_at and cred.secret not in repr(cred)
    assert cred.secret not in caplog.text
    yaml_path = creds.write_private(tmp_path / "clouds.yaml",
                                    creds.clouds_yaml(cred, cloud.auth_url, "RegionOne", "laptop"))
    rc_path = creds.write_private(tmp_path / "laptop-openrc.sh", creds.openrc(cred, cloud.auth_url, "RegionOne"))
    for path in (yaml_path, rc_path):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    with pytest.raises(FileExistsError):  # never over a file that is there already
        creds.write_private(rc_path, "x")
    assert yaml.safe_load(yaml_path.read_text())["clouds"]["laptop"]["auth_type"] == "v3applicationcredential"
    env = {k: v for k, v in os.environ.items() if not k.startswith("OS_")}
    by_yaml = subprocess.run([str(BIN / "openstack"), "--os-cloud", "laptop", "server", "list", "-n", "-f",
                              "value", "-c", "Name"], capture_output=True, text=True, timeout=120,
                             env={**env, "OS_CLIENT_CONFIG_FILE": str(yaml_path)})
    assert by_yaml.returncode == 0, by_yaml.stderr
    assert "web-frontend" in by_yaml.stdout.split()
    command = f"source {rc_path} && {BIN / 'openstack'} token issue -f value -c project_id"
    by_rc = subprocess.run(["bash", "-c", command], capture_output=True, text=True, timeout=120, env=env)
    assert by_rc.returncode == 0, by_rc.stderr
    assert by_rc.stdout.strip() == cred.project_id

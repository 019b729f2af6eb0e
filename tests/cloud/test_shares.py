"""Manila shares through exotui's cloud layer: the `shares` store kind (none where the catalog has no Manila), a
share's detail with access rules and export locations, the quota meters, and the writes (create, extend, delete,
grant and revoke access) through the one door, sent once, refused read-only. The access key is read only when
asked, with keystoneauth's logging off, and never shown by a repr.

The tests that take `target` (through `cloud`) run on the demo cloud and on the real stack's Manila
(tests/realcloud: manila 23.0.1 with the dummy driver, which serves NFS with ip rules but not CephFS): they make
NFS shares, the same on both. The CephFS parts (cephx rules, their keys, Ceph export paths) are read from the
demo's seeded Jetstream2 shares only."""

from __future__ import annotations

import asyncio
import logging

import pytest
from clouds import Target
from conditions import until
from test_heat import Layer, _running, demo_layer

from exotui.cloud.actions import READ_ONLY, ActionRefused
from exotui.cloud.actions.shares import cephx_problem, ip_problem
from exotui.cloud.poller import FETCHERS
from exotui.cloud.shares import (
    MV,
    AccessRule,
    Share,
    fetch_access_key,
    fetch_detail,
    fetch_quota,
    fetch_share_types,
    fetch_shares,
)
from exotui.cloud.store import KINDS
from exotui.demo import keystone_admin, manila
from exotui.demo.app import DemoCloudThread
from exotui.demo.world import Knobs


def _by_name(layer: Layer, name: str) -> Share | None:
    return next((s for s in layer.store.get("shares").values() if s.name == name), None)


def _writes(demo) -> list[tuple[str, str]]:
    """What the demo was asked to change since its log was last cleared."""
    return [a for a in list(demo.world.asked) if a[0] in ("POST", "PUT", "PATCH", "DELETE")]


def _delete_shares(conn, names: list[str]) -> None:
    """The real stack outlives the run: what a test made there (or a failed run left) is deleted."""
    fs = conn.shared_file_system
    left = [s for s in fs.shares(details=False) if s.name in names]
    for share in left:
        fs.delete_share(share)
    for share in left:
        fs.wait_for_delete(share, interval=0.5, wait=60)


@pytest.fixture()
async def slow_demo(tmp_path, monkeypatch):
    async with demo_layer(tmp_path, monkeypatch) as made:
        yield made


NAMES = ["lab-data", "huge", "slow-one", "listed", "ro", "ro-kept"]  # what the tests below make on the real stack


@pytest.fixture()
async def cloud(target: Target, tmp_path, monkeypatch):
    """(demo or None, layer): on the demo, as `slow_demo`; on the real stack, its Manila, which takes its own
    time (and keeps what is made: the shares named in NAMES are deleted before and after)."""
    if not target.real:
        async with demo_layer(tmp_path, monkeypatch) as made:
            yield made
        return
    _delete_shares(target.conn, NAMES)
    layer = await _running(Layer(target.cloud_name))
    yield None, layer
    await layer.poller.stop()
    layer.session.close()
    _delete_shares(target.conn, NAMES)


def test_shares_is_a_store_kind_the_poller_lists():
    assert "shares" in KINDS and "shares" in FETCHERS


async def test_the_store_lists_shares_with_their_export_paths(slow_demo):
    """Jetstream2's CephFS shares, as the demo seeds them (the real stack's dummy backend serves no CephFS)."""
    demo, layer = slow_demo
    await until(lambda: layer.store.state("shares").loaded)
    scratch = _by_name(layer, "genomics-scratch")
    assert scratch is not None
    assert (scratch.size_gb, scratch.proto, scratch.share_type, scratch.status) == (
        500, "CEPHFS", "cephfsnativetype", "available")
    assert scratch.export_path.startswith(manila.CEPH_MONITORS + ":/volumes/_nogroup/")
    # the path is read once per share, not on every poll
    before = sum(1 for _m, p in demo.world.asked if "/export_locations" in p)
    await layer.poller.load_all()
    assert sum(1 for _m, p in demo.world.asked if "/export_locations" in p) == before

    detail = await fetch_detail(layer.session, scratch)
    assert [(r.access_type, r.access_to, r.state, r.has_key) for r in detail.rules] == [
        ("cephx", "genomics-scratch-rw", "active", True)]
    assert [e.path for e in detail.exports] == [scratch.export_path]
    assert "access_key" not in repr(detail) and "AQ" not in repr(detail)

    quota = await fetch_quota(layer.session)
    assert quota is not None
    used = sum(s.size_gb for s in layer.store.get("shares").values())
    assert (quota.shares_used, quota.gigabytes_used, quota.gigabytes_limit) == (2, used, 1000)
    assert quota.line() == f"shares 2 of 50 · {used} GB of 1000 GB"
    assert await fetch_share_types(layer.session) == ["cephfsnativetype"]


async def test_access_key_only_on_request_and_never_logged(slow_demo, caplog):
    _demo, layer = slow_demo
    await until(lambda: _by_name(layer, "genomics-scratch") is not None)
    scratch = _by_name(layer, "genomics-scratch")
    assert scratch is not None
    caplog.set_level(logging.DEBUG)
    detail = await fetch_detail(layer.session, scratch)
    key = await fetch_access_key(layer.session, detail.rules[0])
    assert key is not None and len(key.secret) == 40
    assert key.secret not in repr(key)
    assert key.secret not in caplog.text


async def test_a_made_share_is_listed_with_its_type_export_path_and_quota(cloud):
    demo, layer = cloud
    made = await layer.actions.create_share("listed", 3, "NFS", description="one share")
    assert made.ok and made.message == "share listed created", made.message
    await until(lambda: (s := layer.store.item("shares", made.value)) is not None and s.export_path != "")
    share = layer.store.item("shares", made.value)
    assert (share.size_gb, share.proto, share.share_type, share.status, share.access_rules_status) == (
        3, "NFS", "cephfsnativetype", "available", "active")
    detail = await fetch_detail(layer.session, share)
    assert detail.rules == () and share.export_path in [e.path for e in detail.exports]
    assert [e.path for e in detail.exports if e.preferred] == [share.export_path]
    if demo is not None:  # the path is read once per share, not on every poll (only the demo records requests)
        before = sum(1 for _m, p in demo.world.asked if "/export_locations" in p)
        await layer.poller.load_all()
        assert sum(1 for _m, p in demo.world.asked if "/export_locations" in p) == before

    quota = await fetch_quota(layer.session)
    assert quota is not None
    shares = list(layer.store.get("shares").values())
    # Manila's default quotas, which Jetstream2's allocations start from
    assert (quota.shares_used, quota.shares_limit, quota.gigabytes_used, quota.gigabytes_limit) == (
        len(shares), 50, sum(s.size_gb for s in shares), 1000)
    assert await fetch_share_types(layer.session) == ["cephfsnativetype"]


async def test_reads_name_exotuis_microversion(cloud):
    """Manila answers 2.0 to a request naming none: no access_rules_status (2.10), no share_type_name (2.6)."""
    _demo, layer = cloud
    await until(lambda: layer.store.state("shares").loaded)
    if not layer.store.get("shares"):  # the real stack may hold none yet
        assert (await layer.actions.create_share("listed", 1, "NFS")).ok
    bare = await layer.session.get_json("shared_file_system", "/shares/detail")
    assert bare["shares"] and all("access_rules_status" not in s and "share_type_name" not in s
                                  for s in bare["shares"])
    assert {(s.access_rules_status, s.share_type) for s in layer.store.get("shares").values()} == {
        ("active", "cephfsnativetype")}
    assert tuple(map(int, MV.split("."))) >= (2, 45)  # /share-access-rules


async def test_share_life_through_the_one_door(cloud):
    demo, layer = cloud
    made = await layer.actions.create_share("lab-data", 2, "NFS", description="the lab's files")
    assert made.ok and made.message == "share lab-data created", made.message
    share = layer.store.item("shares", made.value)
    assert share.status == "available"
    await until(lambda: layer.store.item("shares", made.value).export_path != "")

    extending = asyncio.ensure_future(layer.actions.extend_share(share.id, 5))
    await until(lambda: layer.actions.busy(share.id, "extend_share"))
    with pytest.raises(ActionRefused):  # a second press while the first runs: nothing sent
        await layer.actions.extend_share(share.id, 5)
    result = await extending
    assert result.ok and result.message == "share lab-data is now 5 GB", result.message
    if demo is not None:
        extends = [p for m, p in demo.world.asked if m == "POST" and p.endswith(f"/shares/{share.id}/action")]
        assert len(extends) == 1
    with pytest.raises(ActionRefused, match="more than 5 GB"):
        await layer.actions.extend_share(share.id, 5)

    if demo is not None:
        demo.world.asked.clear()
    for call, match in ((layer.actions.grant_access(share.id, "cephx", "client.bob"), "no periods"),
                        (layer.actions.grant_access(share.id, "ip", "10.0.0.300"), "does not appear"),
                        (layer.actions.grant_access(share.id, "user", "bob"), "cephx or ip")):
        with pytest.raises(ActionRefused, match=match):
            await call
    if demo is not None:
        assert not _writes(demo)  # nothing was sent (the poller's reads go on)

    granted = await layer.actions.grant_access(share.id, "ip", "10.1.0.0/24")
    assert granted.ok, granted.message
    assert isinstance(granted.value, AccessRule) and granted.value.access_level == "rw" and not granted.value.has_key
    ro = await layer.actions.grant_access(share.id, "ip", "10.2.0.0/24", "ro")
    assert ro.ok and ro.value.access_level == "ro", ro.message
    again = await layer.actions.grant_access(share.id, "ip", "10.1.0.0/24")
    assert not again.ok and again.message == (
        "could not grant ip 10.1.0.0/24 on share lab-data: Share access ip:10.1.0.0/24 exists. (HTTP 400)")
    assert await layer.actions.rule_for(share.id, "ip", "10.1.0.0/24") == granted.value

    revoked = await layer.actions.revoke_access(granted.value)
    assert revoked.ok, revoked.message
    detail = await fetch_detail(layer.session, layer.store.item("shares", share.id))
    assert [r.access_to for r in detail.rules] == ["10.2.0.0/24"]

    deleted = await layer.actions.delete_share(share.id)
    assert deleted.ok and deleted.message == "share lab-data deleted", deleted.message
    assert layer.store.item("shares", share.id) is None
    if demo is not None:
        assert len([p for m, p in demo.world.asked if m == "DELETE" and share.id in p]) == 1


async def test_refusals_before_sending_and_manilas_own_words(cloud):
    demo, layer = cloud
    if demo is not None:
        demo.world.asked.clear()
    for call, match in ((layer.actions.create_share("x", 0), "at least 1 GB"),
                        (layer.actions.create_share("x", 1, "HDFS"), "CEPHFS, NFS")):
        with pytest.raises(ActionRefused, match=match):
            await call
    if demo is not None:
        assert not _writes(demo)  # nothing was sent (the poller's reads go on)

    too_big = await layer.actions.create_share("huge", 5000, "NFS")
    assert not too_big.ok and too_big.http_status == 413
    assert "Requested share exceeds allowed project/user or share type gigabytes quota." in too_big.message


async def test_a_share_not_available_is_refused_locally(cloud):
    _demo, layer = cloud
    creating = asyncio.ensure_future(layer.actions.create_share("slow-one", 1, "NFS"))
    await until(lambda: (s := _by_name(layer, "slow-one")) is not None and s.status == "creating")
    share = _by_name(layer, "slow-one")
    with pytest.raises(ActionRefused, match="the share is creating"):
        await layer.actions.delete_share(share.id)
    with pytest.raises(ActionRefused, match="creating"):
        await layer.actions.grant_access(share.id, "ip", "10.9.0.0/24")
    assert (await creating).ok
    assert (await layer.actions.delete_share(share.id)).ok


async def test_read_only_refuses_share_writes_before_they_leave(cloud, target):
    demo, _layer = cloud
    if target.real:  # one share to be refused on (the demo has Jetstream2's seeded ones)
        fs = target.conn.shared_file_system
        kept = fs.create_share(name="ro-kept", size=1, share_proto="NFS")
        fs.wait_for_status(kept, status="available", failures=["error"], interval=0.5, wait=60)
    layer = Layer(target.cloud_name, readonly=True)
    await layer.poller.load_all()
    shares = list(layer.store.get("shares").values())
    assert shares  # reads still go
    if demo is not None:
        demo.world.asked.clear()
    for call in (layer.actions.create_share("ro", 1), layer.actions.extend_share(shares[0].id, 9999),
                 layer.actions.delete_share(shares[0].id),
                 layer.actions.grant_access(shares[0].id, "cephx", "ro-user")):
        with pytest.raises(ActionRefused, match=READ_ONLY):
            await call
    if demo is not None:
        assert not _writes(demo)
    assert "ro" not in {s.name for s in await fetch_shares(layer.session)}  # nothing made
    layer.session.close()


async def test_no_manila_in_the_catalog_means_no_shares(tmp_path, monkeypatch):
    with DemoCloudThread(Knobs(delay_scale=0.0, seed=8, ssh=False)) as demo:
        def drop(world):
            for service in keystone_admin.tables(world)["services"].values():
                if service["type"] in ("shared-file-system", "sharev2"):
                    service["enabled"] = False

        demo.call(drop, demo.world)
        monkeypatch.setenv("OS_CLIENT_CONFIG_FILE", str(demo.cloud.write_config(tmp_path)))
        layer = Layer()
        assert await fetch_shares(layer.session) == []
        assert await fetch_quota(layer.session) is None
        assert not [p for _m, p in demo.world.asked if p.startswith("/share")]
        layer.session.close()


# --- pure parts ----------------------------------------------------------------------------------------

def test_share_text_from_the_cloud_is_made_printable():
    share = Share.from_api({"id": "s1", "name": "evil\x1b[2J\u202e", "description": "\x9b1m", "size": "3",
                            "share_proto": "CEPHFS", "metadata": {"k\x07": "v\x1b"}}, "10.0.0.1:/x\x1b")
    assert "\x1b" not in share.name and "\u202e" not in share.name and "\x9b" not in (share.description or "")
    assert "\x1b" not in share.export_path and share.size_gb == 3
    assert all("\x07" not in k and "\x1b" not in v for k, v in share.metadata.items())
    rule = AccessRule.from_api({"id": "r", "access_type": "cephx", "access_to": "a\x1bb", "access_key": "K"})
    assert "\x1b" not in rule.access_to and rule.raw_to == "a\x1bb" and rule.has_key
    assert Share.from_api({"name": None, "size": None, "metadata": "junk"}).name == ""


@pytest.mark.parametrize(("name", "problem"), [("", "empty"), ("client.bob", "no periods"), ("bö b", "ASCII"),
                                               ("lab-user", None)])
def test_cephx_names_are_checked_as_manila_checks_them(name, problem):
    found = cephx_problem(name)
    assert (found is None) if problem is None else (problem in found)


def test_ip_rules_are_addresses_or_networks():
    assert ip_problem("10.0.0.0/24") is None and ip_problem("2001:db8::/64") is None
    assert ip_problem("10.0.0.1/24") is not None  # host bits set: Manila refuses it too

"""Create and delete for the kinds that were read-only (issue 18): key pairs, volume snapshots, images, routers.
Each runs through the cloud layer on the demo cloud and on the real stack, and what it made or removed is
checked through openstacksdk (the user's own view) and, once, through the `openstack` CLI."""

from __future__ import annotations

import json
import stat

import pytest
from clouds import IMAGE, DemoTarget, until, wait_until
from test_actions import Cloud, cloud  # noqa: F401  (a fixture: the cloud layer over each target cloud)

from exotui.cloud.actions import ActionRefused
from exotui.cloud.actions.keypairs import KeyProblem, read_public_key


@pytest.fixture()
async def demo_cloud(demo, clouds_env):
    """The cloud layer over the demo cloud only, for the checks through the `openstack` CLI."""
    layer = await Cloud(DemoTarget(demo, clouds_env)).start()
    yield layer
    await layer.stop()


def _public_key(tmp_path, name: str = "id_test") -> tuple[str, str]:
    """A real OpenSSH public key made by ssh-keygen's library (cryptography), and its file."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    key = Ed25519PrivateKey.generate().public_key().public_bytes(Encoding.OpenSSH, PublicFormat.OpenSSH).decode()
    path = tmp_path / f"{name}.pub"
    path.write_text(f"{key} me@laptop\n")
    return f"{key} me@laptop", str(path)


def test_bad_public_keys_get_one_clear_line(tmp_path):
    private = tmp_path / "id_ed25519"
    private.write_text("-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNz\n-----END OPENSSH PRIVATE KEY-----\n")
    (tmp_path / "notes.txt").write_text("hello\nworld\n")
    (tmp_path / "big.pub").write_bytes(b"x" * 100_000)
    cases = {
        str(tmp_path / "missing.pub"): "no such file",
        str(private): "that is a private key",
        str(tmp_path / "notes.txt"): "not an OpenSSH public key",
        str(tmp_path / "big.pub"): "too big to be a public key",
        str(tmp_path): "it is a folder",
        "ssh-ed25519 AAAAnotbase64!! me": "not an OpenSSH public key",
        "": "give a public key file",
        "a\x00b": "cannot read",
    }
    for given, why in cases.items():
        with pytest.raises(KeyProblem) as raised:
            read_public_key(given)
        assert why in raised.value.reason and "\n" not in raised.value.reason, (given, raised.value.reason)
    key, path = _public_key(tmp_path)
    assert read_public_key(path) == key == read_public_key(f"  {key}\n")


async def test_keypairs_import_create_delete(cloud, tmp_path):
    conn, act = cloud.target.conn, cloud.actions
    key, path = _public_key(tmp_path)
    for name, why in (("x" * 5000, "at most 255 characters"), ("bad/name", "only letters"), (" ", "needs a name")):
        with pytest.raises(ActionRefused, match=why):
            await act.import_keypair(name, path)
    with pytest.raises(KeyProblem, match="no such file"):
        await act.import_keypair("w18-imported", str(tmp_path / "nope.pub"))
    sent_before = len(cloud.sent)
    made: list[str] = []
    try:
        imported = await act.import_keypair("w18-imported", path)
        assert imported.ok, imported.message
        made.append("w18-imported")
        assert cloud.store.item("keypairs", "w18-imported").public_key == key
        assert conn.compute.find_keypair("w18-imported").fingerprint == imported.value.fingerprint
        with pytest.raises(ActionRefused, match="named w18-imported already"):
            await act.import_keypair("w18-imported", key)

        private = tmp_path / "w18-made"
        created = await act.create_keypair("w18-made", str(private))
        assert created.ok, created.message
        made.append("w18-made")
        assert stat.S_IMODE(private.stat().st_mode) == 0o600 and created.value.private == private
        assert private.read_text().startswith("-----BEGIN OPENSSH PRIVATE KEY-----")
        public = (tmp_path / "w18-made.pub").read_text().strip()
        assert conn.compute.find_keypair("w18-made").public_key.strip() == public
        # the private key was never sent nor reported
        assert "PRIVATE" not in created.message and all("PRIVATE" not in repr(s) for s in cloud.sent[sent_before:])
        with pytest.raises(ActionRefused, match="exists already"):
            await act.create_keypair("w18-again", str(private))
        assert not (tmp_path / "w18-again").exists() and conn.compute.find_keypair("w18-again") is None

        for name in list(made):
            assert (await act.delete_keypair(name)).ok
            made.remove(name)
            assert name not in cloud.store.get("keypairs") and conn.compute.find_keypair(name) is None
    finally:
        for name in made:
            conn.compute.delete_keypair(name, ignore_missing=True)


async def test_a_refused_create_leaves_no_key_files(cloud, tmp_path):
    """Nova refuses a name it has (its 409): the files made for it are removed again."""
    key, _ = _public_key(tmp_path)
    conn = cloud.target.conn
    conn.compute.create_keypair(name="w18-taken", public_key=key)  # behind the store's back
    try:
        refused = await cloud.actions.create_keypair("w18-taken", str(tmp_path / "k"))
        assert not refused.ok and refused.http_status == 409 and "already exists" in refused.message
        assert not (tmp_path / "k").exists() and not (tmp_path / "k.pub").exists()
    finally:
        conn.compute.delete_keypair("w18-taken", ignore_missing=True)


async def test_the_openstack_cli_sees_an_imported_key(demo_cloud, openstack_cli, tmp_path):
    actions, store = demo_cloud.actions, demo_cloud.store
    key, path = _public_key(tmp_path)
    assert (await actions.import_keypair("w18-cli", path)).ok
    try:
        shown = json.loads(openstack_cli("keypair", "show", "w18-cli", "-f", "json").stdout)
        assert shown["fingerprint"] == store.item("keypairs", "w18-cli").fingerprint
        assert (await actions.delete_keypair("w18-cli")).ok
        listed = json.loads(openstack_cli("keypair", "list", "-f", "json").stdout)
        assert "w18-cli" not in {k["Name"] for k in listed}
    finally:
        openstack_cli("keypair", "delete", "w18-cli", check=False)


async def test_volume_snapshots_create_restore_delete(cloud):
    conn, act = cloud.target.conn, cloud.actions
    made = await act.create_volume("w18-data", 1)
    assert made.ok, made.message
    vid = made.value
    restored_id = None
    try:
        for name, why in (("", "needs a name"), ("x" * 5000, "at most 255 characters")):
            with pytest.raises(ActionRefused, match=why):
                await act.create_volume_snapshot(vid, name)
        taken = await act.create_volume_snapshot(vid, "w18-snap", "before the upgrade")
        assert taken.ok, taken.message
        sid = taken.value
        snap = cloud.store.item("volume_snapshots", sid)
        assert (snap.status, snap.volume_id, snap.size_gb) == ("available", vid, 1)
        seen = conn.block_storage.get_snapshot(sid)
        assert (seen.name, seen.volume_id, seen.status) == ("w18-snap", vid, "available")
        with pytest.raises(ActionRefused, match="has 1 snapshot"):
            await act.delete_volume(vid)

        with pytest.raises(ActionRefused, match="at least 1 GB"):
            await act.create_volume("w18-restored", 0, snapshot_id=sid)
        restored = await act.create_volume("w18-restored", 2, snapshot_id=sid)
        assert restored.ok, restored.message
        restored_id = restored.value
        volume = conn.block_storage.get_volume(restored_id)
        assert (volume.snapshot_id, volume.size, volume.status) == (sid, 2, "available")

        assert (await act.delete_volume(restored_id)).ok
        restored_id = None
        deleted = await act.delete_volume_snapshot(sid)
        assert deleted.ok, deleted.message
        assert sid not in cloud.store.get("volume_snapshots")
        assert wait_until(lambda: conn.block_storage.find_snapshot(sid) is None)
    finally:
        for ident in (restored_id, vid):
            if ident and conn.block_storage.find_volume(ident) is not None:
                conn.block_storage.delete_volume(ident, cascade=True)


async def test_the_openstack_cli_sees_a_snapshot(demo_cloud, openstack_cli):
    actions = demo_cloud.actions
    vid = (await actions.create_volume("w18-cli-vol", 1)).value
    try:
        taken = await actions.create_volume_snapshot(vid, "w18-cli-snap")
        assert taken.ok, taken.message
        shown = json.loads(openstack_cli("volume", "snapshot", "show", taken.value, "-f", "json").stdout)
        assert (shown["name"], shown["volume_id"], shown["status"]) == ("w18-cli-snap", vid, "available")
        assert (await actions.delete_volume_snapshot(taken.value)).ok
        listed = json.loads(openstack_cli("volume", "snapshot", "list", "-f", "json").stdout)
        assert taken.value not in {s["ID"] for s in listed}
    finally:
        openstack_cli("volume", "delete", "--purge", vid, check=False)


async def _own_image(layer, name: str):
    """A private image of the project's own, uploaded with openstacksdk, once the store has it."""
    image = layer.target.conn.image.create_image(name=name, disk_format="raw", container_format="bare",
                                                 visibility="private", data=b"\0" * 1024)
    layer.poller.kick("images")
    await until(lambda: image.id in layer.store.get("images"), timeout=30)
    return image


async def test_images_visibility_rename_delete(cloud):
    conn, act = cloud.target.conn, cloud.actions
    image = await _own_image(cloud, "w18-image")
    try:
        for visibility in ("shared", "community", "private"):
            changed = await act.set_image_visibility(image.id, visibility)
            assert changed.ok, changed.message
            assert cloud.store.item("images", image.id).visibility == visibility
            assert conn.image.get_image(image.id).visibility == visibility
        with pytest.raises(ActionRefused, match="only an admin"):
            await act.set_image_visibility(image.id, "public")
        with pytest.raises(ActionRefused, match="private already"):
            await act.set_image_visibility(image.id, "private")
        for name, why in (("x" * 5000, "at most 255 characters"), ("  ", "needs a name")):
            with pytest.raises(ActionRefused, match=why):
                await act.rename_image(image.id, name)
        renamed = await act.rename_image(image.id, "w18-image-renamed")
        assert renamed.ok and cloud.store.item("images", image.id).name == "w18-image-renamed", renamed.message
        assert conn.image.get_image(image.id).name == "w18-image-renamed"

        theirs = next(i for i in cloud.store.get("images").values() if i.name == IMAGE)
        for attempt in (act.delete_image(theirs.id), act.rename_image(theirs.id, "mine now")):
            with pytest.raises(ActionRefused, match="belongs to another project"):
                await attempt
        conn.image.update_image(image.id, is_protected=True)
        cloud.poller.kick("images")
        await until(lambda: cloud.store.item("images", image.id).protected, timeout=30)
        with pytest.raises(ActionRefused, match="protected"):
            await act.delete_image(image.id)
        conn.image.update_image(image.id, is_protected=False)
        cloud.poller.kick("images")
        await until(lambda: not cloud.store.item("images", image.id).protected, timeout=30)
        assert (await act.delete_image(image.id)).ok
        assert image.id not in cloud.store.get("images") and conn.image.find_image(image.id) is None
    finally:
        if conn.image.find_image(image.id) is not None:
            conn.image.update_image(image.id, is_protected=False)
            conn.image.delete_image(image.id)


async def test_the_openstack_cli_sees_an_image_renamed_and_shared(demo_cloud, openstack_cli):
    conn, act = demo_cloud.target.conn, demo_cloud.actions
    image = await _own_image(demo_cloud, "w18-cli-image")
    try:
        assert (await act.rename_image(image.id, "w18-cli-renamed")).ok
        assert (await act.set_image_visibility(image.id, "community")).ok
        shown = json.loads(openstack_cli("image", "show", image.id, "-f", "json").stdout)
        assert (shown["name"], shown["visibility"]) == ("w18-cli-renamed", "community")
        assert (await act.delete_image(image.id)).ok
        assert openstack_cli("image", "show", image.id, check=False).returncode != 0
    finally:
        if conn.image.find_image(image.id) is not None:
            conn.image.delete_image(image.id)


async def test_routers_create_gateway_interfaces_delete(cloud):
    conn, act, store = cloud.target.conn, cloud.actions, cloud.store
    public = next(n for n in store.get("networks").values() if n.external)
    network = conn.network.create_network(name="w18-net")
    router_id = None
    try:
        subnet = conn.network.create_subnet(network_id=network.id, name="w18-subnet", cidr="10.98.0.0/24",
                                            ip_version=4)
        cloud.poller.kick("networks", "subnets")
        await until(lambda: subnet.id in store.get("subnets"), timeout=30)
        with pytest.raises(ActionRefused, match="at most 255 characters"):
            await act.create_router("x" * 5000)
        created = await act.create_router("w18-router", public.id)
        assert created.ok, created.message
        router_id = created.value.id
        assert store.item("routers", router_id).external_network_id == public.id
        assert conn.network.get_router(router_id).external_gateway_info["network_id"] == public.id

        added = await act.add_router_interface(router_id, subnet.id)
        assert added.ok, added.message
        ports = list(conn.network.ports(device_id=router_id, device_owner="network:router_interface"))
        assert [p.id for p in ports] == [added.value] and ports[0].fixed_ips[0]["ip_address"] == "10.98.0.1"
        with pytest.raises(ActionRefused, match="has an interface on this subnet already"):
            await act.add_router_interface(router_id, subnet.id)
        with pytest.raises(ActionRefused, match="has 1 subnet interface"):
            await act.delete_router(router_id)
        external_subnet = next(s for s in store.get("subnets").values() if s.network_id == public.id)
        with pytest.raises(ActionRefused, match="gateway, not an interface"):
            await act.add_router_interface(router_id, external_subnet.id)

        cleared = await act.set_router_gateway(router_id, None)
        assert cleared.ok and store.item("routers", router_id).external_network_id is None, cleared.message
        assert not conn.network.get_router(router_id).external_gateway_info
        with pytest.raises(ActionRefused, match="no gateway to clear"):
            await act.set_router_gateway(router_id, None)
        assert (await act.set_router_gateway(router_id, public.id)).ok
        assert conn.network.get_router(router_id).external_gateway_info["network_id"] == public.id

        removed = await act.remove_router_interface(router_id, subnet.id)
        assert removed.ok, removed.message
        assert not list(conn.network.ports(device_id=router_id, device_owner="network:router_interface"))
        assert act.router_interfaces(store.item("routers", router_id)) == []
        assert (await act.delete_router(router_id)).ok
        assert router_id not in store.get("routers") and conn.network.find_router(router_id) is None
        router_id = None
    finally:
        if router_id and conn.network.find_router(router_id) is not None:
            for port in conn.network.ports(device_id=router_id, device_owner="network:router_interface"):
                conn.network.remove_interface_from_router(router_id, port_id=port.id)
            conn.network.delete_router(router_id)
        conn.network.delete_network(network.id)


async def test_the_openstack_cli_sees_a_router_and_its_interface(demo_cloud, openstack_cli):
    conn, act, store = demo_cloud.target.conn, demo_cloud.actions, demo_cloud.store
    network = conn.network.create_network(name="w18-cli-net")
    subnet = conn.network.create_subnet(network_id=network.id, cidr="10.97.0.0/24", ip_version=4)
    rid = None
    try:
        demo_cloud.poller.kick("networks", "subnets")
        await until(lambda: subnet.id in store.get("subnets"), timeout=30)
        created = await act.create_router("w18-cli-router")
        assert created.ok, created.message
        rid = created.value.id
        assert (await act.add_router_interface(rid, subnet.id)).ok
        shown = json.loads(openstack_cli("router", "show", rid, "-f", "json").stdout)
        assert shown["name"] == "w18-cli-router" and subnet.id in json.dumps(shown["interfaces_info"])
        assert (await act.remove_router_interface(rid, subnet.id)).ok
        assert (await act.delete_router(rid)).ok
        listed = json.loads(openstack_cli("router", "list", "-f", "json").stdout)
        assert rid not in {r["ID"] for r in listed}
        rid = None
    finally:
        if rid:
            openstack_cli("router", "remove", "subnet", rid, subnet.id, check=False)
            openstack_cli("router", "delete", rid, check=False)
        conn.network.delete_network(network.id)


async def test_read_only_sends_no_write_and_leaves_no_key_file(demo_cloud, tmp_path):
    from exotui.cloud.actions import READ_ONLY

    act = demo_cloud.actions
    act.readonly = True
    router = next(r for r in demo_cloud.store.get("routers").values() if r.external_network_id)
    key, path = _public_key(tmp_path)
    sent = len(demo_cloud.sent)
    for attempt in (act.create_keypair("w18-ro", str(tmp_path / "ro")), act.import_keypair("w18-ro", path),
                    act.create_router("w18-ro"), act.set_router_gateway(router.id, None)):
        with pytest.raises(ActionRefused, match=READ_ONLY):
            await attempt
    assert len(demo_cloud.sent) == sent and not (tmp_path / "ro").exists() and not (tmp_path / "ro.pub").exists()

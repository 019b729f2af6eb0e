"""Magnum clusters through exotui's cloud layer: the `clusters` store kind (none where the catalog has no Magnum),
rows with their template's name and the Heat stack behind each, resize and delete through the one door (sent once,
refused in read-only mode), and a kubeconfig from the cluster's certificates: a key made here, its CSR signed by the
cloud, written mode 600, never logged.

The tests that take `target` run on the demo cloud and on the real stack's Magnum (tests/realcloud: magnum 23.0.0
with the magnum-capi-helm driver Jetstream2 runs, and no Cluster API management cluster behind it): Jetstream2's
public templates, read by the layer and by `openstack coe`. The cluster tests are demo-only: on the real stack a
cluster never gets past its driver's first step (docs/realcloud-notes.md, Magnum); each says so in one line."""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
import test_heat  # beside this file: its Layer
import yaml
from clouds import PROJECT, Target
from conditions import until
from cryptography import x509

from exotui.cloud.actions import READ_ONLY, ActionRefused
from exotui.cloud.clusters import Cluster, fetch_cluster, fetch_clusters, fetch_templates, kubeconfig
from exotui.cloud.store import ProjectKey
from exotui.demo.app import CLOUD_NAME, DemoCloudThread
from exotui.demo.world import Knobs

TEMPLATE = "kubernetes-1-30-jammy"
# Jetstream2's public templates (exotui/demo/magnum.py TEMPLATES; tests/realcloud/seed.py makes the same)
PUBLIC_TEMPLATES = {"kubernetes-1-30-jammy": "v1.30.4", "kubernetes-1-31-jammy": "v1.31.1"}
slow_demo = test_heat.slow_demo  # its fixture, a fixture of this file's too


def recording(layer):
    """test_heat's Layer (session, store, poller, actions) with what its session sent kept: `layer.sent`."""
    layer.sent = []
    request = layer.session.request

    async def sending(service, method, path, **kw):
        layer.sent.append((method, path))
        return await request(service, method, path, **kw)

    layer.session.request = sending
    return layer


def Layer(cloud: str = CLOUD_NAME, readonly: bool = False):  # noqa: N802 (test_heat's class, recording)
    return recording(test_heat.Layer(cloud, readonly=readonly))


@pytest.fixture()
async def slow_magnum(slow_demo):
    """test_heat's demo cloud whose clusters and stacks take real (short) time, so they can be followed."""
    demo, layer = slow_demo
    return demo, recording(layer)


def _make(demo, name: str, nodes: int = 2) -> str:
    conn = demo.connect(PROJECT)
    try:
        return conn.container_infrastructure_management.create_cluster(
            name=name, cluster_template_id=TEMPLATE, node_count=nodes, master_count=1).id
    finally:
        conn.close()


async def test_jetstream2s_public_templates_through_the_layer(target: Target):
    """The templates a cluster is made from, and the `clusters` kind loading without an error, on both clouds."""
    layer = Layer(target.cloud_name)
    templates = await fetch_templates(layer.session)
    public = {t.name: t for t in templates.values() if t.name in PUBLIC_TEMPLATES}
    assert set(public) == set(PUBLIC_TEMPLATES)
    for name, template in public.items():
        assert (template.coe, template.public, template.tls_disabled) == ("kubernetes", True, False)
        assert template.labels["kube_tag"] == PUBLIC_TEMPLATES[name] and template.id in templates
    await layer.poller.load_all(("clusters",))
    state = layer.store.state("clusters")
    assert state.loaded and state.last_error is None
    # whatever clusters the project has, each row names its template
    assert all(c.template for c in layer.store.get("clusters").values() if c.template_id in templates)
    layer.session.close()


def test_the_openstack_cli_lists_and_shows_the_templates(target: Target):
    exe = Path(sys.executable).parent / "openstack"
    env = {**os.environ, "OS_CLIENT_CONFIG_FILE": str(target.clouds_yaml)}

    def coe(*args: str) -> object:
        done = subprocess.run([str(exe), "--os-cloud", target.cloud_name, "coe", *args, "-f", "json"],
                              capture_output=True, text=True, timeout=120, env=env)
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)

    listed = {t["name"]: t for t in coe("cluster", "template", "list")}
    assert set(PUBLIC_TEMPLATES) <= set(listed)
    shown = coe("cluster", "template", "show", TEMPLATE)
    assert (shown["uuid"], shown["coe"], shown["public"], shown["server_type"]) == (
        listed[TEMPLATE]["uuid"], "kubernetes", True, "vm")
    assert (shown["cluster_distro"], shown["driver"]) == ("ubuntu", "k8s_capi_helm_v1")
    assert (shown["flavor_id"], shown["master_flavor_id"], shown["network_driver"]) == ("m3.medium", "m3.small",
                                                                                         "calico")
    assert shown["labels"]["kube_tag"] == PUBLIC_TEMPLATES[TEMPLATE]


# demo-only: real Magnum (capi-helm, no management cluster) fails a cluster 1.7 s after its POST, never COMPLETE
async def test_rows_detail_resize_and_delete_through_the_one_door(slow_magnum):
    demo, layer = slow_magnum
    ident = _make(demo, "layer-k8s")
    layer.poller.watch({"servers", "clusters"})  # listed every `idle` (0.2 s), as while the clusters screen is open
    await until(lambda: layer.store.item("clusters", ident) is not None)
    await until(lambda: layer.store.item("clusters", ident).status == "CREATE_COMPLETE", timeout=30)
    cluster = layer.store.item("clusters", ident)
    assert (cluster.name, cluster.template, cluster.node_count, cluster.master_count) == ("layer-k8s", TEMPLATE, 2, 1)
    assert cluster.status_reason == "Stack CREATE completed successfully" and cluster.coe == "kubernetes"
    assert cluster.created_at and cluster.api_address.endswith(":6443")
    # the stack behind it is a row of the stacks kind: the detail's link has somewhere to go
    layer.poller.kick("stacks")
    await until(lambda: layer.store.item("stacks", cluster.stack_id) is not None)
    assert layer.store.item("stacks", cluster.stack_id).name.startswith("layer-k8s-")

    assert layer.actions.why_not_resize_cluster(cluster, 2) == "the cluster has 2 worker nodes already"
    assert "whole number" in layer.actions.why_not_resize_cluster(cluster, -1)
    heard: list[str] = []
    resizing = asyncio.ensure_future(layer.actions.resize_cluster(cluster, 3, progress=heard.append))
    await until(lambda: layer.actions.busy(ident, "resize_cluster"))
    with pytest.raises(ActionRefused, match="already in progress"):  # a second press: nothing sent
        await layer.actions.resize_cluster(cluster, 3)
    result = await resizing
    assert result.ok and result.message == "cluster layer-k8s has 3 nodes" and result.status == "UPDATE_COMPLETE"
    assert "layer-k8s: UPDATE_IN_PROGRESS" in heard
    assert [p for m, p in layer.sent if m == "POST"] == [f"/clusters/{ident}/actions/resize"]
    assert layer.store.item("clusters", ident).node_count == 3
    assert demo.world.stacks[cluster.stack_id]["action"] == "UPDATE"  # Magnum moved its stack through UPDATE

    detail = await fetch_cluster(layer.session, ident)
    assert detail.status == "UPDATE_COMPLETE" and len(detail.node_addresses) == 3

    cluster = layer.store.item("clusters", ident)
    result = await layer.actions.delete_cluster(cluster)
    assert result.ok and result.message == "cluster layer-k8s deleted"
    assert [p for m, p in layer.sent if m == "DELETE"] == [f"/clusters/{ident}"]
    assert layer.store.item("clusters", ident) is None
    assert demo.world.stacks[cluster.stack_id]["deleted"] is not None  # and its stack went with it
    with pytest.raises(ActionRefused, match="being deleted"):
        await layer.actions.delete_cluster(Cluster(id="x", name="y", status="DELETE_IN_PROGRESS"))


# demo-only: real Magnum's delete of a failed cluster ends DELETE_FAILED (no helm binary), so nothing could clean up
async def test_a_resize_magnum_would_not_start_is_refused_before_it_is_sent(slow_magnum):
    demo, layer = slow_magnum
    ident = _make(demo, "young-k8s")
    layer.poller.kick("clusters")
    await until(lambda: layer.store.item("clusters", ident) is not None)
    cluster = layer.store.item("clusters", ident)
    if cluster.status == "CREATE_IN_PROGRESS":
        with pytest.raises(ActionRefused, match="only once it is complete"):
            await layer.actions.resize_cluster(cluster, 5)
    assert not [p for m, p in layer.sent if m == "POST"]
    refused = Cluster(id=ident, name="young-k8s", status="CREATE_IN_PROGRESS", node_count=2)
    assert "CREATE_IN_PROGRESS" in layer.actions.why_not_resize_cluster(refused)
    assert "no API address yet" in layer.actions.why_not_kubeconfig(refused)
    await layer.actions.delete_cluster(cluster)


# demo-only: a kubeconfig needs an API address, which real Magnum's clusters never get (CREATE_FAILED in 1.7 s)
async def test_a_kubeconfig_from_the_clusters_certificates_mode_600_never_logged(demo, clouds_env, tmp_path, caplog):
    layer = Layer()
    ident = _make(demo, "kube-cfg", nodes=1)
    cluster = await fetch_cluster(layer.session, ident)
    assert cluster.status == "CREATE_COMPLETE"
    path = tmp_path / "kubeconfig"
    caplog.set_level(logging.DEBUG)
    result = await layer.actions.write_kubeconfig(cluster, path)
    assert result.ok, result.message
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and result.value == path
    config = yaml.safe_load(path.read_text())
    assert config["clusters"][0]["cluster"]["server"] == cluster.api_address
    assert config["current-context"] == "default"
    ca = x509.load_pem_x509_certificate(base64.b64decode(config["clusters"][0]["cluster"]
                                                         ["certificate-authority-data"]))
    user = config["users"][0]["user"]
    client = x509.load_pem_x509_certificate(base64.b64decode(user["client-certificate-data"]))
    client.verify_directly_issued_by(ca)  # signed by the cluster's own CA
    key = base64.b64decode(user["client-key-data"]).decode()
    assert "PRIVATE KEY" in key
    # the key was made here: its public half is the certificate's, and the cloud never saw it
    from cryptography.hazmat.primitives import serialization

    public = serialization.load_pem_private_key(key.encode(), None).public_key()
    assert public.public_numbers() == client.public_key().public_numbers()
    body = key.splitlines()[1]
    assert body not in caplog.text and "PRIVATE KEY" not in caplog.text
    assert not any("PRIVATE KEY" in str(request) for request in demo.world.asked)
    # never over an existing file
    again = await layer.actions.write_kubeconfig(cluster, path)
    assert not again.ok and "exists" in again.message
    # a POST that only reads: read-only mode lets it through
    readonly = Layer(readonly=True)
    assert (await readonly.actions.write_kubeconfig(cluster, tmp_path / "ro-config")).ok
    with pytest.raises(ActionRefused, match=READ_ONLY):
        await readonly.actions.resize_cluster(cluster, 4)
    with pytest.raises(ActionRefused, match=READ_ONLY):
        await readonly.actions.delete_cluster(cluster)
    assert not [s for s in readonly.sent if s[0] in ("DELETE",) or "resize" in s[1]]
    assert (await layer.actions.delete_cluster(cluster)).ok
    layer.session.close()
    readonly.session.close()


# demo-only by design: it takes Magnum out of a catalog, which the shared real stack must keep
async def test_no_magnum_in_the_catalog_means_no_clusters_not_an_error(tmp_path, monkeypatch):
    with DemoCloudThread(Knobs(delay_scale=0.0, seed=6, ssh=False)) as demo:
        def without_magnum(world):
            from exotui.demo import keystone_admin

            for service in keystone_admin.tables(world)["services"].values():
                if service["type"] == "container-infra":
                    service["enabled"] = False

        demo.call(without_magnum, demo.world)
        monkeypatch.setenv("OS_CLIENT_CONFIG_FILE", str(demo.cloud.write_config(tmp_path)))
        layer = Layer()
        assert await fetch_clusters(layer.session) == []
        await layer.poller.load_all(("clusters",))
        state = layer.store.state("clusters")
        assert state.loaded and state.last_error is None and not layer.store.get("clusters")
        layer.session.close()


def test_cluster_text_from_the_cloud_is_made_printable():
    cluster = Cluster.from_api({"uuid": "c1", "name": "k\x1b[2J8s", "status": "CREATE_FAILED",
                                "status_reason": "bad \u202eevil\x07", "node_addresses": ["10.0.0.1\x9b"],
                                "faults": {"default-worker\x1b": "\x1b]52;c;x\x07"}, "cluster_id": "s1"})
    assert "\x1b" not in cluster.name and cluster.raw_name == "k\x1b[2J8s"
    assert "\u202e" not in cluster.status_reason and "\x07" not in cluster.status_reason
    assert "\x9b" not in cluster.node_addresses[0] and cluster.failed and cluster.stack_id == "s1"
    assert all("\x1b" not in k + v for k, v in cluster.faults.items())
    assert Cluster.from_api({"name": None, "node_addresses": "junk", "faults": 5}).name == ""
    text = kubeconfig(Cluster(id="c", name="n", api_address="https://h:6443"), None, None, None)
    assert yaml.safe_load(text)["clusters"][0]["cluster"] == {"server": "https://h:6443"}


def test_search_finds_a_cluster_by_name():
    from exotui.cloud.search import SearchIndex

    index = SearchIndex()
    index.replace(ProjectKey("demo", "p1"), "clusters", [Cluster(id="c0ffee-01", name="gpu-k8s")])
    assert [(h.kind, h.label) for h in index.search("gpu-k")] == [("clusters", "gpu-k8s")]

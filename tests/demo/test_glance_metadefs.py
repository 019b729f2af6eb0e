"""Glance's metadata definitions on the demo cloud, over HTTP with the `openstack` CLI and openstacksdk: the
admin makes a namespace, an object in it (renamed, shown, listed) and a resource type association (which makes
the resource type); a member reads a public namespace, not a private one, and may write none. Held against
Glance's code (see exotui/demo/glance_metadefs.py)."""

from __future__ import annotations

import json
import uuid

from exotui.demo.app import ADMIN_CLOUD_NAME, CLOUD_NAME
from tests.demo.test_keystone_admin import cli, connect, operators  # noqa: F401  (operators: the fixture)


def admin_cli(operators, *args: str):  # noqa: F811
    done = cli(operators, ADMIN_CLOUD_NAME, "image", "metadef", *args)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout) if "-f" in args else done.stdout


def test_a_namespace_with_an_object_and_a_resource_type(operators):  # noqa: F811
    ns, obj, rtype = (f"{kind}-{uuid.uuid4().hex[:8]}" for kind in ("ns", "obj", "rt"))
    admin_cli(operators, "namespace", "create", ns)
    try:
        made = admin_cli(operators, "object", "create", "--namespace", ns, obj, "-f", "json")
        assert (made["name"], made["namespace_name"]) == (obj, ns)
        admin_cli(operators, "object", "update", ns, obj, "--name", obj + "-2")
        shown = admin_cli(operators, "object", "show", ns, obj + "-2", "-f", "json")
        assert (shown["name"], shown["namespace_name"]) == (obj + "-2", ns)
        assert obj + "-2" in {row["name"] for row in admin_cli(operators, "object", "list", ns, "-f", "json")}
        admin_cli(operators, "resource", "type", "association", "create", ns, rtype)
        assert rtype in [r["Name"] for r in admin_cli(operators, "resource", "type", "list", "-f", "json")]
        admin = connect(operators, ADMIN_CLOUD_NAME)
        body = admin.image.get(f"/metadefs/namespaces/{ns}").json()
        assert (body["visibility"], body["protected"], body["self"]) == (
            "private", False, f"/v2/metadefs/namespaces/{ns}")
        assert [a["name"] for a in body["resource_type_associations"]] == [rtype]
        assert [o["name"] for o in body["objects"]] == [obj + "-2"]
        again = admin.image.post("/metadefs/namespaces", json={"namespace": ns})
        assert again.status_code == 409 and f"The metadata definition namespace={ns} already exists." in again.text
        admin_cli(operators, "resource", "type", "association", "delete", ns, rtype)
        admin_cli(operators, "object", "delete", ns, obj + "-2")
    finally:
        admin_cli(operators, "namespace", "delete", ns)
    gone = connect(operators, ADMIN_CLOUD_NAME).image.get(f"/metadefs/namespaces/{ns}")
    assert gone.status_code == 404 and f"Metadata definition namespace={ns} was not found." in gone.text


def test_a_member_reads_public_namespaces_and_writes_none(operators):  # noqa: F811
    admin, member = connect(operators, ADMIN_CLOUD_NAME), connect(operators, CLOUD_NAME)
    public, private = f"pub-{uuid.uuid4().hex[:8]}", f"priv-{uuid.uuid4().hex[:8]}"
    admin.image.post("/metadefs/namespaces", json={"namespace": public, "visibility": "public"})
    admin.image.post("/metadefs/namespaces", json={"namespace": private})
    try:
        names = [n["namespace"] for n in member.image.get("/metadefs/namespaces").json()["namespaces"]]
        assert public in names and private not in names
        assert member.image.get(f"/metadefs/namespaces/{private}").status_code == 404
        refused = member.image.post("/metadefs/namespaces", json={"namespace": "mine"})
        assert refused.status_code == 403
        assert "You are not authorized to complete add_metadef_namespace action." in refused.text
        refused = member.image.post(f"/metadefs/namespaces/{public}/objects", json={"name": "o"})
        assert refused.status_code == 403 and "add_metadef_object" in refused.text
    finally:
        for name in (public, private):
            admin.image.delete(f"/metadefs/namespaces/{name}")

"""Glance's image members, import info, stores and cache answers on the demo cloud, over HTTP with the
`openstack` CLI and openstacksdk: the owner shares a `shared` image with the second member's project, which
finds it at once, lists it once it accepts, and loses it when removed; the owner may not accept its own
image; the info calls answer the real stack's configuration, and its cache API is not served. Held against
Glance's code (see exotui/demo/glance_members.py and glance_info.py)."""

from __future__ import annotations

import json
import uuid

from exotui.demo.app import ADMIN_CLOUD_NAME, ALT_CLOUD_NAME, CLOUD_NAME
from tests.demo.test_keystone_admin import cli, connect, operators  # noqa: F401  (operators: the fixture)


def cli_ok(operators, cloud: str, *args: str) -> str:  # noqa: F811
    done = cli(operators, cloud, *args)
    assert done.returncode == 0, done.stderr
    return done.stdout


def names(conn, **query) -> list[str]:
    return [i["name"] for i in conn.image.get("/images", params=query).json()["images"]]


def test_a_shared_image_is_offered_accepted_rejected_and_removed(operators):  # noqa: F811
    member, alt = connect(operators, CLOUD_NAME), connect(operators, ALT_CLOUD_NAME)
    name = "shared-" + uuid.uuid4().hex[:8]
    image = member.image.post("/images", json={"name": name, "disk_format": "raw", "container_format": "bare"})
    image_id, alt_id = image.json()["id"], alt.current_project_id
    assert image.json()["visibility"] == "shared"  # Glance's default for a new image
    try:
        assert alt.image.get(f"/images/{image_id}").status_code == 404
        cli_ok(operators, CLOUD_NAME, "image", "add", "project", name, alt_id)
        listed = member.image.get(f"/images/{image_id}/members").json()
        assert [(m["member_id"], m["status"]) for m in listed["members"]] == [(alt_id, "pending")]
        assert listed["schema"] == "/v2/schemas/members"
        twice = member.image.post(f"/images/{image_id}/members", json={"member": alt_id})
        assert twice.status_code == 409 and f"Member {alt_id} is duplicated for image {image_id}" in twice.text
        # the member finds it at once, lists it only once accepted
        assert alt.image.get(f"/images/{image_id}").json()["name"] == name
        assert name not in names(alt) and name in names(alt, member_status="pending")
        own = member.image.put(f"/images/{image_id}/members/{member.current_project_id}", json={"status": "accepted"})
        assert own.status_code == 404  # the owner is no member of its own image
        refused = member.image.put(f"/images/{image_id}/members/{alt_id}", json={"status": "accepted"})
        assert refused.status_code == 403 and f"Not allowed to update members for image {image_id}." in refused.text
        cli_ok(operators, ALT_CLOUD_NAME, "image", "set", "--accept", image_id)
        assert name in names(alt) and name in names(alt, visibility="shared")
        shown = json.loads(cli_ok(operators, ALT_CLOUD_NAME, "image", "member", "list", image_id, "-f", "json"))
        assert [(m["Member ID"], m["Status"]) for m in shown] == [(alt_id, "accepted")]
        bad = alt.image.put(f"/images/{image_id}/members/{alt_id}", json={"status": "maybe"})
        assert bad.status_code == 400
        assert bad.json()["message"].startswith(
            'Incorrect request: Status must be "pending", "accepted" or "rejected".')
        cli_ok(operators, ALT_CLOUD_NAME, "image", "set", "--reject", image_id)
        assert name not in names(alt) and alt.image.get(f"/images/{image_id}").status_code == 200
        assert alt.image.delete(f"/images/{image_id}/members/{alt_id}").status_code == 403  # the owner's to remove
        cli_ok(operators, CLOUD_NAME, "image", "remove", "project", name, alt_id)
        assert alt.image.get(f"/images/{image_id}").status_code == 404
    finally:
        member.image.delete(f"/images/{image_id}")


def test_only_shared_images_have_members(operators):  # noqa: F811
    member, alt = connect(operators, CLOUD_NAME), connect(operators, ALT_CLOUD_NAME)
    image = member.image.post("/images", json={"name": "private-" + uuid.uuid4().hex[:8], "visibility": "private"})
    image_id = image.json()["id"]
    try:
        answer = member.image.post(f"/images/{image_id}/members", json={"member": alt.current_project_id})
        assert answer.status_code == 403 and f"Not allowed to create members for image {image_id}." in answer.text
        answer = member.image.get(f"/images/{image_id}/members")
        assert answer.status_code == 403 and "Only shared images have members." in answer.text
        assert member.image.post(f"/images/{image_id}/members", json={}).status_code == 400
    finally:
        member.image.delete(f"/images/{image_id}")


def test_import_info_stores_and_the_unserved_cache(operators):  # noqa: F811
    member, admin = connect(operators, CLOUD_NAME), connect(operators, ADMIN_CLOUD_NAME)
    info = json.loads(cli_ok(operators, CLOUD_NAME, "image", "import", "info", "-f", "json"))
    assert info["import-methods"] == ["glance-direct", "web-download", "copy-image"]
    assert member.image.get("/info/stores").json() == {"stores": [{"id": "fs", "default": "true"}]}
    assert member.image.get("/cache").status_code == 403
    answer = admin.image.get("/cache")
    assert answer.status_code == 404 and "Caching via API is not supported at this site." in answer.text
    done = cli(operators, ADMIN_CLOUD_NAME, "cached", "image", "list")
    assert done.returncode != 0

"""Glance on the demo cloud as an admin and a member meet it, over HTTP with openstacksdk and the `openstack`
CLI: publicizing an image (policy publicize_image, role:admin) and giving it to another project (the owner
check that skips admins)."""

from __future__ import annotations

import uuid

from exotui.demo.app import ADMIN_CLOUD_NAME, ALT_CLOUD_NAME, CLOUD_NAME
from tests.demo.test_keystone_admin import cli, connect, operators  # noqa: F401  (operators: the fixture)

PATCH = {"Content-Type": "application/openstack-images-v2.1-json-patch"}


def test_an_admin_publicizes_an_image_and_gives_it_away_and_a_member_may_not(operators):  # noqa: F811
    member, admin, alt = (connect(operators, n) for n in (CLOUD_NAME, ADMIN_CLOUD_NAME, ALT_CLOUD_NAME))
    name = "pub-" + uuid.uuid4().hex[:8]
    image = member.image.create_image(name=name, disk_format="raw", container_format="bare")
    try:
        refused = member.image.patch(f"/images/{image.id}", headers=PATCH,
                                     json=[{"op": "replace", "path": "/visibility", "value": "public"}])
        assert refused.status_code == 403
        assert "You are not authorized to complete publicize_image action." in refused.text
        refused = member.image.patch(f"/images/{image.id}", headers=PATCH,
                                     json=[{"op": "replace", "path": "/owner", "value": alt.current_project_id}])
        assert refused.status_code == 403 and "You are not permitted to modify 'owner' on this image." in refused.text
        assert name not in [i.name for i in alt.image.images()]
        assert name in [i.name for i in admin.image.images()]  # an admin lists every project's images
        done = cli(operators, ADMIN_CLOUD_NAME, "image", "set", "--public", image.id)
        assert done.returncode == 0 and done.stdout == "", done.stderr
        assert name in [i.name for i in alt.image.images()]  # public: every project lists it
        given = admin.image.patch(f"/images/{image.id}", headers=PATCH,
                                  json=[{"op": "replace", "path": "/owner", "value": alt.current_project_id}])
        assert given.status_code == 200 and given.json()["owner"] == alt.current_project_id
    finally:
        admin.image.delete_image(image.id, ignore_missing=True)

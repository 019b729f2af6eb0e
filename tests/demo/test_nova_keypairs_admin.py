"""Nova's keypairs of other users as an admin and a member meet them (2.10+: `user_id` in the query and the
create body), over HTTP with openstacksdk and the `openstack` CLI. Held against nova/api/openstack/compute/
keypairs.py and policies/keypairs.py (`admin_api or user_id:%(user_id)s`)."""

from __future__ import annotations

import uuid

from exotui.demo.app import ADMIN_CLOUD_NAME, ALT_CLOUD_NAME, CLOUD_NAME
from tests.demo.test_keystone_admin import cli, connect, operators  # noqa: F401  (operators: the fixture)
from tests.demo.test_nova_flavors_admin import says

MV_2_10 = {"OpenStack-API-Version": "compute 2.10"}
KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGZ8h6O9eY0nLIvyD1o7a3Wq0LxwZzvAtN1Xy3Yk5b2Q demo"


def test_an_admin_keeps_another_users_keypairs_and_a_member_may_not(operators):  # noqa: F811
    admin, member, alt = (connect(operators, n) for n in (ADMIN_CLOUD_NAME, CLOUD_NAME, ALT_CLOUD_NAME))
    name = "kp-" + uuid.uuid4().hex[:8]
    made = admin.compute.post("/os-keypairs", headers=MV_2_10,
                              json={"keypair": {"name": name, "public_key": KEY, "user_id": alt.current_user_id}})
    assert made.status_code == 201 and made.json()["keypair"]["user_id"] == alt.current_user_id
    assert name in [k.name for k in alt.compute.keypairs()]  # the user's own now
    assert name not in [k.name for k in admin.compute.keypairs()]
    listed = admin.compute.get(f"/os-keypairs?user_id={alt.current_user_id}", headers=MV_2_10).json()
    assert [k["keypair"]["name"] for k in listed["keypairs"]] == [name]
    for method, path, action in (("get", f"/os-keypairs?user_id={alt.current_user_id}", "index"),
                                 ("get", f"/os-keypairs/{name}?user_id={alt.current_user_id}", "show"),
                                 ("delete", f"/os-keypairs/{name}?user_id={alt.current_user_id}", "delete")):
        answer = getattr(member.compute, method)(path, headers=MV_2_10)
        assert says(answer, 403, f"Policy doesn't allow os_compute_api:os-keypairs:{action} to be performed.")
    done = cli(operators, ADMIN_CLOUD_NAME, "keypair", "list", "--user", alt.current_user_id, "-f", "value",
               "-c", "Name")
    assert done.returncode == 0 and done.stdout.split() == [name], done.stderr
    done = cli(operators, ADMIN_CLOUD_NAME, "keypair", "delete", "--user", alt.current_user_id, name)
    assert done.returncode == 0, done.stderr
    assert name not in [k.name for k in alt.compute.keypairs()]

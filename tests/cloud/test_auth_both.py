"""Logging in, on the demo cloud and on the real stack: discovery with a password and with an
application credential, the expiry warning, a wrong secret, and a token revoked mid-session."""

from __future__ import annotations

import datetime as dt

import openstack
import pytest
import yaml
from clouds import PROJECT
from keystoneauth1.exceptions.http import HttpError

from exotui.cloud.poller import Intervals, ProjectPoller
from exotui.cloud.profiles import ProfileError, discover, find_profile, load_profiles
from exotui.cloud.session import CloudSession
from exotui.cloud.store import ProjectKey, ProjectStore


def clouds_of(target) -> dict:
    return yaml.safe_load(target.clouds_yaml.read_text())["clouds"]


def appcred_name(target) -> str:
    return f"{target.cloud_name}-appcred"


def test_password_and_app_credential_discovery(target):
    by_password = discover(find_profile(load_profiles(), target.cloud_name))
    assert PROJECT in [p.name for p in by_password.projects] and by_password.regions == ("RegionOne",)
    assert all(len(p.id) == 32 for p in by_password.projects) and by_password.warning is None
    by_credential = discover(find_profile(load_profiles(), appcred_name(target)))
    assert [p.name for p in by_credential.projects] == [PROJECT], "an application credential sees one project"
    assert by_credential.user_id == by_password.user_id and by_credential.warning is None


def test_an_application_credential_expiring_soon_warns(target, tmp_path):
    expires = dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=3)
    me = target.conn.identity.get_user(target.conn.current_user_id)
    cred = target.conn.identity.create_application_credential(
        me, name="exotui-soon", expires_at=expires.strftime("%Y-%m-%dT%H:%M:%S.%f"))
    try:
        cloud = clouds_of(target)[appcred_name(target)]
        cloud["auth"] = {"auth_url": cloud["auth"]["auth_url"], "application_credential_id": cred.id,
                         "application_credential_secret": cred.secret}
        path = tmp_path / "clouds.yaml"
        path.write_text(yaml.safe_dump({"clouds": {"soon": cloud}}))
        found = discover(find_profile(load_profiles(path, env={}), "soon"))
        assert found.warning == f"application credential 'exotui-soon' expires in 3 days ({expires:%Y-%m-%d})"
    finally:
        target.conn.identity.delete_application_credential(me, cred.id)


@pytest.mark.parametrize("which, key", [("password", "password"), ("appcred", "application_credential_secret")])
def test_a_wrong_secret_is_one_clear_line(target, tmp_path, which, key):
    name = target.cloud_name if which == "password" else appcred_name(target)
    cloud = clouds_of(target)[name]
    real_secret = cloud["auth"][key]
    cloud["auth"][key] = "not-the-secret"
    path = tmp_path / "clouds.yaml"
    path.write_text(yaml.safe_dump({"clouds": {"x": cloud}}))
    with pytest.raises(ProfileError) as caught:
        discover(find_profile(load_profiles(path, env={}), "x"))
    message = str(caught.value)
    assert message.startswith("authentication failed") and "HTTP 401" in message
    assert "\n" not in message and real_secret not in message and "not-the-secret" not in message


async def test_a_token_revoked_mid_session_is_renewed_silently(target):
    """Keystone revokes the session's token (as a logout elsewhere or a password change would);
    the next calls log in again instead of failing."""
    session = CloudSession(lambda: openstack.connect(cloud=target.cloud_name), label="revoke")
    store = ProjectStore(ProjectKey(target.cloud_name, PROJECT))
    poller = ProjectPoller(session, store, Intervals(fast=0.05, idle=0.2, others=30))
    try:
        await poller.load_all(["servers", "volumes"])
        conn = await session.connection()
        old = conn.session.get_token()
        target.conn.identity.delete("/auth/tokens", headers={"X-Subject-Token": old})
        with pytest.raises((openstack.exceptions.HttpException, HttpError)):  # the old token is really dead
            openstack.connect(auth_type="token", auth={"auth_url": conn.auth["auth_url"], "token": old,
                                                       "project_id": conn.current_project_id}).compute.get("/servers")
        await poller.poll_servers()
        await poller.load_all(["volumes", "networks"])
        for kind in ("servers", "volumes", "networks"):
            assert store.state(kind).last_error is None, (kind, store.state(kind).last_error)
        assert conn.session.get_token() != old, "keystoneauth fetched a new token"
    finally:
        await poller.stop()
        session.close()

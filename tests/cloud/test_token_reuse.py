"""Warm restart, the login half: where clouds.yaml asks openstacksdk to keep logins (`cache: {auth: true}`,
in the keyring), a start reuses a token that is still valid instead of logging in; where it does not ask,
every start logs in and nothing is kept anywhere. A kept token the cloud no longer accepts costs one login.

The keyring is a real `keyring` backend of the test's own (in memory), installed with keyring's own API."""

from __future__ import annotations

import json

import keyring
import keyring.backend
import pytest
import yaml

from exotui.cloud.profiles import discover, keyring_missing, load_profiles
from exotui.cloud.session import CloudSession
from exotui.demo.app import CLOUD_NAME

LOGIN = ("POST", "/identity/v3/auth/tokens")


class MemoryKeyring(keyring.backend.KeyringBackend):
    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.kept: dict[tuple[str, str], str] = {}

    def get_password(self, service, username):
        return self.kept.get((service, username))

    def set_password(self, service, username, password):
        self.kept[(service, username)] = password

    def delete_password(self, service, username):
        self.kept.pop((service, username), None)


@pytest.fixture()
def memory_keyring():
    before = keyring.get_keyring()
    kept = MemoryKeyring()
    keyring.set_keyring(kept)
    yield kept
    keyring.set_keyring(before)


def _clouds_yaml(tmp_path, demo_dir, keep: bool):
    clouds = yaml.safe_load((demo_dir / "clouds.yaml").read_text())
    if keep:
        clouds["cache"] = {"auth": True}
    path = tmp_path / "clouds.yaml"
    path.write_text(yaml.safe_dump(clouds))
    return path


async def _start(demo, path) -> list:
    """What a start of exotui asks of Keystone: discovery, then one session per project and its first list."""
    # the session's demo keeps its last 10,000 requests: once full, a length taken before no longer marks where
    # this start began (CI: 0 logins counted). This worker runs one test at a time, so the log is cleared instead.
    demo.world.asked.clear()
    before = 0
    [profile] = [p for p in load_profiles(path, env={}) if p.name == CLOUD_NAME]
    found = discover(profile)
    for project in found.projects:
        session = CloudSession.for_project(profile, project.id)
        try:
            page = await session.get_list("compute", "/servers/detail", "servers")
            assert page.items
        finally:
            session.close()
    return [ask for ask in list(demo.world.asked)[before:] if ask == LOGIN]


async def test_a_kept_token_is_reused_where_clouds_yaml_asks(tmp_path, demo, demo_dir, memory_keyring):
    path = _clouds_yaml(tmp_path, demo_dir, keep=True)
    first = await _start(demo, path)
    assert len(first) == 3  # discovery and the demo user's two projects
    assert memory_keyring.kept and all(service == "openstacksdk" for service, _ in memory_keyring.kept)
    assert await _start(demo, path) == [], "a start with valid kept tokens logs in nowhere"
    # the cloud forgets them (revoked, or a Keystone that lost its keys): one login each, then kept again
    tokens = {json.loads(state)["auth_token"] for state in memory_keyring.kept.values()}
    demo.call(lambda world: [world.tokens.pop(token, None) for token in tokens], demo.world)
    assert len(await _start(demo, path)) == 3
    assert await _start(demo, path) == []


async def test_nothing_is_kept_where_clouds_yaml_does_not_ask(tmp_path, demo, demo_dir, memory_keyring):
    path = _clouds_yaml(tmp_path, demo_dir, keep=False)
    assert len(await _start(demo, path)) == 3
    assert len(await _start(demo, path)) == 3
    assert memory_keyring.kept == {}


def test_asking_without_the_keyring_module_is_said(tmp_path, demo_dir, monkeypatch):
    [profile] = [p for p in load_profiles(_clouds_yaml(tmp_path, demo_dir, keep=True), env={}) if p.name == CLOUD_NAME]
    assert keyring_missing(profile) is None
    monkeypatch.setitem(__import__("sys").modules, "keyring", None)  # as where it is not installed
    assert "keyring" in keyring_missing(profile)
    [plain] = [p for p in load_profiles(_clouds_yaml(tmp_path, demo_dir, keep=False), env={}) if p.name == CLOUD_NAME]
    assert keyring_missing(plain) is None


def _kept_tokens(memory_keyring) -> set[str]:
    return {json.loads(state)["auth_token"] for state in memory_keyring.kept.values()}


async def _start_on(target, path) -> None:
    """A start of exotui against `target`'s cloud: discovery, then each project's first server list."""
    [profile] = [p for p in load_profiles(path, env={}) if p.name == target.cloud_name]
    found = discover(profile)
    assert found.projects
    for project in found.projects:
        session = CloudSession.for_project(profile, project.id)
        try:
            await session.get_list("compute", "/servers/detail", "servers")
        finally:
            session.close()


async def test_kept_tokens_are_reused_and_a_revoked_one_never_stops_a_start_on_both(target, tmp_path,
                                                                                   memory_keyring):
    """On real Keystone as on the demo: a second start keeps every token it found (a login would have made a new
    one), and after Keystone revoked them (`DELETE /v3/auth/tokens`, as `openstack token revoke` does) a start
    still works. On the demo every revoked token is replaced at once; real Nova's keystonemiddleware, with no
    memcached, keeps accepting a token it validated for up to its token_cache_time (300 s), so there a revoked
    token may be kept until a service answers 401 (seen: some runs replaced one of two, some none)."""
    clouds = yaml.safe_load(target.clouds_yaml.read_text())
    clouds["cache"] = {"auth": True}
    path = tmp_path / "clouds.yaml"
    path.write_text(yaml.safe_dump(clouds))
    await _start_on(target, path)
    first = _kept_tokens(memory_keyring)
    assert first
    await _start_on(target, path)
    assert _kept_tokens(memory_keyring) == first, "a start with valid kept tokens logs in nowhere"
    for token in first:
        target.conn.identity.delete("/auth/tokens", headers={"X-Subject-Token": token})
    await _start_on(target, path)
    second = _kept_tokens(memory_keyring)
    await _start_on(target, path)
    if not target.real:  # on real a kept revoked token is replaced when a service first refuses it, later
        assert second and not second & first, "each revoked token replaced by a new login"
        assert _kept_tokens(memory_keyring) == second

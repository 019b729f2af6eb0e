"""The canary for exotui/cloud/sdk_compat.py: every private name of openstacksdk's it leans on still exists and
still means what it did. An upgrade that renames one fails here, naming it, instead of an openrc that is
quietly ignored or a clouds.yaml error that is no longer explained."""

from __future__ import annotations

import pytest
from openstack.config import loader

from exotui.cloud import sdk_compat
from exotui.cloud.profiles import load_profiles


@pytest.mark.parametrize("name", sdk_compat.PRIVATE_METHODS)
def test_openstacksdks_private_methods_are_still_there(name):
    assert callable(getattr(loader.OpenStackConfig, name, None)), (
        f"openstacksdk's OpenStackConfig.{name} is gone: revisit cloud/sdk_compat.py")


@pytest.mark.parametrize("name", sdk_compat.PRIVATE_ATTRIBUTES)
def test_openstacksdks_private_attributes_are_still_there(name, tmp_path):
    made = loader.OpenStackConfig(config_files=[str(tmp_path / "clouds.yaml")], secure_files=[], load_envvars=False)
    assert isinstance(getattr(made, name, None), list), (
        f"openstacksdk's OpenStackConfig().{name} is gone: revisit cloud/sdk_compat.py")


def test_the_env_loader_reads_the_mapping_not_os_environ(tmp_path, monkeypatch):
    """The overridden methods are still the ones upstream calls: an openrc's OS_* in a mapping makes a cloud,
    while the process environment's are ignored."""
    monkeypatch.setenv("OS_AUTH_URL", "http://127.0.0.1:9/from-process")
    monkeypatch.setenv("OS_CLIENT_CONFIG_FILE", str(tmp_path / "none.yaml"))
    env = {"OS_AUTH_URL": "http://127.0.0.1:9/identity/v3", "OS_USERNAME": "alice", "OS_PASSWORD": "pw",
           "OS_PROJECT_NAME": "lab", "OS_USER_DOMAIN_NAME": "Default", "OS_PROJECT_DOMAIN_NAME": "Default",
           "OS_CLIENT_CONFIG_FILE": str(tmp_path / "none.yaml")}
    (profile,) = load_profiles(env=env)
    assert (profile.auth_url, profile.user, profile.project) == ("http://127.0.0.1:9/identity/v3", "alice", "lab")


def test_region_names_and_candidate_files(tmp_path):
    config = tmp_path / "clouds.yaml"
    config.write_text("clouds:\n  two:\n    regions: [east, west]\n    auth: {auth_url: 'http://127.0.0.1:9'}\n")
    made = loader.OpenStackConfig(config_files=[str(config)], secure_files=[], load_envvars=False)
    assert sdk_compat.region_names(made, "two") == ("east", "west")
    assert sdk_compat.candidate_files(made) == ([str(config)], [])

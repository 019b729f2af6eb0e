"""Every use of openstacksdk's private names, in one place, each with the upstream behaviour it works around.

openstacksdk is pinned below its next major release (pyproject.toml), and tests/cloud/test_sdk_compat.py is the
canary: it fails loudly, naming the name, when an upgrade renames or removes one of these, instead of a guard
that silently does nothing. openstacksdk is imported inside functions only (the first frame paints before it
loads, as cloud/profiles.py explains).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from typing import Any

# the private names used below, for the canary: OpenStackConfig's methods, and the attributes an instance has
PRIVATE_METHODS = ("_get_envvar", "_get_os_environ", "_get_regions")
PRIVATE_ATTRIBUTES = ("_config_files", "_secure_files")


@functools.cache
def env_loader_class(environment: Callable[[Mapping[str, str]], dict[str, Any] | None]) -> type:
    """openstacksdk's OpenStackConfig reading OS_* from a mapping instead of os.environ, so an openrc file is
    used without being run and the process environment is left alone. Upstream reads os.environ directly in
    `_get_envvar` and `_get_os_environ` and offers no parameter for another source; `environment(env)` gives
    what `_get_os_environ` would have made of the mapping."""
    from openstack.config import loader

    class EnvLoader(loader.OpenStackConfig):
        def __init__(self, env: Mapping[str, str], **kwargs: Any):
            self._env = env
            super().__init__(**kwargs)

        def _get_envvar(self, key: str, default: str | None = None) -> str | None:
            return self._env.get(key, default)

        def _get_os_environ(self, envvar_prefix: str | None = None) -> dict[str, Any] | None:
            return environment(self._env)

    return EnvLoader


def candidate_files(loader: Any) -> tuple[list[str], list[str]]:
    """The clouds.yaml and secure.yaml paths the loader tried, in order: it keeps only the one it chose in
    public attributes, and skips a file it cannot parse without a word (cloud/profiles.py says why instead)."""
    return list(loader._config_files), list(loader._secure_files)


def region_names(loader: Any, cloud: str) -> tuple[str, ...]:
    """A cloud's regions as its clouds.yaml names them: upstream has no public way to list them without
    building a CloudRegion for each."""
    return tuple(r["name"] for r in loader._get_regions(cloud) if r["name"])

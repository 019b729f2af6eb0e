"""Where and as whom to SSH to an instance, worked out the way a Jetstream2 user would.

Address: the floating IP, else the fixed IP through the jump host the cloud's config names.
Port: 22, or the cloud's `exotui: {ssh_port: N}` (the demo cloud cannot bind 22).
User: the one remembered for this instance, else the config's per-image override, else Exosphere's
`exouser` for Exosphere-built instances, else the image's `default_user` property, else
a guess from `os_distro` (Jetstream2's docs: ubuntu, rocky, centos...).
Keys: the config dir's demo key when present (it sits next to clouds.yaml), plus the usual ones.

Pure functions over models (plus a tiny JSON file of remembered users); no network here.
"""

from __future__ import annotations

import json
import os
import re
import shlex
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..cloud.models import Image, Server
from ..cloud.profiles import exotui_settings
from .hostkeys import state_dir

# a login name as useradd takes it (what an image's default_user must be to be used as one)
_USER_NAME = re.compile(r"[a-z_][a-z0-9_.-]{0,31}")

# os_distro (Glance's standard property) -> the cloud image's login
DISTRO_USERS = {
    "ubuntu": "ubuntu", "rocky": "rocky", "centos": "centos", "almalinux": "almalinux", "alma": "almalinux",
    "debian": "debian", "fedora": "fedora", "cirros": "cirros", "rhel": "cloud-user", "opensuse": "opensuse",
    "sles": "sles", "arch": "arch", "freebsd": "freebsd",
}
EXOSPHERE_USER = "exouser"
# what gets a stopped instance running again, by Nova status (`s` offers it, then connects)
WAKE = {"SHUTOFF": "start", "SUSPENDED": "resume", "SHELVED": "unshelve", "SHELVED_OFFLOADED": "unshelve",
        "PAUSED": "unpause"}
DEMO_KEY = "demo_id_ed25519"  # written by the demo cloud next to clouds.yaml


class TargetError(Exception):
    """Why an instance cannot be reached, as one line."""


@dataclass(frozen=True)
class Target:
    server_id: str
    name: str
    host: str
    port: int
    user: str
    jump: str | None = None  # "user@host:port" when the address is a fixed IP behind a jump host
    key_files: tuple[Path, ...] = ()  # tried before ~/.ssh's keys and the agent's
    user_source: str = ""  # how the user was chosen, to show when auth fails

    @property
    def label(self) -> str:
        return f"{self.user}@{self.name}"

    def ssh_command(self, known_hosts: Path, command: tuple[str, ...] = ()) -> list[str]:
        """The system `ssh` invocation with the same target, user, keys and pinned known_hosts."""
        argv = ["ssh", "-p", str(self.port), "-o", f"UserKnownHostsFile={known_hosts}",
                "-o", "StrictHostKeyChecking=yes", "-o", "ForwardAgent=no"]
        for key in self.key_files:
            argv += ["-i", str(key)]
        if self.jump:
            argv += ["-J", self.jump]
        return argv + [f"{self.user}@{self.host}", *command]

    @property
    def command(self) -> str:
        """The copy-pasteable `ssh` line a user types: port, key, jump host, user and address."""
        return self.command_with()

    def command_with(self, *options: str) -> str:
        """`command` with `options` first (`-L 8888:localhost:8888` for a port forward)."""
        argv = ["ssh", *options, "-p", str(self.port)]
        for key in self.key_files:
            argv += ["-i", shlex.quote(str(key))]
        if self.jump:
            argv += ["-J", self.jump]
        return " ".join(argv + [f"{self.user}@{self.host}"])


@dataclass(frozen=True)
class Reach:
    """How exotui reaches an instance: the Target (None, and `problem` says why, when it cannot) and
    the host-key state there ("known", "unknown", "changed"; None when not checked)."""

    target: Target | None
    problem: str | None = None
    host_key: str | None = None
    wake: str | None = None  # the action that would make it reachable: start, resume, unshelve, unpause

    @property
    def command(self) -> str | None:
        return self.target.command if self.target else None


def reach(server: Server, image: Image | None, cloud_config: Mapping[str, Any] | None = None,
          config_source: str | None = None, user: str | None = None, *, pins=None,
          console: str | None = None, check_host_key: bool = True) -> Reach:
    """The one decision on how to reach `server` (address, port, user, jump host, keys, host-key
    state), shared by `s`, `exotui ssh` and both doctors so they cannot disagree. `pins`: exotui's
    KnownHosts (the default store when None); `console`: the console log, to tell a rebuilt instance."""
    from .hostkeys import KnownHosts, host_key_status

    try:
        target = resolve(server, image, cloud_config, config_source, user)
    except TargetError as err:
        return Reach(None, str(err), wake=WAKE.get(server.status))
    if not check_host_key:
        return Reach(target)
    store = pins if pins is not None else KnownHosts()
    return Reach(target, None, host_key_status(store, target.host, target.port, server.id, console))


def is_exosphere_built(server: Server) -> bool:
    # Exosphere tags what it creates: exoServerVersion, exoCreatorUsername, exoSetup...
    return any(k.startswith("exo") for k in server.metadata)


def guess_user(server: Server, image: Image | None, settings: Mapping[str, Any] | None = None,
               remembered: str | None = None) -> tuple[str, str]:
    """(user, why) for an instance."""
    if remembered:
        return remembered, "remembered for this instance"
    overrides = (settings or {}).get("ssh_users") or {}
    if image is not None and isinstance(overrides, Mapping):
        for key in (image.id, image.name):
            if key in overrides:
                return str(overrides[key]), f"ssh_users[{key}] in clouds.yaml"
    if is_exosphere_built(server):  # Exosphere makes exouser (with the keypair) whatever the image
        return EXOSPHERE_USER, "an Exosphere-built instance"
    props = image.properties if image is not None else {}
    if props.get("default_user"):
        if _USER_NAME.fullmatch(props["default_user"]):
            return props["default_user"], "the image's default_user property"
        # anyone who may publish an image wrote it: never a login name unless it is one (it is shown escaped)
    distro = (props.get("os_distro") or "").lower()
    if not distro and image is not None:  # no property: try the image's name ("Featured-Ubuntu24")
        distro = next((d for d in DISTRO_USERS if d in image.name.lower()), "")
    if distro in DISTRO_USERS:
        return DISTRO_USERS[distro], f"os_distro {distro}"
    return EXOSPHERE_USER, "no hint from the image (Jetstream2's usual login)"


def resolve(server: Server, image: Image | None, cloud_config: Mapping[str, Any] | None = None,
            config_source: str | None = None, user: str | None = None) -> Target:
    """The Target for `server`; `user` overrides the guess. Raises TargetError when unreachable."""
    settings = exotui_settings(cloud_config)
    if server.status != "ACTIVE":
        raise TargetError(f"{server.name} is {server.status}: only an ACTIVE instance answers SSH")
    port = int(settings.get("ssh_port") or 22)
    jump = settings.get("jump_host") or None
    if server.floating_ips:
        host, jump = server.floating_ips[0], None
    elif server.fixed_ips and jump:
        host = server.fixed_ips[0]
    elif server.fixed_ips:
        raise TargetError(f"{server.name} has no floating IP: assign one, or set exotui: {{jump_host: "
                          f"user@host}} for this cloud in clouds.yaml to go through another instance")
    else:
        raise TargetError(f"{server.name} has no IP address yet")
    if user:
        why = "chosen by you"
    else:
        user, why = guess_user(server, image, settings, Remembered().get(server.id))
    keys = []
    if config_source and os.path.isfile(config_source):
        demo_key = Path(config_source).parent / DEMO_KEY
        if demo_key.is_file():
            keys.append(demo_key)
    return Target(server.id, server.name, host, port, user, jump, tuple(keys), why)


@dataclass
class Remembered:
    """The user that last logged in to each instance (a small JSON file in the state dir)."""

    path: Path = field(default_factory=lambda: state_dir() / "ssh_users.json")

    def _load(self) -> dict[str, str]:
        try:
            data = json.loads(self.path.read_text())
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def get(self, server_id: str) -> str | None:
        return self._load().get(server_id)

    def set(self, server_id: str, user: str) -> None:
        data = self._load()
        if data.get(server_id) == user:
            return
        data[server_id] = user
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(data, indent=1))
        os.replace(tmp, self.path)

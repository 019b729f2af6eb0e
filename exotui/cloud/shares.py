"""Manila shares (shared-file-system v2), read: the `shares` store kind (none where the catalog has no Manila),
a share's detail with its access rules and export locations, the project's share quota, and a cephx rule's
access key, fetched only when asked and never kept in a model's repr.

Writes (create, extend, delete, grant and revoke access) go through the actions layer
(cloud/actions/shares.py). Every request names its microversion (`MV`): Manila answers 2.0 without one, where
there are no `extend` or `allow_access` actions and no /share-access-rules. The models live here (not in
models.py) but pass every string through `models.printable` as the others do.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass, field
from typing import Any, Mapping

from .models import _i, _opt, _s, printable
from .session import CloudError, CloudSession

SERVICE = "shared_file_system"  # openstacksdk's proxy
CATALOG_TYPE = "shared-file-system"
MV = "2.63"  # what exotui speaks: /share-access-rules (2.45), access keys (2.21), preferred exports (2.14)
PROTOCOLS = ("CEPHFS", "NFS")
TRANSITIONAL = frozenset({"creating", "extending", "shrinking", "deleting", "managing", "unmanaging",
                          "migrating", "reverting", "creating_from_snapshot", "restoring"})


@dataclass(frozen=True, slots=True)
class Share:
    """A Manila share. `export_path` is its preferred export location (a CephFS `mons:/volumes/...` path),
    "" until known."""

    id: str
    name: str
    size_gb: int = 0
    proto: str = ""
    share_type: str = ""  # the type's name
    status: str = ""
    description: str | None = None
    created_at: str = ""
    access_rules_status: str = ""
    user_id: str = ""
    is_public: bool = False
    export_path: str = ""
    metadata: Mapping[str, str] = field(default_factory=dict)

    @property
    def in_transition(self) -> bool:
        return self.status in TRANSITIONAL

    @classmethod
    def from_api(cls, d: Mapping[str, Any], export_path: str = "") -> "Share":
        meta = d.get("metadata")
        meta = meta if isinstance(meta, dict) else {}
        return cls(id=_s(d.get("id")), name=_s(d.get("name")), size_gb=_i(d.get("size")),
                   proto=_s(d.get("share_proto")),
                   share_type=_s(d.get("share_type_name")) or _s(d.get("share_type")), status=_s(d.get("status")),
                   description=_opt(d.get("description")), created_at=_s(d.get("created_at")),
                   access_rules_status=_s(d.get("access_rules_status")), user_id=_s(d.get("user_id")),
                   is_public=d.get("is_public") is True, export_path=printable(export_path),
                   metadata={printable(str(k)): printable(str(v)) for k, v in meta.items()})


@dataclass(frozen=True, slots=True)
class AccessRule:
    """One access rule of a share: cephx (a Ceph client name) or ip (an address or CIDR). Its access key is
    not here: `fetch_access_key` reads it when the user asks. `has_key`: Manila has made one (cephx, active)."""

    id: str
    share_id: str
    access_type: str
    access_to: str
    access_level: str = "rw"
    state: str = ""
    created_at: str = ""
    has_key: bool = False
    raw_to: str = ""  # access_to as Manila sent it (a cephx name goes into the mount's name= as is)

    @classmethod
    def from_api(cls, d: Mapping[str, Any], share_id: str = "") -> "AccessRule":
        to = d.get("access_to")
        to = to if isinstance(to, str) else ""
        return cls(id=_s(d.get("id")), share_id=_s(d.get("share_id")) or share_id,
                   access_type=_s(d.get("access_type")), access_to=printable(to),
                   access_level=_s(d.get("access_level"), "rw"), state=_s(d.get("state")),
                   created_at=_s(d.get("created_at")), has_key=bool(d.get("access_key")), raw_to=to)


@dataclass(frozen=True, slots=True)
class ExportLocation:
    id: str
    path: str
    preferred: bool = False

    @classmethod
    def from_api(cls, d: Mapping[str, Any]) -> "ExportLocation":
        return cls(id=_s(d.get("id")), path=_s(d.get("path")), preferred=d.get("preferred") is True)


@dataclass(frozen=True)
class AccessKey:
    """A cephx secret, held only while shown: its repr hides it."""

    rule: AccessRule
    secret: str = field(repr=False)


@dataclass(frozen=True, slots=True)
class ShareDetail:
    share: Share
    rules: tuple[AccessRule, ...]
    exports: tuple[ExportLocation, ...]


@dataclass(frozen=True, slots=True)
class ShareQuota:
    """How full the project's share quotas are (-1: unlimited)."""

    shares_used: int
    shares_limit: int
    gigabytes_used: int
    gigabytes_limit: int

    def line(self) -> str:
        def meter(used: int, limit: int, unit: str) -> str:
            return f"{used}{unit} of {'∞' if limit < 0 else f'{limit}{unit}'}"

        shares = meter(self.shares_used, self.shares_limit, "")
        return f"shares {shares} · {meter(self.gigabytes_used, self.gigabytes_limit, ' GB')}"


# --- reads ---------------------------------------------------------------------------------------------

async def has_manila(session: CloudSession) -> bool:
    return bool(await session.endpoint(CATALOG_TYPE))


# share ID -> its preferred export path, per session: a path does not change once a share is available, so a
# share costs one export-locations request in its life, not one per poll
_PATHS: weakref.WeakKeyDictionary[CloudSession, dict[str, str]] = weakref.WeakKeyDictionary()


def preferred(exports: list[ExportLocation] | tuple[ExportLocation, ...]) -> str:
    best = next((e for e in exports if e.preferred), exports[0] if exports else None)
    return best.path if best is not None else ""


async def fetch_exports(session: CloudSession, share_id: str) -> list[ExportLocation]:
    body = await session.get_json(SERVICE, f"/shares/{share_id}/export_locations", microversion=MV)
    return [ExportLocation.from_api(e) for e in body.get("export_locations") or [] if isinstance(e, dict)]


class _SharesFetcher:
    """The poller's fetcher of the `shares` kind; `model` tells the warm-start cache what it holds."""

    model = Share

    async def __call__(self, session: CloudSession) -> list[Share]:
        return await _fetch_shares(session)


async def _fetch_shares(session: CloudSession) -> list[Share]:
    """Every share of the project, each with its export path; [] when the cloud has no Manila."""
    if not await has_manila(session):
        return []
    page = await session.get_list(SERVICE, "/shares/detail", "shares", microversion=MV)
    paths = _PATHS.setdefault(session, {})
    items = [d for d in page.items if isinstance(d, dict) and isinstance(d.get("id"), str)]
    for d in items:
        if d["id"] not in paths and d.get("status") == "available":
            try:
                paths[d["id"]] = preferred(await fetch_exports(session, d["id"]))
            except CloudError as err:
                if err.status != 404:  # deleted between the two reads: it leaves with the next list
                    raise
    alive = {d["id"] for d in items}
    for gone in set(paths) - alive:
        del paths[gone]
    return [Share.from_api(d, paths.get(d["id"], "")) for d in items]


fetch_shares = _SharesFetcher()


async def fetch_rules(session: CloudSession, share_id: str) -> list[AccessRule]:
    # the answer holds the access keys: keystoneauth must not log it
    body = await session.get_json(SERVICE, "/share-access-rules", params={"share_id": share_id}, microversion=MV,
                                  secret=True)
    return [AccessRule.from_api(r, share_id) for r in body.get("access_list") or [] if isinstance(r, dict)]


async def fetch_rule(session: CloudSession, rule_id: str) -> AccessRule:
    body = await session.get_json(SERVICE, f"/share-access-rules/{rule_id}", microversion=MV, secret=True)
    return AccessRule.from_api(body.get("access") or {})


async def fetch_detail(session: CloudSession, share: Share) -> ShareDetail:
    """The share now, its access rules and its export locations (three small reads)."""
    body = await session.get_json(SERVICE, f"/shares/{share.id}", microversion=MV)
    rules = await fetch_rules(session, share.id)
    exports = await fetch_exports(session, share.id)
    return ShareDetail(Share.from_api(body.get("share") or {}, preferred(exports)), tuple(rules), tuple(exports))


async def fetch_access_key(session: CloudSession, rule: AccessRule) -> AccessKey | None:
    """The rule's cephx access key, read now with keystoneauth's logging off; None while Manila has none."""
    body = await session.get_json(SERVICE, f"/share-access-rules/{rule.id}", microversion=MV, secret=True)
    secret = (body.get("access") or {}).get("access_key")
    return AccessKey(rule, secret) if isinstance(secret, str) and secret else None


async def fetch_quota(session: CloudSession) -> ShareQuota | None:
    """The project's share and gigabyte quotas with their use (Manila's quota-sets detail, 2.25)."""
    pid = session.project_id
    if not pid or not await has_manila(session):
        return None
    body = await session.get_json(SERVICE, f"/quota-sets/{pid}/detail", microversion=MV)
    quota = body.get("quota_set")
    quota = quota if isinstance(quota, dict) else {}

    def pair(key: str) -> tuple[int, int]:
        entry = quota.get(key)
        entry = entry if isinstance(entry, dict) else {}
        return _i(entry.get("in_use")), _i(entry.get("limit"), -1)

    shares, gigabytes = pair("shares"), pair("gigabytes")
    return ShareQuota(shares[0], shares[1], gigabytes[0], gigabytes[1])


async def fetch_share_types(session: CloudSession) -> list[str]:
    """The names of the share types the project may use (Jetstream2: cephfsnativetype)."""
    body = await session.get_json(SERVICE, "/types", microversion=MV)
    return [printable(t["name"]) for t in body.get("share_types") or []
            if isinstance(t, dict) and isinstance(t.get("name"), str)]


# --- mounting a CephFS share on an instance (the UI types the command into an SSH tab) --------------------

SECRET_DIR = "~/.ceph"  # where the cephx secret file goes on the instance, readable by its owner only


@dataclass(frozen=True, slots=True)
class MountPlan:
    """How to mount a CephFS share with a cephx rule: the script that writes the secret file (the secret comes on
    its standard input, never on a command line) and the one line typed for the user to run."""

    secret_file: str  # ~/.ceph/NAME.secret
    write_secret: str  # a shell script: reads the secret from stdin into secret_file, mode 600
    command: str  # sudo mkdir -p MOUNT && sudo mount -t ceph ... (typed, not run)
    mount_point: str


def cephx_name_for(share: Share) -> str:
    """A cephx client name for a share's rule when it has none: its name with what Manila refuses left out."""
    name = "".join(c if c.isascii() and (c.isalnum() or c in "-_") else "-" for c in share.name).strip("-")
    return (name or f"share-{share.id[:8]}")[:64]


def mount_plan(share: Share, rule: AccessRule, export_path: str, mount_point: str | None = None) -> MountPlan:
    """The secret-file script and the mount line for `share` through the cephx `rule`, every word quoted
    (a rule's name or a share's name may hold anything Manila lets through)."""
    import shlex

    if share.proto.upper() != "CEPHFS" or rule.access_type != "cephx":
        raise ValueError("only a CephFS share with a cephx rule mounts this way")
    name = rule.raw_to
    mount_point = mount_point or f"/mnt/{cephx_name_for(share)}"
    secret = f"{SECRET_DIR}/{name}.secret"
    # "~" is expanded by the remote shell: quote what follows it only
    secret_word = f'"$HOME"/.ceph/{shlex.quote(name + ".secret")}'
    write = (f"umask 077 && mkdir -p \"$HOME\"/.ceph && cat > {secret_word}.tmp && "
             f"chmod 600 {secret_word}.tmp && mv -f {secret_word}.tmp {secret_word} && echo written")
    options = shlex.quote(f"name={name}") + ",secretfile=" + secret_word
    command = (f"sudo mkdir -p {shlex.quote(mount_point)} && sudo mount -t ceph {shlex.quote(export_path)} "
               f"{shlex.quote(mount_point)} -o {options}")
    return MountPlan(secret, write, command, mount_point)

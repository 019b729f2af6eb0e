"""Which clouds the user has (clouds.yaml, secure.yaml, OS_* env, an openrc file) and what each can reach.

openstacksdk's own config loader does all the reading and merging, so a cloud here is the cloud the
`openstack` CLI would see. openstacksdk is imported inside functions only: the first frame paints
before it loads.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import socket
import ssl
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import sdk_compat
from .models import printable

if TYPE_CHECKING:
    from openstack.config.cloud_region import CloudRegion

APP_CRED = "v3applicationcredential"
ENVIRONMENT = "environment"  # CloudProfile.source of a cloud made from OS_* variables
EXPIRY_WARNING = dt.timedelta(days=7)
_SECRET_KEYS = ("password", "application_credential_secret", "token", "passcode", "totp")
# The OS_* names openstacksdk treats as choosing a cloud rather than defining one.
_FILE_SELECTORS = ("OS_CLIENT_CONFIG_FILE", "OS_CLIENT_SECURE_FILE")
_SELECTORS = frozenset({"OS_CLOUD", "OS_CLOUD_NAME", "OS_REGION_NAME", *_FILE_SELECTORS})


# seconds a call may wait for its answer unless clouds.yaml sets api_timeout (openstacksdk's default: forever);
# a list of thousands of servers on a busy cloud takes tens of seconds
API_TIMEOUT = 60.0
# actions whose confirmation no setting turns off (`exotui: {confirm: {delete: false}}` is ignored)
ALWAYS_CONFIRMED = frozenset({"delete"})


def exotui_settings(cloud_config: Mapping[str, Any] | None) -> Mapping[str, Any]:
    """The `exotui:` section of a cloud's entry in clouds.yaml ({} when absent), as openstacksdk read it."""
    section = (cloud_config or {}).get("exotui") or {}
    return section if isinstance(section, Mapping) else {}


def _switch(value: Any) -> str:
    return str(value).strip().lower() if isinstance(value, (str, int)) else ""


def _yes(value: Any) -> bool:
    """A YAML switch: true/yes/on/1 (a quoted "true" too); anything else is off."""
    return value is True or _switch(value) in ("true", "yes", "on", "1")


def _no(value: Any) -> bool:
    return value is False or _switch(value) in ("false", "no", "off", "0")


class ProfileError(Exception):
    """A problem with a cloud's configuration or credentials, as one line without secrets."""


@dataclass(frozen=True)
class CloudProfile:
    """One named cloud as openstacksdk resolved it. The repr holds no secrets."""

    name: str
    auth_type: str
    auth_url: str | None
    region_names: tuple[str, ...]  # as configured; may be empty (then ask `discover`)
    project: str | None  # project name or id the config asks for; None when the credential fixes it
    user: str | None  # user name, or the application credential's name or id
    insecure: bool  # the cloud's config turned TLS verification off
    source: str  # the clouds.yaml path, ENVIRONMENT, or the openrc path
    is_default: bool = False  # chosen by OS_CLOUD, an openrc/OS_* cloud, or the only cloud
    error: str | None = None  # why the config cannot be used; then cloud_region is None
    cloud_region: CloudRegion | None = field(default=None, repr=False, compare=False)
    _loader: Any = field(default=None, repr=False, compare=False)

    @property
    def is_app_cred(self) -> bool:
        return self.auth_type == APP_CRED

    def scoped(self, project_id: str | None = None, region_name: str | None = None) -> CloudRegion:
        """A CloudRegion for a Connection to one project and region; an application credential is
        bound to its project, so `project_id` is ignored for it."""
        if self.error:
            raise ProfileError(self.error)
        overrides = {"project_id": project_id} if project_id and not self.is_app_cred else {}
        if self._v3_only():
            overrides["auth_type"] = "v3password"
        if self.cloud_region is not None and not self.cloud_region.config.get("api_timeout"):
            overrides["api_timeout"] = API_TIMEOUT  # else a cloud that takes a request and hangs holds it forever
        try:
            return self._loader.get_one(cloud=self.name, region_name=region_name, **overrides)
        except Exception as exc:
            raise ProfileError(explain(exc, self)) from exc

    def _v3_only(self) -> bool:
        """Generic `password` auth asks the auth URL which Identity versions it has before each
        login: one round trip more than the token. When the URL names v3 already and nothing in the
        config needs the generic plugin, v3password logs in the same way without asking."""
        if self.auth_type != "password" or not self.auth_url or self.cloud_region is None:
            return False
        config = self.cloud_region.config
        auth = config.get("auth", {})
        return (self.auth_url.rstrip("/").endswith("/v3") and str(config.get("identity_api_version", "3")) == "3"
                and not any(k.startswith("default_domain") for k in auth))

    @property
    def settings(self) -> Mapping[str, Any]:
        """exotui's own settings for this cloud: the `exotui:` section of its clouds.yaml entry."""
        return exotui_settings(self.cloud_region.config if self.cloud_region is not None else None)

    @property
    def readonly(self) -> bool:
        """`exotui: {readonly: true}`: every write to this cloud is refused before it is sent."""
        return _yes(self.settings.get("readonly"))

    def confirms(self, action: str) -> bool:
        """Whether `action` asks first: yes unless `exotui: {confirm: {ACTION: false}}` turns it off,
        which delete ignores (ALWAYS_CONFIRMED)."""
        chosen = self.settings.get("confirm")
        if action in ALWAYS_CONFIRMED or not isinstance(chosen, Mapping):
            return True
        return not _no(chosen.get(action))

    def secrets(self) -> tuple[str, ...]:
        auth = self.cloud_region.config.get("auth", {}) if self.cloud_region else {}
        return tuple(str(auth[k]) for k in _SECRET_KEYS if auth.get(k))


@dataclass(frozen=True)
class Project:
    id: str
    name: str


@dataclass(frozen=True)
class Discovery:
    """What one login showed: the projects and regions reachable, and when the credential ends."""

    cloud: str
    user_id: str
    projects: tuple[Project, ...]
    regions: tuple[str, ...]
    expires_at: dt.datetime | None = None  # the application credential's expiry (UTC)
    warning: str | None = None


# --- loading ------------------------------------------------------------------------------------

def load_profiles(config_file: Path | None = None, openrc: Path | None = None,
                  env: Mapping[str, str] | None = None) -> list[CloudProfile]:
    """Every cloud the user has, in clouds.yaml order, the OS_*/openrc cloud last.

    `config_file` replaces the search for clouds.yaml (and OS_CLIENT_CONFIG_FILE); `openrc` is read
    as if sourced; `env` stands in for os.environ.
    """
    env = dict(os.environ if env is None else env)
    secure_files = None
    if config_file is not None:
        config_file = Path(config_file).expanduser()
        if not config_file.is_file():
            raise ProfileError(f"clouds file {config_file} does not exist")
        env.pop("OS_CLIENT_CONFIG_FILE", None)
        secure_files = [str(config_file.with_name("secure" + s)) for s in (".yaml", ".yml", ".json")]
    if openrc is not None:
        # Sourcing an openrc on top of leftover OS_* variables is Jetstream2's classic failure
        # ("Application credentials cannot request a scope"), so the file's variables replace them.
        env = {k: v for k, v in env.items() if not k.startswith("OS_") or k in _FILE_SELECTORS}
        env.update(read_openrc(Path(openrc).expanduser()))
    loader = _open_loader(env, [str(config_file)] if config_file else None, secure_files)

    names = loader.get_cloud_names()
    # With nothing configured the loader invents a cloud called "defaults" holding no auth at all.
    if names == ["defaults"] and "auth" not in loader.cloud_config["clouds"]["defaults"]:
        if loader.config_filename:
            raise ProfileError(f"{loader.config_filename} defines no clouds")
        folders = dict.fromkeys(os.path.dirname(p) for p in sdk_compat.candidate_files(loader)[0])
        raise ProfileError(f"no clouds.yaml found (looked in {', '.join(folders)}) and no OS_AUTH_URL "
                           "set; write a clouds.yaml, pass --openrc FILE, or try the demo cloud: exotui --demo")
    if loader.default_cloud and loader.default_cloud not in names:
        raise ProfileError(f"OS_CLOUD is {loader.default_cloud!r} but there is no such cloud; "
                           f"known clouds: {', '.join(names)}")
    file_source = str(loader.config_filename or loader.secure_config_filename)
    envvar_source = str(openrc) if openrc is not None else ENVIRONMENT
    return [_profile(loader, name, envvar_source if name == loader.envvar_key else file_source)
            for name in names]


def find_profile(profiles: list[CloudProfile], name: str | None = None) -> CloudProfile:
    """The cloud called `name`, or with no name the default one."""
    known = ", ".join(p.name for p in profiles) or "none"
    for profile in profiles:
        if profile.name == name or (name is None and profile.is_default):
            return profile
    raise ProfileError(f"unknown cloud {name!r}; known clouds: {known}" if name is not None else
                       f"several clouds and none chosen: pass --os-cloud NAME or set OS_CLOUD (known: {known})")


def _os_environ(env: Mapping[str, str]) -> dict[str, Any] | None:
    """Upstream's rule over the mapping: OS_X=v becomes x: v, unless only selectors are set."""
    from openstack.config import defaults

    keys = [k for k in env if k.startswith("OS_") and not k.startswith(("OS_TEST", "OS_STD", "OS_LOG"))]
    if not set(keys) - _SELECTORS:
        return None
    found = defaults.get_defaults()
    found.update({k.split("_", 1)[1].lower(): env[k] for k in keys})
    return found


def _open_loader(env: Mapping[str, str], config_files: list[str] | None, secure_files: list[str] | None):
    from openstack.config import loader as sdk_loader

    if secure_files is not None:
        secure_files += sdk_loader.SECURE_FILES
    try:
        loader = sdk_compat.env_loader_class(_os_environ)(env, config_files=config_files,
                                                            secure_files=secure_files)
    except Exception as exc:
        raise ProfileError(explain(exc)) from exc
    # The loader skips a file it cannot parse and quietly falls back to the next one; say why instead.
    config_candidates, secure_candidates = sdk_compat.candidate_files(loader)
    for chosen, candidates in ((loader.config_filename, config_candidates),
                               (loader.secure_config_filename, secure_candidates)):
        first = next((p for p in candidates if os.path.exists(p)), None)
        if first and first != chosen:
            _check_parses(Path(first))
    return loader


def _check_parses(path: Path) -> None:
    import yaml

    try:
        text = path.read_text()
        json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    except OSError as exc:
        raise ProfileError(f"cannot read {path}: {exc.strerror}") from None
    except json.JSONDecodeError as exc:
        raise ProfileError(f"{path} line {exc.lineno}: not valid JSON ({exc.msg})") from None
    except yaml.YAMLError as exc:
        # Only the problem and position: str(exc) quotes the offending line, which may hold a secret.
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or "syntax error"
        raise ProfileError(f"{path}{where}: not valid YAML ({problem})") from None


def _profile(loader, name: str, source: str) -> CloudProfile:
    is_default = name == loader.default_cloud
    try:
        region = loader.get_one(cloud=name)
    except Exception as exc:
        return CloudProfile(name, "?", None, (), None, None, False, source, is_default,
                            error=f"cloud {name!r}: {explain(exc)}", _loader=loader)
    auth = region.config.get("auth", {})
    auth_type = region.config.get("auth_type") or "password"
    app_cred = auth_type == APP_CRED
    return CloudProfile(
        name=name, auth_type=auth_type, auth_url=auth.get("auth_url"),
        region_names=sdk_compat.region_names(loader, name),
        project=None if app_cred else auth.get("project_name") or auth.get("project_id"),
        user=(auth.get("application_credential_name") or auth.get("application_credential_id")) if app_cred
        else auth.get("username") or auth.get("user_id"),
        insecure=region.get_requests_verify_args()[0] is False,
        source=source, is_default=is_default, cloud_region=region, _loader=loader)


def secret_files(profiles: list[CloudProfile]) -> list[str]:
    """The files these clouds' passwords and secrets are read from: a clouds.yaml, secure.yaml or openrc
    that holds one. A clouds.yaml whose secrets all live in secure.yaml is not among them."""
    found: dict[str, None] = {}
    for profile in profiles:
        if profile.source == ENVIRONMENT or not profile.secrets():
            continue
        secure = getattr(profile._loader, "secure_config_filename", None)
        is_openrc = profile.name == getattr(profile._loader, "envvar_key", None)
        for path in [profile.source] + ([secure] if secure and not is_openrc else []):
            if path not in found and _holds_secret(Path(path), is_openrc and path == profile.source):
                found[path] = None
    return list(found)


def _holds_secret(path: Path, openrc: bool) -> bool:
    import yaml

    try:
        if openrc:
            return any(read_openrc(path).get(f"OS_{key.upper()}") for key in _SECRET_KEYS)
        clouds = (yaml.safe_load(path.read_text()) or {}).get("clouds") or {}
    except (OSError, ProfileError, yaml.YAMLError, AttributeError):
        return True  # unreadable to us now: say what we would have said before looking
    if not isinstance(clouds, dict):
        return False
    auths = [c.get("auth") for c in clouds.values() if isinstance(c, dict)]
    return any(isinstance(auth, dict) and any(auth.get(k) for k in _SECRET_KEYS) for auth in auths)


# --- openrc ---------------------------------------------------------------------------------------

_ASSIGNMENT = re.compile(r"(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)=(.*)")
_SUBSTITUTION = "uses $ or ` substitution, which needs a shell; write the value itself"
# The pieces of one shell word: 'single', "double", \escaped, bare text, then whatever follows it.
_PIECE = re.compile(r"""'(?P<single>[^']*)'|"(?P<double>(?:[^"\\]|\\.)*)"|\\(?P<escaped>.)"""
                    r"""|(?P<bare>[^\s'"\\]+)|(?P<rest>.*)""")


def read_openrc(path: Path) -> dict[str, str]:
    """The OS_* variables an openrc file exports, read without running it.

    Understood: `export NAME=value` (export optional), quotes, comments, `unset NAME`. Anything else
    is an error naming the line, never its value (it may be a secret).
    """
    try:
        text = path.read_text()
    except OSError as exc:
        raise ProfileError(f"cannot read openrc {path}: {exc.strerror}") from None
    found: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("unset "):
            for name in line.split()[1:]:
                found.pop(name, None)
            continue
        match = _ASSIGNMENT.fullmatch(line)
        if not match:
            raise ProfileError(f"{path} line {number}: not an `export OS_NAME=value` line "
                               "(the file is read, not run)")
        name, raw = match.groups()
        try:
            value = _shell_word(raw)
        except ValueError as exc:
            raise ProfileError(f"{path} line {number}: the value of {name} {exc}") from None
        if name.startswith("OS_"):
            found[name] = value
    return found


def _shell_word(raw: str) -> str:
    """One shell word with its quotes and escapes removed; refuses what would need a shell to run."""
    out: list[str] = []
    for piece in _PIECE.finditer(raw):
        kind, text = piece.lastgroup, piece.group(piece.lastgroup)
        if kind == "rest":
            if text[:1].isspace() and text.strip() and not text.strip().startswith("#"):
                raise ValueError("has a space outside quotes; quote the value")
            if text and not text[:1].isspace():
                raise ValueError("has an unclosed quote or a trailing backslash")
            break
        if kind == "double":
            if re.search(r"[$`]", re.sub(r"\\.", "", text)):
                raise ValueError(_SUBSTITUTION)
            text = re.sub(r'\\([\\"$`])', r"\1", text)
        elif kind == "bare" and re.search(r"[$`]", text):
            raise ValueError(_SUBSTITUTION)
        elif kind == "bare" and re.search(r"[;&|<>()]", text):
            raise ValueError("has a shell character (; & | < > parentheses) outside quotes; quote the value")
        out.append(text)
    return "".join(out)


# --- discovery ------------------------------------------------------------------------------------

def keep_login(region: CloudRegion) -> None:
    """A login kept for the next start, only where the user's clouds.yaml asks openstacksdk to keep logins
    (`cache: {auth: true}`, in the keyring; openstacksdk's own skip_auth_cache decides). openstacksdk loads it
    into the auth plugin as the CloudRegion is made, so a token that is still valid is used without a login;
    it stores one only when a Connection closes, which a killed terminal never does: kept at once here. exotui
    writes no token anywhere else."""
    import logging

    skip = getattr(region, "skip_auth_cache", None)
    try:
        if skip is not None and not skip():
            region.set_auth_cache()
    except Exception as exc:  # a keyring that is locked or refuses: the next start logs in, as without it
        logging.getLogger("exotui.profiles").info("the login was not kept in the keyring: %s", type(exc).__name__)


def keyring_missing(profile: CloudProfile) -> str | None:
    """Why logins are not kept although clouds.yaml asks for it (`cache: {auth: true}` without the keyring
    module, which openstacksdk then skips without a word), or None."""
    config = getattr(profile._loader, "cloud_config", None) or {}
    asked = bool((config.get("cache") or {}).get("auth")) if isinstance(config, dict) else False
    if not asked:
        return None
    import importlib.util

    if importlib.util.find_spec("keyring") is None:  # an optional extra: openstacksdk imports it if it is there
        return ("clouds.yaml asks to keep logins (cache: auth: true) but the keyring module is not installed "
                "(pip install 'exotui[keyring]'): every start logs in")
    return None


def discover(profile: CloudProfile) -> Discovery:
    """Log in and list the reachable projects and regions. Blocks: run it in a thread."""
    from keystoneauth1 import plugin

    if profile.error or profile.cloud_region is None:
        raise ProfileError(profile.error or f"cloud {profile.name!r} has no usable configuration")
    region = profile.cloud_region
    missing = keyring_missing(profile)
    if missing:
        import logging

        logging.getLogger("exotui.profiles").warning("%s: %s", profile.name, missing)
    # Requests go to the auth_url as configured (version-discovered to v3), not the catalog's entry.
    identity = {"interface": plugin.AUTH_INTERFACE, "version": (3, 0)}
    try:
        session, auth = region.get_session(), region.get_auth()
        access = auth.get_access(session)  # no login where a kept one is still valid (keep_login)
        regions = tuple(sorted({e.get("region_id") or e.get("region")
                                for svc in access.service_catalog.catalog for e in svc.get("endpoints", [])
                                } - {None, ""}))
        if not profile.is_app_cred:
            body = session.get("/auth/projects", endpoint_filter=identity, auth=auth).json()
            # names are shown (header, projects view): made printable as they are read, like the models
            projects = tuple(sorted((Project(p["id"], printable(str(p["name"]))) for p in body.get("projects", [])),
                                    key=lambda p: p.name))
            keep_login(region)  # after a request: a kept token the cloud refused has been replaced by then
            return Discovery(profile.name, access.user_id, projects, regions)
        cred = access.application_credential
        projects = (Project(access.project_id, printable(str(access.project_name or ""))),)
        shown = session.get(f"/users/{access.user_id}/application_credentials/{cred['id']}",
                            endpoint_filter=identity, auth=auth, raise_exc=False)
        keep_login(region)
    except Exception as exc:
        raise ProfileError(explain(exc, profile)) from exc
    # A restricted credential may not be allowed to read itself: then its expiry is simply unknown.
    details = shown.json().get("application_credential", {}) if shown.ok else {}
    expires_at = _parse_time(details.get("expires_at"))
    name = details.get("name") or cred.get("name") or cred["id"]
    return Discovery(profile.name, access.user_id, projects, regions, expires_at, _expiry_warning(name, expires_at))


def _parse_time(value: str | None) -> dt.datetime | None:
    if not value:
        return None
    when = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    return when if when.tzinfo else when.replace(tzinfo=dt.timezone.utc)


def _expiry_warning(name: str, expires_at: dt.datetime | None) -> str | None:
    if expires_at is None:
        return None
    left = expires_at - dt.datetime.now(dt.timezone.utc)
    if left > EXPIRY_WARNING:
        return None
    days, hours = round(left / dt.timedelta(days=1)), int(left / dt.timedelta(hours=1))
    when = (f"in {days} day{'s' if days != 1 else ''}" if days >= 1
            else f"in {hours} hour{'s' if hours != 1 else ''}" if hours >= 1 else "within the hour")
    return f"application credential {name!r} expires {when} ({expires_at:%Y-%m-%d})"


# --- errors ---------------------------------------------------------------------------------------

_GENERIC_401 = "The request you have made requires authentication."


def explain(exc: BaseException, profile: CloudProfile | None = None) -> str:
    """One line saying what went wrong talking to a cloud: no traceback, no secrets."""
    line = " ".join(_explain(exc, profile).split())
    for secret in profile.secrets() if profile else ():
        line = line.replace(secret, "***")
    return line if len(line) <= 400 else line[:399] + "…"


def _explain(exc: BaseException, profile: CloudProfile | None) -> str:
    from keystoneauth1 import exceptions as ksa
    from openstack import exceptions as sdk

    if isinstance(exc, ProfileError):
        return str(exc)
    chain = _chain(exc)
    url = _url(chain) or (profile.auth_url if profile else None) or "the cloud"
    host = re.sub(r"^\w+://([^/]+).*$", r"\1", url)
    cert = _first(chain, ssl.SSLCertVerificationError)
    if cert is not None:
        return (f"TLS certificate of {host} could not be verified ({cert.verify_message or cert.reason}); "
                "set cacert for this cloud in clouds.yaml if it uses a private CA")
    if _first(chain, ssl.SSLError, ksa.SSLError) is not None:
        reason = getattr(_first(chain, ssl.SSLError), "reason", None) or "handshake failed"
        return (f"TLS/SSL connection to {host} failed ({reason.replace('_', ' ').lower()}); "
                "check the scheme (https) and port in auth_url")
    if _first(chain, socket.gaierror) is not None:
        return f"cannot resolve host {host.rsplit(':', 1)[0]}: check auth_url and your network"
    if _first(chain, ConnectionRefusedError) is not None:
        return f"cannot connect to {host}: connection refused; check auth_url (host and port)"
    if answer_lost(exc):
        return f"{host} took the request but its answer never came (timed out or cut off)"
    if _first(chain, ksa.ConnectTimeout, TimeoutError) is not None:
        return f"timed out connecting to {host}; the cloud or your network may be down"
    if isinstance(exc, ksa.ConnectionError):
        return f"cannot connect to {host}: {type(chain[-1]).__name__}"
    status, said = None, ""
    if isinstance(exc, ksa.HttpError):  # its message ends in "(HTTP 401) (Request-ID: ...)"
        status, said = exc.http_status, re.sub(r"\s*\(HTTP \d+\).*$", "", exc.message or "").strip()
    elif isinstance(exc, sdk.HttpException):
        status, said = exc.status_code, str(exc.details or "").strip()
    if status == 401:
        detail = f" (the cloud said: {said})" if said and said != _GENERIC_401 else ""
        if "cannot request a scope" in said:
            detail += "; remove project settings (OS_PROJECT_*) from an application credential's config"
        if profile and profile.is_app_cred:
            return (f"authentication failed for application credential {profile.user!r} on cloud "
                    f"{profile.name!r} (HTTP 401): the secret is wrong, or it has expired or been deleted"
                    f"{detail}")
        scope = f", or no access to project {profile.project}" if profile and profile.project else ""
        return f"authentication failed (HTTP 401): wrong user name or password{scope}{detail}"
    if isinstance(exc, ksa.DiscoveryFailure):
        return f"found no identity (Keystone) API at {url}: check auth_url"
    if status:
        hint = "; check auth_url" if url.endswith("/auth/tokens") else ""
        return f"{url} answered HTTP {status}: {said.rstrip('.') or type(exc).__name__}{hint}"
    if isinstance(exc, ksa.MissingRequiredOptions):
        return f"the auth settings lack {', '.join(o.dest for o in exc.options)}"
    if isinstance(exc, ksa.NoMatchingPlugin):
        return f"unknown auth_type {exc.name!r}"
    if isinstance(exc, ksa.EndpointNotFound):
        return f"the service catalog has no such endpoint: {exc}"
    if isinstance(exc, (ksa.ClientException, sdk.SDKException)):
        return str(exc) or type(exc).__name__
    return f"unexpected error ({type(exc).__name__}): {exc}"


def answer_lost(exc: BaseException) -> bool:
    """Whether the request went out but no answer came back (a read timeout, a connection cut mid-answer):
    the cloud may have carried it out. A refused or unresolvable connection sent nothing."""
    import http.client

    import requests
    import urllib3.exceptions

    chain = _chain(exc)
    if _first(chain, ConnectionRefusedError, socket.gaierror, ssl.SSLError) is not None:
        return False
    return _first(chain, requests.exceptions.ReadTimeout, urllib3.exceptions.ReadTimeoutError,
                  http.client.RemoteDisconnected, ConnectionResetError, urllib3.exceptions.ProtocolError) is not None


def _chain(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    while exc is not None and exc not in seen:
        seen.append(exc)
        exc = exc.__cause__ or exc.__context__
    return seen


def _first(chain: list[BaseException], *types: type) -> BaseException | None:
    return next((e for e in chain if isinstance(e, types)), None)


def _url(chain: list[BaseException]) -> str | None:
    for exc in chain:
        if str(getattr(exc, "url", None)).startswith(("http://", "https://")):  # urllib3's is a bare path
            return exc.url
    found = re.search(r"\b(https?://[^\s:/\"']+(?::\d+)?[^\s:\"']*)", " ".join(str(e) for e in chain))
    return found.group(1) if found else None

"""Cloud profiles against the demo cloud, through real openstacksdk and keystoneauth (no mocks)."""

from __future__ import annotations

import datetime as dt
import http.server
import ipaddress
import socket
import ssl
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import yaml

from exotui.cloud.profiles import (APP_CRED, ENVIRONMENT, ProfileError, discover, explain, find_profile,
                                   load_profiles, read_openrc)
from exotui.demo import keystone
from exotui.demo.app import APPCRED_CLOUD_NAME, CLOUD_NAME
from exotui.demo.seed import DEMO_APPCRED_ID, DEMO_APPCRED_SECRET, DEMO_PASSWORD, DEMO_PROJECTS

PROJECT_NAMES = sorted(name for name, _ in DEMO_PROJECTS)
WRONG = "not-the-real-Secret-42"


@pytest.fixture()
def demo_yaml(demo, demo_dir) -> Path:
    """The session demo cloud's clouds.yaml (written once the cloud is up)."""
    return demo_dir / "clouds.yaml"


def demo_clouds(demo_yaml: Path) -> dict:
    return yaml.safe_load(demo_yaml.read_text())["clouds"]


def write_clouds(path: Path, clouds: dict) -> Path:
    path.write_text(yaml.safe_dump({"clouds": clouds}))
    return path


def one_cloud(tmp_path: Path, demo_yaml: Path, base: str = CLOUD_NAME, auth: dict | None = None,
              **settings) -> list:
    """Profiles from a clouds.yaml holding one copy of a demo cloud ("x") with some settings changed."""
    cloud = demo_clouds(demo_yaml)[base]
    cloud["auth"].update(auth or {})
    cloud.update(settings)
    return load_profiles(write_clouds(tmp_path / "clouds.yaml", {"x": cloud}), env={})


def failure(profile) -> str:
    with pytest.raises(ProfileError) as caught:
        discover(profile)
    message = str(caught.value)
    assert "\n" not in message and "Traceback" not in message
    for secret in (DEMO_PASSWORD, DEMO_APPCRED_SECRET, WRONG):
        assert secret not in message
    return message


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def make_app_cred(demo, name: str, expires_at: str, secret: str) -> None:
    world = demo.world
    user_id = next(u["id"] for u in world.users.values() if u["name"] == "demo")
    project_id = next(p["id"] for p in world.projects.values() if p["name"] == DEMO_PROJECTS[0][0])
    demo.call(lambda: keystone.create_app_cred(world, user_id, project_id, name, secret=secret,
                                               expires_at=expires_at))


def app_cred_cloud(demo, name: str) -> dict:
    return {"auth": {"auth_url": demo.auth_url, "application_credential_name": name, "username": "demo",
                     "user_domain_name": "Default", "application_credential_secret": f"{name}-secret"},
            "auth_type": APP_CRED, "region_name": "RegionOne"}


# --- loading --------------------------------------------------------------------------------------

def test_importing_profiles_does_not_load_openstacksdk():
    code = ("import sys, exotui.cloud.profiles\n"
            "print(sorted(m for m in ('openstack', 'keystoneauth1') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_demo_clouds_yaml_found_through_os_client_config_file(clouds_env, demo):
    profiles = load_profiles()
    assert [p.name for p in profiles] == [CLOUD_NAME, APPCRED_CLOUD_NAME]
    password, app_cred = profiles
    assert (password.auth_type, password.auth_url, password.region_names) == ("password", demo.auth_url,
                                                                             ("RegionOne",))
    assert (password.project, password.user, password.insecure) == (DEMO_PROJECTS[0][0], "demo", False)
    assert (app_cred.auth_type, app_cred.project, app_cred.user) == (APP_CRED, None, DEMO_APPCRED_ID)
    assert password.source == app_cred.source == str(clouds_env)
    assert not any(p.is_default for p in profiles)  # two clouds, no OS_CLOUD
    with pytest.raises(ProfileError, match="none chosen"):
        find_profile(profiles)


def test_os_cloud_chooses_the_default(clouds_env, monkeypatch):
    monkeypatch.setenv("OS_CLOUD", APPCRED_CLOUD_NAME)
    assert find_profile(load_profiles()).name == APPCRED_CLOUD_NAME
    monkeypatch.setenv("OS_CLOUD", "typo-cloud")
    with pytest.raises(ProfileError) as caught:
        load_profiles()
    assert "typo-cloud" in str(caught.value) and CLOUD_NAME in str(caught.value)


def test_explicit_file_wins_over_os_client_config_file(demo_yaml, tmp_path):
    path = write_clouds(tmp_path / "mine.yaml", {"only": demo_clouds(demo_yaml)[CLOUD_NAME]})
    profiles = load_profiles(path, env={"OS_CLIENT_CONFIG_FILE": str(demo_yaml)})
    assert [p.name for p in profiles] == ["only"] and profiles[0].is_default


def test_unknown_cloud_name_lists_known_names(clouds_env):
    with pytest.raises(ProfileError) as caught:
        find_profile(load_profiles(), "jetstream")
    assert "'jetstream'" in str(caught.value)
    assert CLOUD_NAME in str(caught.value) and APPCRED_CLOUD_NAME in str(caught.value)


def test_envvars_cloud_from_os_variables(demo, demo_yaml):
    env = {"OS_AUTH_URL": demo.auth_url, "OS_USERNAME": "demo", "OS_PASSWORD": DEMO_PASSWORD,
           "OS_PROJECT_NAME": DEMO_PROJECTS[1][0], "OS_USER_DOMAIN_NAME": "Default",
           "OS_PROJECT_DOMAIN_NAME": "Default", "OS_REGION_NAME": "RegionOne"}
    profiles = load_profiles(demo_yaml, env=env)
    assert [p.name for p in profiles] == [CLOUD_NAME, APPCRED_CLOUD_NAME, "envvars"]
    envvars = find_profile(profiles)
    assert (envvars.name, envvars.source, envvars.project) == ("envvars", ENVIRONMENT, DEMO_PROJECTS[1][0])
    assert [p.name for p in discover(envvars).projects] == PROJECT_NAMES


def test_secure_yaml_next_to_clouds_yaml_supplies_the_password(demo_yaml, tmp_path):
    cloud = demo_clouds(demo_yaml)[CLOUD_NAME]
    del cloud["auth"]["password"]
    write_clouds(tmp_path / "clouds.yaml", {"x": cloud})
    write_clouds(tmp_path / "secure.yaml", {"x": {"auth": {"password": DEMO_PASSWORD}}})
    profile = find_profile(load_profiles(tmp_path / "clouds.yaml", env={}), "x")
    assert [p.name for p in discover(profile).projects] == PROJECT_NAMES


def test_tls_verification_off_is_reported(tmp_path, demo_yaml):
    assert one_cloud(tmp_path, demo_yaml, verify=False)[0].insecure is True


def test_scoped_region_reaches_another_project(clouds_env):
    profile = find_profile(load_profiles(), CLOUD_NAME)
    other = next(p for p in discover(profile).projects if p.name == DEMO_PROJECTS[1][0])
    region = profile.scoped(project_id=other.id)
    assert region.get_auth().get_access(region.get_session()).project_name == other.name


# --- bad configuration ----------------------------------------------------------------------------

def test_missing_clouds_file(tmp_path):
    with pytest.raises(ProfileError) as caught:
        load_profiles(tmp_path / "nope.yaml", env={})
    assert str(tmp_path / "nope.yaml") in str(caught.value) and "does not exist" in str(caught.value)


def test_no_clouds_anywhere_says_where_it_looked(tmp_path, monkeypatch):
    from openstack.config import loader

    # Point the search path at an empty folder: this machine's own config must not leak in.
    monkeypatch.setattr(loader, "CONFIG_FILES", [str(tmp_path / "clouds.yaml")])
    monkeypatch.setattr(loader, "SECURE_FILES", [str(tmp_path / "secure.yaml")])
    with pytest.raises(ProfileError) as caught:
        load_profiles(env={})
    assert "no clouds.yaml found" in str(caught.value) and str(tmp_path) in str(caught.value)


@pytest.mark.parametrize("via_env", [False, True])
def test_malformed_clouds_yaml_names_file_and_line(tmp_path, via_env):
    path = tmp_path / "clouds.yaml"
    path.write_text("clouds:\n  broken:\n    auth:\n      password: hunter2: oops\n")
    with pytest.raises(ProfileError) as caught:
        load_profiles(env={"OS_CLIENT_CONFIG_FILE": str(path)}) if via_env else load_profiles(path, env={})
    assert str(path) in str(caught.value) and "line 4" in str(caught.value)
    assert "hunter2" not in str(caught.value)


def test_clouds_yaml_without_clouds(tmp_path):
    path = tmp_path / "clouds.yaml"
    path.write_text("clouds: {}\n")
    with pytest.raises(ProfileError, match=f"^{path} defines no clouds$"):
        load_profiles(path, env={})


def test_cloud_without_auth_url_is_listed_with_its_problem(tmp_path):
    path = write_clouds(tmp_path / "clouds.yaml", {"half": {"auth": {"username": "u", "password": "p"}}})
    profile = find_profile(load_profiles(path, env={}), "half")
    assert profile.error and "auth_url" in profile.error
    assert "auth_url" in failure(profile)


# --- openrc ---------------------------------------------------------------------------------------

def test_openrc_quotes_comments_and_export(tmp_path):
    path = tmp_path / "openrc.sh"
    path.write_text("#!/usr/bin/env bash\n"
                    "# from Horizon\n"
                    "unset OS_TENANT_NAME\n"
                    "export OS_AUTH_TYPE=v3applicationcredential\n"
                    "export OS_REGION_NAME=\"IU\"  # the region\n"
                    "OS_INTERFACE='public'\n"
                    "\texport   OS_APPLICATION_CREDENTIAL_SECRET='it''s a \"secret\" & $ more'\n"
                    "export OS_APPLICATION_CREDENTIAL_ID=\"ab\\\"c\"d\n"
                    "export OS_EMPTY=\n"
                    "export OS_PROJECT_NAME=my\\ project\n"
                    "export EDITOR=vim\n"
                    "OS_TENANT_NAME=old\nunset OS_TENANT_NAME\n")
    assert read_openrc(path) == {
        "OS_AUTH_TYPE": "v3applicationcredential", "OS_REGION_NAME": "IU", "OS_INTERFACE": "public",
        "OS_APPLICATION_CREDENTIAL_SECRET": 'its a "secret" & $ more',
        "OS_APPLICATION_CREDENTIAL_ID": 'ab"cd', "OS_EMPTY": "",
        "OS_PROJECT_NAME": "my project",
    }


@pytest.mark.parametrize("line, reason", [
    ('echo "Please enter your password"', "not an `export OS_NAME=value` line"),
    ("export OS_PASSWORD=s3cr3t words", "space outside quotes"),
    ("export OS_PASSWORD=\"s3cr3t", "unclosed"),
    ("export OS_PASSWORD=$OS_PASSWORD_INPUT", "substitution"),
    ("export OS_PASSWORD=s3cr3t&x", "shell character"),
])
def test_openrc_bad_line_names_its_number_not_its_value(tmp_path, line, reason):
    path = tmp_path / "openrc.sh"
    path.write_text(f"# header\nexport OS_AUTH_URL=http://x\n\n{line}\n")
    with pytest.raises(ProfileError) as caught:
        load_profiles(openrc=path, env={})
    message = str(caught.value)
    assert f"{path} line 4:" in message and reason in message
    assert "s3cr3t" not in message and "words" not in message


def test_openrc_password_variant(demo, tmp_path):
    path = tmp_path / "BIO230045-openrc.sh"
    path.write_text(f"export OS_AUTH_URL={demo.auth_url}\nexport OS_USERNAME=demo\n"
                    f"export OS_PASSWORD='{DEMO_PASSWORD}'\nexport OS_PROJECT_NAME=\"{DEMO_PROJECTS[0][0]}\"\n"
                    "export OS_USER_DOMAIN_NAME=Default\nexport OS_PROJECT_DOMAIN_NAME=Default\n"
                    "export OS_REGION_NAME=RegionOne\nexport OS_IDENTITY_API_VERSION=3\n")
    profile = find_profile(load_profiles(openrc=path, env={}))
    assert (profile.name, profile.auth_type, profile.source) == ("envvars", "password", str(path))
    found = discover(profile)
    assert [p.name for p in found.projects] == PROJECT_NAMES and found.regions == ("RegionOne",)


def test_openrc_app_cred_variant_ignores_leftover_variables(demo, tmp_path):
    # Jetstream2's openrc; a leftover OS_PROJECT_NAME would make Keystone refuse ("cannot request a scope").
    path = tmp_path / "app-cred-openrc.sh"
    path.write_text(f"export OS_AUTH_TYPE=v3applicationcredential\nexport OS_AUTH_URL={demo.auth_url}/\n"
                    "export OS_IDENTITY_API_VERSION=3\nexport OS_REGION_NAME=\"RegionOne\"\n"
                    f"export OS_INTERFACE=public\nexport OS_APPLICATION_CREDENTIAL_ID={DEMO_APPCRED_ID}\n"
                    f"export OS_APPLICATION_CREDENTIAL_SECRET={DEMO_APPCRED_SECRET}\n")
    env = {"OS_PROJECT_NAME": DEMO_PROJECTS[1][0], "OS_CLOUD": CLOUD_NAME, "OS_USERNAME": "someone"}
    profile = find_profile(load_profiles(openrc=path, env=env))
    assert (profile.auth_type, profile.user, profile.project) == (APP_CRED, DEMO_APPCRED_ID, None)
    assert [p.name for p in discover(profile).projects] == [DEMO_PROJECTS[0][0]]


# --- discovery ------------------------------------------------------------------------------------

def test_password_discovery_lists_both_projects_and_the_region(clouds_env):
    found = discover(find_profile(load_profiles(), CLOUD_NAME))
    assert [p.name for p in found.projects] == PROJECT_NAMES
    assert all(len(p.id) == 32 for p in found.projects)
    assert found.regions == ("RegionOne",) and found.expires_at is None and found.warning is None


def test_app_cred_discovery_sees_its_own_project_and_expiry(clouds_env):
    found = discover(find_profile(load_profiles(), APPCRED_CLOUD_NAME))
    assert [p.name for p in found.projects] == [DEMO_PROJECTS[0][0]]
    assert found.regions == ("RegionOne",)
    left = found.expires_at - dt.datetime.now(dt.timezone.utc)
    assert dt.timedelta(days=29) < left <= dt.timedelta(days=30)
    assert found.warning is None


def test_app_cred_expiring_in_three_days_warns(demo, tmp_path):
    expires = dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=3)
    make_app_cred(demo, "soon", expires.strftime("%Y-%m-%dT%H:%M:%S.%f"), "soon-secret")
    path = write_clouds(tmp_path / "clouds.yaml", {"soon": app_cred_cloud(demo, "soon")})
    profile = find_profile(load_profiles(path, env={}))
    assert profile.user == "soon"
    found = discover(profile)
    assert found.warning == f"application credential 'soon' expires in 3 days ({expires:%Y-%m-%d})"


def test_expired_app_cred_is_one_clear_line(demo, tmp_path):
    make_app_cred(demo, "gone", "2020-01-01T00:00:00.000000", "gone-secret")
    path = write_clouds(tmp_path / "clouds.yaml", {"gone": app_cred_cloud(demo, "gone")})
    message = failure(find_profile(load_profiles(path, env={})))
    assert "authentication failed for application credential 'gone'" in message and "expired" in message
    assert "gone-secret" not in message


# --- failures -------------------------------------------------------------------------------------

@pytest.mark.parametrize("base, key", [(CLOUD_NAME, "password"),
                                       (APPCRED_CLOUD_NAME, "application_credential_secret")])
def test_wrong_secret_is_an_authentication_failure(tmp_path, demo_yaml, base, key):
    message = failure(one_cloud(tmp_path, demo_yaml, base, {key: WRONG})[0])
    assert message.startswith("authentication failed") and "HTTP 401" in message


def test_unreachable_auth_url(tmp_path, demo_yaml):
    port = closed_port()
    message = failure(one_cloud(tmp_path, demo_yaml, auth={"auth_url": f"http://127.0.0.1:{port}/identity/v3"})[0])
    assert message == f"cannot connect to 127.0.0.1:{port}: connection refused; check auth_url (host and port)"


def test_unresolvable_host(tmp_path, demo_yaml):
    message = failure(one_cloud(tmp_path, demo_yaml, auth={"auth_url": "http://no-such-host.invalid:5000/v3"})[0])
    assert message == "cannot resolve host no-such-host.invalid: check auth_url and your network"


@pytest.mark.parametrize("base", [CLOUD_NAME, APPCRED_CLOUD_NAME])
def test_tls_failure(tmp_path, demo_yaml, demo, base):
    url = demo.auth_url.replace("http://", "https://")
    message = failure(one_cloud(tmp_path, demo_yaml, base, {"auth_url": url})[0])
    host = url.split("/")[2]
    assert message.startswith(f"TLS/SSL connection to {host} failed") and "https" in message


@pytest.fixture()
def self_signed_https(tmp_path):
    """An HTTPS server on 127.0.0.1 with a self-signed certificate: (its URL, the certificate's path)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "exotui-test")])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(hours=1))
            .not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), http.server.BaseHTTPRequestHandler)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert_path, key_path)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"https://127.0.0.1:{server.server_address[1]}/identity/v3", cert_path
    server.shutdown()
    server.server_close()


def test_untrusted_certificate(tmp_path, demo_yaml, self_signed_https):
    url, cert = self_signed_https
    message = failure(one_cloud(tmp_path, demo_yaml, APPCRED_CLOUD_NAME, {"auth_url": url})[0])
    assert message.startswith(f"TLS certificate of {url.split('/')[2]} could not be verified")
    assert "self-signed" in message and "cacert" in message
    # The hint holds: trusting the certificate gets past TLS (to a server that is no Keystone).
    message = failure(one_cloud(tmp_path, demo_yaml, APPCRED_CLOUD_NAME, {"auth_url": url}, cacert=str(cert))[0])
    assert "HTTP 501" in message and "TLS" not in message


def test_wrong_path_in_auth_url(tmp_path, demo_yaml, demo):
    message = failure(one_cloud(tmp_path, demo_yaml, APPCRED_CLOUD_NAME,
                                {"auth_url": demo.auth_url.replace("/identity", "/nope")})[0])
    assert message == (f"{demo.auth_url.replace('/identity', '/nope')}/auth/tokens answered HTTP 404: "
                       "The resource could not be found; check auth_url")


def test_no_secret_in_any_repr(clouds_env):
    profiles = load_profiles()
    shown = " ".join(repr(p) + str(p) + repr(discover(p)) for p in profiles)
    assert DEMO_PASSWORD not in shown and DEMO_APPCRED_SECRET not in shown
    assert "cloud_region" not in shown


@pytest.mark.filterwarnings("ignore:The _compute_attributes method is deprecated")
def test_explain_serves_the_rest_of_the_cloud_layer(clouds_env, demo):
    import openstack.connection
    import openstack.exceptions

    profile = find_profile(load_profiles(), CLOUD_NAME)
    conn = openstack.connection.Connection(config=profile.scoped())
    try:
        with pytest.raises(openstack.exceptions.NotFoundException) as caught:
            conn.compute.get_server("no-such-server")
    finally:
        conn.close()
    assert explain(caught.value, profile) == (f"{demo.cloud.world.base_url}/compute/v2.1/servers/no-such-server "
                                              "answered HTTP 404: Instance no-such-server could not be found")


def test_password_login_on_a_v3_url_skips_version_discovery(tmp_path, demo_yaml, demo):
    """Generic `password` auth GETs the auth URL's version list before every login; with a /v3
    URL exotui logs in with v3password instead: the token is the only round trip."""

    def login(profile) -> list[tuple[str, str]]:
        region = profile.scoped()
        demo.world.asked.clear()
        assert region.get_auth().get_access(region.get_session()).project_name == DEMO_PROJECTS[0][0]
        return [(method, path) for method, path in list(demo.world.asked) if path.startswith("/identity")]

    [v3] = one_cloud(tmp_path, demo_yaml)
    assert v3.auth_url.rstrip("/").endswith("/v3") and v3.scoped().config["auth_type"] == "v3password"
    assert login(v3) == [("POST", "/identity/v3/auth/tokens")]
    [bare] = one_cloud(tmp_path, demo_yaml, auth={"auth_url": v3.auth_url.rstrip("/").removesuffix("/v3")})
    assert bare.scoped().config["auth_type"] == "password", "an unversioned URL needs the generic plugin"
    assert login(bare)[0][0] == "GET" and login(bare)[-1] == ("POST", "/identity/v3/auth/tokens")

"""Credentials for other tools: EC2 pairs for S3 (listed here, with ready-to-paste rclone and aws configs)
and application credentials exported as clouds.yaml and openrc text, written with mode 600. Secrets are
held in fields whose repr hides them, never logged, and shown only when asked (`reveal`).
Creating and deleting are in actions/credentials.py."""

from __future__ import annotations

import os
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .models import printable
from .session import CloudSession

# Jetstream2's S3 endpoint and region, from its documentation ("Configuring Object Storage for AWS S3 Apps",
# https://docs.jetstream-cloud.org/general/s3/): RadosGW answers S3 at the root of the host that serves
# Swift at /swift/v1. Other clouds: the scheme, host and port of their object-store endpoint.
KNOWN_S3 = {"js2.jetstream-cloud.org": ("https://js2.jetstream-cloud.org:8001", "RegionOne")}


@dataclass(frozen=True)
class Ec2Credential:
    access: str  # printable; the access key is an identifier, not a secret
    project_id: str
    user_id: str
    secret: str = field(repr=False)

    @staticmethod
    def from_api(row: dict) -> "Ec2Credential":
        return Ec2Credential(printable(str(row.get("access", ""))), printable(str(row.get("tenant_id", ""))),
                             printable(str(row.get("user_id", ""))), str(row.get("secret", "")))


@dataclass(frozen=True)
class AppCredential:
    """An application credential just made: the only time its secret is known."""

    id: str
    name: str  # printable
    project_id: str
    expires_at: str | None
    roles: tuple[str, ...]
    secret: str = field(repr=False)


def s3_endpoint(object_store_url: str | None, auth_url: str | None = None) -> tuple[str, str]:
    """(S3 endpoint, region) for a cloud: Jetstream2's documented one, else the object store's host."""
    for url in (object_store_url, auth_url):
        host = urllib.parse.urlsplit(url or "").hostname or ""
        if host in KNOWN_S3:
            return KNOWN_S3[host]
    parts = urllib.parse.urlsplit(object_store_url or auth_url or "")
    return f"{parts.scheme}://{parts.netloc}", "RegionOne"


def _ini_value(text: str) -> str:
    """A value for an INI line: one line, its controls made visible (the text came from a cloud)."""
    return printable(text.replace("\n", " ").replace("\r", " "))


def rclone_config(cred: Ec2Credential, endpoint: str, remote: str = "jetstream2") -> str:
    """An rclone remote (~/.config/rclone/rclone.conf) for the cloud's S3 endpoint."""
    return (f"[{_ini_value(remote)}]\n"
            "type = s3\n"
            "provider = Ceph\n"
            "env_auth = false\n"
            f"access_key_id = {_ini_value(cred.access)}\n"
            f"secret_access_key = {_ini_value(cred.secret)}\n"
            f"endpoint = {_ini_value(endpoint)}\n"
            "acl = private\n")


def aws_config(cred: Ec2Credential, endpoint: str, region: str, profile: str = "jetstream2") -> tuple[str, str]:
    """(~/.aws/credentials, ~/.aws/config) sections for the aws CLI; `endpoint_url` in the config lets
    `aws --profile NAME s3 ls` work without --endpoint (aws CLI 2.13 and later)."""
    p = _ini_value(profile)
    creds = (f"[{p}]\n"
             f"aws_access_key_id = {_ini_value(cred.access)}\n"
             f"aws_secret_access_key = {_ini_value(cred.secret)}\n")
    config = (f"[profile {p}]\n"
              f"region = {_ini_value(region)}\n"
              f"endpoint_url = {_ini_value(endpoint)}\n")
    return creds, config


async def list_ec2(session: CloudSession) -> list[Ec2Credential]:
    """The user's EC2 pairs (with their secrets: Keystone shows them to their owner)."""
    conn = await session.connection()
    user_id = conn.current_user_id
    body = await session.get_json("identity", f"/users/{user_id}/credentials/OS-EC2", secret=True)
    rows = body.get("credentials") if isinstance(body, dict) else None
    return [Ec2Credential.from_api(r) for r in rows or [] if isinstance(r, dict)]


# --- application credentials for a laptop ------------------------------------------------------------

def clouds_yaml(cred: AppCredential, auth_url: str, region: str | None, cloud: str,
                interface: str = "public") -> str:
    """A clouds.yaml holding one cloud that logs in with the application credential."""
    entry: dict[str, Any] = {
        "auth_type": "v3applicationcredential",
        "auth": {"auth_url": auth_url, "application_credential_id": cred.id,
                 "application_credential_secret": cred.secret},
        "interface": interface,
        "identity_api_version": 3,
    }
    if region:
        entry["region_name"] = region
    return yaml.safe_dump({"clouds": {cloud: entry}}, sort_keys=False)


def _sh(value: str) -> str:
    return "'" + value.replace("'", "'\"'\"'") + "'"


def openrc(cred: AppCredential, auth_url: str, region: str | None, interface: str = "public") -> str:
    """An openrc to `source`, as Horizon writes one for an application credential."""
    lines = ["#!/usr/bin/env bash", "", "export OS_AUTH_TYPE=v3applicationcredential",
             f"export OS_AUTH_URL={_sh(auth_url)}", "export OS_IDENTITY_API_VERSION=3"]
    if region:
        lines.append(f"export OS_REGION_NAME={_sh(region)}")
    lines += [f"export OS_INTERFACE={_sh(interface)}",
              f"export OS_APPLICATION_CREDENTIAL_ID={_sh(cred.id)}",
              f"export OS_APPLICATION_CREDENTIAL_SECRET={_sh(cred.secret)}", ""]
    return "\n".join(lines)


def write_private(path: Path, text: str) -> Path:
    """Write `text` to a new file only its owner can read (mode 600 from the first byte); an existing file
    is not overwritten, so a secret never lands in a file someone else made."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
    with os.fdopen(fd, "w") as f:
        os.fchmod(f.fileno(), 0o600)
        f.write(text)
    return path

"""Junk thrown at every route of the demo cloud: each answer is an OpenStack-style 4xx (never a 5xx),
and the cloud keeps serving."""

from __future__ import annotations

import json
import os
import random

import pytest
import requests

from exotui.demo.app import DemoCloudThread
from exotui.demo.seed import DEMO_PASSWORD, DEMO_PROJECTS
from exotui.demo.world import Knobs

SEED = int(os.environ.get("EXOTUI_FUZZ_SEED", "1234"))
BODIES_PER_ROUTE = 6
ZERO = "00000000-0000-0000-0000-000000000000"

# which world table a path parameter names
TABLES = {"server_id": "servers", "volume_id": "volumes", "network_id": "networks", "subnet_id": "subnets",
          "router_id": "routers", "port_id": "ports", "fip_id": "floatingips", "floatingip_id": "floatingips",
          "sg_id": "security_groups", "security_group_id": "security_groups", "rule_id": "security_group_rules",
          "image_id": "images", "flavor_id": "flavors", "snapshot_id": "snapshots", "user_id": "users",
          "project_id": "projects", "cred_id": "app_creds"}


def _junk(rng: random.Random, depth: int = 0):
    kinds = ["str", "int", "neg", "float", "none", "bool", "list", "dict", "huge", "unicode"]
    kind = rng.choice(kinds if depth < 3 else kinds[:6])
    if kind == "str":
        return rng.choice(["", "x", "ACTIVE", "tcp", "0.0.0.0/0", "::/0", "999.1.1.1/33", "auto", "none",
                           "not-a-uuid", ZERO, "2026-13-45T99:99:99Z", "latest", "-1", "1e309"])
    if kind == "int":
        return rng.choice([0, 1, 22, 65535, 65536, 2**63, 10**20])
    if kind == "neg":
        return -rng.randint(1, 10**6)
    if kind == "float":
        return rng.choice([0.5, -0.0, 1e300])
    if kind == "none":
        return None
    if kind == "bool":
        return rng.choice([True, False])
    if kind == "list":
        return [_junk(rng, depth + 1) for _ in range(rng.randint(0, 3))]
    if kind == "huge":
        return "A" * rng.choice([256, 70_000])
    if kind == "unicode":
        return rng.choice(["名前", "\u0000", "\udcff"[:0] + "ünïcödé", "🚀" * 40])
    keys = ["server", "name", "flavorRef", "imageRef", "networks", "reboot", "type", "resize", "network",
            "subnet", "cidr", "port", "floatingip", "port_id", "security_group_rule", "direction", "protocol",
            "port_range_min", "port_range_max", "volume", "size", "os-extend", "new_size", "keypair",
            "public_key", "auth", "identity", "methods", "image", "volumeAttachment", "volumeId", "metadata",
            "router", "external_gateway_info", "subnet_id", "security_group", "lock", "createImage",
            "os-getConsoleOutput", "length", "application_credential", "op", "path", "value"]
    return {rng.choice(keys): _junk(rng, depth + 1) for _ in range(rng.randint(0, 4))}


def _routes(cloud: DemoCloudThread) -> list[tuple[str, str]]:
    """(method, path template below the root) of every route of every service."""
    app = cloud.cloud.build_app()
    found = []
    for resource in app.router.resources():
        sub = getattr(resource, "_app", None)
        prefix = getattr(resource, "_prefix", "")
        routers = [(prefix, sub.router)] if sub is not None else []
        for pfx, router in routers:
            for route in router.routes():
                info = route.resource.get_info() if route.resource else {}
                path = info.get("formatter") or info.get("path")
                if path is None or route.method in ("HEAD", "*"):
                    continue
                full = path if path.startswith(pfx) else pfx + path
                found.append((route.method, full))
    return sorted(set(found))


def _fill(template: str, world, rng: random.Random) -> str:
    import re

    def value(match: re.Match) -> str:
        name = match.group(1)
        table = getattr(world, TABLES.get(name, ""), None)
        if table and rng.random() < 0.7:
            keys = [k for k in table if isinstance(k, str)]
            if keys:
                return rng.choice(keys)
        return rng.choice([ZERO, "not-a-uuid", "%2e%2e", "x" * 300])

    return re.sub(r"\{([^}]+)\}", value, template)


@pytest.fixture(scope="module")
def junk_cloud():
    with DemoCloudThread(Knobs(delay_scale=0, ssh=False, seed=SEED)) as cloud:
        yield cloud


def _token(cloud) -> str:
    body = {"auth": {"identity": {"methods": ["password"], "password": {"user": {
        "name": "demo", "domain": {"name": "Default"}, "password": DEMO_PASSWORD}}},
        "scope": {"project": {"name": DEMO_PROJECTS[0][0], "domain": {"name": "Default"}}}}}
    response = requests.post(cloud.auth_url + "/auth/tokens", json=body, timeout=10)
    return response.headers["X-Subject-Token"]


def test_junk_never_gets_a_5xx_and_the_cloud_stays_up(junk_cloud):
    rng = random.Random(SEED)
    routes = _routes(junk_cloud)
    assert len(routes) > 80, "route discovery found too few routes"
    base = junk_cloud.world.base_url
    failures = []
    with requests.Session() as http:
        http.headers["X-Auth-Token"] = _token(junk_cloud)
        for method, template in routes:
            for _ in range(BODIES_PER_ROUTE):
                path = _fill(template, junk_cloud.world, rng)
                if rng.random() < 0.25:
                    data = rng.choice([b"{", b"\xff\xfe", b"[]", b"null", b"<xml/>", b'{"a":' * 50])
                else:
                    data = json.dumps(_junk(rng)).encode()
                headers = {"Content-Type": rng.choice(["application/json", "text/plain",
                                                       "application/openstack-images-v2.1-json-patch"])}
                if rng.random() < 0.2:
                    headers["OpenStack-API-Version"] = rng.choice(["compute 2.999", "volume 3.0",
                                                                   "compute latest", "compute x.y"])
                response = http.request(method, base + path, data=data, headers=headers, timeout=30)
                if response.status_code >= 500:
                    failures.append(f"{method} {path} {data[:80]!r} -> {response.status_code} {response.text[:200]}")
                elif response.status_code >= 400 and response.content and not path.startswith("/swift/"):
                    # Swift's errors are swob's short HTML pages, as real Swift sends them (demo/swift.py)
                    try:
                        response.json()
                    except ValueError:
                        failures.append(f"{method} {path} -> {response.status_code} non-JSON error body")
        alive = http.get(base + "/compute/v2.1/servers", timeout=10)
    assert alive.status_code in (200, 401)
    assert not failures, f"{len(failures)} bad answers, first ones:\n" + "\n".join(failures[:15])

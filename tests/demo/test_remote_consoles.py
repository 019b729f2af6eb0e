"""Nova's remote consoles on the demo, held to Nova 34's source (api/openstack/compute/remote_consoles.py and its
schema, compute/manager.py get_vnc_console, objects/console_auth_token.py access_url): the `openstack` CLI's
`console url show` gets a noVNC URL with a one-time token, and that URL answers on loopback while the token lives."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from urllib.parse import parse_qs, urlsplit

import openstack
import pytest

from exotui.demo.app import CLOUD_NAME
from tests.conditions import wait_until


def _fetch(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as answer:
            return answer.status, answer.read().decode()
    except urllib.error.HTTPError as err:
        return err.code, err.read().decode()


@pytest.fixture()
def server(conn):
    flavor = conn.compute.find_flavor("m3.tiny")
    image = conn.image.find_image("Featured-Ubuntu24")
    made = conn.compute.create_server(name="console-me", flavor_id=flavor.id, image_id=image.id, networks="none")
    conn.compute.wait_for_server(made, wait=30)
    yield made
    conn.compute.delete_server(made)


def _console(conn, server, body, microversion="2.6"):
    return conn.compute.post(f"/servers/{server.id}/remote-consoles", json=body, microversion=microversion,
                             raise_exc=False)


def test_console_url_show_gives_a_url_that_answers(demo, server, openstack_cli):
    shown = json.loads(openstack_cli("console", "url", "show", server.id, "-f", "json").stdout)
    assert (shown["protocol"], shown["type"]) == ("vnc", "novnc")
    url = urlsplit(shown["url"])
    assert f"{url.scheme}://{url.netloc}" == demo.cloud.world.base_url and url.hostname == "127.0.0.1"
    assert url.path == "/novnc/vnc_auto.html"
    path = parse_qs(url.query)["path"][0]  # noVNC >= 1.1 takes the token inside `path`
    assert path.startswith("?token=") and len(path) == len("?token=") + 36
    status, page = _fetch(shown["url"])
    assert status == 200 and "<title>console-me - noVNC</title>" in page
    status, page = _fetch(shown["url"].replace(path[-8:], "00000000"))
    assert (status, json.loads(page)) == (404, {"itemNotFound": {"code": 404, "message": "The token '***' is "
                                                                                   "invalid or has expired"}})


def test_a_console_token_lives_ten_minutes(fresh_demo, tmp_path, monkeypatch):
    monkeypatch.setenv("OS_CLIENT_CONFIG_FILE", str(tmp_path / "clouds.yaml"))
    conn = openstack.connect(cloud=CLOUD_NAME)
    try:
        target = next(s for s in conn.compute.servers() if s.status == "ACTIVE")
        url = _console(conn, target, {"remote_console": {"protocol": "vnc", "type": "novnc"}}).json()[
            "remote_console"]["url"]
        assert _fetch(url)[0] == 200
        fresh_demo.cloud.world.advance(601)  # [consoleauth] token_ttl
        assert _fetch(url)[0] == 404
    finally:
        conn.close()


@pytest.mark.parametrize("microversion, body, message", [
    ("2.6", {"remote_console": {"protocol": "spice", "type": "spice-html5"}},
     "Unavailable console type spice-html5."),
    ("2.6", {"remote_console": {"protocol": "serial", "type": "serial"}}, "Unavailable console type serial."),
    ("2.6", {"remote_console": {"protocol": "rdp", "type": "rdp-html5"}}, "Unavailable console type rdp."),
    ("2.6", {"remote_console": {"protocol": "vnc", "type": "xvpvnc"}}, "Invalid console type xvpvnc"),
    ("2.6", {"remote_console": {"protocol": "vnc", "type": "spice-html5"}}, "Invalid console type spice-html5"),
    ("2.6", {"remote_console": {"protocol": "telnet", "type": "novnc"}},
     "Invalid input for field/attribute protocol. Value: telnet. 'telnet' is not one of "
     "['vnc', 'spice', 'serial', 'rdp']"),
    ("2.6", {"remote_console": {"protocol": "mks", "type": "webmks"}},
     "Invalid input for field/attribute protocol. Value: mks. 'mks' is not one of "
     "['vnc', 'spice', 'serial', 'rdp']"),
    ("2.8", {"remote_console": {"protocol": "mks", "type": "webmks"}}, "Unavailable console type webmks."),
    ("2.6", {"remote_console": {"protocol": "vnc"}},
     "Invalid input for field/attribute remote_console. Value: {'protocol': 'vnc'}. 'type' is a required property"),
    ("2.6", {"console": {}}, "'remote_console' is a required property"),
])
def test_consoles_nova_does_not_give(conn, server, microversion, body, message):
    answer = _console(conn, server, body, microversion)
    assert answer.status_code == 400
    assert answer.json()["badRequest"]["message"] == message


def test_a_server_without_a_host_is_not_ready(conn, server):
    conn.compute.shelve_server(server)
    assert wait_until(lambda: conn.compute.get_server(server.id).status == "SHELVED_OFFLOADED", timeout=30)
    answer = _console(conn, server, {"remote_console": {"protocol": "vnc", "type": "novnc"}})
    assert answer.status_code == 409
    assert answer.json()["conflictingRequest"]["message"] == f"Instance {server.id} is not ready"


def test_before_2_6_the_console_is_an_action(conn, server):
    assert _console(conn, server, {"remote_console": {"protocol": "vnc", "type": "novnc"}}, "2.5").status_code == 404
    answer = conn.compute.post(f"/servers/{server.id}/action", json={"os-getVNCConsole": {"type": "novnc"}},
                               microversion="2.1")
    console = answer.json()["console"]
    assert console["type"] == "novnc" and _fetch(console["url"])[0] == 200

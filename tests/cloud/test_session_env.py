"""session.environment_once: requests' reading of the proxy variables, once per host instead of on every
request, with the same answer requests gives."""

from __future__ import annotations

import requests

from exotui.cloud.session import environment_once

URLS = ("http://cloud.example.org:5000/v3", "https://cloud.example.org/compute/v2.1/servers",
        "http://127.0.0.1:8774/", "http://internal.example.net/x")


def test_the_same_settings_as_requests_and_the_environment_read_once(monkeypatch):
    monkeypatch.setenv("http_proxy", "http://proxy.example.org:3128")
    monkeypatch.setenv("https_proxy", "http://proxy.example.org:3129")
    monkeypatch.setenv("no_proxy", "127.0.0.1,internal.example.net")
    plain, kept = requests.Session(), requests.Session()
    environment_once(kept)
    for url in URLS:
        for proxies in ({}, {"http": "http://mine:1"}):
            expected = plain.merge_environment_settings(url, dict(proxies), None, True, None)
            assert kept.merge_environment_settings(url, dict(proxies), None, True, None) == expected
    assert kept.merge_environment_settings(URLS[0], {}, None, True, None)["proxies"]["http"] == \
        "http://proxy.example.org:3128"
    reads = []
    monkeypatch.setattr("requests.sessions.get_environ_proxies", lambda *a, **k: reads.append(a) or {})
    for _ in range(5):
        kept.merge_environment_settings(URLS[0], {}, None, True, None)
    assert reads == []  # answered from what was read the first time
    answer = kept.merge_environment_settings(URLS[0], {}, None, True, None)
    answer["proxies"]["http"] = "changed"  # a caller's change stays its own
    assert kept.merge_environment_settings(URLS[0], {}, None, True, None)["proxies"]["http"] != "changed"

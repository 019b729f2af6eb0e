"""Console logs of the demo instances: cloud-init's host key blocks, Nova's `length`, and the parser."""

from __future__ import annotations

import datetime as dt
import re

import asyncssh
import pytest

from exotui.demo import console, neutron
from exotui.demo.world import Knobs, World

BOOT = dt.datetime(2024, 11, 21, 23, 19, 52, tzinfo=dt.timezone.utc)


@pytest.fixture()
def world(monkeypatch):
    w = World(Knobs(delay_scale=0))
    ports = {"s1": [{"id": "p1", "mac_address": "fa:16:3e:4b:09:11",
                     "fixed_ips": [{"subnet_id": "sub1", "ip_address": "10.0.3.17"}]}]}
    monkeypatch.setattr(neutron, "device_ports", lambda world, sid: ports.get(sid, []))
    w.subnets["sub1"] = {"id": "sub1", "cidr": "10.0.0.0/16"}
    w.flavors["2"] = {"id": "2", "name": "m3.small", "vcpus": 2, "ram": 6144}
    w.images["ubuntu"] = {"id": "ubuntu", "os_distro": "ubuntu", "os_version": "24.04", "default_user": "ubuntu"}
    w.images["rocky"] = {"id": "rocky", "os_distro": "rocky", "os_version": "9", "default_user": "rocky"}
    w.keypairs[("u1", "k")] = {"name": "k", "public_key": asyncssh.generate_private_key(
        "ssh-ed25519", comment="exotui-demo").export_public_key().decode().strip()}
    return w


def server(sid="s1", name="web-frontend", image="ubuntu", launched: dt.datetime | None = BOOT) -> dict:
    """A server as Nova keeps it in world.servers (its API view is built from these fields)."""
    return {"id": sid, "name": name, "hostname": name, "status": "ACTIVE", "user_id": "u1", "key_name": "k",
            "image": {"id": image}, "_flavor_id": "2", "_created": BOOT - dt.timedelta(seconds=12),
            "_launched": launched}


def api_shaped(sid: str, name: str, image: str) -> dict:
    """A server dict as the API shows it (no private fields), which console_output also reads."""
    return {"id": sid, "name": name, "status": "ACTIVE", "user_id": "u1", "key_name": "k", "image": {"id": image},
            "flavor": {"vcpus": 4, "ram": 15360}, "OS-SRV-USG:launched_at": "2024-11-21T23:19:52.000000"}


def test_log_carries_the_instance_host_key_in_cloud_init_format(world):
    s = server()
    log = console.console_output(world, s, None)
    key = console.host_key(world, s)
    kind, blob = key.export_public_key("openssh").decode().split()[:2]
    fingerprint = key.get_fingerprint("sha256")
    lines = log.split("\r\n")
    begin = lines.index("<14>Nov 21 23:19:58 cloud-init: -----BEGIN SSH HOST KEY FINGERPRINTS-----")
    assert lines[begin - 1] == "<14>Nov 21 23:19:58 cloud-init: " + "#" * 61
    assert lines[begin + 1] == f"<14>Nov 21 23:19:58 cloud-init: 256 {fingerprint} root@web-frontend (ED25519)"
    assert lines[begin + 2:begin + 8] == [
        "<14>Nov 21 23:19:58 cloud-init: -----END SSH HOST KEY FINGERPRINTS-----",
        "<14>Nov 21 23:19:58 cloud-init: " + "#" * 61,
        "-----BEGIN SSH HOST KEY KEYS-----",
        f"ssh-ed25519 {blob} root@web-frontend",
        "-----END SSH HOST KEY KEYS-----",
        lines[begin + 7]]
    assert kind == "ssh-ed25519"
    assert re.match(r"\[ +\d+\.\d{6}\] cloud-init\[\d+\]: Cloud-init v\. 24\.4-0ubuntu1~24\.04\.2 finished at "
                    r"Thu, 21 Nov 2024 23:19:58 \+0000\. Datasource DataSourceOpenStackLocal", lines[begin + 7])
    assert lines[-1] == "web-frontend login: "
    assert "Ubuntu 24.04.1 LTS web-frontend ttyS0" in lines
    assert lines[0].startswith("[    0.000000] Linux version 6.8.0-")
    assert any("systemd[1]: Hostname set to <web-frontend>." in line for line in lines)
    assert any("smp: Brought up 1 node, 2 CPUs" in line for line in lines)
    assert any(re.search(r"ci-info: \| +ens3 +\| True \| 10\.0\.3\.17 \| 255\.255\.0\.0 \| global \| "
                         r"fa:16:3e:4b:09:11 \|", line) for line in lines)
    assert f"{fingerprint} root@web-frontend" in log  # also in ssh-keygen's output above the blocks


def test_log_reads_back_with_the_parser(world):
    s = server()
    log = console.console_output(world, s, None)
    key = console.host_key(world, s)
    assert console.parse_host_keys(log) == [tuple(key.export_public_key("openssh").decode().split()[:2])]
    assert console.parse_fingerprints(log) == [(256, key.get_fingerprint("sha256"), "ED25519")]


def test_host_key_is_made_once_per_instance(world):
    a, b = server("s1"), server("s2", "other")
    assert "_host_key" not in a
    key = console.host_key(world, a)
    assert console.host_key(world, a) is key is a["_host_key"]
    assert console.host_key(world, b).public_data != key.public_data
    assert console.console_output(world, a, None) == console.console_output(world, a, None)


def test_length_keeps_the_last_lines_as_nova_does(world):
    s = server()
    full = console.console_output(world, s, None)
    assert console.console_output(world, s, 3) == "\n".join(full.split("\n")[-3:])
    assert console.console_output(world, s, 3).endswith("\r\n\r\nweb-frontend login: ")
    assert console.console_output(world, s, 0) == ""
    assert console.console_output(world, s, -1) == full
    assert console.console_output(world, s, 10_000) == full
    assert console.parse_host_keys(console.console_output(world, s, 8)) == console.parse_host_keys(full)
    assert console.parse_host_keys(console.console_output(world, s, 6)) == []  # BEGIN cut off


def test_log_grows_with_uptime(world, monkeypatch):
    world.knobs.delay_scale = 1.0
    s = server(launched=BOOT)
    monkeypatch.setattr(world, "now", lambda: BOOT + dt.timedelta(seconds=1))
    early = console.console_output(world, s, None)
    assert "Linux version" in early and "cloud-init" not in early
    monkeypatch.setattr(world, "now", lambda: BOOT + dt.timedelta(seconds=60))
    late = console.console_output(world, s, None)
    assert late.startswith(early) and console.parse_host_keys(late)


def test_other_distributions_and_names(world):
    s = api_shaped("s2", "Analysis Rocky_2", "rocky")
    log = console.console_output(world, s, None)
    assert console.hostname(s) == "analysis-rocky-2"
    assert "root@analysis-rocky-2 (ED25519)" in log
    assert "Rocky Linux 9.5 (Blue Onyx)\r\nKernel 5.14.0-" in log
    assert "smp: Brought up 1 node, 4 CPUs" in log
    assert "<14>Nov 21 23:19:58 cloud-init: -----BEGIN SSH HOST KEY FINGERPRINTS-----" in log
    assert "Authorized keys from /home/rocky/.ssh/authorized_keys for user rocky" in log
    assert log.endswith("analysis-rocky-2 login: ")
    assert console.default_user(world, s) == "rocky"
    volume_booted = dict(server("s3", "from-volume"), image="")
    assert console.default_user(world, volume_booted) is None
    assert console.parse_host_keys(console.console_output(world, volume_booted, None))


# --- the parser on logs it did not write -------------------------------------------------------------

def _keys():
    return [asyncssh.generate_private_key("ecdsa-sha2-nistp256"), asyncssh.generate_private_key("ssh-ed25519"),
            asyncssh.generate_private_key("ssh-rsa", key_size=3072)]


def _public(key) -> tuple[str, str]:
    kind, blob = key.export_public_key("openssh").decode().split()[:2]
    return kind, blob


def _real_style_log(keys, eol="\r\n", tag="<14>Jan  6 15:27:31 cloud-init: ") -> str:
    fps = [f"{tag}{bits} {k.get_fingerprint('sha256')} root@vm1 ({n})"
           for k, bits, n in zip(keys, (256, 256, 3072), ("ECDSA", "ED25519", "RSA"))]
    lines = ["[   12.101] cloud-init[801]: Cloud-init v. 24.1.3 running 'modules:final'",
             f"{tag}{'#' * 61}", f"{tag}-----BEGIN SSH HOST KEY FINGERPRINTS-----", *fps,
             f"{tag}-----END SSH HOST KEY FINGERPRINTS-----", f"{tag}{'#' * 61}",
             "-----BEGIN SSH HOST KEY KEYS-----",
             *(" ".join(_public(k)) + " root@vm1" for k in keys),
             "-----END SSH HOST KEY KEYS-----", "[   12.551] cloud-init[801]: Cloud-init v. 24.1.3 finished"]
    return eol.join(lines) + eol


def test_parser_reads_a_three_key_log_with_crlf():
    keys = _keys()
    log = _real_style_log(keys)
    assert console.parse_host_keys(log) == [_public(k) for k in keys]
    assert [(bits, kind) for bits, _, kind in console.parse_fingerprints(log)] == [
        (256, "ECDSA"), (256, "ED25519"), (3072, "RSA")]


def test_parser_reads_wrapped_lines_and_other_prefixes():
    keys = _keys()
    log = _real_style_log(keys, eol="\n", tag="ec2: ")
    # a console 80 columns wide wraps the long key lines
    wrapped = "\n".join(line[i:i + 80] or "" for line in log.split("\n") for i in range(0, max(len(line), 1), 80))
    assert wrapped.count("\n") > log.count("\n") + 5
    assert console.parse_host_keys(wrapped) == [_public(k) for k in keys]
    # a wrap exactly at the space before the comment glues the comment onto the blob
    kind, blob = _public(keys[1])
    glued = f"-----BEGIN SSH HOST KEY KEYS-----\r\n{kind} {blob}\r\nroot@vm1\r\n-----END SSH HOST KEY KEYS-----\r\n"
    assert console.parse_host_keys(glued) == [(kind, blob)]
    # prefixes on the key lines themselves
    prefixed = (f"[   9.1] cloud-init[700]: -----BEGIN SSH HOST KEY KEYS-----\n"
                f"<14>Jan  6 15:27:31 vm1 cloud-init: {kind} {blob} root@vm1\n"
                f"ec2: -----END SSH HOST KEY KEYS-----\n")
    assert console.parse_host_keys(prefixed) == [(kind, blob)]


def test_parser_takes_the_last_complete_block_and_skips_damage():
    first, second = _keys()[:2]
    kind, blob = _public(second)
    log = (_real_style_log([first, first, first])
           + "-----BEGIN SSH HOST KEY KEYS-----\r\n"
           + f"{kind} {blob} root@vm1\r\n"
           + f"ssh-ed25519 {blob[:-8]} root@vm1\r\n"  # truncated: not a whole ed25519 blob
           + f"ssh-rsa {blob} root@vm1\r\n"  # type does not match the blob
           + "some noise\r\n"
           + "-----END SSH HOST KEY KEYS-----\r\n"
           + "-----BEGIN SSH HOST KEY KEYS-----\r\n"  # a block still being written
           + "ssh-ed25519 AAAA")
    assert console.parse_host_keys(log) == [(kind, blob)]
    assert console.parse_host_keys("no keys here\n") == []
    assert console.parse_fingerprints("") == []

"""The demo instances' serial console logs, with cloud-init's SSH host key blocks, and a parser for them.

Every instance gets one ed25519 host key, made the first time anything needs it (the console log
or its SSH endpoint). The console log is a believable Linux boot whose cloud-init part prints that
key exactly as cloud-init's `write-ssh-key-fingerprints` does, so a client can learn the host key
from `os-getConsoleOutput` before its first SSH connection, as on a real cloud.

`parse_host_keys` and `parse_fingerprints` read those blocks back from any console log; they live in
`exotui.ssh.hostkeys` (the client needs them and must not import the demo) and are re-exported here.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import email.utils
import hashlib
import ipaddress
import random
import re

import asyncssh

from ..ssh.hostkeys import parse_fingerprints, parse_host_keys  # noqa: F401  (re-exported)
from . import neutron, nova, usage
from .common import parse_time
from .world import World

# --- the host key ---------------------------------------------------------------------------------


def host_key(world: World, server: dict) -> asyncssh.SSHKey:
    """The instance's ed25519 host key, generated on first use (thousands of servers never need one)."""
    key = server.get("_host_key")
    if key is None:
        key = asyncssh.generate_private_key("ssh-ed25519", comment=f"root@{hostname(server)}")
        server["_host_key"] = key
    return key


def hostname(server: dict) -> str:
    """The guest's hostname as Nova's metadata gives it: the server name, sanitized like Nova does."""
    if server.get("hostname"):
        return server["hostname"]
    name = re.sub(r"[ _]", "-", server.get("name", "").lower())
    name = re.sub(r"[^\w.-]+", "", name, flags=re.ASCII).strip(".-")
    return name[:63] or f"server-{server['id']}"


def default_user(world: World, server: dict) -> str | None:
    """The login the image documents in its `default_user` property (None if it has none)."""
    return _image(world, server).get("default_user")


def _image(world: World, server: dict) -> dict:
    ref = server.get("image")
    image_id = ref.get("id", "") if isinstance(ref, dict) else ""  # "" when booted from a volume
    return world.images.get(image_id, {})


# --- the console log ------------------------------------------------------------------------------

# What each distribution's boot shows: kernel, systemd, cloud-init version, /etc/issue's name
_DISTROS = {
    ("ubuntu", "24.04"): ("6.8.0-48-generic", "#48-Ubuntu SMP PREEMPT_DYNAMIC Fri Sep 27 14:04:52 UTC 2024",
                          "255.4-1ubuntu8.4", "24.4-0ubuntu1~24.04.2", "Ubuntu 24.04.1 LTS"),
    ("ubuntu", "22.04"): ("5.15.0-125-generic", "#135-Ubuntu SMP Fri Sep 27 13:53:58 UTC 2024",
                          "249.11-0ubuntu3.12", "24.4-0ubuntu1~22.04.1", "Ubuntu 22.04.5 LTS"),
    ("rocky", "9"): ("5.14.0-503.14.1.el9_5.x86_64", "#1 SMP PREEMPT_DYNAMIC Fri Nov 15 12:04:32 UTC 2024",
                     "252-46.el9_5.2.0.1.rocky", "23.4-19.el9.0.1", "Rocky Linux 9.5 (Blue Onyx)"),
}
_GENERIC = ("6.1.0-27-cloud-amd64", "#1 SMP PREEMPT_DYNAMIC Debian 6.1.115-1 (2024-11-01)", "252.31-1~deb12u1",
            "22.4.2-1", "Debian GNU/Linux 12")
_EPOCH = dt.datetime(2024, 11, 21, 23, 19, 52, tzinfo=dt.timezone.utc)  # boot time of a server with no dates
_MONTHS = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()


MAX_CONSOLE_BYTES = 100 * 1024  # Nova's libvirt driver returns the last 100 KiB of the log


def console_output(world: World, server: dict, length: int | None = None) -> str:
    """The instance's console log as Nova's os-getConsoleOutput returns it.

    `length` keeps only the last N lines, split on "\\n" as Nova's compute manager does
    (None or a negative number: everything; 0: nothing). Lines end "\\r\\n" as on a serial console.
    The log grows with the instance's uptime (scaled by the delay knob, so instantly in tests):
    a client polling right after boot sees the key blocks appear a few seconds in. Instances with a
    usage reporter (demo/usage.py) add a line a minute after the boot; like libvirt's, the log is cut to
    its last 100 KiB, so on an instance up for a day the boot has scrolled away.
    """
    for reader in world.console_readers:
        reader(server)
    boot = _boot_time(server)
    now = world.now()
    elapsed = (now - boot).total_seconds()
    scale = world.knobs.delay_scale
    text = "".join(line for uptime, line in _boot_log(world, server, boot) if uptime * scale <= elapsed)
    if length == 0:
        return ""
    # only what can be returned: the last `length` lines, or what fits in 100 KiB (>= 80 bytes a line)
    wanted = length if length is not None and length > 0 else MAX_CONSOLE_BYTES // 80 + 1
    text += "".join(usage.lines(server, boot, now, last=wanted))
    if len(text) > MAX_CONSOLE_BYTES:
        text = text.encode()[-MAX_CONSOLE_BYTES:].decode(errors="ignore")
    if length is None or length < 0:
        return text
    return "\n".join(text.split("\n")[-length:])


def _boot_time(server: dict) -> dt.datetime:
    """When the instance booted: Nova's own record (`_launched`), else what the API shows."""
    for key in ("_launched", "_created", "OS-SRV-USG:launched_at", "created"):
        value = server.get(key)
        if isinstance(value, dt.datetime):
            return value
        if value:
            try:
                return parse_time(value)
            except ValueError:
                pass
    return _EPOCH


def _boot_log(world: World, server: dict, boot: dt.datetime) -> list[tuple[float, str]]:
    """Every line of the boot, as (seconds after boot when it appears, text with its line end)."""
    rng = random.Random(server["id"])  # the same server always boots the same way
    image = _image(world, server)
    kernel, build, systemd, cloudinit, issue = _DISTROS.get(
        (str(image.get("os_distro", "")), str(image.get("os_version", ""))), _GENERIC)
    name = hostname(server)
    flavor = server.get("flavor") or (nova.instance_flavor(world, server) if server.get("_flavor_id") else {})
    vcpus, ram_kb = int(flavor.get("vcpus") or 2), int(flavor.get("ram") or 6144) * 1024
    key = host_key(world, server)
    public = key.export_public_key("openssh").decode().split()[:2]
    fingerprint = key.get_fingerprint("sha256")
    user = image.get("default_user") or "cloud-user"
    ubuntu = "ubuntu" in kernel or "Ubuntu" in issue

    out: list[tuple[float, str]] = []
    clock = 0.0

    def kernel_line(text: str, step: float = 0.0) -> None:
        nonlocal clock
        clock += step * (0.5 + rng.random())
        out.append((clock, f"[{clock:12.6f}] {text}\r\n"))

    def ci(pid: int, text: str) -> None:
        kernel_line(f"cloud-init[{pid}]: {text}", 0.002)

    def plain(text: str, step: float = 0.0) -> None:
        nonlocal clock
        clock += step
        out.append((clock, f"{text}\r\n"))

    def stamp() -> str:  # cloud-init's "at Thu, 21 Nov 2024 23:20:14 +0000"
        return email.utils.format_datetime(boot + dt.timedelta(seconds=clock))

    kernel_line(f"Linux version {kernel} (buildd@lcy02-amd64-094) (x86_64-linux-gnu-gcc-13 (GCC) 13.2.0, "
                f"GNU ld 2.42) {build}")
    kernel_line(f"Command line: BOOT_IMAGE=/vmlinuz-{kernel} root=LABEL=cloudimg-rootfs ro console=tty1 "
                f"console=ttyS0")
    for text in ("KERNEL supported cpus:", "  Intel GenuineIntel", "  AMD AuthenticAMD",
                 "DMI: OpenStack Foundation OpenStack Nova, BIOS 1.16.3-debian-1.16.3-2 04/01/2014",
                 "Hypervisor detected: KVM", "kvm-clock: using sched offset of 5132473861 cycles"):
        kernel_line(text)
    kernel_line(f"Memory: {ram_kb - 181_272}K/{ram_kb}K available (20480K kernel code, 4405K rwdata, "
                f"14524K rodata, 4956K init, 4500K bss, 181272K reserved, 0K cma-reserved)", 0.01)
    kernel_line(f"smpboot: Allowing {vcpus} CPUs, 0 hotplug CPUs", 0.01)
    kernel_line(f"smp: Brought up 1 node, {vcpus} CPUs", 0.2)
    kernel_line("virtio_blk virtio2: [vda] 41943040 512-byte logical blocks (21.5 GB/20.0 GiB)", 0.4)
    kernel_line("virtio_net virtio1 ens3: renamed from eth0", 0.05)
    kernel_line("EXT4-fs (vda1): mounted filesystem with ordered data mode. Quota mode: none.", 0.5)
    kernel_line(f"systemd[1]: systemd {systemd} running in system mode (+PAM +AUDIT +SELINUX +APPARMOR)", 0.6)
    kernel_line("systemd[1]: Detected virtualization kvm.", 0.01)
    kernel_line(f"systemd[1]: Hostname set to <{name}>.", 0.01)

    pid = 600 + rng.randrange(200)
    ci(pid, f"Cloud-init v. {cloudinit} running 'init-local' at {stamp()}. Up {clock:.2f} seconds.")
    clock += 1.5
    pid += 40 + rng.randrange(40)
    ci(pid, f"Cloud-init v. {cloudinit} running 'init' at {stamp()}. Up {clock:.2f} seconds.")
    for row in _table("Net device info", ["Device", "Up", "Address", "Mask", "Scope", "Hw-Address"],
                      _net_rows(world, server)):
        ci(pid, f"ci-info: {row}")
    for text in ["Generating public/private ed25519 key pair.",
                 "Your identification has been saved in /etc/ssh/ssh_host_ed25519_key",
                 "Your public key has been saved in /etc/ssh/ssh_host_ed25519_key.pub",
                 "The key fingerprint is:", f"{fingerprint} root@{name}", "The key's randomart image is:",
                 *_randomart(fingerprint)]:
        ci(pid, text)
    kernel_line(f"cloud-init[{pid}]: Generating keys done.", 0.3)
    daemon = "ssh.service - OpenBSD Secure Shell server" if ubuntu else "sshd.service - OpenSSH server daemon"
    plain(f"[  OK  ] Started {daemon}.", 0.4)
    clock += 1.0
    pid += 300 + rng.randrange(100)
    ci(pid, f"Cloud-init v. {cloudinit} running 'modules:config' at {stamp()}. Up {clock:.2f} seconds.")
    clock += 1.2
    pid += 20 + rng.randrange(30)
    ci(pid, f"Cloud-init v. {cloudinit} running 'modules:final' at {stamp()}. Up {clock:.2f} seconds.")
    for row in _table(f"Authorized keys from /home/{user}/.ssh/authorized_keys for user {user}",
                      ["Keytype", "Fingerprint (sha256)", "Options", "Comment"], _authorized_rows(world, server)):
        ci(pid, f"ci-info: {row}")

    # cloud-init's write-ssh-key-fingerprints: fingerprints through `logger -s` (syslog prefix),
    # then the keys themselves with a plain `cat`
    clock += 0.3
    when = boot + dt.timedelta(seconds=clock)
    prefix = f"<14>{_MONTHS[when.month - 1]} {when.day:2d} {when:%H:%M:%S} cloud-init: "
    for text in ("#" * 61, "-----BEGIN SSH HOST KEY FINGERPRINTS-----", f"256 {fingerprint} root@{name} (ED25519)",
                 "-----END SSH HOST KEY FINGERPRINTS-----", "#" * 61):
        plain(prefix + text)
    for text in ("-----BEGIN SSH HOST KEY KEYS-----", f"{public[0]} {public[1]} root@{name}",
                 "-----END SSH HOST KEY KEYS-----"):
        plain(text)
    clock += 0.1
    ci(pid, f"Cloud-init v. {cloudinit} finished at {stamp()}. Datasource DataSourceOpenStackLocal "
            f"[net,ver=2].  Up {clock:.2f} seconds")
    plain("", 0.2)
    if ubuntu:
        plain(f"{issue} {name} ttyS0")
    else:
        plain(issue)
        plain(f"Kernel {kernel} on an x86_64")
    plain("")
    out.append((clock, f"{name} login: "))
    return out


def _net_rows(world: World, server: dict) -> list[list[str]]:
    rows = []
    for port in neutron.device_ports(world, server["id"]):
        for fixed in port.get("fixed_ips", [])[:1]:
            cidr = world.subnets.get(fixed.get("subnet_id", ""), {}).get("cidr", "10.0.0.0/16")
            mask = str(ipaddress.ip_network(cidr, strict=False).netmask)
            rows.append([f"ens{3 + len(rows)}", "True", fixed["ip_address"], mask, "global", port["mac_address"]])
    return rows + [["lo", "True", "127.0.0.1", "255.0.0.0", "host", "."]]


def _authorized_rows(world: World, server: dict) -> list[list[str]]:
    keypair = world.keypairs.get((server.get("user_id", ""), server.get("key_name") or ""))
    if not keypair:
        return []
    words = keypair["public_key"].split()
    try:
        blob = base64.b64decode(words[1])
    except (IndexError, binascii.Error):
        return []
    digest = hashlib.sha256(blob).hexdigest()
    return [[words[0], ":".join(digest[i:i + 2] for i in range(0, 64, 2)), "-",
             " ".join(words[2:]) or keypair["name"]]]


def _table(title: str, header: list[str], rows: list[list[str]]) -> list[str]:
    """A table the way cloud-init's ci-info prints it (PrettyTable, centred cells, title in a + rule)."""
    widths = [max(len(str(r[i])) for r in [header, *rows]) + 2 for i in range(len(header))]
    rule = "+" + "+".join("-" * w for w in widths) + "+"

    def line(cells: list[str]) -> str:
        return "|" + "|".join(str(c).center(w) for c, w in zip(cells, widths)) + "|"

    return [f"{title:+^{len(rule)}}", rule, line(header), rule, *map(line, rows), rule]


def _randomart(fingerprint: str) -> list[str]:
    """OpenSSH's "drunken bishop" picture of a SHA256 fingerprint (sshkey.c fingerprint_randomart)."""
    digest = base64.b64decode(fingerprint.split(":", 1)[1] + "=")
    symbols = " .o+=*BOX@%&#/^SE"
    width, height = 17, 9
    field = [[0] * height for _ in range(width)]
    x, y = width // 2, height // 2
    top = len(symbols) - 1
    for byte in digest:
        for _ in range(4):
            x = min(max(x + (1 if byte & 1 else -1), 0), width - 1)
            y = min(max(y + (1 if byte & 2 else -1), 0), height - 1)
            if field[x][y] < top - 2:
                field[x][y] += 1
            byte >>= 2
    field[width // 2][height // 2] = top - 1
    field[x][y] = top
    lines = ["+" + f"{'[ED25519 256]':-^{width}}" + "+"]
    lines += ["|" + "".join(symbols[field[i][j]] for i in range(width)) + "|" for j in range(height)]
    return lines + ["+" + f"{'[SHA256]':-^{width}}" + "+"]

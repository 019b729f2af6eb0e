"""The one-minute usage reporter that gives a non-Exosphere instance graphs too, as data: the script, the
cron entry and the commands that install or remove it, for the UI to offer over SSH with the user's consent.

It writes the line Exosphere's own reporter writes (ansible role `system-load-logging`: a script in /opt,
run by root's cron every minute with its output sent to `/dev/console`, or `/dev/kmsg` on the Red Hat
family), so Exosphere and exotui read it alike. The script is exotui's own, reading /proc and statvfs
directly (no `top`/`free`/`df` parsing), with the numbers meaning what Exosphere's mean: CPU not idle,
memory not available, root filesystem used as `df` shows it, and `nvidia-smi`'s GPU utilisation or null.
"""

from __future__ import annotations

import shlex

SCRIPT_PATH = "/opt/system_load_json.py"  # Exosphere's path: an instance that has it already is left alone
CRON_FILE = "/etc/cron.d/exotui-usage"
MARKER = "exotui usage reporter"

SCRIPT = '''#!/usr/bin/env python3
"""One line of JSON about this machine's load, as Exosphere's system_load_json.py writes it (exotui)."""
import json, math, os, subprocess, sys, time


def cpu_times():
    with open("/proc/stat") as f:
        fields = [int(x) for x in f.readline().split()[1:]]
    return fields[3] + (fields[4] if len(fields) > 4 else 0), sum(fields[:8])


def cpu():
    idle1, total1 = cpu_times()
    time.sleep(1)
    idle2, total2 = cpu_times()
    busy = total2 - total1
    return round(100 * (1 - (idle2 - idle1) / busy)) if busy > 0 else 0


def mem():
    info = {}
    with open("/proc/meminfo") as f:
        for line in f:
            key, value = line.split(":", 1)
            info[key] = int(value.split()[0])
    return round(100 - info["MemAvailable"] * 100 / info["MemTotal"])


def disk():
    st = os.statvfs("/")
    used = (st.f_blocks - st.f_bfree) * st.f_frsize
    avail = st.f_bavail * st.f_frsize
    return math.ceil(used * 100 / (used + avail)) if used + avail else 0


def gpu():
    try:
        out = subprocess.run(["nvidia-smi", "--query-gpu=utilization.gpu", "--format=csv,noheader,nounits"],
                             capture_output=True, text=True, timeout=20, check=True).stdout
        return [int(x) for x in out.split()]
    except Exception:
        return None


line = {"epoch": round(time.time()), "cpuPctUsed": cpu(), "memPctUsed": mem(), "rootfsPctUsed": disk(),
        "gpuPctUsed": gpu()}
sys.stdout.buffer.write((json.dumps(line) + "\\n").encode())
'''


def console_file(os_family: str) -> str:
    """Where the line goes: the serial console Nova logs (/dev/kmsg on the Red Hat family, as Exosphere)."""
    return "/dev/kmsg" if os_family.lower() in ("rocky", "rhel", "centos", "almalinux", "fedora", "redhat") \
        else "/dev/console"


def cron_line(os_family: str) -> str:
    """The /etc/cron.d entry: every minute, as root, output to the console."""
    return f"* * * * * root {SCRIPT_PATH} > {console_file(os_family)}"


def os_family(image_properties: dict | None, image_name: str = "") -> str:
    """The instance's distribution as console_file() wants it: the image's os_distro, else a guess from its name."""
    distro = str((image_properties or {}).get("os_distro") or "").lower()
    if distro:
        return distro
    name = image_name.lower()
    return next((d for d in ("rocky", "rhel", "centos", "almalinux", "fedora") if d in name), "ubuntu")


# the last line each script prints (`exotui-usage: WORD`), the outcome read back by ssh/reporter.py
OUTCOME = "exotui-usage:"
_SUDO = "sudo -n"  # never a password prompt: run without a terminal, a sudo that would ask fails with its reason


def install_script(os_family: str) -> str:
    """Shell commands for the instance's login shell, run non-interactively over SSH (sudo without a password,
    as cloud images give their default user). An instance that has Exosphere's reporter already keeps it (same
    path, in root's crontab) and gets no second cron entry; one that has exotui's gets nothing new.
    The last line printed says which: `exotui-usage: installed`, `exosphere` or `already`."""
    heredoc = "EXOTUI_USAGE_EOF"
    cron = cron_line(os_family)
    script, cron_file = shlex.quote(SCRIPT_PATH), shlex.quote(CRON_FILE)
    return "\n".join([
        f"# {MARKER}: one line of CPU/memory/disk/GPU use a minute to the console log (Exosphere's format)",
        "set -e",
        f"{_SUDO} true  # fails at once, with sudo's reason, where sudo would ask for a password",
        f"if {_SUDO} test -x {script} && {_SUDO} crontab -l 2>/dev/null | grep -qF {script}; then",
        f"echo '{OUTCOME} exosphere'; exit 0",
        "fi",
        f"if {_SUDO} test -f {cron_file}; then echo '{OUTCOME} already'; exit 0; fi",
        f"if ! {_SUDO} test -x {script}; then",
        f"{_SUDO} tee {script} >/dev/null <<'{heredoc}'",
        SCRIPT.rstrip("\n"),
        heredoc,
        f"{_SUDO} chmod 0544 {script}",
        "fi",
        f"printf '%s\\n' {shlex.quote(f'# {MARKER}')} {shlex.quote(cron)} | {_SUDO} tee {cron_file} >/dev/null",
        f"{_SUDO} sh -c {shlex.quote(f'{SCRIPT_PATH} > {console_file(os_family)}')}  # the first line now",
        f"echo '{OUTCOME} installed'",
    ]) + "\n"


def uninstall_script() -> str:
    """Remove what install_script added (Exosphere's own reporter, in root's crontab, is left alone). The last
    line printed: `exotui-usage: removed`, or `none` when there was no exotui reporter."""
    cron_file = shlex.quote(CRON_FILE)
    return "\n".join([
        f"# {MARKER}: remove exotui's cron entry (the script in /opt stays: Exosphere's may share its path)",
        "set -e",
        f"{_SUDO} true  # fails at once, with sudo's reason, where sudo would ask for a password",
        f"if {_SUDO} test -f {cron_file}; then",
        f"{_SUDO} rm -f {cron_file}",
        f"echo '{OUTCOME} removed'",
        "else",
        f"echo '{OUTCOME} none'",
        "fi",
    ]) + "\n"


_SAID = {"installed": (True, "usage reporter installed: a line a minute to its console, graphs from the next poll"),
         "exosphere": (True, "already has Exosphere's usage reporter: nothing changed"),
         "already": (True, "already has exotui's usage reporter: nothing changed"),
         "removed": (True, "usage reporter removed: no more usage lines"),
         "none": (True, "has no exotui usage reporter: nothing to remove")}


def outcome(exit_status: int | None, stdout: str, stderr: str) -> tuple[bool, str]:
    """(done, what happened) from a script's run: its outcome word, else the last line it complained with."""
    for line in reversed(stdout.splitlines()):
        if line.startswith(OUTCOME):
            said = _SAID.get(line[len(OUTCOME):].strip())
            if said is not None and exit_status == 0:
                return said
            break
    complaint = next((line.strip() for line in reversed(stderr.splitlines()) if line.strip()), "")
    if not complaint:
        complaint = f"the commands ended with exit status {exit_status}" if exit_status is not None else \
            "the connection closed before the commands ended"
    return False, complaint

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


def install_script(os_family: str) -> str:
    """Shell commands to type into the instance's SSH session (run with sudo; they ask for nothing more).
    An instance that has Exosphere's reporter already keeps it (same path) and gets no second cron entry."""
    heredoc = "EXOTUI_USAGE_EOF"
    cron = cron_line(os_family)
    return "\n".join([
        f"# {MARKER}: one line of CPU/memory/disk/GPU use a minute to the console log (Exosphere's format)",
        f"if [ ! -x {SCRIPT_PATH} ]; then",
        f"sudo tee {SCRIPT_PATH} >/dev/null <<'{heredoc}'",
        SCRIPT.rstrip("\n"),
        heredoc,
        f"sudo chmod 0544 {SCRIPT_PATH}",
        "fi",
        f"sudo crontab -l 2>/dev/null | grep -qF {shlex.quote(SCRIPT_PATH)} || "
        f"echo {shlex.quote(f'# {MARKER}')}$'\\n'{shlex.quote(cron)} | sudo tee {CRON_FILE} >/dev/null",
        f"sudo sh -c {shlex.quote(f'{SCRIPT_PATH} > {console_file(os_family)}')}  # the first line now",
    ]) + "\n"


def uninstall_script() -> str:
    """Remove what install_script added (Exosphere's own reporter, in root's crontab, is left alone)."""
    return f"sudo rm -f {CRON_FILE}\n"

"""What the demo's Exosphere-style instances write to their console once a minute: believable load curves.

A server with `_usage` (a profile name) and `_usage_since` (when its cron began) writes, for every whole
minute from then to the world's clock (or to `_usage_until`, when its reporter was removed: demo/sshd.py) while
it is ACTIVE, the line Exosphere's `system_load_json.py` writes, to /dev/console (plain) or, on the Red Hat
family, /dev/kmsg (after the kernel's `[ uptime]`).
Each value is a pure function of (server, minute), so the log is the same at every read and for every
seed, and a read of the last N lines computes only those.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import random

PROFILES = ("idle", "busy", "gpu", "filling", "light")


def _noise(server_id: str, minute: int) -> random.Random:
    return random.Random(f"{server_id}:{minute}")


def sample(profile: str, server_id: str, minute: int, since_minute: int) -> dict:
    """The reporter's dict for one minute (`minute`: minutes since 1970)."""
    rng = _noise(server_id, minute)
    day = math.sin(2 * math.pi * ((minute % 1440) / 1440.0 - 0.25))  # -1 at 06:00 UTC, +1 at 18:00
    hours = (minute - since_minute) / 60.0
    gpu = None
    if profile == "idle":  # a forgotten instance: sshd and cron only
        cpu = 1 if rng.random() < 0.2 else 0
        mem, disk = 18 + rng.randrange(2), 31
    elif profile == "busy":  # an assembly job: CPU pinned, memory creeping up towards the edge
        cpu = min(100, 88 + rng.randrange(13))
        mem = min(98, int(80 + hours * 1.5) + rng.randrange(3))
        disk = 54 + int(hours / 24)
    elif profile == "gpu":  # training: GPU busy, CPU feeding it, evaluation dips every 2 hours
        dip = (minute % 120) < 8
        cpu = (12 if dip else 35) + rng.randrange(15)
        gpu = [(5 if dip else 91) + rng.randrange(8)]
        mem, disk = 61 + rng.randrange(4), 72
    elif profile == "filling":  # a database whose logs fill the disk
        cpu = max(0, int(12 + 10 * day) + rng.randrange(6))
        mem = 44 + rng.randrange(5)
        disk = min(99, int(88 + hours * 0.9))
    else:  # light: someone works in office hours
        cpu = max(0, int(8 + 7 * day) + rng.randrange(5))
        mem, disk = 27 + rng.randrange(4), 22
    return {"epoch": minute * 60, "cpuPctUsed": cpu, "memPctUsed": mem, "rootfsPctUsed": disk, "gpuPctUsed": gpu}


def lines(server: dict, boot: dt.datetime, now: dt.datetime, last: int | None = None) -> list[str]:
    """The usage lines up to `now` (only the last `last` of them when given), with "\\r\\n" ends."""
    profile, since = server.get("_usage"), server.get("_usage_since")
    if not profile or not isinstance(since, dt.datetime) or server.get("status") != "ACTIVE":
        return []
    first = math.ceil(since.timestamp() / 60)
    until = server.get("_usage_until")  # the reporter was removed then (demo/sshd.py)
    end = math.floor((min(now, until) if isinstance(until, dt.datetime) else now).timestamp() / 60)
    if end < first:
        return []
    start = first if last is None else max(first, end - last + 1)
    kmsg = bool(server.get("_usage_kmsg"))
    out = []
    for minute in range(start, end + 1):
        text = json.dumps(sample(profile, server["id"], minute, first))
        if kmsg:
            uptime = minute * 60 - boot.timestamp() + 0.1 + (minute % 97) / 1000
            text = f"[{uptime:12.6f}] {text}"
        out.append(text + "\r\n")
    return out

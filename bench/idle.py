"""Idle cost of the dashboard: CPU-seconds per minute with 1,000 instances loaded and nothing changing;
then how long a floating IP assigned by another client takes to show on the screen.

`exotui` runs on a real 120x40 PTY against an `exotui demo-cloud --servers` process of its own (so the
two share no CPU time); once the table shows every instance and the first loads have settled, the CPU
time of each process (utime+stime from /proc, all threads) is sampled over a window while the PTY is
drained. Printed beside the goal (0.18 CPU-s a minute, 0.3% of a core), with the bytes the dashboard
wrote to the terminal in the window (what it redrew) and the demo cloud's own CPU for scale. Then the
table is filtered to one instance, a floating IP is assigned to it through a separate openstacksdk
connection, and the seconds until its address is painted are timed (goal < 5 s), a few times.
Between the two, the terminal reports that it lost focus (`ESC [ O`, as tmux with `focus-events on` does
when its session is detached) and the same window is measured again: nobody looking, the dashboard left
open for weeks; `ESC [ I` brings focus back before the floating-IP rounds.

    .venv/bin/python bench/idle.py [--servers 1000] [--seconds 60] [--settle 20] [--baseline /path/to/other/checkout]

`--baseline` runs a second exotui from another checkout (say main's) beside this one, on the same demo
cloud over the same window, so a before/after is one run under one load (printed as a ratio).
"""

from __future__ import annotations

import argparse
import os
import select
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from ui import PTYRun, cache_byte_code, demo_cloud, exotui_argv  # noqa: E402

GOAL = 0.18  # CPU-seconds per minute
TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK  # utime, stime


def drain(run: PTYRun, seconds: float) -> int:
    """Read the PTY for `seconds` (the app would block on a full one); the bytes it wrote."""
    written = 0
    end = time.monotonic() + seconds
    while (left := end - time.monotonic()) > 0:
        ready, _, _ = select.select([run.master], [], [], min(left, 0.5))
        if ready:
            try:
                written += len(os.read(run.master, 1 << 16))
            except OSError:
                pass
    return written


def cloud_pid(clouds_yaml: Path) -> int | None:
    """The demo cloud process serving this clouds.yaml (it is our child: the one whose argv names its folder)."""
    folder = str(clouds_yaml.parent)
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                argv = (entry / "cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            if folder.encode() in argv and b"demo-cloud" in argv:
                return int(entry.name)
    return None


def outside_floating_ip(run: PTYRun, clouds_yaml: Path, rounds: int) -> list[float]:
    """Seconds from another client's floating-IP assignment to its address on the dashboard's screen."""
    import openstack

    os.environ["OS_CLIENT_CONFIG_FILE"] = str(clouds_yaml)
    conn = openstack.connect(cloud="exotui-demo")
    public = next(n for n in conn.network.networks() if n.is_router_external)
    taken = []
    try:
        # a seeded instance on the routed network, with no floating IP of its own; its IP released each round
        server = next(s for s in conn.compute.servers() if not s.name.startswith("bulk-") and s.status == "ACTIVE"
                      and not any(a.get("OS-EXT-IPS:type") == "floating" for nets in s.addresses.values()
                                  for a in nets))
        port = next(iter(conn.network.ports(device_id=server.id)))
        for keys in (b"/", server.name.encode(), b"\r"):  # the table filtered to it; the line open first
            os.write(run.master, keys)
            drain(run, 0.5)
        for _ in range(rounds):
            run.screen = ""
            fip = conn.network.create_ip(floating_network_id=public.id, port_id=port.id)
            run.started = time.perf_counter()
            taken.append(run.wait_for(fip.floating_ip_address, timeout=60))
            conn.network.delete_ip(fip)
            drain(run, 4.0)  # gone from the screen again
    finally:
        conn.close()
    return taken


def idle_cpu(runs: dict[str, PTYRun], seconds: float) -> tuple[dict[str, float], dict[str, int], float]:
    """CPU-seconds a minute and bytes written of each run over the same window (every PTY drained)."""
    before = {name: cpu_seconds(run.process.pid) for name, run in runs.items()}
    written = dict.fromkeys(runs, 0)
    started = time.monotonic()
    end = started + seconds
    masters = {run.master: name for name, run in runs.items()}
    while (left := end - time.monotonic()) > 0:
        ready, _, _ = select.select(list(masters), [], [], min(left, 0.5))
        for master in ready:
            try:
                written[masters[master]] += len(os.read(master, 1 << 16))
            except OSError:
                pass
    minutes = (time.monotonic() - started) / 60
    return ({name: (cpu_seconds(run.process.pid) - before[name]) / minutes for name, run in runs.items()},
            written, minutes)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--servers", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--settle", type=float, default=20.0, help="seconds after the table is full before measuring")
    parser.add_argument("--fip-rounds", type=int, default=5)
    parser.add_argument("--baseline", type=Path, help="another checkout whose exotui runs beside this one")
    parser.add_argument("--unfocused-seconds", type=float, default=60.0, help="the window measured after focus-out")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="exotui-bench-pyc-") as byte_code:
        cache_byte_code(byte_code)
        with demo_cloud(args.servers) as clouds_yaml:
            cloud = cloud_pid(clouds_yaml)
            env = {"OS_CLIENT_CONFIG_FILE": str(clouds_yaml)}
            here = str(Path(__file__).resolve().parent.parent)
            run = PTYRun(exotui_argv(), {**env, "PYTHONPATH": here}, size=(120, 40))
            runs = {"exotui": run}
            if args.baseline:
                runs["baseline"] = PTYRun(exotui_argv(), {**env, "PYTHONPATH": str(args.baseline.resolve())},
                                          size=(120, 40))
            try:
                shown = max(each.wait_for(f"Instances ({args.servers})") for each in runs.values())
                for each in runs.values():
                    each.started = time.perf_counter()
                idle_cpu(runs, args.settle)  # settling, every PTY drained
                cloud_before = cpu_seconds(cloud) if cloud else 0.0
                cpu, written, minutes = idle_cpu(runs, args.seconds)
                served = (cpu_seconds(cloud) - cloud_before) / minutes if cloud else float("nan")
                if "baseline" in runs:
                    runs.pop("baseline").close()
                os.write(run.master, b"\x1b[O")  # focus out: nobody is looking
                idle_cpu(runs, 5.0)
                away, _, _ = idle_cpu(runs, args.unfocused_seconds)
                os.write(run.master, b"\x1b[I")  # focus back
                fips = outside_floating_ip(run, clouds_yaml, args.fip_rounds)
            finally:
                for each in runs.values():
                    each.close()
    print(f"idle, {args.servers} instances (all shown after {shown:.1f} s), {args.seconds:.0f} s window "
          f"after {args.settle:.0f} s settling:")
    for name, app in cpu.items():
        label = name if name == "exotui" else f"baseline ({args.baseline})"
        print(f"   {label:<11} {app:6.3f} CPU-s/min ({app / 60 * 100:.2f}% of a core)   goal <= {GOAL} "
              f"({'met' if app <= GOAL else 'NOT met'}, {app / GOAL:.2f}x the goal)   "
              f"terminal output {written[name] / minutes / 1024:.1f} KiB/min (what was redrawn)")
    if "baseline" in cpu:
        print(f"   exotui / baseline: {cpu['exotui'] / cpu['baseline']:.2f}")
    print(f"   unfocused   {away['exotui']:6.3f} CPU-s/min after the terminal reported focus-out "
          f"({args.unfocused_seconds:.0f} s window; {away['exotui'] / GOAL:.2f}x the goal, "
          f"{away['exotui'] / cpu['exotui']:.2f}x focused)")
    print(f"   demo cloud  {served:6.3f} CPU-s/min (answering {'both' if 'baseline' in cpu else 'it'})")
    print(f"outside floating-IP assignment to on screen, {len(fips)} rounds: "
          f"median {statistics.median(fips):.2f} s, max {max(fips):.2f} s (goal < 5 s)")


if __name__ == "__main__":
    main()

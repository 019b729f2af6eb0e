"""First data on screen with a warm cache against a cold start (issue 14 item 6).

`exotui` runs on a real 120x40 PTY against an `exotui demo-cloud --servers` process of its own whose every
answer is delayed (`--latency-ms`, a cloud across the country rather than on loopback). A cold start has
an empty cache dir; a warm one has the dir a previous run left when it quit. Each round times both, from
spawn until the Instances title shows every instance, in alternating order; medians side by side.

    .venv/bin/python bench/warm.py [--servers 1000] [--latency-ms 150] [--rounds 3]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from idle import drain  # noqa: E402
from ui import PTYRun, cache_byte_code, demo_cloud, exotui_argv  # noqa: E402


def first_data(clouds_yaml: Path, cache: str, servers: int) -> float:
    """Seconds from spawn to every instance on screen; the run then quits (which saves the cache)."""
    run = PTYRun(exotui_argv(), {"OS_CLIENT_CONFIG_FILE": str(clouds_yaml), "EXOTUI_CACHE_DIR": cache},
                 size=(120, 40))
    try:
        took = run.wait_for(f"Instances ({servers})")
        drain(run, 3.0)  # the cloud's own picture lands before it quits, so the next warm start has it
        return took
    finally:
        run.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--servers", type=int, default=1000)
    parser.add_argument("--latency-ms", type=float, default=150.0)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    cold, warm = [], []
    with tempfile.TemporaryDirectory(prefix="exotui-bench-pyc-") as byte_code, \
            tempfile.TemporaryDirectory(prefix="exotui-bench-warm-") as kept:
        cache_byte_code(byte_code)
        with demo_cloud(args.servers, args.latency_ms) as clouds_yaml:
            first_data(clouds_yaml, kept, args.servers)  # fills the warm cache
            for round_ in range(args.rounds):
                with tempfile.TemporaryDirectory(prefix="exotui-bench-cold-") as empty:
                    order = [("cold", empty), ("warm", kept)]
                    for name, cache in order if round_ % 2 == 0 else reversed(order):
                        (cold if name == "cold" else warm).append(first_data(clouds_yaml, cache, args.servers))
    c, w = statistics.median(cold), statistics.median(warm)
    print(f"first data on screen, {args.servers} instances, every answer {args.latency_ms:.0f} ms late, "
          f"{args.rounds} rounds (median):")
    print(f"   cold start (empty cache)   {c:6.2f} s   ({', '.join(f'{x:.2f}' for x in cold)})")
    print(f"   warm start (last picture)  {w:6.2f} s   ({', '.join(f'{x:.2f}' for x in warm)})")
    print(f"   warm / cold: {w / c:.2f}")


if __name__ == "__main__":
    main()

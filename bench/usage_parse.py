"""Usage-graph parsing (issue 20 item 5): a 10 MB console log of Exosphere's one-minute lines (two kinds,
/dev/console and /dev/kmsg with the kernel's prefix, between boot messages and cut lines) read by
cloud.usage.parse_log (a regular expression for the shape every reporter writes, json for the rest) against
json.loads on every line from its first "{" (Exosphere's own way), side by side; then the cost of one
incremental poll: ConsoleFollower's tail of a few lines against re-reading the 100 KiB Nova returns.

    python bench/usage_parse.py [megabytes] [--no-http]
"""

from __future__ import annotations

import json
import random
import sys
import time

from exotui.cloud.usage import ConsoleFollower, Sample, Series, parse_log


def console_log(megabytes: float, seed: int = 5) -> str:
    rng = random.Random(seed)
    out, size, epoch = [], 0, 1_796_500_000
    while size < megabytes * 1_000_000:
        roll = rng.random()
        if roll < 0.15:
            line = f"[{rng.uniform(0, 9e5):12.6f}] systemd[1]: Started session-{rng.randrange(9999)}.scope."
        elif roll < 0.17:
            line = '{"epoch": 17965, "cpuPctUsed": 3, "memPc'  # cut short
        else:
            body = json.dumps({"epoch": epoch, "cpuPctUsed": rng.randrange(101), "memPctUsed": rng.randrange(101),
                               "rootfsPctUsed": rng.randrange(101),
                               "gpuPctUsed": [rng.randrange(101)] if roll > 0.8 else None})
            epoch += 60
            line = f"[{rng.uniform(0, 9e5):12.6f}] {body}" if roll > 0.6 else body
        out.append(line + "\r\n")
        size += len(line) + 2
    return "".join(out)


def exosphere_way(text: str) -> list[Sample]:
    """json.loads on every line from its first "{" (Helpers.stripTimeSinceBootFromLogLine + logLineDecoder)."""
    found = []
    for line in text.split("\n"):
        start = line.find("{")
        try:
            d = json.loads(line[start:] if start >= 0 else line)
            gpu = d.get("gpuPctUsed")
            found.append(Sample(d["epoch"], d["cpuPctUsed"], d["memPctUsed"], d["rootfsPctUsed"],
                                tuple(gpu) if isinstance(gpu, list) else ()))
        except (ValueError, KeyError, TypeError, AttributeError):
            pass
    return found


def best(fn, *args, rounds: int = 3) -> tuple[float, object]:
    times, result = [], None
    for _ in range(rounds):
        started = time.perf_counter()
        result = fn(*args)
        times.append(time.perf_counter() - started)
    return min(times), result


def main() -> None:
    numbers = [a for a in sys.argv[1:] if not a.startswith("--")]
    megabytes = float(numbers[0]) if numbers else 10.0
    text = console_log(megabytes)
    mb = len(text.encode()) / 1e6
    ours_s, ours = best(lambda t: list(parse_log(t)), text)
    theirs_s, theirs = best(exosphere_way, text)
    assert ours == theirs, "the two parsers disagree"
    series_s, _ = best(lambda s: Series(s, keep=0), ours)
    print(f"console log: {mb:.1f} MB, {text.count(chr(10)):,} lines, {len(ours):,} samples")
    print(f"parse_log (regex fast path): {ours_s * 1000:7.1f} ms  {mb / ours_s:6.1f} MB/s")
    print(f"json.loads every line:       {theirs_s * 1000:7.1f} ms  {mb / theirs_s:6.1f} MB/s")
    print(f"  ratio: parse_log is {theirs_s / ours_s:.1f}x faster")
    print(f"into a Series (sorted, one per minute): {series_s * 1000:.1f} ms")

    # one poll of an instance already followed: the tail Nova returns for `length`, against the 100 KiB
    # a client gets without it (libvirt's cap), parsed into a series of a week
    lines = text.split("\n")
    follower = ConsoleFollower(Series(ours[-7 * 1440:]))
    newest = follower.series.newest
    length = follower.length(newest.epoch + 5 * 60) if newest else None
    tail = "\n".join(lines[-(length or 10):])
    whole = text[-100 * 1024:]
    rounds = 200
    started = time.perf_counter()
    for _ in range(rounds):
        follower.feed(tail, length)
    tail_s = (time.perf_counter() - started) / rounds
    started = time.perf_counter()
    for _ in range(rounds):
        follower.feed(whole, None)
    whole_s = (time.perf_counter() - started) / rounds
    print(f"one poll, tail of {length} lines ({len(tail.encode()):,} B): {tail_s * 1e6:8.1f} us")
    print(f"one poll, whole 100 KiB log:          {whole_s * 1e6:8.1f} us")
    print(f"  ratio: the tail costs {whole_s / tail_s:.0f}x less to parse, and {102400 / len(tail.encode()):.0f}x "
          "fewer bytes on the wire")


def over_http(rounds: int = 20) -> None:
    """The same poll against the demo cloud through openstacksdk: the whole 100 KiB console of an instance up
    for a day against the tail ConsoleFollower asks for five minutes after its last read."""
    import os
    import tempfile
    from pathlib import Path

    import openstack

    from exotui.demo.app import CLOUD_NAME, DemoCloudThread
    from exotui.demo.world import Knobs

    with tempfile.TemporaryDirectory() as tmp, DemoCloudThread(
            Knobs(delay_scale=0.0, seed=3, ssh=False, token_lifetime=10 * 86_400.0)) as demo:
        os.environ["OS_CLIENT_CONFIG_FILE"] = str(demo.cloud.write_config(Path(tmp)))
        demo.call(lambda: demo.world.advance(20 * 3600))
        conn = openstack.connect(cloud=CLOUD_NAME)
        server = next(s for s in conn.compute.servers() if s.name == "web-frontend")
        follower = ConsoleFollower()
        follower.feed(conn.compute.get_server_console_output(server)["output"], None)
        demo.call(lambda: demo.world.advance(5 * 60))
        length = follower.length(demo.world.now().timestamp())

        def timed(ask: int | None) -> tuple[float, int]:
            best_s, size = float("inf"), 0
            for _ in range(rounds):
                started = time.perf_counter()
                out = conn.compute.get_server_console_output(server, length=ask)["output"]
                list(parse_log(out))
                best_s, size = min(best_s, time.perf_counter() - started), len(out.encode())
            return best_s, size

        whole_s, whole_b = timed(None)
        tail_s, tail_b = timed(length)
        conn.close()
    print(f"over HTTP (demo, openstacksdk), whole console: {whole_s * 1000:6.1f} ms  {whole_b:,} B")
    print(f"over HTTP (demo, openstacksdk), tail {length} lines: {tail_s * 1000:6.1f} ms  {tail_b:,} B")
    print(f"  ratio: the tail poll is {whole_s / tail_s:.1f}x faster end to end, {whole_b / tail_b:.0f}x fewer bytes")


if __name__ == "__main__":
    main()
    if "--no-http" not in sys.argv:
        over_http()

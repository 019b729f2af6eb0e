"""Benchmark the dashboard side by side, in one run, printing ratios:

1. first frame on a real 80x24 PTY, spawn to paint: `exotui` (its CLI, clouds.yaml read through
   openstacksdk's loader, then the app) against a bare Textual app (goal <= 1.2x);
2. keystroke to repaint while typing into the '/' filter over 5,000 instances (goal <= 50 ms), in
   process under `run_test`: from posting the key to the compositor's next render of the screen;
3. resident memory of the real `exotui` process with 5,000 instances loaded (goal <= 250 MB);
4. time until all 1,000 instances of a 50 ms-latency cloud show in the table, spawn to paint on a
   PTY, against `openstack server list` on the same cloud (goal <= 0.33x).

The demo clouds run as `exotui demo-cloud` processes of their own, so they share no CPU time or
memory with what is measured. Every process measured may cache its byte code (in a temporary
PYTHONPYCACHEPREFIX, even under PYTHONDONTWRITEBYTECODE=1) and one unmeasured round goes first, as
after `pip install`: else each start of exotui compiles its own modules again (about 60 ms) while
Textual's come compiled from site-packages.

    .venv/bin/python bench/ui.py [--runs 5] [--frame-runs 30] [--only first-frame]

Part 1 prints three statistics, since on a shared 2-core VM one process start varies by +-20%: the ratio of
medians, the median of each round's own ratio, and the ratio of the fastest runs; and beside them the same
three for the bare app against itself (a fourth program in every round), which shows how far apart two
identical programs come out on this machine. The order within a round turns by one each round.
EXOTUI_BENCH_VERBOSE=1 also prints every run.
"""

from __future__ import annotations

import argparse
import asyncio
import fcntl
import os
import pty
import re
import select
import signal
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import time
from contextlib import contextmanager
from pathlib import Path

BIN = Path(sys.executable).parent
SEEDED = 8  # servers the seed puts in the first project
BARE_APP = """
from textual.app import App
from textual.widgets import Footer, Static

class Bare(App):
    def compose(self):
        yield Static("bare textual app")
        yield Footer()

Bare().run()
"""
# the app as the CLI builds it, minus the profiles (so no openstacksdk): what the app's own first frame costs
APP_ALONE = ("from exotui.ui.app import ExotuiApp; "
             "ExotuiApp(lambda: __import__('exotui.cloud.workspace', fromlist=['_']).Workspace([])).run()")
ESCAPES = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]")


@contextmanager
def demo_cloud(servers: int, latency_ms: float = 0.0):
    """`exotui demo-cloud` in a process of its own; yields its clouds.yaml."""
    with tempfile.TemporaryDirectory(prefix="exotui-bench-") as folder:
        process = subprocess.Popen([str(BIN / "exotui"), "demo-cloud", "--config-dir", folder, "--servers",
                                    str(servers - SEEDED), "--latency-ms", str(latency_ms), "--delay-scale", "0",
                                    "--no-ssh"], stdout=subprocess.PIPE, text=True)
        try:
            line = process.stdout.readline()
            if "ready" not in line:
                raise RuntimeError(f"the demo cloud did not start: {line!r}")
            yield Path(folder) / "clouds.yaml"
        finally:
            process.terminate()
            process.wait(30)


class PTYRun:
    """A command on a fresh 80x24 pseudo-terminal; `wait_for(text)` is the seconds from spawn until
    `text` was painted (escape sequences stripped)."""

    def __init__(self, argv: list[str], env: dict[str, str] | None = None, size: tuple[int, int] = (80, 24)):
        master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", size[1], size[0], 0, 0))
        self.master = master
        self.screen = ""
        self.started = time.perf_counter()
        # a cache of its own: a bench measures a cold start unless it says otherwise
        self._cache = tempfile.TemporaryDirectory(prefix="exotui-bench-cache-")
        self.process = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, start_new_session=True,
                                        env={**os.environ, "TERM": "xterm-256color",
                                             "EXOTUI_CACHE_DIR": self._cache.name, **(env or {})})
        os.close(slave)

    def wait_for(self, text: str, timeout: float = 120.0) -> float:
        deadline = self.started + timeout
        while text not in self.screen:
            if time.perf_counter() > deadline or self.process.poll() is not None:
                raise RuntimeError(f"{text!r} never appeared; last output: {self.screen[-300:]!r}")
            ready, _, _ = select.select([self.master], [], [], 0.05)
            if ready:
                try:
                    chunk = os.read(self.master, 1 << 16)
                except OSError:
                    continue
                # keep a tail only: markers are short, and 5,000 rows repaint often
                self.screen = (self.screen + ESCAPES.sub("", chunk.decode("utf-8", "replace")))[-4096:]
        return time.perf_counter() - self.started

    def rss_mb(self) -> tuple[float, float]:
        """(VmRSS, VmHWM) of the process in MB."""
        status = Path(f"/proc/{self.process.pid}/status").read_text()
        values = {k: int(v.split()[0]) / 1024 for k, v in (line.split(":", 1) for line in status.splitlines())
                  if k in ("VmRSS", "VmHWM")}
        return values["VmRSS"], values["VmHWM"]

    def close(self) -> None:
        try:
            os.write(self.master, b"q")  # both apps quit on q
            self.process.wait(5)
        except (OSError, subprocess.TimeoutExpired):
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(10)
        finally:
            os.close(self.master)
            self._cache.cleanup()


def exotui_argv() -> list[str]:
    return [str(BIN / "exotui"), "--cloud", "exotui-demo"]


def first_frames(clouds_yaml: Path, runs: int) -> None:
    with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False) as script:
        script.write(BARE_APP)
    env = {"OS_CLIENT_CONFIG_FILE": str(clouds_yaml)}
    bare, ours, alone, again, profiles = [], [], [], [], []
    programs = [([sys.executable, script.name], None, "bare textual app", bare),
                (exotui_argv(), env, "connecting", ours),
                ([sys.executable, "-c", APP_ALONE], None, "connecting", alone),
                ([sys.executable, script.name], None, "bare textual app", again)]  # the control: A against A
    try:
        for round_ in range(runs + 1):
            # interleaved, so drift in the machine's load hits all alike; and each round starts one further
            # along, since a start right after another one is slower (+-10% by position alone, measured)
            for argv, run_env, marker, times in programs[round_ % 4:] + programs[:round_ % 4]:
                run = PTYRun(argv, run_env)
                times.append(run.wait_for(marker))
                run.close()
            code = ("import time; t = time.perf_counter(); from exotui.cloud.profiles import load_profiles; "
                    f"load_profiles(config_file={str(clouds_yaml)!r}); print(time.perf_counter() - t)")
            profiles.append(float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                                 check=True).stdout))
    finally:
        os.unlink(script.name)
    del bare[0], ours[0], alone[0], again[0], profiles[0]  # the round that filled the byte-code cache
    if os.environ.get("EXOTUI_BENCH_VERBOSE"):
        for name, values in (("bare", bare), ("exotui", ours), ("alone", alone), ("again", again)):
            print(f"   {name:7}", " ".join(f"{v * 1000:.0f}" for v in values))
    b, o, a = statistics.median(bare), statistics.median(ours), statistics.median(alone)
    print(f"1. first frame on an 80x24 PTY, spawn to paint, median of {runs}:")
    print(f"   bare Textual app (Static + Footer)           {b * 1000:6.0f} ms")
    print(f"   exotui --cloud exotui-demo (CLI + app)       {o * 1000:6.0f} ms")
    print(f"   exotui's app alone (no clouds.yaml read)     {a * 1000:6.0f} ms")
    print(f"   reading clouds.yaml through openstacksdk's loader, in a process of its own: "
          f"{statistics.median(profiles) * 1000:.0f} ms")
    print(f"   ratio exotui / bare: {o / b:.2f}; app alone / bare: {a / b:.2f} (goal <= 1.2)")
    # each round runs all four back to back: the median of the rounds' own ratios cancels the machine's drift
    paired = statistics.median(x / y for x, y in zip(ours, bare))
    paired_alone = statistics.median(x / y for x, y in zip(alone, bare))
    print(f"   ratio round by round (median): exotui / bare {paired:.2f}; app alone / bare {paired_alone:.2f}")
    # timeit's advice: the fastest run is the one least disturbed by the rest of the machine
    print(f"   fastest of {runs}: bare {min(bare) * 1000:.0f} ms, exotui {min(ours) * 1000:.0f} ms, app alone "
          f"{min(alone) * 1000:.0f} ms; ratio exotui / bare {min(ours) / min(bare):.2f}, "
          f"app alone / bare {min(alone) / min(bare):.2f}")
    # the same bare app measured again in its own slot: how far apart two identical programs come out here
    print(f"   noise floor, the bare app against itself: ratio of medians {statistics.median(again) / b:.2f}, "
          f"round by round {statistics.median(x / y for x, y in zip(again, bare)):.2f}, "
          f"fastest {min(again) / min(bare):.2f}")


async def keystrokes(clouds_yaml: Path, query: str) -> list[tuple[str, float]]:
    from exotui.cloud.poller import Intervals
    from exotui.cloud.profiles import find_profile, load_profiles
    from exotui.cloud.workspace import Workspace
    from exotui.ui.app import ExotuiApp
    from exotui.ui.widgets.table import ResourceTable

    profile = find_profile(load_profiles(config_file=clouds_yaml), "exotui-demo")
    app = ExotuiApp(Workspace([profile], intervals=Intervals(fast=1.0, idle=5.0)))
    renders: list[tuple[float, str]] = []
    display = app._display

    def timed_display(screen, renderable):
        if renderable is not None:
            renders.append((time.perf_counter(), table.filter_text))
        display(screen, renderable)

    timings = []
    async with app.run_test(size=(80, 24)) as pilot:
        table = app.query_one("#table-servers", ResourceTable)
        for _ in range(1200):
            if len(table.items) >= 5000:
                break
            await pilot.pause(0.05)
        else:
            raise RuntimeError(f"only {len(table.items)} instances loaded")
        await pilot.press("slash")
        await pilot.pause(0.5)
        app._display = timed_display
        typed = ""
        for key in [*query, *["backspace"] * 3]:
            typed = typed[:-1] if key == "backspace" else typed + key
            renders.clear()
            started = time.perf_counter()
            await pilot.press(key)
            for _ in range(100):
                done = next((t for t, text in renders if text == typed), None)
                if done is not None:
                    break
                await pilot.pause(0.01)
            else:
                raise RuntimeError(f"no repaint after {key!r}")
            timings.append((f"{typed!r:12} {len(table.shown):5} rows", done - started))
            await pilot.pause(0.2)
    return timings


def typing(clouds_yaml: Path) -> None:
    timings = asyncio.run(keystrokes(clouds_yaml, "bulk-042"))
    values = [t for _, t in timings]
    print("2. '/' filter over 5,000 instances, key to repaint (run_test, 80x24):")
    for label, seconds in timings:
        print(f"   {label}  {seconds * 1000:5.1f} ms")
    print(f"   median {statistics.median(values) * 1000:.1f} ms, worst {max(values) * 1000:.1f} ms (goal <= 50 ms)")


def memory(clouds_yaml: Path) -> None:
    run = PTYRun(exotui_argv(), {"OS_CLIENT_CONFIG_FILE": str(clouds_yaml)})
    try:
        loaded = run.wait_for("Instances (5000)")
        rss, _ = run.rss_mb()
        time.sleep(5)  # a few polls later
        rss_later, peak = run.rss_mb()
    finally:
        run.close()
    print(f"3. exotui process with 5,000 instances loaded (shown after {loaded:.1f} s):")
    print(f"   RSS {rss:.0f} MB when shown, {rss_later:.0f} MB 5 s later, peak {peak:.0f} MB (goal <= 250 MB)")


def load_time(runs: int) -> None:
    with demo_cloud(1000, latency_ms=50) as clouds_yaml:
        env = {"OS_CLIENT_CONFIG_FILE": str(clouds_yaml)}
        ours, cli = [], []
        for _ in range(runs):
            run = PTYRun(exotui_argv(), env)
            try:
                ours.append(run.wait_for("Instances (1000)"))
            finally:
                run.close()
            started = time.perf_counter()
            subprocess.run([str(BIN / "openstack"), "--os-cloud", "exotui-demo", "server", "list"], check=True,
                           capture_output=True, env={**os.environ, **env}, timeout=600)
            cli.append(time.perf_counter() - started)
    o, c = statistics.median(ours), statistics.median(cli)
    print(f"4. 1,000 instances, 50 ms latency per request, spawn to all shown, median of {runs}:")
    print(f"   exotui (PTY, 'Instances (1000)' painted)   {o * 1000:6.0f} ms")
    print(f"   openstack server list                      {c * 1000:6.0f} ms")
    print(f"   ratio exotui / openstack CLI: {o / c:.2f} (goal <= 0.33)")


def cache_byte_code(folder: str) -> None:
    """Processes started from here keep their .pyc files in `folder`, as an installed package has them."""
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    os.environ["PYTHONPYCACHEPREFIX"] = folder


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--frame-runs", type=int, default=30,
                        help="rounds for part 1: with fewer, this VM's noise is wider than the 1.2 goal's margin "
                             "(the bare app against itself came out 0.72 over 7 rounds)")
    parser.add_argument("--only", choices=["first-frame"], help="run only this part (while iterating)")
    args = parser.parse_args()
    runs = args.runs
    with tempfile.TemporaryDirectory(prefix="exotui-bench-pyc-") as byte_code:
        cache_byte_code(byte_code)
        if args.only == "first-frame":
            with demo_cloud(SEEDED) as clouds_yaml:
                first_frames(clouds_yaml, args.frame_runs)
            return
        with demo_cloud(5000) as clouds_yaml:
            first_frames(clouds_yaml, args.frame_runs)
            typing(clouds_yaml)
            memory(clouds_yaml)
        load_time(max(1, runs - 2))


if __name__ == "__main__":
    main()

"""Benchmark the embedded terminal side by side with the plain `ssh` client, against a real OpenSSH
sshd started on 127.0.0.1 (Debian's openssh-server; the same launcher as tests/ssh):

1. throughput of `cat` of a 20 MB text file (ANSI colours on some lines): plain `ssh` to /dev/null, plain
   `ssh -tt` in a detached 200x50 tmux pane (the issue's reference: tmux parses every byte too), and
   exotui's client -> emulator -> TerminalView in a headless 200x50 Textual app, in wall-clock MB/s and
   in MB per CPU-second of this process (what it would do on a core of its own: this machine is often
   shared, and then wall-clock figures mostly measure the neighbours); the same cat read by the SSH
   client alone and dropped gives the transport's cost, and the chunks received fed again into the
   widget with no SSH under them the terminal's (the issue's goal: at least 50 MB per CPU-second);
2. event-loop lag of the rest of the UI while that flood is parsed (goal p95 <= 16 ms);
3. keystroke to echo on an idle shell: parsed, and drawn (a frame of the widget shows it; goal: within
   a frame).

`--escape` cats bench/terminal_engines.py's colour + cursor-addressing stream instead of plain lines;
EXOTUI_TERMINAL=pyte measures the pyte engine. `--engines` instead feeds the same file (as a PTY sends it:
CRLF, 64 KiB reads, 200x50) straight into pyte, bittty (if installed: it is not a dependency) and exotui's
emulator, and prints MB per CPU-second.

    .venv/bin/python bench/ssh.py [--mb 20] [--engines]
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import random
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from textual.app import App, ComposeResult

from exotui.ssh.client import connect
from exotui.ssh.hostkeys import KnownHosts
from exotui.ssh.target import Target
from exotui.ui.widgets.terminal import TerminalView

ROOT = Path(__file__).resolve().parents[1]


def _sshd_launcher():
    """tests/ssh/conftest.py's start_sshd (one launcher for tests and bench; tests/ is not a package)."""
    sys.path.insert(0, str(ROOT / "tests"))  # it imports tests/conditions.py, as pytest's rootdir allows
    spec = importlib.util.spec_from_file_location("exotui_tests_ssh_conftest", ROOT / "tests/ssh/conftest.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module.SSHD, module.start_sshd


def make_file(path: Path, megabytes: float) -> int:
    rng = random.Random(7)
    words = ["cloud", "instance", "volume", "flavor", "jetstream2", "exotui", "rocky", "ubuntu", "quota", "ssh"]
    lines, size = [], 0
    while size < megabytes * 1_000_000:
        text = " ".join(rng.choice(words) for _ in range(rng.randrange(4, 14)))
        if rng.random() < 0.2:
            text = f"\x1b[3{rng.randrange(1, 8)}m{text}\x1b[0m"
        line = f"{len(lines):08d} {text}\n"
        lines.append(line)
        size += len(line)
    data = "".join(lines).encode()
    path.write_bytes(data)
    return len(data)


class Watched(TerminalView):
    """The widget, telling the bench when a frame it drew shows some text (keystroke to echo on screen)."""

    want: str | None = None
    shown: asyncio.Event
    frames = 0  # render_lines calls (frames drawn)

    def render_lines(self, crop):
        self.frames += 1
        lines = super().render_lines(crop)
        if self.want is not None and any(self.want in strip.text for strip in lines):
            self.shown.set()
        return lines


class Bench(App):
    def compose(self) -> ComposeResult:
        yield Watched(id="term")


async def lag_monitor(samples: list[float], stop: asyncio.Event, period: float = 0.01) -> None:
    loop = asyncio.get_running_loop()
    while not stop.is_set():
        start = loop.time()
        await asyncio.sleep(period)
        samples.append(loop.time() - start - period)


async def embedded(target: Target, console: str, store: KnownHosts, path: Path) -> dict:
    app = Bench()
    result: dict = {}
    async with app.run_test(size=(200, 50)) as pilot:
        term = app.query_one(TerminalView)
        await term.sized.wait()
        conn = await connect(target, console, store=store)
        shell = await conn.shell(term.emulator.columns, term.emulator.lines, command=f"cat {path}")
        term.emulator.reply = shell.write
        lags: list[float] = []
        stop = asyncio.Event()
        monitor = asyncio.create_task(lag_monitor(lags, stop))
        received, started, cpu, frames = 0, time.perf_counter(), time.process_time(), term.frames
        chunks = []
        while data := await shell.read():
            received += len(data)
            chunks.append(data)
            await term.feed(data)
        while term.emulator.pending:  # a held line start (shown at the next repaint)
            await asyncio.sleep(0.01)
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
        stop.set()
        await monitor
        await pilot.pause()
        result.update(bytes=received, seconds=elapsed, cpu=cpu, lags=lags, jumped=term.emulator.jumped_lines,
                      frames=term.frames - frames,
                      engine=term.emulator.name)
        # keystroke to echo: an idle interactive shell, one key at a time
        # the terminal alone: the same chunks fed again, as they came, with no SSH under them (subtracting a
        # client-only run instead overstated it: its reads were smaller, so it cost more than inside the flood)
        await term.feed(b"\x1bc")
        await pilot.pause()
        frames, cpu = term.frames, time.process_time()
        for data in chunks:
            await term.feed(data)
        while term.emulator.pending:
            await asyncio.sleep(0.01)
        await pilot.pause()
        result.update(terminal_cpu=time.process_time() - cpu, terminal_frames=term.frames - frames)
        chunks.clear()
        # on a reset terminal (as after `reset`): the escape stream leaves its own modes and margins behind, in
        # which the echoes of a 10 MB run overwrote each other at one spot and were never seen whole
        await term.feed(b"\x1bc")
        shell = await conn.shell(80, 24, command="/bin/sh")
        await asyncio.sleep(0.3)
        while True:  # drain the prompt
            try:
                await asyncio.wait_for(shell.read(), 0.2)
            except asyncio.TimeoutError:
                break
        echoes, drawn, typed = [], [], ""
        term.on_input = shell.write
        await pilot.click(Watched)  # focused: keys go to the remote
        for i in range(30):
            # keys 50 ms apart (a fast typist's 20 a second; key repeat is 25-30): typed the instant the last
            # echo was drawn, every echo fell within a frame of the last repaint and waited out the frame limit
            await asyncio.sleep(0.05)
            char = "abcdefghij"[i % 10]
            typed += char
            term.want, term.shown = typed, asyncio.Event()
            started = time.perf_counter()
            shell.write(char.encode())
            data = await asyncio.wait_for(shell.read(), 5)
            await term.feed(data)
            echoes.append(time.perf_counter() - started)
            await asyncio.wait_for(term.shown.wait(), 5)
            drawn.append(time.perf_counter() - started)
        result["drawn"] = drawn
        # the same flood through the client alone (read and dropped): what the SSH transport costs
        shell = await conn.shell(200, 50, command=f"cat {path}")
        cpu = time.process_time()
        while await shell.read():
            pass
        result["client_cpu"] = time.process_time() - cpu
        shell.write(b"\x15exit\n")
        result["echo"] = echoes
        await conn.close()
    return result


def plain_ssh(target: Target, store: KnownHosts, path: Path) -> float:
    argv = target.ssh_command(store.path, ("cat", str(path)))
    argv[1:1] = ["-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes", "-F", "/dev/null"]
    started = time.perf_counter()
    subprocess.run(argv, stdout=subprocess.DEVNULL, check=True)
    return time.perf_counter() - started


def ssh_in_tmux(target: Target, store: KnownHosts, path: Path, tmp: Path) -> float | None:
    """Wall time of plain `ssh -tt` cat-ing the file inside a detached 200x50 tmux pane (tmux parses every
    byte into its grid, as exotui's emulator does; with no client attached it draws nothing, as exotui's
    headless app writes nothing). None without tmux."""
    if shutil.which("tmux") is None:
        return None
    argv = target.ssh_command(store.path, ("cat", str(path)))
    argv[1:1] = ["-tt", "-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes", "-F", "/dev/null"]
    socket = tempfile.mktemp(prefix="tmux-", dir=tmp)  # a server per run: a killed one lingers a moment
    tmux = ["tmux", "-S", socket, "-f", "/dev/null"]
    # an idle session keeps the server up, so the measured one may end before `wait-for` connects
    subprocess.run([*tmux, "new-session", "-d", "-s", "idle", "-x", "200", "-y", "50", "cat"], check=True)
    try:
        started = time.perf_counter()
        subprocess.run([*tmux, "new-session", "-d", "-x", "200", "-y", "50",
                        f"{shlex.join(argv)}; {shlex.join(tmux)} wait-for -S done"], check=True)
        subprocess.run([*tmux, "wait-for", "done"], check=True)
        return time.perf_counter() - started
    finally:
        subprocess.run([*tmux, "kill-server"], check=False)


def engines(megabytes: float) -> int:
    """Raw feed throughput of the emulators on the flood, in MB per CPU-second (the widget left out)."""
    import pyte

    from exotui.ssh.terminal import PyteEmulator

    with tempfile.TemporaryDirectory(prefix="exotui-bench-engines-") as tmp:
        make_file(Path(tmp) / "flood.txt", megabytes)
        data = (Path(tmp) / "flood.txt").read_bytes().replace(b"\n", b"\r\n")
    chunk = 65536

    def run(name: str, feed) -> None:
        started = time.process_time()
        for at in range(0, len(data), chunk):
            feed(data[at:at + chunk])
        print(f"  {name:52s} {len(data) / 1e6 / (time.process_time() - started):7.2f} MB per CPU-second")

    print(f"raw emulators on {len(data) / 1e6:.1f} MB (200x50, 64 KiB reads)")
    screen = pyte.Screen(200, 50)
    run("pyte 0.8.2 ByteStream -> Screen", pyte.ByteStream(screen).feed)
    try:
        import bittty
    except ImportError:
        print("  bittty: not installed (pip install bittty)")
    else:
        run(f"bittty {bittty.__version__} Board.feed_host_data", bittty.Board(width=200, height=50).feed_host_data)

    class EveryByte(PyteEmulator):
        def _jump(self) -> int:
            return 0

    run("exotui PyteEmulator, no jump scrolling", EveryByte(200, 50).feed)
    emulator = PyteEmulator(200, 50)

    def as_the_widget(data: bytes) -> None:  # TerminalView.feed: a held line start waits for the next read
        emulator.write(data)
        while emulator.pending and emulator.step(2048, hold=True):
            pass

    run("exotui PyteEmulator, jump scrolling (as the widget)", as_the_widget)
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=float, default=20.0, help="size of the file to cat (MB)")
    parser.add_argument("--engines", action="store_true", help="compare the raw emulators instead (no sshd)")
    parser.add_argument("--escape", action="store_true", help="cat bench/terminal_engines.py's colour + "
                        "cursor-addressing stream instead of plain lines")
    args = parser.parse_args()
    if args.engines:
        return engines(args.mb)
    sshd_path, start_sshd = _sshd_launcher()
    if not sshd_path.exists():
        print("skipped: /usr/sbin/sshd is not installed (apt-get install -y openssh-server)")
        return 0
    with tempfile.TemporaryDirectory(prefix="exotui-bench-ssh-") as tmp:
        tmp = Path(tmp)
        server, process = start_sshd(tmp)
        try:
            if args.escape:
                sys.path.insert(0, str(Path(__file__).parent))
                from terminal_engines import escape_stream

                data = escape_stream(int(args.mb * 1e6))
                (tmp / "flood.txt").write_bytes(data)
                size = len(data)
            else:
                size = make_file(tmp / "flood.txt", args.mb)
            target = Target("bench", "sshd", server.host, server.port, server.user, key_files=(server.user_key,))
            store = KnownHosts(tmp / "known_hosts")
            result = asyncio.run(embedded(target, server.console_log(), store, tmp / "flood.txt"))
            plain = min(plain_ssh(target, store, tmp / "flood.txt") for _ in range(3))
            in_tmux = [ssh_in_tmux(target, store, tmp / "flood.txt", tmp) for _ in range(3)]
        finally:
            process.terminate()
            process.wait(10)
    mb = size / 1e6
    ours = result["bytes"] / 1e6 / result["seconds"]
    lags = sorted(result["lags"]) or [0.0]
    p95 = lags[int(len(lags) * 0.95) - 1 if len(lags) > 1 else 0]
    echo, drawn = sorted(result["echo"]), sorted(result["drawn"])
    print(f"cat of {mb:.1f} MB (200x50 PTY), {'escape-heavy' if args.escape else 'plain lines'}")
    print(f"  plain ssh -> /dev/null          {mb / plain:8.1f} MB/s  ({plain:.2f} s)")
    tmux = min((t for t in in_tmux if t is not None), default=None)
    if tmux is not None:
        print(f"  plain ssh -tt in a tmux pane    {mb / tmux:8.1f} MB/s  ({tmux:.2f} s)")
    print(f"  exotui client -> {result['engine']} -> widget {ours:8.2f} MB/s  ({result['seconds']:.2f} s)   "
          f"ratio {ours / (mb / plain):.3f}x ssh to /dev/null"
          + (f", {ours / (mb / tmux):.3f}x ssh in tmux" if tmux is not None else ""))
    print(f"    per CPU-second of this process {result['bytes'] / 1e6 / result['cpu']:8.2f} MB/s  "
          f"({result['cpu']:.2f} CPU-s; {result['frames']} frames drawn; {result['jumped']} lines jump-scrolled)")
    print(f"    the SSH client alone           {result['client_cpu']:.2f} CPU-s (the same cat read and dropped)")
    print(f"    the terminal alone             {mb / max(result['terminal_cpu'], 1e-9):8.2f} MB per CPU-second "
          f"(emulator + widget: the same chunks fed again with no SSH; {result['terminal_frames']} frames drawn)")
    print(f"  UI event-loop lag during flood  p50 {statistics.median(lags) * 1000:.1f} ms   "
          f"p95 {p95 * 1000:.1f} ms   max {lags[-1] * 1000:.1f} ms   (goal p95 <= 16 ms)")
    print(f"  keystroke -> echo parsed        median {statistics.median(echo) * 1000:.2f} ms   "
          f"max {echo[-1] * 1000:.2f} ms")
    print(f"  keystroke -> echo on screen     median {statistics.median(drawn) * 1000:.2f} ms   "
          f"p95 {drawn[int(len(drawn) * 0.95) - 1] * 1000:.2f} ms   (goal: within a frame, 16.7 ms)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

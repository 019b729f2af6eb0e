"""The terminal core candidates side by side in one run, on the same deterministic streams, as a PTY
sends them (64 KiB reads, 200x50):

- `escape`: ~20 MB of what `top`, `htop`, compilers, `git log --color` and TUIs print: cursor
  addressing, 16/256/24-bit colour SGR, erase-line, scroll regions, the odd clear screen;
- `plain`: ~20 MB of plain CRLF lines (a `cat` of a log), with some coloured lines.

Candidates: pyte 0.8.2 alone (a ByteStream on a Screen), exotui's PyteEmulator (pyte hardened, with
jump scrolling), libghostty-vt through pyghostty alone, and exotui's GhosttyEmulator (exotui/ssh/vt.py)
reading back the changed rows as styled runs every 256 KiB (frames during a flood). Each reads its
whole screen once at the end.
Printed: MB per CPU-second of this process (the machine is shared: wall time mostly measures the
neighbours), and each candidate's ratio to pyte. pyte is measured on a prefix (`--pyte-mb`, default 2):
at under 1 MB per CPU-second the whole stream would take minutes; its rate is steady over a stream.

    .venv/bin/python bench/terminal_engines.py [--mb 20] [--pyte-mb 2]
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

COLUMNS, LINES, READ = 200, 50, 1 << 16
WORDS = ("build", "warning:", "error:", "src/main.c:42:7", "int", "return", "0x7ffd", "CPU%", "MEM%",
         "python3", "sshd", "[ OK ]", "tests/test_x.py::test_y", "PASSED", "FAILED", "->", "{", "}", "~/data")


def escape_stream(size: int, seed: int = 16) -> bytes:
    """Deterministic colour + cursor-addressing output of about `size` bytes."""
    rng = random.Random(seed)
    out: list[bytes] = []
    total = 0
    while total < size:
        parts = []
        if rng.random() < 0.02:
            parts.append(b"\x1b[H\x1b[2J")
        if rng.random() < 0.05:
            top = rng.randint(1, LINES // 2)
            parts.append(b"\x1b[%d;%dr\x1b[%dH\r\n\x1b[r" % (top, LINES, LINES))  # scroll a region
        for _ in range(rng.randint(5, 30)):  # one "frame" repaints some cells, top-style
            row, col = rng.randint(1, LINES), rng.randint(1, COLUMNS - 20)
            kind = rng.random()
            if kind < 0.4:
                sgr = b"\x1b[%d;%dm" % (rng.choice((0, 1, 2, 4, 7)), rng.randint(30, 37))
            elif kind < 0.7:
                sgr = b"\x1b[38;5;%d;48;5;%dm" % (rng.randint(0, 255), rng.randint(0, 255))
            else:
                sgr = b"\x1b[38;2;%d;%d;%dm" % (rng.randint(0, 255), rng.randint(0, 255), rng.randint(0, 255))
            text = " ".join(rng.choice(WORDS) for _ in range(rng.randint(1, 4))).encode()
            parts.append(b"\x1b[%d;%dH%s%s\x1b[m\x1b[K" % (row, col, sgr, text))
        chunk = b"".join(parts)
        out.append(chunk)
        total += len(chunk)
    return b"".join(out)


def plain_stream(size: int, seed: int = 16) -> bytes:
    rng = random.Random(seed)
    out: list[bytes] = []
    total = 0
    n = 0
    while total < size:
        n += 1
        text = " ".join(rng.choice(WORDS) for _ in range(rng.randint(3, 14))).encode()
        line = (b"%7d " % n) + text
        if n % 10 == 0:
            line = b"\x1b[32m" + line + b"\x1b[0m"
        line += b"\r\n"
        out.append(line)
        total += len(line)
    return b"".join(out)


def run_pyte(data: bytes) -> str:
    import pyte

    screen = pyte.Screen(COLUMNS, LINES)
    stream = pyte.ByteStream(screen)
    for at in range(0, len(data), READ):
        stream.feed(data[at:at + READ])
    return "\n".join(screen.display)


def run_exotui(data: bytes) -> str:
    from exotui.ssh.terminal import PyteEmulator

    emulator = PyteEmulator(COLUMNS, LINES)
    for at in range(0, len(data), READ):
        emulator.feed(data[at:at + READ])
    return "\n".join(emulator.display())


def run_ghostty(data: bytes) -> str:
    import pyghostty

    terminal = pyghostty.Terminal(COLUMNS, LINES, scrollback=2000)
    for at in range(0, len(data), READ):
        terminal.feed(data[at:at + READ])
    return terminal.text()


def run_adapter(data: bytes) -> str:
    """exotui's GhosttyEmulator as the widget drives it: 64 KiB reads, and a frame (the changed rows
    read back as styled runs) after every 256 KiB, as during a flood at 15 frames a second."""
    from exotui.ssh.vt import GhosttyEmulator

    emulator = GhosttyEmulator(COLUMNS, LINES)
    for at in range(0, len(data), READ):
        emulator.feed(data[at:at + READ])
        if at % (1 << 18) == 0:
            for y in emulator.take_dirty():
                emulator.runs(y)
    return "\n".join(emulator.display())


def measure(fn, data: bytes) -> tuple[float, float]:
    """(MB per CPU-second, MB per wall second)."""
    cpu, wall = time.process_time(), time.perf_counter()
    fn(data)
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    mb = len(data) / 1e6
    return mb / max(cpu, 1e-9), mb / max(wall, 1e-9)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mb", type=float, default=20)
    parser.add_argument("--pyte-mb", type=float, default=2, help="prefix of each stream pyte alone is fed")
    args = parser.parse_args()
    size = int(args.mb * 1e6)
    streams = {"escape": escape_stream(size), "plain": plain_stream(size)}
    candidates = [("pyte 0.8.2", run_pyte, int(args.pyte_mb * 1e6)), ("exotui pyte+jump", run_exotui, None)]
    try:
        import pyghostty

        candidates.append((f"pyghostty {pyghostty.__version__}", run_ghostty, None))
        candidates.append(("exotui ghostty+frames", run_adapter, None))
    except Exception as err:  # noqa: BLE001 - say why, measure the rest
        print(f"pyghostty unavailable: {type(err).__name__}: {err}")
    results: dict[tuple[str, str], tuple[float, float, int]] = {}
    for stream, data in streams.items():
        for name, fn, limit in candidates:
            piece = data[:limit] if limit else data
            cpu, wall = measure(fn, piece)
            results[name, stream] = (cpu, wall, len(piece))
    print(f"{COLUMNS}x{LINES}, {READ // 1024} KiB reads; MB per CPU-second (MB/s wall), ratio to pyte")
    print(f"{'engine':22} " + " ".join(f"{s + ' (' + format(len(d) / 1e6, '.1f') + ' MB)':>34}"
                                       for s, d in streams.items()))
    for name, _, _ in candidates:
        cells = []
        for stream in streams:
            cpu, wall, fed = results[name, stream]
            base = results["pyte 0.8.2", stream][0]
            cells.append(f"{cpu:9.2f} ({wall:7.2f}) x{cpu / base:7.1f} [{fed / 1e6:4.1f} MB]")
        print(f"{name:22} " + " ".join(f"{c:>34}" for c in cells))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The dashboard's input thread sleeps until there is input (textual_compat.quiet_linux_driver), on a real
pseudo-terminal: keys still arrive (a lone ESC too, through the parser's timeout), the thread does not wake
while nothing happens, a suspended app gets its keys back, and the app leaves at once when asked."""

from __future__ import annotations

import fcntl
import os
import pty
import select
import struct
import subprocess
import sys
import termios
import textwrap
from pathlib import Path

import pytest
from conditions import wait_until

pytestmark = [pytest.mark.timeout(60), pytest.mark.skipif(sys.platform == "win32", reason="a POSIX terminal")]

APP = textwrap.dedent("""
    import os, threading
    from textual.app import App
    from textual.widgets import Static
    from exotui.ui.textual_compat import quiet_linux_driver

    class Keys(App):
        def compose(self):
            yield Static("ready")
        def on_mount(self):
            self.ticks = 0
            self.set_interval(0.05, self.tick)
        def tick(self):
            self.ticks += 1
            ident = next(t.native_id for t in threading.enumerate() if t.name == "textual-input")
            self.query_one(Static).update(f"ticks={self.ticks} input={ident} {type(self._driver).__name__}")
        def on_key(self, event):
            if event.key == "q":
                self.exit()
            elif event.key == "z":
                with self.suspend():
                    pass
            with open(os.environ["KEYS_SEEN"], "a") as seen:
                seen.write(f"KEY[{event.key}]")

    Keys(driver_class=quiet_linux_driver()).run()
""")


class Terminal:
    def __init__(self, tmp_path: Path) -> None:
        script = tmp_path / "keys.py"
        script.write_text(APP)
        master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
        self.master = master
        self.seen = tmp_path / "keys.txt"
        self.seen.write_text("")
        self.process = subprocess.Popen([sys.executable, str(script)], stdin=slave, stdout=slave, stderr=slave,
                                        start_new_session=True,
                                        env={**os.environ, "TERM": "xterm-256color", "KEYS_SEEN": str(self.seen),
                                             "PYTHONPATH": str(Path(__file__).resolve().parents[2])})
        os.close(slave)
        self.screen = ""

    def read(self) -> str:
        while select.select([self.master], [], [], 0)[0]:
            try:
                self.screen = (self.screen + os.read(self.master, 65536).decode("utf-8", "replace"))[-8192:]
            except OSError:
                break
        return self.screen

    def keys(self) -> str:
        self.read()  # drained, or the app blocks writing to a full terminal
        return self.seen.read_text()

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)
        os.close(self.master)


def _wakeups(pid: int, thread: int) -> int:
    status = Path(f"/proc/{pid}/task/{thread}/status").read_text()
    return sum(int(line.split()[1]) for line in status.splitlines()
               if line.startswith(("voluntary_ctxt_switches", "nonvoluntary_ctxt_switches")))


def _ticks(term: Terminal) -> tuple[int, int] | None:
    import re

    found = re.findall(r"ticks=(\d+) input=(\d+) QuietLinuxDriver", term.read())
    return (int(found[-1][0]), int(found[-1][1])) if found else None


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="counts wake-ups in /proc")
def test_the_input_thread_sleeps_until_a_key_and_keys_still_arrive(tmp_path):
    term = Terminal(tmp_path)
    try:
        assert wait_until(lambda: _ticks(term), timeout=30), term.read()[-300:]
        start, thread = _ticks(term)
        before = _wakeups(term.process.pid, thread)
        # a second of the app's own timer (20 ticks of 0.05 s): Textual's input thread wakes 10 times in it
        assert wait_until(lambda: (_ticks(term) or (0, 0))[0] >= start + 20, timeout=30)
        assert _wakeups(term.process.pid, thread) - before <= 2
        os.write(term.master, b"a")
        assert wait_until(lambda: "KEY[a]" in term.keys(), timeout=10)
        os.write(term.master, b"\x1b")  # a lone ESC: the parser's 0.1 s timeout makes it a key
        assert wait_until(lambda: "KEY[escape]" in term.keys(), timeout=10)
        os.write(term.master, b"z")  # suspended and resumed: a new input thread
        assert wait_until(lambda: "KEY[z]" in term.keys(), timeout=10)
        os.write(term.master, b"b")
        assert wait_until(lambda: "KEY[b]" in term.keys(), timeout=10)
        os.write(term.master, b"q")
        assert wait_until(lambda: term.process.poll() is not None, timeout=10), "the app did not leave"
        assert term.process.returncode == 0, term.keys()
    finally:
        term.close()

"""Record the conformance corpus: real programs run under `script` in an 80x24 tmux pane (its own
tmux server, socket `exotui-corpus`), keys sent where the program is interactive; the typescript's
"Script started/done" lines are cut off. Re-run to refresh: python tests/ssh/corpus/record.py [NAME...]
(htop, dialog and whiptail: apt-get install htop dialog whiptail)."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).parent
SOCKET = ["tmux", "-L", "exotui-corpus"]
SAMPLE = "\n".join(f"line {i}: the quick brown fox jumps over the lazy dog" for i in range(1, 60)) + "\n"


def tmux(*args: str) -> str:
    return subprocess.run([*SOCKET, *args], check=True, capture_output=True, text=True).stdout


def wait_for(condition, what: str, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out waiting for {what}")
        time.sleep(0.05)


def record(name: str, command: str, keys: list[tuple[str, list[str]]] = ()) -> None:
    """keys: (text to wait for on the pane, or "!text" for its absence; keys to send then)."""
    out = Path(tempfile.mkdtemp()) / "typescript"
    done = f"done-{name}"
    shell = (f"env TERM=xterm-256color LANG=C.UTF-8 script -q -O {out} -c {command!r} </dev/tty; "
             f"{SOCKET[0]} -L {SOCKET[2]} wait-for -S {done}; sleep 60")
    tmux("new-session", "-d", "-s", name, "-x", "80", "-y", "24", shell)
    try:
        for wanted, send in keys:
            absent = wanted.startswith("!")
            wait_for(lambda: (wanted.lstrip("!") in tmux("capture-pane", "-p", "-t", name)) is not absent,
                     f"{wanted!r} in {name}")
            tmux("send-keys", "-t", name, *send)
        tmux("wait-for", done)
    finally:
        tmux("kill-session", "-t", name)
    data = out.read_bytes()
    data = data[data.index(b"\n") + 1:]  # "Script started on ..."
    cut = data.rfind(b"\nScript done on ")
    data = data[:cut + 1] if cut >= 0 else data
    (HERE / f"{name}.bin").write_bytes(data)
    print(f"{name}: {len(data)} bytes")


def recordings(work: Path) -> dict[str, tuple[str, list[tuple[str, list[str]]]]]:
    """name -> (command, keys), each run under `script` by record()."""
    sample = work / "sample.txt"
    sample.write_text(SAMPLE)
    nested = "env -u TMUX SHELL=/bin/sh tmux -L exotui-corpus-nested -f /dev/null new-session sh"  # TMUX: the outer pane
    return {
        "ls-color": ("ls --color=always -l /etc", []),
        "top": ("top -n 1", []),
        "less": (f"less {sample}", [("line 1:", ["Space"]), ("line 30", ["G"]), ("(END)", ["q"])]),
        "vim": (f"vim -u NONE -N -i NONE -c 'syntax on' -c 'set nu ruler' {work / 'edit.py'}",
                [("~", ["i", "def f(x):", "Enter", "    return x * 2  # edited", "Escape"]),
                 ("edited", [":wq", "Enter"])]),
        "git-log": ("git -C " + str(HERE.parents[2]) + " --no-pager log --color=always --graph -n 25 "
                    "--format='%C(yellow)%h%Creset %C(green)%an%Creset %s'", []),
        # interactive top: sort by memory, then by CPU again, colours and the highlighted column on
        "top-keys": ("top -d 0.5", [("load average", ["M"]), ("%MEM", ["z", "x"]), ("%CPU", ["P"]),
                                    ("load average", ["q"])]),
        "htop": ("htop -d 5", [("Load average", ["F6"]), ("Sort by", ["Down", "Down", "Enter"]),
                               ("!Sort by", ["t"]), ("!Sort by", ["q"])]),
        "man": ("man ls", [("LS(1)", ["Space"]), ("LS(1)", ["/", "color", "Enter"]), ("color", ["q"])]),
        # tmux inside the session: its status line, a command typed in it, a split pane, then it exits
        "tmux-nested": (nested, [("[0]", ["printf", " ", "'\\033[1;32mnested-ok\\033[m\\n'", "Enter"]),
                                 ("nested-ok", ["C-b", "%"]), ("│", ["ls", " ", "/usr", "Enter"]),
                                 ("include", ["exit", "Enter"]), ("!│", ["exit", "Enter"])]),
        "dialog": ("dialog --colors --title 'Pick a flavor' --menu '\\Z1GPU\\Zn or CPU?' 14 50 4 "
                   "m3.small 'CPU 2' m3.large 'CPU 16' g3.xl 'A100 40GB'",
                   [("Pick a flavor", ["Down", "Down"]), ("A100", ["Enter"])]),
        "whiptail": ("whiptail --title 'Delete instance' --yesno 'Delete web-frontend?' 10 40",
                     [("Delete web-frontend", ["Tab"]), ("Delete web-frontend", ["Enter"])]),
    }


def main() -> int:
    """Record the named recordings (all without names)."""
    work = Path(tempfile.mkdtemp())
    wanted = sys.argv[1:]
    tmux("new-session", "-d", "-s", "keep", "-x", "80", "-y", "24", "sleep 600")  # the server stays up between
    try:
        for name, (command, keys) in recordings(work).items():
            if not wanted or name in wanted:
                record(name, command, keys)
    finally:
        subprocess.run([*SOCKET, "kill-server"], capture_output=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

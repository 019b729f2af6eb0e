"""A demo instance's root, confined: the `sudo` its shells find first on PATH, and what the world reads back.

A demo "login" is a real shell on the machine running the demo cloud (sshd.py), so whatever it runs as root
must never reach this machine's /etc or crontab. Each instance gets a sandbox root of its own beside its users'
homes, and a `sudo` that runs only the commands the usage reporter's install and removal use (true; test -x/-f/-e;
tee; chmod; crontab -l; rm -f; sh -c 'SCRIPT > /dev/console'), each with its paths moved under that root; it
refuses anything else, or any path outside /opt, /etc/cron.d, /var/spool/cron, /dev/console and /dev/kmsg, with
one line. `reporter(root)` is how the world notices an installed reporter: a cron.d entry that runs, every
minute, a script the sandbox holds, into the console. A seeded instance that already writes usage lines gets
Exosphere's reporter in its sandbox (the script in /opt, the line in root's crontab), as Exosphere installs it.
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

# what a cron.d entry of a one-minute console reporter looks like: minute fields, user, script > console
_CRON_ENTRY = re.compile(r"^\* \* \* \* \* root (/\S+) > (/dev/console|/dev/kmsg)\s*$")
EXOSPHERE_SCRIPT = "/opt/system_load_json.py"

# the shim, run as its own process (ROOT is filled in per instance); stdlib only
SHIM = r'''
import os, shlex, subprocess, sys

ROOT = os.path.realpath(__ROOT__)
ALLOWED = ("/opt/", "/etc/cron.d/", "/var/spool/cron/", "/dev/console", "/dev/kmsg")
CRONTAB = "/var/spool/cron/crontabs/root"


def refuse(why):
    sys.stderr.write(f"sudo: {why} (an exotui demo instance: root's commands run in a sandbox)\n")
    sys.exit(1)


def inside(path):
    """The sandbox's copy of an absolute path of the instance, or a refusal."""
    if not path.startswith("/") or ".." in path.split("/") or not path.startswith(ALLOWED):
        refuse(f"{path}: outside what the demo's sandbox serves")
    real = os.path.realpath(os.path.join(ROOT, path.lstrip("/")))
    if not real.startswith(ROOT + os.sep):
        refuse(f"{path}: leaves the sandbox")
    return real


def main(argv):
    while argv and argv[0] == "-n":  # never asks for a password anyway
        argv = argv[1:]
    if not argv:
        refuse("no command")
    command, args = argv[0], argv[1:]
    if command == "true" and not args:
        return 0
    if command == "test" and len(args) == 2 and args[0] in ("-x", "-f", "-e"):
        path = inside(args[1])
        test = {"-x": lambda p: os.path.isfile(p) and os.access(p, os.X_OK), "-f": os.path.isfile,
                "-e": os.path.exists}[args[0]]
        return 0 if test(path) else 1
    if command == "tee" and args:
        append = args[0] == "-a"
        paths = [inside(p) for p in args[int(append):]]
        data = sys.stdin.buffer.read()
        for path in paths:
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "ab" if append else "wb") as f:
                f.write(data)
        sys.stdout.buffer.write(data)
        return 0
    if command == "chmod" and len(args) == 2 and args[0].isdigit():
        os.chmod(inside(args[1]), int(args[0], 8))
        return 0
    if command == "crontab" and args == ["-l"]:
        try:
            with open(inside(CRONTAB), "rb") as f:
                sys.stdout.buffer.write(f.read())
        except FileNotFoundError:
            sys.stderr.write("no crontab for root\n")
            return 1
        return 0
    if command == "rm" and args[:1] == ["-f"]:
        for path in args[1:]:
            try:
                os.unlink(inside(path))
            except FileNotFoundError:
                pass
        return 0
    if command == "sh" and len(args) == 2 and args[0] == "-c":
        words = shlex.split(args[1])
        if len(words) == 2 and words[1].startswith(">") and len(words[1]) > 1:
            words = [words[0], ">", words[1][1:]]
        if len(words) != 3 or words[1] != ">" or words[2] not in ("/dev/console", "/dev/kmsg"):
            refuse(f"sh -c {args[1]!r}: only 'SCRIPT > /dev/console' (or /dev/kmsg) runs here")
        script, console = inside(words[0]), inside(words[2])
        if not os.access(script, os.X_OK):
            refuse(f"{words[0]}: not an executable file")
        os.makedirs(os.path.dirname(console), exist_ok=True)
        with open(console, "ab") as out:
            return subprocess.run([script], stdout=out, timeout=60).returncode
    refuse(f"{shlex.join(argv)}: not one of the usage reporter's commands")


try:
    sys.exit(main(sys.argv[1:]))
except OSError as err:  # one line, as sudo's command would say it, never a traceback
    refuse(f"{(sys.argv[1:] or ['?'])[-1]}: {err.strerror or err}")
'''


def prepare(instance_dir: Path, server: dict) -> tuple[Path, Path]:
    """(the bin dir to put first on PATH, the sandbox root) of one instance, made on first use."""
    bin_dir, root = instance_dir / ".bin", instance_dir / ".root"
    shim = bin_dir / "sudo"
    if not shim.exists():
        bin_dir.mkdir(parents=True, exist_ok=True)
        root.mkdir(parents=True, exist_ok=True)
        shim.write_text(f"#!{sys.executable}\n" + SHIM.replace("__ROOT__", repr(str(root))))
        shim.chmod(0o755)
        if server.get("_usage") and not server.get("_usage_sandbox"):
            _exosphere_reporter(root, "/dev/kmsg" if server.get("_usage_kmsg") else "/dev/console")
    return bin_dir, root


def _exosphere_reporter(root: Path, console: str) -> None:
    """What Exosphere's setup left on an instance that writes usage lines: its script, and root's crontab line."""
    script = root / EXOSPHERE_SCRIPT.lstrip("/")
    script.parent.mkdir(parents=True, exist_ok=True)
    script.write_text("#!/bin/sh\n# Exosphere's system_load_json.py (on a demo instance, the demo cloud writes "
                      "its lines)\n")
    script.chmod(0o544)
    crontab = root / "var/spool/cron/crontabs/root"
    crontab.parent.mkdir(parents=True, exist_ok=True)
    crontab.write_text(f"* * * * * {EXOSPHERE_SCRIPT} > {console}\n")


def reporter(root: Path) -> str | None:
    """The console a cron.d entry of the sandbox writes a usage line to every minute (None: no such entry, or
    its script is not an executable file in the sandbox)."""
    cron_d = root / "etc" / "cron.d"
    try:
        entries = sorted(cron_d.iterdir())
    except OSError:
        return None
    for entry in entries:
        try:
            lines = entry.read_text(errors="replace").splitlines()
        except OSError:
            continue
        for line in lines:
            found = _CRON_ENTRY.match(line)
            if found and ".." not in found[1].split("/"):
                script = root / found[1].lstrip("/")
                if script.is_file() and os.access(script, os.X_OK):
                    return found[2]
    return None

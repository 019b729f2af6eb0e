"""pytest plugin loaded by tests/osc/run.py: records each OSC functional test's outcome as JSON.

One record per test: outcome (passed, failed, error, skipped), seconds, and one line saying why
(the `openstack` command's last stderr line for a failed command, else the exception's first line).
The file named by OSC_RESULTS_JSON is written at the end of the session.
"""

from __future__ import annotations

import ast
import json
import os
import re
import time

_RESULTS: dict[str, dict] = {}


_COMMAND = re.compile(r"Command '(openstack [^']*)' returned non-zero exit status")
_STDERR = re.compile(r"stderr:\s*\n(b?(['\"]).*?\2)\s*$", re.M | re.S)
_EXC_LINE = re.compile(r"^(?:E\s+)?([\w.]*(?:Error|Exception|Mismatch|Failed|Timeout)\w*:? .*)$")


def _verb(command: str) -> str:
    """'openstack --os-cloud X server create --flag y name' -> 'server create'."""
    words = command.split()[1:]
    while words and words[0].startswith("--os-"):
        words = words[2:]
    verb = []
    for word in words[:3]:
        if word.startswith("-") or not word.replace("-", "").isalpha():
            break
        verb.append(word)
    return " ".join(verb)


def _why(text: str) -> str:
    """One line saying why a test failed, from pytest's long representation of the failure."""
    command = _COMMAND.findall(text)
    stderr = _STDERR.findall(text)
    if command and stderr:
        try:
            raw = ast.literal_eval(stderr[-1][0])
        except (ValueError, SyntaxError):
            raw = stderr[-1][0]
        if isinstance(raw, bytes):
            raw = raw.decode("utf-8", "replace")
        lines = [line.strip() for line in raw.splitlines() if line.strip()]
        if lines:
            return f"[{_verb(command[-1])}] {lines[-1]}"
    for line in reversed(text.splitlines()):
        m = _EXC_LINE.match(line.strip())
        if m and "Incompatible Exception Representation" not in line:
            return m.group(1)
    lines = [line for line in text.splitlines() if line.strip()]
    return lines[-1].strip() if lines else ""


def pytest_runtest_logreport(report):
    rec = _RESULTS.setdefault(report.nodeid, {"outcome": "passed", "seconds": 0.0, "why": ""})
    rec["seconds"] = round(rec["seconds"] + report.duration, 2)
    if rec["outcome"] != "passed":
        return
    if report.skipped:
        rec["outcome"] = "skipped"
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        rec["why"] = reason.replace("Skipped: ", "", 1).strip().splitlines()[0][:240] if reason.strip() else ""
    elif report.failed:
        rec["outcome"] = "failed" if report.when == "call" else "error"
        text = report.longreprtext
        why = re.sub(r"https?://127\.0\.0\.1:\d+", "", _why(text)).replace("<br />", "").strip()
        rec["why"] = why[:240]
        rec["detail"] = text[-1200:]


def pytest_collection_modifyitems(session, config, items):
    global _COLLECTED
    _COLLECTED = len(items)


_COLLECTED = 0


def pytest_runtest_logfinish(nodeid, location):
    _write()  # after every test: a run stopped part way (a deadline, a kill) still leaves its table


def pytest_sessionfinish(session, exitstatus):
    _write()


def _write() -> None:
    path = os.environ.get("OSC_RESULTS_JSON")
    if not path:
        return
    with open(path + ".part", "w") as fh:
        json.dump({"collected": _COLLECTED or len(_RESULTS),
                   "finished_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                   "tests": _RESULTS}, fh, indent=1, sort_keys=True)
    os.replace(path + ".part", path)

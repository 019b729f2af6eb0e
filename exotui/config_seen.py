"""Has the clouds' config changed since openstacksdk last read it? Then the dashboard may draw first.

A bad clouds.yaml or an unknown --cloud must end exotui with one line before any screen, and only
openstacksdk's loader may read the config (never exotui itself). That loader costs about 0.45 s
with its imports, more than the whole first frame. So after each reading that succeeded, exotui
notes what it depended on: every file the loader looks for (present or not: inode, size and
change times), the working directory (the loader looks there first), the cloud asked for, and a
checksum of the OS_* variables (never their values; the file is the user's only, like clouds.yaml).
When nothing of that has changed, the same
reading would succeed again: the app starts at once and openstacksdk reads the config right after
the first frame. Anything else (a first start, an edited file, another OS_CLOUD) takes the full
reading before any screen, as before.
"""

from __future__ import annotations

import json
import os
import zlib  # Textual loads it anyway; hashlib would cost ~6 ms before the first frame
from pathlib import Path

from .paths import state_dir

FILE = "clouds-seen.json"
KEEP = 8  # readings remembered (several working directories or clouds in turn)


def _stat(path: str) -> list[int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return [st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns]


def _situation(cloud: str | None) -> str:
    variables = json.dumps(sorted((k, v) for k, v in os.environ.items() if k.startswith("OS_"))).encode()
    digest = f"{zlib.crc32(variables):08x}{zlib.adler32(variables):08x}"  # tells a change, not a secret
    return json.dumps([os.getcwd(), cloud or "", digest])


def _read(path: Path) -> dict:
    try:
        entries = json.loads(path.read_text())["entries"]
        return entries if isinstance(entries, dict) else {}
    except (OSError, ValueError, KeyError, TypeError):
        return {}


def record(cloud: str | None, secret_files: list[str], searched: list[str]) -> None:
    """After openstacksdk read the config without a problem (and found `cloud`, if one was asked
    for); `searched`: every file its loader looked for, found or not."""
    explicit = [os.environ[k] for k in ("OS_CLIENT_CONFIG_FILE", "OS_CLIENT_SECURE_FILE") if os.environ.get(k)]
    paths = list(dict.fromkeys([*explicit, *searched]))
    path = state_dir() / FILE
    entries = _read(path)
    entries.pop(_situation(cloud), None)
    entries[_situation(cloud)] = {"files": {p: _stat(p) for p in paths}, "secret_files": sorted(secret_files)}
    entries = dict(list(entries.items())[-KEEP:])
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        temporary = path.with_suffix(f".{os.getpid()}")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as out:
            json.dump({"entries": entries}, out)
        os.replace(temporary, path)
    except OSError:
        pass  # nothing remembered: the next start reads the config before its first frame


def unchanged(cloud: str | None) -> list[str] | None:
    """The secret-holding files of the last good reading if nothing it depended on has changed since
    (the caller warns about any others may read); None when the config must be read first."""
    entry = _read(state_dir() / FILE).get(_situation(cloud))
    if not isinstance(entry, dict) or not isinstance(entry.get("files"), dict) or not entry["files"]:
        return None
    if any(_stat(p) != key for p, key in entry["files"].items()):
        return None
    secret_files = entry.get("secret_files")
    return [str(p) for p in secret_files] if isinstance(secret_files, list) else None

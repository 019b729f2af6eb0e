"""Days of usage history per instance, kept under the user's state directory (paths.state_dir()/usage).

One small JSON file per instance, replaced atomically (written beside, then os.replace), bounded by age and
count; a file that does not read back (cut short, edited, another version's) is ignored with one log line
and rewritten at the next save. Instance IDs come from the cloud: a file is named by a hash of (cloud,
project, server ID), never by the ID itself.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import tempfile
from pathlib import Path

from .usage import DAY, Sample, Series

log = logging.getLogger("exotui.usage")

VERSION = 1
KEEP = 7 * DAY  # a week of minutes: about 10,000 samples, some 300 KB a file
MAX_SAMPLES = 7 * 1440 + 60


def _name(cloud: str, project_id: str, server_id: str) -> str:
    return hashlib.sha256(f"{cloud}\0{project_id}\0{server_id}".encode()).hexdigest()[:32] + ".json"


class UsageHistory:
    """Load and save each instance's Series under `root` (usually paths.state_dir() / "usage")."""

    def __init__(self, root: Path, keep: float = KEEP, max_samples: int = MAX_SAMPLES):
        self.root = root
        self.keep = keep
        self.max_samples = max_samples

    def path(self, cloud: str, project_id: str, server_id: str) -> Path:
        return self.root / _name(cloud, project_id, server_id)

    def load(self, cloud: str, project_id: str, server_id: str) -> Series:
        """The instance's history, or an empty Series (no file, or one that does not read: logged once)."""
        path = self.path(cloud, project_id, server_id)
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            return Series(keep=self.keep)
        except OSError as err:
            log.warning("usage history %s not read: %s", path.name, err.strerror or err)
            return Series(keep=self.keep)
        try:
            data = json.loads(raw)  # bytes not UTF-8: a ValueError like any other
            if data.get("v") != VERSION or data.get("server") != server_id:
                raise ValueError("not this version or not this instance")
            samples = [Sample(int(e), int(c), int(m), int(d), tuple(int(x) for x in g))
                       for e, c, m, d, g in data["samples"][-self.max_samples:]]
        except (ValueError, TypeError, KeyError, AttributeError) as err:
            log.warning("usage history %s ignored (corrupt: %s)", path.name, str(err)[:80])
            return Series(keep=self.keep)
        return Series(samples, keep=self.keep)

    def save(self, cloud: str, project_id: str, server_id: str, series: Series) -> None:
        """Write the series atomically: a reader sees the old file or the new one, never half of one."""
        self.root.mkdir(parents=True, exist_ok=True, mode=0o700)
        samples = series.samples[-self.max_samples:]
        body = json.dumps({"v": VERSION, "server": server_id,
                           "samples": [[s.epoch, s.cpu, s.mem, s.disk, list(s.gpu)] for s in samples]},
                          separators=(",", ":"))
        path = self.path(cloud, project_id, server_id)
        fd, tmp = tempfile.mkstemp(dir=self.root, prefix=".usage-", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(body)
            os.replace(tmp, path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
            raise

    def forget(self, cloud: str, project_id: str, server_id: str) -> None:
        """The instance is gone: its history goes too."""
        with contextlib.suppress(FileNotFoundError):
            self.path(cloud, project_id, server_id).unlink()


"""The last picture of each project on disk, so a restart shows it at once (marked stale, with its age).

One JSON file per (cloud, project, region) under the user's cache dir, mode 600 in a 700 folder, written
atomically (a temporary file beside it, then os.replace). It holds what the store held: names, states,
addresses, never a token or a password (the models carry none). A file that cannot be read is ignored
with one log line. The cache is never trusted as the cloud's state: the poller's first poll is a full list
of every kind, which replaces it.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import logging
import os
import tempfile
import time
import typing
from pathlib import Path
from typing import Any

from . import models
from .store import KINDS, ProjectKey, ProjectStore

log = logging.getLogger("exotui.cache")

VERSION = 1


def _models() -> dict[str, type]:
    """Each kind's model, from the poller's own tables (a kind added there is cached with no change here)."""
    from .poller import FETCHERS, INCREMENTAL, Lister

    found: dict[str, type] = {"servers": models.Server, "quotas": models.Quota, "allocations": models.Allocation}
    found.update({kind: getattr(fetch, "model") for kind, fetch in FETCHERS.items()  # noqa: B009
                  if isinstance(fetch, Lister) or isinstance(getattr(fetch, "model", None), type)})
    found.update({kind: how.model for kind, how in INCREMENTAL.items()})
    return found


def _file(folder: Path, key: ProjectKey) -> Path:
    name = hashlib.sha256(f"{key.cloud}\0{key.project_id}\0{key.region}".encode()).hexdigest()[:32]
    return folder / "projects" / f"{name}.json"


def _encode(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _encode(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, (tuple, list)):
        return [_encode(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _encode(v) for k, v in value.items()}
    return value


@functools.lru_cache(maxsize=None)
def _fields(kind: type) -> tuple[tuple[str, Any, bool], ...]:
    """A model's fields: (name, annotated type, whether the value needs decoding), worked out once."""
    hints = typing.get_type_hints(kind)
    plain = (str, int, float, bool, dict, typing.Any)
    return tuple((f.name, hints[f.name], not all(part in plain or part is type(None) for part in
                                                  (typing.get_args(hints[f.name]) or (hints[f.name],))))
                 for f in dataclasses.fields(kind))


def _decode(kind: Any, value: Any) -> Any:
    """`value` (from JSON) as the annotated type `kind`: dataclasses field by field, tuples of them."""
    origin = typing.get_origin(kind)
    if dataclasses.is_dataclass(kind) and isinstance(kind, type):
        if not isinstance(value, dict):
            raise ValueError(f"{kind.__name__}: not an object")
        return kind(**{name: _decode(hint, value[name]) if complex_ else value[name]
                       for name, hint, complex_ in _fields(kind) if name in value})
    if origin is tuple:
        inner = typing.get_args(kind)[0]
        return tuple(_decode(inner, v) for v in value)
    if origin is typing.Union or type(kind).__name__ == "UnionType":
        for option in typing.get_args(kind):
            if option is type(None) and value is None:
                return None
        options = [o for o in typing.get_args(kind) if o is not type(None)]
        return _decode(options[0], value) if len(options) == 1 else value
    return value


def save(folder: Path, store: ProjectStore, user_id: str = "") -> Path | None:
    """Write the store's loaded kinds (atomically, mode 600); None if nothing is loaded yet. `user_id`: who
    was logged in (not a secret), so that other users' instances are told apart before the login is done."""
    kinds = {kind: [_encode(item) for item in store.get(kind).values()]
             for kind in KINDS if store.state(kind).loaded}
    if not kinds.get("servers") and not store.state("servers").loaded:
        return None
    ages = {kind: store.state(kind).last_ok for kind in kinds}
    body = {"version": VERSION, "key": dataclasses.asdict(store.key), "saved": time.time(), "last_ok": ages,
            "user_id": user_id, "kinds": kinds}
    path = _file(folder, store.key)
    path.parent.mkdir(parents=True, exist_ok=True)
    for each in (folder, path.parent):
        os.chmod(each, 0o700)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".", suffix=".tmp")
    try:
        with os.fdopen(fd, "w") as out:  # mkstemp makes it 600
            json.dump(body, out, separators=(",", ":"))
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path


def known(folder: Path, cloud: str) -> list[tuple[ProjectKey, dict]]:
    """Every cached project of `cloud`, as (key, body); unreadable files are skipped with one log line."""
    found = []
    for path in sorted((folder / "projects").glob("*.json")):
        try:
            body = json.loads(path.read_text())
            if body.get("version") != VERSION:
                continue
            key = ProjectKey(**body["key"])
        except (OSError, ValueError, TypeError, KeyError, AttributeError) as err:
            log.warning("cache: ignoring %s (%s)", path, type(err).__name__)
            continue
        if key.cloud == cloud:
            found.append((key, body))
    return found


@dataclasses.dataclass(frozen=True)
class Picture:
    """One project as it was cached: its models by kind, when each kind was last fetched, who was logged in."""

    key: ProjectKey
    kinds: dict[str, list]
    last_ok: dict[str, float]
    user_id: str = ""


def pictures(folder: Path, cloud: str) -> list[Picture]:
    """Every readable cached project of `cloud`, made into models (in a thread: 1,000 servers take a while).
    A file or a picture that cannot be read is ignored with one log line."""
    found = []
    kinds = _models()
    for key, body in known(folder, cloud):
        try:
            models_by_kind = {kind: [_decode(kinds[kind], item) for item in items]
                              for kind, items in body["kinds"].items() if kind in kinds and kind in KINDS}
            saved = float(body.get("saved") or 0)
            ages = {kind: float((body.get("last_ok") or {}).get(kind) or saved) for kind in models_by_kind}
        except (ValueError, TypeError, KeyError, AttributeError) as err:
            log.warning("cache: ignoring the picture of %s (%s)", key, type(err).__name__)
            continue
        found.append(Picture(key, models_by_kind, ages, str(body.get("user_id") or "")))
    return found


def restore(store: ProjectStore, picture: Picture) -> None:
    """Fill `store` with a cached picture; each kind keeps the age it had when saved (so it shows stale)."""
    for kind, items in picture.kinds.items():
        store.replace(kind, items)
        store.state(kind).last_ok = picture.last_ok[kind]

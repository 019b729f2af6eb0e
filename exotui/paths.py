"""Where exotui keeps its own files. Light on purpose: the CLI asks before the first frame."""

from __future__ import annotations

import os
from pathlib import Path


def state_dir() -> Path:
    """$XDG_STATE_HOME/exotui (or the platform's equivalent); EXOTUI_STATE_DIR overrides it. The log,
    the pinned host keys, the users remembered per instance and the config last seen live here."""
    override = os.environ.get("EXOTUI_STATE_DIR")
    if override:
        return Path(override)
    import platformdirs  # Textual loads it anyway

    return Path(platformdirs.user_state_dir("exotui", appauthor=False))


def cache_dir() -> Path:
    """$XDG_CACHE_HOME/exotui (or the platform's equivalent); EXOTUI_CACHE_DIR overrides it. The last
    picture of each project lives here (cloud/cache.py), for a warm start."""
    override = os.environ.get("EXOTUI_CACHE_DIR")
    if override:
        return Path(override)
    import platformdirs

    return Path(platformdirs.user_cache_dir("exotui", appauthor=False))

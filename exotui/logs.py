"""exotui's log file: in the platform state directory, rotated, private to the user, secrets redacted.

Library chatter (keystoneauth, openstacksdk, urllib3, Python warnings) goes to the file and never
to the terminal, where it would tear through the dashboard's screen.
"""

from __future__ import annotations

import logging
import logging.handlers
import os
import re
from pathlib import Path

from .paths import state_dir

LOG_NAME = "exotui.log"
MAX_BYTES = 1024 * 1024
BACKUPS = 3
FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
REDACTED = "***"

# `key=value`, `key: value`, `"key": "value"` and HTTP headers whose key names a secret. The value
# stops at a quote, comma, brace, ampersand or whitespace; a header's value is the rest of its line.
_KEYED = re.compile(r"""(?ix)
    ( (?:x-auth-token|x-subject-token|x-service-token)["']?\s*[:=]\s*["']?
    | [\w.-]*(?:password|passwd|secret|passcode|token|totp)[\w-]*["']?\s*[:=]\s*["']?
    )
    ( (?:\{SHA256\}|Bearer\s+)?[^\s"',}&;]+ )
""")
# Exosphere's exouser passphrase: a server tag "exoPw:<words with spaces>" (in every server list a library
# logs at DEBUG) or, on older instances, the "exouserPassword" metadata; the value runs to its closing quote
_PASSPHRASE = re.compile(r"""(exoPw:|exouserPassword["']?\s*[:=]\s*["'])[^"'\n]*""", re.IGNORECASE)
_LIBRARIES = ("keystoneauth", "keystoneauth1", "openstack", "urllib3", "requests", "stevedore", "asyncssh",
              "py.warnings")


class Redactor:
    """Removes secrets from text: values of secret-named keys and headers, and known secret values."""

    def __init__(self) -> None:
        self.known: set[str] = set()

    def add(self, *secrets: str) -> None:
        # short values would blank out ordinary words ("ab" in every line); real secrets are longer
        self.known.update(s for s in secrets if s and len(s) >= 6)

    def __call__(self, text: str) -> str:
        for secret in sorted(self.known, key=len, reverse=True):
            text = text.replace(secret, REDACTED)
        if "xoPw" in text or "serPassword" in text:  # the fast path: most lines hold neither
            text = _PASSPHRASE.sub(lambda m: m.group(1) + REDACTED, text)
        return _KEYED.sub(lambda m: m.group(1) + REDACTED, text)


redact = Redactor()


class RedactingFormatter(logging.Formatter):
    """Redacts the whole formatted record, tracebacks included (a filter sees only the message)."""

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


class RedactingFilter(logging.Filter):
    """Redacts the message itself, so a record reads the same wherever else it propagates."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a library's bad format string: keep what it meant to say, redacted
            message = f"{record.msg} {record.args}"
        record.msg, record.args = redact(message), None
        return True


class PrivateRotatingFileHandler(logging.handlers.RotatingFileHandler):
    """A RotatingFileHandler whose files are created 0600, so no other user can read them."""

    def _open(self):
        fd = os.open(self.baseFilename, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        os.chmod(self.baseFilename, 0o600)  # a file left by an older version, or a looser umask
        return os.fdopen(fd, self.mode, encoding=self.encoding, errors=self.errors)


_installed: PrivateRotatingFileHandler | None = None


def setup_logging(directory: Path | None = None, *, max_bytes: int = MAX_BYTES, backups: int = BACKUPS,
                  level: int = logging.INFO) -> Path | None:
    """Send every log record (and Python warnings) to DIR/exotui.log; return its path, or None when
    the state directory cannot be written (then nothing is logged, and nothing reaches the terminal
    either). Calling it again replaces the previous file handler."""
    global _installed
    root = logging.getLogger()
    try:
        folder = Path(directory) if directory is not None else state_dir()
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        handler = PrivateRotatingFileHandler(folder / LOG_NAME, maxBytes=max_bytes, backupCount=backups,
                                             encoding="utf-8", delay=False)
    except OSError:
        handler = None
    if _installed is not None:
        root.removeHandler(_installed)
        _installed.close()
    _installed = handler
    logging.captureWarnings(True)  # warnings.warn from the SDK would otherwise print on stderr
    if handler is None:
        root.addHandler(logging.NullHandler())  # not logging's last resort, which prints to stderr
        return None
    handler.setFormatter(RedactingFormatter(FORMAT))
    handler.addFilter(RedactingFilter())
    root.addHandler(handler)
    root.setLevel(level)
    for name in _LIBRARIES:
        library = logging.getLogger(name)
        library.setLevel(logging.WARNING)  # their DEBUG/INFO logs request bodies; warnings are enough
        for stray in [h for h in library.handlers if isinstance(h, logging.StreamHandler)
                      and not isinstance(h, logging.FileHandler)]:
            library.removeHandler(stray)  # e.g. openstack.enable_logging(stream=sys.stderr)
    return Path(handler.baseFilename)

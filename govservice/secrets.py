"""The server-side secret used to hash one-time codes and what a login keeps about the person."""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets as _secrets
from functools import lru_cache

from govservice.config import VAR_DIR


@lru_cache(maxsize=1)
def secret_key() -> bytes:
    """``GOV_SECRET_KEY`` from the environment, else a random key kept in ``var/secret.key``.

    The file is created on first use with mode 0600 and is never committed.
    """
    value = os.environ.get("GOV_SECRET_KEY")
    if value:
        return value.encode()
    path = VAR_DIR / "secret.key"
    if not path.exists():
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(_secrets.token_hex(32))
    return path.read_text().strip().encode()


def keyed_hash(*parts: str) -> str:
    """HMAC-SHA256 of ``parts`` under :func:`secret_key`: stores what must be matched, never read back."""
    message = "\x1f".join(parts).encode()
    return hmac.new(secret_key(), message, hashlib.sha256).hexdigest()

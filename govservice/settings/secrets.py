"""Installation secrets and every other private file the project keeps under ``var/``.

One way to write them: files are mode 0600 and directories 0700 whatever the umask, and a secret
file appears complete or not at all (written to a private temporary file, then linked into
place), so two processes starting together read the same secret and never an empty one.

Each secret comes from its environment variable when that is set, else from a random value
generated on first use and kept in ``VAR_DIR/<file>``; none is ever in git.

Command line (``scripts/run.sh`` exports the servers' shared secrets with it)::

    python -m govservice.settings.secrets rasa_token action_token   # prints export NAME=value lines
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets as _secrets
import shlex
import sys
import tempfile
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Dict, Optional, Sequence, Union

from govservice import settings

FILE_MODE = 0o600
DIR_MODE = 0o700


@dataclass(frozen=True)
class Secret:
    """A secret of the installation: its environment variable, else a random value in ``VAR_DIR/file``."""

    file: str
    env: str
    random_bytes: int = 32


GOV_SECRET_KEY = Secret("secret.key", "GOV_SECRET_KEY")
"""Hashes one-time codes and derives decoy phone tails (govservice.identity.auth)."""
STAFF_SECRET = Secret("staff_secret.key", "STAFF_SECRET")
"""Signs console sessions (staff.console.sessions)."""
WECHAT_TOKEN = Secret("wechat_token", "WECHAT_TOKEN", 16)
"""The WeChat channel's signature token when none is configured (development)."""
RASA_TOKEN = Secret("rasa_token", "RASA_TOKEN", 24)
"""Rasa's HTTP API token (``--auth-token``): notifications and the handoff console use it."""
ACTION_TOKEN = Secret("action_token", "ACTION_SERVER_TOKEN")
"""Shared by the Rasa server and the action server (bot.action_server); endpoints.yml sends it."""
DEMO_SECRET = Secret("demo_secret", "DEMO_OFFICER_SECRET")
"""Derives the demo officers' passwords and first API tokens (govservice.accounts.officers)."""

BY_NAME: Dict[str, Secret] = {
    s.file: s for s in (GOV_SECRET_KEY, STAFF_SECRET, WECHAT_TOKEN, RASA_TOKEN, ACTION_TOKEN, DEMO_SECRET)
}


def private_dir(path: Path) -> Path:
    """Create ``path`` and its missing parents as mode 0700 directories, tighten ``path``; return it."""
    if not path.exists():
        private_dir(path.parent)  # mkdir(parents=True) would give the parents the umask's mode
        path.mkdir(mode=DIR_MODE, exist_ok=True)
    if path.stat().st_mode & 0o777 != DIR_MODE:
        os.chmod(path, DIR_MODE)
    return path


def write_private(path: Path, content: Union[str, bytes], *, replace: bool = True) -> bool:
    """Write ``content`` to ``path`` as a mode 0600 file, atomically; its directory becomes 0700.

    Args:
        path: the file.
        content: text (written as UTF-8) or bytes.
        replace: overwrite an existing file; when False an existing file is kept as it is.

    Returns:
        True when this call wrote the file, False when ``replace`` is False and it existed.
    """
    private_dir(path.parent)
    data = content.encode("utf-8") if isinstance(content, str) else content
    fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)  # mkstemp files are 0600
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        if replace:
            os.replace(temp, path)
            return True
        try:
            os.link(temp, path)  # fails if the file exists: the first writer wins, complete
        except FileExistsError:
            return False
        return True
    finally:
        if os.path.exists(temp):
            os.unlink(temp)


def make_private(path: Path) -> None:
    """Tighten an existing file to mode 0600 (files written before this module existed were 0644)."""
    if path.exists() and path.stat().st_mode & 0o777 != FILE_MODE:
        os.chmod(path, FILE_MODE)


def append_private(path: Path, text: str) -> None:
    """Append ``text`` to ``path``, creating it as a mode 0600 file (its directory 0700)."""
    private_dir(path.parent)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, FILE_MODE)
    make_private(path)
    with os.fdopen(fd, "a", encoding="utf-8") as handle:
        handle.write(text)


def stored_secret(secret: Secret, var_dir: Optional[Path] = None) -> str:
    """``$env`` of ``secret`` when set, else the installation's value (created on first use).

    Args:
        secret: which secret.
        var_dir: where the file lives; ``VAR_DIR`` by default.
    """
    value = settings.current().secrets.get(secret.env, "")
    if value:
        return value
    path = (var_dir or settings.current().var_dir) / secret.file
    try:
        current, exists = path.read_text().strip(), True
    except FileNotFoundError:
        current, exists = "", False
    if not current:
        # Look once: asking "exists?" again here let a process that came second replace the
        # secret the first had just created, so two processes used two secrets.
        write_private(path, _secrets.token_hex(secret.random_bytes), replace=exists)
    make_private(path)
    return path.read_text().strip()


def secret_file_exists(secret: Secret, var_dir: Optional[Path] = None) -> bool:
    """Whether the installation already has this secret's file (False before the first start)."""
    path = (var_dir or settings.current().var_dir) / secret.file
    return path.exists() and bool(path.read_text().strip())


@lru_cache(maxsize=1)
def secret_key() -> bytes:
    """The key that hashes one-time codes: ``GOV_SECRET_KEY``, else ``var/secret.key``."""
    return stored_secret(GOV_SECRET_KEY).encode()


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Print ``export ENV=value`` for each named secret (see the module docstring); return the exit status."""
    names = list(sys.argv[1:] if argv is None else argv)
    unknown = [name for name in names if name not in BY_NAME]
    if not names or unknown:
        print("用法：python -m govservice.settings.secrets " + " | ".join(BY_NAME), file=sys.stderr)
        return 2
    for name in names:
        secret = BY_NAME[name]
        print(f"export {secret.env}={shlex.quote(stored_secret(secret))}")
    return 0



def keyed_hash(*parts: str) -> str:
    """HMAC-SHA256 of ``parts`` under :func:`secret_key`: stores what must be matched, never read back."""
    message = "\x1f".join(parts).encode()
    return hmac.new(secret_key(), message, hashlib.sha256).hexdigest()


if __name__ == "__main__":
    sys.exit(main())

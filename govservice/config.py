"""Paths and settings shared by the back office, read from the environment."""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
KNOWLEDGE_BASE = Path(os.environ.get("KNOWLEDGE_BASE_DIR", ROOT / "knowledge_base"))
VAR_DIR = Path(os.environ.get("VAR_DIR", ROOT / "var"))


def database_url() -> str:
    """Return the database URL: ``DATABASE_URL`` or a SQLite file under ``var/``."""
    url = os.environ.get("DATABASE_URL")
    if url:
        return url
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{VAR_DIR / 'govservice.db'}"

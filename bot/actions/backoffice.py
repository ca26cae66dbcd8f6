"""Process-wide access to the back office for the action server."""

from __future__ import annotations

import threading

from govservice.catalog import Catalog
from govservice.seed import init_db

_lock = threading.Lock()
_catalog: Catalog | None = None


def catalog() -> Catalog:
    """Return the catalog snapshot, creating and seeding the database on first use."""
    global _catalog
    if _catalog is None:
        with _lock:
            if _catalog is None:
                init_db()
                _catalog = Catalog.load()
    return _catalog


def reset() -> None:
    """Forget the snapshot so the next call reloads it (tests, catalog edits)."""
    global _catalog
    with _lock:
        _catalog = None

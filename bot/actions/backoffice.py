"""Process-wide access to the back office for the action server."""

from __future__ import annotations

import logging
import threading
import time

from govservice import settings
from govservice.catalog.lookup import Catalog
from govservice.faq import service as faq
from govservice.seed import init_db

logger = logging.getLogger(__name__)
WARM_UP_ENV = "ACTIONS_WARM_UP"
WARM_UP_ATTEMPTS = 5
WARM_UP_PAUSE_SECONDS = 3.0

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


def warm_up(attempts: int = WARM_UP_ATTEMPTS, pause: float = WARM_UP_PAUSE_SECONDS) -> bool:
    """Load the catalog, jieba, the item index and the FAQ index now rather than inside a first turn.

    Loading jieba's dictionary alone takes 1 to 1.5 s here, and indexing thousands of items a few
    seconds more; the first question after a start would otherwise wait for them. A failed attempt
    (PostgreSQL dropped the connection while a restarted server warmed up: tests/faults) is tried
    again after ``pause`` seconds: left to the first turns, the loading held every turn of this
    server for 15 to 30 s.

    Returns:
        Whether the server is warm.
    """
    for attempt in range(1, attempts + 1):
        try:
            catalog().index  # noqa: B018  (builds the item retrieval index)
            faq.warm_index()
            logger.info("action server warmed up: catalog, item index and FAQ index loaded")
            return True
        except Exception:
            logger.exception("warm-up attempt %d of %d failed", attempt, attempts)
            if attempt < attempts:
                time.sleep(pause)
    logger.error("warm-up gave up; the first turn will load the catalog and FAQ index")
    return False


def start_warm_up() -> None:
    """Warm up in a background thread when ``ACTIONS_WARM_UP=1`` (set by scripts/run.sh).

    Off by default, so importing the actions in tests touches no database.
    """
    if settings.current().actions_warm_up:
        threading.Thread(target=warm_up, name="actions-warm-up", daemon=True).start()

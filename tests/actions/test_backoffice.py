"""The action server's warm-up loads the catalog and the FAQ index before the first turn."""

from __future__ import annotations

import threading

import pytest

from bot.actions import backoffice
from govservice.faq import search as faq_search
from govservice.settings import reload as reload_settings


def test_warm_up_builds_the_faq_index_and_the_catalog(catalog) -> None:
    faq_search._indexes.clear()
    backoffice.reset()
    backoffice.warm_up()
    assert backoffice._catalog is not None and len(faq_search._indexes) == 1
    assert backoffice._catalog._index is not None  # the item retrieval index too


@pytest.mark.parametrize(("value", "starts"), [(None, False), ("0", False), ("1", True)])
def test_the_warm_up_thread_starts_only_when_asked(monkeypatch, value: str | None, starts: bool) -> None:
    started = []
    monkeypatch.setattr(threading.Thread, "start", lambda self: started.append(self.name))
    if value is None:
        monkeypatch.delenv(backoffice.WARM_UP_ENV, raising=False)
        reload_settings()
    else:
        monkeypatch.setenv(backoffice.WARM_UP_ENV, value)
        reload_settings()
    backoffice.start_warm_up()
    assert started == (["actions-warm-up"] if starts else [])


def test_a_warm_up_that_lost_its_database_connection_tries_again(catalog, monkeypatch) -> None:
    # As when PostgreSQL drops the connections while a restarted action server warms up (tests/faults).
    from sqlalchemy.exc import OperationalError

    calls = []
    real_init_db = backoffice.init_db

    def dropped_once() -> None:
        calls.append(1)
        if len(calls) == 1:
            raise OperationalError("COMMIT", {}, Exception("server closed the connection unexpectedly"))
        real_init_db()

    monkeypatch.setattr(backoffice, "init_db", dropped_once)
    faq_search._indexes.clear()
    backoffice.reset()
    assert backoffice.warm_up(attempts=3, pause=0) is True
    assert len(calls) == 2 and backoffice._catalog is not None and len(faq_search._indexes) == 1


def test_a_warm_up_gives_up_after_its_attempts(catalog, monkeypatch) -> None:
    def down() -> None:
        raise RuntimeError("database down")

    monkeypatch.setattr(backoffice, "init_db", down)
    backoffice.reset()
    assert backoffice.warm_up(attempts=2, pause=0) is False and backoffice._catalog is None
    backoffice.reset()

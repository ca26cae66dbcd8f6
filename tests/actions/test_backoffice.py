"""The action server's warm-up loads the catalog and the FAQ index before the first turn."""

from __future__ import annotations

import threading

import pytest

from bot.actions import backoffice
from govservice import faq_search


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
    else:
        monkeypatch.setenv(backoffice.WARM_UP_ENV, value)
    backoffice.start_warm_up()
    assert started == (["actions-warm-up"] if starts else [])

"""Guess limits: slots taken atomically, given back, restarted after the window; SQLite and PostgreSQL."""

from __future__ import annotations

import datetime
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from govservice import limits
from govservice.db import migrate, session_scope
from govservice.limits import AttemptLimit, Limit

NOW = datetime.datetime(2026, 11, 28, 9, 0, 0)
LIMIT = Limit(3, datetime.timedelta(minutes=15))


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    if request.param == "postgresql":
        url = str(request.getfixturevalue("postgres_url"))
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('limits')}/limits.db"
    migrate(url)
    return url


def _reserve(url: str, key: str, now: datetime.datetime = NOW):  # type: ignore[no-untyped-def]
    with session_scope(url) as s:
        return limits.reserve(s, key, LIMIT, now)


def test_slots_run_out_then_the_key_is_locked_for_the_window(db_url: str) -> None:
    taken = [_reserve(db_url, "k", NOW + datetime.timedelta(minutes=i)) for i in range(5)]
    assert taken == [1, 2, 3, None, None]
    with session_scope(db_url) as s:
        # Locked for the window after the last slot taken; refused guesses do not extend it.
        assert limits.locked_until(s, "k", LIMIT, NOW + datetime.timedelta(minutes=4)) == NOW + datetime.timedelta(
            minutes=17
        )
        assert limits.locked_until(s, "other", LIMIT, NOW) is None
    assert _reserve(db_url, "other") == 1
    assert _reserve(db_url, "k", NOW + datetime.timedelta(minutes=17)) == 1  # the count restarted


def test_a_right_guess_gives_its_slot_back_and_clear_forgets_all(db_url: str) -> None:
    assert _reserve(db_url, "k") == 1
    assert _reserve(db_url, "k") == 2
    with session_scope(db_url) as s:
        limits.release(s, "k")
    assert _reserve(db_url, "k") == 2
    with session_scope(db_url) as s:
        limits.clear(s, "k")
    assert _reserve(db_url, "k") == 1


def test_parallel_guesses_take_no_more_slots_than_the_limit(db_url: str) -> None:
    guesses = 16
    start = threading.Barrier(guesses)

    def guess(_: int):  # type: ignore[no-untyped-def]
        start.wait()
        return _reserve(db_url, "parallel")

    with ThreadPoolExecutor(guesses) as pool:
        taken = list(pool.map(guess, range(guesses)))
    assert sorted(t for t in taken if t is not None) == [1, 2, 3]
    assert taken.count(None) == guesses - LIMIT.max_failures


def test_purge_deletes_only_keys_whose_window_has_passed(db_url: str) -> None:
    _reserve(db_url, "old", NOW)
    _reserve(db_url, "recent", NOW + datetime.timedelta(minutes=10))
    with session_scope(db_url) as s:
        assert limits.purge(s, NOW + datetime.timedelta(minutes=16)) == 1
        assert [row.key for row in s.query(AttemptLimit)] == ["recent"]

"""Console login lockout in the database: the limit, per username, a right password's slot given back."""

from __future__ import annotations

import datetime

import pytest

from govservice.accounts.lockout import LOCK_MINUTES, MAX_FAILURES, release, reserve
from govservice.db import migrate, session_scope

NOW = datetime.datetime(2026, 11, 28, 9, 0, 0)


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    if request.param == "postgresql":
        url = str(request.getfixturevalue("postgres_url"))
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('lockout')}/lockout.db"
    migrate(url)
    return url


def _reserve(url: str, username: str, now: datetime.datetime) -> bool:
    with session_scope(url) as s:  # a session per login, as each request has
        return reserve(s, username, now)


def test_the_limit_locks_only_that_username_for_the_window(db_url: str) -> None:
    checks = [_reserve(db_url, "faq_editor", NOW + datetime.timedelta(seconds=i)) for i in range(MAX_FAILURES + 1)]
    assert checks == [True] * MAX_FAILURES + [False]
    assert _reserve(db_url, "admin", NOW)
    later = NOW + datetime.timedelta(seconds=MAX_FAILURES - 1, minutes=LOCK_MINUTES)
    assert not _reserve(db_url, "faq_editor", later - datetime.timedelta(seconds=1))
    assert _reserve(db_url, "faq_editor", later)


def test_a_right_password_does_not_count_and_long_names_are_cut(db_url: str) -> None:
    for _ in range(MAX_FAILURES * 2):
        assert _reserve(db_url, "admin", NOW)
        with session_scope(db_url) as s:
            release(s, "admin")
    long_name = "x" * 300
    for _ in range(MAX_FAILURES):
        assert _reserve(db_url, long_name, NOW)
    assert not _reserve(db_url, "x" * 40 + "different tail", NOW)

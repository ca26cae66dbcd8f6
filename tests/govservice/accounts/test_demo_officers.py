"""Demo staff accounts: credentials from a per-installation secret, never the public one by default."""

from __future__ import annotations

import stat
from pathlib import Path
from typing import Callable, List

import pytest

from govservice.accounts import officers
from govservice.accounts.demo_officers import (
    PUBLIC_DEMO_SECRET,
    demo_accounts_text,
    demo_password,
    demo_secret,
    demo_token,
    seed_officers,
)
from govservice.accounts.officers import Officer, OfficerError, authenticate_password, authenticate_token, issue_token
from govservice.db import session_scope
from govservice.seed import init_db
from govservice.settings import reload as reload_settings

# What the public secret derives: anyone who read the repository could log in with these.
PUBLIC_GA_PASSWORD = "demo-969897054834"
PUBLIC_ADMIN_PASSWORD = "demo-dd593efab6c8"


@pytest.fixture()
def var(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh installation: its own ``VAR_DIR``, no demo settings in the environment."""
    monkeypatch.setenv("VAR_DIR", str(tmp_path / "var"))
    reload_settings()
    for name in ("DEMO_OFFICER_SECRET", "DEMO_MODE", "DEMO_DATA"):
        monkeypatch.delenv(name, raising=False)
        reload_settings()
    return tmp_path / "var"


def fresh_db(create: Callable[[str], str]) -> str:
    url = create("demo")
    init_db(url, faq=False)
    return url


def test_a_fresh_installation_gets_its_own_private_secret(var: Path, new_database: Callable[[str], str]) -> None:
    url = fresh_db(new_database)
    secret = demo_secret()
    assert secret != PUBLIC_DEMO_SECRET and len(secret) == 64
    assert (var / "demo_secret").read_text().strip() == secret
    assert stat.S_IMODE((var / "demo_secret").stat().st_mode) == 0o600
    with session_scope(url) as s:
        assert authenticate_password(s, "ga_officer", PUBLIC_GA_PASSWORD) is None
        assert authenticate_password(s, "admin", PUBLIC_ADMIN_PASSWORD) is None
        assert authenticate_token(s, demo_token("ga_officer", PUBLIC_DEMO_SECRET)) is None
        ga = authenticate_password(s, "ga_officer", demo_password("ga_officer"))
        assert ga is not None and authenticate_token(s, demo_token("ga_officer")) is ga


def test_the_public_secret_is_refused_unless_demo_mode(
    var: Path, new_database: Callable[[str], str], monkeypatch: pytest.MonkeyPatch
) -> None:
    url = fresh_db(new_database)
    monkeypatch.setenv("DEMO_OFFICER_SECRET", PUBLIC_DEMO_SECRET)
    reload_settings()
    with pytest.raises(OfficerError, match="公开的演示默认值.*DEMO_MODE=1"):
        demo_secret()
    with session_scope(url) as s, pytest.raises(OfficerError):
        seed_officers(s)
    with pytest.raises(OfficerError):
        init_db(fresh_db(new_database))  # so scripts/run.sh stops at the seed step
    monkeypatch.setenv("DEMO_MODE", "1")
    reload_settings()
    assert demo_secret() == PUBLIC_DEMO_SECRET
    monkeypatch.delenv("DEMO_OFFICER_SECRET")
    reload_settings()
    assert demo_secret() == PUBLIC_DEMO_SECRET  # DEMO_MODE=1 alone: the reproducible public demo
    assert demo_password("ga_officer") == PUBLIC_GA_PASSWORD


def test_accounts_seeded_with_the_public_secret_are_rekeyed_once(
    var: Path, new_database: Callable[[str], str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DEMO_MODE", "1")  # an installation seeded before the secret was per installation
    reload_settings()
    url = fresh_db(new_database)
    with session_scope(url) as s:
        assert authenticate_password(s, "ga_officer", PUBLIC_GA_PASSWORD) is not None
        assert seed_officers(s) == []
    monkeypatch.delenv("DEMO_MODE")
    reload_settings()
    with session_scope(url) as s:
        rekeyed = seed_officers(s)
        assert "ga_officer" in rekeyed and "admin" in rekeyed and len(rekeyed) == s.query(Officer).count()
    with session_scope(url) as s:
        assert authenticate_password(s, "ga_officer", PUBLIC_GA_PASSWORD) is None
        assert authenticate_token(s, demo_token("ga_officer", PUBLIC_DEMO_SECRET)) is None
        assert authenticate_password(s, "ga_officer", demo_password("ga_officer")) is not None
        assert authenticate_token(s, demo_token("admin")) is not None
        assert seed_officers(s) == []  # checked once


def test_the_first_seed_announces_the_passwords_once(var: Path, new_database: Callable[[str], str]) -> None:
    shown: List[str] = []
    url = new_database("announce")
    init_db(url, faq=False, announce=shown.append)
    assert len(shown) == 1 and "演示工作人员账号" in shown[0]
    assert "ga_officer" in shown[0] and demo_password("ga_officer") in shown[0]
    assert demo_token("ga_officer") not in shown[0]  # tokens only on request (make demo-accounts)
    init_db(url, faq=False, announce=shown.append)
    assert len(shown) == 1


def test_demo_accounts_lists_current_credentials(
    var: Path, new_database: Callable[[str], str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    url = fresh_db(new_database)
    monkeypatch.setenv("DATABASE_URL", url)
    reload_settings()
    with session_scope(url) as s:
        ga = s.query(Officer).filter_by(username="ga_officer").one()
        issue_token(s, ga)  # rotated: the derived token no longer works
    assert officers.main(["demo-accounts"]) == 0
    out = capsys.readouterr().out
    lines = {line.split()[0]: line for line in out.splitlines()[1:]}
    assert demo_password("admin") in lines["admin"] and demo_token("admin") in lines["admin"]
    assert demo_password("ga_officer") in lines["ga_officer"] and "（已轮换）" in lines["ga_officer"]
    assert demo_token("ga_officer") not in out


def test_no_accounts_yet_says_how_to_create_them(
    var: Path, new_database: Callable[[str], str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DEMO_DATA", "0")
    reload_settings()
    url = fresh_db(new_database)
    with session_scope(url) as s:
        assert "make run" in demo_accounts_text(s)

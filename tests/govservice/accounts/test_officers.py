"""Staff accounts: password and token authentication, roles and scope, demo seeding, the CLI."""

from __future__ import annotations

import io
from typing import Callable, Iterator

import pytest
from sqlalchemy.orm import Session

from govservice.accounts import officers
from govservice.accounts.demo_officers import demo_password, demo_token, seed_officers
from govservice.accounts.officers import (
    Officer,
    OfficerError,
    authenticate_password,
    authenticate_token,
    create_officer,
    hash_token,
    issue_token,
    verify_password,
)
from govservice.catalog.models import Department
from govservice.db import session_scope
from govservice.seed import init_db
from govservice.settings import reload as reload_settings
from tests.databases import Databases, seeded_database


@pytest.fixture(scope="module")
def db_url(databases: Databases) -> Iterator[str]:
    with seeded_database(databases, "officers") as url:
        yield url


@pytest.fixture()
def session(db_url: str) -> Iterator[Session]:
    with session_scope(db_url) as s:
        yield s
        s.rollback()  # each test starts from the seeded database


def test_password_is_salted_and_checked(session: Session) -> None:
    officer = create_officer(session, "wang_ga", "王警官", "dept_officer", "correct horse", "GA")
    twin = create_officer(session, "li_ga", "李警官", "dept_officer", "correct horse", "GA")
    assert officer.password_hash.startswith("scrypt$") and officer.password_hash != twin.password_hash
    assert "correct horse" not in officer.password_hash
    assert authenticate_password(session, "wang_ga", "correct horse") is officer
    assert authenticate_password(session, "wang_ga", "wrong horse!") is None
    assert authenticate_password(session, "nobody", "correct horse") is None
    officer.active = False
    assert authenticate_password(session, "wang_ga", "correct horse") is None
    assert not verify_password("x", "md5$abc") and not verify_password("x", "garbage")


def test_tokens_are_stored_hashed_and_rotate(session: Session) -> None:
    officer = create_officer(session, "zhao_yb", "赵科员", "dept_officer", "password1", "YB")
    first = issue_token(session, officer)
    assert len(first) >= 40 and officer.token_hash == hash_token(first) and first not in officer.token_hash
    assert authenticate_token(session, first) is officer
    second = issue_token(session, officer)
    assert authenticate_token(session, first) is None and authenticate_token(session, second) is officer
    for bad in (None, "", "x" * 1000, second + "x"):
        assert authenticate_token(session, bad) is None
    officer.active = False
    assert authenticate_token(session, second) is None


@pytest.mark.parametrize(
    ("username", "role", "department", "password", "message"),
    [
        ("Bad Name", "admin", None, "password1", "用户名"),
        ("someone", "boss", None, "password1", "角色"),
        ("someone", "dept_officer", None, "password1", "所属部门"),
        ("someone", "faq_editor", "GA", "password1", "所属部门"),
        ("someone", "dept_officer", "NOPE", "password1", "未找到部门"),
        ("someone", "admin", None, "short", "密码至少8位"),
    ],
)
def test_invalid_accounts_are_refused(
    session: Session, username: str, role: str, department: str, password: str, message: str
) -> None:
    with pytest.raises(OfficerError, match=message):
        create_officer(session, username, "某人", role, password, department)


def test_duplicate_username_is_refused(session: Session) -> None:
    create_officer(session, "dup_user", "甲", "admin", "password1")
    with pytest.raises(OfficerError, match="已存在"):
        create_officer(session, "dup_user", "乙", "admin", "password1")


def test_demo_officers_are_seeded_once_from_the_secret(db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DEMO_OFFICER_SECRET", "test-secret")
    reload_settings()
    with session_scope(db_url) as s:
        s.query(Officer).delete()  # init_db seeded them with the default secret
    with session_scope(db_url) as s:
        created = seed_officers(s)
        codes = [d.code for d in s.query(Department)]
    assert {f"{c.lower()}_officer" for c in codes} | {"faq_editor", "admin"} == set(created)
    with session_scope(db_url) as s:
        assert seed_officers(s) == []  # idempotent
        ga = s.query(Officer).filter_by(username="ga_officer").one()
        assert (ga.role, ga.department_code) == ("dept_officer", "GA") and "公安" in ga.display_name
        assert authenticate_token(s, demo_token("ga_officer")) is ga
        assert authenticate_password(s, "ga_officer", demo_password("ga_officer")) is ga
        admin = s.query(Officer).filter_by(username="admin").one()
        assert (admin.role, admin.department_code) == ("admin", None)
    monkeypatch.setenv("DEMO_OFFICER_SECRET", "another-secret")
    reload_settings()
    with session_scope(db_url) as s:
        assert authenticate_token(s, demo_token("ga_officer")) is None  # credentials follow the secret


def test_no_demo_officers_when_demo_data_is_off(
    new_database: Callable[[str], str], monkeypatch: pytest.MonkeyPatch
) -> None:
    url = new_database("nodemo")
    monkeypatch.setenv("DEMO_DATA", "0")
    reload_settings()
    init_db(url)
    with session_scope(url) as s:
        assert seed_officers(s) == [] and s.query(Officer).count() == 0


def test_cli_rotates_a_token(db_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture) -> None:
    monkeypatch.setenv("DATABASE_URL", db_url)
    reload_settings()
    with session_scope(db_url) as s:
        seed_officers(s)
    assert officers.main(["token", "ga_officer"]) == 0
    token = capsys.readouterr().out.strip()
    with session_scope(db_url) as s:
        rotated = authenticate_token(s, token)
        assert rotated is not None and rotated.username == "ga_officer"
        assert authenticate_token(s, demo_token("ga_officer")) is None
    assert officers.main(["token", "nobody"]) == 1
    assert "未找到用户" in capsys.readouterr().err
    monkeypatch.setattr("sys.stdin", io.StringIO("a-long-password\n"))
    assert officers.main(["create", "cli_admin", "admin", "--display-name", "命令行管理员"]) == 0
    assert officers.main(["list"]) == 0
    assert "cli_admin\tadmin\t-\t启用" in capsys.readouterr().out
    with session_scope(db_url) as s:
        assert authenticate_password(s, "cli_admin", "a-long-password") is not None

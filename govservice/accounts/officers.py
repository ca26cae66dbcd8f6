"""Staff accounts (工作人员): roles, department scope, password and API-token authentication.

Passwords are stored as scrypt hashes with a per-account salt. API tokens are random and only
their SHA-256 is stored: a token carries 256 random bits, so a fast hash cannot be brute-forced
and lets each request find its officer with one indexed lookup. Issuing a token replaces the
previous one.

Demo officers, derived from the installation's demo secret, are in :mod:`govservice.accounts.demo_officers`.

Command line::

    python -m govservice.accounts.officers token ga_officer  # issue a new token (the old one stops working)
    python -m govservice.accounts.officers seed             # create the missing demo officers
    python -m govservice.accounts.officers demo-accounts    # print the demo accounts' passwords and tokens
    python -m govservice.accounts.officers list             # list the accounts
    python -m govservice.accounts.officers create NAME ROLE [--department GA] [--display-name 张三]  # password on stdin
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import hmac
import os
import re
import secrets
import sys
from typing import Optional, Sequence

from sqlalchemy import Boolean, Column, DateTime, ForeignKey, Integer, String
from sqlalchemy.orm import Session, relationship

from govservice.catalog.models import Department
from govservice.clock import stored
from govservice.db import migrate, session_scope
from govservice.orm import Base
from govservice.settings import database_url

FAQ_EDITOR, DEPT_OFFICER, ADMIN = "faq_editor", "dept_officer", "admin"
ROLES = (FAQ_EDITOR, DEPT_OFFICER, ADMIN)
ROLE_LABELS = {FAQ_EDITOR: "知识库编辑", DEPT_OFFICER: "部门办件人员", ADMIN: "系统管理员"}
MIN_PASSWORD_CHARS = 8
_SCRYPT = {"n": 2**14, "r": 8, "p": 1}
_USERNAME = re.compile(r"^[a-z][a-z0-9_]{2,39}$")


class OfficerError(ValueError):
    """An account request the back office refuses; ``str(error)`` is a Chinese message."""


class Officer(Base):
    """A staff account; a ``dept_officer`` acts only for its department."""

    __tablename__ = "officers"

    id = Column(Integer, primary_key=True, autoincrement=True)
    username = Column(String(40), unique=True, nullable=False)
    display_name = Column(String(60), nullable=False)
    role = Column(String(20), nullable=False)
    department_code = Column(String(16), ForeignKey("departments.code"))
    password_hash = Column(String(200), nullable=False)
    token_hash = Column(String(64), unique=True)
    token_issued_at = Column(DateTime)
    active = Column(Boolean, nullable=False, default=True)
    created_at = Column(DateTime, nullable=False)

    department: Optional[Department] = relationship("Department")


def hash_password(password: str) -> str:
    """Return ``scrypt$n$r$p$salt$hash`` for ``password`` with a fresh random salt."""
    salt = os.urandom(16)
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, dklen=32, **_SCRYPT)
    return f"scrypt${_SCRYPT['n']}${_SCRYPT['r']}${_SCRYPT['p']}${salt.hex()}${digest.hex()}"


def verify_password(password: str, stored: str) -> bool:
    """Check ``password`` against a :func:`hash_password` value, in constant time."""
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        candidate = hashlib.scrypt(
            password.encode("utf-8"), salt=bytes.fromhex(salt), n=int(n), r=int(r), p=int(p), dklen=32
        )
    except ValueError:
        return False
    return hmac.compare_digest(candidate.hex(), digest)


# Checked when the username is unknown, so a login takes as long whether or not the account exists.
_DUMMY_HASH = hash_password(secrets.token_hex(16))


def hash_token(token: str) -> str:
    """The stored form of an API token (hex SHA-256)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_officer(
    session: Session,
    username: str,
    display_name: str,
    role: str,
    password: str,
    department_code: Optional[str] = None,
    now: Optional[datetime.datetime] = None,
) -> Officer:
    """Create an active account (flush only; the caller commits).

    Args:
        session: the database session.
        username: 3-40 characters: lower-case letters, digits and ``_``, starting with a letter.
        display_name: the name shown in the console and recorded in audit trails.
        role: ``faq_editor``, ``dept_officer`` or ``admin``.
        password: at least 8 characters.
        department_code: required for a ``dept_officer`` (its scope), not allowed for other roles.
        now: the creation time; now (UTC, as stored) by default.

    Raises:
        OfficerError: invalid or taken username, unknown role or department, short password.
    """
    if not _USERNAME.match(username or ""):
        raise OfficerError("用户名须为3至40位小写字母、数字或下划线，并以字母开头")
    if role not in ROLES:
        raise OfficerError("角色须为以下之一：" + "、".join(ROLES))
    if (role == DEPT_OFFICER) != bool(department_code):
        raise OfficerError("部门办件人员须指定所属部门，其他角色不归属部门")
    if department_code and session.get(Department, department_code) is None:
        raise OfficerError(f"未找到部门：{department_code}")
    if len(password or "") < MIN_PASSWORD_CHARS:
        raise OfficerError(f"密码至少{MIN_PASSWORD_CHARS}位")
    if session.query(Officer).filter(Officer.username == username).first() is not None:
        raise OfficerError(f"用户名{username}已存在")
    officer = Officer(
        username=username,
        display_name=(display_name or username).strip()[:60],
        role=role,
        department_code=department_code or None,
        password_hash=hash_password(password),
        active=True,
        created_at=stored(now),
    )
    session.add(officer)
    session.flush()
    return officer


def authenticate_password(session: Session, username: str, password: str) -> Optional[Officer]:
    """The active officer with this username and password, else None."""
    officer = session.query(Officer).filter(Officer.username == (username or "")).one_or_none()
    valid = verify_password(password or "", str(officer.password_hash) if officer else _DUMMY_HASH)
    return officer if officer is not None and valid and officer.active else None


def issue_token(
    session: Session, officer: Officer, token: Optional[str] = None, now: Optional[datetime.datetime] = None
) -> str:
    """Give ``officer`` a new API token (a random one by default) and return it; the old one stops working."""
    token = token or secrets.token_urlsafe(32)
    officer.token_hash = hash_token(token)
    officer.token_issued_at = stored(now)
    session.flush()
    return token


def authenticate_token(session: Session, token: Optional[str]) -> Optional[Officer]:
    """The active officer holding ``token``, else None."""
    if not token or len(token) > 256:
        return None
    officer = session.query(Officer).filter(Officer.token_hash == hash_token(token)).one_or_none()
    return officer if officer is not None and officer.active else None


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m govservice.accounts.officers", description="工作人员账号管理")
    commands = parser.add_subparsers(dest="command", required=True)
    token = commands.add_parser("token", help="签发新的访问令牌并打印（旧令牌随即失效）")
    token.add_argument("username")
    commands.add_parser("seed", help="创建缺少的演示账号")
    commands.add_parser("demo-accounts", help="列出演示账号的密码和令牌")
    commands.add_parser("list", help="列出账号")
    create = commands.add_parser("create", help="创建账号，密码从标准输入读取")
    create.add_argument("username")
    create.add_argument("role", choices=ROLES)
    create.add_argument("--department", default=None)
    create.add_argument("--display-name", default=None)
    return parser


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Run the command line; return the exit status."""
    from govservice.accounts.demo_officers import demo_accounts_text, seed_officers  # it imports this module

    args = _parser().parse_args(argv)
    url = database_url()  # resolved now: the engine cache would keep the first URL it saw
    migrate(url)  # usable before the first full seed
    try:
        with session_scope(url) as session:
            if args.command == "token":
                officer = session.query(Officer).filter(Officer.username == args.username).one_or_none()
                if officer is None:
                    raise OfficerError(f"未找到用户：{args.username}")
                print(issue_token(session, officer))
            elif args.command == "seed":
                print("已创建：" + ("、".join(seed_officers(session)) or "无（演示账号均已存在）"))
            elif args.command == "demo-accounts":
                print(demo_accounts_text(session, tokens=True))
            elif args.command == "list":
                for officer in session.query(Officer).order_by(Officer.username):
                    state = "启用" if officer.active else "停用"
                    print(f"{officer.username}\t{officer.role}\t{officer.department_code or '-'}\t{state}")
            else:
                password = sys.stdin.readline().rstrip("\n")
                name = args.display_name or args.username
                create_officer(session, args.username, name, args.role, password, args.department)
                print(f"已创建账号：{args.username}")
    except OfficerError as error:
        print(str(error), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

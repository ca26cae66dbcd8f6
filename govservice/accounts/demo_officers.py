"""Demo staff accounts: one ``dept_officer`` per department (``ga_officer``, …), ``faq_editor``, ``admin``.

Their passwords and first API tokens derive from the installation's demo secret
(:func:`demo_secret`): ``DEMO_OFFICER_SECRET`` when set, else a random secret made on first
start in ``var/demo_secret`` (mode 0600). The secret once written in the repository,
:data:`PUBLIC_DEMO_SECRET`, is refused unless ``DEMO_MODE=1``; accounts seeded with it before are
re-keyed once. ``DEMO_DATA=0`` seeds no demo officers at all. Tests and tools read the
credentials with :func:`demo_password` and :func:`demo_token`, from the same ``VAR_DIR`` as the
servers; ``make demo-accounts`` prints them.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from typing import List, Optional, Sequence

from sqlalchemy.orm import Session

from govservice import settings
from govservice.accounts.officers import (
    ADMIN,
    DEPT_OFFICER,
    FAQ_EDITOR,
    Officer,
    OfficerError,
    create_officer,
    hash_password,
    hash_token,
    issue_token,
    verify_password,
)
from govservice.catalog.models import Department
from govservice.orm import Meta
from govservice.settings.secrets import DEMO_SECRET, stored_secret

logger = logging.getLogger(__name__)

PUBLIC_DEMO_SECRET = "shifan-local-demo-only"
"""The demo secret once written in the repository: anyone can derive credentials from it."""


def demo_secret() -> str:
    """The secret the demo credentials derive from.

    ``DEMO_OFFICER_SECRET`` when set, else the installation's random secret in ``var/demo_secret``
    (mode 0600, made on first use). With ``DEMO_MODE=1`` an unset secret means the public one.

    Raises:
        OfficerError: the public secret without ``DEMO_MODE=1``.
    """
    configured = settings.current().secrets.get(DEMO_SECRET.env, "")
    if settings.current().demo_mode:
        return configured or PUBLIC_DEMO_SECRET
    if configured == PUBLIC_DEMO_SECRET:
        raise OfficerError(
            f"{DEMO_SECRET.env}是公开的演示默认值，任何人都能据此算出工作人员密码：请删除该设置"
            "（将自动生成本机专用的随机密钥），或仅在本地演示时设置 DEMO_MODE=1"
        )
    return stored_secret(DEMO_SECRET)


def _demo_credential(username: str, purpose: str, secret: Optional[str] = None) -> str:
    key = (secret or demo_secret()).encode("utf-8")
    return hmac.new(key, f"{purpose}:{username}".encode(), hashlib.sha256).hexdigest()


def demo_password(username: str, secret: Optional[str] = None) -> str:
    """The demo officer's password, derived from ``secret`` (the installation's :func:`demo_secret`)."""
    return "demo-" + _demo_credential(username, "password", secret)[:12]


def demo_token(username: str, secret: Optional[str] = None) -> str:
    """The demo officer's initial API token, derived from ``secret`` (the installation's :func:`demo_secret`)."""
    return _demo_credential(username, "token", secret)


def demo_officer_specs(session: Session) -> List[dict]:
    """The demo accounts: a ``<code>_officer`` per department in the catalog, an editor and an admin."""
    specs = [
        {
            "username": f"{str(dept.code).lower()}_officer",
            "display_name": f"{dept.name}办件员（演示）"[:60],
            "role": DEPT_OFFICER,
            "department_code": dept.code,
        }
        for dept in session.query(Department).order_by(Department.code)
    ]
    specs.append({"username": "faq_editor", "display_name": "知识库编辑（演示）", "role": FAQ_EDITOR})
    specs.append({"username": "admin", "display_name": "系统管理员（演示）", "role": ADMIN})
    return specs


PUBLIC_CHECKED = "demo_public_credentials_checked"
"""Meta key: the demo accounts were checked for credentials of :data:`PUBLIC_DEMO_SECRET`."""


def _holds_public_credentials(officer: Officer) -> bool:
    username = str(officer.username)
    public_token = hash_token(demo_token(username, PUBLIC_DEMO_SECRET))
    return officer.token_hash == public_token or verify_password(
        demo_password(username, PUBLIC_DEMO_SECRET), str(officer.password_hash)
    )


def seed_officers(session: Session) -> List[str]:
    """Create the missing demo officers, and re-key those still holding the public credentials.

    Departments come from the seeded catalog (``knowledge_base/departments.yml``), so call this
    after the catalog is seeded. Nothing is done when ``DEMO_DATA`` is "0". Accounts seeded before
    the secret was per installation hold credentials of :data:`PUBLIC_DEMO_SECRET`; unless that is
    the secret in use (``DEMO_MODE=1``), they get the installation's password and token, once.

    Returns:
        The usernames whose credentials this call set (derived from :func:`demo_secret`).

    Raises:
        OfficerError: the public secret without ``DEMO_MODE=1``.
    """
    if not settings.current().demo_data:
        return []
    secret = demo_secret()
    public = secret == PUBLIC_DEMO_SECRET
    if public:
        logger.warning("DEMO_MODE=1: demo officers use the public demo secret, for local demos only")
    existing = {str(o.username): o for o in session.query(Officer)}
    changed = []
    if not public and session.get(Meta, PUBLIC_CHECKED) is None:
        for spec in demo_officer_specs(session):
            officer = existing.get(spec["username"])
            if officer is not None and _holds_public_credentials(officer):
                officer.password_hash = hash_password(demo_password(spec["username"], secret))
                issue_token(session, officer, demo_token(spec["username"], secret))
                changed.append(spec["username"])
        session.merge(Meta(key=PUBLIC_CHECKED, value="1"))
    for spec in demo_officer_specs(session):
        if spec["username"] not in existing:
            officer = create_officer(session, password=demo_password(spec["username"], secret), **spec)
            issue_token(session, officer, demo_token(spec["username"], secret))
            changed.append(spec["username"])
    if public and changed:
        session.query(Meta).filter(Meta.key == PUBLIC_CHECKED).delete()  # check them at the next real start
    return changed


def demo_accounts_text(session: Session, usernames: Optional[Sequence[str]] = None, tokens: bool = False) -> str:
    """The demo accounts (``usernames``, else all) with their passwords, and tokens if asked, in Chinese.

    A password or token changed since seeding is not shown: it no longer derives from the secret.
    """
    secret = demo_secret()
    wanted = set(usernames) if usernames is not None else None
    lines = []
    for spec in demo_officer_specs(session):
        name = spec["username"]
        officer = session.query(Officer).filter(Officer.username == name).one_or_none()
        if officer is None or (wanted is not None and name not in wanted):
            continue
        password = demo_password(name, secret)
        if wanted is None and not verify_password(password, str(officer.password_hash)):
            password = "（已修改）"
        line = f"  {name:<16} 密码 {password}  {spec['display_name']}"
        if tokens:
            token = demo_token(name, secret)
            line += "  令牌 " + (token if officer.token_hash == hash_token(token) else "（已轮换）")
        lines.append(line)
    if not lines:
        return "尚无演示账号：先运行 make run（或 python -m govservice.accounts.officers seed）。"
    return "演示工作人员账号（本机专用，勿外传）：\n" + "\n".join(lines)

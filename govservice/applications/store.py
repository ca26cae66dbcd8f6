"""Persistence helpers of the 办件 back office: numbering, transactions, history, issuing.

Materials are checked and attached by :mod:`govservice.applications.materials`.

Used by :mod:`govservice.applications.workflow` (the public API) and :mod:`govservice.applications.life_events`.
Functions that take a session only flush; the caller owns the transaction.
"""

from __future__ import annotations

import datetime
import time
from contextlib import contextmanager
from typing import Any, Callable, Dict, Iterator, List, Optional, Sequence, Union

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from govservice import settings
from govservice.applications.materials import MaterialSpec, add_materials, resolve_materials
from govservice.applications.models import IDEMPOTENCY_KEY_CHARS, Application, StatusChange
from govservice.applications.states import (
    SUBMITTED,
    TRANSITIONS,
    ApplicationError,
    ApplicationNotFound,
    ScopeError,
    TransitionError,
)
from govservice.catalog.models import ServiceItem
from govservice.clock import office_date
from govservice.db import get_engine, insert_new
from govservice.identity.models import Company, Person
from govservice.orm import Base

Target = Union[str, None, Callable[[], Session]]
"""Where ``submit_application`` opens its transaction: a database URL (None: the configured
one) or a session factory such as a ``sessionmaker``."""
_COUNTERS = Base.metadata.tables["application_counters"]


def next_number(session: Session, department_code: str, today: datetime.date) -> str:
    """Return the next application number: YYYYMMDD + department code + 6-digit daily sequence.

    The counter row is incremented with one UPDATE inside the caller's transaction: PostgreSQL
    locks the row until commit (``RETURNING`` gives the value), SQLite serializes writers with
    its write lock, so concurrent transactions never get the same value. A rolled-back
    transaction gives its number back. ``applications.number`` is UNIQUE as a backstop.
    """
    key = f"{today:%Y%m%d}{department_code}"
    bump = update(_COUNTERS).where(_COUNTERS.c.key == key).values(value=_COUNTERS.c.value + 1)
    dialect = session.get_bind().dialect.name
    for _ in range(2):
        if dialect == "postgresql":
            value = session.execute(bump.returning(_COUNTERS.c.value)).scalar()
        elif session.execute(bump).rowcount:
            value = session.execute(select(_COUNTERS.c.value).where(_COUNTERS.c.key == key)).scalar()
        else:
            value = None
        if value is not None:
            if value > 999999:
                raise ApplicationError("今日办件量已达上限，请明日再试")
            return f"{key}{int(value):06d}"
        insert_new(session, _COUNTERS, [{"key": key, "value": 0}], ["key"])
    raise ApplicationError("办件编号生成失败，请稍后重试")


@contextmanager
def open_session(target: Target) -> Iterator[Session]:
    """Yield a new session on ``target`` (expire_on_commit off), closed afterwards; no commit."""
    if target is None or isinstance(target, str):
        session = Session(bind=get_engine(target), future=True, expire_on_commit=False)
    else:
        session = target()
        session.expire_on_commit = False  # results are read after the session closes
    try:
        yield session
    finally:
        session.close()


def _existing(session: Session, keys: Sequence[str]) -> Optional[List[Application]]:
    found = {a.idempotency_key: a for a in session.query(Application).filter(Application.idempotency_key.in_(keys))}
    if not found:
        return None
    if len(found) != len(keys):
        raise ApplicationError("该申请已部分提交，请联系窗口核实")
    return [_loaded(found[key]) for key in keys]


def _loaded(app: Application) -> Application:
    """Load what callers read after the session closes."""
    _ = (app.item, app.materials, app.changes, app.department)
    return app


SUBMIT_PAUSE_FILE = "fault_submit_pause"
"""Fault injection for the crash test: a file under ``VAR_DIR`` holding seconds to wait inside
the submission's transaction, before commit, so a test can kill the action server there."""
COMMITTED_PAUSE_FILE = "fault_committed_pause"
"""The same after the commit, before the reply: the fault test kills the action server there
(tests/faults/test_action_server_killed.py) and the citizen's retry must get the same application."""


def _fault_pause(name: str) -> None:
    """Wait while a fault test asks for it (the file never exists otherwise)."""
    flag = settings.current().var_dir / name
    if flag.exists():
        time.sleep(float(flag.read_text(encoding="utf-8").strip() or 0))


def run_idempotent(
    target: Target, keys: Sequence[str], create: Callable[[Session], List[Application]], attempts: int = 3
) -> List[Application]:
    """Run ``create`` in one transaction unless applications with ``keys`` exist; return them.

    A race on an idempotency key (IntegrityError) returns the winner's applications; a race on
    an application number is retried up to ``attempts`` times.
    """
    for _ in range(attempts):
        with open_session(target) as session:
            try:
                found = _existing(session, keys)
                if found:
                    return found
                apps = create(session)
                _fault_pause(SUBMIT_PAUSE_FILE)
                session.commit()
                loaded = [_loaded(app) for app in apps]
                _fault_pause(COMMITTED_PAUSE_FILE)
                return loaded
            except IntegrityError:
                session.rollback()
                found = _existing(session, keys)
                if found:
                    return found
            except BaseException:
                session.rollback()
                raise
    raise ApplicationError("系统繁忙，提交未成功，请稍后重试")


def record_status_change(
    session: Session,
    app: Application,
    from_status: Optional[str],
    to_status: str,
    actor_type: str,
    actor: str,
    reason: Optional[str],
    now: datetime.datetime,
) -> StatusChange:
    """Record one step of the application's history."""
    change = StatusChange(
        application_id=app.id,
        from_status=from_status,
        to_status=to_status,
        actor_type=actor_type,
        actor=actor,
        reason=reason,
        at=now,
    )
    session.add(change)
    session.flush()
    return change


def create_application(
    session: Session,
    *,
    idempotency_key: str,
    item_key: str,
    person_id: str,
    company_code: Optional[str],
    channel: str,
    sender: str,
    form_data: Dict[str, Any],
    materials: Sequence[MaterialSpec],
    bundle_id: Optional[str] = None,
    now: datetime.datetime,
) -> Application:
    """Create an application (status 已提交) in the caller's transaction; see ``submit_application``."""
    item = session.get(ServiceItem, item_key)
    if item is None:
        raise ApplicationError(f"未找到事项：{item_key}")
    if session.get(Person, person_id) is None:
        raise ApplicationError("未找到申请人信息，请先登录")
    if company_code:
        company = session.get(Company, company_code)
        if company is None or company.legal_rep_id != person_id:
            raise ScopeError("只能以本人担任法定代表人的企业名义申请")
    if not (idempotency_key or "").strip() or len(idempotency_key) > IDEMPOTENCY_KEY_CHARS or not channel or not sender:
        raise ApplicationError("提交信息不完整，请重新确认提交")
    resolved = resolve_materials(session, item, person_id, company_code, materials, office_date(now))
    app = Application(
        number=next_number(session, str(item.department_code), office_date(now)),
        item_key=item.key,
        item_name=item.name,
        department_code=item.department_code,
        person_id=person_id,
        company_code=company_code or None,
        channel=channel,
        sender=sender,
        form_data=dict(form_data or {}),
        status=SUBMITTED,
        submission_round=1,
        idempotency_key=idempotency_key,
        bundle_id=bundle_id,
        created_at=now,
        updated_at=now,
    )
    session.add(app)
    session.flush()
    add_materials(session, app, resolved, now)
    record_status_change(session, app, None, SUBMITTED, "citizen", person_id, None, now)
    return app


def load_application(
    session: Session, number: str, *, department_code: Optional[str] = None, person_id: Optional[str] = None
) -> Application:
    """Load an application for an officer of ``department_code`` or for the applicant ``person_id``.

    Raises:
        ApplicationNotFound: no such number.
        ScopeError: the application belongs to another department or another person.
    """
    app = session.query(Application).filter(Application.number == number).one_or_none()
    if app is None:
        raise ApplicationNotFound(f"未找到办件{number}")
    if department_code is not None and app.department_code != department_code:
        raise ScopeError("该办件不属于本部门，无权办理")
    if person_id is not None and app.person_id != person_id:
        raise ScopeError("只能操作本人的办件")
    return app


def check_transition(app: Application, to_status: str) -> None:
    """Raise :class:`TransitionError` unless ``app`` may move to ``to_status``."""
    if to_status not in TRANSITIONS.get(str(app.status), frozenset()):
        raise TransitionError(f"办件{app.number}当前状态为「{app.status}」，不能变更为「{to_status}」")


def transition(
    session: Session,
    app: Application,
    to_status: str,
    actor_type: str,
    actor: str,
    reason: Optional[str],
    now: datetime.datetime,
) -> None:
    """Move ``app`` to ``to_status`` and record the step.

    The UPDATE is a compare-and-set on the current status, so of two concurrent steps from the
    same status only one wins; the other gets a :class:`TransitionError`.
    """
    check_transition(app, to_status)
    current = app.status
    changed = (
        session.query(Application)
        .filter(Application.id == app.id, Application.status == current)
        .update({"status": to_status, "status_reason": reason, "updated_at": now}, synchronize_session="evaluate")
    )
    if changed != 1:
        session.expire(app)
        raise TransitionError(f"办件{app.number}的状态已被更新，请刷新后重试")
    record_status_change(session, app, current, to_status, actor_type, actor, reason, now)

"""Recommendations (主动推荐): what a citizen may want to do next, each with its reason.

Two sources, both in knowledge_base/life_events.yml: the services that follow a finished
application (结婚登记 → 夫妻投靠落户…), and the citizen's own situation for "我可以办什么": a child
born (an 出生医学证明 in their library and no 出生登记 yet), turning 60 (from the ID number), and a
certificate that has expired or expires soon (its renewal). Only items in the catalog are suggested.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Sequence

import yaml
from sqlalchemy.orm import Session

from govservice.applications import queries
from govservice.applications.models import Application
from govservice.applications.newborn_materials import BIRTH_CERTIFICATE
from govservice.applications.states import APPROVED, REJECTED, WITHDRAWN
from govservice.catalog.models import ServiceItem
from govservice.certificates.library import effective_status, list_certificates, renewal_due
from govservice.certificates.text import EXPIRY_WARNING_DAYS
from govservice.clock import office_date
from govservice.db import session_scope
from govservice.identity.id_numbers import IdentifierError, birth_date
from govservice.notifications.reminders import windows
from govservice.settings import current

BIRTH_REGISTRATION = "birth_registration"
ACTOR = "智能助手"
PURPOSE = "本人查询可办事项（主动推荐）"
MAX_SUGGESTIONS = 6


Renewals = Callable[[str], Any]
"""Finds the item renewing a certificate type: :meth:`govservice.catalog.lookup.Catalog.renewal_item`."""


@dataclass(frozen=True)
class Suggestion:
    """One suggested service: the catalog item and why it is suggested (shown to the citizen)."""

    item_key: str
    item_name: str
    reason: str


def _date(day: datetime.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


@lru_cache(maxsize=4)
def _read(path: Path) -> Dict[str, Any]:
    return yaml.safe_load(path.read_text(encoding="utf-8")) or {}


def life_events() -> Dict[str, Any]:
    """knowledge_base/life_events.yml: ``after`` (item → reason, next items) and ``personal``."""
    return _read(current().knowledge_base / "life_events.yml")


def _items(session: Session, keys: Sequence[str], reason: str, skip: Sequence[str] = ()) -> List[Suggestion]:
    found = {i.key: i for i in session.query(ServiceItem).filter(ServiceItem.key.in_(list(keys)))}
    return [Suggestion(k, str(found[k].name), reason) for k in keys if k in found and k not in skip]


def after_finishing(session: Session, item_key: str) -> List[Suggestion]:
    """The services that usually follow a finished application of ``item_key`` (none when unrelated)."""
    relation = (life_events().get("after") or {}).get(item_key)
    if not relation:
        return []
    return _items(session, relation.get("next") or [], f"因为{relation['reason']}")


def _newborn(session: Session, person_id: str, certs: Sequence[Any], today: datetime.date) -> List[Suggestion]:
    """An 出生医学证明 in the library whose child has no 出生登记 (submitted or done) yet."""
    births = [c for c in certs if c.type_name == BIRTH_CERTIFICATE and effective_status(c, today) == "有效"]
    if not births:
        return []
    registered = {
        str((app.form_data or {}).get("birth_certificate_number") or "")
        for app in session.query(Application).filter(
            Application.person_id == person_id,
            Application.item_key == BIRTH_REGISTRATION,
            Application.status.notin_((REJECTED, WITHDRAWN)),
        )
    }
    found: List[Suggestion] = []
    keys = (life_events().get("personal") or {}).get("newborn", {}).get("next") or []
    for cert in births:
        if str(cert.number) in registered:
            continue
        child = (cert.attributes or {}).get("新生儿姓名") or "宝宝"
        reason = f"因为{child}的出生医学证明已于{_date(cert.issue_date)}签发，还没有办理出生登记"
        found += _items(session, keys, reason, skip=[s.item_key for s in found])
    return found


def _turning_60(session: Session, person_id: str, today: datetime.date) -> List[Suggestion]:
    """Turning the pension age within the configured months, or having turned it in the past year."""
    rule = (life_events().get("personal") or {}).get("turning_60") or {}
    age, months = int(rule.get("age", 60)), int(rule.get("months_before", 6))
    try:
        born = birth_date(person_id)
    except IdentifierError:
        return []
    try:
        birthday = born.replace(year=born.year + age)
    except ValueError:  # born on 29 February
        birthday = born.replace(year=born.year + age, day=28)
    if not today - datetime.timedelta(days=365) <= birthday <= today + datetime.timedelta(days=months * 31):
        return []
    when = "已于" if birthday <= today else "将于"
    return _items(session, rule.get("next") or [], f"因为您{when}{_date(birthday)}年满{age}周岁")


def _renewals(session: Session, certs: Sequence[Any], renewal_item: Renewals, today: datetime.date) -> List[Suggestion]:
    """The renewal of each certificate that expired or expires within its reminder window."""
    by_type = windows()
    longest = max([EXPIRY_WARNING_DAYS, *by_type.values()])
    found: List[Suggestion] = []
    for cert in renewal_due(session, certs, within_days=longest, today=today):
        if (cert.valid_until - today).days > by_type.get(cert.type_name, EXPIRY_WARNING_DAYS):
            continue
        item = renewal_item(str(cert.type_name))
        if item is None or any(s.item_key == item.key for s in found):
            continue
        state = "已于" if cert.valid_until < today else "将于"
        verb = "过期" if cert.valid_until < today else "到期"
        found.append(Suggestion(item.key, item.name, f"因为您的{cert.type_name}{state}{_date(cert.valid_until)}{verb}"))
    return found


def for_person(
    session: Session, person_id: str, renewal_item: Renewals, today: Optional[datetime.date] = None
) -> List[Suggestion]:
    """What the citizen may want to do now, from their certificates and age, each with its reason.

    Reads the citizen's own library (a 用证记录 for each certificate, as the citizen's lookup).
    """
    today = today or office_date()
    certs = list_certificates(session, person_id, "citizen", ACTOR, PURPOSE)
    found = _renewals(session, certs, renewal_item, today)
    found += _newborn(session, person_id, certs, today) + _turning_60(session, person_id, today)
    unique: List[Suggestion] = []
    for suggestion in found:
        if all(s.item_key != suggestion.item_key for s in unique):
            unique.append(suggestion)
    return unique[:MAX_SUGGESTIONS]


def suggestions_text(suggestions: Sequence[Suggestion], heading: str) -> str:
    """The list as the citizen reads it: one line per reason, naming the items it suggests."""
    by_reason: Dict[str, List[str]] = {}
    for suggestion in suggestions:
        by_reason.setdefault(suggestion.reason, []).append(suggestion.item_name)
    lines = [f"{n}. {'、'.join(names)}（{reason}）" for n, (reason, names) in enumerate(by_reason.items(), 1)]
    return "\n".join([heading, *lines])


def personal(person_id: str, renewal_item: Renewals, today: Optional[datetime.date] = None) -> List[Suggestion]:
    """:func:`for_person` in its own transaction (the 用证记录 are committed with it)."""
    with session_scope() as session:
        return for_person(session, person_id, renewal_item, today)


def after_application(number: str, sender: str) -> List[Suggestion]:
    """The next services after application ``number`` finished (办结), for the conversation that applied."""
    with session_scope() as session:
        app = session.query(Application).filter(Application.number == number).one_or_none()
        if app is None or app.sender != sender or app.status != APPROVED:
            return []
        return after_finishing(session, str(app.item_key))


def after_finished_applications(person_id: str, company_code: Optional[str]) -> List[Suggestion]:
    """The next services after the login's finished applications, skipping items already applied for."""
    with session_scope() as session:
        apps = queries.applications_for_person(session, person_id, company_code=company_code)
        applied = {str(a.item_key) for a in apps if a.status not in (REJECTED, WITHDRAWN)}
        found: List[Suggestion] = []
        for key in dict.fromkeys(str(a.item_key) for a in apps if a.status == APPROVED):
            taken = applied | {f.item_key for f in found}
            found += [s for s in after_finishing(session, key) if s.item_key not in taken]
    return found[:MAX_SUGGESTIONS]


def what_i_can_do(person_id: str, renewal_item: Renewals) -> List[Suggestion]:
    """“我可以办什么”: :func:`personal` first, then what follows finished applications; no item twice."""
    found = personal(person_id, renewal_item)
    taken = {s.item_key for s in found}
    found += [s for s in after_finished_applications(person_id, None) if s.item_key not in taken]
    return found[:MAX_SUGGESTIONS]

"""The console dashboard's figures, aggregated in SQL: demand, answers, handoffs, applications, ratings.

Every figure is a count or an average over rows that hold no personal data: conversations come
from ``conversation_events`` (a keyed hash per conversation, names of intents and actions, a
catalog key; :mod:`govservice.conversation_events`), applications, ratings and follow-ups are
counted by department, item and level only. Nothing here selects a name, an ID number, a phone,
a sender id, a comment or a message.

Definitions (the tests compute each one again from their fixture's events):

* a conversation is a sender with a user message in the period; per day, one with a user message
  that day (office days, Asia/Shanghai); its channel is the channel of its messages;
* top items: conversations in which an action set the ``service_item`` slot to that catalog item;
* fallback rate: user messages the NLU classified as :data:`FALLBACK_INTENTS`, of all user messages;
* unanswered themes: conversations with such a message, by the catalog topic of the items asked
  about in them (:data:`NO_THEME` when none);
* handoff rate: conversations that ran one of :data:`HANDOFF_ACTIONS`, of all conversations;
* applications per department: submitted in the period; time to finish: from submission to the
  first change to 已办结 or 不予受理, for those finished in the period;
* 好差评: ratings given in the period; follow-ups: the open ones now, overdue (past their
  deadline today) or not yet due.

A department filter keeps, of the conversations, those that asked about one of its items, and of
the applications, ratings and follow-ups, its own.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Tuple

from sqlalchemy import and_, case, distinct, func, select
from sqlalchemy.orm import Session
from sqlalchemy.sql import Select

from govservice.analytics.labels import intent_label
from govservice.analytics.sql import office_day, seconds_between
from govservice.applications.models import Application, FollowUp, Rating, StatusChange
from govservice.applications.states import APPROVED, REJECTED
from govservice.catalog.models import Department, ServiceItem
from govservice.clock import office_date, office_zone, stored
from govservice.conversation_events import ConversationEvent as Event

FALLBACK_INTENTS = ("nlu_fallback",)
"""Intents of a message the NLU could not place (config.yml's FallbackClassifier)."""
HANDOFF_ACTIONS = ("action_request_human", "action_submit_handoff_message")
"""Actions that hand the conversation to a person or leave a message for one (bot/actions/handoff.py)."""
NO_THEME = "未涉及具体事项"
UNKNOWN_CHANNEL = "未知渠道"
CHANNEL_LABELS = {"rest": "REST 接口", "socketio": "网页聊天", "wechat": "微信公众号", "cmdline": "命令行"}
"""Channels (Rasa's input channel names) as the dashboard shows them; another keeps its own name."""
TOP = 10
DEFAULT_DAYS = 30
FINISHED = (APPROVED, REJECTED)
OVERDUE, NOT_DUE = "已超期", "未到期"

Row = Tuple[str, str, float]
"""One value of a figure: (category, series, value); the series is "" in a figure of one series."""


@dataclass(frozen=True)
class Filters:
    """The period (office days, both included) and optionally one department."""

    start: datetime.date
    end: datetime.date
    department: Optional[str] = None

    @classmethod
    def last_days(cls, days: int = DEFAULT_DAYS, today: Optional[datetime.date] = None,
                  department: Optional[str] = None) -> Filters:
        """The ``days`` office days up to ``today`` (the office's today by default)."""
        end = today or office_date()
        return cls(end - datetime.timedelta(days=days - 1), end, department)

    def _stored(self, day: datetime.date) -> datetime.datetime:
        return stored(datetime.datetime.combine(day, datetime.time(), tzinfo=office_zone()))

    @property
    def since(self) -> datetime.datetime:
        """The period's first moment, as stored (naive UTC)."""
        return self._stored(self.start)

    @property
    def until(self) -> datetime.datetime:
        """The moment after the period, as stored."""
        return self._stored(self.end + datetime.timedelta(days=1))


@dataclass
class Figure:
    """One chart: a Chinese title, what its values count, and its rows."""

    title: str
    unit: str
    rows: List[Row] = field(default_factory=list)


def _channel(name: object) -> str:
    return CHANNEL_LABELS.get(str(name), str(name))


def _in_period(column: object, filters: Filters) -> object:
    return and_(column >= filters.since, column < filters.until)  # type: ignore[operator]


def _department_conversations(filters: Filters) -> Select:
    """Conversations that asked about an item of the filtered department in the period."""
    return (
        select(Event.sender_hash)
        .join(ServiceItem, ServiceItem.key == Event.item_key)
        .where(Event.event_type == "slot", _in_period(Event.occurred_at, filters),
               ServiceItem.department_code == filters.department)
    )


def _events(filters: Filters, event_type: str) -> list:
    """Conditions selecting the period's events of one type (of the department's conversations)."""
    conditions = [Event.event_type == event_type, _in_period(Event.occurred_at, filters)]
    if filters.department:
        conditions.append(Event.sender_hash.in_(_department_conversations(filters)))
    return conditions


def conversations_per_day(session: Session, filters: Filters) -> Figure:
    """Conversations per office day and channel."""
    day, channel = office_day(Event.occurred_at), func.coalesce(Event.channel, UNKNOWN_CHANNEL)
    query = (select(day, channel, func.count(distinct(Event.sender_hash)))
             .where(*_events(filters, "user")).group_by(day, channel).order_by(day, channel))
    rows = [(str(d), _channel(c), float(n)) for d, c, n in session.execute(query)]
    return Figure("每日对话量（按渠道）", "次对话", rows)


def conversations_per_channel(session: Session, filters: Filters) -> Figure:
    """Conversations per channel over the period."""
    channel = func.coalesce(Event.channel, UNKNOWN_CHANNEL)
    count = func.count(distinct(Event.sender_hash))
    query = select(channel, count).where(*_events(filters, "user")).group_by(channel).order_by(count.desc(), channel)
    return Figure("各渠道对话量", "次对话", [(_channel(c), "", float(n)) for c, n in session.execute(query)])


def top_intents(session: Session, filters: Filters) -> Figure:
    """The most frequent intents of user messages."""
    count = func.count()
    query = (select(Event.name, count).where(*_events(filters, "user"), Event.name.is_not(None))
             .group_by(Event.name).order_by(count.desc(), Event.name).limit(TOP))
    return Figure("热门意图", "条消息", [(intent_label(str(name)), "", float(n)) for name, n in session.execute(query)])


def top_items(session: Session, filters: Filters) -> Figure:
    """The service items asked about in the most conversations."""
    count = func.count(distinct(Event.sender_hash))
    query = (select(ServiceItem.name, count).join(ServiceItem, ServiceItem.key == Event.item_key)
             .where(*_events(filters, "slot"))
             .group_by(ServiceItem.key, ServiceItem.name).order_by(count.desc(), ServiceItem.name).limit(TOP))
    if filters.department:
        query = query.where(ServiceItem.department_code == filters.department)
    return Figure("热门咨询事项", "次对话", [(str(name), "", float(n)) for name, n in session.execute(query)])


def fallback_rate(session: Session, filters: Filters) -> Figure:
    """User messages the NLU could not place, against the others."""
    fallback = func.sum(case((Event.name.in_(FALLBACK_INTENTS), 1), else_=0))
    total, fallbacks = session.execute(select(func.count(), fallback).where(*_events(filters, "user"))).one()
    fallbacks = int(fallbacks or 0)
    rows: List[Row] = [("未识别", "", float(fallbacks)), ("已识别", "", float(total - fallbacks))]
    return Figure("未识别率（兜底回复）", "条消息", rows)


def unanswered_themes(session: Session, filters: Filters) -> Figure:
    """Conversations with an unrecognised message, by the catalog topic of the items asked about."""
    fell_back = select(Event.sender_hash).where(*_events(filters, "user"), Event.name.in_(FALLBACK_INTENTS))
    themed = (select(ServiceItem.topic, func.count(distinct(Event.sender_hash)))
              .join(ServiceItem, ServiceItem.key == Event.item_key)
              .where(*_events(filters, "slot"), Event.sender_hash.in_(fell_back)).group_by(ServiceItem.topic))
    rows: List[Row] = [(str(topic), "", float(n)) for topic, n in session.execute(themed)]
    with_item = select(Event.sender_hash).where(*_events(filters, "slot"), Event.item_key.is_not(None))
    bare = session.scalar(select(func.count(distinct(Event.sender_hash))).where(
        *_events(filters, "user"), Event.name.in_(FALLBACK_INTENTS), Event.sender_hash.not_in(with_item)))
    if bare:
        rows.append((NO_THEME, "", float(bare)))
    rows.sort(key=lambda row: (-row[2], row[0]))
    return Figure("未解答问题主题", "次对话", rows[:TOP])


def handoff_rate(session: Session, filters: Filters) -> Figure:
    """Conversations handed to a person (or with a message left for one), against the others."""
    total = session.scalar(select(func.count(distinct(Event.sender_hash))).where(*_events(filters, "user"))) or 0
    handed = session.scalar(select(func.count(distinct(Event.sender_hash))).where(
        *_events(filters, "action"), Event.name.in_(HANDOFF_ACTIONS))) or 0
    rows: List[Row] = [("转人工", "", float(handed)), ("未转人工", "", float(max(total - handed, 0)))]
    return Figure("转人工率", "次对话", rows)


def _department(query: Select, column: object, filters: Filters) -> Select:
    return query.where(column == filters.department) if filters.department else query


def applications_per_department(session: Session, filters: Filters) -> Figure:
    """Applications submitted in the period, per department."""
    count = func.count(Application.id)
    query = (select(Department.name, count).join(Department, Department.code == Application.department_code)
             .where(_in_period(Application.created_at, filters))
             .group_by(Department.code, Department.name).order_by(count.desc(), Department.name))
    query = _department(query, Application.department_code, filters)
    return Figure("各部门办件量", "件", [(str(name), "", float(n)) for name, n in session.execute(query)])


def finish_hours(session: Session, filters: Filters) -> Figure:
    """Average hours from submission to the decision, per department, for those decided in the period.

    Hours (to six decimals), not days: an item decided on the spot (即办件) takes minutes, a demo one seconds.
    """
    decided = (select(StatusChange.application_id, func.min(StatusChange.at).label("at"))
               .where(StatusChange.to_status.in_(FINISHED)).group_by(StatusChange.application_id).subquery())
    hours = func.avg(seconds_between(decided.c.at, Application.created_at)) / 3600.0
    query = (select(Department.name, hours).select_from(Application)
             .join(decided, decided.c.application_id == Application.id)
             .join(Department, Department.code == Application.department_code)
             .where(_in_period(decided.c.at, filters)).group_by(Department.code, Department.name)
             .order_by(Department.name))
    query = _department(query, Application.department_code, filters)
    return Figure("平均办结用时", "小时", [(str(name), "", round(float(h), 6)) for name, h in session.execute(query)])


def rating_levels(session: Session, filters: Filters) -> Figure:
    """Ratings (好差评) given in the period, per level."""
    count = func.count(Rating.id)
    query = (select(Rating.level, count).join(Application, Application.id == Rating.application_id)
             .where(_in_period(Rating.at, filters)).group_by(Rating.level).order_by(count.desc(), Rating.level))
    query = _department(query, Application.department_code, filters)
    return Figure("好差评分布", "条评价", [(str(level), "", float(n)) for level, n in session.execute(query)])


def follow_ups(session: Session, filters: Filters, today: Optional[datetime.date] = None) -> Figure:
    """Open 差评 follow-ups per department: overdue (past the deadline on the office's ``today``) or not."""
    overdue = case((FollowUp.deadline < (today or office_date()), OVERDUE), else_=NOT_DUE)
    count = func.count(FollowUp.id)
    query = (select(Department.name, overdue, count).join(Department, Department.code == FollowUp.department_code)
             .where(FollowUp.status == "open").group_by(Department.code, Department.name, overdue)
             .order_by(Department.name, overdue))
    query = _department(query, FollowUp.department_code, filters)
    rows = [(str(name), str(kind), float(n)) for name, kind, n in session.execute(query)]
    return Figure("待整改差评（按部门）", "件", rows)


FIGURES = {
    "daily": conversations_per_day,
    "channels": conversations_per_channel,
    "intents": top_intents,
    "items": top_items,
    "fallback": fallback_rate,
    "themes": unanswered_themes,
    "handoff": handoff_rate,
    "applications": applications_per_department,
    "finish_hours": finish_hours,
    "ratings": rating_levels,
}


def dashboard(session: Session, filters: Filters, today: Optional[datetime.date] = None) -> Dict[str, Figure]:
    """Every figure of the dashboard, by key (the keys the page and the CSV use)."""
    figures = {key: query(session, filters) for key, query in FIGURES.items()}
    figures["follow_ups"] = follow_ups(session, filters, today)
    return figures


def departments(session: Session) -> Sequence[Tuple[str, str]]:
    """(code, name) of every department, for the filter."""
    return [(str(code), str(name)) for code, name in session.execute(select(Department.code, Department.name)
                                                                       .order_by(Department.code))]

"""What the window says when no guide or FAQ entry answers a government question.

Every fact comes from its one source: the department's name, phone, window and hours from
``departments.yml`` (through :mod:`govservice.catalog.facts`), halls from ``halls.yml``, the policy
channel from ``themes.yml``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Sequence

from govservice.catalog import facts, guide
from govservice.catalog.halls import halls
from govservice.catalog.models import ServiceItem
from govservice.faq.search import ANSWER
from govservice.window import decision as window
from govservice.window.themes import Theme

HANDOFF_OFFER = "如需进一步帮助，可以点“转人工”：有客服值班时为您接入人工客服，不在服务时间可以给工作人员留言。"
HANDOFF_BUTTON = {"title": "转人工 / 留言", "payload": "/request_human"}
QUEUED = "您的问题已记录并转给工作人员。"


def department_lines(code: str) -> List[str]:
    """The department's name, phone, window (its hall when one is named for it) and hours."""
    dept: Dict[str, Any] = facts.departments().get(code) or {}
    if not dept:
        return [f"咨询电话：{facts.city().get('hotline', '12345')}（政务服务便民热线）"]
    hall = next((h for h in halls() if h.department == code), None)
    window = dept["window_address"] if hall is None or hall.address in dept["window_address"] else (
        f"{dept['window_address']}（{hall.name}）"
    )
    return [
        f"负责部门：{dept['name']}",
        f"咨询电话：{dept['consult_phone']}",
        f"办理窗口：{window}",
        f"办公时间：{dept['office_hours']}",
    ]


def route_text(theme: Theme, related: Sequence[ServiceItem]) -> str:
    """The routing reply: theme, department with phone and hall, the related items, the handoff offer."""
    lines = [f"您的问题属于“{theme.name}”方面的业务，由{_dept_name(theme.department)}负责。"]
    lines += department_lines(theme.department)
    if related:
        names = "、".join(item.name for item in related)
        lines.append(f"我可以为您讲解这些相关事项的办事指南：{names}（点下方按钮查看）。")
    lines.append(QUEUED + HANDOFF_OFFER)
    return "\n".join(lines)


def policy_text(theme: Theme, item: Optional[ServiceItem] = None) -> str:
    """The honest reply to a policy question: no invented policy, the policy channel, queued for staff."""
    about = f"（{item.name}）" if item is not None else ""
    channel = theme.policy or _dept_name(theme.department)
    lines = [
        f"您问的是“{theme.name}”方面的政策问题{about}，例如标准是否调整、为何这样规定。"
        "办事指南里没有这方面的答复，我不能替部门作答，以免给您不准确的信息。",
        f"政策咨询渠道：{channel}。政策调整以官方正式发布为准。",
        *department_lines(theme.department),
        QUEUED + HANDOFF_OFFER,
    ]
    return "\n".join(lines)


def choose_text(topic: Optional[str], theme: Optional[Theme] = None) -> str:
    """The "which item?" question over close candidates, with the theme's department when known."""
    about = f"关于“{topic}”" if topic else "与您的问题相关的"
    lines = [f"{about}有以下几项业务，请问您要了解的是哪一项？如果都不是，可以说“转人工”。"]
    if theme is not None:
        lines.append(theme_line(theme))
    return "\n".join(lines)


def theme_line(theme: Theme) -> str:
    """One line naming the theme, its department and the phone, under a "which item?" question."""
    code = theme.department
    return f"（属于“{theme.name}”方面的业务，由{_dept_name(code)}负责，咨询电话：{_dept_phone(code)}）"


def fallback_text() -> str:
    """The reply when nothing in a message could be placed, with the handoff offer."""
    return (
        "抱歉，我没能确定您要办理的业务。请说清想办的事项（如“居住证”“公积金提取”）和想了解的内容"
        "（材料、费用、地点、时限）。" + QUEUED + HANDOFF_OFFER
    )


def _dept_name(code: str) -> str:
    dept = facts.departments().get(code) or {}
    return str(dept.get("name") or "相关部门")


def _dept_phone(code: str) -> str:
    dept = facts.departments().get(code) or {}
    return str(dept.get("consult_phone") or facts.city().get("hotline", "12345"))


def with_contact(answer: str, code: str) -> str:
    """An answer followed by its department and phone, unless it already gives the phone."""
    dept: Dict[str, Any] = facts.departments().get(code) or {}
    if not dept or dept["consult_phone"] in answer:
        return answer
    return f"{answer}\n负责部门：{dept['name']}，咨询电话：{dept['consult_phone']}"


def item_answer(item: ServiceItem, aspect: str, theme: Optional[Theme]) -> str:
    """An item's guide and whom to ask.

    A curated item names its own department. An imported item is a provincial guide: the city's
    department for the message's theme is named beside it, so the citizen knows where to ask here.
    """
    answer = guide.answer(item, aspect)
    if getattr(item, "layer", "curated") != "imported":
        return with_contact(answer, item.department_code)
    dept: Dict[str, Any] = facts.departments().get(theme.department) or {} if theme else {}
    if not dept:
        return answer
    return f"{answer}\n本市咨询：{dept['name']}，电话：{dept['consult_phone']}"


@dataclass
class Reply:
    """What the window says: the text, the items to offer as buttons, and whether to offer 转人工."""

    text: str
    items: List[ServiceItem] = field(default_factory=list)
    handoff: bool = False
    topic: Optional[str] = None


def render(decision: window.Decision, catalog_items: Sequence[ServiceItem]) -> Optional[Reply]:
    """The reply to a decision; the chat and the console's preview both call this.

    Returns None where the domain's own response is said (out of scope, greeting) and for FAQ
    suggestions, whose buttons name FAQ entries rather than items.
    """
    kind = decision.kind
    if kind == window.ITEM and decision.item is not None:
        item = decision.item
        return Reply(item_answer(item, decision.aspect, decision.theme), topic=item.topic)
    if kind == window.FAQ and decision.faq is not None and decision.faq.kind == ANSWER:
        theme = decision.theme
        return Reply(with_contact(decision.faq.text, theme.department) if theme else decision.faq.text)
    if kind == window.CHOOSE:
        topics = {c.topic for c in decision.candidates}
        topic = topics.pop() if len(topics) == 1 else None
        return Reply(choose_text(topic, decision.theme), list(decision.candidates), True, topic)
    if kind in (window.ROUTE, window.POLICY) and decision.theme is not None:
        related = window.related_items(decision.theme, catalog_items)
        if kind == window.POLICY:
            return Reply(policy_text(decision.theme, decision.item), related, True)
        return Reply(route_text(decision.theme, related), related, True)
    if kind == window.FALLBACK:
        return Reply(fallback_text(), handoff=True)
    return None

"""Render 办事指南 answers for chat: short, specific, lists numbered."""

from __future__ import annotations

from typing import Callable, Dict, List, Sequence

from govservice.models import Material, ServiceItem

DISCLAIMER = "（演示目录，仅供参考，以示范市政务服务网公布为准）"

HANDLING_TEXT = {
    "online": "全程网办，无需到现场",
    "offline": "需到窗口现场办理，暂不支持网上办理",
    "both": "可网上办理，也可到窗口现场办理",
}

ASPECTS = ("materials", "conditions", "fee", "time_limit", "location", "online", "process", "overview")


def days_text(days: int) -> str:
    """Describe a time limit in working days; 0 means done on the spot."""
    return "即办（当场办结）" if days == 0 else f"{days}个工作日"


def fee_text(item: ServiceItem) -> str:
    """Describe the fee, leading with 免费 or the amount."""
    head = "不收费" if item.fee_fen == 0 else f"{item.fee.normalize():f}元"
    return f"{head}。{item.fee_note}" if item.fee_note else head


def material_line(material: Material) -> str:
    """One material as a chat line: name, form and count, then notes."""
    line = f"{material.name}（{material.form}{material.count}份）"
    if material.notes:
        line += f"：{material.notes}"
    return line


def numbered(lines: Sequence[str]) -> str:
    """Number lines for chat, one per line, starting at 1."""
    return "\n".join(f"{i}. {line}" for i, line in enumerate(lines, start=1))


def _materials(item: ServiceItem) -> str:
    lines = [material_line(m) for m in item.materials]
    return f"办理【{item.name}】需准备以下{len(lines)}项材料：\n{numbered(lines)}"


def _conditions(item: ServiceItem) -> str:
    who = "、".join(item.applicant_types)
    return f"【{item.name}】申请对象：{who}。\n申请条件：\n{numbered(item.conditions)}"


def _fee(item: ServiceItem) -> str:
    return f"【{item.name}】收费标准：{fee_text(item)}"


def _time_limit(item: ServiceItem) -> str:
    return (
        f"【{item.name}】法定办结时限：{days_text(item.legal_limit_days)}；"
        f"承诺办结时限：{days_text(item.promised_limit_days)}。"
    )


def _location(item: ServiceItem) -> str:
    return (
        f"【{item.name}】由{item.department.name}办理。\n"
        f"办理地点：{item.address}\n办公时间：{item.hours}\n咨询电话：{item.phone}"
    )


def _online(item: ServiceItem) -> str:
    text = f"【{item.name}】{HANDLING_TEXT[item.handling]}。"
    if item.online_url and item.handling != "offline":
        text += f"\n网上办理入口：{item.online_url}"
    if item.handling != "online":
        text += f"\n现场办理地点：{item.address}"
    return text


def _process(item: ServiceItem) -> str:
    return f"【{item.name}】办理流程：\n{numbered(item.process)}"


def _overview(item: ServiceItem) -> str:
    parts: List[str] = [
        f"【{item.name}】（{item.item_type}，事项编码 {item.code}）",
        f"办理部门：{item.department.name}",
        f"办理方式：{HANDLING_TEXT[item.handling]}",
        f"收费：{fee_text(item)}",
        f"承诺时限：{days_text(item.promised_limit_days)}",
        _materials(item),
        "您还可以问我：申请条件、办理地点、办理流程、能否网上办。",
    ]
    return "\n".join(parts)


_RENDERERS: Dict[str, Callable[[ServiceItem], str]] = {
    "materials": _materials,
    "conditions": _conditions,
    "fee": _fee,
    "time_limit": _time_limit,
    "location": _location,
    "online": _online,
    "process": _process,
    "overview": _overview,
}


def answer(item: ServiceItem, aspect: str) -> str:
    """Answer one aspect of an item's guide, with the demo-catalog disclaimer.

    Args:
        item: a fully loaded service item.
        aspect: one of :data:`ASPECTS`; unknown aspects get the overview.

    Returns:
        Chinese text ready for a chat bubble.
    """
    render = _RENDERERS.get(aspect, _overview)
    return f"{render(item)}\n{DISCLAIMER}"


def which_item_question(candidates: Sequence[ServiceItem]) -> str:
    """Ask which item a question is about, naming the candidates when the name fits several."""
    names = [str(item.name) for item in candidates]
    example = names[0] if names else "居住证申领"
    choices = f"您问的是{'、'.join(f'「{n}」' for n in names)}中的哪一项？" if names else "您问的是哪个事项？"
    return f"{choices}请连同事项名称再问一次，比如“{example}要带什么材料”。"

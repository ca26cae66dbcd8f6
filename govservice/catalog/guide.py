"""Render 办事指南 answers for chat: short, specific, lists numbered."""

from __future__ import annotations

from typing import Callable, Dict, List, Sequence

from govservice.catalog.models import Material, ServiceItem

MAX_MESSAGE_BYTES = 2048
"""Chat texts stay below this size in UTF-8 (some channels cut longer messages)."""

DISCLAIMER = "（演示目录，仅供参考，以示范市政务服务网公布为准）"
IMPORTED_LAYER = "imported"
NOT_STATED = "办事指南未载明"

HANDLING_TEXT = {
    "online": "全程网办，无需到现场",
    "offline": "需到窗口现场办理，暂不支持网上办理",
    "both": "可网上办理，也可到窗口现场办理",
}

ASPECTS = ("materials", "conditions", "fee", "time_limit", "location", "online", "process", "overview")


def days_text(days: int) -> str:
    """Describe a time limit in working days; 0 means done on the spot."""
    return "即办（当场办结）" if days == 0 else f"{days}个工作日"


def is_imported(item: ServiceItem) -> bool:
    """True for an item of an imported catalog (a province's published guides), not a curated one."""
    return getattr(item, "layer", None) == IMPORTED_LAYER


def source_note(item: ServiceItem) -> str:
    """The line under every answer: the demo disclaimer, or where and when an imported guide was published."""
    if not is_imported(item):
        return DISCLAIMER
    return (
        f"（以上信息来自{item.source} {item.source_date} 年公布的办事指南，可能已有调整，"
        f"请以{department_name(item)}最新公布为准）"
    )


def department_name(item: ServiceItem) -> str:
    """The department that handles the item; an imported record names its own."""
    return str(item.department_name or item.department.name)


def limit_text(item: ServiceItem, kind: str) -> str:
    """The legal or promised time limit as published (imported) or in working days (curated)."""
    if kind == "legal":
        published, days = item.legal_limit_text, item.legal_limit_days
    else:
        published, days = item.promised_limit_text, item.promised_limit_days
    return str(published) if published else days_text(days)


def phone_text(item: ServiceItem) -> str:
    """Every consult phone the guide gives, else the item's or department's phone."""
    return "、".join(item.phones) if item.phones else item.phone


def apply_elsewhere(item: ServiceItem) -> str:
    """Why an imported item cannot be applied for here, and where it can."""
    where = f"请通过网上办理入口申请：{item.online_url}" if item.online_url else f"请咨询{phone_text(item)}"
    return (
        f"「{item.name}」由{department_name(item)}办理（{item.source} {item.source_date} 年公布的办事指南），"
        f"本平台暂不受理该事项的在线申请，{where}"
    )


def fee_text(item: ServiceItem) -> str:
    """Describe the fee, leading with 免费 or the amount (imported guides publish none)."""
    if is_imported(item):
        return f"{NOT_STATED}，请向{department_name(item)}咨询（{phone_text(item)}）"
    head = "不收费" if item.fee_fen == 0 else f"{item.fee.normalize():f}元"
    return f"{head}。{item.fee_note}" if item.fee_note else head


def material_line(material: Material) -> str:
    """One material as a chat line: name, form and count, then notes."""
    if not material.form:  # an imported guide names the material only
        return str(material.name)
    line = f"{material.name}（{material.form}{material.count}份）"
    if material.notes:
        line += f"：{material.notes}"
    return line


def numbered(lines: Sequence[str]) -> str:
    """Number lines for chat, one per line, starting at 1."""
    return "\n".join(f"{i}. {line}" for i, line in enumerate(lines, start=1))


def _materials(item: ServiceItem) -> str:
    lines = [material_line(m) for m in item.materials]
    if not lines:
        return f"【{item.name}】的办事指南未列出申请材料，请向{department_name(item)}咨询（{phone_text(item)}）。"
    return f"办理【{item.name}】需准备以下{len(lines)}项材料：\n{numbered(lines)}"


def _conditions(item: ServiceItem) -> str:
    who = "、".join(item.service_objects or item.applicant_types)
    conditions = numbered(item.conditions) if item.conditions else f"{NOT_STATED}申请条件"
    return f"【{item.name}】申请对象：{who}。\n申请条件：\n{conditions}"


def _fee(item: ServiceItem) -> str:
    return f"【{item.name}】收费标准：{fee_text(item)}"


def _time_limit(item: ServiceItem) -> str:
    return (
        f"【{item.name}】法定办结时限：{limit_text(item, 'legal')}；"
        f"承诺办结时限：{limit_text(item, 'promised')}。"
    )


def _place(item: ServiceItem) -> str:
    if is_imported(item) and not item.window_address:
        return "无线下办理窗口，请通过网上办理" if item.handling == "online" else NOT_STATED
    return str(item.address)


def _location(item: ServiceItem) -> str:
    return (
        f"【{item.name}】由{department_name(item)}办理。\n"
        f"办理地点：{_place(item)}\n办公时间：{item.hours}\n咨询电话：{phone_text(item)}"
    )


def _online(item: ServiceItem) -> str:
    text = f"【{item.name}】{HANDLING_TEXT[item.handling]}。"
    if item.online_url and item.handling != "offline":
        text += f"\n网上办理入口：{item.online_url}"
    if item.handling != "online":
        text += f"\n现场办理地点：{_place(item)}"
    return text


def _process(item: ServiceItem) -> str:
    if not item.process:
        where = f"可在网上办理入口查看：{item.online_url}" if item.online_url else f"请向{department_name(item)}咨询"
        return f"【{item.name}】的办事指南未列出办理流程，{where}。"
    return f"【{item.name}】办理流程：\n{numbered(item.process)}"


def _overview(item: ServiceItem) -> str:
    parts: List[str] = [
        f"【{item.name}】（{item.item_type}，事项编码 {item.code}）",
        f"办理部门：{department_name(item)}",
        *([f"服务对象：{'、'.join(item.service_objects)}"] if item.service_objects else []),
        f"办理方式：{HANDLING_TEXT[item.handling]}",
        f"收费：{fee_text(item)}",
        f"承诺时限：{limit_text(item, 'promised')}",
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
    """Answer one aspect of an item's guide, with the line saying where it comes from.

    Curated items carry the demo-catalog disclaimer; imported ones the source and year of the guide.

    Args:
        item: a fully loaded service item.
        aspect: one of :data:`ASPECTS`; unknown aspects get the overview.

    Returns:
        Chinese text ready for a chat bubble.
    """
    render = _RENDERERS.get(aspect, _overview)
    return _fit(render(item), source_note(item), item)


def _fit(body: str, note: str, item: ServiceItem) -> str:
    """Join ``body`` and ``note`` in one chat bubble (under MAX_MESSAGE_BYTES).

    A long published guide is cut at a line, and says where to read the rest.
    """
    text = f"{body}\n{note}"
    if len(text.encode()) < MAX_MESSAGE_BYTES:
        return text
    if item.online_url:
        rest = f"完整内容请查看：{item.online_url}"
    else:
        rest = f"详情请咨询{department_name(item)}（{phone_text(item)}）"
    tail = f"……（{rest}）\n{note}"
    budget = MAX_MESSAGE_BYTES - len(tail.encode()) - 1
    cut = body.encode()[:budget].decode("utf-8", "ignore")
    if "\n" in cut[len(cut) // 2 :]:
        cut = cut[: cut.rindex("\n")]  # end at a line, unless that would drop most of it
    return f"{cut}\n{tail}"


def which_item_question(candidates: Sequence[ServiceItem]) -> str:
    """Ask which item a question is about, naming the candidates when the name fits several."""
    names = [str(item.name) for item in candidates]
    example = names[0] if names else "居住证申领"
    choices = f"您问的是{'、'.join(f'「{n}」' for n in names)}中的哪一项？" if names else "您问的是哪个事项？"
    return f"{choices}请连同事项名称再问一次，比如“{example}要带什么材料”。"

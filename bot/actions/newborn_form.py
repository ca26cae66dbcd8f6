"""The 新生儿出生一件事 form: shared data once, each parent's materials, one confirmation.

The conversation keeps the shared data (names, dates, choices), the applicant's role and which
certificates they hold (by id), and what was uploaded or signed. The 出生医学证明 number is
never in it: only the certificate's id and a masked copy.
"""

from __future__ import annotations

import re
from typing import Any, Dict, List, Optional

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from bot.actions.application_answers import interrupting_question, read_material, said_no, said_yes, wants_to_stop
from bot.actions.application_form import MATERIAL_HINT, not_asked
from bot.actions.session import channel_and_sender, current_subject
from govservice.applications import life_events
from govservice.applications.newborn_materials import (
    BUNDLE_ONLY_ITEM,
    FATHER,
    HELD,
    MARRIED,
    STATEMENT,
    STATEMENT_NAME,
    UNMARRIED,
    WITH_FATHER,
    WITH_MOTHER,
    Need,
    newborn_needs,
    other_parent,
    statement_text,
)
from govservice.applications.states import ApplicationError
from govservice.applications.workflow import submission_key
from govservice.catalog import lexicon

QUESTIONS = {
    "child_name": ("请输入新生儿的姓名（与出生医学证明一致）。", ()),
    "child_gender": ("新生儿的性别是？请回复“男”或“女”。", tuple(lexicon.groups("choices")["child_gender"])),
    "birth_date": ("新生儿的出生日期是？例如“2026-11-16”或“2026年11月16日”。", ()),
    "father_name": ("请输入孩子父亲的姓名。", ()),
    "mother_name": ("请输入孩子母亲的姓名。", ()),
    "marriage": (f"孩子的父母是否已登记结婚？请回复“{MARRIED}”或“{UNMARRIED}”。", (MARRIED, UNMARRIED)),
    "settle_with": (f"孩子随父亲还是随母亲落户？请回复“{WITH_FATHER}”或“{WITH_MOTHER}”。", (WITH_FATHER, WITH_MOTHER)),
}
"""Each shared field's question and its answer buttons."""
NB_SLOTS = ("nb_data", "nb_start", "nb_key", "nb_field", "nb_material", "nb_provided", "nb_confirm", "nb_result")
STOPPED = "好的，已取消，没有提交任何内容。"
RESUME = "好的，我们继续办理新生儿出生一件事："
QUESTION_ITEM = {"item_key": BUNDLE_ONLY_ITEM}
"""A question mid-form without an item named is about 出生登记, the heart of the bundle."""
_DATE = re.compile(r"(\d{4})\D{1,3}(\d{1,2})\D{1,3}(\d{1,2})")


def asked(start: Dict[str, Any]) -> List[str]:
    """The shared fields asked in order: the other parent's name depends on who applies."""
    other = "mother_name" if start.get("role") == FATHER else "father_name"
    return ["child_name", "child_gender", "birth_date", other, "marriage", "settle_with"]


def _choice(key: str, answer: str) -> str:
    # Colloquial answers (儿子, 没领证, 跟爸) from the lexicon; for 婚姻 the first group that
    # matches wins (没结婚 contains 结婚), elsewhere an answer naming both is no answer.
    options = lexicon.groups("choices")[key]
    found = []
    for value, words in options.items():
        if any(word in answer for word in words):
            found.append(value)
            if key == "marriage":
                break
    if len(found) != 1:
        raise ApplicationError("请回复：" + " 或 ".join(options) + "。")
    return str(found[0])


def parse_field(key: str, text: str) -> str:
    """One shared field from the citizen's answer; ApplicationError (Chinese) when it does not fit."""
    answer = (text or "").strip()
    if key in lexicon.groups("choices"):
        return _choice(key, answer)
    if key == "birth_date":
        match = _DATE.search(answer)
        if not match:
            raise ApplicationError("请按“2026-11-16”这样的格式输入出生日期。")
        return f"{int(match.group(1)):04d}-{int(match.group(2)):02d}-{int(match.group(3)):02d}"
    name = answer.rsplit("叫", 1)[-1].strip(" 。.，,")
    if not 2 <= len(name) <= 20:
        raise ApplicationError("姓名请输入2到20个字。")
    return name


def next_missing(data: Dict[str, str], start: Dict[str, Any]) -> Optional[str]:
    """The first shared field not entered yet."""
    return next((key for key in asked(start) if not data.get(key)), None)


def needs_of(tracker: Tracker) -> List[Need]:
    """The materials as the choices made so far decide them (computed from the slots, no library read)."""
    start = dict(tracker.get_slot("nb_start") or {})
    return newborn_needs(str(start.get("role") or FATHER), start.get("held") or {}, tracker.get_slot("nb_data") or {})


def pending(tracker: Tracker) -> List[Need]:
    """The materials still to upload or sign."""
    provided = tracker.get_slot("nb_provided") or {}
    return [need for need in needs_of(tracker) if need.status != HELD and need.key not in provided]


def _statement(tracker: Tracker) -> str:
    start = dict(tracker.get_slot("nb_start") or {})
    role = str(start.get("role") or FATHER)
    return statement_text(str(start.get("applicant") or ""), tracker.get_slot("nb_data") or {}, role)


class ValidateNewbornForm(FormValidationAction):
    """Each missing shared field once, each material to provide, then one confirmation that submits."""

    def name(self) -> str:
        """Name registered with Rasa."""
        return "validate_newborn_form"

    async def required_slots(
        self, domain_slots: List[str], dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[str]:
        """Materials only when some are still to provide; nothing once the citizen stopped."""
        if tracker.get_slot("nb_confirm") == "no":
            return []
        if tracker.get_slot("nb_field") == "done" and not pending(tracker):
            return [slot for slot in domain_slots if slot != "nb_material"]
        return domain_slots

    async def validate_nb_field(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        """Store one field; the slot stays empty until every field is known."""
        data, start = dict(tracker.get_slot("nb_data") or {}), dict(tracker.get_slot("nb_start") or {})
        key = next_missing(data, start)
        if key is None:
            return {"nb_field": "done"}
        if not_asked(tracker, "nb_field", value):
            return {"nb_field": None}
        if wants_to_stop(tracker):
            dispatcher.utter_message(text=STOPPED)
            return {"nb_field": "done", "nb_confirm": "no"}
        if interrupting_question(dispatcher, tracker, QUESTION_ITEM, resume=RESUME):
            return {"nb_field": None}
        try:
            data[key] = parse_field(key, str(value))
        except ApplicationError as error:
            dispatcher.utter_message(text=str(error))
            return {"nb_field": None}
        return {"nb_field": None if next_missing(data, start) else "done", "nb_data": data}

    async def validate_nb_material(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        """One upload, or the signature of the 《非婚生育说明》, per turn."""
        todo = pending(tracker)
        if not todo:
            return {"nb_material": "done"}
        if not_asked(tracker, "nb_material", value):
            return {"nb_material": None}
        need, provided = todo[0], dict(tracker.get_slot("nb_provided") or {})
        subject = current_subject(tracker)
        if subject is None:
            dispatcher.utter_message(text="您的登录已超时，请说“登录”重新登录后继续（已填写内容会保留）。")
            return {"nb_material": None}
        text = str(tracker.latest_message.get("text") or "")
        refused = said_no(tracker) or lexicon.has_any(text, "refuse_sign")
        if wants_to_stop(tracker) or (need.status == STATEMENT and refused):
            dispatcher.utter_message(text=STOPPED)
            return {"nb_material": "done", "nb_confirm": "no"}
        if need.status == STATEMENT:
            if not (said_yes(tracker) or lexicon.has_any(text, "sign")):
                dispatcher.utter_message(text="同意签署请回复“同意签署”；不办了请回复“取消”。")
                return {"nb_material": None}
            provided[need.key] = life_events.SIGNED
            dispatcher.utter_message(text=f"已签署{STATEMENT_NAME}。")
        else:
            given, problem = await read_material(tracker, subject.person_id, {"name": need.label, "commitment": False})
            if given is None and not problem and interrupting_question(dispatcher, tracker, QUESTION_ITEM, RESUME):
                return {"nb_material": None}
            if given is None or given[0] != "upload":
                dispatcher.utter_message(text=problem or f"还需要{need.label}。{MATERIAL_HINT}")
                return {"nb_material": None}
            provided[need.key] = str(given[1])
            dispatcher.utter_message(text=f"已收到{need.label}。")
        done = all(n.key in provided for n in todo)
        return {"nb_material": "done" if done else None, "nb_provided": provided}

    async def validate_nb_confirm(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        """Submit the linked applications in one transaction (idempotent per conversation form)."""
        if not_asked(tracker, "nb_confirm", value):
            return {"nb_confirm": None}
        if interrupting_question(dispatcher, tracker, QUESTION_ITEM, resume=RESUME):
            return {"nb_confirm": None}
        if said_no(tracker):
            dispatcher.utter_message(text=STOPPED)
            return {"nb_confirm": "no"}
        if not said_yes(tracker):
            dispatcher.utter_message(text="确认提交请回复“确认提交”，不办了请回复“取消”。")
            return {"nb_confirm": None}
        subject = current_subject(tracker)
        if subject is None:
            dispatcher.utter_message(text="您的登录已超时，请说“登录”重新登录后再确认（已填写内容会保留）。")
            return {"nb_confirm": None}
        channel, sender = channel_and_sender(tracker)
        start = dict(tracker.get_slot("nb_start") or {})
        try:
            apps = life_events.submit_newborn_bundle(
                None,
                idempotency_key=submission_key(channel, sender, str(tracker.get_slot("nb_key"))),
                person_id=subject.person_id,
                channel=channel,
                sender=sender,
                shared_data={**dict(tracker.get_slot("nb_data") or {}), "birth_certificate_id": start.get("birth_id")},
                provided=dict(tracker.get_slot("nb_provided") or {}),
            )
        except ApplicationError as error:
            dispatcher.utter_message(text=f"提交未成功：{error}")
            return {"nb_confirm": None}
        return {"nb_confirm": "done", "nb_result": life_events.bundle_summary(apps)}


def _buttons(*titles: str) -> Optional[List[Dict[str, str]]]:
    return [{"title": t, "payload": t} for t in titles] or None


class ActionAskNbField(Action):
    """Ask for the next missing shared field."""

    def name(self) -> str:
        """Name registered with Rasa."""
        return "action_ask_nb_field"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[Dict[str, Any]]:
        """One question, with its choices as buttons."""
        key = next_missing(dict(tracker.get_slot("nb_data") or {}), dict(tracker.get_slot("nb_start") or {}))
        if key is None:
            dispatcher.utter_message(text="信息已填写完整。")
            return []
        text, choices = QUESTIONS[key]
        dispatcher.utter_message(text=text, buttons=_buttons(*choices))
        return []


class ActionAskNbMaterial(Action):
    """Ask for the next material: the other parent's certificates to upload, or the statement to sign."""

    def name(self) -> str:
        """Name registered with Rasa."""
        return "action_ask_nb_material"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[Dict[str, Any]]:
        """Name the material and how to provide it."""
        todo = pending(tracker)
        if not todo:
            dispatcher.utter_message(text="材料已齐全。")
        elif todo[0].status == STATEMENT:
            text = f"非婚生育的，以在线签署{STATEMENT_NAME}代替结婚证：\n{_statement(tracker)}\n同意请回复“同意签署”。"
            dispatcher.utter_message(text=text, buttons=_buttons("同意签署"))
        else:
            dispatcher.utter_message(text=f"请上传{todo[0].label}（照片或扫描件）。{MATERIAL_HINT}")
        return []


class ActionAskNbConfirm(Action):
    """Show the shared data and the materials once, for one confirmation."""

    def name(self) -> str:
        """Name registered with Rasa."""
        return "action_ask_nb_confirm"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[Dict[str, Any]]:
        """Everything that will be submitted to the three departments; the certificate number masked."""
        data = dict(tracker.get_slot("nb_data") or {})
        start = dict(tracker.get_slot("nb_start") or {})
        shown = {**data, "birth_certificate_number": start.get("birth_masked", "")}
        lines = [f"· {label}：{shown[key]}" for key, label in life_events.NEWBORN_FIELDS.items() if shown.get(key)]
        provided = tracker.get_slot("nb_provided") or {}
        for need in needs_of(tracker):
            how = "电子证照库调取" if need.status == HELD else "已签署" if need.status == STATEMENT else "已上传"
            lines.append(f"· {need.label}：{how if need.status == HELD or need.key in provided else '未提供'}")
        role = str(start.get("role") or FATHER)
        text = (
            f"请核对以下信息（申请人：{role}，另一方：{other_parent(role)}），"
            "确认后将同时向公安、医保、人社部门提交申请：\n"
        )
        buttons = [{"title": "确认提交", "payload": "确认提交"}, {"title": "不办了", "payload": "/cancel"}]
        dispatcher.utter_message(text=text + "\n".join(lines), buttons=buttons)
        return []

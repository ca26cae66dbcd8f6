"""Property test of the redacting tracker store over conversations shaped as Rasa records them.

Random strings (every form, slot, intent, action, response and entity name of the domain, ID
numbers, credit codes, phones and codes in any typed form, names, free text) are typed at every
prompt of every form of bot/domain. Each turn is saved through the store and the next one is built
on what the store gives back, as the processor does. After every turn the stored tracker must
load, keep every name and key, keep the state (active form, requested slot), and hold no login
answer and no raw ID number, credit code, phone or code. The same property through the trained
assistant is in test_tracker_store_conversations.py.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rasa.shared.core.constants import REQUESTED_SLOT
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, ActiveLoop, BotUttered, Event, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.tracker_store import HIDDEN, SENSITIVE_SLOTS, RedactingTrackerStore
from govservice.identity.masking import fold_text, mask_credit_code, mask_id_number, redact_text
from tests.fuzzing import fuzz_examples
from tests.pii_strategies import CONTEXT, codes, identifiers, typed

DOMAIN = Domain.load(str(Path(__file__).resolve().parents[2] / "bot" / "domain"))
FORMS = {form: DOMAIN.required_slots_for_form(form) for form in DOMAIN.form_names}
NAMES = sorted(
    set(DOMAIN.form_names)
    | {slot.name for slot in DOMAIN.slots}
    | set(DOMAIN.intents)
    | set(DOMAIN.action_names_or_texts)
    | set(DOMAIN.entities)
)


def typed_texts() -> st.SearchStrategy[Tuple[str, List[str]]]:
    """What a citizen may type at any prompt, and the identifiers in it that must never be stored."""
    plain = st.one_of(
        st.sampled_from(NAMES),
        codes(),
        codes().flatmap(typed),
        st.sampled_from(["张三", "欧阳娜娜", "取消", "重新发送", "我要登录", "转人工", "是", "不对"]),
        st.text(max_size=40),
    )
    with_identifier = st.tuples(CONTEXT, identifiers(), CONTEXT).map(lambda t: (t[0] + t[1][0] + t[2], [t[1][1]]))
    return st.one_of(plain.map(lambda text: (text, [])), with_identifier)


def _validated(slot: str, text: str, accept: bool) -> Any:
    """What the form's validation stores: a masked copy of a login answer, the text, or None."""
    if not accept:
        return None
    if slot in ("login_id", "login_rep_id"):
        return mask_id_number("11010519491231002X")
    if slot == "company_code":
        return mask_credit_code("91350100M000100Y43")
    if slot == "login_name":
        return "张*"
    if slot == "login_code":
        return "******"
    return text


def _turn(
    form: str, requested: Optional[str], text: str, accept: bool, intent: str
) -> Tuple[List[Event], Optional[str]]:
    """The events of one turn at ``requested``'s prompt, and the slot asked for next."""
    entity = DOMAIN.entities[len(text) % len(DOMAIN.entities)]
    entities = [{"entity": entity, "value": text, "start": 0, "end": len(text)}]
    parse = {"text": text, "intent": {"name": intent, "confidence": 0.9}, "entities": entities}
    events: List[Event] = [UserUttered(text, parse["intent"], entities, parse_data=parse, metadata={"typed": text})]
    if requested is not None:
        events.append(SlotSet(requested, text))  # the from_text mapping, before validation
    events.append(ActionExecuted(form))
    slots = FORMS[form]
    if requested is None:  # the form starts
        events.append(ActiveLoop(form))
        following: Optional[str] = slots[0]
    else:
        events.append(SlotSet(requested, _validated(requested, text, accept)))
        following = requested if not accept else (slots[slots.index(requested) + 1:] or [None])[0]
    events.append(SlotSet(REQUESTED_SLOT, following))
    if following is None:
        events.append(ActiveLoop(None))
    else:
        events.append(BotUttered(f"请输入{following}", metadata={"utter_action": f"utter_ask_{following}"}))
    events.append(ActionExecuted("action_listen"))
    return events, following


def _shape(event: Dict[str, Any]) -> Tuple[Any, ...]:
    """Everything of an event that redaction must never change: its type, names and keys."""
    parse = event.get("parse_data") or {}
    return (
        event["event"],
        event.get("name"),
        tuple(sorted(event)),
        (parse.get("intent") or {}).get("name"),
        tuple(e.get("entity") for e in parse.get("entities") or []),
        event.get("policy"),
    )


def _compact(text: str) -> str:
    return "".join(c for c in fold_text(text) if c.isalnum()).upper()


class Conversation:
    """Drives one conversation through the store and checks it after every turn."""

    def __init__(self, store: RedactingTrackerStore, sender: str) -> None:
        self.store, self.sender = store, sender
        self.raw: List[Dict[str, Any]] = []  # every event as the processor had it
        self.at_login_prompt: List[bool] = []  # per user message: typed while a login slot was asked
        self.typed_secrets: List[str] = []

    def play(self, events: List[Event], requested_before: Optional[str], secrets: Tuple[str, ...] = ()) -> None:
        tracker = asyncio.run(self.store.retrieve(self.sender)) or DialogueStateTracker(self.sender, DOMAIN.slots)
        for event in events:
            tracker.update(event)
            self.raw.append(event.as_dict())
            if isinstance(event, UserUttered):
                self.at_login_prompt.append(requested_before in SENSITIVE_SLOTS)
        self.typed_secrets += [secret.upper() for secret in secrets]
        asyncio.run(self.store.save(tracker))
        self.check(tracker)

    def check(self, raw_tracker: DialogueStateTracker) -> None:
        stored = asyncio.run(self.store.retrieve(self.sender))
        assert stored is not None, "the stored tracker must load"
        events = [event.as_dict() for event in stored.events]
        assert [_shape(e) for e in events] == [_shape(e) for e in self.raw]
        assert stored.active_loop_name == raw_tracker.active_loop_name
        assert stored.get_slot(REQUESTED_SLOT) == raw_tracker.get_slot(REQUESTED_SLOT)
        users = [(e, raw) for e, raw in zip(events, self.raw, strict=True) if e["event"] == "user"]
        for (event, raw), hidden in zip(users, self.at_login_prompt, strict=True):
            expected = HIDDEN if hidden else redact_text(raw["text"])
            assert event["text"] == expected and event["parse_data"]["text"] == expected
            assert [entity["value"] for entity in event["parse_data"]["entities"]] == [expected]
        for event in events:
            if event["event"] == "slot" and event["name"] in SENSITIVE_SLOTS:
                assert event["value"] in (None, HIDDEN) or "*" in event["value"]
        blob = _compact(json.dumps(events, ensure_ascii=False))
        for secret in self.typed_secrets:
            assert secret not in blob


@st.composite
def conversations(draw: st.DrawFn) -> List[Tuple[str, List[Tuple[Tuple[str, List[str]], bool]]]]:
    """Forms in a row, each with the texts typed at its prompts (and whether each is accepted)."""
    return draw(
        st.lists(
            st.tuples(
                st.sampled_from(sorted(FORMS)),
                st.lists(st.tuples(typed_texts(), st.booleans()), min_size=1, max_size=5),
            ),
            min_size=1,
            max_size=3,
        )
    )


@pytest.mark.fuzz
@settings(max_examples=fuzz_examples(divisor=10))
@given(plan=conversations(), intent=st.sampled_from(sorted(DOMAIN.intents)))
def test_any_text_at_any_prompt_keeps_the_conversation_and_stores_no_secret(
    plan: List[Tuple[str, List[Tuple[Tuple[str, List[str]], bool]]]], intent: str
) -> None:
    conversation = Conversation(RedactingTrackerStore(domain=DOMAIN), "property")
    conversation.play([ActionExecuted("action_listen")], None)
    for form, answers in plan:
        requested: Optional[str] = None
        conversation.play(_turn(form, None, "开始办理", True, intent)[0], None)
        requested = FORMS[form][0]
        for (text, secrets), accept in answers:
            events, following = _turn(form, requested, text, accept, intent)
            conversation.play(events, requested, tuple(secrets))
            if following is None:
                break
            requested = following
        if requested is not None:  # leave the form as a cancel rule does
            conversation.play(
                [ActionExecuted("action_deactivate_loop"), ActiveLoop(None), SlotSet(REQUESTED_SLOT, None),
                 ActionExecuted("action_listen")],
                requested,
            )

"""Property test through the trained assistant: anything typed at the login and message prompts.

Each example is a new conversation with the in-process assistant (the trained model, our actions,
the redacting tracker store; tests/bot/inprocess_agent.py). It opens a person login, a company
login or a message for staff, types random strings at the prompts (every form, slot, intent,
action, response and entity name of the domain, ID numbers, credit codes, phones and codes in any
typed form, the demo citizens' real answers and the code just sent, free text), then cancels and
asks an ordinary question. After every turn the assistant must have answered, the stored tracker
must load and name only what the domain has, a message typed at a login prompt must be stored
hidden and any other message redacted, and no raw ID number, credit code, phone or code may be
stored anywhere.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import uuid
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Tuple

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rasa.shared.core.constants import REQUESTED_SLOT
from rasa.utils.log_utils import configure_structlog

from bot.tracker_store import HIDDEN, SENSITIVE_SLOTS
from connectors.common import BUSY_REPLY
from govservice.demo_data import DEMO_CITIZENS, DEMO_COMPANY
from govservice.identity.masking import fold_text, redact_text
from tests.bot.inprocess_agent import MODEL, Assistant
from tests.bot.test_tracker_store_properties import DOMAIN, NAMES
from tests.fuzzing import fuzz_examples
from tests.pii_strategies import CONTEXT, codes, identifiers, typed

pytestmark = [pytest.mark.model, pytest.mark.fuzz]

SENT_CODE = "<the code just sent>"  # typed as the latest code in the SMS outbox
# The demo citizens' ID numbers and phones and the company's code: typed, or in replies.
DEMO_SECRETS = [c[key] for c in DEMO_CITIZENS for key in ("id_number", "phone")] + [DEMO_COMPANY["credit_code"]]
OPENINGS = ["我要登录", "企业登录", "转人工", "我有哪些证照"]
INTENTS = set(DOMAIN.intents) | {"nlu_fallback"}


@pytest.fixture(scope="module")
def assistant(catalog: Any) -> Iterator[Assistant]:
    assert MODEL.exists(), "train first: make train"
    configure_structlog(logging.WARNING)  # Rasa's debug lines would cost more than the turns
    loop = asyncio.new_event_loop()
    try:
        yield Assistant(loop)
    finally:
        loop.close()


def typed_texts() -> st.SearchStrategy[Tuple[str, List[str]]]:
    """What a citizen may type, and the identifiers in it that must never be stored raw."""
    demo_ids = st.sampled_from([c["id_number"] for c in DEMO_CITIZENS] + [DEMO_COMPANY["credit_code"]])
    plain = st.one_of(
        st.sampled_from(NAMES),
        st.sampled_from([c["name"] for c in DEMO_CITIZENS] + [SENT_CODE, SENT_CODE, "重新发送", "取消", "登录"]),
        codes(),
        codes().flatmap(typed),
        # Not empty and not "/x", Rasa's command syntax: the channels' fuzz tests cover those.
        st.text(min_size=1, max_size=30).filter(lambda text: text.strip() and not text.strip().startswith("/")),
    )
    return st.one_of(
        plain.map(lambda text: (text, [])),
        demo_ids.flatmap(lambda value: typed(value).map(lambda shown: (shown, [value]))),
        st.tuples(CONTEXT, identifiers(), CONTEXT).map(lambda t: (t[0] + t[1][0] + t[2], [t[1][1]])),
    )


def _latest_code() -> str:
    outbox = Path(os.environ["VAR_DIR"]) / "sms_outbox.jsonl"
    lines = outbox.read_text(encoding="utf-8").splitlines() if outbox.exists() else []
    return "".join(c for c in json.loads(lines[-1])["text"] if c.isdigit())[:6] if lines else "000000"


def _compact(text: str) -> str:
    return "".join(c for c in fold_text(text) if c.isalnum()).upper()


def _check_names(events: List[Dict[str, Any]]) -> None:
    """Every name in the stored tracker is one of the domain's: nothing was redacted into a name."""
    slots = {slot.name for slot in DOMAIN.slots}
    for event in events:
        kind = event["event"]
        if kind == "action":
            assert event["name"] in DOMAIN.action_names_or_texts, event
        elif kind == "active_loop":  # a form, or a loop action such as action_two_stage_fallback
            assert event["name"] is None or event["name"] in DOMAIN.action_names_or_texts, event
        elif kind == "slot":
            assert event["name"] in slots, event
            if event["name"] == REQUESTED_SLOT:
                assert event["value"] is None or event["value"] in slots, event
        elif kind == "user":
            assert event["parse_data"]["intent"]["name"] in INTENTS, event
            assert {e["entity"] for e in event["parse_data"]["entities"]} <= set(DOMAIN.entities), event


class Checked:
    """One conversation with the assistant, checked after every turn."""

    def __init__(self, assistant: Assistant, sender: str) -> None:
        self.assistant, self.sender = assistant, sender
        assistant.store_errors.clear()  # one failed example must not fail the next ones
        self.secrets = list(DEMO_SECRETS)

    def turn(self, text: str, secrets: List[str]) -> List[Dict[str, Any]]:
        before = self.assistant.retrieve(self.sender)
        requested: Optional[str] = before.get_slot(REQUESTED_SLOT) if before else None
        if text == SENT_CODE:
            text = _latest_code()
        self.secrets += secrets
        replies = self.assistant.say(self.sender, text)
        assert not self.assistant.store_errors, self.assistant.store_errors
        assert replies, f"no answer to {text!r}"
        assert all(BUSY_REPLY not in str(reply.get("text")) for reply in replies)

        events = self.assistant.stored_json(self.sender)["events"]
        _check_names(events)
        latest = [e for e in events if e["event"] == "user"][-1]
        # A code (or anything) typed at a login prompt is hidden; the same digits typed later, when
        # the code is used up, are an ordinary number.
        # Rasa's UserMessage strips the text it is given, so "0 " is stored as "0".
        expected = HIDDEN if requested in SENSITIVE_SLOTS else redact_text(text.strip())
        assert latest["text"] == expected and latest["parse_data"]["text"] == expected
        for event in events:
            if event["event"] == "slot" and event["name"] in SENSITIVE_SLOTS:
                assert event["value"] in (None, HIDDEN) or "*" in event["value"], event
        blob = _compact(json.dumps(events, ensure_ascii=False))
        for secret in self.secrets:
            assert secret.upper() not in blob, secret
        return replies


@settings(max_examples=fuzz_examples(divisor=20))
@given(opening=st.sampled_from(OPENINGS), answers=st.lists(typed_texts(), min_size=1, max_size=6))
def test_anything_typed_at_the_prompts_keeps_the_conversation_going_and_stores_no_secret(
    assistant: Assistant, opening: str, answers: List[Tuple[str, List[str]]]
) -> None:
    conversation = Checked(assistant, f"prop-{uuid.uuid4().hex}")
    conversation.turn(opening, [])
    for text, secrets in answers:
        conversation.turn(text, secrets)
    conversation.turn("取消", [])
    answer = conversation.turn("身份证丢了怎么补办", [])
    # An ordinary question after all that gets an ordinary answer (or, mid-form, the form goes on).
    assert any("身份证" in str(reply.get("text")) for reply in answer), answer

"""FAQ answers from the staff-maintained store (no retraining), and the unanswered-questions queue.

The actions that use them are in :mod:`bot.actions.fallback`, behind the window's decision.
"""

from __future__ import annotations

from typing import Optional, Sequence

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot.actions.my_applications import entity
from bot.actions.session import current_subject
from govservice.faq import search as faq_search
from govservice.faq import service as faq
from govservice.identity import service as identity

NOT_FOUND = (
    "抱歉，问答库里暂时没有这个问题的答案，我已记录下来，工作人员会尽快补充。"
    "您可以换个说法再问，或拨打12345政务服务便民热线。"
)


def _names(tracker: Tracker) -> Sequence[str]:
    """The logged-in citizen's name, redacted from queued questions."""
    subject = current_subject(tracker)
    if subject is None:
        return ()
    name = identity.person_name(subject.person_id)
    return (name,) if name is not None else ()


def say_answer(dispatcher: CollectingDispatcher, answer: faq_search.FaqAnswer) -> bool:
    """Utter an answer or "您是不是想问" with one button per suggestion; False when there is neither."""
    if answer.kind == faq_search.ANSWER:
        dispatcher.utter_message(text=answer.text)
        return True
    if answer.kind == faq_search.SUGGEST:
        buttons = [
            {"title": hit.question, "payload": f'/ask_faq{{"faq_entry":"{hit.entry_id}"}}'}
            for hit in answer.hits[: len(answer.entry_ids)]
        ]
        dispatcher.utter_message(text="您是不是想问：", buttons=buttons)
        return True
    return False


def queue_question(tracker: Tracker, source: str) -> None:
    """Put the latest message on the unanswered queue (PII redacted there)."""
    text = str(tracker.latest_message.get("text") or "")
    if text and not text.startswith("/"):
        faq.queue_unanswered(text, names=_names(tracker), source=source)


def answer_from_store(tracker: Tracker, intent_is_faq: bool) -> faq_search.FaqAnswer:
    """The picked entry's answer, or the store's answer to the latest message."""
    picked: Optional[str] = entity(tracker, "faq_entry")
    if picked and picked.isdigit():
        return faq.answer_entry(int(picked))
    return faq.answer_question(str(tracker.latest_message.get("text") or ""), intent_is_faq=intent_is_faq)

"""The FAQ as the bot calls it: answers and the unanswered queue, each call one transaction.

The actions never open a database session themselves (issue 14, item 5): these functions open it
and hand back :class:`~govservice.faq.search.FaqAnswer` values or nothing.
"""

from __future__ import annotations

from typing import Sequence

from govservice.db import session_scope
from govservice.faq import search, unanswered


def answer_question(text: str, *, intent_is_faq: bool = False) -> search.FaqAnswer:
    """What the published FAQ answers to ``text`` (:func:`search.answer_question`)."""
    with session_scope() as session:
        return search.answer_question(session, text, intent_is_faq=intent_is_faq)


def answer_entry(entry_id: int) -> search.FaqAnswer:
    """The answer of one entry, e.g. a suggestion the citizen picked (:func:`search.answer_entry`)."""
    with session_scope() as session:
        return search.answer_entry(session, entry_id)


def queue_unanswered(text: str, *, names: Sequence[str] = (), source: str = "fallback") -> None:
    """Put a question nobody answered on the staff's queue, redacted (:func:`unanswered.enqueue`)."""
    with session_scope() as session:
        unanswered.enqueue(session, text, names=names, source=source)


def warm_index() -> None:
    """Build the FAQ index now, so that no citizen's first question waits for it."""
    with session_scope() as session:
        search.current_index(session)

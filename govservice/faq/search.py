"""Answer citizens' questions from the published FAQ: jieba words and character bigrams, Okapi BM25.

The BM25 is the shared :class:`govservice.catalog.retrieval.Bm25` (on the bm25s library).

Each standard or similar question is one BM25 document; an entry scores as its best question.
Confidence is the entry's score divided by the score a question identical to the query would
get, so it reads the same for long and short questions. The index lives in the process and is
rebuilt when the FAQ table's change stamp (row count, latest ``updated_at``, sum of versions) or
the date changes: one aggregate query per question, so a published edit answers on the next
question, with no Rasa retraining. Tokens of unchanged entries are reused across rebuilds.
"""

from __future__ import annotations

import datetime
import threading
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Tuple

from sqlalchemy import func, or_
from sqlalchemy.orm import Session

from govservice.catalog.retrieval import Bm25
from govservice.catalog.text import answer_terms, normalize, terms
from govservice.clock import office_date
from govservice.faq.models import PUBLISHED, FaqEntry

# Thresholds and weights were chosen with bench/faq_dev.py (leave-one-out over the seed files and
# off-topic messages), never on the held-out paraphrases.
ANSWER_CONFIDENCE = 0.5
"""At or above this confidence (and clear of the runner-up) the top entry is the answer."""
SUGGEST_CONFIDENCE = 0.35
"""At or above this the top entries are offered as "您是不是想问："; below it, nothing."""
MIN_MARGIN = 0.15
"""A direct answer needs the top entry this much more confident than the next one."""
INTENT_BONUS = 0.1
"""Lowers the answer threshold when Rasa already classified the message as an FAQ question."""
ANSWER_WEIGHT = 1.0
"""How much the answer text counts next to the questions: it breaks ties between related entries."""
SUGGESTIONS = 3
K1, B = 1.2, 0.75

ANSWER, SUGGEST, NONE = "answer", "suggest", "none"


@dataclass(frozen=True)
class FaqHit:
    """One ranked entry."""

    entry_id: int
    key: str
    question: str
    score: float
    confidence: float


@dataclass
class FaqAnswer:
    """What the assistant should say: an answer, up to three suggestions, or nothing (kind)."""

    kind: str
    text: str = ""
    entry_ids: List[int] = field(default_factory=list)
    hits: List[FaqHit] = field(default_factory=list)

    @property
    def confidence(self) -> float:
        """Confidence of the best hit, 0 without hits."""
        return self.hits[0].confidence if self.hits else 0.0


@dataclass(frozen=True)
class _Entry:
    id: int
    key: str
    question: str
    answer: str
    updated: datetime.date


class FaqIndex:
    """A searchable snapshot of the effective entries."""

    def __init__(
        self,
        entries: Sequence[_Entry],
        questions: Sequence[Tuple[int, List[str]]],
        answers: Sequence[Tuple[int, List[str]]] = (),
    ) -> None:
        """Index ``questions`` and ``answers``: (entry id, terms) pairs; ``entries`` hold what answers show."""
        self.entries = {entry.id: entry for entry in entries}
        self.owners = [entry_id for entry_id, _ in questions]
        self.bm25 = Bm25([doc_terms for _, doc_terms in questions], K1, B)
        self.answer_owners = [entry_id for entry_id, _ in answers]
        self.answer_bm25 = Bm25([doc_terms for _, doc_terms in answers], K1, B)

    def search(self, text: str, limit: int = 10) -> List[FaqHit]:
        """Entries ranked by their best question's score plus a share of their answer's, confidence in [0, 1]."""
        query = terms(text)
        ideal = self.bm25.ideal(query)
        if not query or ideal <= 0:
            return []
        best: Dict[int, float] = {}
        for number, score in self.bm25.scores(query).items():
            owner = self.owners[number]
            best[owner] = max(best.get(owner, 0.0), score)
        if ANSWER_WEIGHT:
            for number, score in self.answer_bm25.scores(answer_terms(text)).items():
                owner = self.answer_owners[number]
                best[owner] = best.get(owner, 0.0) + ANSWER_WEIGHT * score
        ranked = sorted(best.items(), key=lambda pair: (-pair[1], pair[0]))[:limit]
        return [
            FaqHit(i, self.entries[i].key, self.entries[i].question, round(s, 4), round(min(1.0, s / ideal), 4))
            for i, s in ranked
        ]


_lock = threading.Lock()
_indexes: Dict[str, Tuple[tuple, FaqIndex]] = {}
_Stamp = Tuple[int, int, datetime.datetime]
# Per database: (entry id, version, updated_at) → the terms of its questions and of its answer.
_terms: Dict[str, Dict[_Stamp, Tuple[List[List[str]], List[str]]]] = {}


def _stamp(session: Session, today: datetime.date) -> tuple:
    count, latest, versions = session.query(
        func.count(FaqEntry.id), func.max(FaqEntry.updated_at), func.sum(FaqEntry.version)
    ).one()
    return count, latest, versions, today


def _build(session: Session, today: datetime.date, key: str) -> FaqIndex:
    rows = (
        session.query(
            FaqEntry.id,
            FaqEntry.key,
            FaqEntry.question,
            FaqEntry.similar_questions,
            FaqEntry.answer,
            FaqEntry.updated_at,
            FaqEntry.version,
        )
        .filter(FaqEntry.status == PUBLISHED)
        .filter(or_(FaqEntry.effective_from.is_(None), FaqEntry.effective_from <= today))
        .filter(or_(FaqEntry.expires_on.is_(None), FaqEntry.expires_on >= today))
        .all()
    )
    entries: List[_Entry] = []
    questions: List[Tuple[int, List[str]]] = []
    answers: List[Tuple[int, List[str]]] = []
    previous, cache = _terms.get(key, {}), {}
    for row in rows:
        stamp = (row.id, row.version, row.updated_at)
        cached = previous.get(stamp)
        if cached is None:
            cached = ([terms(q) for q in [row.question, *row.similar_questions]], answer_terms(row.answer))
        cache[stamp] = cached
        questions.extend((row.id, doc) for doc in cached[0])
        answers.append((row.id, cached[1]))
        entries.append(_Entry(row.id, row.key, row.question, row.answer, office_date(row.updated_at)))
    _terms[key] = cache  # only live entries' tokens: the cache never outgrows the FAQ
    return FaqIndex(entries, questions, answers)


def current_index(session: Session, today: Optional[datetime.date] = None) -> FaqIndex:
    """The index of the entries effective ``today``, rebuilt only when the FAQ changed."""
    day = today or office_date()
    key = str(session.get_bind().url)
    stamp = _stamp(session, day)
    cached = _indexes.get(key)
    if cached is not None and cached[0] == stamp:
        return cached[1]
    with _lock:
        index = _build(session, day, key)
        _indexes[key] = (stamp, index)
    return index


def search(session: Session, text: str, limit: int = 10, today: Optional[datetime.date] = None) -> List[FaqHit]:
    """Ranked hits for ``text``, for the console's "what would the assistant answer" preview."""
    return current_index(session, today).search(text, limit)


def source_line(entry_id: int, question: str, updated: datetime.date) -> str:
    """The source note every FAQ answer ends with."""
    return f"（来源：FAQ#{entry_id}《{question}》，更新于{updated.isoformat()}）"


def _answer(index: FaqIndex, hits: List[FaqHit]) -> FaqAnswer:
    entry = index.entries[hits[0].entry_id]
    text = f"{entry.answer}\n{source_line(entry.id, entry.question, entry.updated)}"
    return FaqAnswer(ANSWER, text, [entry.id], hits)


def decide(hits: List[FaqHit], intent_is_faq: bool = False) -> str:
    """Answer, suggest or nothing, from the confidences of the ranked hits."""
    if not hits or hits[0].confidence < SUGGEST_CONFIDENCE:
        return NONE
    threshold = ANSWER_CONFIDENCE - (INTENT_BONUS if intent_is_faq else 0.0)
    runner_up = hits[1].confidence if len(hits) > 1 else 0.0
    if hits[0].confidence >= threshold and hits[0].confidence - runner_up >= MIN_MARGIN:
        return ANSWER
    return SUGGEST


def answer_question(
    session: Session, text: str, *, intent_is_faq: bool = False, today: Optional[datetime.date] = None
) -> FaqAnswer:
    """What the assistant answers to ``text`` from the FAQ; the Rasa action calls this.

    Args:
        session: a database session.
        text: the citizen's message.
        intent_is_faq: True when the NLU classified the message as an FAQ question; a little
            less confidence is then enough for a direct answer.
        today: the date deciding which entries are effective; today by default.

    Returns:
        kind ``answer`` (text ends with the source entry and its update date), ``suggest`` (text
        "您是不是想问：" and up to three numbered questions; ``entry_ids`` in that order) or
        ``none`` (empty text: fall back, and queue the question as unanswered).
    """
    if not normalize(text):
        return FaqAnswer(NONE)
    index = current_index(session, today)
    hits = index.search(text, limit=SUGGESTIONS + 1)
    kind = decide(hits, intent_is_faq)
    if kind == ANSWER:
        return _answer(index, hits)
    if kind == SUGGEST:
        top = hits[:SUGGESTIONS]
        lines = [f"{n}. {hit.question}" for n, hit in enumerate(top, start=1)]
        return FaqAnswer(SUGGEST, "\n".join(["您是不是想问：", *lines]), [h.entry_id for h in top], hits)
    return FaqAnswer(NONE, hits=hits)


def answer_entry(session: Session, entry_id: int, today: Optional[datetime.date] = None) -> FaqAnswer:
    """The answer of one entry, e.g. the suggestion a citizen picked; ``none`` if no longer effective."""
    index = current_index(session, today)
    entry = index.entries.get(entry_id)
    if entry is None:
        return FaqAnswer(NONE)
    hit = FaqHit(entry.id, entry.key, entry.question, 0.0, 1.0)
    return _answer(index, [hit])

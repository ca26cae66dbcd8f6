"""The unanswered-question queue: what the assistant could not answer, redacted, clustered, counted.

A question is redacted before anything is stored (ID numbers, phones and credit codes through
:func:`govservice.identity.masking.redact_text`, the logged-in citizen's name as 某某). It joins the open
cluster whose character bigrams overlap most (Jaccard ≥ :data:`CLUSTER_SIMILARITY`), or opens a
new one. An editor turns a cluster into a new FAQ entry or into similar questions of an existing
entry with one call each; the cluster then leaves the open queue. Functions flush, never commit.
"""

from __future__ import annotations

import datetime
import re
from typing import FrozenSet, Iterable, List, Optional, Sequence

from sqlalchemy.orm import Session

from govservice.audit import record_audit
from govservice.catalog.text import char_bigrams, jaccard, normalize
from govservice.clock import stored
from govservice.faq.fields import EntryFields, FaqError
from govservice.faq.models import DISMISSED, OPEN, PUBLISHED, RESOLVED, FaqEntry, UnansweredQuestion
from govservice.faq.workflow import create_entry, get_entry, update_entry
from govservice.identity.masking import redact_text

CLUSTER_SIMILARITY = 0.5
"""Questions whose bigram sets overlap at least this much (Jaccard) are counted as one."""
MAX_VARIANTS = 20
MAX_CHARS = 500
NAME_PLACEHOLDER = "某某"
# Masked or raw digit runs differ between citizens; clustering compares them as one symbol.
_NUMBER_RUN = re.compile(r"[0-9*x]{4,}")


class QueueNotFound(LookupError):
    """No queued question with that id; ``str(error)`` is a Chinese message."""


def redact(text: str, names: Iterable[str] = ()) -> str:
    """Mask ID numbers, phones and credit codes, and replace each given name with 某某.

    Args:
        text: the citizen's message.
        names: names to hide, e.g. the logged-in citizen's; names shorter than two characters are
            ignored, because one character would blank out ordinary words.
    """
    redacted = redact_text(text or "")
    for name in sorted({n.strip() for n in names if n and len(n.strip()) >= 2}, key=len, reverse=True):
        redacted = redacted.replace(name, NAME_PLACEHOLDER)
    return redacted.strip()[:MAX_CHARS]


def cluster_key(text: str) -> str:
    """The normalized text clustering compares, with digit runs collapsed to ``#``."""
    return _NUMBER_RUN.sub("#", normalize(text))


def _grams(key: str) -> FrozenSet[str]:
    return frozenset(char_bigrams(key))


def _best_cluster(session: Session, key: str) -> Optional[UnansweredQuestion]:
    exact = session.query(UnansweredQuestion).filter_by(status=OPEN, normalized=key).first()
    if exact is not None:
        return exact
    grams = _grams(key)
    best_id, best = None, CLUSTER_SIMILARITY
    for cluster_id, other in session.query(UnansweredQuestion.id, UnansweredQuestion.normalized).filter_by(status=OPEN):
        similarity = jaccard(grams, _grams(other))
        if similarity >= best:
            best_id, best = cluster_id, similarity
    return session.get(UnansweredQuestion, best_id) if best_id is not None else None


def enqueue(
    session: Session,
    text: str,
    *,
    names: Sequence[str] = (),
    source: str = "fallback",
    now: Optional[datetime.datetime] = None,
) -> Optional[UnansweredQuestion]:
    """Queue a question the assistant could not answer (fallback or low confidence).

    Args:
        session: a database session.
        text: the citizen's raw message; only its redacted form is stored.
        names: names to redact, e.g. the logged-in citizen's name.
        source: ``fallback`` or ``low_confidence``.
        now: the time it was asked.

    Returns:
        The cluster it was counted in, or None for a message with no words (only punctuation).
    """
    redacted = redact(text, names)
    key = cluster_key(redacted)
    if len(key) < 2:
        return None
    moment = stored(now)
    cluster = _best_cluster(session, key)
    if cluster is None:
        cluster = UnansweredQuestion(
            text=redacted,
            normalized=key,
            variants=[],
            count=1,
            first_seen=moment,
            last_seen=moment,
            status=OPEN,
            source=source,
        )
        session.add(cluster)
    else:
        cluster.count += 1
        cluster.last_seen = max(cluster.last_seen, moment)
        known = {cluster_key(v) for v in [cluster.text, *cluster.variants]}
        if key not in known and len(cluster.variants) < MAX_VARIANTS:
            cluster.variants = [*cluster.variants, redacted]  # a new list, so the JSON change is saved
    session.flush()
    return cluster


def list_queue(session: Session, status: str = OPEN, limit: int = 200) -> List[UnansweredQuestion]:
    """Queued clusters with ``status``, the most asked first, then the most recent."""
    rows = session.query(UnansweredQuestion).filter_by(status=status)
    return rows.order_by(UnansweredQuestion.count.desc(), UnansweredQuestion.last_seen.desc()).limit(limit).all()


def get_queued(session: Session, question_id: int) -> UnansweredQuestion:
    """The queued cluster ``question_id``, which must still be open.

    Raises:
        QueueNotFound: no such cluster.
        FaqError: it was already resolved or dismissed.
    """
    cluster = session.get(UnansweredQuestion, question_id)
    if cluster is None:
        raise QueueNotFound(f"待处理问题 #{question_id} 不存在")
    if cluster.status != OPEN:
        raise FaqError(f"待处理问题 #{question_id} 已处理（{cluster.status_label}）")
    return cluster


def _close(
    session: Session,
    cluster: UnansweredQuestion,
    status: str,
    actor: str,
    entry: Optional[FaqEntry],
    now: Optional[datetime.datetime],
) -> None:
    if not (actor or "").strip():
        raise FaqError("缺少操作人")
    moment = stored(now)
    cluster.status, cluster.resolved_by, cluster.resolved_at = status, actor, moment
    cluster.resolved_entry_id = entry.id if entry is not None else None
    detail = (f"转为 FAQ#{entry.id}" if entry is not None else "忽略") + f"：{cluster.text[:40]}"
    record_audit(session, actor, f"unanswered_{status}", "unanswered", cluster.id, detail, moment)
    session.flush()


def resolve_as_new_entry(
    session: Session,
    question_id: int,
    actor: str,
    *,
    answer: str,
    category: str,
    question: Optional[str] = None,
    department_code: Optional[str] = None,
    item_keys: Sequence[str] = (),
    publish: bool = True,
    now: Optional[datetime.datetime] = None,
) -> FaqEntry:
    """Turn a queued cluster into a new entry (published by default) and close the cluster.

    The standard question is ``question`` or the cluster's representative; the other wordings
    seen become similar questions.
    """
    cluster = get_queued(session, question_id)
    standard = (question or cluster.text).strip()
    data = EntryFields(
        question=standard,
        answer=answer,
        category=category,
        similar_questions=[cluster.text, *cluster.variants],
        department_code=department_code,
        item_keys=list(item_keys),
    )
    entry = create_entry(session, actor, data, status=PUBLISHED if publish else "draft", now=now)
    _close(session, cluster, RESOLVED, actor, entry, now)
    return entry


def resolve_as_similar(
    session: Session,
    question_id: int,
    entry_id: int,
    actor: str,
    *,
    text: Optional[str] = None,
    now: Optional[datetime.datetime] = None,
) -> FaqEntry:
    """Add a queued cluster's wordings (or ``text``) to an entry's similar questions; close the cluster."""
    cluster = get_queued(session, question_id)
    entry = get_entry(session, entry_id)
    added = [text] if text else [cluster.text, *cluster.variants]
    update_entry(
        session, entry.id, actor, now=now, action="add_similar", similar_questions=[*entry.similar_questions, *added]
    )
    _close(session, cluster, RESOLVED, actor, entry, now)
    return entry


def dismiss(session: Session, question_id: int, actor: str, now: Optional[datetime.datetime] = None) -> None:
    """Take a cluster out of the queue without an answer (noise, abuse, out of scope)."""
    _close(session, get_queued(session, question_id), DISMISSED, actor, None, now)

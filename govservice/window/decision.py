"""The one decision of the 一窗: what kind of answer a message gets.

A message is first reduced to its question: a long, message-board style post is split into
sentences, pleasantries (greetings, thanks, "盼复") are dropped and the sentences with the
strongest government signal are kept. Then, in this order:

1. a policy question (a standard or policy *and* a change: "标准什么时候提高") about a known theme
   gets an honest policy reply — no guide answers it;
2. an identified item gets its guide;
3. a confident FAQ answer is given;
4. close candidate items are offered ("which item?");
5. nothing governmental (no theme, item or FAQ answer) and the NLU says out of scope: out of scope;
6. FAQ suggestions are offered when no theme is known;
7. a known theme gets the routing reply (theme, department, phone, hall, related items);
8. otherwise a fallback.

"Out of scope" therefore needs *no* government signal (no theme, item or FAQ match) on top of the
NLU's out_of_scope; the NLU alone never turns a government question away.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Callable, List, Optional, Protocol, Sequence, Tuple

from govservice.catalog import lexicon
from govservice.catalog.models import ServiceItem
from govservice.catalog.text import CONCEPTS, normalize
from govservice.faq.search import ANSWER, SUGGEST, FaqAnswer
from govservice.window.themes import Theme, Themes, themes

ITEM, FAQ, CHOOSE, POLICY, ROUTE, OUT_OF_SCOPE, FALLBACK, GREETING = (
    "item", "faq", "choose", "policy", "route", "out_of_scope", "fallback", "greeting",
)
MISSES = frozenset({CHOOSE, POLICY, ROUTE, FALLBACK})
"""Replies that did not answer the question: each goes to the unanswered queue for staff."""

LONG_CHARS = 40
"""Messages at least this long, or of several sentences, are searched for their question."""
MAX_FOCUS = 2
"""At most this many question sentences are kept from a long message."""
KEEP_RATIO = 0.6
"""A further sentence is kept when its signal is at least this share of the best one's."""
QUESTION_WEIGHT = 1.5
"""A sentence that asks something counts this much more than background with the same words."""

# Sentence ends, a colon, a comma before a new sub-question, and list numbers ("1、" "二、" "3）").
_SENTENCE_END = re.compile(
    r"[。！？!?；;\n\r…]+|[：:]\s*"
    r"|(?<!\d)[，,]\s*(?=(?:另外|还有|其次|再者|此外|同时|那么|所以|请问))"
    r"|\s*(?:\d+|[一二三四五六七八九十]+)[、.．）)](?!\d)\s*"
)
_CLAUSE = re.compile(r"[，,、\s]+")
# Words of the aspects a question asks about, mapped to the guide's aspect names.
_CONCEPT_ASPECT = {"材料": "materials", "费用": "fee", "时长": "time_limit", "地点": "location", "钟点": "location",
                   "流程": "process", "网办": "online"}


class Identified(Protocol):
    """What item identification returns (``Catalog.identify`` or ``Catalog.resolve``)."""

    @property
    def item(self) -> Optional[ServiceItem]:
        """The item meant, when one is clear."""

    @property
    def candidates(self) -> Sequence[ServiceItem]:
        """Close candidates, when several fit."""


@dataclass(frozen=True)
class Words:
    """The window's word lists (the lexicon's group ``window``)."""

    pleasantries: Tuple[str, ...]
    question_cues: Tuple[str, ...]
    policy_subjects: Tuple[str, ...]
    policy_changes: Tuple[str, ...]
    policy_strong_changes: Tuple[str, ...]
    policy_asks_when: Tuple[str, ...]
    policy_asks_why: Tuple[str, ...]
    policy_asks_can: Tuple[str, ...]


@lru_cache(maxsize=1)
def words() -> Words:
    """The word lists, normalized, longest first."""
    raw = lexicon.groups("window")

    def listed(key: str) -> Tuple[str, ...]:
        return tuple(sorted({normalize(str(w)) for w in raw.get(key) or ()} - {""}, key=len, reverse=True))

    return Words(*(listed(name) for name in Words.__dataclass_fields__))


@dataclass
class Decision:
    """The kind of answer for a message and what it needs."""

    kind: str
    focus: str
    theme: Optional[Theme] = None
    item: Optional[ServiceItem] = None
    candidates: List[ServiceItem] = field(default_factory=list)
    faq: Optional[FaqAnswer] = None
    aspect: str = "overview"

    @property
    def is_suggestion(self) -> bool:
        """True for FAQ suggestions ("您是不是想问") rather than an answer."""
        return self.kind == FAQ and self.faq is not None and self.faq.kind == SUGGEST

    @property
    def is_miss(self) -> bool:
        """True when staff should see the question (routing, policy, "which item?", suggestions, fallback)."""
        return self.kind in MISSES or self.is_suggestion


def sentences(text: str) -> List[str]:
    """The sentences (and numbered sub-questions) of a message, empty ones dropped.

    Leading and trailing pleasantry clauses go ("您好，在线办理居住证" → "在线办理居住证").
    """
    result = []
    for part in _SENTENCE_END.split(text or ""):
        clauses = [c for c in _CLAUSE.split(part or "") if c.strip()]
        while len(clauses) > 1 and is_pleasantry(clauses[0]):
            clauses.pop(0)
        while len(clauses) > 1 and is_pleasantry(clauses[-1]):
            clauses.pop()
        sentence = "，".join(c.strip() for c in clauses)
        if sentence:
            result.append(sentence)
    return result


def is_pleasantry(sentence: str) -> bool:
    """True when a sentence is only a greeting, thanks or closing formula (at most one word left)."""
    rest = normalize(sentence)
    for word in words().pleasantries:
        rest = rest.replace(word, "")
    return len(rest) <= 1


def asks(sentence: str) -> bool:
    """True when a sentence has a question mark or a way of asking."""
    normalized = normalize(sentence)
    return "?" in sentence or "？" in sentence or any(cue in normalized for cue in words().question_cues)


def is_policy(text: str) -> bool:
    """True for a policy question no guide answers.

    A rule and its change, when or why it changes, or a plea to change it ("补贴标准什么时候提高",
    "为什么取消了", "产假能不能延长"); the word lists and their pairings are the lexicon's group window.
    """
    normalized = normalize(text)
    vocabulary = words()

    def has(found: Tuple[str, ...]) -> bool:
        return any(word in normalized for word in found)

    changes = has(vocabulary.policy_changes)
    return (
        (changes and (has(vocabulary.policy_subjects) or has(vocabulary.policy_asks_when)
                      or has(vocabulary.policy_asks_why)))
        or (has(vocabulary.policy_asks_can) and has(vocabulary.policy_strong_changes))
    )


def aspect_of(text: str, default: str = "overview") -> str:
    """The aspect of the guide a question asks about (materials, fee...), from its ways of asking."""
    normalized = normalize(text)
    for concept, aspect in _CONCEPT_ASPECT.items():
        if any(cue in normalized for cue in CONCEPTS[concept]):
            return aspect
    return default


def is_long(text: str) -> bool:
    """True for a message-board style post (:data:`LONG_CHARS` or more, punctuation aside)."""
    return len(normalize(text)) >= LONG_CHARS


def focus(text: str, catalog_themes: Optional[Themes] = None) -> str:
    """The question of a message: long posts lose their pleasantries and background.

    Sentences are scored by the government words they contain (theme keywords, topic names),
    more when they ask something; the best one and up to :data:`MAX_FOCUS` - 1 others close to
    it are kept in their order. A short single-sentence message is its own question, minus a
    greeting in front ("您好，在线办理居住证" → "在线办理居住证").
    """
    known = catalog_themes or themes()
    parts = [s for s in sentences(text) if not is_pleasantry(s)]
    if not parts:
        return text.strip()
    if len(parts) == 1:
        return parts[0]

    def signal(sentence: str) -> float:
        weight = sum(known.scores(sentence).values())
        return weight * QUESTION_WEIGHT if asks(sentence) else weight

    scored = [(signal(s), n, s) for n, s in enumerate(parts)]
    best = max(score for score, _, _ in scored)
    if best <= 0:
        asked = [s for s in parts if asks(s)]
        return "，".join(asked[-MAX_FOCUS:] or parts[-MAX_FOCUS:])
    kept = sorted((s for s in scored if s[0] >= best * KEEP_RATIO), key=lambda s: (-s[0], s[1]))[:MAX_FOCUS]
    chosen = {n for _, n, _ in kept}
    # A bare follow-up right after a kept sentence ("需要准备哪些材料？") asks about that sentence,
    # and the background kept beside it ("单位也给我交了社保") is not the question.
    followed = [n for score, n, sentence in scored
                if n - 1 in chosen and score == 0 and asks(sentence) and aspect_of(sentence, "")]
    if followed:
        chosen = {followed[-1] - 1, followed[-1]}
    return "，".join(parts[n] for n in sorted(chosen))


def decide(
    text: str,
    *,
    identify: Callable[[str], Identified],
    faq: Callable[[str], FaqAnswer],
    nlu_out_of_scope: bool,
    catalog_themes: Optional[Themes] = None,
    default_aspect: str = "overview",
) -> Decision:
    """Decide what kind of answer ``text`` gets (see the module docstring for the order).

    Args:
        text: the citizen's message as typed.
        identify: item identification over the catalog.
        faq: the FAQ answer for a question (the same function the console preview shows).
        nlu_out_of_scope: True when the NLU classified the message as out of scope (or greeting).
        catalog_themes: the themes; the repository's by default.
        default_aspect: the aspect to answer when the question names none (the NLU's, if any).

    Returns:
        The decision.
    """
    known = catalog_themes or themes()
    if not normalize(text) or all(is_pleasantry(s) for s in sentences(text)):
        return Decision(GREETING, text.strip())
    question = focus(text, known)
    identified = identify(question)
    item = identified.item
    match = known.theme_of(question, *anchor(item), context=text)
    theme = match.theme if match else None
    aspect = aspect_of(question, default_aspect)
    if theme is not None and is_policy(question):
        return Decision(POLICY, question, theme=theme, item=item)
    if item is not None:
        return Decision(ITEM, question, theme=theme, item=item, aspect=aspect)
    answer = faq(question)
    if answer.kind == ANSWER:
        return Decision(FAQ, question, theme=theme, faq=answer)
    candidates = list(identified.candidates or [])
    if len(candidates) > 1:
        return Decision(CHOOSE, question, theme=theme, candidates=candidates, aspect=aspect)
    if theme is None and nlu_out_of_scope:
        # FAQ suggestions are a weak echo of a few shared words ("要带什么"), not a government signal.
        return Decision(OUT_OF_SCOPE, question, faq=answer)
    if answer.kind == SUGGEST and theme is None:
        return Decision(FAQ, question, faq=answer)
    if theme is not None:
        return Decision(ROUTE, question, theme=theme, aspect=aspect)
    return Decision(FALLBACK, question, faq=answer)


def anchor(item: Optional[ServiceItem]) -> Tuple[Optional[str], Optional[str]]:
    """An item's topic and department, which settle the theme of a message about it."""
    if item is None:
        return None, None
    return getattr(item, "topic", None), getattr(item, "department_code", None)


def related_items(theme: Theme, items: Sequence[ServiceItem], limit: int = 4) -> List[ServiceItem]:
    """Items of a theme the assistant can explain: its topics' items first, then its department's."""
    by_topic = [i for i in items if i.topic in theme.topics]
    by_department = [i for i in items if i.department_code == theme.department and i not in by_topic]
    return (by_topic + by_department)[:limit]


"""Look up service items and work out which one a citizen means."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Dict, Iterable, List, Optional, Sequence

from sqlalchemy.orm import selectinload

from govservice.catalog import lexicon
from govservice.catalog.models import ServiceItem, Topic
from govservice.catalog.retrieval import ItemIndex, Match, simplified
from govservice.db import session_scope

# Measured in bench/retrieval_bench.py on tests/nlu held-out item mentions and non-item messages
# (never on tests/eval/): below the floor a match is chance; within the margin of the top, the
# citizen is asked to choose.
SCORE_FLOOR = 0.45
"""A match scoring below this is not offered at all."""
CLEAR_MARGIN = 0.06
"""The top match is the item meant when the runner-up scores at least this much less."""
TIE = 0.05
"""An imported match this close to a curated top is a tie, and the curated item wins: the search
already takes 0.03 off imported scores, and the context share moves scores by a few hundredths."""


@dataclass
class Resolution:
    """What a mention resolved to: one item, several candidates, or nothing."""

    item: ServiceItem | None = None
    candidates: List[ServiceItem] = field(default_factory=list)
    topic: str | None = None

    @property
    def ambiguous(self) -> bool:
        """True when the citizen must choose between candidates."""
        return self.item is None and len(self.candidates) > 1


@dataclass
class Identification:
    """Items found by retrieval: one clear ``item``, close ``candidates`` to offer, or neither."""

    item: ServiceItem | None = None
    candidates: List[ServiceItem] = field(default_factory=list)
    matches: List[Match] = field(default_factory=list)

    @property
    def named(self) -> bool:
        """The one item found is named in the message (:attr:`Match.named`), not just suggested by it."""
        return self.item is not None and bool(self.matches) and self.matches[0].named


class Catalog:
    """An in-memory snapshot of the catalog; it is small and read on every turn."""

    def __init__(self, items: Sequence[ServiceItem], topics: Sequence[Topic]) -> None:
        """Build lookup tables from detached, fully loaded items and topics."""
        self.items: Dict[str, ServiceItem] = {item.key: item for item in items}
        self.topic_items: Dict[str, List[str]] = {t.name: list(t.item_keys) for t in topics}
        self._names: Dict[str, str] = {}
        # Curated items are named last, so an imported record of the same name never shadows one.
        for item in sorted(items, key=lambda i: getattr(i, "layer", "curated") == "curated"):
            for name in [item.key, item.name, *item.aliases]:
                self._names[name.lower()] = item.key
        self._topic_by_word: Dict[str, str] = {}
        for topic in topics:
            for word in [topic.name, *topic.synonyms]:
                self._topic_by_word[word.lower()] = topic.name
        self._topics = list(topics)
        self._index: ItemIndex | None = None
        self._index_lock = threading.Lock()

    @classmethod
    def load(cls, url: str | None = None) -> Catalog:
        """Read every item with its materials and department, and the topics."""
        with session_scope(url) as session:
            items = (
                session.query(ServiceItem)
                .options(selectinload(ServiceItem.materials), selectinload(ServiceItem.department))
                .all()
            )
            topics = session.query(Topic).all()
        return cls(items, topics)

    def get(self, key: str | None) -> ServiceItem | None:
        """Return the item with ``key``, or None."""
        return self.items.get(key) if key else None

    def topic_of(self, mention: str) -> str | None:
        """Return the topic a mention (topic name or synonym) belongs to."""
        return self._topic_by_word.get(mention.lower())

    def resolve(
        self,
        mentions: Iterable[str],
        text: str = "",
        fallback_topic: str | None = None,
        prefer: str | None = None,
    ) -> Resolution:
        """Resolve the citizen's mentions to an item.

        Args:
            mentions: entity values (item keys, names, aliases, topic names or synonyms).
            text: the citizen's whole message; its words pick a variant within a topic.
            fallback_topic: the topic under discussion, for messages such as "补领的".
            prefer: the key of the item under discussion; when the mention fits several items
                and this is one of them, it is the one meant ("身份证要多少钱" during 身份证换领).

        Returns:
            The resolution; ``ambiguous`` when a clarifying question is needed.
        """
        mentions = list(mentions)
        for mention in mentions:
            key = self._names.get(mention.lower())
            if key:
                return Resolution(item=self.items[key], topic=self.items[key].topic)
        # The first topic named wins: "办身份证要带户口本吗" is about the ID card.
        topic = next(filter(None, map(self.topic_of, mentions)), None)
        if topic is None and fallback_topic in self.topic_items:
            topic = fallback_topic
        candidates = list(self.topic_items.get(topic, [])) if topic else []
        if not candidates:
            return Resolution()
        if len(candidates) == 1:
            return Resolution(item=self.items[candidates[0]], topic=topic)
        best = self._pick_variant(candidates, text) or (prefer if prefer in candidates else None)
        if best:
            return Resolution(item=self.items[best], topic=topic)
        return Resolution(candidates=[self.items[k] for k in candidates], topic=topic)

    @property
    def index(self) -> ItemIndex:
        """The retrieval index over every item, built on first use (thousands of items take a moment)."""
        if self._index is None:
            with self._index_lock:
                if self._index is None:
                    self._index = ItemIndex.build(list(self.items.values()), self._topics)
        return self._index

    def identify(self, text: str, limit: int = 3) -> Identification:
        """Find the item a free-text message is about, when no NLU entity named one.

        Args:
            text: the citizen's message, in any form (traditional characters, typos, long posts).
            limit: at most this many candidates when no item is clearly ahead.

        Returns:
            ``item`` when the top match is above the floor and clear of the runner-up (a curated
            item wins a tie with an imported one); otherwise up to ``limit`` ``candidates``
            within the margin of the top; neither when nothing reaches the floor.
        """
        matches = [m for m in self.index.search(text, limit=max(limit, 5) + 1) if m.score >= SCORE_FLOOR]
        if not matches:
            return Identification(matches=matches)
        top = matches[0]
        curated = self._is_curated(top.key)
        rivals = [
            m for m in matches[1:] if not (curated and not self._is_curated(m.key) and top.score - m.score < TIE)
        ]
        if not rivals or top.score - rivals[0].score >= CLEAR_MARGIN:
            return Identification(item=self.items[top.key], matches=matches)
        close = [m for m in matches if top.score - m.score < CLEAR_MARGIN][:limit]
        return Identification(candidates=[self.items[m.key] for m in close], matches=matches)

    def _is_curated(self, key: str) -> bool:
        return getattr(self.items[key], "layer", "curated") != "imported"

    def renewal_item(self, certificate_type: str) -> Optional[ServiceItem]:
        """The item that renews a certificate type (期满换证/换领), if the catalog has one."""
        producers = [i for i in self.items.values() if i.outputs_certificate == certificate_type]
        renewals = [i for i in producers if any(w in i.variant_keywords for w in lexicon.words("renewal"))]
        candidates = renewals or producers
        return candidates[0] if candidates else None

    def _pick_variant(self, keys: List[str], text: str) -> str | None:
        # Keywords are written in simplified characters: "身份證過期了" must find 过期.
        text = simplified(text)
        scores = {
            key: sum(len(word) for word in self.items[key].variant_keywords if word and word in text)
            for key in keys
        }
        top = max(scores.values(), default=0)
        winners = [key for key, score in scores.items() if score == top]
        return winners[0] if top > 0 and len(winners) == 1 else None

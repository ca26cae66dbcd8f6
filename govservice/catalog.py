"""Look up service items and work out which one a citizen means."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, Iterable, List, Optional, Sequence

from sqlalchemy.orm import selectinload

from govservice import lexicon
from govservice.db import session_scope
from govservice.models import ServiceItem, Topic


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


class Catalog:
    """An in-memory snapshot of the catalog; it is small and read on every turn."""

    def __init__(self, items: Sequence[ServiceItem], topics: Sequence[Topic]) -> None:
        """Build lookup tables from detached, fully loaded items and topics."""
        self.items: Dict[str, ServiceItem] = {item.key: item for item in items}
        self.topic_items: Dict[str, List[str]] = {t.name: list(t.item_keys) for t in topics}
        self._names: Dict[str, str] = {}
        for item in items:
            for name in [item.key, item.name, *item.aliases]:
                self._names[name.lower()] = item.key
        self._topic_by_word: Dict[str, str] = {}
        for topic in topics:
            for word in [topic.name, *topic.synonyms]:
                self._topic_by_word[word.lower()] = topic.name

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

    def renewal_item(self, certificate_type: str) -> Optional[ServiceItem]:
        """The item that renews a certificate type (期满换证/换领), if the catalog has one."""
        producers = [i for i in self.items.values() if i.outputs_certificate == certificate_type]
        renewals = [i for i in producers if any(w in i.variant_keywords for w in lexicon.words("renewal"))]
        candidates = renewals or producers
        return candidates[0] if candidates else None

    def _pick_variant(self, keys: List[str], text: str) -> str | None:
        scores = {
            key: sum(len(word) for word in self.items[key].variant_keywords if word and word in text)
            for key in keys
        }
        top = max(scores.values(), default=0)
        winners = [key for key, score in scores.items() if score == top]
        return winners[0] if top > 0 and len(winners) == 1 else None

"""Which service items a citizen's message is about: retrieval over the whole catalog.

Two stages, so identification stays fast at thousands of items:

1. **Recall** – Okapi BM25 (the ``bm25s`` library: scores precomputed into a sparse matrix, so a
   query costs only the postings of its terms) over one document per item: names, aliases, the
   topic and its synonyms, variant words, theme and materials, as jieba words and character
   bigrams, and the names also as pairs of pinyin syllables. The best :data:`RECALL` items go on.
2. **Scoring** – each recalled item scores as how well its best name appears in the message:
   whole, by its sound (``pypinyin``: a pinyin keyboard's typo sounds right), fuzzily
   (``rapidfuzz``) or in part; plus its variant words found and a share of its relative BM25
   score. Scores lie in 0..1 and read the same for short and long messages.

Text is compared after :func:`normalize`: OpenCC traditional → simplified, NFKC (full-width →
half-width), lower case, punctuation out.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from typing import Dict, List, Sequence, Tuple

import bm25s
import numpy as np
import opencc
from pypinyin import lazy_pinyin
from rapidfuzz import fuzz

from govservice.catalog.models import ServiceItem, Topic

RECALL = 40
"""How many BM25-ranked items are scored in detail. On the held-out mentions at 2,500 items 10 lost
top-1 matches, 20 and 40 lost none (0.7 and 1.0 ms CPU per message); 40 leaves room for topics
with many items and imported near-duplicates."""
NAME_WEIGHT, VARIANT_WEIGHT, CONTEXT_WEIGHT = 0.8, 0.12, 0.08
"""Shares of the score: the best name's match, the variant words found, the relative BM25 score."""
TOPIC_WEIGHT = 0.8
"""A topic name or synonym says less than the item's own name: "身份证" fits three items."""
THEME_WEIGHT = 0.4
"""A theme ("户籍", "教育科研") says even less: alone it never reaches the floor in govservice/catalog/lookup.py."""
FUZZY_MIN = 0.7
"""Below this rapidfuzz similarity a name counts as absent: short Chinese names share characters by chance."""
FUZZY_MIN_LENGTH = 5
"""Shorter names are never matched fuzzily: one wrong character there is often the one that matters
(驾照丢了 is not 护照丢了); a typo that sounds right is still heard (:func:`sounds`)."""
COVERAGE_MIN = 0.6
"""Below this share of a name's character pairs (idf-weighted) found in the message, the name counts as absent."""
PARTIAL = 0.9
"""A name found only fuzzily or in part counts at most this much, so a name found whole beats it."""
SHADOWED = 0.8
"""A name found only inside a longer name of another item found too counts this much: in "随军家属户口迁入",
户口迁入 (another item's alias) is part of the longer item name, which is the one meant."""
IMPORTED_HANDICAP = 0.03
"""Taken off an imported item's score, so a curated item wins ties (the context share is noise at this level)."""
VARIANT_FULL = 4
"""Characters of variant words found that count as a full variant match ("丢了", "补办")."""

_NOT_WORD = re.compile(r"[^0-9a-z\u4e00-\u9fff]+")
_QUALIFIER = re.compile(r"[(（].*$")  # "专职律师执业许可(国资律师事务所…)": the name without its sub-case
_T2S = opencc.OpenCC("t2s")


def simplified(text: str) -> str:
    """Return ``text`` in simplified characters (OpenCC), half-width (NFKC) and lower case."""
    # OpenCC encodes to UTF-8: characters that cannot be encoded (lone surrogates) are dropped first.
    text = unicodedata.normalize("NFKC", (text or "").encode("utf-8", "ignore").decode("utf-8")).lower()
    # Some characters simplify in two steps (薴 → 苧 → 苎; found by the property test): convert to
    # a fixed point, so normalising twice changes nothing. Simplified text stops after one pass.
    for _ in range(3):
        converted = _T2S.convert(text)
        if converted == text:
            break
        text = converted
    return text


def normalize(text: str) -> str:
    """Return ``text`` simplified, half-width, lower case and without punctuation or spaces.

    >>> normalize("身份證　丟了，怎麼辦？ABC")
    '身份证丢了怎么办abc'
    """
    return _NOT_WORD.sub("", simplified(text))


def char_bigrams(normalized: str) -> List[str]:
    """Overlapping character pairs of normalized text; the text itself when shorter than two."""
    if len(normalized) < 2:
        return [normalized] if normalized else []
    return [normalized[i : i + 2] for i in range(len(normalized) - 1)]


@lru_cache(maxsize=65536)
def _sound(char: str) -> str:
    return lazy_pinyin(char)[0]


def sounds(normalized: str) -> str:
    """Toneless pinyin of normalized text, each syllable after a space: " ju zhu zheng".

    Most typos typed with a pinyin keyboard sound right (居注证 for 居住证, 护招 for 护照).
    """
    return "".join(" " + _sound(char) for char in normalized)


def sound_bigrams(normalized: str) -> List[str]:
    """Marked pairs of consecutive syllables, so a misspelt name is still recalled by its sound."""
    heard = [_sound(char) for char in normalized]
    return [f"^{first}_{second}" for first, second in zip(heard, heard[1:], strict=False)]


def tokens(normalized: str) -> List[str]:
    """Index terms of normalized text: jieba search-mode words and marked character bigrams.

    Words carry meaning where the dictionary knows them; bigrams survive typos and words the
    dictionary lacks. The marker keeps a two-character word and the same bigram apart.
    """
    from govservice.catalog.text import tokenizer  # the catalog's jieba dictionary, loaded once

    words = [w for w in tokenizer().lcut_for_search(normalized) if w.strip()]
    return words + ["@" + gram for gram in char_bigrams(normalized)]


class Bm25:
    """Okapi BM25 (Lucene's variant) over pre-tokenized documents, on the ``bm25s`` library.

    Shared by item identification and FAQ retrieval. :meth:`ideal` gives the score a document
    identical to the query would get, so a score can be read as a confidence in 0..1.
    """

    def __init__(self, documents: Sequence[Sequence[str]], k1: float = 1.2, b: float = 0.75) -> None:
        """Index ``documents`` (lists of terms)."""
        self.k1, self.b, self.size = k1, b, len(documents)
        lengths = [len(doc) for doc in documents]
        self.avgdl = (sum(lengths) / len(lengths)) if lengths else 1.0
        frequencies = Counter(term for doc in documents for term in set(doc))
        # Lucene's idf (as bm25s computes it): always positive, so a common term still counts a little.
        self.idf = {t: math.log(1 + (self.size - n + 0.5) / (n + 0.5)) for t, n in frequencies.items()}
        self.max_idf = math.log(self.size + 1) if self.size else 1.0
        self.engine = bm25s.BM25(k1=k1, b=b, method="lucene")
        if self.size:
            self.engine.index([list(doc) for doc in documents], show_progress=False)

    def all_scores(self, query: Sequence[str]) -> np.ndarray:
        """The score of every document, in document order."""
        if not self.size:
            return np.zeros(0)
        known = [term for term in dict.fromkeys(query) if term in self.idf]
        return self.engine.get_scores(known) if known else np.zeros(self.size)

    def scores(self, query: Sequence[str]) -> Dict[int, float]:
        """Score of every document sharing a term with ``query``."""
        result = self.all_scores(query)
        return {int(n): float(result[n]) for n in np.flatnonzero(result > 0)}

    def ideal(self, query: Sequence[str]) -> float:
        """The score of a document identical to ``query``; unseen terms weigh as the rarest term."""
        length = len(query)
        norm = self.k1 * (1 - self.b + self.b * length / self.avgdl)
        return sum(self.idf.get(t, self.max_idf) * c / (c + norm) for t, c in Counter(query).items())


@dataclass(frozen=True)
class Match:
    """An item that fits the message: its key, a score in 0..1, and whether the message names it.

    ``named``: one of the item's own or topic names appears in the message whole or by its sound
    ("结昏登记" for 结婚登记), not only in part or through its materials.
    """

    key: str
    score: float
    named: bool = False


@dataclass(frozen=True)
class _Entry:
    key: str
    curated: bool
    names: Tuple[Tuple[str, float], ...]  # normalized name → weight of that kind of name
    variant_words: Tuple[str, ...]


def _is_curated(item: ServiceItem) -> bool:
    return getattr(item, "layer", "curated") != "imported"


def _name_match(name: str, text: str) -> float:
    """How well ``name`` appears in ``text``, 0..1: whole, or fuzzily (a typo, a word left out)."""
    if name in text:
        return 1.0
    if len(name) < FUZZY_MIN_LENGTH:
        return 0.0
    # A name longer than the text is compared whole, so "身份证" does not fully match every
    # longer name containing it; a shorter one is looked for anywhere in the text.
    scorer = fuzz.ratio if len(name) > len(text) else fuzz.partial_ratio
    similarity = scorer(name, text) / 100
    return similarity if similarity >= FUZZY_MIN else 0.0


_Query = Tuple[str, frozenset, str]  # normalized text, its character pairs, its sound


class ItemIndex:
    """A searchable snapshot of the catalog's items; build once, search on every turn."""

    def __init__(self, entries: Sequence[_Entry], documents: Sequence[List[str]]) -> None:
        """Index ``documents`` (terms of each entry, same order); use :meth:`build`."""
        self.entries = list(entries)
        self.bm25 = Bm25(documents)
        # Each name's character pairs, weighted by their idf among the items' names (not materials,
        # where 身份证 is everywhere): in 律师执业许可, 律师执业 weighs more than 许可.
        frequency = Counter(g for e in self.entries for g in {g for n, _ in e.names for g in char_bigrams(n)})
        self.grams: Dict[str, Tuple[Tuple[str, float], ...]] = {}
        self.sounds: Dict[str, str] = {}
        for entry in self.entries:
            for name, _ in entry.names:
                self.sounds[name] = sounds(name) + " " if len(name) >= 2 else "\0"
                pairs = dict.fromkeys(char_bigrams(name))
                self.grams[name] = tuple((g, math.log(1 + len(self.entries) / frequency[g])) for g in pairs)

    @classmethod
    def build(cls, items: Sequence[ServiceItem], topics: Sequence[Topic]) -> ItemIndex:
        """Index ``items``, with the names of the topics they belong to."""
        topic_words: Dict[str, List[str]] = {}
        for topic in topics:
            words = [topic.name, *topic.synonyms]
            for key in topic.item_keys:
                topic_words.setdefault(key, []).extend(words)
        known_topics = {topic.name for topic in topics}
        seen: Dict[str, List[str]] = {}  # many items share materials (申请表, 身份证): tokenize each text once

        def cached(text: str) -> List[str]:
            if text not in seen:
                seen[text] = tokens(text)
            return seen[text]

        entries, documents = [], []
        for item in items:
            if getattr(item, "duplicate_of", None):
                continue  # an imported copy of a curated item: the curated one answers
            own = [item.name, *item.aliases]
            own += [_QUALIFIER.sub("", name) for name in own]
            # An imported item's "topic" is its source's theme category, not one of our topics.
            topical = [item.topic, *topic_words.get(item.key, [])] if item.topic in known_topics else []
            theme = [getattr(item, "theme", None) or "", *(getattr(item, "themes", None) or [])]
            theme += [] if topical else [item.topic]
            names: Dict[str, float] = {}
            for group, weight in ((theme, THEME_WEIGHT), (topical, TOPIC_WEIGHT), (own, 1.0)):
                for name in map(normalize, group):
                    if name:
                        names[name] = max(names.get(name, 0.0), weight)
            variant = tuple(filter(None, map(normalize, item.variant_keywords or [])))
            materials = [normalize(m.name) for m in item.materials]
            entries.append(_Entry(item.key, _is_curated(item), tuple(names.items()), variant))
            # Names twice: they say more about the item than its materials do.
            named = [term for text in names for term in [*cached(text), *sound_bigrams(text)]]
            documents.append(named + named + [term for text in [*variant, *materials] for term in cached(text)])
        return cls(entries, documents)

    def search(self, text: str, limit: int = 5) -> List[Match]:
        """The items that best fit ``text``, best first; curated before imported on equal scores."""
        normalized = normalize(text)
        if not normalized or not self.entries:
            return []
        relevance = self.bm25.all_scores(tokens(normalized) + sound_bigrams(normalized))
        top = float(relevance.max()) if len(relevance) else 0.0
        if top <= 0:
            return []
        recall = min(RECALL, len(self.entries))
        recalled = np.argpartition(-relevance, recall - 1)[:recall]
        grams = frozenset(char_bigrams(normalized))
        heard = sounds(normalized) + " "
        numbers = [n for n in recalled if relevance[n] > 0]
        found = {n: {name for name, _ in self.entries[n].names if name in normalized} for n in numbers}
        everywhere = set().union(*found.values())
        scored = []
        for number in numbers:
            entry, others = self.entries[number], everywhere - found[number]
            shadowed = frozenset(n for n in found[number] if any(n in longer and n != longer for longer in others))
            query = (normalized, grams, heard)
            score = self._score(entry, query, float(relevance[number]) / top, shadowed)
            scored.append((max(0.0, score - (0 if entry.curated else IMPORTED_HANDICAP)), entry, query, shadowed))
        scored.sort(key=lambda row: (-row[0], not row[1].curated, row[1].key))
        return [Match(entry.key, round(score, 4), self._named(entry, query, shadowed))
                for score, entry, query, shadowed in scored[:limit] if score > 0]

    def _named(self, entry: _Entry, query: _Query, shadowed: frozenset) -> bool:
        """Whether an own or topic name of ``entry`` is in the message whole or by its sound."""
        return any(weight >= TOPIC_WEIGHT and n not in shadowed and self._match(n, query) >= PARTIAL
                   for n, weight in entry.names)

    def _coverage(self, name: str, grams: frozenset) -> float:
        """The idf-weighted share of ``name``'s character pairs found in the message, 0 below the minimum."""
        weights = self.grams.get(name, ())
        total = sum(idf for _, idf in weights)
        share = sum(idf for gram, idf in weights if gram in grams) / total if total else 0.0
        return share if share >= COVERAGE_MIN else 0.0

    def _match(self, name: str, query: _Query) -> float:
        """1 for a name found whole; found by its sound, fuzzily or in part it counts less (:data:`PARTIAL`)."""
        text, grams, heard = query
        if name in text:
            return 1.0
        if self.sounds[name] in heard:
            return PARTIAL
        coverage = self._coverage(name, grams)
        # A fuzzy match needs a distinctive pair of the name too: "怎么报" is 0.75 like "年报怎么报"
        # by edit distance, but shares only its question words.
        return PARTIAL * max(_name_match(name, text) if coverage else 0.0, coverage)

    def _score(self, entry: _Entry, query: _Query, context: float, shadowed: frozenset) -> float:
        text = query[0]
        name = max(
            (weight * (SHADOWED if n in shadowed else self._match(n, query)) for n, weight in entry.names),
            default=0.0,
        )
        found = sum(len(word) for word in entry.variant_words if word in text)
        variant = min(1.0, found / VARIANT_FULL)
        return NAME_WEIGHT * name + VARIANT_WEIGHT * variant + CONTEXT_WEIGHT * context

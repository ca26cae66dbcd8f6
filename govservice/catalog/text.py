"""Text normalization and tokens for FAQ retrieval and for clustering unanswered questions.

Citizens type full-width characters, traditional characters and punctuation at random; both the
search index and the question clusters compare the normalized text, so they agree on what counts
as "the same words".
"""

from __future__ import annotations

import re
import threading
from functools import lru_cache
from typing import Dict, FrozenSet, List, Mapping, Tuple

import jieba

from govservice.catalog import lexicon
from govservice.catalog.knowledge import load_knowledge_base
from govservice.catalog.retrieval import simplified
from govservice.settings import ROOT

USER_DICT = ROOT / "build" / "jieba_dict" / "userdict.txt"
"""The catalog's jieba dictionary, written by ``python -m govservice.catalog.nlu_export`` (optional here)."""

_NOT_WORD = re.compile(r"[^0-9a-z\u4e00-\u9fff*#]+")
# Fillers dropped from search terms, and the ways of asking the same thing (费用: 多少钱, 收费…),
# each adding one shared concept term: both are word lists of the lexicon.
STOPWORDS: FrozenSet[str] = frozenset(lexicon.words("faq_stopwords"))
CONCEPTS: Mapping[str, Tuple[str, ...]] = lexicon.groups("faq_concepts")

_lock = threading.Lock()


def normalize(text: str) -> str:
    """Return the text in half-width, lower case, simplified characters (OpenCC) and without punctuation.

    Masked digits (``*``) are kept, so redacted numbers still read as a number in clusters.

    >>> normalize("身份證　丢了，怎麼辦？")
    '身份证丢了怎么办'
    """
    return _NOT_WORD.sub("", simplified(text))


@lru_cache(maxsize=1)
def tokenizer() -> jieba.Tokenizer:
    """A private jieba tokenizer with the catalog's user dictionary when it has been generated.

    A private instance, so loading the dictionary never changes the global one Rasa uses.
    """
    instance = jieba.Tokenizer()
    with _lock:
        instance.initialize()
        if USER_DICT.exists():
            instance.load_userdict(str(USER_DICT))
    return instance


def words(text: str) -> List[str]:
    """Search-mode jieba words of the normalized text, fillers dropped.

    Search mode also yields the short words inside long dictionary words ("身份证补办" → "身份证",
    "补办"), so a question matches whichever way a citizen or an editor compounded the words.
    """
    normalized = normalize(text)
    return [w for w in tokenizer().lcut_for_search(normalized) if w.strip() and w not in STOPWORDS]


def char_bigrams(text: str) -> List[str]:
    """Overlapping character pairs of the normalized text (one character for a one-character text).

    Bigrams survive typos, odd segmentation and missing dictionary words.
    """
    normalized = normalize(text)
    if len(normalized) < 2:
        return [normalized] if normalized else []
    return [normalized[i : i + 2] for i in range(len(normalized) - 1)]


@lru_cache(maxsize=1)
def topic_cues() -> Dict[str, str]:
    """Every name of a catalog topic or item (topic synonyms, item names and aliases) → its topic."""
    kb = load_knowledge_base()
    cues = {normalize(word): topic["topic"] for topic in kb.topics for word in [topic["topic"], *topic["synonyms"]]}
    for item in kb.items:
        for word in [item["name"], *item.get("aliases", [])]:
            cues.setdefault(normalize(word), item["topic"])
    return {cue: topic for cue, topic in cues.items() if len(cue) >= 2}


def concepts(text: str) -> List[str]:
    """Concept terms (``#费用``, ``#t:居民身份证``, ...) for the ways of asking and the topics named."""
    normalized = normalize(text)
    found = {f"#{name}" for name, cues in CONCEPTS.items() if any(cue in normalized for cue in cues)}
    found.update(f"#t:{topic}" for cue, topic in topic_cues().items() if cue in normalized)
    return sorted(found)


def answer_terms(text: str) -> List[str]:
    """Terms of an answer text: words and marked bigrams; concepts would match every answer."""
    return words(text) + ["@" + gram for gram in char_bigrams(text)]


def terms(text: str) -> List[str]:
    """Index terms: jieba words, marked character bigrams and concept terms, which never mix."""
    return words(text) + ["@" + gram for gram in char_bigrams(text)] + concepts(text)


def jaccard(first: FrozenSet[str], second: FrozenSet[str]) -> float:
    """Jaccard similarity of two sets; 0 when both are empty."""
    union = first | second
    return len(first & second) / len(union) if union else 0.0

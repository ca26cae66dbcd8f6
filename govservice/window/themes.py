"""Government themes (业务领域): which field a message is about, even when no item matches.

``knowledge_base/themes.yml`` lists each theme with its department, the catalog topics that belong
to it and its other keywords; the topics' synonyms (``topics.yml``) count as the theme's words
too, so no word is written twice. A message's theme is the one whose words cover most of it;
the item identified in it, when there is one, settles the theme.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple

import yaml
from rapidfuzz.distance import Hamming

from govservice import settings
from govservice.catalog.text import normalize

ITEM_WEIGHT = 4.0
"""Score the identified item's theme gets, as much as a four-character keyword."""
CONTEXT_WEIGHT = 0.5
"""How much the rest of a long post counts next to its question sentences (chosen, not fitted)."""
TYPO_MIN_CUE = 3
"""Only words this long or longer are matched with one mistyped character."""
TYPO_MAX_CHARS = 80
"""Texts longer than this (normalized) are not searched for mistyped words."""


@dataclass(frozen=True)
class Theme:
    """One government field from ``themes.yml``."""

    name: str
    department: str
    also: Tuple[str, ...] = ()
    topics: Tuple[str, ...] = ()
    keywords: Tuple[str, ...] = ()
    policy: str = ""


@dataclass(frozen=True)
class ThemeMatch:
    """The theme of a message, how strongly it was signalled and by which words."""

    theme: Theme
    score: float
    words: Tuple[str, ...] = ()


class Themes:
    """Every theme with an index from normalized words to themes."""

    def __init__(self, themes: Sequence[Theme], topic_synonyms: Dict[str, Sequence[str]]) -> None:
        """Index the themes' keywords, topic names and topic synonyms.

        Args:
            themes: the themes, in file order (the first one wins a tie).
            topic_synonyms: each catalog topic's synonyms (``topics.yml``).
        """
        self.themes: List[Theme] = list(themes)
        self._by_name = {theme.name: theme for theme in self.themes}
        self._by_topic: Dict[str, Theme] = {}
        self._cues: Dict[str, str] = {}
        for theme in self.themes:
            words = [theme.name, *theme.keywords]
            for topic in theme.topics:
                self._by_topic.setdefault(topic, theme)
                words += [topic, *topic_synonyms.get(topic, ())]
            for word in words:
                cue = normalize(word)
                if cue:
                    self._cues.setdefault(cue, theme.name)
        # Longest first, so a long cue claims its characters before the short cues inside it.
        self._ordered = sorted(self._cues, key=len, reverse=True)

    def get(self, name: Optional[str]) -> Optional[Theme]:
        """The theme called ``name``, or None."""
        return self._by_name.get(name or "")

    def of_topic(self, topic: Optional[str]) -> Optional[Theme]:
        """The theme a catalog topic belongs to, or None."""
        return self._by_topic.get(topic or "")

    def of_department(self, code: Optional[str]) -> Optional[Theme]:
        """The first theme a department is mainly responsible for, or None."""
        return next((theme for theme in self.themes if theme.department == code), None)

    def cues_in(self, text: str) -> List[Tuple[str, str]]:
        """The theme words found in ``text`` as (word, theme name); overlapping shorter words are dropped."""
        normalized = normalize(text)
        taken = [False] * len(normalized)
        found: List[Tuple[str, str]] = []
        for cue in self._ordered:
            start = normalized.find(cue)
            while start >= 0:
                span = range(start, start + len(cue))
                if not any(taken[i] for i in span) and not _inside_number(normalized, cue, start):
                    for i in span:
                        taken[i] = True
                    found.append((cue, self._cues[cue]))
                start = normalized.find(cue, start + 1)
        return found

    def typo_cues_in(self, text: str) -> List[Tuple[str, str]]:
        """Theme words of three or more characters found with one character mistyped (社宝卡, 准生正).

        Only for short texts, where a whole-word search per position stays cheap; a one-character
        slip in a two-character word would make too many false friends.
        """
        normalized = normalize(text)
        if len(normalized) > TYPO_MAX_CHARS:
            return []
        found: List[Tuple[str, str]] = []
        for cue in self._ordered:
            size = len(cue)
            if size < TYPO_MIN_CUE:
                break
            if any(ch.isdigit() for ch in cue):
                continue  # a hotline number one digit off is just another number
            for start in range(len(normalized) - size + 1):
                if Hamming.distance(cue, normalized[start : start + size]) == 1:
                    found.append((cue, self._cues[cue]))
                    break
        return found

    def scores(self, text: str) -> Dict[str, float]:
        """Each signalled theme's score: the characters its words cover in ``text``."""
        result: Dict[str, float] = {}
        for cue, name in self.cues_in(text) or self.typo_cues_in(text):
            result[name] = result.get(name, 0.0) + len(cue)
        return result

    def theme_of(
        self,
        text: str,
        item_topic: Optional[str] = None,
        item_department: Optional[str] = None,
        context: str = "",
    ) -> Optional[ThemeMatch]:
        """The theme of ``text``, helped by the identified item's topic or department.

        Args:
            text: the citizen's message (or its question sentences).
            item_topic: the topic of the item identified in the message, if any.
            item_department: that item's department, for items without a curated topic.
            context: the whole post the question sentences come from; its words count
                :data:`CONTEXT_WEIGHT` as much, so the background breaks ties and fills gaps.

        Returns:
            The best theme, or None when nothing in the message belongs to a government field.
        """
        scores = self.scores(text)
        if context and context != text:
            for name, score in self.scores(context).items():
                scores[name] = scores.get(name, 0.0) + CONTEXT_WEIGHT * score
        words: Dict[str, List[str]] = {}
        for cue, name in self.cues_in(text) or self.typo_cues_in(text):
            words.setdefault(name, []).append(cue)
        anchor = self.of_topic(item_topic)
        if anchor is None and item_department:
            # An imported item has no curated topic: its department's theme that the text favours.
            owned = [t for t in self.themes if t.department == item_department or item_department in t.also]
            anchor = max(owned, key=lambda t: scores.get(t.name, 0.0), default=None)
        if anchor is not None:
            scores[anchor.name] = scores.get(anchor.name, 0.0) + ITEM_WEIGHT
        if not scores:
            return None
        order = {theme.name: n for n, theme in enumerate(self.themes)}
        best = max(scores, key=lambda name: (scores[name], -order[name]))
        return ThemeMatch(self._by_name[best], scores[best], tuple(words.get(best, ())))


def _inside_number(text: str, cue: str, start: int) -> bool:
    """True when a number cue (12345, 120) is only part of a longer number, such as a phone number."""
    if not cue[0].isdigit() and not cue[-1].isdigit():
        return False
    end = start + len(cue)
    return (start > 0 and text[start - 1].isdigit()) or (end < len(text) and text[end].isdigit())


def _theme(entry: Dict[str, Any]) -> Theme:
    def strings(key: str) -> Tuple[str, ...]:
        return tuple(str(value) for value in (entry.get(key) or ()))

    return Theme(
        name=str(entry["theme"]),
        department=str(entry["department"]),
        also=strings("also"),
        topics=strings("topics"),
        keywords=strings("keywords"),
        policy=str(entry.get("policy") or ""),
    )


def _read(path: Path) -> Dict[str, Any]:
    return yaml.safe_load(path.read_text(encoding="utf-8")) or {}


def load_themes(directory: Optional[Path] = None) -> Themes:
    """Read ``themes.yml`` and the topic synonyms of ``topics.yml`` from ``directory`` (the knowledge base)."""
    directory = directory or settings.current().knowledge_base
    raw_themes = _read(directory / "themes.yml").get("themes") or []
    raw_topics = _read(directory / "topics.yml").get("topics") or []
    synonyms: Dict[str, Sequence[str]] = {
        str(t["topic"]): [str(s) for s in t.get("synonyms") or ()] for t in raw_topics
    }
    return Themes([_theme(entry) for entry in raw_themes], synonyms)


@lru_cache(maxsize=1)
def themes() -> Themes:
    """The themes of the repository's knowledge base, read once per process."""
    return load_themes()

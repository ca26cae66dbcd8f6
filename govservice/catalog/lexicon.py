"""The one reader of ``knowledge_base/lexicon.yml``: the words that decide how a message is read.

Yes/no, stop, 转人工, question-or-answer, renewal and the like are looked up here by name, so
every part of the system reads a message with the same words and a new colloquial form is added
in one place. Matching is by substring on the text as typed.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Any, Dict, Mapping, Tuple

import yaml

from govservice import settings

LEXICON_FILE = "lexicon.yml"


class LexiconError(ValueError):
    """The lexicon file is malformed (a list is empty, holds a non-string or a duplicate)."""


def _word_list(name: str, raw: Any) -> Tuple[str, ...]:
    if not isinstance(raw, list) or not raw:
        raise LexiconError(f"lexicon {name}: expected a non-empty list of words")
    words = tuple(str(word) for word in raw if isinstance(word, (str, int)))
    if len(words) != len(raw) or any(not word.strip() for word in words):
        raise LexiconError(f"lexicon {name}: every entry must be a non-empty word")
    if len(set(words)) != len(words):
        raise LexiconError(f"lexicon {name}: duplicate words")
    return words


def _parse(raw: Any, name: str = "") -> Any:
    """Lists become tuples of words; mappings keep their order (it matters for choices)."""
    if isinstance(raw, dict):
        return {str(key): _parse(value, f"{name}.{key}".strip(".")) for key, value in raw.items()}
    return _word_list(name, raw)


@lru_cache(maxsize=4)
def _load(path: Path) -> Dict[str, Any]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise LexiconError(f"{path}: expected a mapping of named word lists")
    parsed = _parse(data)
    assert isinstance(parsed, dict)
    return parsed


def lexicon() -> Dict[str, Any]:
    """All named lists of the lexicon (read once per file)."""
    return _load(settings.current().knowledge_base / LEXICON_FILE)


def words(name: str) -> Tuple[str, ...]:
    """The word list ``name`` (e.g. ``"stop"``), in file order.

    Raises:
        KeyError: no such list, or ``name`` is a group of lists.
    """
    found = lexicon()[name]
    if not isinstance(found, tuple):
        raise KeyError(f"lexicon {name} is a group; use groups()")
    return found


def groups(name: str) -> Mapping[str, Any]:
    """The named group of lists ``name`` (e.g. ``"faq_concepts"``: concept → words)."""
    found = lexicon()[name]
    if not isinstance(found, dict):
        raise KeyError(f"lexicon {name} is a list; use words()")
    return found


def has_any(text: str, name: str) -> bool:
    """Whether ``text`` contains a word of the list ``name``."""
    return any(word in (text or "") for word in words(name))


def alternation(name: str) -> str:
    """The list ``name`` as a regular-expression alternation, longest word first."""
    return "|".join(re.escape(word) for word in sorted(words(name), key=len, reverse=True))


def is_question(text: str) -> bool:
    """A message asking something ("男的能领吗", "要多少钱？"), not giving an answer."""
    return has_any(text, "question_marks")


def is_affirmative(text: str) -> bool:
    """A plain yes ("确认", "好的", "没问题"), and no negated one ("不对", "没确认")."""
    answer = text or ""
    for phrase in words("affirm_despite_negation"):
        answer = answer.replace(phrase, words("affirm")[0])
    return has_any(answer, "affirm") and not has_any(answer, "negation_marks")


def is_negative(text: str) -> bool:
    """A plain no ("不对", "不符合", "算了")."""
    return has_any(text, "deny")


def wants_to_stop(text: str) -> bool:
    """The citizen stops what is under way ("取消", "不办了", "算了")."""
    return has_any(text, "stop")


def wants_human(text: str) -> bool:
    """The citizen asks for a person ("转人工", "人工客服")."""
    return has_any(text, "handoff")


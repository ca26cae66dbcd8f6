"""Training data stays apart from evaluation data, and reads like citizens."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from typing import Dict, List

import yaml

ROOT = Path(__file__).resolve().parent.parent
ANNOTATION = re.compile(r"\[([^\]]+)\](?:\([^)]*\)|\{[^}]*\})")


def _plain(example: str) -> str:
    return ANNOTATION.sub(r"\1", example).strip()


def _examples(path: Path) -> Dict[str, List[str]]:
    by_intent: Dict[str, List[str]] = {}
    for block in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("nlu", []):
        if "intent" in block:
            lines = [line[2:] for line in block["examples"].splitlines() if line.startswith("- ")]
            by_intent.setdefault(block["intent"], []).extend(_plain(x) for x in lines)
    return by_intent


def _training() -> Dict[str, List[str]]:
    merged: Dict[str, List[str]] = {}
    for path in sorted((ROOT / "bot" / "nlu_data").glob("*.yml")):
        for intent, examples in _examples(path).items():
            merged.setdefault(intent, []).extend(examples)
    return merged


def _held_out() -> Dict[str, List[str]]:
    merged: Dict[str, List[str]] = {}
    for path in sorted((ROOT / "tests" / "nlu").glob("*.yml")):
        for intent, examples in _examples(path).items():
            merged.setdefault(intent, []).extend(examples)
    return merged


def _story_texts() -> List[str]:
    texts = []
    for path in (ROOT / "tests").glob("test_*.yml"):
        for story in yaml.safe_load(path.read_text(encoding="utf-8"))["stories"]:
            texts.extend(step["user"].strip() for step in story["steps"] if "user" in step)
    return texts


def test_no_duplicate_training_sentences() -> None:
    counts = Counter(x for examples in _training().values() for x in examples)
    assert [x for x, n in counts.items() if n > 1] == []


def test_evaluation_sentences_are_never_trained_on() -> None:
    trained = {x for examples in _training().values() for x in examples}
    held_out = {x for examples in _held_out().values() for x in examples}
    assert held_out and not (held_out & trained)
    assert not (set(_story_texts()) & trained)


def test_at_least_twenty_examples_per_intent_and_holdout_covers_them() -> None:
    training = _training()
    held_out = _held_out()
    assert {intent: len(x) for intent, x in training.items() if len(x) < 20} == {}
    assert set(held_out) <= set(training)
    assert {intent: len(x) for intent, x in held_out.items() if len(x) < 8} == {}

"""Every intent the assistant knows has one Chinese name on the dashboard."""

from __future__ import annotations

from pathlib import Path
from typing import List

import yaml

from govservice.analytics.labels import intent_label, intent_labels

ROOT = Path(__file__).resolve().parents[3]


def _domain_intents() -> List[str]:
    names: List[str] = []
    for path in sorted((ROOT / "bot" / "domain").glob("*.yml")):
        for intent in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("intents") or []:
            names.append(intent if isinstance(intent, str) else next(iter(intent)))
    return names


def test_every_domain_intent_and_the_fallback_have_a_chinese_name() -> None:
    labels = intent_labels()
    missing = [name for name in [*_domain_intents(), "nlu_fallback"] if name not in labels]
    assert missing == []
    assert all(any("\u4e00" <= ch <= "\u9fff" for ch in label) for label in labels.values())


def test_no_two_intents_share_a_name_so_counts_never_merge() -> None:
    labels = intent_labels()
    assert len(set(labels.values())) == len(labels)


def test_an_unknown_intent_keeps_its_own_name() -> None:
    assert intent_label("ask_materials") == "询问所需材料"
    assert intent_label("some_new_intent") == "some_new_intent"

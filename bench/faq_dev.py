"""Development set for the FAQ thresholds: leave-one-out over the seed files, plus off-topic messages.

The thresholds in :mod:`govservice.faq.search` are chosen here, never on the held-out paraphrases:
each similar question of each seed entry is taken out of the index in turn and asked; the
off-topic messages below should get no answer. No database is needed.
"""

from __future__ import annotations

import datetime
import json
from typing import Any, Dict, List, Tuple

from govservice.catalog.text import answer_terms, terms
from govservice.faq.io import load_seed_entries
from govservice.faq.search import ANSWER, NONE, SUGGEST, FaqIndex, _Entry, decide

OFF_TOPIC = [
    "今天天气怎么样",
    "给我讲个笑话",
    "你是机器人吗",
    "附近有什么好吃的",
    "这只股票明天会涨吗",
    "帮我订一张去北京的机票",
    "我想买个新手机",
    "你叫什么名字",
    "世界杯谁是冠军",
    "怎么做红烧肉",
    "我好无聊啊",
    "推荐一部电影",
    "狗狗生病了怎么办",
    "明天会下雨吗",
    "一加一等于几",
    "你们老板是谁",
    "附近的地铁站在哪",
    "英语怎么学得快",
    "手机没电了",
    "哈哈哈哈",
]


def _index(entries: List[Dict[str, Any]], skip: Tuple[str, int] | None = None) -> FaqIndex:
    day = datetime.date(2026, 1, 1)
    views, docs, answers = [], [], []
    for number, raw in enumerate(entries, start=1):
        views.append(_Entry(number, raw["key"], raw["question"], raw["answer"], day))
        answers.append((number, _TERMS[raw["answer"]]))
        for position, text in enumerate([raw["question"], *(raw.get("similar") or [])]):
            if skip != (raw["key"], position):
                docs.append((number, _TERMS[text]))
    return FaqIndex(views, docs, answers)


_TERMS: Dict[str, List[str]] = {}


def faq_dev() -> Dict[str, Any]:
    """Leave-one-out top-1/top-3 and decisions, and decisions on off-topic messages."""
    entries = load_seed_entries()
    for raw in entries:
        for text in [raw["question"], *(raw.get("similar") or [])]:
            _TERMS.setdefault(text, terms(text))
        _TERMS[raw["answer"]] = answer_terms(raw["answer"])
    top1 = top3 = total = 0
    kinds = {ANSWER: 0, SUGGEST: 0, NONE: 0}
    wrong_answers = 0
    for raw in entries:
        for position, text in enumerate(raw.get("similar") or [], start=1):
            hits = _index(entries, (raw["key"], position)).search(text, limit=4)
            keys = [hit.key for hit in hits]
            total += 1
            top1 += keys[:1] == [raw["key"]]
            top3 += raw["key"] in keys[:3]
            kind = decide(hits)
            kinds[kind] += 1
            wrong_answers += kind == ANSWER and keys[:1] != [raw["key"]]
    full = _index(entries)
    off_topic = {ANSWER: 0, SUGGEST: 0, NONE: 0}
    for text in OFF_TOPIC:
        off_topic[decide(full.search(text, limit=4))] += 1
    return {
        "n": total,
        "top1": round(top1 / total, 4),
        "top3": round(top3 / total, 4),
        "decisions": kinds,
        "answer_precision": round(1 - wrong_answers / kinds[ANSWER], 4) if kinds[ANSWER] else None,
        "off_topic": off_topic,
    }


if __name__ == "__main__":
    print(json.dumps(faq_dev(), ensure_ascii=False, indent=2))

"""FAQ retrieval benchmark: held-out paraphrase accuracy vs a keyword baseline, and latency at scale.

``faq_bench()`` seeds ``knowledge_base/faq`` into a private SQLite database under ``var/bench/``,
ranks every question of ``tests/faq/holdout_paraphrases.yml`` with :mod:`govservice.faq.search`
and with a plain keyword match (shared jieba tokens), and reports top-1/top-3 accuracy of both.
It then grows the FAQ to 1,000 and 10,000 published entries (perturbed copies of the seeds) and
times ``answer_question`` per query, the first query after start (index build) and the first
query after one published edit (rebuild). The held-out set is never used to tune anything.
"""

from __future__ import annotations

import datetime
import json
import statistics
import time
from pathlib import Path
from typing import Any, Callable, Dict, List, Sequence, Tuple

import jieba
import yaml

from govservice.settings import ROOT

HOLDOUT = ROOT / "tests" / "faq" / "holdout_paraphrases.yml"
WORK = ROOT / "var" / "bench"
SIZES = (1000, 10000)
DISTRICTS = ["东城区", "西城区", "北湖区", "南山区", "高新区", "滨海新区", "临港片区", "老城区", "新区", "开发区"]
# How a synthetic copy differs from its seed: a district in front and a topic-neutral suffix.
SUFFIXES = ["", "（区级）", "（街道办理）", "（自助终端）", "（夜间服务）", "（企业版）"]
Ranker = Callable[[str], List[str]]


def load_holdout(path: Path = HOLDOUT) -> List[Dict[str, str]]:
    """The held-out paraphrases: ``text`` and the ``expected`` entry key."""
    return yaml.safe_load(path.read_text(encoding="utf-8"))["paraphrases"]


def _fresh_database(name: str) -> str:
    from govservice.seed import init_db

    WORK.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{WORK / name}{suffix}").unlink(missing_ok=True)
    url = f"sqlite:///{WORK / name}"
    init_db(url, faq=False)  # seeded below, so the count of seed entries is measured here
    return url


def _seed(url: str) -> int:
    from govservice.db import session_scope
    from govservice.faq.io import seed_faq

    with session_scope(url) as session:
        return seed_faq(session)


def keyword_ranker(url: str) -> Ranker:
    """The baseline: entries ranked by jieba tokens shared with their best question, then by Jaccard."""
    from govservice.db import session_scope
    from govservice.faq.models import PUBLISHED, FaqEntry

    def tokens(text: str) -> frozenset:
        return frozenset(t for t in jieba.lcut(text) if t.strip() and t.isalnum())

    with session_scope(url) as session:
        rows = session.query(FaqEntry).filter_by(status=PUBLISHED).order_by(FaqEntry.id).all()
        questions = [(e.key, [tokens(q) for q in [e.question, *e.similar_questions]]) for e in rows]

    def rank(text: str) -> List[str]:
        query = tokens(text)

        def best(sets: List[frozenset]) -> Tuple[int, float]:
            return max((len(query & s), len(query & s) / len(query | s) if query | s else 0.0) for s in sets)

        scored = [(best(sets), key) for key, sets in questions]
        scored = [pair for pair in scored if pair[0][0] > 0]
        return [key for _, key in sorted(scored, key=lambda pair: (-pair[0][0], -pair[0][1]))[:3]]

    return rank


def retriever_ranker(url: str) -> Ranker:
    """Our retriever: :func:`govservice.faq.search.search`, top 3 keys."""
    from govservice.db import session_scope
    from govservice.faq.search import search

    def rank(text: str) -> List[str]:
        with session_scope(url) as session:
            return [hit.key for hit in search(session, text, limit=3)]

    return rank


def accuracy(rank: Ranker, holdout: Sequence[Dict[str, str]]) -> Dict[str, Any]:
    """Top-1 and top-3 accuracy of ``rank`` on ``holdout``, with the missed questions."""
    top1 = top3 = 0
    misses = []
    for case in holdout:
        keys = rank(case["text"])
        top1 += bool(keys) and keys[0] == case["expected"]
        top3 += case["expected"] in keys[:3]
        if not keys or keys[0] != case["expected"]:
            misses.append({"text": case["text"], "expected": case["expected"], "got": keys[:3]})
    total = len(holdout)
    return {"n": total, "top1": round(top1 / total, 4), "top3": round(top3 / total, 4), "misses": misses}


def decisions(url: str, holdout: Sequence[Dict[str, str]]) -> Dict[str, Any]:
    """How ``answer_question`` would reply: counts of answer/suggest/none and answer precision."""
    from govservice.db import session_scope
    from govservice.faq.search import ANSWER, SUGGEST, answer_question

    counts = {"answer": 0, "suggest": 0, "none": 0}
    right_answers = suggested_right = 0
    with session_scope(url) as session:
        for case in holdout:
            reply = answer_question(session, case["text"])
            counts[reply.kind] += 1
            keys = [hit.key for hit in reply.hits]
            right_answers += reply.kind == ANSWER and keys[:1] == [case["expected"]]
            suggested_right += reply.kind == SUGGEST and case["expected"] in keys[:3]
    return {
        **counts,
        "answer_precision": round(right_answers / counts["answer"], 4) if counts["answer"] else None,
        "suggest_contains_expected": round(suggested_right / counts["suggest"], 4) if counts["suggest"] else None,
    }


def synthesize(url: str, total: int) -> int:
    """Add published perturbed copies of the seed entries until the FAQ has ``total`` entries."""
    from govservice.db import session_scope
    from govservice.faq.models import PUBLISHED, FaqEntry

    with session_scope(url) as session:
        seeds = session.query(FaqEntry).order_by(FaqEntry.id).all()
        existing = session.query(FaqEntry).count()
        missing = total - existing
        now = datetime.datetime.now()
        rows = []
        for n in range(max(0, missing)):
            seed = seeds[n % len(seeds)]
            district, suffix = DISTRICTS[n % len(DISTRICTS)], SUFFIXES[(n // len(DISTRICTS)) % len(SUFFIXES)]
            rows.append(
                {
                    "key": f"synthetic_{existing + n}",
                    "question": f"{district}{seed.question}{suffix}",
                    "similar_questions": [f"{q}{suffix}（{district}）" for q in seed.similar_questions],
                    "answer": f"{district}：{seed.answer}",
                    "category": seed.category,
                    "item_keys": seed.item_keys,
                    "department_code": seed.department_code,
                    "status": PUBLISHED,
                    "version": 1,
                    "created_at": now,
                    "updated_at": now,
                    "updated_by": "bench",
                }
            )
        session.bulk_insert_mappings(FaqEntry, rows)
        return len(rows)


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 2)


def latency(url: str, holdout: Sequence[Dict[str, str]]) -> Dict[str, Any]:
    """Cold (index build), warm per-query and after-edit latency of ``answer_question``."""
    from govservice.db import session_scope
    from govservice.faq.search import answer_entry, answer_question
    from govservice.faq.workflow import update_entry

    texts = [case["text"] for case in holdout]
    with session_scope(url) as session:
        started = time.perf_counter()
        answer_question(session, texts[0])
        cold = time.perf_counter() - started
    timings = []
    for text in texts:
        with session_scope(url) as session:
            started = time.perf_counter()
            answer_question(session, text)
            timings.append(time.perf_counter() - started)
    marker = f"基准测试修改后的答案{time.time_ns()}"
    with session_scope(url) as session:
        update_entry(session, 1, "bench", answer=marker)
    with session_scope(url) as session:
        started = time.perf_counter()
        reply = answer_entry(session, 1)  # the first lookup after the edit rebuilds the index
        after_edit = time.perf_counter() - started
    timings.sort()
    return {
        "queries": len(timings),
        "median_ms": _ms(statistics.median(timings)),
        "p95_ms": _ms(timings[min(len(timings) - 1, int(0.95 * len(timings)))]),
        "first_query_ms": _ms(cold),
        "first_query_after_edit_ms": _ms(after_edit),
        "edit_visible": marker in reply.text,
    }


def faq_bench() -> Dict[str, Any]:
    """Run the whole FAQ benchmark; see the module docstring. Returns JSON-ready results."""
    holdout = load_holdout()
    url = _fresh_database("faq_bench.db")
    seeded = _seed(url)
    results: Dict[str, Any] = {
        "entries": seeded,
        "holdout": len(holdout),
        "retriever": accuracy(retriever_ranker(url), holdout),
        "baseline": accuracy(keyword_ranker(url), holdout),
        "decisions": decisions(url, holdout),
        "latency": {},
    }
    for size in SIZES:
        synthesize(url, size)
        results["latency"][str(size)] = latency(url, holdout)
    return results


if __name__ == "__main__":
    outcome = faq_bench()
    for name in ("retriever", "baseline"):
        outcome[name]["misses"] = len(outcome[name]["misses"])
    print(json.dumps(outcome, ensure_ascii=False, indent=2))

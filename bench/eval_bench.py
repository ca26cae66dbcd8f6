"""The 一窗 evaluation (issue 13): every tests/eval message through the real assistant over REST.

Each message goes to a fresh conversation on the running stack; the reply is judged, never the
NLU alone:

- **on topic**: the reply names the right item (one of the entry's ``item_words``), or the right
  theme and department (the theme named, or a specific answer — an item's guide or an FAQ answer —
  and the entry's department, or one of its theme's, by name, phone or the guided item's
  department), and it is not an out-of-scope reply, a fallback or a bare "which item?";
- **government called out of scope**: government messages answered "超出了我的服务范围";
- **out of scope on not_government.yml**: the share of everyday messages given the out-of-scope
  reply, and the precision of that reply (the share of all out-of-scope replies that went to
  everyday messages).

Nothing here tunes anything: the set is read, sent and counted. ``python -m bench.eval_bench
--url http://localhost:5005`` runs it against a stack that is already up and writes the per-message
outcomes to var/bench/eval_outcomes.json (not committed, so the eval sentences stay out of sight).
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple

import requests
import yaml

from bench.servers import ROOT
from bench.tables import table

EVAL_DIR = ROOT / "tests" / "eval"
OUTCOMES = ROOT / "var" / "bench" / "eval_outcomes.json"
WORKERS = 4
OUT_OF_SCOPE = "超出了我的服务范围"
# How each kind of non-answer begins or what it says (bot/domain and bot/actions texts).
FALLBACK_MARKS = (
    "我不太确定您的意思", "我没有完全理解", "我暂时回答不了", "问答库里暂时没有",
    "我没能确定您要办理的业务", "您是不是想问",
)
WHICH_ITEM_MARKS = ("请问您想了解哪项业务", "请问您要办理的是哪一项", "请问您要了解的是哪一项")
LOGIN_MARKS = ("请输入您的身份证号", "请先登录", "请提供您的身份证号", "身份证号码")
TARGETS = {"on_topic": 0.85, "gov_out_of_scope": 0.01, "out_of_scope_precision": 0.9}


def load_eval(directory: Path = EVAL_DIR) -> List[Dict[str, Any]]:
    """Every entry of the evaluation set's YAML files."""
    entries: List[Dict[str, Any]] = []
    for path in sorted(directory.glob("*.yml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or []
        entries += data if isinstance(data, list) else next(v for v in data.values() if isinstance(v, list))
    return entries


def _departments() -> Tuple[Dict[str, Dict[str, Any]], Dict[str, Tuple[str, ...]]]:
    from govservice.catalog import facts
    from govservice.window.themes import themes

    theme_departments = {t.name: (t.department, *t.also) for t in themes().themes}
    return facts.departments(), theme_departments


def reply_kind(reply: str) -> str:
    """``out_of_scope``, ``fallback``, ``which_item`` (bare), ``login`` or ``answer``."""
    if OUT_OF_SCOPE in reply:
        return "out_of_scope"
    if any(mark in reply for mark in FALLBACK_MARKS):
        return "fallback"
    if any(mark in reply for mark in WHICH_ITEM_MARKS) and "负责" not in reply:
        return "which_item"
    if any(mark in reply for mark in LOGIN_MARKS) and "【" not in reply:
        return "login"
    return "answer"


def guided_department(reply: str, item_departments: Dict[str, str]) -> Optional[str]:
    """The department of the item whose guide the reply is (``【item name】`` on its first line)."""
    found = re.match(r"\s*【(.+?)】", reply)
    return item_departments.get(found.group(1)) if found else None


def on_topic(entry: Dict[str, Any], reply: str, item_departments: Dict[str, str]) -> bool:
    """True when the reply answers the entry's government question (see the module docstring)."""
    if reply_kind(reply) != "answer":
        return False
    if any(word and word in reply for word in entry.get("item_words") or ()):
        return True
    departments, theme_departments = _departments()
    codes = {entry["department"], *theme_departments.get(entry["theme"], ())}
    names_department = any(
        (departments.get(code) or {}).get(key, "\0") in reply for code in codes for key in ("name", "consult_phone")
    ) or guided_department(reply, item_departments) in codes
    specific = reply.lstrip().startswith("【") or "来源：FAQ#" in reply
    return names_department and (f"“{entry['theme']}”" in reply or specific)


def _say(url: str, text: str, timeout: float) -> Tuple[str, float]:
    started = time.monotonic()
    resp = requests.post(f"{url}/webhooks/rest/webhook", json={"sender": f"eval-{uuid.uuid4().hex[:10]}",
                                                                "message": text}, timeout=timeout)
    elapsed = time.monotonic() - started
    body = resp.json() if resp.status_code == 200 else []
    return "\n".join(m.get("text", "") for m in body if isinstance(m, dict)), elapsed


def _rate(hits: int, total: int) -> Optional[float]:
    return round(hits / total, 3) if total else None


def score(
    entries: Sequence[Dict[str, Any]], replies: Sequence[str], item_departments: Dict[str, str]
) -> Dict[str, Any]:
    """The rates of the report from the entries and their replies (in the same order)."""
    gov = [(e, r) for e, r in zip(entries, replies, strict=True) if e.get("kind") == "gov"]
    other = [r for e, r in zip(entries, replies, strict=True) if e.get("kind") != "gov"]
    result: Dict[str, Any] = {"gov": len(gov), "not_gov": len(other)}
    hits = [on_topic(e, r, item_departments) for e, r in gov]
    result["on_topic"] = _rate(sum(hits), len(gov))
    for style in ("app", "board"):
        chosen = [h for (e, _), h in zip(gov, hits, strict=True) if e.get("style") == style]
        result[f"on_topic_{style}"] = _rate(sum(chosen), len(chosen))
    policy = [(e, r) for e, r in gov if e.get("policy")]
    result["policy"] = len(policy)
    result["policy_reply"] = _rate(sum("政策咨询渠道" in r for _, r in policy), len(policy))
    gov_oos = sum(reply_kind(r) == "out_of_scope" for _, r in gov)
    other_oos = sum(reply_kind(r) == "out_of_scope" for r in other)
    result["gov_out_of_scope"] = _rate(gov_oos, len(gov))
    result["not_gov_out_of_scope"] = _rate(other_oos, len(other))
    result["out_of_scope_precision"] = _rate(other_oos, gov_oos + other_oos)
    result["gov_reply_kinds"] = dict(Counter(reply_kind(r) for _, r in gov))
    result["not_gov_reply_kinds"] = dict(Counter(reply_kind(r) for r in other))
    by_theme: Dict[str, List[bool]] = {}
    for (entry, _), hit in zip(gov, hits, strict=True):
        by_theme.setdefault(entry["theme"], []).append(hit)
    result["on_topic_by_theme"] = {t: _rate(sum(v), len(v)) for t, v in sorted(by_theme.items())}
    return result


def run_eval(url: str, timeout: float = 30.0, catalog: Any = None) -> Dict[str, Any]:
    """Send every eval message to ``url`` and score the replies; per-message outcomes go to OUTCOMES."""
    entries = load_eval()
    with ThreadPoolExecutor(WORKERS) as pool:
        answered = list(pool.map(lambda e: _say(url, e["text"], timeout), entries))
    replies = [reply for reply, _ in answered]
    latencies = sorted(ms * 1000 for _, ms in answered)
    item_departments = {i.name: i.department_code for i in catalog.items.values()} if catalog is not None else {}
    result = score(entries, replies, item_departments)
    result["latency_p50_ms"] = round(statistics.median(latencies), 1)
    result["latency_p95_ms"] = round(latencies[int(0.95 * (len(latencies) - 1))], 1)
    OUTCOMES.parent.mkdir(parents=True, exist_ok=True)
    OUTCOMES.write_text(json.dumps([
        {**e, "reply": r, "kind_of_reply": reply_kind(r),
         "on_topic": on_topic(e, r, item_departments) if e.get("kind") == "gov" else None}
        for e, r in zip(entries, replies, strict=True)
    ], ensure_ascii=False, indent=1), encoding="utf-8")
    return result


def evaluate(ctx: Any, bot: Any) -> Dict[str, Any]:
    """The bench section: our assistant only (the stock bot has no window)."""
    if bot.name != "ours":
        return {"skipped": "the window is ours; the stock bot has none"}
    assert ctx.servers is not None
    return run_eval(ctx.servers.url, ctx.timeout, ctx.catalog)


def _fmt(value: Any) -> str:
    return "–" if value is None else (f"{value:.3f}" if isinstance(value, float) else str(value))


def render_eval(ctx: Any, bots: Any) -> List[str]:
    """The section of bench/REPORT.md."""
    r = (ctx.results.get("eval") or {}).get("ours") or {}
    if "error" in r or not r:
        return [f"Error — {r.get('error', 'not measured')}", ""]
    rows = [
        ["on-topic rate (government)", _fmt(r.get("on_topic")), "≥ 0.85"],
        ["  app-style questions", _fmt(r.get("on_topic_app")), "≥ 0.85"],
        ["  message-board posts", _fmt(r.get("on_topic_board")), "≥ 0.85"],
        ["government called out of scope", _fmt(r.get("gov_out_of_scope")), "≤ 0.01"],
        ["everyday messages called out of scope", _fmt(r.get("not_gov_out_of_scope")), "≥ 0.9"],
        ["precision of the out-of-scope reply", _fmt(r.get("out_of_scope_precision")), "≥ 0.9"],
        ["policy questions given the policy channel", _fmt(r.get("policy_reply")), "–"],
    ]
    themes = [[t, _fmt(v)] for t, v in (r.get("on_topic_by_theme") or {}).items()]
    return (
        [f"{r.get('gov')} government questions and {r.get('not_gov')} everyday messages from `tests/eval/` "
         "(written apart from training, see its README), each sent to a new conversation on the running "
         "stack over REST; the reply is judged (bench/eval_bench.py). REST latency per message: p50 "
         f"{r.get('latency_p50_ms', '–')} ms, p95 {r.get('latency_p95_ms', '–')} ms.", ""]
        + table(["measure", "value", "target"], rows)
        + _reading(r)
        + [f"Replies to government questions by kind: {r.get('gov_reply_kinds')}; to everyday messages: "
           f"{r.get('not_gov_reply_kinds')}.", "", "On-topic rate by theme:", ""]
        + table(["theme", "on topic"], themes)
    )


def _reading(r: Dict[str, Any]) -> List[str]:
    """Which targets are met, said plainly (the two readings of "out-of-scope precision" both shown)."""
    def met(value: Any, target: float, below: bool = False) -> str:
        if not isinstance(value, (int, float)):
            return "not measured"
        return "met" if (value <= target if below else value >= target) else "NOT met"

    return [
        f"Targets: on-topic ≥ 0.85 {met(r.get('on_topic'), 0.85)} (message-board posts "
        f"{met(r.get('on_topic_board'), 0.85)}); government called out of scope ≤ 1% "
        f"{met(r.get('gov_out_of_scope'), 0.01, below=True)}; out-of-scope precision ≥ 0.9 "
        f"{met(r.get('out_of_scope_precision'), 0.9)} as the share of out-of-scope replies that went to everyday "
        f"messages, {met(r.get('not_gov_out_of_scope'), 0.9)} as the share of everyday messages given it. "
        "An everyday message that names a government word (护照, 结婚, 公司, 科目二) is routed to that "
        "field rather than refused: the window says out of scope only without any government signal.",
        "",
    ]


def main() -> int:
    """Run against a stack that is already up: ``python -m bench.eval_bench --url URL``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://localhost:5005")
    args = parser.parse_args()
    from govservice.catalog.lookup import Catalog

    result = run_eval(args.url, catalog=Catalog.load())
    print(json.dumps(result, ensure_ascii=False, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

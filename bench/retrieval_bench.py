"""Item identification benchmark: latency at 2,500 items and accuracy on held-out item mentions.

The catalog is the curated items plus the 2,262 published Guangdong guides of
``knowledge_base/imported/guangdong_catalog_2021.jsonl`` (all records of ``data/policy.json`` of
Clarence-Kong/QABasedOnPolicyKnowledgeGraph, commit b1f5aec3fc99, MIT, © 2021 clarencekong;
published guides of about 2021, not a current official catalog). Until the importer is merged
they are built here as transient ``ServiceItem`` rows keyed by record name (name, materials, the
first theme category as topic and all of them as themes, as the importer does; layer ``imported``).

Gold labels come from the lexical lookup the NLU already uses: each held-out message of
``tests/nlu/holdout*.yml`` annotated with a ``service`` or ``certificate`` entity is resolved by
``Catalog.resolve`` to an item (or a topic's items); ``Catalog.identify`` then gets the message
without the entity. Negatives are the held-out messages of intents that name no item (greetings,
thanks, out of scope...). The score floor and margin in govservice/catalog/lookup.py were read off
these numbers; tests/eval/ is never touched here.
"""

from __future__ import annotations

import json
import re
import statistics
import time
from pathlib import Path
from typing import Any, Dict, List, Sequence, Tuple

import yaml

from govservice.catalog.lookup import Catalog
from govservice.catalog.models import Material, ServiceItem, Topic
from govservice.settings import ROOT

IMPORTED = ROOT / "knowledge_base" / "imported" / "guangdong_catalog_2021.jsonl"
HOLDOUTS = sorted((ROOT / "tests" / "nlu").glob("holdout*.yml"))
NO_ITEM_INTENTS = {"greet", "goodbye", "thanks", "help", "affirm", "deny", "bot_challenge", "out_of_scope"}
_ENTITY = re.compile(r"\[([^\]]+)\]\((service|certificate)\)")
_ANY_ENTITY = re.compile(r"\[([^\]]+)\]\([^)]*\)")
Example = Tuple[str, str]  # (plain text, mention)


SCALE = 2500
"""Items in the latency catalog: curated + imported, topped up with district copies of imported ones."""
DISTRICTS = ["东城区", "西城区", "北湖区", "南山区", "高新区"]


def imported_items(path: Path = IMPORTED) -> List[ServiceItem]:
    """The published records as transient ServiceItems, keyed by record name (made unique)."""
    items: List[ServiceItem] = []
    seen: Dict[str, int] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        name = record["TASK_NAME"] + (f"（{record['subTaskName']}）" if record.get("subTaskName") else "")
        seen[name] = seen.get(name, 0) + 1
        key = name if seen[name] == 1 else f"{name}#{seen[name]}"
        item = ServiceItem(
            key=key,
            name=name,
            aliases=[],
            topic=(record.get("theme_category") or ["其他"])[0],  # as the importer sets it
            variant_keywords=[],
            materials=[Material(name=m, position=n) for n, m in enumerate(record.get("material_intro") or [])],
        )
        item.themes = record.get("theme_category") or []  # type: ignore[attr-defined]
        item.layer = "imported"  # type: ignore[attr-defined]
        items.append(item)
    return items


def scaled(items: List[ServiceItem], size: int = SCALE) -> List[ServiceItem]:
    """``items`` topped up to ``size`` with district copies of the imported ones (layer imported)."""
    imported = [item for item in items if getattr(item, "layer", "curated") == "imported"]
    extra: List[ServiceItem] = []
    for n in range(max(0, size - len(items))):
        source = imported[n % len(imported)]
        name = f"{DISTRICTS[n // len(imported) % len(DISTRICTS)]}{source.name}"
        copy = ServiceItem(key=f"{name}#{n}", name=name, aliases=[], topic=source.topic, variant_keywords=[],
                           materials=[Material(name=m.name, position=m.position) for m in source.materials])
        copy.themes = getattr(source, "themes", [])  # type: ignore[attr-defined]
        copy.layer = "imported"  # type: ignore[attr-defined]
        extra.append(copy)
    return items + extra


def with_imported(items: List[ServiceItem], size: int = SCALE) -> List[ServiceItem]:
    """``items`` with the imported records (built here unless the database already holds them), to ``size``."""
    if not any(getattr(item, "layer", "curated") == "imported" for item in items):
        items = items + imported_items()
    return scaled(items, size)


def holdout_examples(paths: Sequence[Path] = HOLDOUTS) -> Tuple[List[Example], List[str]]:
    """Held-out messages with an item mention, and messages of intents that name no item."""
    positives: List[Example] = []
    negatives: List[str] = []
    for path in paths:
        for block in yaml.safe_load(path.read_text(encoding="utf-8")).get("nlu", []):
            for line in str(block.get("examples", "")).splitlines():
                raw = line.strip().removeprefix("- ").strip()
                if not raw:
                    continue
                plain = _ANY_ENTITY.sub(r"\1", raw)
                mention = _ENTITY.search(raw)
                if mention:
                    positives.append((plain, mention.group(1)))
                elif block.get("intent") in NO_ITEM_INTENTS:
                    negatives.append(plain)
    return positives, negatives


def gold(catalog: Catalog, text: str, mention: str) -> List[str]:
    """The keys the lexical lookup says a message means: one item, or a topic's items."""
    resolution = catalog.resolve([mention], text)
    if resolution.item is not None:
        return [resolution.item.key]
    return [item.key for item in resolution.candidates]


def accuracy(catalog: Catalog, labelled: Sequence[Tuple[str, List[str]]], negatives: Sequence[str]) -> Dict[str, Any]:
    """How identify() does on labelled messages (gold keys) and on messages about no item.

    ``offered``: the item decided or among the candidates is a gold one. ``decided_right``: of
    the messages with one gold item, the share decided as that item; ``decided_wrong``: the
    share of all messages decided as an item that is not gold.
    """
    offered = top1 = single = decided_right = decided_wrong = 0
    misses: List[str] = []
    for text, keys in labelled:
        found = catalog.identify(text)
        chosen = [found.item.key] if found.item else [c.key for c in found.candidates]
        top1 += bool(found.matches) and found.matches[0].key in keys
        single += len(keys) == 1
        decided_right += len(keys) == 1 and found.item is not None and found.item.key in keys
        decided_wrong += found.item is not None and found.item.key not in keys
        if set(chosen) & set(keys):
            offered += 1
        else:
            misses.append(text)
    false_hits = [t for t in negatives if catalog.identify(t).matches]
    total = max(1, len(labelled))
    return {
        "labelled": len(labelled),
        "top1": round(top1 / total, 3),
        "offered": round(offered / total, 3),
        "single_gold": single,
        "decided_right": round(decided_right / max(1, single), 3),
        "decided_wrong": round(decided_wrong / total, 3),
        "negatives": len(negatives),
        "negatives_with_a_match": len(false_hits),
        "misses": misses,
        "false_hits": false_hits,
    }


def latency(catalog: Catalog, texts: Sequence[str], rounds: int = 3) -> Dict[str, Any]:
    """Build time and per-message identify() latency over ``rounds`` passes.

    Wall time, and this process's CPU time, which other processes on a shared machine do not inflate.
    """
    started = time.perf_counter()
    catalog.index  # noqa: B018  (builds the index)
    build = time.perf_counter() - started
    wall, cpu = [], []
    for _ in range(rounds):
        for text in texts:
            started, started_cpu = time.perf_counter(), time.process_time()
            catalog.identify(text)
            wall.append((time.perf_counter() - started) * 1000)
            cpu.append((time.process_time() - started_cpu) * 1000)
    wall.sort()
    cpu.sort()
    return {
        "items": len(catalog.items),
        "build_s": round(build, 2),
        "queries": len(wall),
        "p50_ms": round(statistics.median(wall), 2),
        "p95_ms": round(wall[int(len(wall) * 0.95) - 1], 2),
        "max_ms": round(wall[-1], 2),
        "cpu_p50_ms": round(statistics.median(cpu), 2),
        "cpu_p95_ms": round(cpu[int(len(cpu) * 0.95) - 1], 2),
    }


def curated_catalog() -> Tuple[List[ServiceItem], List[Topic]]:
    """The seeded items (materials and department loaded) and topics."""
    from govservice.seed import init_db

    init_db()
    seeded = Catalog.load()
    return list(seeded.items.values()), seeded._topics


def retrieval_bench() -> Dict[str, Any]:
    """Accuracy on held-out mentions and curated names/aliases, curated only and at 2,500 items; latency."""
    items, topics = curated_catalog()
    curated_items = [item for item in items if getattr(item, "layer", "curated") == "curated"]
    curated = Catalog(curated_items, topics)
    positives, negatives = holdout_examples()
    labelled = [(text, keys) for text, mention in positives if (keys := gold(curated, text, mention))]
    aliases = [(name, [item.key]) for item in curated_items for name in [item.name, *item.aliases]]
    full = Catalog(with_imported(items, size=0), topics)
    long_texts = [f"您好，打扰一下。{text}。我之前问过别人但没说清楚，麻烦帮我看看，谢谢！" for text, _ in labelled]
    result: Dict[str, Any] = {
        "holdout_mentions": len(positives),
        "holdout_unresolvable": len(positives) - len(labelled),
        "latency": latency(Catalog(with_imported(items), topics), [t for t, _ in labelled] + negatives + long_texts),
    }
    for name, catalog in (("curated", curated), ("full", full)):
        result[name] = {"holdout": accuracy(catalog, labelled, negatives), "aliases": accuracy(catalog, aliases, [])}
    return result


def section(ctx: Any, bot: Any) -> Dict[str, Any]:
    """The bench section: bot-independent, so measured once (for ``ours``); misses as counts."""
    if bot.name != "ours":
        return {"skipped": "item identification is bot-independent; measured once"}
    result = retrieval_bench()
    for name in ("curated", "full"):
        for part in result[name].values():
            part["misses"], part["false_hits"] = len(part["misses"]), len(part["false_hits"])
    return result


def render(ctx: Any, bots: Any) -> List[str]:
    """Latency at 2,500 items and accuracy on held-out mentions and curated names, as Markdown."""
    from bench.tables import table

    r = ctx.results.get("retrieval", {}).get("ours") or {}
    if "error" in r or "latency" not in r:
        return [f"Error — {r.get('error', 'not measured')}", ""]
    lat = r["latency"]
    rows = []
    for name in ("curated", "full"):
        for part in ("holdout", "aliases"):
            a = r[name][part]
            rows.append([name, part, str(a["labelled"]), str(a["top1"]), str(a["offered"]), str(a["decided_right"]),
                         str(a["decided_wrong"]), f"{a['negatives_with_a_match']}/{a['negatives']}"])
    return (
        [f"`Catalog.identify` (govservice/catalog/retrieval.py: bm25s recall, rapidfuzz name scoring, OpenCC) over "
         f"{lat['items']} items (curated + 2,262 imported Guangdong records, topped up with district copies); "
         f"index built in {lat['build_s']} s; {lat['queries']} identifications (held-out messages, non-item "
         f"messages and long message-board style wrappings): p50 {lat['p50_ms']} ms, p95 {lat['p95_ms']} ms, "
         f"max {lat['max_ms']} ms wall time (target p95 ≤ 20 ms); CPU time of the process p50 "
         f"{lat.get('cpu_p50_ms', '–')} ms, p95 {lat.get('cpu_p95_ms', '–')} ms.", "",
         f"Accuracy on {r['holdout_mentions']} held-out item mentions of tests/nlu "
         f"({r['holdout_unresolvable']} name nothing in the catalog), the entity removed; gold from the lexical "
         "lookup. *aliases*: every curated item name and alias. *full*: with the imported items as distractors.", ""]
        + table(["catalog", "set", "n", "top-1 gold", "item or candidate gold", "decided right (one gold)",
                 "decided wrong", "non-item messages matched"], rows)
    )


def main() -> None:
    """Print the figures (and the misses) as JSON."""
    print(json.dumps(retrieval_bench(), ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()

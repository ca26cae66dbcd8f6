"""Evaluate a trained model on the held-out NLU split: intent macro-F1 and service accuracy.

Used by the ``model`` test (threshold 0.90) and by ``make bench`` for both pipelines.
"""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple

import yaml
from sklearn.metrics import classification_report, f1_score

from govservice.catalog.lookup import Catalog

HOLDOUT_DIR = Path(__file__).resolve().parent.parent / "tests" / "nlu"
_ANNOTATION = re.compile(r"\[([^\]]+)\]\((\w+)\)")


def holdout_files() -> List[Path]:
    """Every held-out file; ``holdout_blind.yml`` was written without ever running a model."""
    return sorted(HOLDOUT_DIR.glob("*.yml"))


def load_holdout(paths: Sequence[Path]) -> List[Tuple[str, str, List[str]]]:
    """Return (text, intent, annotated service strings) for every held-out example.

    Args:
        paths: held-out NLU files.
    """
    rows = []
    blocks = [b for path in paths for b in yaml.safe_load(path.read_text("utf-8"))["nlu"]]
    for block in blocks:
        if "intent" not in block:
            continue
        for line in block["examples"].splitlines():
            if not line.startswith("- "):
                continue
            raw = line[2:]
            services = [m.group(1) for m in _ANNOTATION.finditer(raw) if m.group(2) == "service"]
            rows.append((_ANNOTATION.sub(r"\1", raw).strip(), block["intent"], services))
    return rows


async def _parse_all(model_path: str, texts: List[str]) -> List[Dict[str, Any]]:
    from rasa.core.agent import Agent

    agent = Agent.load(model_path)
    return [await agent.parse_message(text) for text in texts]


def _topic(catalog: Catalog, value: str) -> str | None:
    item = catalog.resolve([value]).item
    return item.topic if item else catalog.topic_of(value)


def evaluate(model_path: str, catalog: Catalog, holdout: Optional[Sequence[Path]] = None) -> Dict[str, Any]:
    """Parse every held-out example with the model and score it.

    Args:
        model_path: a trained Rasa model archive.
        catalog: the catalog, to compare service mentions by topic.
        holdout: held-out NLU files; all of them when omitted.

    Returns:
        ``macro_f1``, ``service_accuracy``, counts and the per-intent report.
    """
    rows = load_holdout(holdout or holdout_files())
    parsed = asyncio.run(_parse_all(model_path, [text for text, _, _ in rows]))
    truth = [intent for _, intent, _ in rows]
    predicted = [(p.get("intent") or {}).get("name") or "None" for p in parsed]
    service_total = service_hits = 0
    for (_, _, services), result in zip(rows, parsed, strict=True):
        if not services:
            continue
        service_total += 1
        wanted = {_topic(catalog, s) for s in services}
        found = {
            _topic(catalog, str(e["value"])) for e in result.get("entities", []) if e["entity"] == "service"
        }
        service_hits += bool(wanted & found)
    labels = sorted(set(truth))
    return {
        "examples": len(rows),
        "macro_f1": f1_score(truth, predicted, labels=labels, average="macro", zero_division=0),
        "service_examples": service_total,
        "service_accuracy": service_hits / service_total if service_total else 0.0,
        "report": classification_report(truth, predicted, labels=labels, output_dict=True, zero_division=0),
        "errors": [(t, i, p) for (t, i, _), p in zip(rows, predicted, strict=True) if i != p],
    }

"""The trained model on the held-out split, which is never trained on."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench.nlu_eval import HOLDOUT_DIR, evaluate

MODEL = Path(__file__).resolve().parent.parent / "models" / "current.tar.gz"
RESULTS = Path(__file__).resolve().parent.parent / "results"


@pytest.mark.model
def test_intent_macro_f1_on_held_out_split(catalog) -> None:
    assert MODEL.exists(), "train first: make train"
    result = evaluate(str(MODEL), catalog)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "nlu_holdout.json").write_text(
        json.dumps(result, ensure_ascii=False, indent=1), encoding="utf-8"
    )
    print(
        f"held-out: {result['examples']} examples, macro-F1 {result['macro_f1']:.3f}, "
        f"service accuracy {result['service_accuracy']:.3f} over {result['service_examples']}"
    )
    assert result["macro_f1"] >= 0.90, result["errors"]
    assert result["service_accuracy"] >= 0.90


@pytest.mark.model
def test_intent_macro_f1_on_the_blind_split(catalog) -> None:
    """holdout_blind.yml was written without running any model: nothing was tuned on it."""
    result = evaluate(str(MODEL), catalog, [HOLDOUT_DIR / "holdout_blind.yml"])
    print(f"blind: {result['examples']} examples, macro-F1 {result['macro_f1']:.3f}")
    assert result["macro_f1"] >= 0.90, result["errors"]

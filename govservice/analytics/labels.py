"""Chinese names of the assistant's intents for the dashboard (knowledge_base/intent_labels.yml)."""

from __future__ import annotations

from functools import lru_cache
from typing import Dict

import yaml

from govservice.settings import current


@lru_cache(maxsize=1)
def intent_labels() -> Dict[str, str]:
    """Intent name -> its Chinese name, as staff read it."""
    path = current().knowledge_base / "intent_labels.yml"
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return {str(name): str(label) for name, label in (data.get("intents") or {}).items()}


def intent_label(name: str) -> str:
    """The Chinese name of ``name``; an intent without one keeps its own name, so it still shows."""
    return intent_labels().get(name, name)

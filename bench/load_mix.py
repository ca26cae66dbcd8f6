"""The citizen traffic mix of the production load test (issue 14): messages and conversation kinds.

Every message is written by citizens, not by the bench: catalog questions and follow-ups come from
the held-out NLU sets (``tests/nlu/holdout*.yml``, never ``tests/eval/``), FAQ questions from the
FAQ hold-out paraphrases. A worker of :mod:`bench.load_run` plays one conversation after another,
its kind taken in turn from :data:`KINDS`:

* ``catalog``: a question naming a service, a follow-up without one, thanks (REST);
* ``faq``: two FAQ questions (REST);
* ``login``: 我有哪些证照 → ID number → name → the SMS code → 我有哪些证照 again (the certificate
  query of a logged-in citizen);
* ``apply``: an application for 公积金账户查询 with the material uploaded (sender bound in the
  database, as ``bench/applications_bench.py`` does);
* ``wechat``: a catalog conversation as signed WeChat XML.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, Iterator, List, Tuple

import yaml

from bench.servers import ROOT

KINDS = ("catalog", "faq", "wechat", "catalog", "login", "faq", "catalog", "apply", "wechat", "catalog")
"""The order in which a worker picks conversation kinds (catalog questions are the most common)."""
HOLDOUTS = ("holdout.yml", "holdout_blind.yml", "holdout_window.yml")
CATALOG_INTENTS = frozenset(
    {"ask_materials", "ask_fee", "ask_process", "ask_conditions", "ask_time_limit", "ask_location", "ask_online"}
)
CLOSING_INTENTS = frozenset({"thanks", "goodbye"})
_ANNOTATION = re.compile(r"\[([^\]]+)\]\((?:[^)]*)\)|\[([^\]]+)\]\{[^}]*\}")


@dataclass(frozen=True)
class Messages:
    """Citizen-written messages by role in a conversation."""

    questions: Tuple[str, ...]
    """Catalog questions that name a service."""
    follow_ups: Tuple[str, ...]
    """Catalog questions about the service already discussed."""
    closings: Tuple[str, ...]
    faq: Tuple[str, ...]


@dataclass
class Citizen:
    """A demo citizen who can log in, and when they last asked for a code (one a minute)."""

    id_number: str
    name: str
    phone: str
    last_code: float = -1e9


@dataclass
class CitizenPool:
    """Demo citizens handed out so that no ID asks for a second SMS code within a minute."""

    citizens: List[Citizen] = field(default_factory=list)
    cooldown: float = 65.0
    _next: int = 0

    def take(self, now: float) -> Citizen | None:
        """The next citizen whose last code is older than the cooldown, or None when all are waiting."""
        for _ in range(len(self.citizens)):
            citizen = self.citizens[self._next % len(self.citizens)]
            self._next += 1
            if now - citizen.last_code >= self.cooldown:
                citizen.last_code = now
                return citizen
        return None


def plain_text(example: str) -> str:
    """An NLU example without its entity annotations: ``换[二代身份证](service)`` → ``换二代身份证``."""
    return _ANNOTATION.sub(lambda m: m.group(1) or m.group(2), example).strip()


def _examples(block: str) -> Iterator[str]:
    for line in block.splitlines():
        line = line.strip()
        if line.startswith("- "):
            yield line[2:].strip()


def nlu_messages(paths: List[Path]) -> Dict[str, List[str]]:
    """Raw examples (annotations kept) per intent, from Rasa NLU YAML files."""
    found: Dict[str, List[str]] = {}
    for path in paths:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for block in data.get("nlu") or []:
            if isinstance(block, dict) and "intent" in block:
                found.setdefault(str(block["intent"]), []).extend(_examples(str(block.get("examples", ""))))
    return found


def load_messages(root: Path = ROOT) -> Messages:
    """The mix's messages from the held-out NLU sets and the FAQ hold-out paraphrases."""
    by_intent = nlu_messages([root / "tests" / "nlu" / name for name in HOLDOUTS])
    questions: List[str] = []
    follow_ups: List[str] = []
    closings: List[str] = []
    for intent, examples in by_intent.items():
        for example in examples:
            if intent in CATALOG_INTENTS:
                (questions if "(service)" in example else follow_ups).append(plain_text(example))
            elif intent in CLOSING_INTENTS:
                closings.append(plain_text(example))
    faq_data = yaml.safe_load((root / "tests" / "faq" / "holdout_paraphrases.yml").read_text(encoding="utf-8"))
    faq = [str(p["text"]) for p in faq_data.get("paraphrases") or [] if p.get("text")]
    return Messages(tuple(questions), tuple(follow_ups), tuple(closings), tuple(faq))


def catalog_turns(messages: Messages, rng: random.Random) -> List[str]:
    """A catalog conversation: a question naming a service, a follow-up, then thanks or goodbye."""
    return [rng.choice(messages.questions), rng.choice(messages.follow_ups), rng.choice(messages.closings)]


def faq_turns(messages: Messages, rng: random.Random) -> List[str]:
    """An FAQ conversation: two questions."""
    return rng.sample(list(messages.faq), 2)


def kind_for(worker: int, sequence: int) -> str:
    """The kind of a worker's ``sequence``-th conversation: workers start at different places."""
    return KINDS[(worker + sequence) % len(KINDS)]

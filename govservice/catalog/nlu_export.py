"""Generate the jieba user dictionary and NLU lookup/synonyms from the catalog files.

The catalog is the only place where service names are maintained; this runs before
every training (``make train``), so the tokenizer, the lookup entity extractor and the
synonym mapper always agree with the catalog.
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path
from typing import Dict, Iterable, List

import yaml

from govservice.catalog.knowledge import KnowledgeBase, load_knowledge_base
from govservice.settings import ROOT

JIEBA_DIR = ROOT / "build" / "jieba_dict"
NLU_FILE = ROOT / "bot" / "nlu_data" / "generated_catalog.yml"
# A high frequency makes jieba keep these words whole, which keeps entity spans aligned.
WORD_FREQUENCY = 50000
_BRACKETS = re.compile(r"[《》〈〉“”\"'（）()【】]")



def write_if_changed(path: Path, text: str) -> bool:
    """Write ``text`` unless the file already holds it, so `make` does not retrain for nothing."""
    if path.exists() and path.read_text(encoding="utf-8") == text:
        return False
    path.write_text(text, encoding="utf-8")
    return True

def service_words(kb: KnowledgeBase) -> Dict[str, str]:
    """Map every name citizens may use for a service to its canonical entity value.

    Topic synonyms map to the topic name; item aliases map to the item name.
    """
    words: Dict[str, str] = {}
    for topic in kb.topics:
        for word in [topic["topic"], *topic["synonyms"]]:
            words.setdefault(word, topic["topic"])
    for item in kb.items:
        for word in [item["name"], *item.get("aliases", [])]:
            words.setdefault(word, item["name"])
    return words


def certificate_words(kb: KnowledgeBase) -> List[str]:
    """Certificate type names and their colloquial aliases (驾照, 户口本, ...)."""
    words = {name for cert in kb.certificate_types for name in [cert["name"], *cert.get("aliases", [])]}
    return sorted(words, key=lambda w: (-len(w), w))


def dictionary_words(kb: KnowledgeBase) -> List[str]:
    """Words for the jieba user dictionary: service and certificate names, variants, materials."""
    words = set(service_words(kb)) | set(certificate_words(kb))
    for item in kb.items:
        words.update(w for w in item.get("variant_keywords", []) if len(w) > 1)
        for material in item["materials"]:
            name = _BRACKETS.sub("", material["name"]).strip()
            if 1 < len(name) <= 12 and " " not in name:
                words.add(name)
    return sorted(words)


def nlu_document(kb: KnowledgeBase) -> Dict[str, object]:
    """Rasa NLU data: a ``service`` lookup table (longest first) and synonyms."""
    words = service_words(kb)
    # Python's regex alternation takes the first branch that matches, so longer names go first.
    lookup = sorted(words, key=lambda w: (-len(w), w))
    by_value: Dict[str, List[str]] = {}
    for word, value in words.items():
        if word != value:
            by_value.setdefault(value, []).append(word)
    nlu: List[Dict[str, str]] = [
        {"lookup": "service", "examples": _examples(lookup)},
        # No synonyms for certificates: actions map the typed word to a type themselves.
        {"lookup": "certificate", "examples": _examples(certificate_words(kb))},
    ]
    nlu.extend(
        {"synonym": value, "examples": _examples(sorted(synonyms))}
        for value, synonyms in sorted(by_value.items())
    )
    return {"version": "3.1", "nlu": nlu}


def _examples(values: Iterable[str]) -> str:
    return "".join(f"- {value}\n" for value in values)


class _BlockDumper(yaml.SafeDumper):
    """Dump multi-line strings as ``|`` blocks, the way Rasa data is written by hand."""


def _str_representer(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_BlockDumper.add_representer(str, _str_representer)


def write_all(kb: KnowledgeBase, jieba_dir: Path = JIEBA_DIR, nlu_file: Path = NLU_FILE) -> None:
    """Write the jieba dictionary folder and the generated NLU file."""
    jieba_dir.mkdir(parents=True, exist_ok=True)
    lines = [f"{word} {WORD_FREQUENCY} n\n" for word in dictionary_words(kb)]
    write_if_changed(jieba_dir / "userdict.txt", "".join(lines))
    header = "# 由 govservice.catalog.nlu_export 从 knowledge_base 生成，请勿手改。\n"
    body = yaml.dump(nlu_document(kb), Dumper=_BlockDumper, allow_unicode=True, sort_keys=False, width=1000)
    write_if_changed(nlu_file, header + body)


def main() -> None:
    """Command-line entry: ``python -m govservice.catalog.nlu_export``."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.parse_args()
    write_all(load_knowledge_base())


if __name__ == "__main__":
    main()

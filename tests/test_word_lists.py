"""No list of words outside the lexicon (issue 13, item 4).

The words that decide how a message is read live in knowledge_base/lexicon.yml, read by
govservice/catalog/lexicon.py. This test parses every Python file of the running system and fails on
a list, set or tuple literal holding two or more Chinese words: such a literal is a word list
kept beside the lexicon. Names from the catalog (certificate types, topics, items) are data,
not words, and are not counted.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Iterator, List, Set, Tuple

import yaml

ROOT = Path(__file__).resolve().parents[1]
CODE_DIRS = ("bot", "govservice", "connectors", "staff", "portal", "overrides", "scripts")
LEXICON_MODULE = ROOT / "govservice" / "catalog" / "lexicon.py"
CJK = re.compile(r"[\u4e00-\u9fff]")
MAX_WORD = 8
"""Longer strings are sentences (messages, labels), not words matched in a message."""
NOT_WORDS = {
    "govservice/demo_data.py": "synthetic demo people, companies and their certificates",
    "scripts/demo_traffic.py": "synthetic demo messages sent to the assistant, never matched in a message",
}
NOT_WORD_CONSTANTS = {
    ("govservice/certificates/library.py", "INACTIVE_STATUSES"): (
        "stored certificate statuses, never matched in a message"
    ),
    ("govservice/analytics/export.py", "CSV_HEADER"): "column headings of the dashboard's CSV export",
    # The province's export writes these exact values in its fields; they describe the record
    # format the importer reads, never how a citizen's message is read.
    ("govservice/catalog/import_fields.py", "_NONE_VALUES"): "empty-field markers of the published record format",
    ("govservice/catalog/import_fields.py", "_ON_THE_SPOT"): "time-limit values of the published record format",
    ("govservice/catalog/import_fields.py", "_NO_WINDOW"): "place values of the published record format",
}


def _catalog_names() -> Set[str]:
    """Certificate type names, topic names and item names: data the code refers to by name."""
    kb = ROOT / "knowledge_base"
    names: Set[str] = set()
    types = yaml.safe_load((kb / "certificate_types.yml").read_text(encoding="utf-8"))["certificate_types"]
    names.update(t["name"] for t in types)
    names.update(t["topic"] for t in yaml.safe_load((kb / "topics.yml").read_text(encoding="utf-8"))["topics"])
    for path in (kb / "catalog").glob("*.yml"):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        names.update(item["name"] for item in data.get("items", []) if isinstance(item, dict) and "name" in item)
    return names


def _unpacked(tree: ast.AST) -> Set[int]:
    """Ids of tuples that are unpacked into names (``FATHER, MOTHER = "父亲", "母亲"``): constants."""
    return {
        id(node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Tuple)
    }


def _allowed_constants(tree: ast.AST, relative: str) -> Set[int]:
    ids: Set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name):
            if (relative, node.targets[0].id) in NOT_WORD_CONSTANTS:
                # The literal may sit inside a call (frozenset({...})).
                ids.update(id(inner) for inner in ast.walk(node.value))
    return ids


def word_lists(source: str, relative: str, names: Set[str]) -> Iterator[Tuple[int, List[str]]]:
    """(line, words) of each collection literal in ``source`` (file ``relative``) holding two or more Chinese words."""
    tree = ast.parse(source)
    skip = _unpacked(tree) | _allowed_constants(tree, relative)
    for node in ast.walk(tree):
        if not isinstance(node, (ast.List, ast.Set, ast.Tuple)) or id(node) in skip:
            continue
        words = [
            e.value
            for e in node.elts
            if isinstance(e, ast.Constant)
            and isinstance(e.value, str)
            and CJK.search(e.value)
            and len(e.value) <= MAX_WORD
            and e.value not in names
        ]
        if len(words) >= 2:
            yield node.lineno, words


def _code_files() -> Iterator[Path]:
    for folder in CODE_DIRS:
        for path in sorted((ROOT / folder).rglob("*.py")):
            if path != LEXICON_MODULE and path.relative_to(ROOT).as_posix() not in NOT_WORDS:
                yield path


def test_no_word_list_outside_the_lexicon() -> None:
    """Every list of words in the code has moved to knowledge_base/lexicon.yml."""
    names = _catalog_names()
    found = []
    for path in _code_files():
        relative = path.relative_to(ROOT).as_posix()
        source = path.read_text(encoding="utf-8")
        found += [f"{relative}:{line}: {words}" for line, words in word_lists(source, relative, names)]
    assert not found, "word lists outside knowledge_base/lexicon.yml:\n" + "\n".join(found)


def test_the_check_finds_an_old_list() -> None:
    """The check itself works: the old inline stop list is reported; named constants and catalog names are not."""
    source = "\n".join(
        ['STOP_WORDS = ("不办", "算了", "取消")', 'FATHER, MOTHER = "父亲", "母亲"', 'TYPES = ("居民身份证", "居住证")']
    )
    assert list(word_lists(source, "sample.py", {"居民身份证", "居住证"})) == [(1, ["不办", "算了", "取消"])]


def test_only_the_lexicon_module_reads_the_lexicon_file() -> None:
    """One reader: no other code file names lexicon.yml."""
    readers = [
        path.relative_to(ROOT).as_posix()
        for path in _code_files()
        if "lexicon.yml" in path.read_text(encoding="utf-8")
    ]
    assert readers == []

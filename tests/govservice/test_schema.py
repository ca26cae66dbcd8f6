"""load_models(): every module that declares a table is imported, so migrations see every table."""

from __future__ import annotations

import re
from pathlib import Path

from govservice.schema import MODEL_MODULES, load_models

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("govservice", "staff", "bot", "connectors", "portal")


def _modules_declaring_tables() -> set:
    found = set()
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            if "migrations" in path.parts:
                continue  # the revisions' frozen copies are not models
            if re.search(r"^\s+__tablename__\s*=", path.read_text(encoding="utf-8"), re.M):
                found.add(".".join(path.relative_to(ROOT).with_suffix("").parts))
    return found


def test_every_module_with_a_table_is_loaded() -> None:
    assert _modules_declaring_tables() == set(MODEL_MODULES)


def test_the_metadata_holds_every_declared_table() -> None:
    declared = set()
    for module in MODEL_MODULES:
        path = ROOT / Path(*module.split(".")).with_suffix(".py")
        declared |= set(re.findall(r'__tablename__\s*=\s*"(\w+)"', path.read_text(encoding="utf-8")))
    assert set(load_models().tables) == declared and len(declared) >= 30

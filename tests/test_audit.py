"""`make audit`: pip-audit is pinned, and docs/security.md (pins we cannot lift, ignore list) is true."""

from __future__ import annotations

import re
import subprocess
from importlib.metadata import distribution, version
from pathlib import Path
from typing import Dict, List

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "security.md"
ADVISORY = re.compile(r"^(PYSEC|GHSA|CVE|OSV)-[A-Za-z0-9-]+$")


def _table(heading: str) -> List[List[str]]:
    """The body rows of the first table under ``## heading`` in docs/security.md."""
    section = DOC.read_text(encoding="utf-8").split(f"## {heading}\n", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("|")]
    return [[cell.strip().strip("`") for cell in row.strip("|").split("|")] for row in rows[2:]]


def test_pip_audit_is_pinned_with_all_its_dependencies() -> None:
    lines = [line.strip() for line in (ROOT / "requirements-audit.txt").read_text().splitlines()]
    requirements = [line for line in lines if line and not line.startswith("#")]
    assert [line for line in requirements if not re.fullmatch(r"[A-Za-z0-9_.-]+==[A-Za-z0-9_.+-]+", line)] == []
    assert "pip-audit" in {canonicalize_name(line.split("==")[0]) for line in requirements}
    assert re.search(r"^audit:.*\n\tscripts/audit\.sh$", (ROOT / "Makefile").read_text(), re.M)


def test_the_pins_we_cannot_lift_are_rasas_own() -> None:
    rasa: Dict[str, str] = {}
    for line in distribution("rasa").requires or []:
        requirement = Requirement(line)
        rasa[canonicalize_name(requirement.name)] = str(requirement.specifier)
    rows = _table("What can be upgraded")
    assert len(rows) >= 10
    for package, specifier, installed in rows:
        assert rasa[canonicalize_name(package)] == specifier, package
        assert version(package) == installed, package
        # The pin is a ceiling: rasa forbids anything newer than a bound we are at or below.
        assert any(op in specifier for op in ("<", "==")), package


def test_each_ignored_advisory_names_an_installed_package_and_a_reason() -> None:
    for advisory, package, installed, reason in _table("Ignore list"):
        assert ADVISORY.match(advisory), advisory
        assert version(package) == installed, f"{advisory}: {package} is no longer {installed}; drop the row"
        assert len(reason) >= 20, advisory


def test_the_audit_script_ignores_exactly_the_documented_advisories() -> None:
    printed = subprocess.run(
        ["bash", str(ROOT / "scripts" / "audit.sh"), "--ignored"], capture_output=True, text=True, check=True
    ).stdout.split()
    assert printed == [row[0] for row in _table("Ignore list")]

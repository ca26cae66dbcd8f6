"""The repository stands alone: no code, test or script reads a file outside it.

A clone anywhere else must pass ``make test``; the identity tests once read
the team folder's ``id_vectors.json`` (one level up) and stopped the unit stage on every other machine.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Iterator, List

ROOT = Path(__file__).resolve().parent.parent
# What .gitignore keeps out of a clone (and so out of the copy below).
NOT_IN_A_CLONE = {
    ".git", ".venv", "build", "models", "results", "var", "test-artifacts", ".rasa",
    "__pycache__", ".pytest_cache", ".mypy_cache", ".ruff_cache", ".hypothesis",
}
TEXT_SUFFIXES = {".py", ".sh", ".yml", ".yaml", ".md", ".json", ".js", ".html", ".css", ".toml", ".ini", ".in", ".txt"}
# A path leaving the repository: the team's folder one level up, or an absolute path of this machine.
# Its name is spelt in parts so that this detector is no reference to the folder itself.
TEAM = "sha" + "red"
UP = ".." + "/" + TEAM
QUOTED = rf"[\"']{TEAM}[\"']"
OUTSIDE = re.compile(re.escape(UP) + rf"|/\s*{QUOTED}|{QUOTED}\s*/|(?<![\w.:/-])/(?:work|home|root)/")


def _repository_files() -> Iterator[Path]:
    for path in sorted(ROOT.rglob("*")):
        relative = path.relative_to(ROOT)
        if path.is_file() and not NOT_IN_A_CLONE.intersection(relative.parts):
            yield path


def _text_files() -> Iterator[Path]:
    for path in _repository_files():
        if path.suffix in TEXT_SUFFIXES or path.name in {"Makefile", "run"}:
            yield path


def test_no_file_names_a_path_outside_the_repository() -> None:
    offenders: List[str] = []
    for path in _text_files():
        if path == Path(__file__).resolve():
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8", errors="ignore").splitlines(), 1):
            if OUTSIDE.search(line):
                offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()[:120]}")
    assert offenders == []


def test_the_pattern_catches_what_it_is_for() -> None:
    caught = [
        f'VECTORS_PATH = ROOT.parent / "{TEAM}" / "data" / "id_vectors.json"',
        f"see {UP}/data/README.md",
        f'Path("/work/{TEAM}/data/id_vectors.json")',
        "open('/home/user/data.json')",
    ]
    allowed = ['Path(__file__).with_name("id_vectors.json")', "http://localhost:5005/webhooks/rest", f"{TEAM}_location"]
    assert [line for line in caught if not OUTSIDE.search(line)] == []
    assert [line for line in allowed if OUTSIDE.search(line)] == []


def test_the_vector_tests_pass_in_a_copy_placed_elsewhere(tmp_path: Path) -> None:
    # The copy's parent holds nothing but the copy: a test reading ../anything fails there.
    copy = tmp_path / "elsewhere" / "repo"
    for path in _repository_files():
        target = copy / path.relative_to(ROOT)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)
    env = {key: value for key, value in os.environ.items() if key not in {"DATABASE_URL", "VAR_DIR"}}
    env["PYTHONPATH"] = str(copy)
    tests = ["tests/govservice/identity/test_id_numbers.py", "tests/connectors/test_wechat_protocol.py"]
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *tests],
        cwd=copy, env=env, capture_output=True, text=True, timeout=300,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    assert " passed" in run.stdout

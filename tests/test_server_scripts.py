"""Every script that starts a Rasa server does it through the door (``python -m overrides.serve``).

The production profile once started Rasa with its bare CLI, so none of overrides.install() ran
there: no hot-path patches (a Rasa turn cost 54-70 ms of CPU against 24 in `make run`), no log-record
factory, no WeChat fixes. Rasa's CLI stays fine for commands that start no server (data validate,
test, train).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import List

ROOT = Path(__file__).resolve().parents[1]
BARE_CLI = re.compile(r"(bin/rasa|\$\{?RASA\}?|\$\(RASA\))\s+(run|shell|interactive)\b")


def _bare_starts(text: str) -> List[str]:
    return [line.strip() for line in text.splitlines() if BARE_CLI.search(line)]


def test_no_script_starts_rasa_without_the_door() -> None:
    found = {str(path.relative_to(ROOT)): _bare_starts(path.read_text(encoding="utf-8"))
             for path in [*(ROOT / "scripts").glob("*.sh"), ROOT / "Makefile"]}
    assert {path: lines for path, lines in found.items() if lines} == {}


def test_the_scripts_that_start_rasa_name_the_door() -> None:
    for script in ("run.sh", "run_prod.sh"):
        assert "-m overrides.serve" in (ROOT / "scripts" / script).read_text(encoding="utf-8"), script


def test_the_check_sees_a_bare_start() -> None:
    assert _bare_starts('  start rasa "$i" $RASA run --model "$MODEL"') != []
    assert _bare_starts(".venv/bin/rasa shell --model m") != []
    assert _bare_starts("$V/rasa data validate --config config.yml") == []
    assert _bare_starts('  start rasa "$i" "${RASA[@]}" run --model "$MODEL"') == []

"""Fixtures of the fault tests (marker ``faults``, run by ``make faults``; docs/operations.md).

The tests start scripts/run_prod.sh once for the session (two Rasa servers, two action servers,
nginx, the profile's own Redis, PostgreSQL database ``faults_prod``, RabbitMQ queue
``faults_events``) unless ``FAULTS_ATTACH=1`` says one is already running with the same
environment. They run only when asked for with ``-m faults``: the other stages of make test
never start a profile or stop RabbitMQ.
"""

from __future__ import annotations

import os
from functools import partial
from typing import Any, Iterator

import pytest

from tests.faults.scenario import HEADER, RESULTS
from tests.faults.stack import ROOT, Stack, redis_ping, start_stack, stop_stack, wait_until

ROLES = ("rasa", "actions")


def pytest_collection_modifyitems(config: pytest.Config, items: list) -> None:
    """Mark every test here ``faults`` and skip them unless ``-m`` selects that marker."""
    wanted = "faults" in (config.getoption("markexpr") or "") and "not faults" not in config.getoption("markexpr")
    for item in items:
        if "tests/faults/" in str(item.fspath):
            item.add_marker(pytest.mark.faults)
            if not wanted:
                item.add_marker(pytest.mark.skip(reason="fault tests run with make faults (-m faults)"))


@pytest.fixture(scope="session")
def profile() -> Iterator[Stack]:
    """The production profile, started for this session (or attached to with FAULTS_ATTACH=1)."""
    if not os.environ.get("DATABASE_URL", "").startswith("postgresql"):
        pytest.skip("the fault tests need the profile's PostgreSQL DATABASE_URL: run make faults")
    log_path = ROOT / "results" / "faults-run_prod.log"
    log_path.parent.mkdir(exist_ok=True)
    with open(log_path, "w", encoding="utf-8") as log:
        stack, process = start_stack(log, attach=os.environ.get("FAULTS_ATTACH") == "1")
        try:
            yield stack
        finally:
            if process is not None:
                stop_stack(process)


@pytest.fixture()
def stack(profile: Stack) -> Stack:
    """The profile with every server answering again (a previous fault may have killed one)."""
    for role in ROLES:
        for index in range(int(os.environ.get("PROD_INSTANCES", "2"))):
            wait_until(partial(profile.healthy, role, index), 900, f"{role}-{index} answering")
    wait_until(partial(redis_ping, profile.redis_port), 60, "redis answering")
    return profile


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """The table of all faults run: recovery seconds and what the citizens and stores saw."""
    if not RESULTS:
        return
    terminalreporter.section("faults: recovery and losses")
    terminalreporter.write_line(HEADER)
    for report in RESULTS:
        terminalreporter.write_line(report.line())
    terminalreporter.write_line(
        "recover s: fault injected -> first normal reply on a fresh conversation; restore s: fault injected -> "
        "the failed server answering again; ok/busy/bad: citizen turns; lost: answered turns missing from "
        "the tracker; apps: confirmed applications found exactly once / confirmed"
    )

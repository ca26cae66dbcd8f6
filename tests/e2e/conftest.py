"""Browser tests: headless Debian Chromium driven by Playwright (``scripts/setup_browser.sh`` installs both)."""

from __future__ import annotations

import pytest


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "e2e: drives a real browser (scripts/setup_browser.sh)")

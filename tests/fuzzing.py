"""Example counts for property and fuzz tests (the profiles are registered in tests/conftest.py)."""

from __future__ import annotations

from hypothesis import settings


def fuzz_examples(divisor: int = 1, minimum: int = 10) -> int:
    """The loaded profile's example count divided by ``divisor``, for tests that are slow per example."""
    return max(minimum, settings().max_examples // divisor)

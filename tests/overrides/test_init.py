"""overrides.install(): the pinned Rasa only, once, and nothing at all when switched off."""

from __future__ import annotations

import logging
import re
from pathlib import Path

import pytest
from rasa import version

import overrides
from govservice.settings import reload as reload_settings
from tests.overrides.conftest import PATCHED, is_patched

ROOT = Path(__file__).resolve().parents[2]


def test_the_pin_is_read_from_requirements_and_matches_the_constraints() -> None:
    pinned = overrides.pinned_rasa_version()
    assert pinned == "3.6.21"
    constraints = (ROOT / "constraints.txt").read_text(encoding="utf-8")
    assert re.search(rf"^rasa=={re.escape(pinned)}$", constraints, re.MULTILINE)
    assert overrides.installed_rasa_version() == pinned  # this venv runs the pinned Rasa


def test_install_patches_every_hot_path_and_the_log_factory(pristine: None) -> None:
    assert not any(is_patched(cls, name) for cls, name in PATCHED)
    assert overrides.install() == ("hot_paths", "log_records")
    assert all(is_patched(cls, name) for cls, name in PATCHED)
    assert hasattr(logging.getLogRecordFactory(), "__wrapped__")


def test_install_is_idempotent(pristine: None) -> None:
    overrides.install()
    first = [vars(cls)[name] for cls, name in PATCHED]
    factory = logging.getLogRecordFactory()
    assert overrides.install() == ("hot_paths", "log_records")
    assert [vars(cls)[name] for cls, name in PATCHED] == first
    assert logging.getLogRecordFactory() is factory
    wrapped = factory.__wrapped__  # type: ignore[attr-defined]
    assert not hasattr(wrapped, "__wrapped__")  # wrapped once, not twice


def test_outside_the_rasa_server_only_the_log_factory_is_installed(pristine: None) -> None:
    assert overrides.install(rasa_server=False) == ("log_records",)
    assert not any(is_patched(cls, name) for cls, name in PATCHED)
    assert hasattr(logging.getLogRecordFactory(), "__wrapped__")


@pytest.mark.parametrize("running", ["3.6.20", "3.7.0", "3.6.21rc1"])
def test_another_rasa_version_is_refused_and_nothing_is_patched(
    pristine: None, monkeypatch: pytest.MonkeyPatch, running: str
) -> None:
    monkeypatch.setattr(version, "__version__", running)
    with pytest.raises(overrides.OverridesRefused) as refused:
        overrides.install()
    message = str(refused.value.code)
    assert running in message and "3.6.21" in message and "RASA_OVERRIDES=off" in message
    assert isinstance(refused.value, SystemExit)
    assert not any(is_patched(cls, name) for cls, name in PATCHED)
    assert not hasattr(logging.getLogRecordFactory(), "__wrapped__")


@pytest.mark.parametrize("value", ["off", "OFF", " off "])
def test_switched_off_nothing_is_patched_on_any_version(
    pristine: None, monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv(overrides.SWITCH, value)
    reload_settings()
    monkeypatch.setattr(version, "__version__", "3.7.0")
    assert overrides.install() == ()
    assert not overrides.enabled()
    assert not any(is_patched(cls, name) for cls, name in PATCHED)
    assert not hasattr(logging.getLogRecordFactory(), "__wrapped__")


@pytest.mark.parametrize("value", ["on", "ON", ""])
def test_on_is_the_default(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv(overrides.SWITCH, value)
    reload_settings()
    assert overrides.enabled()


@pytest.mark.parametrize("value", ["no", "0", "false", "disabled"])
def test_an_unknown_switch_value_is_refused_with_a_message(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv(overrides.SWITCH, value)
    reload_settings()
    with pytest.raises(overrides.OverridesRefused) as refused:
        overrides.install()
    assert "RASA_OVERRIDES" in str(refused.value.code) and "on 或 off" in str(refused.value.code)


def test_a_missing_pin_is_refused(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    requirements = tmp_path / "requirements.in"
    requirements.write_text("rasa-sdk==3.6.2\n", encoding="utf-8")
    monkeypatch.setattr(overrides, "REQUIREMENTS", requirements)
    overrides.pinned_rasa_version.cache_clear()
    try:
        with pytest.raises(overrides.OverridesRefused, match="rasa=="):
            overrides.pinned_rasa_version()
    finally:
        overrides.pinned_rasa_version.cache_clear()

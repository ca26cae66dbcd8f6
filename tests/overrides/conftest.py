"""A process without the door: Rasa's own hot paths and the standard log-record factory, restored after."""

from __future__ import annotations

import logging
from typing import Any, Iterator, List, Tuple

import pytest
from rasa.core.actions.action import RemoteAction
from rasa.engine.graph import GraphSchema
from rasa.shared.core.events import Event

import overrides
from govservice.settings import reload as reload_settings

PATCHED: List[Tuple[type, str]] = [
    (Event, "resolve_by_type"),
    (RemoteAction, "_validate_action_result"),
    (GraphSchema, "minimal_graph_schema"),
]


def _unwrapped(raw: Any) -> Any:
    """The library's own attribute behind any replacement (``__wrapped__``), in its descriptor."""
    function = raw.__func__ if isinstance(raw, staticmethod) else raw
    while hasattr(function, "__wrapped__"):
        function = function.__wrapped__
    return staticmethod(function) if isinstance(raw, staticmethod) else function


@pytest.fixture()
def pristine(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Rasa and logging as shipped for one test, whatever earlier tests installed; then as before."""
    saved = [(cls, name, vars(cls)[name]) for cls, name in PATCHED]
    factory = logging.getLogRecordFactory()
    installed = set(overrides._installed)
    filters = {handler: list(handler.filters) for handler in logging.getLogger().handlers}
    monkeypatch.delenv(overrides.SWITCH, raising=False)
    reload_settings()
    for cls, name, raw in saved:
        setattr(cls, name, _unwrapped(raw))
    logging.setLogRecordFactory(_unwrapped(factory))
    overrides._installed.clear()
    try:
        yield
    finally:
        for cls, name, raw in saved:
            setattr(cls, name, raw)
        logging.setLogRecordFactory(factory)
        for handler, kept in filters.items():
            handler.filters = kept
        overrides._installed.clear()
        overrides._installed.update(installed)


def is_patched(cls: type, name: str) -> bool:
    """Whether ``cls.name`` is a replacement installed by the door."""
    raw = vars(cls)[name]
    function = raw.__func__ if isinstance(raw, staticmethod) else raw
    return hasattr(function, "__wrapped__")

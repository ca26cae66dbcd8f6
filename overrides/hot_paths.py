"""Measured fixes for three hot paths of Rasa 3.6, installed once in the Rasa server process.

Profiling the server under 32 concurrent conversations (py-spy, bench/README.md) showed:

* ``Event.resolve_by_type`` walks the whole ``Event`` class tree (``all_subclasses``) for every
  event it deserialises: over a third of the CPU, growing with each turn of a conversation.
* ``RemoteAction._validate_action_result`` calls ``jsonschema.validate``, which re-checks the
  constant response schema against the JSON-Schema meta-schema on every action call (60 % of
  the CPU in turns that call the action server), then tries every event against all 23 event
  schemas (another 10 %).
* ``GraphSchema.minimal_graph_schema`` walks the model graph recursively, without memo, on every
  graph run (twice a turn and more): about 6 % of the CPU, for a result that never changes
  while a model is loaded.

All replacements give the same results and raise the same errors. :func:`overrides.install`
installs them at the start of the Rasa server (``python -m overrides.serve``).
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Tuple, Type

from rasa.core.actions.action import RemoteAction
from rasa.engine.graph import GraphSchema
from rasa.shared.core.events import Event

_MARK = "_govservice_patched"


def install_event_type_cache() -> None:
    """Resolve serialized event names through a dict instead of a class-tree walk."""
    if getattr(Event.resolve_by_type, _MARK, False):
        return
    original = Event.resolve_by_type
    cache: Dict[str, Type[Event]] = {}

    def resolve_by_type(type_name: str, default: Optional[Type[Event]] = None) -> Optional[Type[Event]]:
        found = cache.get(type_name)
        if found is None:
            found = original(type_name, default)
            if found is not None and found is not default:
                cache[type_name] = found
        return found

    setattr(resolve_by_type, _MARK, True)
    resolve_by_type.__wrapped__ = original  # type: ignore[attr-defined]  # Rasa's own, for the tests
    Event.resolve_by_type = staticmethod(resolve_by_type)  # type: ignore[assignment]


class ResponseCheck:
    """Rasa's action-response schema, with each event checked against its own ``oneOf`` branch.

    Every branch of the events' ``oneOf`` pins ``event`` to a different constant, so an event
    satisfies exactly one branch if and only if it satisfies the branch of its own name. Checking
    that branch alone gives the same verdict as ``jsonschema.validate`` at a fraction of the cost
    (trying all 23 branches was 10 % of the CPU in action turns, even with the validator built once).
    """

    def __init__(self, schema: Dict[str, Any]) -> None:
        """Split ``schema``; raises ValueError when it does not have the expected shape."""
        from jsonschema.validators import validator_for

        def build(part: Dict[str, Any]) -> Any:
            return validator_for(schema)(part)

        items = schema["properties"]["events"]["items"]
        shell = {**schema, "properties": {**schema["properties"], "events": {"type": "array"}}}
        self._shell = build(shell)
        self._item = build({key: value for key, value in items.items() if key != "oneOf"})
        self._branches: Dict[str, Any] = {}
        for branch in items["oneOf"]:
            name = branch.get("properties", {}).get("event", {}).get("const")
            if not isinstance(name, str) or name in self._branches:
                raise ValueError("an events branch without its own constant event name")
            self._branches[name] = build(branch)

    def is_valid(self, result: Any) -> bool:
        """True when ``result`` satisfies the whole schema."""
        if not self._shell.is_valid(result):
            return False
        for event in result.get("events") or []:
            if not self._item.is_valid(event):
                return False
            branch = self._branches.get(event["event"])
            if branch is None or not branch.is_valid(event):
                return False
        return True


def install_fast_action_validation() -> None:
    """Validate action-server responses with :class:`ResponseCheck`; Rasa's check reports failures."""
    if getattr(RemoteAction._validate_action_result, _MARK, False):
        return
    check = ResponseCheck(RemoteAction.action_response_format_spec())
    original = RemoteAction._validate_action_result

    def validate_action_result(self: RemoteAction, result: Dict[str, Any]) -> bool:
        try:
            if check.is_valid(result):
                return True
        except Exception:  # anything unexpected: let Rasa's own check decide
            pass
        # Rasa's path raises the most relevant error and appends its advice; keep that message.
        return original(self, result)

    setattr(validate_action_result, _MARK, True)
    validate_action_result.__wrapped__ = original  # type: ignore[attr-defined]
    RemoteAction._validate_action_result = validate_action_result  # type: ignore[assignment]


def install_graph_schema_cache() -> None:
    """Remember each schema's minimal sub-schema per target list (a loaded schema is not changed)."""
    if getattr(GraphSchema.minimal_graph_schema, _MARK, False):
        return
    original = GraphSchema.minimal_graph_schema

    def minimal_graph_schema(self: GraphSchema, targets: Optional[List[str]] = None) -> GraphSchema:
        cache: Dict[Optional[Tuple[str, ...]], GraphSchema] = self.__dict__.setdefault("_govservice_minimal", {})
        key = tuple(targets) if targets else None
        found = cache.get(key)
        if found is None:
            found = cache[key] = original(self, targets)
        return found

    setattr(minimal_graph_schema, _MARK, True)
    minimal_graph_schema.__wrapped__ = original  # type: ignore[attr-defined]
    GraphSchema.minimal_graph_schema = minimal_graph_schema  # type: ignore[method-assign]


def install_hot_paths() -> None:
    """Install every fix; safe to call more than once."""
    install_event_type_cache()
    install_fast_action_validation()
    install_graph_schema_cache()

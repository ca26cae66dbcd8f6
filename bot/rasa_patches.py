"""Measured fixes for two hot paths of Rasa 3.6, installed once in the Rasa server process.

Profiling the server under 32 concurrent conversations (py-spy, bench/README.md) showed:

* ``Event.resolve_by_type`` walks the whole ``Event`` class tree (``all_subclasses``) for every
  event it deserialises: over a third of the CPU, growing with each turn of a conversation.
* ``RemoteAction._validate_action_result`` calls ``jsonschema.validate``, which re-checks the
  constant response schema against the JSON-Schema meta-schema on every action call: 60 % of
  the CPU in turns that call the action server.

Both replacements give the same results and raise the same errors. They are installed by
:class:`bot.tracker_store.RedactingTrackerStore`, the project's hook in the server process.
"""

from __future__ import annotations

from typing import Any, Dict, Optional, Type

from rasa.core.actions.action import RemoteAction
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
    Event.resolve_by_type = staticmethod(resolve_by_type)  # type: ignore[assignment]


def install_fast_action_validation() -> None:
    """Validate action-server responses with one validator built once from the constant schema."""
    if getattr(RemoteAction._validate_action_result, _MARK, False):
        return
    from jsonschema.validators import validator_for

    schema = RemoteAction.action_response_format_spec()
    validator = validator_for(schema)(schema)
    original = RemoteAction._validate_action_result

    def validate_action_result(self: RemoteAction, result: Dict[str, Any]) -> bool:
        try:
            error = next(iter(validator.iter_errors(result)), None)
        except Exception:  # anything unexpected: let Rasa's own check decide
            return original(self, result)
        if error is None:
            return True
        # Rasa's path raises the most relevant error and appends its advice; keep that message.
        return original(self, result)

    setattr(validate_action_result, _MARK, True)
    RemoteAction._validate_action_result = validate_action_result  # type: ignore[assignment]


def install_rasa_patches() -> None:
    """Install every fix; safe to call more than once."""
    install_event_type_cache()
    install_fast_action_validation()

"""The hot-path replacements behave exactly like Rasa's originals."""

from __future__ import annotations

import pytest
from jsonschema import ValidationError
from rasa.core.actions.action import RemoteAction
from rasa.shared.core.events import Event, SlotSet, UserUttered
from rasa.utils.endpoints import EndpointConfig

from bot.rasa_patches import install_rasa_patches


@pytest.fixture(scope="module", autouse=True)
def patched() -> None:
    install_rasa_patches()
    install_rasa_patches()  # idempotent


def test_event_types_resolve_like_rasa() -> None:
    assert Event.resolve_by_type("user") is UserUttered
    assert Event.resolve_by_type("slot") is SlotSet
    assert Event.resolve_by_type("nonexistent", default=SlotSet) is SlotSet
    with pytest.raises(ValueError):
        Event.resolve_by_type("nonexistent")


def test_a_valid_action_response_passes() -> None:
    action = RemoteAction("action_answer_service", EndpointConfig("http://localhost:1/webhook"))
    result = {"events": [{"event": "slot", "name": "service_item", "value": "id_card_lost"}],
              "responses": [{"text": "您好"}]}
    assert action._validate_action_result(result) is True


def test_an_invalid_action_response_raises_rasas_error() -> None:
    action = RemoteAction("action_answer_service", EndpointConfig("http://localhost:1/webhook"))
    with pytest.raises(ValidationError) as error:
        action._validate_action_result({"events": [{"event": 3}], "responses": "not a list"})
    assert "Failed to validate Action server response" in error.value.message

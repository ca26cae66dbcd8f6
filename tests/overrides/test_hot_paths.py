"""The hot-path replacements behave exactly like Rasa's originals (each kept as ``__wrapped__``)."""

from __future__ import annotations

import pytest
from jsonschema import ValidationError, validate
from rasa.core.actions.action import RemoteAction
from rasa.engine.graph import GraphSchema, SchemaNode
from rasa.shared.core.events import (
    ActionExecuted,
    ActionReverted,
    ActiveLoop,
    AllSlotsReset,
    BotUttered,
    ConversationPaused,
    ConversationResumed,
    Event,
    FollowupAction,
    Restarted,
    SessionStarted,
    SlotSet,
    UserUtteranceReverted,
    UserUttered,
)
from rasa.shared.utils.common import all_subclasses
from rasa.utils.endpoints import EndpointConfig

from overrides.hot_paths import ResponseCheck, install_hot_paths


@pytest.fixture(scope="module", autouse=True)
def patched() -> None:
    install_hot_paths()
    install_hot_paths()  # idempotent


def test_every_event_type_resolves_to_rasas_class() -> None:
    rasas = Event.resolve_by_type.__wrapped__  # type: ignore[attr-defined]
    names = {cls.type_name for cls in all_subclasses(Event)} | {"nonexistent"}
    for name in sorted(names):
        for _ in range(2):  # the second lookup comes from the cache
            assert Event.resolve_by_type(name, default=SlotSet) is rasas(name, default=SlotSet)


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
    bad = {"events": [{"event": 3}], "responses": "not a list"}
    with pytest.raises(ValidationError) as error:
        action._validate_action_result(bad)
    assert "Failed to validate Action server response" in error.value.message
    with pytest.raises(ValidationError) as rasas:
        RemoteAction._validate_action_result.__wrapped__(action, bad)  # type: ignore[attr-defined]
    assert rasas.value.message == error.value.message


def _schema() -> GraphSchema:
    def node(*needs: str) -> SchemaNode:
        return SchemaNode(needs={f"i{n}": n for n in needs}, uses=Event, constructor_name="create", fn="f", config={})

    return GraphSchema({"a": node(), "b": node("a"), "c": node("a", "b"), "unused": node("a")})


@pytest.mark.parametrize("targets", [None, [], ["a"], ["b"], ["c"], ["c", "unused"], ["unused", "c"]])
def test_the_minimal_schema_equals_rasas(targets: list | None) -> None:
    rasas = GraphSchema.minimal_graph_schema.__wrapped__  # type: ignore[attr-defined]
    ours = _schema().minimal_graph_schema(targets)
    assert ours.as_dict() == rasas(_schema(), targets).as_dict()


def test_the_minimal_schema_is_rasas_and_is_computed_once_per_target_list() -> None:
    schema = _schema()
    first = schema.minimal_graph_schema(["c"])
    assert set(first.nodes) == {"a", "b", "c"}
    assert schema.minimal_graph_schema(["c"]) is first
    assert set(schema.minimal_graph_schema(["b"]).nodes) == {"a", "b"}
    assert set(_schema().minimal_graph_schema(["c"]).nodes) == {"a", "b", "c"}


VALID_EVENTS = [
    SlotSet("login_name", "张*").as_dict(),
    SlotSet("pending", None).as_dict(),
    UserUttered("身份证丢了", {"intent": {"name": "ask_materials", "confidence": 0.9}, "entities": []}).as_dict(),
    ActionExecuted("action_listen").as_dict(),
    BotUttered("您好", {"buttons": [{"title": "是", "payload": "/affirm"}]}).as_dict(),
    ActiveLoop("login_form").as_dict(),
    ActiveLoop(None).as_dict(),
    FollowupAction("login_form").as_dict(),
    SessionStarted().as_dict(),
    Restarted().as_dict(),
    ConversationPaused().as_dict(),
    ConversationResumed().as_dict(),
    AllSlotsReset().as_dict(),
    UserUtteranceReverted().as_dict(),
    ActionReverted().as_dict(),
]
INVALID_EVENTS = [
    {"event": "no_such_event"},
    {"event": 3},
    {"name": "slot_without_event"},
    {"event": "slot", "name": "x", "value": 1, "timestamp": "yesterday"},
    {"event": "action", "name": 5},
    "not an object",
]


@pytest.mark.parametrize(
    "result",
    [
        {"events": VALID_EVENTS, "responses": [{"text": "您好"}]},
        {"events": [], "responses": []},
        {},
        *({"events": [*VALID_EVENTS[:2], bad], "responses": []} for bad in INVALID_EVENTS),
        {"events": None, "responses": []},
        {"events": VALID_EVENTS, "responses": "not a list"},
        {"events": VALID_EVENTS, "responses": ["not an object"]},
        [],
    ],
)
def test_the_response_check_agrees_with_jsonschema(result: object) -> None:
    schema = RemoteAction.action_response_format_spec()
    try:
        validate(result, schema)
        expected = True
    except ValidationError:
        expected = False
    assert ResponseCheck(schema).is_valid(result) is expected


def test_the_minimal_schema_of_the_real_prediction_graph_equals_rasas() -> None:
    from rasa.engine.recipes.recipe import Recipe
    from rasa.shared.utils.io import read_config_file

    config = read_config_file("config.yml")
    graph = Recipe.recipe_for_name(config.get("recipe")).graph_config_for_recipe(config, {})
    schema = graph.predict_schema
    rasas = GraphSchema.minimal_graph_schema.__wrapped__  # type: ignore[attr-defined]
    for targets in (None, [graph.core_target], [graph.nlu_target], [graph.core_target, graph.nlu_target]):
        assert schema.minimal_graph_schema(targets).as_dict() == rasas(schema, targets).as_dict()
        assert schema.minimal_graph_schema(targets) is schema.minimal_graph_schema(targets)

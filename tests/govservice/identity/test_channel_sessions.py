"""Session tokens: a token that never reached its client may be issued again; confirmations are cached.

The REST channel's own rules (a token per conversation, an idle conversation's new token ends the
login left on it) are tested through the channel in tests/connectors/test_rest.py.
"""

from __future__ import annotations

import uuid
from typing import Any, Iterator, List

import pytest
from sqlalchemy import event
from sqlalchemy.engine import Engine

from govservice.db import session_scope
from govservice.identity import channel_sessions
from govservice.identity.channel_sessions import CONFIRMED, ISSUED, REFUSED, admit, hand_over
from govservice.identity.models import Binding
from tests.actions.test_applications import bind


@pytest.fixture(autouse=True)
def _no_cached_confirmations() -> Iterator[None]:
    channel_sessions.forget_confirmed()
    yield
    channel_sessions.forget_confirmed()


def _sender() -> str:
    return f"cs-{uuid.uuid4().hex}"


def test_a_token_that_never_reached_its_client_is_issued_again_to_a_message_without_one(catalog: Any) -> None:
    sender = _sender()
    lost = admit("rest", sender, None)  # its server died before the reply went out
    assert lost.status == ISSUED
    assert admit("rest", sender, "a-guess-" + "x" * 40).status == REFUSED  # a wrong token is still refused
    again = admit("rest", sender, None)
    assert again.status == ISSUED and again.token != lost.token
    assert admit("rest", sender, lost.token).status == REFUSED  # the lost token is dead
    assert admit("rest", sender, again.token).status == CONFIRMED


def test_a_token_handed_over_is_never_issued_again_while_live(catalog: Any) -> None:
    sender = _sender()
    issued = admit("rest", sender, None)
    assert issued.token is not None
    hand_over("rest", sender, issued.token)
    assert admit("rest", sender, None).status == REFUSED
    assert admit("rest", sender, issued.token).status == CONFIRMED


def test_a_confirmed_token_is_handed_over_even_if_the_hand_over_was_not_recorded(catalog: Any) -> None:
    sender = _sender()
    issued = admit("rest", sender, None)
    assert admit("rest", sender, issued.token).status == CONFIRMED  # the client had it after all
    channel_sessions.forget_confirmed()
    assert admit("rest", sender, None).status == REFUSED


def test_hand_over_of_another_token_changes_nothing(catalog: Any) -> None:
    sender = _sender()
    admit("rest", sender, None)
    hand_over("rest", sender, "not-the-token")
    assert admit("rest", sender, None).status == ISSUED


def test_a_login_can_never_be_inherited_through_a_reissue(catalog: Any) -> None:
    sender = _sender()
    issued = admit("rest", sender, None)
    bind(sender)  # cannot happen before a second turn; if it ever did, a reissue ends it
    assert admit("rest", sender, None).status == ISSUED
    with session_scope() as session:
        assert session.get(Binding, ("rest", sender)) is None
    assert admit("rest", sender, issued.token).status == REFUSED


def test_a_confirmed_token_is_admitted_again_without_the_database(catalog: Any) -> None:
    sender = _sender()
    token = admit("rest", sender, None).token
    assert admit("rest", sender, token).status == CONFIRMED
    seen: List[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        seen.append(statement)

    # On the class: a future Session runs on a facade of the engine, not the object get_engine returns.
    event.listen(Engine, "before_cursor_execute", record)
    try:
        for _ in range(3):
            assert admit("rest", sender, token).status == CONFIRMED
        assert seen == []
        assert admit("rest", sender, "wrong-" + "y" * 40).status == REFUSED  # a wrong token is checked
    finally:
        event.remove(Engine, "before_cursor_execute", record)
    assert any("channel_sessions" in statement for statement in seen)


def test_a_token_issued_as_handed_over_is_never_issued_again(catalog: Any) -> None:
    sender = _sender()
    issued = admit("socketio", sender, None, handed_over=True)  # the socket.io channel's way
    assert issued.status == ISSUED
    assert admit("socketio", sender, None).status == REFUSED
    assert admit("socketio", sender, issued.token).status == CONFIRMED

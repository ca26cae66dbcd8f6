"""The trained assistant in one process: Rasa's agent, the redacting tracker store, our actions.

The action server's executor (``rasa_sdk``) runs the actions of ``bot.actions`` in the test
process instead of behind HTTP; everything else is what ``make run`` runs: the trained model, the
processor, the redacting tracker store (over an in-memory store, which keeps each tracker as
the JSON a SQL or Redis store would) and the back office on the test database.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any, Dict, List, Optional

from rasa.core.agent import Agent
from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.tracker_store import InMemoryTrackerStore
from rasa.utils.endpoints import ClientResponseError, EndpointConfig
from rasa_sdk.executor import ActionExecutor
from rasa_sdk.interfaces import ActionExecutionRejection, ActionNotFoundException

from bot.tracker_store import RedactingTrackerStore

MODEL = Path(__file__).resolve().parents[2] / "models" / "current.tar.gz"
CHANNEL = "rest"


class InProcessActionServer(EndpointConfig):
    """An action endpoint that hands the call to ``rasa_sdk``'s executor, as its webhook does."""

    def __init__(self) -> None:
        super().__init__(url="in-process://actions/webhook")
        self.executor = ActionExecutor()
        self.executor.register_package("bot.actions")

    async def request(self, method: str = "post", subpath: Optional[str] = None, **kwargs: Any) -> Any:
        """Run the action; a rejection or an unknown action answers as the webhook would (400/404)."""
        call = kwargs["json"]
        try:
            return await self.executor.run(call)
        except ActionExecutionRejection as error:
            body = json.dumps({"error": error.message, "action_name": error.action_name})
            raise ClientResponseError(400, "rejected", body) from error
        except ActionNotFoundException as error:
            raise ClientResponseError(404, "not found", json.dumps({"error": error.message})) from error


class Assistant:
    """Talks to the in-process agent and reads what its tracker store persisted."""

    def __init__(self, loop: asyncio.AbstractEventLoop, store: Optional[RedactingTrackerStore] = None) -> None:
        """Load the trained model with the in-process actions and the redacting store (in-memory by default)."""
        self.loop = loop
        self.store = store or RedactingTrackerStore()
        self.agent = Agent.load(str(MODEL), tracker_store=self.store, action_endpoint=InProcessActionServer())
        # Rasa wraps the store in a FailSafeTrackerStore, which would log a failed save or load
        # and go on with an empty tracker: here every such error is kept for the test to see.
        self.store_errors: List[Exception] = []
        self.agent.tracker_store.on_tracker_store_error = self.store_errors.append  # type: ignore[method-assign]

    def say(self, sender: str, text: str) -> List[Dict[str, Any]]:
        """One turn; the bot's messages. Exceptions of the processor propagate."""
        output = CollectingOutputChannel()
        message = UserMessage(text, output, sender, input_channel=CHANNEL)
        self.loop.run_until_complete(self.agent.handle_message(message))
        return output.messages

    def stored_json(self, sender: str) -> Dict[str, Any]:
        """The tracker exactly as the wrapped store keeps it."""
        inner = self.store.inner
        assert isinstance(inner, InMemoryTrackerStore)
        serialised = inner.store[sender]
        return json.loads(serialised)

    def retrieve(self, sender: str) -> Any:
        """The tracker as the next turn gets it."""
        return self.loop.run_until_complete(self.store.retrieve(sender))

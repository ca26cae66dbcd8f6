"""What the REST and socket.io channel tests run against: Rasa's turn stubbed, its tracker store real.

:class:`StubBot` stands in for ``agent.handle_message`` (no model): it logs the message in a real
``InMemoryTrackerStore`` as Rasa does, answers through the channel's output channel, pauses on
"转人工" (``ConversationPaused``, as bot/actions/handoff.py) and stays silent while paused, as
Rasa's processor does. :class:`HitCounter` is a local HTTP server that counts requests, to prove
a URL a client sent is never fetched.
"""

from __future__ import annotations

import http.server
import threading
from types import SimpleNamespace
from typing import Any, List

from rasa.core.channels.channel import UserMessage
from rasa.core.tracker_store import InMemoryTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import BotUttered, ConversationPaused, UserUttered
from sanic import Sanic

QUEUED_TEXT = "已为您转接人工客服"


class StubBot:
    """``on_new_message`` of a channel, with Rasa's pause behaviour and a real tracker store."""

    def __init__(self) -> None:
        self.received: List[UserMessage] = []
        self.store = InMemoryTrackerStore(Domain.empty())

    def attach(self, app: Sanic) -> None:
        """Make the store reachable as Rasa's is: ``app.ctx.agent.tracker_store``."""
        app.ctx.agent = self.app_agent = SimpleNamespace(tracker_store=self.store)

    async def __call__(self, message: UserMessage) -> None:
        self.received.append(message)
        if message.text == "boom":
            raise RuntimeError("turn failed")
        tracker = await self.store.get_or_create_tracker(message.sender_id)
        tracker.update(UserUttered(message.text, metadata=message.metadata))
        if not tracker.is_paused():
            text = QUEUED_TEXT if message.text == "转人工" else f"收到：{message.text}"
            assert message.output_channel is not None
            await message.output_channel.send_text_message(message.sender_id, text)
            tracker.update(BotUttered(text))
            if message.text == "转人工":
                tracker.update(ConversationPaused())
        await self.store.save(tracker)

    async def agent_says(self, sender: str, text: str) -> None:
        """An agent's words appended from the console (staff/console/rasa_client.py marks them)."""
        tracker = await self.store.get_or_create_tracker(sender)
        tracker.update(BotUttered(text, metadata={"handoff_agent": "王客服"}))
        await self.store.save(tracker)


class HitCounter:
    """A local HTTP server that counts every request it gets."""

    def __init__(self) -> None:
        self.hits = 0
        counter = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
                counter.hits += 1
                self.send_response(200)
                self.send_header("Content-Type", "image/png")
                self.end_headers()
                self.wfile.write(b"\x89PNG\r\n\x1a\n" + b"\x00" * 32)

            def log_message(self, *_: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/secret.png"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        """Stop serving."""
        self.server.shutdown()
        self.server.server_close()

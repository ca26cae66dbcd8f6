"""The console's calls to Rasa's conversations API, for the human handoff.

Through the one Rasa client (:mod:`govservice.settings.rasa`: ``RASA_URL``, default
http://localhost:5005, and ``RASA_TOKEN``, Rasa's ``--auth-token`` sent as ``?token=``), as the
notification sender does.

- transcript: ``GET /conversations/{id}/tracker`` (the tracker store already redacted it, and adds
  the archived history of a long conversation: bot/tracker_store.py);
- agent messages, pause and hand-back: ``POST /conversations/{id}/tracker/events`` with
  ``output_channel=<channel>&execute_side_effects=true``. Rasa appends the events and sends every
  ``bot`` event through that channel's output channel when the channel has one (socket.io,
  WeChat customer-service messages). The REST channel has none: the message is only stored in the
  tracker, and a REST client sees it by reading the tracker; REST cannot push.
"""

from __future__ import annotations

import asyncio
import json
import urllib.error
import urllib.request
from functools import partial
from typing import Any, Dict, List, Optional

from govservice.conversation_archive import AGENT_KEY, message_line
from govservice.settings import rasa

TIMEOUT_SECONDS = 10.0
MAX_TRANSCRIPT = 200
PAUSE: Dict[str, Any] = {"event": "pause"}
RESUME: Dict[str, Any] = {"event": "resume"}
# After a pause Rasa records no action_listen; one here makes the next message a normal turn again.
LISTEN: Dict[str, Any] = {"event": "action", "name": "action_listen"}
TAKEN_TEXT = "您好，人工客服已接入，请问有什么可以帮您？"
HANDED_BACK_TEXT = "人工客服已结束服务，智能助手继续为您服务"


class RasaUnavailable(Exception):
    """Rasa could not be reached or refused the call; ``str(error)`` is a Chinese message for staff."""


def _call(url: str, body: Optional[Any]) -> Any:
    try:
        return json.loads(rasa.call(url, body, timeout=TIMEOUT_SECONDS) or b"null")
    except urllib.error.HTTPError as error:
        message = f"智能助手服务拒绝了请求（HTTP {error.code}），请检查 RASA_URL 与 RASA_TOKEN 配置"
        raise RasaUnavailable(message) from None
    except (urllib.error.URLError, OSError, ValueError) as error:
        raise RasaUnavailable(f"无法连接智能助手服务，请稍后重试（{type(error).__name__}）") from None


async def _request(url: str, body: Optional[Any] = None) -> Any:
    # urllib blocks: run it on a worker thread so the console's event loop keeps serving.
    return await asyncio.get_running_loop().run_in_executor(None, partial(_call, url, body))


async def transcript(sender: str) -> List[Dict[str, str]]:
    """The conversation's latest messages, oldest first: ``who`` is citizen, bot or agent.

    Rasa answers with the whole conversation: the redacting tracker store adds the archived history.

    Raises:
        RasaUnavailable: Rasa is unreachable or refused.
    """
    tracker = await _request(rasa.conversation_url(sender, "tracker"))
    events = tracker.get("events") if isinstance(tracker, dict) else None
    lines = [line for line in map(message_line, events or []) if line is not None]
    return lines[-MAX_TRANSCRIPT:]


def agent_message(text: str, agent: str) -> Dict[str, Any]:
    """A ``bot`` event carrying an agent's words, marked so the transcript can tell them apart."""
    return {"event": "bot", "text": text, "metadata": {AGENT_KEY: agent}}


async def append(sender: str, channel: str, events: List[Dict[str, Any]]) -> None:
    """Append ``events`` to the conversation; its bot messages go out through ``channel``.

    Raises:
        RasaUnavailable: Rasa is unreachable or refused.
    """
    query = {"output_channel": channel or "latest", "execute_side_effects": "true"}
    await _request(rasa.conversation_url(sender, "tracker/events", query), events)


async def take_over(sender: str, channel: str, agent: str) -> None:
    """Pause the bot (again: a new session may have resumed it) and greet the citizen."""
    await append(sender, channel, [PAUSE, agent_message(TAKEN_TEXT, agent)])


async def hand_back(sender: str, channel: str) -> None:
    """Resume the bot and tell the citizen, in the assistant's voice, that it is back."""
    await append(sender, channel, [RESUME, {"event": "bot", "text": HANDED_BACK_TEXT}, LISTEN])

"""Example counts for property and fuzz tests, and what the channel fuzz tests share.

The profiles are registered in tests/conftest.py. The channel fuzz tests (tests/test_fuzz_*.py)
share the JSON strategies, the stand-in bot and the crash recorder defined here.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Dict, List

from hypothesis import settings
from hypothesis import strategies as st
from rasa.core.channels.channel import UserMessage

# Every channel must answer within this many seconds, whatever it was sent (issue 12, item 20).
REPLY_DEADLINE_S = 2.0
ECHO_PREFIX = "收到："


def fuzz_examples(divisor: int = 1, minimum: int = 10) -> int:
    """The loaded profile's example count divided by ``divisor``, for tests that are slow per example."""
    return max(minimum, settings().max_examples // divisor)


# --- strategies -----------------------------------------------------------------------------


def huge_text(repeats: int = 60_000) -> st.SearchStrategy[str]:
    """Strings up to ``6 * repeats`` characters (a short random piece repeated: fast to draw)."""
    return st.builds(lambda piece, times: piece * times, st.text(min_size=1, max_size=6), st.integers(1, repeats))


def texts(repeats: int = 60_000) -> st.SearchStrategy[str]:
    """Any unicode (lone surrogates, control characters, NUL, RTL marks), Chinese, blanks, and huge strings."""
    return st.one_of(
        st.text(),
        st.text(st.characters(codec="utf-8"), max_size=50),
        st.text(alphabet=st.sampled_from("身份证丢了怎么补办 \t\n\r\x00\u200b\u3000\ufeff"), max_size=30),
        st.text(st.characters(categories=["Cs"]), min_size=1, max_size=3),  # lone surrogates: "\\ud800" in JSON
        huge_text(repeats),
    )


def json_values(max_leaves: int = 12, repeats: int = 60_000) -> st.SearchStrategy[Any]:
    """Random JSON-able values: nested lists and objects over every scalar type JSON can hold."""
    scalars = st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.integers(min_value=10**30, max_value=10**40),
        st.floats(),  # NaN and Infinity too: Python's json writes and reads them
        texts(repeats),
    )
    return st.recursive(
        scalars,
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
        max_leaves=max_leaves,
    )


def deep_json() -> st.SearchStrategy[bytes]:
    """JSON nested hundreds to a hundred thousand levels deep, closed or not, in arrays or objects."""

    def build(depth: int, opener: str, closed: bool) -> bytes:
        closer = "]" if opener == "[" else "}"
        return (opener * depth + ("1" if opener == "[" else "") + (closer * depth if closed else "")).encode()

    return st.builds(build, st.integers(1, 100_000), st.sampled_from(["[", '{"a":']), st.booleans())


def nested_value(depth: int) -> Any:
    """A value ``depth`` levels deep (a JSON body with it inside parses only below the recursion limit)."""
    value: Any = "底"
    for level in range(depth):
        value = {"k": value} if level % 2 else [value]
    return value


# --- the bot ------------------------------------------------------------------------------


class EchoBot:
    """A real, simple ``on_new_message``: answers every message through the channel's output.

    The fuzz tests use it instead of the Rasa agent: 10,000 inputs per channel would be 10,000
    model turns (minutes of CPU each run), and what is fuzzed is the channel's parsing and
    answering, not the dialogue. One ``server`` test sends fewer inputs through the real agent.
    """

    def __init__(self) -> None:
        self.messages: List[UserMessage] = []

    async def __call__(self, message: UserMessage) -> None:
        self.messages.append(message)
        assert message.output_channel is not None
        await message.output_channel.send_text_message(message.sender_id, ECHO_PREFIX + message.text)


# --- crashes ------------------------------------------------------------------------------


class CrashRecorder(logging.Handler):
    """Records every ERROR log record and every exception the event loop could not hand to anyone.

    Channels catch failures to answer the citizen anyway, and python-socketio runs each event in a
    task whose exception nobody awaits, so "no unhandled exception" means: nothing here.
    """

    def __init__(self) -> None:
        super().__init__(level=logging.ERROR)
        self.crashes: List[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        """Keep the message and the exception's type, if any."""
        kind = type(record.exc_info[1]).__name__ if record.exc_info and record.exc_info[1] else ""
        self.crashes.append(f"{record.name}: {record.getMessage()} {kind}".strip())

    def loop_exception(self, _: asyncio.AbstractEventLoop, context: Dict[str, Any]) -> None:
        """An ``asyncio`` exception handler: a task's exception that was never retrieved."""
        exc = context.get("exception")
        self.crashes.append(f"event loop: {context.get('message')} {exc!r}")

    def install(self) -> None:
        """Listen on the root logger and, when called inside one, on the running event loop."""
        logging.getLogger().addHandler(self)
        try:
            asyncio.get_running_loop().set_exception_handler(self.loop_exception)
        except RuntimeError:  # no loop: a synchronous test
            pass

    def uninstall(self) -> None:
        """Stop listening."""
        logging.getLogger().removeHandler(self)

    def take(self) -> List[str]:
        """The crashes recorded since the last call."""
        found, self.crashes = self.crashes, []
        return found

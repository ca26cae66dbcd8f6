"""Example counts for property and fuzz tests, and what the channel fuzz tests share.

The profiles are registered in tests/conftest.py. The channel fuzz tests (tests/test_fuzz_*.py)
share the JSON strategies, the REST bodies and their checks, the stand-in bot and the crash
recorder defined here.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from typing import Any, Dict, List, Tuple

from hypothesis import settings
from hypothesis import strategies as st
from rasa.core.channels.channel import UserMessage

from connectors.common import MAX_JSON_DEPTH, json_depth

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


# --- REST bodies --------------------------------------------------------------------------

SKELETON = {"sender": "fuzz-user", "message": "身份证丢了怎么补办"}


def has_chinese(text: str) -> bool:
    """Whether ``text`` holds a CJK ideograph: what a citizen reads is Chinese."""
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


senders = st.one_of(st.uuids().map(lambda u: f"fuzz-{u.hex}"), texts(), json_values(4))
extras = {
    "metadata": st.one_of(json_values(), st.integers(0, 900).map(nested_value), texts()),
    "attachment": json_values(4),
}
# Any subset of the fields, each of any type; and messages with a usable sender and any text.
fields = st.fixed_dictionaries(
    {}, optional={"sender": senders, "message": st.one_of(texts(), json_values(4)), **extras}
)
messages = st.fixed_dictionaries(
    {"sender": st.one_of(st.uuids().map(lambda u: f"fuzz-{u.hex}"),
                         st.text(st.characters(categories=["L", "N", "P", "S"]), min_size=1, max_size=128)),
     "message": texts()},
    optional=extras,
)


def _encode(value: Any, ascii_only: bool, codec: str) -> bytes:
    """JSON as a client may send it: escaped or raw unicode, in UTF-8 (lone surrogates raw), -16 or -32."""
    text = json.dumps(value, ensure_ascii=ascii_only)
    return text.encode(codec, "surrogatepass")


def _mutate(body: bytes, edits: List[Tuple[int, bytes]]) -> bytes:
    """Insert or overwrite bytes of a valid body: truncated, spliced and invalid UTF-8 bodies."""
    for position, chunk in edits:
        at = position % (len(body) + 1)
        body = body[:at] + chunk + body[at + len(chunk) // 2 :]
    return body


def inside(deep: bytes, key: str) -> bytes:
    """A valid message with a deeply nested value under ``key``."""
    return json.dumps(SKELETON)[:-1].encode() + f', "{key}": '.encode() + deep + b"}"


encoded_messages = st.builds(_encode, messages, st.just(True), st.just("utf-8"))
rest_bodies = st.one_of(
    encoded_messages,
    encoded_messages,
    st.builds(_encode, fields, st.booleans(), st.sampled_from(["utf-8", "utf-16", "utf-32"])),
    st.builds(_encode, json_values(), st.booleans(), st.just("utf-8")),
    deep_json(),
    st.builds(inside, deep_json(), st.sampled_from(["metadata", "message", "sender"])),
    st.binary(max_size=300),
    st.builds(_mutate, st.just(json.dumps(SKELETON, ensure_ascii=False).encode()),
              st.lists(st.tuples(st.integers(0, 200), st.binary(min_size=1, max_size=4)), max_size=4)),
    st.integers(4301, 20_000).map(lambda digits: b'{"sender": "u", "message": ' + b"7" * digits + b"}"),
)


NOT_TEXT = re.compile("[\x00\ud800-\udfff]")
"""NUL and lone surrogates: not characters, so no channel passes them on."""


def as_heard(message: str) -> str:
    """The text a channel passes on for ``message``: without NUL and lone surrogates, trimmed."""
    return NOT_TEXT.sub("", message).strip()


def expected_echo(body: bytes) -> bool:
    """Whether ``body`` is a message the bot must answer: a usable sender and a non-blank text."""
    try:
        value = json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return False
    if not isinstance(value, dict) or json_depth(value) > MAX_JSON_DEPTH:
        return False
    sender, message = value.get("sender"), value.get("message")
    return (isinstance(sender, str) and 0 < len(sender.strip()) <= 128 and sender.strip().isprintable()
            and isinstance(message, str) and bool(as_heard(message)))


def check_rest_answer(status: int, payload: Any) -> None:
    """A list of replies with text (200), or a JSON error in Chinese (4xx); never a 5xx."""
    assert status < 500, payload
    if status == 200:
        assert isinstance(payload, list) and payload, payload
        for reply in payload:
            assert isinstance(reply, dict) and isinstance(reply.get("text"), str) and reply["text"], payload
    else:
        assert 400 <= status < 500 and isinstance(payload, dict), payload
        assert isinstance(payload.get("error"), str) and has_chinese(payload["error"]), payload


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

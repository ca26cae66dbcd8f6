"""A citizen's 居住证 application through nginx, confirmed while a fault is injected (tests/faults).

:func:`prepare` logs a demo citizen in and fills the application form up to its confirmation
before the fault (the demo citizen and the SMS outbox come from the profile's ``DATABASE_URL``
and ``VAR_DIR``, which ``make faults`` exports to the tests too); :func:`confirm` then sends
“确认提交” (again after each busy reply, as a citizen would) and returns the application number
the reply confirmed; :func:`numbers_of` reads what the database holds for that conversation,
so a test can say "exactly once".
"""

from __future__ import annotations

import asyncio
import re
import time
import uuid
from dataclasses import dataclass
from typing import List

import aiohttp
import sqlalchemy

from tests.faults.citizens import Citizens, Turn
from tests.rest_client import latest_code
from tests.test_application_flow import demo_citizen

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
ANSWERS = ("符合", "确认无误", "示范市文教路9号", "就读", "我承诺")
_NUMBER = re.compile(r"办件编号：(\S+)")


@dataclass
class Applicant:
    """A logged-in conversation with a filled 居住证 form, waiting for “确认提交”."""

    sender: str
    id_number: str


async def served(citizens: Citizens, sender: str, text: str, private: bool = False) -> Turn:
    """A turn of the preparation, which runs before any fault: it must be answered normally."""
    turn = await citizens.say_until_served(sender, text, private)
    assert turn.outcome == "ok", f"{text!r}: {turn.problem or turn.texts}"
    return turn


async def upload(citizens: Citizens, sender: str) -> str:
    """Upload a scan; the channel answers with the message that hands it to the form."""
    form = aiohttp.FormData()
    for key, value in (("sender", sender), ("session", citizens.tokens[sender]), ("channel", "rest")):
        form.add_field(key, value)
    form.add_field("file", PNG + uuid.uuid4().bytes, filename="scan.png", content_type="image/png")
    async with citizens.http.post(f"{citizens.base_url}/webhooks/upload/file", data=form) as resp:
        body = await resp.json(content_type=None)
        assert resp.status == 200, body
    return str(body["message"])


async def prepare(citizens: Citizens, offset: int) -> Applicant:
    """Log demo citizen ``offset`` in and fill a 居住证 application up to “确认提交”."""
    id_number, name, phone = demo_citizen(offset)
    sender = citizens.new_sender("apply")
    await served(citizens, sender, "我要办居住证")
    await served(citizens, sender, id_number, private=True)
    started = time.time()
    await served(citizens, sender, name, private=True)
    code = await asyncio.to_thread(latest_code, phone, started)
    assert "现在开始在线申请" in "\n".join((await served(citizens, sender, code, private=True)).texts)
    for text in ANSWERS:
        await served(citizens, sender, text)
    for _ in range(2):
        last = await served(citizens, sender, await upload(citizens, sender))
    assert any("确认提交" in text for text in last.texts), last.texts
    return Applicant(sender, id_number)


async def confirm(citizens: Citizens, applicant: Applicant) -> str:
    """Send “确认提交” until it is served; the number the reply confirmed."""
    turn = await citizens.say_until_served(applicant.sender, "确认提交", within=300)
    found = _NUMBER.search("\n".join(turn.texts))
    assert found, f"确认提交 of {applicant.sender} was not confirmed: {turn.problem or turn.texts}"
    return found.group(1)


def numbers_of(database_url: str, sender: str) -> List[str]:
    """The application numbers the database holds for ``sender``'s conversation."""
    engine = sqlalchemy.create_engine(database_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(sqlalchemy.text("SELECT number FROM applications WHERE sender = :s"), {"s": sender})
            return [str(row[0]) for row in rows]
    finally:
        engine.dispose()

"""Fixtures of the staff web app: a seeded database, demo officers, the app, and a recording sender."""

from __future__ import annotations

import datetime
import time
import uuid
from typing import Callable, Dict, Iterator, List, Optional

import pytest
from sanic import Sanic

from govservice.accounts.demo_officers import demo_token, seed_officers
from govservice.applications.workflow import submit_application
from govservice.catalog.models import ServiceItem
from govservice.certificates.models import Certificate
from govservice.clock import utc_now
from govservice.db import session_scope
from govservice.notifications import outbox as notifications
from govservice.notifications.outbox import OutgoingNotification
from govservice.seed import init_db
from govservice.settings import reload as reload_settings
from staff.app import create_app
from tests.databases import Databases

ZHANG = "11010519491231002X"


def seed(url: str) -> str:
    """Seed catalog, demo citizens and demo officers into ``url``."""
    init_db(url)
    with session_scope(url) as s:
        seed_officers(s)
    return url


@pytest.fixture(scope="module")
def db_url(databases: Databases) -> Iterator[str]:
    url = seed(databases.create("staff"))
    yield url
    databases.drop(url)


def make_app(url: str) -> Sanic:
    """The staff app on ``url`` with a unique name and no periodic retry (tests trigger delivery)."""
    return create_app(url, retry_seconds=0, name=f"staff_{uuid.uuid4().hex[:8]}")


@pytest.fixture(scope="module", autouse=True)
def sent() -> Iterator[List[OutgoingNotification]]:
    """Notifications on the "rest" channel are recorded here; nothing reaches a real Rasa."""
    delivered: List[OutgoingNotification] = []
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("RASA_URL", "http://127.0.0.1:9")  # the discard port, should the default sender ever run
        reload_settings()
        notifications.register_sender("rest", delivered.append)
        yield delivered
        notifications.register_sender("rest", None)


@pytest.fixture(scope="module")
def app(db_url: str, sent: List[OutgoingNotification]) -> Iterator[Sanic]:
    staff_app = make_app(db_url)
    yield staff_app
    staff_app.ctx.delivery.shutdown(wait=True)  # background deliveries end before the recorder goes


def bearer(username: str) -> Dict[str, str]:
    """The Authorization header of a demo officer."""
    return {"Authorization": f"Bearer {demo_token(username)}"}


def residence_permit(
    url: str,
    now: Optional[datetime.datetime] = None,
    person: str = ZHANG,
    form: Optional[dict] = None,
    uploads: Optional[Dict[str, str]] = None,
) -> str:
    """Submit a 居住证 application (the ID card from the library, the rest by commitment); return its number.

    ``uploads`` maps a material's name to the attachment id uploaded for it.
    """
    with session_scope(url) as s:
        item = s.get(ServiceItem, "residence_permit")
        card = s.query(Certificate).filter_by(holder_id=person, type_name="居民身份证").first()
        materials = [(m.id, "certificate", card.id) for m in item.materials if m.certificate_type == "居民身份证"]
        materials += [(m.id, "commitment", None) for m in item.materials if m.commitment_allowed]
        materials += [(m.id, "upload", (uploads or {})[m.name]) for m in item.materials if m.name in (uploads or {})]
    app = submit_application(
        url,
        idempotency_key=uuid.uuid4().hex,
        item_key="residence_permit",
        person_id=person,
        channel="rest",
        sender=f"web-{person[-4:]}",
        form_data=form or {"居住地址": "示范市新港路1号"},
        materials=materials,
        now=now or utc_now(),
    )
    return str(app.number)


def wait_for(condition: Callable[[], bool], seconds: float = 10.0) -> bool:
    """Poll ``condition`` (background delivery) until it holds or time runs out."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()

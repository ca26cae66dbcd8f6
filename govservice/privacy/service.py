"""Export and deletion of a citizen's data as the bot and the download page call them.

Each call is one transaction (the actions and channels never open a database session, issue 14
item 5) and returns plain values.
"""

from __future__ import annotations

import datetime
from typing import Any, Dict, Optional

from govservice.clock import utc_now
from govservice.db import session_scope
from govservice.privacy import data_deletion, personal_data


def create_export_link(person_id: str) -> str:
    """A one-time token for the person's data export (:func:`personal_data.create_export_link`)."""
    with session_scope() as session:
        return personal_data.create_export_link(session, person_id, utc_now())


def redeem_export_link(token: str, now: Optional[datetime.datetime] = None) -> Optional[Dict[str, Any]]:
    """The export behind a one-time link, using the link up; None when invalid, expired or used."""
    with session_scope() as session:
        return personal_data.redeem_export_link(session, token, now or utc_now())


def delete_person_data(person_id: str, sender: str) -> data_deletion.DeletionReport:
    """Delete what the law lets go for the person on ``sender`` (:func:`data_deletion.delete_person_data`)."""
    with session_scope() as session:
        return data_deletion.delete_person_data(session, person_id, sender, utc_now())

"""Alembic migrations of the back-office database; run them with :func:`govservice.db.migrate`."""

from __future__ import annotations

import sqlalchemy as sa

from govservice.migrations import initial_back_office, initial_people


def initial_tables() -> sa.MetaData:
    """The tables of revision 0001, frozen: the models as they stood when Alembic came in."""
    metadata = sa.MetaData()
    initial_people.add_tables(metadata)
    initial_back_office.add_tables(metadata)
    return metadata

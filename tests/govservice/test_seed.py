"""Schema creation and catalog seeding, on SQLite and on the local PostgreSQL."""

from __future__ import annotations

from govservice.catalog import Catalog
from govservice.db import session_scope
from govservice.knowledge import load_knowledge_base
from govservice.models import Department, Material, ServiceItem
from govservice.seed import init_db


def _counts(url: str) -> tuple:
    with session_scope(url) as session:
        return (
            session.query(ServiceItem).count(),
            session.query(Department).count(),
            session.query(Material).count(),
        )


IMPORTED_ITEMS = 2262  # knowledge_base/imported/guangdong_catalog_2021.jsonl
IMPORTED_MATERIALS = 3434


def test_seed_is_idempotent_and_complete(tmp_path) -> None:
    url = f"sqlite:///{tmp_path}/seed.db"
    kb = load_knowledge_base()
    assert init_db(url, kb) is True
    assert init_db(url, kb) is False  # unchanged fingerprint: nothing reseeded
    items, departments, materials = _counts(url)
    assert items == len(kb.items) + IMPORTED_ITEMS and len(kb.items) >= 30
    assert departments >= 10
    assert materials == sum(len(i["materials"]) for i in kb.items) + IMPORTED_MATERIALS
    with session_scope(url) as session:
        assert session.query(ServiceItem).filter(ServiceItem.layer == "curated").count() == len(kb.items)


def test_same_models_work_on_postgresql(postgres_url: str) -> None:
    kb = load_knowledge_base()
    assert init_db(postgres_url, kb) is True  # the imported records fit PostgreSQL's column sizes too
    items, departments, _ = _counts(postgres_url)
    assert (items, departments) == (len(kb.items) + IMPORTED_ITEMS, len(kb.departments) + 1)
    catalog = Catalog.load(postgres_url)
    item = catalog.get("id_card_lost")
    assert item is not None and item.department_code == "GA"
    assert [m.position for m in item.materials] == list(range(1, len(item.materials) + 1))


def test_columns_added_to_models_are_added_to_old_tables(tmp_path) -> None:
    import sqlalchemy

    url = f"sqlite:///{tmp_path}/old.db"
    engine = sqlalchemy.create_engine(url)
    with engine.begin() as conn:  # a departments table from before credit_code existed
        conn.execute(sqlalchemy.text("CREATE TABLE departments (code VARCHAR(16) PRIMARY KEY, name VARCHAR(100))"))
        conn.execute(sqlalchemy.text("INSERT INTO departments VALUES ('OLD', '旧部门')"))
    from govservice.models import Base
    from govservice.seed import add_missing_columns

    Base.metadata.create_all(engine)
    added = add_missing_columns(engine)
    assert "departments.credit_code" in added
    with engine.begin() as conn:
        assert conn.execute(sqlalchemy.text("SELECT name FROM departments WHERE code='OLD'")).scalar() == "旧部门"


def test_reseeding_a_changed_catalog_keeps_certificates(tmp_path) -> None:
    from dataclasses import replace

    from govservice.models import Certificate

    url = f"sqlite:///{tmp_path}/reseed.db"
    kb = load_knowledge_base()
    init_db(url, kb)
    with session_scope(url) as session:
        before = session.query(Certificate).count()
    assert before > 0  # demo certificates refer to certificate types
    assert init_db(url, replace(kb, fingerprint="changed")) is True
    with session_scope(url) as session:
        assert session.query(Certificate).count() == before

"""Catalog seeding, on the test database and on the local PostgreSQL (migrations: test_migrations.py)."""

from __future__ import annotations

from typing import Callable

from govservice.catalog.knowledge import load_knowledge_base
from govservice.catalog.lookup import Catalog
from govservice.catalog.models import Department, Material, ServiceItem
from govservice.db import session_scope
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


def test_seed_is_idempotent_and_complete(new_database: Callable[[str], str]) -> None:
    url = new_database("seed")
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


def test_reseeding_a_changed_catalog_keeps_certificates(new_database: Callable[[str], str]) -> None:
    from dataclasses import replace

    from govservice.certificates.models import Certificate

    url = new_database("reseed")
    kb = load_knowledge_base()
    init_db(url, kb)
    with session_scope(url) as session:
        before = session.query(Certificate).count()
    assert before > 0  # demo certificates refer to certificate types
    assert init_db(url, replace(kb, fingerprint="changed")) is True
    with session_scope(url) as session:
        assert session.query(Certificate).count() == before

"""Migrate the schema and (re)load the catalog from ``knowledge_base/`` when it changed."""

from __future__ import annotations

import hashlib
import logging
import sys
from decimal import Decimal
from typing import Any, Callable, Dict, List, Sequence

from sqlalchemy.orm import Session

from govservice.accounts.demo_officers import demo_accounts_text, seed_officers
from govservice.accounts.officers import OfficerError
from govservice.catalog.import_fields import CertificateLinker
from govservice.catalog.importer import (
    ImportResult,
    ImportSource,
    Problem,
    fingerprint,
    import_file,
    load_sources,
    mark_duplicates,
)
from govservice.catalog.knowledge import KnowledgeBase, KnowledgeBaseError, load_knowledge_base
from govservice.catalog.models import CertificateType, Department, Material, ServiceItem, Topic
from govservice.clock import office_date
from govservice.db import migrate, session_scope
from govservice.demo_data import maybe_seed_demo_data
from govservice.faq.io import seed_faq
from govservice.orm import Meta

logger = logging.getLogger(__name__)

CATALOG_FINGERPRINT = "catalog_fingerprint"


def init_db(
    url: str | None = None,
    kb: KnowledgeBase | None = None,
    *,
    faq: bool = True,
    announce: Callable[[str], None] | None = None,
    imported: Sequence[ImportSource] | None = None,
) -> bool:
    """Migrate the schema to head and seed the catalog if the knowledge base changed since last time.

    Args:
        url: database URL; the configured one when omitted.
        kb: an already loaded knowledge base (tests pass their own).
        faq: also insert the seed FAQ entries missing from the store.
        announce: shown the demo staff accounts (with passwords) this call created or re-keyed.
        imported: the imported catalogs to load beside the curated items; those of
            ``knowledge_base/imported/sources.yml`` when omitted, none when empty.

    Returns:
        True when the catalog was (re)seeded.
    """
    migrate(url)
    kb = kb or load_knowledge_base()
    sources = load_sources() if imported is None else list(imported)
    wanted = hashlib.sha256(f"{kb.fingerprint}:{fingerprint(sources)}".encode()).hexdigest()
    with session_scope(url) as session:
        current = session.get(Meta, CATALOG_FINGERPRINT)
        reseeded = current is None or current.value != wanted
        if reseeded:
            results = import_catalogs(sources, kb)
            seed_catalog(session, kb, results)
            session.merge(Meta(key=CATALOG_FINGERPRINT, value=wanted))
    if reseeded:
        logger.info(
            "catalog seeded: %d curated items, %d imported",
            len(kb.items),
            sum(len(result.items) for result in results),
        )
    with session_scope(url) as session:
        # Demo citizens/companies/certificates when the persons table is empty (DEMO_DATA=0: never).
        if maybe_seed_demo_data(session, office_date()):
            logger.info("demo citizens, companies and certificates seeded")
    with session_scope(url) as session:
        created = seed_officers(session)  # demo staff accounts, once (DEMO_DATA=0: never)
        if created:
            logger.info("demo staff accounts created: %s", ", ".join(created))
            if announce is not None:
                announce(demo_accounts_text(session, created))
    if faq:
        with session_scope(url) as session:
            seed_faq(session)  # FAQ entries from knowledge_base/faq missing in the store (staff edits are kept)
    return reseeded


def import_catalogs(sources: Sequence[ImportSource], kb: KnowledgeBase) -> List[ImportResult]:
    """Read the imported catalogs: materials linked to ``kb``'s certificate types, duplicates marked.

    Records that duplicate a curated item point at it; unreadable records are logged, not fatal.
    """
    linker = CertificateLinker(kb.certificate_types)
    results = [import_file(source, linker) for source in sources]
    for result in results:
        mark_duplicates(result.items, kb.items)
        for problem in result.problems:
            logger.warning("%s 未导入 %s", result.source.path.name, problem)
    return results


def seed_catalog(session: Session, kb: KnowledgeBase, imported: Sequence[ImportResult] = ()) -> None:
    """Load the knowledge base, and the imported catalogs beside it, into the catalog tables.

    Departments and certificate types are updated in place, because certificates and
    applications refer to them; items, materials and topics are replaced.
    """
    for model in (Topic, Material, ServiceItem):
        session.query(model).delete()
    session.flush()
    for dept in kb.departments:
        session.merge(Department(**dept))
    session.flush()
    for cert in kb.certificate_types:
        session.merge(CertificateType(**cert))
    session.flush()
    for raw in kb.items:
        fields = {k: v for k, v in raw.items() if k not in ("materials", "department", "fee")}
        item = ServiceItem(
            **fields,
            department_code=raw["department"],
            fee_fen=int(Decimal(str(raw["fee"])) * 100),
        )
        for position, material in enumerate(raw["materials"], start=1):
            item.materials.append(Material(position=position, **material))
        session.add(item)
    for topic in kb.topics:
        session.add(Topic(name=topic["topic"], synonyms=topic["synonyms"], item_keys=topic["items"]))
    session.flush()
    curated_codes = {str(item["code"]): str(item["key"]) for item in kb.items}
    for result in imported:
        seed_imported(session, result, curated_codes)


def seed_imported(session: Session, result: ImportResult, taken_codes: Dict[str, str]) -> None:
    """Insert one imported catalog in bulk (two multi-row inserts, not one ORM object per row).

    A record whose 事项编码 an item already has is reported in ``result.problems`` and left out.
    """
    session.merge(Department(**result.source.department))
    session.flush()
    items: List[Dict[str, Any]] = []
    materials: List[Dict[str, Any]] = []
    for item in result.items:
        code = str(item.columns["code"])
        if code in taken_codes:
            result.problems.append(Problem(0, code, f"事项编码与已有事项 {taken_codes[code]} 重复"))
            continue
        taken_codes[code] = item.key
        items.append(item.columns)
        materials.extend(
            {
                "item_key": item.key,
                "position": position,
                "name": material.name,
                "form": "",  # the records name materials only; no 原件/复印件, no count
                "count": 1,
                "notes": None,
                "certificate_type": material.certificate_type,
                "commitment_allowed": False,
            }
            for position, material in enumerate(item.materials, start=1)
        )
    if items:
        session.execute(ServiceItem.__table__.insert(), items)
    if materials:
        session.execute(Material.__table__.insert(), materials)


def main() -> int:
    """Seed at start (scripts/run.sh); the demo accounts' passwords are printed the first time."""
    logging.basicConfig(level=logging.INFO)
    try:
        print("catalog reseeded" if init_db(announce=print) else "catalog up to date")
    except (OfficerError, KnowledgeBaseError) as error:
        print(error, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""邮寄送达: the address on file in the library, masked for chat, read again on submission."""

from __future__ import annotations

import datetime
from typing import Iterator

import pytest
from sqlalchemy.orm import Session

from govservice.applications.delivery import address_on_file, library_address, looks_like_address, mask_address
from govservice.certificates.library import issue_certificate
from govservice.certificates.models import CertificateUse
from govservice.db import session_scope
from govservice.identity.models import Person
from tests.databases import Databases, seeded_database

TODAY = datetime.date(2026, 11, 20)
ZHANG = "11010519491231002X"
LI = "440308199901101512"


@pytest.fixture(scope="module")
def db_url(databases: Databases) -> Iterator[str]:
    with seeded_database(databases, "delivery", TODAY, faq=False) as url:
        yield url


@pytest.fixture()
def session(db_url: str) -> Iterator[Session]:
    with session_scope(db_url) as s:
        yield s


@pytest.mark.parametrize(
    ("address", "masked"),
    [
        ("示范市示范大道100号", "示范市示范大道***号"),
        ("示范市民生路88号3栋502室", "示范市民生路**号*栋***室"),
        ("福建省福州市鼓楼区五四路158号环球广场A座1201", "福建省福州市鼓楼区五四路***号环球广场*座****"),
        ("滨江花园12幢", "滨江花园**幢"),
        ("某处１２号", "某处**号"),
    ],
)
def test_mask_address(address: str, masked: str) -> None:
    assert mask_address(address) == masked


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("示范市民生路88号3栋502室", True),
        ("寄到滨江路8号", True),
        ("地址无误", False),
        ("还没想好", False),
        ("民生路", False),
    ],
)
def test_looks_like_address(text: str, expected: bool) -> None:
    assert looks_like_address(text) is expected


def test_the_best_address_on_file_is_offered_masked_and_read_back_for_the_holder_only(session: Session) -> None:
    found = library_address(session, ZHANG, "办理居民身份证换领：预填邮寄地址", TODAY)
    assert found is not None and (found.source, found.masked) == ("居民户口簿", "示范市示范大道***号")
    uses = session.query(CertificateUse).filter(CertificateUse.purpose == "办理居民身份证换领：预填邮寄地址").count()
    assert uses >= 2  # 户口簿 and 身份证 were read for it, on the record
    assert address_on_file(session, ZHANG, found.certificate_id, "邮寄送达地址") == "示范市示范大道100号"
    assert address_on_file(session, LI, found.certificate_id, "邮寄送达地址") is None  # another holder's certificate
    # A 居住证 says where one lives now: it wins over the 户口簿.
    permit = issue_certificate(session, LI, "居住证", LI, None, 1, {"居住地址": "示范市新港路1号5栋"}, TODAY)
    found = library_address(session, LI, "预填", TODAY)
    assert found is not None and (found.certificate_id, found.masked) == (permit.id, "示范市新港路*号*栋")
    permit.status = "已注销"
    found = library_address(session, LI, "预填", TODAY)
    assert found is not None and found.source == "居民户口簿"
    assert address_on_file(session, LI, permit.id, "邮寄送达地址") is None  # no longer valid


def test_no_address_on_file(session: Session) -> None:
    session.add(Person(id_number="350102199001011254", name="吴空", phone="13700000001"))
    session.flush()
    assert library_address(session, "350102199001011254", "预填", TODAY) is None

"""邮寄送达: the address a result is posted to, prefilled from the certificate library.

When a citizen chooses 邮寄到家, the address on file in their library (居住证, 居民户口簿 or
居民身份证) is offered for confirmation instead of being retyped. The conversation keeps only a
masked copy and the certificate's id; the address itself is read from the library again when
the application is submitted and stored with it, in the back office.

``mask_address`` is this module's own masking rule (addresses are not in :mod:`govservice.identity.masking`).
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass
from typing import Any, Dict, Optional

from sqlalchemy.orm import Session

from govservice.certificates.library import effective_status, find_certificates, get_certificate
from govservice.certificates.models import Certificate
from govservice.clock import office_date

ADDRESS_SOURCES = (("居住证", "居住地址"), ("居民户口簿", "住址"), ("居民身份证", "住址"))
"""Where an address is on file, best first: the residence permit says where one lives now."""
LIBRARY_ADDRESS = "@电子证照地址"
"""The answer that stands for the address offered from the library (confirmed by the citizen)."""
_STREET = re.compile(r"(大道|大街|路|街|巷|弄|胡同|村|小区|花园|苑|园|里)")
_DETAIL = re.compile(r"[0-9０-９A-Za-z一二三四五六七八九十百零〇]")
_ADDRESS_HINT = re.compile(r"(省|市|区|县|镇|乡|路|街|道|巷|弄|村|号|栋|幢|楼|室|单元|小区|苑)")


@dataclass(frozen=True)
class LibraryAddress:
    """An address on file in the library, as the conversation may hold it (masked)."""

    certificate_id: int
    source: str
    masked: str

    def to_slot(self) -> Dict[str, Any]:
        """A JSON-serialisable copy for the application plan."""
        return {"certificate_id": self.certificate_id, "source": self.source, "masked": self.masked}


def mask_address(address: str) -> str:
    """Mask the house number and below, keeping the place up to the street: 示范市民生路**号*栋***室.

    In an address without a recognisable street every number is masked.
    """
    text = (address or "").strip()
    streets = list(_STREET.finditer(text))
    cut = streets[-1].end() if streets else 0
    return text[:cut] + _DETAIL.sub("*", text[cut:])


def looks_like_address(text: str) -> bool:
    """Whether a message reads as an address (示范市民生路88号) rather than a yes or a question."""
    answer = (text or "").strip()
    return len(answer) >= 6 and bool(_ADDRESS_HINT.search(answer)) and bool(re.search(r"[0-9０-９号]", answer))


def _address(cert: Certificate) -> str:
    field = dict(ADDRESS_SOURCES).get(str(cert.type_name), "")
    return str((cert.attributes or {}).get(field) or "").strip()


def library_address(
    session: Session,
    holder_id: str,
    purpose: str,
    today: Optional[datetime.date] = None,
    *,
    holder_kind: str = "person",
) -> Optional[LibraryAddress]:
    """The best address on file in the holder's valid certificates, masked; None without one.

    Records a 用证记录 for each certificate read.
    """
    today = today or office_date()
    types = [name for name, _ in ADDRESS_SOURCES]
    certs = find_certificates(session, holder_id, types, "citizen", "智能助手", purpose, today, holder_kind=holder_kind)
    usable = [c for c in certs if effective_status(c, today) == "有效" and _address(c)]
    if not usable:
        return None
    best = min(usable, key=lambda c: (types.index(str(c.type_name)), -c.issue_date.toordinal()))
    return LibraryAddress(certificate_id=int(best.id), source=str(best.type_name), masked=mask_address(_address(best)))


def address_on_file(
    session: Session, holder_id: str, certificate_id: int, purpose: str, *, holder_kind: str = "person"
) -> Optional[str]:
    """The full address of one of the holder's own certificates (None for another holder's)."""
    cert = get_certificate(
        session, holder_id, int(certificate_id), "citizen", "智能助手", purpose, holder_kind=holder_kind
    )
    if cert is None or effective_status(cert) != "有效":
        return None
    return _address(cert) or None

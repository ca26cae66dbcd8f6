"""Applications for the workbench tests: a 居住证 with a certificate, a commitment and an uploaded photo."""

from __future__ import annotations

import datetime
import struct
import uuid
import zlib
from typing import Optional, Tuple

from govservice.applications.materials_check import store_attachment
from govservice.certificates.models import Certificate
from govservice.db import session_scope
from tests.staff.conftest import ZHANG, residence_permit

PHOTO = "近期免冠彩色证件照（数码相片回执）"


def png(seed: bytes = b"", width: int = 1, height: int = 1) -> bytes:
    """A valid PNG of ``width``×``height`` in coloured bands; each ``seed`` gives other bytes (its own file)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    bands = [b"\x52\x60\x6d", b"\xf5\xf7\xfa", b"\xd9\xe2\xec"]  # a grey header, a white page, a footer
    rows = b"".join(b"\x00" + bands[y * 3 // height] * width for y in range(height))
    header = chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
    extra = chunk(b"tEXt", b"seed\x00" + seed) if seed else b""
    return b"\x89PNG\r\n\x1a\n" + header + extra + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def permit_with_upload(
    url: str,
    now: Optional[datetime.datetime] = None,
    person: str = ZHANG,
    form: Optional[dict] = None,
    upload: Optional[Tuple[bytes, str]] = None,
) -> Tuple[str, str, int]:
    """Submit a 居住证 application with an uploaded photo; return (number, attachment id, certificate id).

    ``upload`` is the file's (content, type) instead of a fresh PNG.
    """
    with session_scope(url) as s:
        card = s.query(Certificate).filter_by(holder_id=person, type_name="居民身份证").first()
        data, kind = upload or (png(uuid.uuid4().bytes), "image/png")
        attachment_id, card_id = str(store_attachment(s, data, "证件照", kind, person).id), int(card.id)
    number = residence_permit(url, now, person, form=form, uploads={PHOTO: attachment_id})
    return number, attachment_id, card_id

"""Random identifiers that are kept in conversations (login references, keys, attachment ids)."""

from __future__ import annotations

import uuid

# Hex digits -> letters: 128 random bits, spelled a-p.
_LETTERS = str.maketrans("0123456789", "ghijklmnop")


def opaque_id() -> str:
    """32 random letters: as unguessable as a UUID, and never mistaken for personal data.

    A hex UUID can hold a run such as ``13812345678``; the tracker store masks anything shaped
    like a mobile or ID number before saving, which would corrupt the id. Letters cannot match.
    """
    return uuid.uuid4().hex.translate(_LETTERS)

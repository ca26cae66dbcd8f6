"""GB/T 36904-style electronic licence identifiers (电子证照标识), illustrative, not official."""

from __future__ import annotations

from stdnum.iso7064 import mod_11_2

LICENCE_ROOT = "1.2.156.3005.2"
"""Object-identifier prefix of GB/T 36904-style electronic licence identifiers."""


def _check_input(body: str) -> str:
    """Turn the identifier body into digits for MOD 11-2: letters become 10-35, dots are dropped."""
    return "".join(c if c.isdigit() else str(ord(c) - 55) for c in body.upper() if c.isalnum())


def licence_identifier(type_code: str, issuer_credit_code: str, serial: str, version: int = 1) -> str:
    """Build a GB/T 36904-style electronic licence identifier (illustrative, not official).

    Format: ``1.2.156.3005.2.<type code>.<issuer credit code>.<serial>.<version>.<check>``. The
    check character is ISO 7064 MOD 11-2 (0-9 or X, via python-stdnum) over the digits of the
    body, letters counted as two-digit values A=10 … Z=35.

    Args:
        type_code: the certificate type code (certificate_types.yml ``code``).
        issuer_credit_code: the issuing department's unified social credit code.
        serial: a serial number unique per type and issuer.
        version: the certificate version, 1 for a first issue.
    """
    body = f"{LICENCE_ROOT}.{type_code}.{issuer_credit_code}.{serial}.{version}"
    return f"{body}.{mod_11_2.calc_check_digit(_check_input(body))}"


def is_valid_licence_identifier(identifier: str) -> bool:
    """Return whether the check character of a licence identifier is right."""
    body, _, check = (identifier or "").rpartition(".")
    if not body.startswith(LICENCE_ROOT + ".") or len(check) != 1:
        return False
    return bool(mod_11_2.is_valid(_check_input(body) + check))

"""Masking of personal data before anything is logged or printed.

The agent never logs message content; the only personal datum it handles is the account's
phone number, stored by the client as a WID such as ``"491511234567:12@c.us"``.
"""

from __future__ import annotations

import re

_DIGITS = re.compile(r"\d{6,}")


def mask_phone(number: str) -> str:
    """Given a phone number, return it with all but the first five and last two digits hidden.

    >>> mask_phone("491511234578")
    '49151*****78'
    """
    digits = "".join(character for character in number if character.isdigit())
    if len(digits) <= 7:
        return "*" * len(digits)
    return digits[:5] + "*" * (len(digits) - 7) + digits[-2:]


def mask_wid(wid: str | None) -> str | None:
    """Given a stored WID (JSON-quoted or bare), return only its masked phone number."""
    if not wid:
        return None
    match = _DIGITS.search(wid)
    return mask_phone(match.group(0)) if match else None


def scrub(text: str) -> str:
    """Return text with every run of six or more digits masked (phone numbers in messages)."""
    return _DIGITS.sub(lambda match: mask_phone(match.group(0)), text)

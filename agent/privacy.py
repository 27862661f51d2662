"""Masking of personal data before anything is logged or printed.

The agent never logs message content; the only personal datum it handles is the account's
phone number, stored by the client as a WID such as ``"491511234567:12@c.us"`` (and as a LID,
``"12345678901234@lid"``). ``scrub`` masks a number where it can be known to be one: in a
JID (``@c.us``, ``@s.whatsapp.net``, ``@lid``, ``@g.us``), as the value of a field that holds
one (``last-wid-md``, ``WALid``, ``wid``, ``lid``, ``phone``, ``jid``, the phone API's), after
``wa.me/`` or ``tel:``, and written in international form (``+49 151 1234567``). Other digits
are left alone: timeouts in float milliseconds, PIDs, ports, byte counts and timestamps keep
their value, so the messages stay readable.
"""

from __future__ import annotations

import re
from typing import Any

MASK = "*"
_DIGITS = re.compile(r"\d{6,}")
# A JID's user part (digits, an optional -creation-time of old group ids, :device or _agent)
# before its server: 491511234567:12@c.us, 491511234567@s.whatsapp.net, 1234567890123@lid.
_JID = re.compile(
    r"(?<![\d.])(?P<number>\d{5,})(?P<tail>(?:-\d+)?(?:[:_.]\d+)*@(?:c\.us|s\.whatsapp\.net|lid"
    r"|g\.us|broadcast|newsletter)\b)",
    re.IGNORECASE,
)
# A field that holds a phone number or a LID, in JSON, key=value or key: value form:
# "last-wid-md": "\"491511234567:12@c.us\"", wid=491511234567, phone: '+49 151 ...'.
_FIELD = re.compile(
    r"(?P<key>\b(?:last-wid-md|last-wid|WALid|wid|lid|jid|phone|phone_number|phoneNumber"
    r"|msisdn|pn)\b[\"']?\s*[:=]\s*(?:\\?[\"'])*\s*\+?)(?P<number>\d(?:[ \-]?\d){5,14})(?!\d)",
    re.IGNORECASE,
)
_LINK = re.compile(
    r"(?P<key>\b(?:wa\.me/|tel:)\+?)(?P<number>\d(?:-?\d){5,14})(?!\d)", re.IGNORECASE
)
# +CC then digits, grouped by single spaces or dashes or a bracketed area code, 9 to 15 in all:
# +49 151 1234567, +49-151-123-4567, +1 (555) 123-4567, +491511234567; never a float (+1.5).
_INTERNATIONAL = re.compile(r"(?<![\w+])\+(?P<number>\d(?:[ \-]?\(?\d\)?){8,14})(?!\.?\d)")


def mask_phone(number: str) -> str:
    """Given a phone number, return its digits with all but the first five and last two hidden
    (all of them when there are seven or fewer).

    >>> mask_phone("491511234578")
    '49151*****78'
    """
    digits = "".join(character for character in number if character.isdigit())
    if len(digits) <= 7:
        return MASK * len(digits)
    return digits[:5] + MASK * (len(digits) - 7) + digits[-2:]


def mask_wid(wid: str | None) -> str | None:
    """Given a stored WID (JSON-quoted or bare), return only its masked phone number."""
    if not wid:
        return None
    match = _DIGITS.search(wid)
    return mask_phone(match.group(0)) if match else None


def scrub(text: str) -> str:
    """Given free text (a log line, an error message), return it with every phone number the
    module docstring lists masked, and every other digit kept."""
    text = _JID.sub(lambda match: mask_phone(match["number"]) + match["tail"], text)
    text = _FIELD.sub(lambda match: match["key"] + mask_phone(match["number"]), text)
    text = _LINK.sub(lambda match: match["key"] + mask_phone(match["number"]), text)
    return _INTERNATIONAL.sub(lambda match: "+" + mask_phone(match["number"]), text)


def scrub_data(value: Any) -> Any:
    """Given JSON-like data (an outcome's dict), return it with every string scrubbed."""
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, list):
        return [scrub_data(item) for item in value]
    if isinstance(value, dict):
        return {key: scrub_data(item) for key, item in value.items()}
    return value

"""The phone-number masker (agent/privacy.py): phone numbers masked where they can be known to
be one, every other number kept; and the console log that applies it."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator

import pytest
from loguru import logger

from agent.audit import CONSOLE_FORMAT, _is_console
from agent.privacy import mask_wid, scrub

PHONE = "491511234567"
MASKED = "49151*****67"

# Lines and error messages of every kind the code emits, with their numbers: kept as they are.
KEPT = [
    "the browser did not start in time (Timeout 490.20620157ms exceeded)",
    "page.goto: Timeout 30000ms exceeded.",
    "the browser exited with status -9 at start; pid 1234567 (port 9222)",
    "kioskguard runs: 3 profile(s) guarded; metrics on 127.0.0.1:9108",
    "audit log /var/log/kioskguard/audit.jsonl: wrote 10737418240 bytes",
    "check at 1733322588123 (epoch ms), 1733322588 (epoch s), 2026-12-04T15:29:48.123+00:00",
    "took 12345678.9 ms; offset +1234.5678 ms; delta -491511234567",
    "ws://127.0.0.1:45678/devtools/browser/3f0c9a1e-1234-5678-9abc-def012345678",
    "removing stale lock of /tmp/p (kiosk-491511234567 pid 4242, dead)",
    "HTTP 503 after 3 attempts (backoff 1.5 s); errno 28",
]
# Phone numbers where the code meets them: JIDs, stored fields, the phone API, written numbers.
MASKED_LINES = {
    f"stored wid {PHONE}:12@c.us": f"stored wid {MASKED}:12@c.us",
    f"unpair {PHONE}@s.whatsapp.net answered": f"unpair {MASKED}@s.whatsapp.net answered",
    "WALid 123456789012345@lid": "WALid 12345********45@lid",
    f"group {PHONE}-1600000000@g.us": f"group {MASKED}-1600000000@g.us",
    f'"last-wid-md": "\\"{PHONE}:3@c.us\\""': f'"last-wid-md": "\\"{MASKED}:3@c.us\\""',
    f'"last-wid-md": "{PHONE}"': f'"last-wid-md": "{MASKED}"',
    f'{{"wid": "{PHONE}", "lid": "123456789012345"}}': (
        f'{{"wid": "{MASKED}", "lid": "12345********45"}}'
    ),
    f"phone={PHONE} device 7": f"phone={MASKED} device 7",
    "call +49 151 1234567 now": f"call +{MASKED} now",
    "call +49-151-123-4567.": f"call +{MASKED}.",
    "+1 (555) 123-4567": "+15551****67",
    f"https://wa.me/{PHONE}": f"https://wa.me/{MASKED}",
    f"tel:+{PHONE}": f"tel:+{MASKED}",
}


@pytest.mark.parametrize("line", KEPT)
def test_numbers_that_are_no_phone_numbers_are_kept(line: str) -> None:
    assert scrub(line) == line


@pytest.mark.parametrize(("line", "masked"), MASKED_LINES.items())
def test_phone_numbers_are_masked_where_they_are_known_to_be_one(line: str, masked: str) -> None:
    assert scrub(line) == masked


def test_a_timeout_with_a_float_is_no_longer_garbled() -> None:
    message = f"Timeout 490.20620157ms exceeded while reading {PHONE}:12@c.us"
    assert scrub(message) == f"Timeout 490.20620157ms exceeded while reading {MASKED}:12@c.us"


def test_an_audit_record_as_json_keeps_no_full_number() -> None:
    record = {
        "error": f"page showed {PHONE}:12@c.us after Timeout 490.20620157ms",
        "notes": ["+49 151 1234567", f"phone API: {{'wid': '{PHONE}:12@c.us'}}"],
        "duration_ms": 4901,
    }
    text = scrub(json.dumps(record))
    assert PHONE not in text and "1511234567" not in text
    assert "490.20620157ms" in text and "4901" in text


def test_mask_wid_keeps_only_the_masked_number() -> None:
    assert mask_wid(f'"{PHONE}:12@c.us"') == MASKED
    assert mask_wid(None) is None and mask_wid('""') is None


@pytest.fixture
def console() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    handler = logger.add(stream, format=CONSOLE_FORMAT, filter=_is_console, level="DEBUG")
    yield stream
    logger.remove(handler)


def test_the_console_log_masks_phone_numbers_and_keeps_other_numbers(
    console: io.StringIO,
) -> None:
    logger.warning("desk: logout attempt failed: page of {} gone", f"{PHONE}:12@c.us")
    logger.info("took 490.20620157 ms; pid {}; port {}", 1234567, 9222)
    logger.bind(audit=True).info(f"audit line with {PHONE}@c.us")  # the audit sink's, not ours
    text = console.getvalue()
    assert PHONE not in text and f"{MASKED}:12@c.us" in text
    assert "took 490.20620157 ms; pid 1234567; port 9222" in text
    assert "audit line" not in text

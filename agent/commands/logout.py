"""``kioskguard logout``: log a profile out of the client, verify, and report.

Exit codes: 0 verified logged out (or nothing to log out), 1 failed, 2 bad input,
3 local-only fallback (the device may still be listed on the phone). When the audit line cannot
be written (a full disk), the outcome is still printed, then the audit failure, and the exit
code is 1.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import sys

from agent.audit import AuditWriteError, audit
from agent.commands.common import add_profile_options, emit, resolve
from agent.errors import ConfigError
from agent.outcome import LOCAL_ONLY_NOTE, Outcome, Result, Trigger
from agent.privacy import scrub, scrub_data
from agent.session.service import SessionService

MAX_DEADLINE_S = 600.0


def configure(parser: argparse.ArgumentParser) -> None:
    add_profile_options(parser)
    parser.add_argument(
        "--deadline", type=float, help="seconds the whole logout may take (default: from config)"
    )


def describe(outcome: Outcome) -> str:
    """Return the human-readable report of one outcome (its error and notes scrubbed of phone
    numbers)."""
    lines = [
        f"profile: {outcome.profile}",
        f"result: {outcome.result.value} (path {outcome.path or '-'}, how {outcome.how},"
        f" before {outcome.state_before}, {outcome.duration_ms} ms)",
    ]
    if outcome.result is Result.LOGGED_OUT:
        unlink = (
            "unpair answered by the server"
            if outcome.device_unlinked
            else "unpair not observable from the page"
        )
        lines.append(f"verified: QR screen back, session keys gone; {unlink}")
    if outcome.result is Result.LOCAL_ONLY:
        lines.append(LOCAL_ONLY_NOTE)
    if outcome.error:
        lines.append(f"error: {scrub(outcome.error)}")
    return "\n".join(lines)


async def _logout(service: SessionService, *args: object) -> Outcome:
    try:
        return await service.logout(*args)  # type: ignore[arg-type]
    finally:
        await service.close()


def run(args: argparse.Namespace) -> int:
    settings, profile = resolve(args)
    deadline = args.deadline if args.deadline is not None else settings.logout.deadline_s
    if not (math.isfinite(deadline) and 0 < deadline <= MAX_DEADLINE_S):
        raise ConfigError(
            f"--deadline {args.deadline}: must be a number of seconds above 0 and at most"
            f" {MAX_DEADLINE_S:g} (as logout.deadline_s)"
        )
    service = SessionService(settings)
    outcome = asyncio.run(_logout(service, profile, Trigger.MANUAL, deadline))
    if settings.fleet.enabled:  # the fleet's audit gets it through the daemon's outbox
        from agent.fleet.kiosk import queue_outcome

        try:
            queue_outcome(settings, outcome)
        except ConfigError as exc:  # the logout ran; the local audit below still records it
            print(f"kioskguard: not queued for the fleet: {exc}", file=sys.stderr)
    try:
        audit(outcome)
    except AuditWriteError:
        # The logout happened: say how it ended before the CLI reports the lost audit line.
        emit(scrub_data(outcome.to_dict()), args.json, describe(outcome))
        raise
    emit(scrub_data(outcome.to_dict()), args.json, describe(outcome))
    return outcome.result.exit_code

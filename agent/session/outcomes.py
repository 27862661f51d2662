"""From the page's LogoutReport to the Outcome: the result mapping and the fallback policy.

When the in-page path could not finish after reading the page at least once, the fallback clears
the client's origin only (FALLBACK_STORAGE) -> local_only; a page that never answered is failed
and nothing is cleared.
"""

from __future__ import annotations

from agent.browser.bounded import BoundedTab
from agent.errors import DriverError
from agent.outcome import LOCAL_ONLY_NOTE, Action, Outcome, Result
from agent.session.logout import LogoutReport, stored_keys

FALLBACK_STORAGE = ("cookies", "local_storage", "indexeddb", "service_workers", "cache_storage")


def record(outcome: Outcome, report: LogoutReport) -> None:
    """Given the page's report, set the outcome's result, verification, evidence and notes."""
    if report.state_before.value != "unknown" or outcome.state_before == "unknown":
        outcome.state_before = report.state_before
    outcome.attempts = report.attempts
    outcome.verified = report.verified
    outcome.device_unlinked = report.device_unlinked
    outcome.error = report.error
    outcome.notes.extend(report.steps)
    outcome.notes.extend(f"evidence: {item}" for item in report.evidence)
    if report.ui_failed:
        outcome.notes.append(f"UI path gave way: {report.ui_failed}")
    if report.client_failed:
        outcome.notes.append(f"client function unavailable: {report.client_failed}")
    if report.nothing_to_do:
        outcome.result = Result.NOTHING_TO_DO
    elif report.verified and report.device_unlinked is True:
        outcome.action, outcome.result = Action.IN_PAGE_LOGOUT, Result.LOGGED_OUT
        outcome.how = report.how or "none"
    elif report.verified:
        # Logged out in the page, but the unpair was not seen answered: a success we did not
        # see is never reported (the red team's client that logs out without any request).
        outcome.action = Action.IN_PAGE_LOGOUT
        outcome.how = report.how or "none"
        outcome.result = Result.LOCAL_ONLY
        outcome.error = (
            "the client could not reach its server to unlink the device"
            if report.device_unlinked is False
            else "no answer from the client's server between the logout and the QR screen:"
            " the unlink was not seen"
        )
    elif report.keys_left:
        outcome.error = f"QR shown but session keys remain: {', '.join(report.keys_left)}"


async def settle(tab: BoundedTab, outcome: Outcome, fallback_clear: bool) -> None:
    """Given a recorded outcome short of logged out or nothing to do, apply the fallback when
    the page answered (fallback_clear), else fail it: nothing was cleared."""
    if outcome.result is not Result.LOGGED_OUT and outcome.result is not Result.NOTHING_TO_DO:
        if tab.answered:
            await fallback(tab, outcome, fallback_clear)
        else:
            outcome.result = Result.FAILED
            outcome.error = (
                "the client page never answered before the deadline"
                f" ({outcome.error or 'no reading'}); nothing was cleared"
            )


async def fallback(tab: BoundedTab, outcome: Outcome, fallback_clear: bool) -> None:
    """Clear the client's origin (if fallback_clear) and say whether the keys went: local_only,
    else failed naming what remains or why the wipe failed."""
    if not fallback_clear:
        outcome.result = Result.FAILED
        return
    try:
        await tab.clear_origin_data(FALLBACK_STORAGE)
        left = await stored_keys(tab)
    except DriverError as exc:
        outcome.result = Result.FAILED
        outcome.error = f"{outcome.error or 'logout failed'}; fallback failed too: {exc}"
        return
    outcome.fallback_used = True
    if left:
        outcome.result = Result.FAILED
        outcome.error = f"fallback ran but keys remain: {', '.join(left)}"
        return
    if outcome.action is Action.NONE:
        outcome.action = Action.FALLBACK_CLEAR
        outcome.how = "wipe"
    outcome.result = Result.LOCAL_ONLY
    outcome.notes.append(LOCAL_ONLY_NOTE)

"""From the page's logout report to the outcome IT sees (agent.session.outcomes.record)."""

from __future__ import annotations

import pytest

from agent.outcome import Action, Outcome, PageState, Result, Trigger
from agent.session.logout import LogoutReport
from agent.session.outcomes import record


def verified(device_unlinked: bool | None) -> LogoutReport:
    return LogoutReport(
        state_before=PageState.CHATS,
        confirmed=True,
        reached_qr=True,
        verified=True,
        device_unlinked=device_unlinked,
        how="ui:menu",
    )


def test_a_verified_logout_with_the_unpair_answered_is_logged_out() -> None:
    outcome = Outcome(profile="seat", trigger=Trigger.MANUAL)
    record(outcome, verified(True))
    assert (outcome.result, outcome.action, outcome.how) == (
        Result.LOGGED_OUT,
        Action.IN_PAGE_LOGOUT,
        "ui:menu",
    )


@pytest.mark.parametrize(
    ("device_unlinked", "why"),
    [(False, "could not reach its server"), (None, "the unlink was not seen")],
)
def test_a_verified_logout_without_a_seen_unpair_is_local_only(
    device_unlinked: bool | None, why: str
) -> None:
    # None: the red team's client logged out in the page without any request to its server
    outcome = Outcome(profile="seat", trigger=Trigger.MANUAL)
    record(outcome, verified(device_unlinked))
    assert outcome.result is Result.LOCAL_ONLY
    assert outcome.error and why in outcome.error

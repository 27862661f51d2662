"""The in-page logout: reach the confirm dialog from whatever the page shows, confirm, verify.

A loop of read -> act -> read again, inside one deadline. Each reading decides the next step, so
banners, modals, slow menus, another-session and conflict screens are handled wherever they
appear. Success is claimed only when it is seen: the QR screen back AND the session keys gone.

Two in-page paths, in the order of ``paths``:
- "ui": the clicks a person makes (menu or settings -> Log out -> confirm);
- "client_function": the client's own logout function (what its confirm button calls), used
  when the UI path cannot single out its controls: every opener tried without a unique Log out
  item, no opener at all for NO_OPENER_S, a confirm dialog without a unique button for
  CONFIRM_AMBIGUOUS_S, or no confirm after UI_SHARE of the time available.
Both are verified the same way. ``report.how`` says which one did it (docs/reader.md).

The loop is here; what the run shares is in agent.session.run, and each screen's handler, with
its own state, in agent.session.screens.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from agent.errors import BrowserClosed, DriverError
from agent.session.pagestate import PageLike, leave_page
from agent.session.run import (
    ESCAPE_SCRIPT,
    NAV_RETRY_S,
    PATHS,
    WAIT_S,
    LogoutReport,
    Run,
    client_logout_script,
    stored_keys,
)
from agent.session.screens import Screens

# the names other modules import from here (FakeTab answers the two scripts)
__all__ = [
    "ESCAPE_SCRIPT",
    "PATHS",
    "LogoutReport",
    "client_logout_script",
    "log_out_in_page",
    "stored_keys",
]


async def log_out_in_page(
    tab: PageLike,
    client_url: str,
    deadline: float,
    clock: Callable[[], float] = time.monotonic,
    paths: tuple[str, ...] = PATHS,
) -> LogoutReport:
    """Given the client's tab, log out through the page before ``deadline`` (a clock() value).

    ``paths`` are the in-page paths allowed, in order ("ui", "client_function"). Return a
    LogoutReport; verified is True only when the QR screen is back and the session keys are
    gone. Never raises for page trouble: errors end up in report.error. Raise ValueError if
    ``paths`` names an unknown path.
    """
    unknown = [path for path in paths if path not in PATHS]
    if unknown or not paths:
        raise ValueError(f"paths {paths!r}: allowed: {', '.join(PATHS)} (at least one)")
    run = Run(tab, client_url, deadline, clock, tuple(paths))
    try:
        return await _loop(run)
    finally:
        await leave_page(tab)  # the visitor's page as it was found (the QR page has nothing)


async def _loop(run: Run) -> LogoutReport:
    screens = Screens(run)
    last_error = ""
    pause = NAV_RETRY_S
    while run.remaining() > 0:
        try:
            reading = await run.read()
            if await screens.step(reading):
                return run.report
            pause = NAV_RETRY_S
        except DriverError as exc:
            # Navigations (the post-logout reload) destroy the script context: read the new page
            # at once, backing off only while the errors last.
            last_error = str(exc)
            if isinstance(exc, BrowserClosed):
                run.report.error = f"the browser went away: {last_error}"
                return run.report
            await asyncio.sleep(min(pause, max(run.remaining(), 0)))
            pause = min(pause * 2, WAIT_S)
    run.report.error = "deadline reached before the logout was verified" + (
        f" (last error: {last_error})" if last_error else ""
    )
    return run.report

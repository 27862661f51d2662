"""Desktop notifications through notify-send (libnotify), when it is installed.

The only module that runs notify-send. Without it (or without a notification daemon) a
notification becomes a debug log line: a missing popup never stops a logout.
"""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Callable

from loguru import logger

URGENCIES = ("low", "normal", "critical")


class DesktopNotifier:
    """Shows short notifications to the person at the computer."""

    def __init__(
        self,
        *,
        app_name: str = "kioskguard",
        urgency: str = "normal",
        timeout: float = 5.0,
        which: Callable[[str], str | None] = shutil.which,
    ) -> None:
        """Build a notifier. Raise ValueError if urgency is not low, normal or critical."""
        if urgency not in URGENCIES:
            raise ValueError(f"urgency must be one of {', '.join(URGENCIES)}, not {urgency!r}")
        self.app_name = app_name
        self.urgency = urgency
        self.timeout = timeout
        self.program = which("notify-send")

    async def notify(self, title: str, body: str = "") -> None:
        """Show a notification; log at debug level if it cannot be shown."""
        await self.send(title, body)

    async def send(self, title: str, body: str = "") -> bool:
        """Show a notification and return whether notify-send accepted it."""
        if self.program is None:
            logger.debug("notify-send is not installed; notification not shown: {}", title)
            return False
        command = [self.program, f"--app-name={self.app_name}", f"--urgency={self.urgency}"]
        command += ["--", title, body]
        try:
            process = await asyncio.create_subprocess_exec(
                *command, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL
            )
        except OSError as exc:
            logger.debug("notify-send could not start: {}", exc)
            return False
        try:
            status = await asyncio.wait_for(process.wait(), self.timeout)
        except TimeoutError:
            process.kill()
            await process.wait()
            logger.debug("notify-send did not finish within {} s", self.timeout)
            return False
        if status != 0:
            logger.debug("notify-send exited with status {} (no notification daemon?)", status)
        return status == 0

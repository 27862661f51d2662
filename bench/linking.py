"""Set-up steps that are not measured: link a profile to the simulator, load it without linking."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from playwright.async_api import Page, Playwright

from agent.browser.discovery import QUIET_ARGS, Browser
from agent.simulator.testing import SimulatorHandle

READ_REF = "() => document.querySelector('div[data-ref]').getAttribute('data-ref')"
CHATS = '#pane-side, [role="grid"][aria-label]'  # classic/rail ids; wds-2026 has none


async def link_page(page: Page, sim: SimulatorHandle, timeout_s: float = 15.0) -> None:
    """Given a page on the simulator, link it through the phone API and wait for the chats."""
    await page.wait_for_selector("div[data-ref]", timeout=timeout_s * 1000)
    sim.link(await page.evaluate(READ_REF))
    await page.wait_for_selector(CHATS, timeout=timeout_s * 1000)


@asynccontextmanager
async def opened_profile(
    playwright: Playwright, user_data_dir: Path, executable: Browser
) -> AsyncIterator[Page]:
    """Launch the profile headless, bare (as the agent's floor and set-up do); yield its page."""
    context = await playwright.chromium.launch_persistent_context(
        str(user_data_dir),
        executable_path=str(executable.path),
        headless=True,
        args=list(QUIET_ARGS),
    )
    try:
        yield context.pages[0] if context.pages else await context.new_page()
    finally:
        await context.close()


async def prepare_profile(
    playwright: Playwright,
    user_data_dir: Path,
    executable: Browser,
    sim: SimulatorHandle,
    linked: bool,
) -> None:
    """Open the profile headless on the simulator, link it when asked, then close it.

    Raise playwright's Error or TimeoutError if the page never shows the QR or the chats.
    """
    async with opened_profile(playwright, user_data_dir, executable) as page:
        await page.goto(sim.url)
        if linked:
            await link_page(page, sim)
        else:
            await page.wait_for_selector("div[data-ref]", timeout=15_000)

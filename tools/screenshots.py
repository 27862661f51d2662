"""Save screenshots of every simulator screen to docs/screens/*.png (headless, 1280x800).

Usage: .venv/bin/python tools/screenshots.py [--out docs/screens] [--browser PATH]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from playwright.async_api import Browser, Page, async_playwright

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from agent.browser.discovery import QUIET_ARGS, find_browser  # noqa: E402
from agent.simulator.config import GENERATIONS  # noqa: E402
from agent.simulator.locales import EN  # noqa: E402
from agent.simulator.testing import SimulatorHandle, running_simulator  # noqa: E402

VIEWPORT = {"width": 1280, "height": 800}
MUTATE_SEED = 1  # a seed whose settings list is reordered and holds a decoy


async def linked_page(browser: Browser, sim: SimulatorHandle, query: str = "") -> Page:
    """Open a fresh context on the client, link it through the phone API, open one chat."""
    context = await browser.new_context(viewport=VIEWPORT)  # type: ignore[arg-type]
    page = await context.new_page()
    await page.goto(sim.url + query)
    ref = await page.locator("div[data-ref]").get_attribute("data-ref")
    sim.link(ref or "")
    await page.locator(".pane-side").wait_for()  # a class: wds-2026 renders no ids
    await page.locator(".chat-row").first.click()
    await page.locator(".main-panel footer").wait_for()
    return page


async def generations(browser: Browser, sim: SimulatorHandle, out: Path) -> None:
    """One chats screenshot per markup generation, plus wds-2026's menu and a mutated drawer."""
    sim.reset()  # the phone links at most 4 devices: start from none, unlink after each
    for generation in GENERATIONS:
        page = await linked_page(browser, sim, f"?generation={generation}")
        await shoot(page, out, f"gen-{generation}")
        if generation == "wds-2026":
            await page.locator(".side-header").get_by_label(EN["menu"], exact=True).click()
            await page.locator(".dropdown").wait_for()
            await shoot(page, out, "gen-wds-2026-menu")
            await page.locator("header.rail").get_by_label(EN["settings"], exact=True).click()
            await page.locator(".drawer").wait_for()
            await shoot(page, out, "gen-wds-2026-settings")
        await page.context.close()
        sim.logout_all()
    page = await linked_page(browser, sim, f"?generation=wds-2026&mutate={MUTATE_SEED}")
    await page.locator("header.rail").get_by_label(EN["settings"], exact=True).click()
    await page.locator(".drawer").wait_for()
    await shoot(page, out, f"mutate-{MUTATE_SEED}-settings")
    await page.context.close()


async def shoot(page: Page, out: Path, name: str) -> None:
    await page.wait_for_timeout(150)  # let the CSS settle
    await page.screenshot(path=str(out / f"{name}.png"))
    print(f"saved {out / name}.png")


async def main(out: Path, browser_path: str | None) -> None:
    out.mkdir(parents=True, exist_ok=True)
    executable = find_browser(browser_path)
    with running_simulator() as sim:
        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(
                executable_path=str(executable.path), args=list(QUIET_ARGS)
            )
            context = await browser.new_context(viewport=VIEWPORT)  # type: ignore[arg-type]
            page = await context.new_page()
            await page.goto(sim.url)
            await page.locator("div[data-ref] canvas").wait_for()
            await shoot(page, out, "qr")

            page = await linked_page(browser, sim)
            await shoot(page, out, "chats-rail")
            await page.get_by_role("button", name=EN["settings"], exact=True).click()
            await page.locator("#logout").wait_for()
            await shoot(page, out, "settings-list")
            await page.locator("#logout").click()
            await page.get_by_role("dialog").wait_for()
            await shoot(page, out, "confirm-dialog")

            page = await linked_page(browser, sim, "?layout=classic")
            await shoot(page, out, "chats-classic")
            await page.locator('#side [aria-label="Menu"]').click()
            await page.locator('div[role="application"]').wait_for()
            await shoot(page, out, "menu-open")

            sim.reset()
            for screen in ("another_session", "conflict"):
                page = await linked_page(browser, sim)
                await page.goto(sim.url + f"?force_screen={screen}")
                await page.get_by_role("button", name=EN["use_here"]).wait_for()
                await shoot(page, out, screen.replace("_", "-"))

            page = await linked_page(browser, sim, "?drop_unpair=true&force_screen=null")
            await page.get_by_role("button", name=EN["settings"], exact=True).click()
            await page.locator("#logout").click()
            await page.get_by_role("dialog").get_by_role("button", name=EN["log_out"]).click()
            await page.locator("progress").wait_for()
            await shoot(page, out, "logging-out")

            await generations(browser, sim, out)

            phone = await (await browser.new_context(viewport=VIEWPORT)).new_page()  # type: ignore[arg-type]
            await phone.goto(sim.phone_url)
            await phone.locator("#devices li").first.wait_for()
            await shoot(phone, out, "phone")
            await browser.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screens")
    parser.add_argument("--browser", help="browser executable (default: discovered)")
    arguments = parser.parse_args()
    asyncio.run(main(arguments.out, arguments.browser))

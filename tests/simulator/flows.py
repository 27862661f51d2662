"""Steps the simulator tests share: open the client, link it, click through the logout."""

from __future__ import annotations

import json
from typing import Any

import aiohttp
from playwright.async_api import Page

from agent.simulator.locales import STRINGS
from agent.simulator.testing import SimulatorHandle

SESSION_KEYS = ("last-wid-md", "WANoiseInfo", "WAWebEncKeySalt", "WANoiseInfoIv", "WALid")
DATABASES = ("model-storage", "signal-storage", "wawc", "wawc_db_enc")
QR_CANVAS = "div[data-ref] canvas"


async def open_qr(page: Page, url: str) -> str:
    """Open the client at ``url`` and return the data-ref of the QR it shows."""
    await page.goto(url)
    ref = await page.locator("div[data-ref]").get_attribute("data-ref")
    assert ref
    return ref


async def open_linked(sim: SimulatorHandle, page: Page, query: str = "") -> dict[str, Any]:
    """Open the client, link it through the phone API, wait for the chats; return the device."""
    device = sim.link(await open_qr(page, sim.url + query))
    await page.locator("#pane-side").wait_for()
    return device


async def click_logout(page: Page, layout: str, locale: str) -> None:
    """Click menu -> Log out -> confirm, finding everything by the locale's own strings."""
    strings = STRINGS[locale]
    if layout == "classic":
        await page.locator(f'#side [aria-label="{strings["menu"]}"]').click()
        await page.get_by_role("button", name=strings["log_out"], exact=True).click()
    else:
        await page.get_by_role("button", name=strings["settings"], exact=True).click()
        await page.locator("#logout").filter(has_text=strings["log_out"]).click()
    await confirm(page, strings["log_out"])


async def open_linked_generation(
    sim: SimulatorHandle, page: Page, generation: str, locale: str = "en", extra: str = ""
) -> dict[str, Any]:
    """Open the client in ``generation``, link it, wait for its chat list (found by its label)."""
    device = sim.link(
        await open_qr(page, f"{sim.url}?generation={generation}&locale={locale}{extra}")
    )
    await page.locator(f'[aria-label="{STRINGS[locale]["chat_list"]}"]').wait_for()
    return device


async def click_logout_as_a_human(page: Page, generation: str, locale: str) -> None:
    """Click the generation's logout path by what a person sees: names, then the red item."""
    strings = STRINGS[locale]
    if generation.startswith("classic"):
        await page.locator(".side-header").get_by_role("button", name=strings["menu"]).click()
        await page.locator(".dropdown").get_by_text(strings["log_out"], exact=True).click()
    else:
        await page.locator("header.rail").get_by_label(strings["settings"], exact=True).click()
        await page.locator(".drawer").get_by_text(strings["log_out"], exact=True).click()
    await confirm(page, strings["log_out"])


async def confirm(page: Page, label: str) -> None:
    await page.get_by_role("dialog").get_by_role("button", name=label, exact=True).click()


async def stored_keys(page: Page) -> list[str]:
    keys = await page.evaluate("Object.keys(localStorage)")
    return sorted(key for key in keys if key in SESSION_KEYS)


async def database_names(page: Page) -> list[str]:
    return sorted(await page.evaluate("indexedDB.databases().then(d => d.map(x => x.name))"))


async def socket_token(sim: SimulatorHandle, session: aiohttp.ClientSession) -> str:
    """Connect a page-less client over /ws and return the first QR token it is given."""
    socket = await session.ws_connect(sim.url + "ws")
    await socket.send_str(json.dumps({"type": "hello", "device_id": None, "secret": None}))
    async for message in socket:
        data = json.loads(message.data)
        if data["type"] == "qr":
            return str(data["ref"])
    raise AssertionError("the socket closed before a QR token arrived")

"""The page reading's change counter and click points, on plain pages in real Chromium."""

from __future__ import annotations

import asyncio

import pytest
from playwright.async_api import Page

from agent.browser.relaunch import Tab
from agent.errors import DriverError
from agent.session.logout import log_out_in_page
from agent.session.pagestate import Inspection, inspect, leave_page, parse_inspection

pytestmark = pytest.mark.browser


def opener_of(reading: Inspection) -> str | None:
    """Return the selector of the first opener the reading found, None if none."""
    return reading.openers[0][0] if reading.openers else None


CHATS = """
<div id="side"><button aria-label="Menu"><span data-icon="menu"></span></button></div>
<div id="pane-side"><div aria-label="Chat list" role="grid"><div role="row">a chat</div></div></div>
"""


async def open_chats(page: Page, extra: str = "") -> Tab:
    await page.goto("about:blank")
    await page.set_content(CHATS + extra)
    return Tab(page, "null")


# A wait that never woke would last NEVER_S: the timeout mark turns that into a failure.
NEVER_S = 600.0


@pytest.mark.timeout(60)
async def test_reading_after_a_change_comes_as_soon_as_the_page_changes(page: Page) -> None:
    tab = await open_chats(page)
    reading = await inspect(tab)
    assert reading.seq is not None
    await page.evaluate("setTimeout(() => document.body.append(document.createElement('p')), 50)")
    changed = await inspect(tab, after=reading, wait_s=NEVER_S)
    assert changed.seq is not None and changed.seq > reading.seq


async def test_reading_after_no_change_comes_when_the_wait_ends(page: Page) -> None:
    tab = await open_chats(page)
    reading = await inspect(tab)
    again = await inspect(tab, after=reading, wait_s=0.2)
    assert again.seq == reading.seq and again.state is reading.state


async def test_own_marks_do_not_count_as_changes(page: Page) -> None:
    tab = await open_chats(page)
    first = await inspect(tab)
    second = await inspect(tab)  # marks the same controls again
    assert second.seq == first.seq
    assert (await inspect(tab, after=second, wait_s=0.2)).seq == first.seq


@pytest.mark.timeout(60)
async def test_change_before_the_wait_is_not_missed(page: Page) -> None:
    tab = await open_chats(page)
    reading = await inspect(tab)
    await page.evaluate("document.body.append(document.createElement('p'))")
    changed = await inspect(tab, after=reading, wait_s=NEVER_S)
    assert changed.seq is not None and reading.seq is not None and changed.seq > reading.seq


@pytest.mark.timeout(60)
async def test_navigation_during_the_wait_is_an_error_to_read_again(page: Page) -> None:
    tab = await open_chats(page)
    reading = await inspect(tab)
    # Reload only once the reading is waiting (a timer could fire before the wait starts on a
    # busy machine, and a fresh page is simply read, without a wait).
    await page.evaluate(
        """const poll = setInterval(() => {
             const watch = window.__kioskguardWatch;
             if (watch && watch.waiters.length) { clearInterval(poll); location.reload(); }
           }, 5)"""
    )
    with pytest.raises(DriverError):
        await inspect(tab, after=reading, wait_s=NEVER_S)


@pytest.mark.timeout(60)
async def test_navigation_before_the_wait_reads_the_new_page_at_once(page: Page) -> None:
    tab = await open_chats(page)
    reading = await inspect(tab)
    await page.reload()  # the new page has no change counter yet: nothing to wait for
    fresh = await inspect(tab, after=reading, wait_s=NEVER_S)
    assert opener_of(reading) is not None and opener_of(fresh) is None


async def test_visible_control_gets_a_click_point(page: Page) -> None:
    tab = await open_chats(page)
    reading = await inspect(tab)
    assert opener_of(reading) is not None
    x, y = reading.points[opener_of(reading)]
    box = await page.locator("#side button").bounding_box()
    assert box is not None
    assert box["x"] < x < box["x"] + box["width"] and box["y"] < y < box["y"] + box["height"]


async def test_covered_control_gets_no_click_point(page: Page) -> None:
    cover = '<div style="position:fixed;inset:0;background:#fff8"></div>'
    tab = await open_chats(page, cover)
    reading = await inspect(tab)
    assert opener_of(reading) is not None and opener_of(reading) not in reading.points


async def test_moving_control_gets_no_click_point(page: Page) -> None:
    tab = await open_chats(page)
    await page.evaluate(
        """document.querySelector('#side').animate(
            [{transform: 'translateX(0)'}, {transform: 'translateX(40px)'}], 60000)"""
    )
    reading = await inspect(tab)
    assert opener_of(reading) is not None and opener_of(reading) not in reading.points


def test_malformed_points_are_dropped() -> None:
    raw = {
        "state": "chats",
        "seq": 3,
        "points": {"opener": {"x": 10, "y": 20.5}, "confirm": {"x": "10"}, "bad": None},
    }
    reading = parse_inspection(raw)
    assert reading.seq == 3
    assert reading.points == {'[data-kioskguard="opener"]': (10.0, 20.5)}
    assert parse_inspection({"state": "chats", "seq": "3"}).seq is None


LEFT_BEHIND = """() => ({
  marks: document.querySelectorAll("[data-kioskguard]").length,
  watch: "__kioskguardWatch" in window,
})"""


async def test_leaving_the_page_removes_marks_and_the_change_counter(page: Page) -> None:
    tab = await open_chats(page)
    reading = await inspect(tab)
    assert opener_of(reading) is not None
    assert await page.evaluate(LEFT_BEHIND) == {"marks": 1, "watch": True}
    await leave_page(tab)
    assert await page.evaluate(LEFT_BEHIND) == {"marks": 0, "watch": False}
    again = await inspect(tab)  # a later reading starts afresh
    assert opener_of(again) is not None and again.seq == 0


async def test_a_logout_that_cannot_finish_leaves_the_visitors_page_as_found(page: Page) -> None:
    tab = await open_chats(page)  # a menu opener, but no Log out item behind it
    before = await page.evaluate("document.body.innerHTML")
    report = await log_out_in_page(
        tab,
        "about:blank",
        asyncio.get_running_loop().time() + 2.0,
        clock=asyncio.get_running_loop().time,
        paths=("ui",),
    )
    assert not report.verified
    assert await page.evaluate(LEFT_BEHIND) == {"marks": 0, "watch": False}
    assert await page.evaluate("document.body.innerHTML") == before  # no mark, nothing added

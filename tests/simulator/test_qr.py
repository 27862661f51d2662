"""The QR screen: a real QR code of the page's token is drawn, and the token rotates."""

from __future__ import annotations

import pytest
import segno
from playwright.async_api import Page, expect

from agent.simulator.testing import SimulatorHandle
from tests.simulator.flows import QR_CANVAS, open_qr

pytestmark = pytest.mark.browser

# Must match app.js: a 264 px canvas, 2 modules of quiet zone, integer module size, centred.
SIZE, BORDER = 264, 2

READ_MODULES = """([size, offset, scale]) => {
  const canvas = document.querySelector('div[data-ref] canvas');
  const pixels = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
  const rows = [];
  for (let y = 0; y < size; y += 1) {
    let row = '';
    for (let x = 0; x < size; x += 1) {
      const px = Math.floor(offset + (x + 0.5) * scale);
      const py = Math.floor(offset + (y + 0.5) * scale);
      row += pixels[(py * canvas.width + px) * 4] < 128 ? '1' : '0';
    }
    rows.push(row);
  }
  return rows;
}"""


async def test_canvas_shows_the_qr_code_of_its_data_ref(sim: SimulatorHandle, page: Page) -> None:
    ref = await open_qr(page, sim.url)
    matrix = segno.make(ref, error="l").matrix
    scale = SIZE // (len(matrix) + 2 * BORDER)
    offset = (SIZE - scale * len(matrix)) // 2
    drawn = await page.evaluate(READ_MODULES, [len(matrix), offset, scale])
    assert drawn == ["".join(str(bit) for bit in row) for row in matrix]


async def test_qr_token_rotates(sim: SimulatorHandle, page: Page) -> None:
    sim.configure(qr_rotate_seconds=0.5)
    first = await open_qr(page, sim.url)
    await expect(page.locator("div[data-ref]")).not_to_have_attribute("data-ref", first)
    await expect(page.locator(QR_CANVAS)).to_be_visible()


async def test_qr_screen_has_stay_logged_in_checked(sim: SimulatorHandle, page: Page) -> None:
    await open_qr(page, sim.url)
    await expect(page.locator(".landing-wrapper input[type=checkbox]")).to_be_checked()

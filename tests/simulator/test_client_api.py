"""The client's own modules through window.require: socket state, logout, events, strings."""

from __future__ import annotations

import pytest
from playwright.async_api import Page, expect

from agent.simulator.config import ALL_LOCALES
from agent.simulator.locales import STRINGS
from agent.simulator.testing import SimulatorHandle
from tests.simulator.flows import (
    QR_CANVAS,
    open_linked,
    open_linked_generation,
    open_qr,
    stored_keys,
)

pytestmark = pytest.mark.browser

STATE = "() => require('WAWebSocketModel').Socket.state"
# Records every state the socket takes from now on (the page keeps it in a plain property).
RECORD_STATES = """() => {
  const socket = require('WAWebSocketModel').Socket;
  let value = socket.state;
  window.__states = [value];
  Object.defineProperty(socket, 'state', {
    get: () => value,
    set: (next) => { value = next; window.__states.push(next); },
  });
}"""
# On Cmd "logout": what the page and the server look like at that moment, kept across the reload.
LISTEN_FOR_LOGOUT = """() => {
  require('WAWebCmd').Cmd.on('logout', () => {
    const request = new XMLHttpRequest();
    request.open('GET', '/api/phone/devices', false);
    request.send();
    sessionStorage.setItem('heard', JSON.stringify({
      url: location.href,
      keys: Object.keys(localStorage).filter((k) => k === 'last-wid-md' || k === 'WANoiseInfo'),
      devices: JSON.parse(request.responseText).devices.length,
    }));
  });
}"""


async def test_socket_state_follows_qr_pairing_and_chats(sim: SimulatorHandle, page: Page) -> None:
    ref = await open_qr(page, sim.url)
    assert await page.evaluate(STATE) == "UNPAIRED"
    await page.evaluate(RECORD_STATES)
    sim.link(ref)
    await page.locator("#pane-side").wait_for()
    states = await page.evaluate("window.__states")
    assert states[0] == "UNPAIRED" and states[-1] == "CONNECTED"
    assert "PAIRING" in states and states.index("PAIRING") < states.index("CONNECTED")


@pytest.mark.parametrize(
    ("screen", "state"), [("conflict", "CONFLICT"), ("another_session", "UNLAUNCHED")]
)
async def test_socket_state_on_takeover_screens(
    sim: SimulatorHandle, page: Page, screen: str, state: str
) -> None:
    await open_linked(sim, page)
    await page.goto(f"{sim.url}?force_screen={screen}")
    await page.get_by_role("button", name=STRINGS["en"]["use_here"]).wait_for()
    assert await page.evaluate(STATE) == state


async def test_socket_state_is_opening_while_a_session_is_restored(
    sim: SimulatorHandle, page: Page
) -> None:
    await open_linked(sim, page)
    await page.goto(f"{sim.url}?startup_delay_ms=3000")
    await page.wait_for_function("() => typeof window.require === 'function'")
    assert await page.evaluate(STATE) == "OPENING"
    assert await page.locator("#pane-side").count() == 0


async def test_socket_state_is_logging_out_while_the_unpair_waits(
    sim: SimulatorHandle, page: Page
) -> None:
    await open_linked(sim, page, "?drop_unpair=true")
    await page.evaluate("() => { require('WAWebSocketModel').Socket.logout(); }")
    await page.wait_for_function("() => document.querySelector('#app progress') !== null")
    assert await page.evaluate(STATE) == "LOGGING_OUT"


async def test_conn_ref_is_the_qr_token_then_null_when_linked(
    sim: SimulatorHandle, page: Page
) -> None:
    ref = await open_qr(page, sim.url)
    assert await page.evaluate("() => require('WAWebConnModel').Conn.ref") == ref
    sim.link(ref)
    await page.locator("#pane-side").wait_for()
    assert await page.evaluate("() => require('WAWebConnModel').Conn.ref") is None


@pytest.mark.parametrize("generation", ["rail-2024", "wds-2026"])
async def test_socket_logout_unlinks_and_emits_logout_after_the_unpair_before_the_reload(
    sim: SimulatorHandle, page: Page, generation: str
) -> None:
    await open_linked_generation(sim, page, generation)
    await page.evaluate(LISTEN_FOR_LOGOUT)
    await page.evaluate("() => { require('WAWebSocketModel').Socket.logout(); }")
    await page.wait_for_url("**/?post_logout=1")
    await expect(page.locator(QR_CANVAS)).to_be_visible()
    heard = await page.evaluate("JSON.parse(sessionStorage.getItem('heard'))")
    assert heard is not None, "Cmd never emitted logout"
    assert "post_logout" not in heard["url"]
    assert (heard["keys"], heard["devices"]) == ([], 0)
    assert await stored_keys(page) == []
    assert sim.devices() == []


async def test_cmd_on_off_once(sim: SimulatorHandle, page: Page) -> None:
    await open_qr(page, sim.url)
    calls = await page.evaluate("""() => {
      const { Cmd } = require('WAWebCmd');
      const calls = [];
      const kept = () => calls.push('kept');
      const removed = () => calls.push('removed');
      Cmd.on('logout', kept);
      Cmd.on('logout', removed);
      Cmd.once('logout', () => calls.push('once'));
      Cmd.off('logout', removed);
      Cmd.trigger('logout'); Cmd.trigger('logout');
      return calls;
    }""")
    assert calls == ["kept", "once", "kept"]


@pytest.mark.parametrize("locale", ALL_LOCALES)
async def test_logout_title_is_an_object_giving_the_pages_log_out_label(
    sim: SimulatorHandle, page: Page, locale: str
) -> None:
    await open_qr(page, f"{sim.url}?locale={locale}")
    kind, text = await page.evaluate(
        "() => { const title = require('WAWebSettingsFBT').logoutTitle();"
        " return [typeof title, String(title)]; }"
    )
    assert (kind, text) == ("object", STRINGS[locale]["log_out"])


async def test_unknown_module_throws_the_clients_error(sim: SimulatorHandle, page: Page) -> None:
    await open_qr(page, sim.url)
    message = await page.evaluate(
        "() => { try { require('WAWebNoSuchThing'); return null; }"
        " catch (error) { return error.message; } }"
    )
    assert message == 'Requiring unknown module "WAWebNoSuchThing"'


async def test_client_api_off_leaves_no_require(sim: SimulatorHandle, page: Page) -> None:
    sim.configure(client_api=False)
    await open_qr(page, sim.url)
    assert await page.evaluate("typeof window.require") == "undefined"
    sim.configure(client_api=True)
    await page.wait_for_function("() => typeof window.require === 'function'")

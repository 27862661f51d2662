"""The whole logout loop on a hand-written client that is not the simulator (real Chromium).

The page is served at a made-up origin through a route: a dropdown rendered in a portal at the
end of the body and faded in, items as li > div[role=button] with an aria-label, decoys in the
menu, a confirm dialog whose buttons carry no ids, a reload with post_logout=1 to the QR screen.
Its words are chosen per case: a language the tables hold, one they do not (with and without the
client's own Log out title).
"""

from __future__ import annotations

import json

import pytest
from playwright.async_api import Page, Route

from agent.browser.relaunch import Tab
from agent.session.logout import log_out_in_page, stored_keys
from tests.session.helpers import deadline

pytestmark = pytest.mark.browser

ORIGIN = "http://replica.test"
PAGE = """<!doctype html><html lang="%(lang)s"><head><style>
  body { font: 14px sans-serif; margin: 0; }
  [role=button], button, li { cursor: pointer; }
  .critical { color: #ea0038; }
  .drop { position: absolute; top: 40px; left: 260px; background: #fff; opacity: 0;
          transition: opacity 120ms; box-shadow: 0 2px 5px #0003; }
  .drop.shown { opacity: 1; }
  .drop li { list-style: none; padding: 8px 20px; }
</style></head><body><div id="app"></div><script>
const W = %(words)s;
// every click on a menu item or dialog button, kept across the logout's reload
const clicks = { push: (label) => sessionStorage.setItem("replica-clicks",
  JSON.stringify([...JSON.parse(sessionStorage.getItem("replica-clicks") || "[]"), label])) };
if (W.api) {
  window.require = (name) => {
    if (name === "WAWebSettingsFBT") return { logoutTitle: () => ({ toString: () => W.logout }) };
    throw new Error("Requiring unknown module " + name);
  };
}
const app = document.getElementById("app");
const linked = () => localStorage.getItem("last-wid-md") !== null;
function qr() {
  app.innerHTML = '<div class="landing"><div data-ref="2@abc"><canvas width="264" height="264"' +
    ' aria-label="QR"></canvas></div></div>';
}
function chats() {
  app.innerHTML = `<div tabindex="-1" class="wrapper"><div class="side">
    <header><span>${W.chats}</span>
      <div role="button" tabindex="0" title="${W.menu}" class="opener"><span data-icon="menu">
        <svg viewBox="0 0 24 24"><path d="M12 7a2 2 0 1 0 0-4"/></svg></span></div></header>
    <div aria-label="${W.list}" role="grid" aria-rowcount="2">
      <div role="row" tabindex="-1" aria-selected="false">Ana</div>
      <div role="row" tabindex="-1" aria-selected="false">Bo</div></div></div></div>`;
  app.querySelector(".opener").addEventListener("click", openMenu);
}
function openMenu(event) {
  event.stopPropagation();
  const portal = document.createElement("span");
  const items = W.items.map(([label, red], index) =>
    `<li tabindex="-1" data-index="${index}"><div role="button" aria-label="${label}"` +
    ` class="${red ? "critical" : ""}"><span>${label}</span></div></li>`).join("");
  portal.innerHTML = `<div class="drop"><ul>${items}</ul></div>`;
  document.body.append(portal);
  requestAnimationFrame(() => portal.firstChild.classList.add("shown"));
  portal.addEventListener("click", (clicked) => {
    const li = clicked.target.closest("li");
    if (!li) return;
    const [label] = W.items[Number(li.dataset.index)];
    clicks.push(label);
    portal.remove();
    if (label === W.logout) setTimeout(confirm, 80);
  });
}
function confirm() {
  const overlay = document.createElement("span");
  overlay.innerHTML = `<div data-animate-modal-backdrop="true"><div data-animate-modal-popup="true"
    aria-label="${W.logout}?"><h1>${W.logout}?</h1><p>…</p><div>
    <button type="button"><div>${W.cancel}</div></button>
    <button type="button" style="background:#ea0038;color:#fff"><div>${W.logout}</div></button>
    </div></div></div>`;
  document.body.append(overlay);
  const [cancel, ok] = overlay.querySelectorAll("button");
  cancel.addEventListener("click", () => { clicks.push("cancel"); overlay.remove(); });
  ok.addEventListener("click", () => {
    clicks.push("confirm");
    fetch("/unpair", { method: "POST" }).finally(() => {
      localStorage.clear();
      location.replace("/?post_logout=1");
    });
  });
}
if (linked()) setTimeout(chats, 150); else qr();
</script></body></html>"""

WORDS = {
    "pl": {
        "lang": "pl",
        "api": False,
        "logout": "Wyloguj",
        "cancel": "Anuluj",
        "menu": "Menu",
        "chats": "Czaty",
        "list": "Lista czatów",
        "items": [
            ["Nowa grupa", False],
            ["Usuń czat", True],
            ["Wyloguj", True],
            ["Zablokuj", True],
        ],
    },
    "invented, with the client's title": {
        "lang": "qx",
        "api": True,
        "logout": "Mirtu Sofal",
        "cancel": "Daso",
        "menu": "Kavo",
        "chats": "Lemi",
        "list": "Lemi tora",
        "items": [["Pelo taf", False], ["Gorun vel", True], ["Mirtu Sofal", True], ["Nadi", True]],
    },
}


async def serve(page: Page, words: dict[str, object]) -> list[str]:
    """Route the made-up origin to the replica; return the list the unpair requests go to."""
    unpaired: list[str] = []

    async def handle(route: Route) -> None:
        if route.request.url.endswith("/unpair"):
            unpaired.append(route.request.url)
            await route.fulfill(status=200, body="{}")
        else:
            body = PAGE % {"lang": words["lang"], "words": json.dumps(words)}
            await route.fulfill(status=200, content_type="text/html", body=body)

    await page.route(f"{ORIGIN}/**", handle)
    return unpaired


async def clicked(page: Page) -> list[str]:
    raw = await page.evaluate("() => sessionStorage.getItem('replica-clicks') || '[]'")
    labels: list[str] = json.loads(raw)
    return labels


async def linked(page: Page) -> Tab:
    """Store a session on the replica's origin and open the client."""
    await page.goto(ORIGIN + "/")
    await page.evaluate(
        "() => { localStorage.setItem('last-wid-md', '\"1:2@c.us\"');"
        " localStorage.setItem('WANoiseInfo', 'x'); }"
    )
    tab = Tab(page, ORIGIN)
    await tab.goto(ORIGIN + "/", 15.0)
    return tab


@pytest.mark.parametrize("case", WORDS)
async def test_a_client_the_simulator_never_rendered_is_logged_out(page: Page, case: str) -> None:
    words = WORDS[case]
    unpaired = await serve(page, words)
    tab = await linked(page)
    report = await log_out_in_page(tab, ORIGIN + "/", deadline(), paths=("ui",))
    assert report.verified and report.how == "ui:menu", report
    assert await stored_keys(tab) == [] and unpaired
    assert await clicked(page) == [words["logout"], "confirm"]  # never a decoy
    assert "post_logout" in page.url


LONE_RED = {  # a language no table knows, no client title: only the colour names the item
    "lang": "qx",
    "api": False,
    "logout": "Mirtu Sofal",
    "cancel": "Daso",
    "menu": "Kavo",
    "chats": "Lemi",
    "list": "Lemi tora",
    "items": [["Pelo taf", False], ["Rubo", False], ["Mirtu Sofal", True]],
}


async def test_colour_alone_is_not_enough_to_click_an_item(page: Page) -> None:
    # The same page with "Mirtu Sofal" meaning "close your account" would be indistinguishable:
    # the UI path gives way (the service then clears the origin and reports local_only).
    unpaired = await serve(page, LONE_RED)
    tab = await linked(page)
    report = await log_out_in_page(tab, ORIGIN + "/", deadline(), paths=("ui",))
    assert not report.verified and not unpaired
    assert report.ui_failed and "destructive candidate" in report.ui_failed
    assert await clicked(page) == []  # the red item was never clicked


async def test_a_replica_menu_of_unnamed_red_items_is_left_alone(page: Page) -> None:
    words = dict(LONE_RED)
    words["items"] = [["Pelo taf", True], ["Mirtu Sofal", True]]
    await serve(page, words)
    tab = await linked(page)
    report = await log_out_in_page(tab, ORIGIN + "/", deadline(20.0))
    assert not report.verified and not report.confirmed
    assert report.error and report.error.startswith("no in-page path left")
    assert await clicked(page) == []  # nothing was guessed
    assert await stored_keys(tab) != []

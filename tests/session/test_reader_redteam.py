"""The logout loop on the red team's replicas of the real client (real Chromium).

Each replica in tests/session/replicas/ was built from ../shared/whatsapp-web-notes.md alone by
a tester who never saw the reader, and each once defeated it: an Arabic "What's new" modal whose
last button is a "Learn more" decoy (clicked 49-98 times), chat lists named only in Turkish or
only by `title`, icon-only menu items named only by `title`, a Use here button that keeps its
title while its text says "Connecting..." and restarts the takeover when clicked again. They are
served at a made-up origin; /unpair and /decoy requests are recorded like the tester's server.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.async_api import Page, Route

from agent.browser.relaunch import Tab
from agent.session.logout import log_out_in_page, stored_keys
from tests.session.helpers import deadline

pytestmark = pytest.mark.browser

ORIGIN = "http://redteam-replica.test"
REPLICAS = Path(__file__).parent / "replicas"
KEYS = {
    "last-wid-md": '"491511234567:12@c.us"',
    "WANoiseInfo": '{"v":1}',
    "WAWebEncKeySalt": "c2FsdA==",
    "WANoiseInfoIv": "aXY=",
    "WALid": '"1234:12@lid"',
}
# The client's own logout function, as the notes describe it (for the cases that need it).
CLIENT_FUNCTION = """<script>
window.require = (name) => {
  if (name === "WAWebSocketModel") return { Socket: { state: "CONNECTED",
    logout() { RT.event("socket-logout"); return RT.doLogout(); } } };
  throw new Error("Cannot find module " + name);
};
</script>"""


@dataclass
class Server:
    unpair: list[str] = field(default_factory=list)
    decoys: list[str] = field(default_factory=list)
    events: list[str] = field(default_factory=list)


async def serve(page: Page, html: str) -> Server:
    """Route the made-up origin to one replica page (common.js inlined, as the tester served it)."""
    server = Server()
    common = (REPLICAS / "common.js").read_text(encoding="utf-8")
    body = html.replace("<!--COMMON-->", "<script>" + common + "</script>")

    async def handle(route: Route) -> None:
        url = route.request.url
        path = url.removeprefix(ORIGIN).split("?")[0]
        query = url.split("?", 1)[1] if "?" in url else ""
        if route.request.method == "POST":
            if path == "/unpair":
                server.unpair.append(query)
            elif path == "/decoy":
                server.decoys.append(query)
            elif path == "/event":
                server.events.append(query)
            await route.fulfill(status=200, content_type="application/json", body="{}")
        else:
            await route.fulfill(status=200, content_type="text/html; charset=utf-8", body=body)

    await page.route(f"{ORIGIN}/**", handle)
    return server


async def linked_tab(page: Page, html: str) -> tuple[Tab, Server]:
    """Serve the replica, store a session the way linking does, and open the client."""
    server = await serve(page, html)
    await page.goto(ORIGIN + "/")
    for key, value in KEYS.items():
        await page.evaluate("([k, v]) => localStorage.setItem(k, v)", [key, value])
    tab = Tab(page, ORIGIN)
    await tab.goto(ORIGIN + "/", 15.0)
    return tab, server


def replica(name: str) -> str:
    return (REPLICAS / f"{name}.html").read_text(encoding="utf-8")


CASES = {
    # What's new modal: [OK (حسنًا), Learn more (decoy)]; settings in the rail
    "v4-ar-rtl": "ui:settings",
    # Turkish chat list named only by aria-label (no role), unlabelled icon menu trigger
    "v3-tr-ulli": "ui:menu",
    "v3c-tr-menu-labelled-list-plain": "ui:menu",
    # Use here (non-idempotent), chat list named only by title, slow menu, title-only icon items
    "v6-title-slow": "ui:menu",
    "v6b-title-slow-listed": "ui:menu",
    "v6c-slow-menu-only": "ui:menu",
    "v6d-usehere-idempotent": "ui:menu",
    # a portal menu whose confirm the notes list twice: one unpair, one confirm click
    "v2-pl-portal": "ui:menu",
    # session 4's replicas: the confirm in a native <dialog open> / showModal() dialog
    "v7i-en-native-dialog": "ui:settings",
    "v7j-en-native-dialog-modal": "ui:settings",
    # Hindi, the menu trigger named only by its aria-label
    "v7b-hi-trigger-arialabel": "ui:menu",
}


@pytest.mark.parametrize("name", CASES)
async def test_red_team_replica_is_logged_out_without_touching_a_decoy(
    page: Page, name: str
) -> None:
    tab, server = await linked_tab(page, replica(name))
    report = await log_out_in_page(tab, ORIGIN + "/", deadline())
    assert report.verified and report.how == CASES[name], report
    assert await stored_keys(tab) == []
    assert len(server.unpair) == 1, server
    assert server.decoys == [], server
    assert report.steps.count("confirm") == 1, report.steps
    # Use here is clicked once: the screen is given time to change before any second click
    assert report.steps.count("use here") <= 1, report.steps
    assert "post_logout" in page.url


def without_dismiss_words(html: str) -> str:
    """The v4 modal with its OK button in words no table holds (Learn more still a decoy)."""
    return html.replace('<button class="ok">حسنًا</button>', '<button class="ok">زمردين</button>')


async def test_a_modal_whose_dismiss_no_evidence_singles_out_is_never_clicked(page: Page) -> None:
    tab, server = await linked_tab(page, without_dismiss_words(replica("v4-ar-rtl")))
    report = await log_out_in_page(tab, ORIGIN + "/", deadline(20.0))
    assert server.decoys == [], server  # "Learn more" never clicked
    assert not any(step.startswith("dismiss modal") for step in report.steps), report.steps
    assert report.steps.count("escape on modal") == 1, report.steps
    # no client function on this page: both paths failed, honestly
    assert not report.verified and report.error and report.error.startswith("no in-page path")
    assert await stored_keys(tab) != []


async def test_a_modal_that_stays_gives_way_to_the_client_function(page: Page) -> None:
    html = without_dismiss_words(replica("v4-ar-rtl")).replace(
        "<!--COMMON-->", "<!--COMMON-->" + CLIENT_FUNCTION
    )
    tab, server = await linked_tab(page, html)
    report = await log_out_in_page(tab, ORIGIN + "/", deadline())
    assert report.verified and report.how == "client_function", report
    assert server.decoys == [] and len(server.unpair) == 1, server
    assert "socket-logout" in " ".join(server.events)


@pytest.mark.parametrize(
    "name", ["v12e-sw-only-decoy-red-unknown", "v12g-sw-settings-only-decoy-red"]
)
async def test_a_lone_red_decoy_in_an_unknown_language_is_never_clicked(
    page: Page, name: str
) -> None:
    # Swahili: Log out ("Ondoka") neither red nor in a table; the only red item is "Funga
    # akaunti yako" (close your account). Once clicked 73 times; now the UI path gives way.
    tab, server = await linked_tab(page, replica(name))
    report = await log_out_in_page(tab, ORIGIN + "/", deadline(20.0))
    assert server.decoys == [], server
    assert not report.verified and report.ui_failed and "destructive" in report.ui_failed


async def test_a_logout_without_any_request_to_the_server_is_not_an_unlink(page: Page) -> None:
    # The client removes its keys and shows the QR without telling its server: the phone still
    # lists the device, so the report must not say the device was unlinked.
    tab, server = await linked_tab(page, replica("v13c-en-no-unpair-request"))
    report = await log_out_in_page(tab, ORIGIN + "/", deadline())
    assert report.verified and server.unpair == []
    assert report.device_unlinked is None  # outcomes.record makes this local_only

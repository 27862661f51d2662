#!/usr/bin/env python3
# ruff: noqa: E501  (each find is a line of the code it mutates, copied as it stands)
"""Remove each evidence rule of the reader and each step of the logout loop in turn, run the fast
tests that exercise it, and show that a test fails (`make mutation`).

Every mutant is one exact text replacement in one file of a copy of the checkout (never in the
checkout itself): ``find`` must occur exactly once, so a rule that moved makes the tool fail
loudly instead of testing nothing. Its tests run in tiers, cheapest first (the loop's fake-tab
tests, the reader's HTML fixtures on one browser, then replicas or the simulator); the first
failing test kills the mutant and the later tiers are skipped. A mutant no tier kills survives:
it must be listed in SURVIVORS with the reason, else the run fails. The report (Markdown) lists
every mutant with the test that killed it or the reason it survives (docs/mutation.md).

Usage: mutate_rules.py [--only TEXT] [--list] [--report PATH]
Exit status: 0 when every mutant is killed or a known survivor, 1 otherwise, 2 on bad usage or
when the unmutated copy fails its own tests.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

S = "tests/session/"
LOOP = (S + "test_logout_loop.py", S + "test_logout_steps.py")
READER = (S + "test_reader_evidence.py", S + "test_reader_decoys.py")
REPLICAS = (S + "test_reader_replica.py", S + "test_reader_redteam.py")
PAGE = (S + "test_page_reading.py",)
EDGES = (S + "test_logout_edges.py",)
COVERING = (S + "test_covering.py",)

# the tiers of tests each kind of mutant runs
FOR_READER = (READER, REPLICAS)
FOR_LOOP = (LOOP, EDGES + COVERING, REPLICAS)

TEXT = "agent/session/reader/text.js"
ELEMENTS = "agent/session/reader/elements.js"
MARKS = "agent/session/reader/marks.js"
PAGE_JS = "agent/session/reader/page.js"
DIALOGS = "agent/session/reader/dialogs.js"
STATE = "agent/session/reader/state.js"
SCORING = "agent/session/reader/scoring.js"
OPENERS = "agent/session/reader/openers.js"
SCREENS = "agent/session/screens.py"
RUN = "agent/session/run.py"


@dataclass(frozen=True)
class Mutant:
    """One rule removed: ``find`` (exactly once in ``path``) becomes ``replace``."""

    name: str
    path: str
    find: str
    replace: str
    tiers: tuple[tuple[str, ...], ...]


def reader(name: str, path: str, find: str, replace: str = "") -> Mutant:
    return Mutant(f"reader: {name}", path, find, replace, FOR_READER)


def loop(name: str, path: str, find: str, replace: str) -> Mutant:
    return Mutant(f"loop: {name}", path, find, replace, FOR_LOOP)


MUTANTS: tuple[Mutant, ...] = (
    # --- the reader: words ---
    reader(
        "client's own Log out title",
        TEXT,
        "if (title !== null && title !== undefined && fold(String(title)))",
        "if (false)",
    ),
    reader(
        "socket state",
        TEXT,
        "if (socket && socket.state !== undefined && socket.state !== null)",
        "if (false)",
    ),
    reader("fold diacritics", TEXT, '.replace(/[\\u0300-\\u036f]/g, "")'),
    reader(
        "fold pseudo-locale letters",
        TEXT,
        ".replace(/[^\\u0000-\\u007f]/g, (ch) => PSEUDO[ch] || ch)",
    ),
    reader(
        "containment for scripts without spaces",
        TEXT,
        "if (unspaced.test(needle)) return haystack.includes(needle);",
    ),
    reader(
        "word bounds",
        TEXT,
        "if ((!before || !letter.test(before)) && (!after || !letter.test(after))) return true;",
        "return true;",
    ),
    # --- the reader: names, icons, colour, click targets ---
    reader("name: aria-labelledby", ELEMENTS, "if (target) parts.push(target.textContent);"),
    reader(
        "name: nested aria-label/title",
        ELEMENTS,
        'parts.push(inner.getAttribute("aria-label"), inner.getAttribute("title"));',
    ),
    reader("name: rendered text", ELEMENTS, "parts.push(element.innerText);"),
    reader(
        "icon: data-icon on the element",
        ELEMENTS,
        'if (element.getAttribute("data-icon")) names.push(element.getAttribute("data-icon"));',
    ),
    reader("icon: data-icon inside", ELEMENTS, 'names.push(inner.getAttribute("data-icon"));'),
    reader("icon: svg title", ELEMENTS, "names.push(title.textContent);"),
    reader(
        "destructive: red text",
        ELEMENTS,
        'if (isRed(style.color) && (node === element || node.textContent.trim() || node.closest("svg"))) return true;',
    ),
    reader(
        "destructive: red background", ELEMENTS, "if (isRed(style.backgroundColor)) return true;"
    ),
    reader(
        "destructive: red svg fill/stroke",
        ELEMENTS,
        "if (node instanceof SVGElement && (isRed(style.fill) || isRed(style.stroke))) return true;",
    ),
    reader(
        "click target: cursor pointer",
        ELEMENTS,
        "(pointer(element) && !(element.parentElement && pointer(element.parentElement)))",
        "false",
    ),
    # --- the reader: structure baseline, regions ---
    reader(
        "structure: baseline of what was there before",
        MARKS,
        "const isNew = (element) => Boolean(before) && !before.has(element);",
        "const isNew = (element) => Boolean(before);",
    ),
    reader(
        "structure: baseline missing after a navigation",
        MARKS,
        'if (arg.baseline === "use") baseline = "missing";',
    ),
    reader("chats: #pane-side", PAGE_JS, 'first("#pane-side") ||'),
    reader(
        "chats: list named like the chat list",
        PAGE_JS,
        '(label) => label && has("chat_list", fold(label)),',
        "(label) => false,",
    ),
    reader(
        "chats: grid with rows",
        PAGE_JS,
        "all('[role=\"grid\"]').find((grid) => grid.querySelector('[role=\"row\"]')) ||",
    ),
    reader("chats: aria-rowcount", PAGE_JS, 'all("[aria-rowcount]")[0] ||'),
    reader(
        "chats: rows with aria-selected",
        PAGE_JS,
        "const isDecoy = (name) =>",
        "const isDecoy = (name) =>",
    ),  # placeholder replaced below (see ROWS)
    reader(
        "conversation: #main",
        PAGE_JS,
        'let conversation = document.querySelector("#main");',
        "let conversation = null;",
    ),
    reader("conversation: around the composer", PAGE_JS, "conversation = node;"),
    reader("decoys", PAGE_JS, 'has("decoy", name) && !name.split', "false && !name.split"),
    # --- the reader: dialogs ---
    reader(
        "confirm: confirm-popup test id",
        DIALOGS,
        "dialog.matches('[data-testid=\"confirm-popup\"]') ||",
    ),
    reader(
        "confirm: popup-controls-ok inside",
        DIALOGS,
        "Boolean(dialog.querySelector('[data-testid=\"popup-controls-ok\"]')) ||",
    ),
    reader("confirm: title words", DIALOGS, 'has("confirm_title", dialogText) ||'),
    reader("confirm: a Log out button", DIALOGS, "named.some(isLogoutButton) ||"),
    reader("confirm: right after our item click", DIALOGS, "arg.expectConfirm;\n", "false;\n"),
    reader(
        "confirm: remembered item words",
        DIALOGS,
        "(remembered && (name === remembered || containsWord(name, remembered)))",
        "false",
    ),
    reader("confirm: cancel words excluded", DIALOGS, '!has("cancel", name) && '),
    reader("confirm: lock app excluded", DIALOGS, '!has("lock_app", name) && '),
    reader("confirm: close icon excluded", DIALOGS, '!iconIs("close", button) &&'),
    reader(
        "confirm: decoys excluded",
        DIALOGS,
        "!(isDecoy(name) && !isLogoutButton({ name })),",
        "true,",
    ),
    reader(
        "confirm: by id",
        DIALOGS,
        'if (byId) [confirm, how] = [byId.button, "id"];',
        "if (false) {}",
    ),
    reader(
        "confirm: by words",
        DIALOGS,
        'else if (byWords.length === 1) [confirm, how] = [byWords[0].button, "words"];',
        "",
    ),
    reader(
        "confirm: words+destructive",
        DIALOGS,
        "else if (byWords.length > 1 && byWords.filter",
        "else if (false && byWords.filter",
    ),
    reader(
        "confirm: destructive",
        DIALOGS,
        'else if (red.length === 1) [confirm, how] = [red[0].button, "destructive"];',
        "",
    ),
    reader(
        "confirm: structure:only",
        DIALOGS,
        'else if (others.length === 1 && arg.expectConfirm) [confirm, how] = [others[0].button, "structure:only"];',
        "",
    ),
    reader(
        "confirm: structure:last",
        DIALOGS,
        "else if (others.length > 1 && arg.expectConfirm && !byWords.length && !red.length)",
        "else if (false)",
    ),
    reader("modal: not_dismiss words excluded", DIALOGS, ' && !has("not_dismiss", name)'),
    reader(
        "modal: close words",
        DIALOGS,
        'if (byWords.length === 1) [close, how] = [byWords[0].button, "words"];',
        "if (false) {}",
    ),
    reader(
        "modal: words+icon",
        DIALOGS,
        'else if (wordsAndIcon.length >= 1) [close, how] = [wordsAndIcon[0].button, "words+icon"];',
        "",
    ),
    reader(
        "modal: close icon",
        DIALOGS,
        'else if (byIcon.length === 1) [close, how] = [byIcon[0].button, "icon"];',
        "",
    ),
    reader(
        "modal: the only button",
        DIALOGS,
        'else if (named.length === 1 && safe.length === 1) [close, how] = [safe[0].button, "structure:only"];',
        "",
    ),
    reader(
        "modal: the one primary button",
        DIALOGS,
        'else if (primary.length === 1 && safe.includes(primary[0])) [close, how] = [primary[0].button, "primary"];',
        "",
    ),
    # --- the reader: screens ---
    reader("qr: canvas in div[data-ref]", STATE, 'first("div[data-ref] canvas") ||'),
    reader(
        "qr: canvas named like a QR",
        STATE,
        'all("canvas[aria-label]").find((canvas) => has("qr", fold(canvas.getAttribute("aria-label")))) ||',
    ),
    reader(
        "qr: a large square canvas",
        STATE,
        "return rect.width >= 120 && Math.abs(rect.width - rect.height) < 8;",
        "return false;",
    ),
    reader(
        "logged out: post_logout",
        STATE,
        'new URLSearchParams(location.search).has("post_logout") ? "logged_out" : "qr"',
        '"qr"',
    ),
    reader(
        "offline: words or icon",
        STATE,
        'if (has("offline", fold(region.innerText)) || first(\'[data-icon="alert-computer"]\', region))',
        "if (false)",
    ),
    reader("loading: progress bar", STATE, "} else if (progress) {", "} else if (false) {"),
    reader(
        "chats:structure (keys stored, app rendered)",
        STATE,
        "} else if (linked && rendered()) {",
        "} else if (false) {",
    ),
    reader("socket says the screen", STATE, "} else if (socketSays) {", "} else if (false) {"),
    reader(
        "use here: connecting words",
        STATE,
        "const useHere = connecting ? null :",
        "const useHere =",
    ),
    reader("use here: words", STATE, 'named.find(({ name }) => has("use_here", name))?.button ||'),
    reader(
        "use here: the last of two or three buttons",
        STATE,
        "(landing.length >= 2 && landing.length <= 3 ? landing[landing.length - 1] : null)",
        "null",
    ),
    reader("conflict: words", STATE, 'has("conflict", bodyText) || ', ""),
    reader(
        "conflict: its Log out button",
        STATE,
        "if (conflictLogout) result.conflict_logout",
        "if (false) result.conflict_logout",
    ),
    # --- the reader: candidate scoring ---
    reader(
        "items: what appeared since the opener click",
        SCORING,
        "let pool = fresh.filter((element) => isTarget(element) || ownName(element));",
        "let pool = [];",
    ),
    reader(
        "items: own name without click evidence",
        SCORING,
        "isTarget(element) || ownName(element)",
        "isTarget(element)",
    ),
    reader("items: rows of the new list", SCORING, "if (list) pool.push(", "if (false) pool.push("),
    reader(
        "items: open menus",
        SCORING,
        "for (const menu of menus) pool.push(",
        "for (const menu of []) pool.push(",
    ),
    reader("items: by id anywhere", SCORING, "pool.push(...all(IDS));"),
    reader(
        "items: outermost control",
        SCORING,
        "pool = pool.filter((element) => !wrappers.has(element));",
    ),
    reader(
        "score: id",
        SCORING,
        'if (element.matches(IDS) || element.querySelector(IDS)) { score += 3; evidence.push("id"); }',
    ),
    reader(
        "score: client's own words",
        SCORING,
        'if (client.logout && containsWord(name, client.logout)) { score += 3; evidence.push("words:client"); }',
    ),
    reader("score: table words", SCORING, "if (tableWords.length) {", "if (false) {"),
    reader(
        "score: the page language's words",
        SCORING,
        "(tableWords.some((word) => pageWords.has(word)) ? 1 : 0)",
        "0",
    ),
    reader(
        "score: logout icon",
        SCORING,
        'if (iconIs("logout", element)) { score += 2; evidence.push("icon"); }',
    ),
    reader("score: destructive", SCORING, 'if (red) { score += 1; evidence.push("destructive"); }'),
    reader(
        "score: colour alone never picks (threshold 2)",
        SCORING,
        "safe.filter((entry) => entry.score >= 2)",
        "safe.filter((entry) => entry.score >= 1)",
    ),
    reader(
        "score: an exact name breaks a tie",
        SCORING,
        "if (top.length > 1 && top.filter((entry) => entry.exact).length === 1)",
        "if (false)",
    ),
    reader(
        "items: decoys never chosen",
        SCORING,
        "const safe = scored.filter((entry) => !entry.decoy);",
        "const safe = scored;",
    ),
    # --- the reader: openers ---
    reader(
        "opener: icon", OPENERS, "if (iconIs(family, element)) evidence.push(`icon:${family}`);"
    ),
    reader("opener: words", OPENERS, 'if (has(concept, name)) evidence.push("words");'),
    reader(
        "opener: aria-haspopup",
        OPENERS,
        'if (family === "menu" && element.getAttribute("aria-haspopup") && evidence.length) evidence.push("haspopup");',
    ),
    reader(
        "opener: rail item",
        OPENERS,
        'if (family === "settings" && element.getAttribute("data-navbar-item") && evidence.length) evidence.push("rail");',
    ),
    reader(
        "opener: decoys excluded",
        OPENERS,
        ".filter((entry) => entry.evidence.length && !entry.decoy)",
        ".filter((entry) => entry.evidence.length)",
    ),
    reader(
        "opener: the chat list's own header breaks a tie",
        OPENERS,
        "if (own.length === 1) return own[0];",
    ),
    reader(
        "opener: structure:header",
        OPENERS,
        "if (icons.length && icons.length <= 4) {",
        "if (false) {",
    ),
    reader(
        "opener: outside the open conversation",
        OPENERS,
        "const controls = all('button, [role=\"button\"], [tabindex], [data-icon], svg')\n    .filter(outsideConversation)",
        "const controls = all('button, [role=\"button\"], [tabindex], [data-icon], svg')",
    ),
    reader(
        "banner: close in #side",
        OPENERS,
        "if (bannerClose) result.banner_close",
        "if (false) result.banner_close",
    ),
    # --- the loop: screens ---
    loop(
        "QR without keys: nothing to do",
        SCREENS,
        "report.nothing_to_do = report.verified = report.reached_qr = True\n            return True",
        "pass",
    ),
    loop(
        "QR after a confirm: verify",
        SCREENS,
        "            await run.verify()\n            return True",
        "            return True",
    ),
    loop(
        "QR with keys stored: keep reading",
        SCREENS,
        "        # QR on screen but keys stored: the client may still be restoring; keep reading.\n"
        "        run.settle(reading)\n        return False",
        "        return True",
    ),
    loop(
        "client function first",
        SCREENS,
        'await run.client_logout("client_function comes first in logout.paths")\n            return False',
        "pass",
    ),
    loop(
        "UI not in paths: give way",
        SCREENS,
        'return await run.give_way("not in logout.paths", reading)',
        "return None",
    ),
    loop(
        "confirm: click",
        SCREENS,
        'if await run.click(reading, reading.confirm, "confirm"):',
        "if False:",
    ),
    loop(
        "confirm: never twice while the client answers",
        SCREENS,
        "run.settle(reading)  # confirmed already: the client is answering; never twice\n"
        "                return False",
        "pass",
    ),
    loop(
        "confirm: item clicks reset",
        SCREENS,
        "self.item.clicks = 0  # the item did open a confirm",
        "pass",
    ),
    loop(
        "confirm: no unique button gives way",
        SCREENS,
        "            if now - self.ambiguous_since > CONFIRM_AMBIGUOUS_S:",
        "            if False:",
    ),
    loop(
        "use here: wait for the screen to change",
        SCREENS,
        "        if self.waiting(reading, now):\n            return False",
        "        pass",
    ),
    loop(
        "use here: click",
        SCREENS,
        '            if await run.click(reading, reading.use_here, "use here"):\n'
        "                self.use_here_at = run.clock()\n            return False",
        "            return False",
    ),
    loop(
        "conflict: its Log out",
        SCREENS,
        "if reading.conflict_logout and await run.click(",
        "if False and await run.click(",
    ),
    loop(
        "modal: dismiss click",
        SCREENS,
        "if reading.dismiss and self.clicks < DISMISS_CLICKS:",
        "if False:",
    ),
    loop(
        "modal: dismiss clicks limited",
        SCREENS,
        "if reading.dismiss and self.clicks < DISMISS_CLICKS:",
        "if reading.dismiss:",
    ),
    loop("modal: escape", SCREENS, "if not self.escape_pressed:", "if False:"),
    loop(
        "modal: stuck gives way",
        SCREENS,
        "        return await run.give_way(reading.ambiguity or CLOSE_FAILED, reading)\n\n"
        "    async def dismiss",
        "        return None\n\n    async def dismiss",
    ),
    loop(
        "modal: counters reset when no modal",
        SCREENS,
        "        self.modal.reset()\n        return None",
        "        return None",
    ),
    loop(
        "chats: wait after a confirm",
        SCREENS,
        "            run.settle(reading)  # the client is logging out\n            return False",
        "            pass",
    ),
    loop(
        "chats: the UI path gives way when blocked",
        SCREENS,
        "        if why is not None:\n            return await run.give_way(why, reading)",
        "        pass",
    ),
    loop(
        "blocked: no confirm after UI_SHARE",
        SCREENS,
        'return f"no confirm after {UI_SHARE:.0%} of the time available"',
        "pass",
    ),
    loop(
        "blocked: every opener tried",
        SCREENS,
        'return "; ".join(f"{kind}: {why}" for kind, why in menu.tried.items())',
        "pass",
    ),
    loop("blocked: no opener at all", SCREENS, 'return "no menu or settings opener found"', "pass"),
    loop(
        "item: click",
        SCREENS,
        "return await self.click_item(reading, reading.logout_item)",
        "return False",
    ),
    loop(
        "item: at most ITEM_CLICKS without a confirm",
        SCREENS,
        "if item.clicks >= ITEM_CLICKS:",
        "if False:",
    ),
    loop("item: expect the confirm", SCREENS, "run.memory.expect_confirm = True", "pass"),
    loop(
        "item: remember its words", SCREENS, "run.memory.logout_text = reading.logout_text", "pass"
    ),
    loop(
        "item: patience before reopening",
        SCREENS,
        "self.run.settle(reading)  # the confirm dialog may take a moment: do not reopen yet\n"
        "            return False",
        "pass",
    ),
    loop(
        "banner: dismiss",
        SCREENS,
        "if reading.banner_close and self.banner_clicks < BANNER_CLICKS:",
        "if False:",
    ),
    loop(
        "banner: clicks limited",
        SCREENS,
        "if reading.banner_close and self.banner_clicks < BANNER_CLICKS:",
        "if reading.banner_close:",
    ),
    loop(
        "menu: reopen after a rebuilt page",
        SCREENS,
        'if reading.baseline == "missing":  # the page was rebuilt: open again',
        "if False:",
    ),
    loop(
        "menu: ambiguous items mark the opener tried",
        SCREENS,
        "if reading.new_items and reading.ambiguity:",
        "if False:",
    ),
    loop(
        "menu: patience for a slow menu",
        SCREENS,
        "        if now - clicked_at < MENU_PATIENCE_S:\n            run.settle(reading)\n"
        "            return False",
        "        pass",
    ),
    loop(
        "menu: tried after OPENER_CLICKS",
        SCREENS,
        "if state.clicks.get(kind, 0) >= OPENER_CLICKS:",
        "if False:",
    ),
    loop(
        "menu: baseline taken before the click",
        SCREENS,
        '            if reading.baseline != "taken":\n                memory.baseline = "take"\n'
        "                return False",
        "            pass",
    ),
    loop(
        "menu: the next reading uses the baseline",
        SCREENS,
        '                memory.baseline = "use"',
        "                pass",
    ),
    loop(
        "menu: skip openers already tried",
        SCREENS,
        "            if kind in state.tried:\n                continue",
        "            pass",
    ),
    loop(
        "unknown page: reload",
        SCREENS,
        "await run.tab.goto(run.client_url, timeout_s=max(run.remaining(), 0.1))",
        "pass",
    ),
    # --- the loop: shared acts ---
    loop(
        "click: retry after a failed click",
        RUN,
        "            self.failures += 1",
        "            raise",
    ),
    loop("verify: keys must be gone", RUN, "report.verified = not keys", "report.verified = True"),
    loop(
        "verify: grace for the keys",
        RUN,
        "        while keys and self.clock() < grace_end:",
        "        while False:",
    ),
    loop(
        "verify: unpair seen on the network",
        RUN,
        "report.device_unlinked = network.unlink_seen(self.confirmed_at, self.clock())",
        "report.device_unlinked = True",
    ),
    loop(
        "client function: not called is a failure",
        RUN,
        'if not isinstance(answer, dict) or not answer.get("called"):',
        "if False:",
    ),
    loop(
        "give way: the client function once",
        RUN,
        "        if self.client_enabled and not self.client_tried:\n"
        "            await self.client_logout(why)\n            return False",
        "        pass",
    ),
    loop(
        "give way: wait for a confirmed logout",
        RUN,
        "        if self.confirmed_at is not None:\n            self.settle(reading)\n"
        "            return False\n        client",
        "        client",
    ),
)

# Rows with aria-selected: a real removal (the placeholder above keeps the table in file order).
ROWS = reader(
    "chats: rows with aria-selected",
    PAGE_JS,
    '[...new Set(all("[aria-selected]").map((row) => row.parentElement))].find(\n'
    '    (list) => list && [...list.children].filter((row) => row.hasAttribute("aria-selected")).length >= 2,\n'
    "  ) ||",
)
MUTANTS = tuple(ROWS if mutant.name == ROWS.name else mutant for mutant in MUTANTS)

# Mutants that no fast test kills, each with the reason (docs/mutation.md).
SURVIVORS: dict[str, str] = {
    "loop: click: retry after a failed click": (
        "equivalent in effect: a DriverError raised from the click reaches _loop, which also"
        " catches it and reads again (only the backoff differs, and no test times it)"
    ),
    "loop: menu: baseline taken before the click": (
        "equivalent today: every path that clears the pending opener also asks for a new"
        " baseline, so the reading before an opener click has always taken one; the check"
        " guards future paths"
    ),
    "loop: give way: wait for a confirmed logout": (
        "equivalent today: every handler that gives way either requires that nothing was"
        " confirmed or first waits out CONFIRM_PATIENCE_S and forgets the confirm; the check"
        " guards future callers"
    ),
    "reader: structure: baseline missing after a navigation": (
        "no reader fixture navigates between the opener click and the next reading (the loop's"
        " side is killed on the fake tab: test_a_menu_whose_page_was_rebuilt_is_opened_again_at_once);"
        " only the first tier ran"
    ),
    "reader: chats: #pane-side": (
        "redundant on every fixture and generation with ids: the same list is also named"
        " 'Chat list' or is a grid with rows, which the next rules find"
    ),
}


def copy_checkout(target: Path) -> None:
    """Copy what the tests need (agent, tests, the project files) into target."""
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", ".pytest_cache")
    for folder in ("agent", "tests", "config"):
        if (ROOT / folder).exists():
            shutil.copytree(ROOT / folder, target / folder, ignore=ignore)
    for name in ("pyproject.toml", "setup.py", "conftest.py"):
        if (ROOT / name).exists():
            shutil.copy2(ROOT / name, target / name)


def environment(copy: Path) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(copy), "PYTHONDONTWRITEBYTECODE": "1"}


def run_tier(copy: Path, tests: tuple[str, ...]) -> tuple[bool, str]:
    """Run one tier's tests in the copy. Return (passed, the first failing test or why)."""
    command = [sys.executable, "-m", "pytest", *tests, "-x", "-q", "-rf", "-p", "no:cacheprovider"]
    try:
        done = subprocess.run(
            command, cwd=copy, env=environment(copy), capture_output=True, text=True, timeout=900
        )
    except subprocess.TimeoutExpired:
        return False, "timed out (900 s)"
    if done.returncode == 0:
        return True, ""
    failed = re.findall(r"^FAILED (\S+)", done.stdout, re.MULTILINE)
    if failed:
        return False, failed[0]
    tail = (done.stdout + done.stderr).strip().splitlines()[-3:]
    return False, f"pytest exit {done.returncode}: {' / '.join(tail)}"


def check_copy(copy: Path) -> None:
    """Fail unless the copy's own agent package is the one its tests import."""
    code = "import agent.session.screens as m; print(m.__file__)"
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=copy,
        env=environment(copy),
        capture_output=True,
        text=True,
        check=False,
    )
    if not done.stdout.strip().startswith(str(copy)):
        raise SystemExit(f"mutate_rules: the copy imports {done.stdout.strip()!r}, not {copy}")


def apply(copy: Path, mutant: Mutant) -> str:
    """Apply the mutant to the copy; return the original text of the file."""
    path = copy / mutant.path
    text = path.read_text(encoding="utf-8")
    count = text.count(mutant.find)
    if count != 1:
        raise SystemExit(f"mutate_rules: {mutant.name!r}: found {count} times in {mutant.path}")
    path.write_text(text.replace(mutant.find, mutant.replace), encoding="utf-8")
    return text


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--only",
        action="append",
        default=[],
        help="run the mutants whose name holds this text (repeatable: any of them)",
    )
    parser.add_argument("--list", action="store_true", help="list the mutants and check them")
    parser.add_argument("--report", type=Path, help="write the Markdown report here")
    parser.add_argument(
        "--tiers", type=int, default=0, help="run at most this many tiers per mutant (0: all)"
    )
    parser.add_argument(
        "--skip-baseline",
        action="store_true",
        help="do not first run the unmutated tests (when they were just run green)",
    )
    options = parser.parse_args()
    chosen = [
        mutant
        for mutant in MUTANTS
        if not options.only or any(text in mutant.name for text in options.only)
    ]
    if not chosen:
        print(f"mutate_rules: no mutant matches {options.only!r}", file=sys.stderr)
        return 2
    unknown = set(SURVIVORS) - {mutant.name for mutant in MUTANTS}
    if unknown:
        print(f"mutate_rules: SURVIVORS names no mutant: {sorted(unknown)}", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="kioskguard-mutate-") as folder:
        copy = Path(folder)
        copy_checkout(copy)
        for mutant in chosen:  # every find is there exactly once, before anything runs
            (copy / mutant.path).write_text(apply(copy, mutant), encoding="utf-8")
        if options.list:
            for mutant in chosen:
                print(mutant.name)
            return 0
        check_copy(copy)
        limit = options.tiers or None
        tiers = sorted({tier for mutant in chosen for tier in mutant.tiers[:limit]})
        for tier in [] if options.skip_baseline else tiers:
            passed, why = run_tier(copy, tier)
            if not passed:
                print(f"mutate_rules: unmutated tests fail: {why}", file=sys.stderr)
                return 2
        rows: list[tuple[Mutant, str, str]] = []
        started = time.monotonic()
        for mutant in chosen:
            original = apply(copy, mutant)
            verdict, detail = "survived", SURVIVORS.get(mutant.name, "")
            try:
                for tier in mutant.tiers[:limit]:
                    passed, why = run_tier(copy, tier)
                    if not passed:
                        verdict, detail = "killed", why
                        break
            finally:
                (copy / mutant.path).write_text(original, encoding="utf-8")
            if verdict == "survived" and not detail:
                verdict = "SURVIVED (unexplained)"
            print(f"{verdict:>24}  {mutant.name}: {detail}", flush=True)
            rows.append((mutant, verdict, detail))
            if options.report:  # after every mutant: a run stopped midway still has its report
                pending = [
                    (left, "not run", "the run was stopped first") for left in chosen[len(rows) :]
                ]
                write_report(
                    options.report,
                    rows + pending,
                    time.monotonic() - started,
                    " / ".join(options.only),
                    options.tiers,
                )
        seconds = time.monotonic() - started
    killed = sum(1 for _, verdict, _ in rows if verdict == "killed")
    unexplained = [mutant.name for mutant, verdict, _ in rows if verdict.startswith("SURVIVED")]
    print(
        f"{killed} killed, {len(rows) - killed} survived ({len(unexplained)} unexplained), "
        f"{seconds:.0f} s"
    )
    if options.report:
        write_report(options.report, rows, seconds, " / ".join(options.only), options.tiers)
    return 1 if unexplained else 0


def write_report(
    path: Path, rows: list[tuple[Mutant, str, str]], seconds: float, only: str, tiers: int
) -> None:
    """Write the run as Markdown: every mutant, what killed it or why it survives."""
    killed = sum(1 for _, verdict, _ in rows if verdict == "killed")
    run = sum(1 for _, verdict, _ in rows if verdict != "not run")
    lines = [
        "# Mutation check: the reader's rules and the logout loop's steps",
        "",
        "Written by `make mutation` (`tools/mutate_rules.py`"
        + (f" --only {only!r}" if only else "")
        + (f" --tiers {tiers}" if tiers else "")
        + "): each rule or step below was removed in a copy of the checkout, one at a time, and",
        "its fast tests run (the loop's fake-tab tests, the reader's fixtures on one browser, then",
        "the replicas, the edges and the covering banner on the simulator). Do not edit by hand.",
        "",
        f"**{killed} of {run} run killed**, {run - killed} survived, {len(rows) - run} not run;"
        f" {seconds:.0f} s.",
        "",
        "| mutant | file | result | killed by / why it survives |",
        "| --- | --- | --- | --- |",
    ]
    for mutant, verdict, detail in rows:
        cell = detail.replace("|", "\\|")
        lines.append(f"| {mutant.name} | `{mutant.path}` | {verdict} | {cell} |")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    raise SystemExit(main())

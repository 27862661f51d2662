"""Read the client's page: which screen it shows and which controls the agent can use.

The reading happens in one script (the parts of agent/session/reader, joined) that finds candidates
by structure (what appeared after the opener was clicked, open menus, the dialog that appeared) and
chooses among them by independent kinds of evidence: ids, names (the client's own words first, then
the locale tables), icons, destructive colour. When nothing singles out one control the reading
reports an ambiguity instead of a guess (docs/reader.md).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cache
from importlib import resources
from typing import Any

from agent.browser.bounded import PageLike as PageLike  # re-exported: the tab it reads
from agent.errors import DriverError
from agent.outcome import PageState
from agent.probe.probe import LINKED_WHEN
from agent.session.labels import all_labels, page_labels


@dataclass
class Memory:
    """What the agent remembers between readings of one logout."""

    logout_text: str | None = None  # the words of the logout item clicked, in any language
    expect_confirm: bool = False
    # "take": remember the page's elements now (before an opener click); "use": report what
    # appeared since the last "take"
    baseline: str = "take"
    language: str | None = None  # the page's language, once seen


class DialogKind(StrEnum):
    """A dialog in the client's page as the reader reads it: the logout's confirm dialog, or
    any other modal (dismissed by its evidence)."""

    CONFIRM = "confirm"
    MODAL = "modal"


def _dialog_kind(raw: Any) -> DialogKind | None:
    """Return the reading's dialog kind; anything else (no dialog, an unknown kind) is None."""
    try:
        return DialogKind(raw) if raw else None
    except ValueError:
        return None


@dataclass(frozen=True)
class Inspection:
    """One reading of the page."""

    state: PageState
    language: str | None = None
    dialog_kind: DialogKind | None = None
    confirm: str | None = None  # selectors of marked controls
    dismiss: str | None = None
    dismiss_how: str = ""  # what singled out the modal's dismiss control
    logout_item: str | None = None
    logout_text: str | None = None
    logout_how: str = ""
    # every opener found, in the order to try: (selector, "menu" | "settings", evidence)
    openers: tuple[tuple[str, str, str], ...] = ()
    new_items: int = 0  # controls that appeared since the baseline
    ambiguity: str | None = None  # why no unique control was chosen, when that happened
    baseline: str = ""  # "taken", "used" or "missing" (the page navigated since the take)
    confirm_how: str = ""
    use_here: str | None = None
    conflict_logout: str | None = None
    banner_close: str | None = None
    seq: int | None = None  # the page's change counter at this reading (see wait_for_change)
    # selector -> where a real click on it lands, for controls that could take one at this reading
    points: dict[str, tuple[float, float]] = field(default_factory=dict)


# The argument travels as one JSON string: Playwright's own serializer walks every value in
# Python, and the label tables hold thousands of words (about 30 ms a reading, the profiler
# showed); one string costs nothing.
_READ = """(text) => (%s)(JSON.parse(text))"""

# Waits (at most waitMs) until the page changed since the reading that saw waitSeq, at once if it
# already has, then reads it: one round trip instead of a wait and a read. A navigation during
# the wait rejects it (script context destroyed).
_WAIT_THEN = """async (text) => {
  const arg = JSON.parse(text);
  const watch = window.__kioskguardWatch;
  if (arg.waitSeq !== null && watch && watch.seq === arg.waitSeq) {
    await new Promise((resolve) => {
      const timer = setTimeout(resolve, arg.waitMs);
      watch.waiters.push(() => { clearTimeout(timer); resolve(); });
    });
  }
  return (%s)(arg);
}"""


# What a reading leaves in the page (the change counter's observer and window property, the
# marks on controls) lives only while the agent uses the tab: this removes all of it, so the
# visitor's page is left as it was found. The input-idle watch (agent.session.warning) is the
# one thing that stays: it must see input between the daemon's checks.
LEAVE_SCRIPT = """() => {
  const watch = window.__kioskguardWatch;
  if (watch) {
    if (watch.observer) watch.observer.disconnect();
    watch.waiters.splice(0).forEach((wake) => wake());
    delete window.__kioskguardWatch;
  }
  for (const element of document.querySelectorAll("[data-kioskguard]")) {
    element.removeAttribute("data-kioskguard");
  }
  return !("__kioskguardWatch" in window);
}"""


async def leave_page(tab: PageLike) -> None:
    """Remove what readings left in the tab's page; a page already gone has nothing left."""
    # navigated, closed or past the deadline: that document and its marks are gone
    with contextlib.suppress(DriverError):
        await tab.evaluate(LEAVE_SCRIPT)


# The reader's parts (agent/session/reader/*.js), in order: one function body. Each part may use
# what the parts before it declared.
READER_PARTS = (
    "text",  # folding, word matching, label tables, the client's own words
    "elements",  # visibility, names, icons, destructive colour, click targets
    "marks",  # marks, click points, the change counter, the structure baseline
    "page",  # the result, the chat list, the open conversation, decoys
    "dialogs",  # the dialog on top: confirm button or modal dismiss
    "state",  # the screen: QR, chats, loading, another session, conflict
    "scoring",  # the Log out item among the structure candidates
    "openers",  # menu and settings openers, the banner's close
    "main",  # the item and the openers, on the chats
)


@cache
def inspect_script() -> str:
    """Return the reader (the parts of agent/session/reader joined, read once per process): a
    function of the argument object, ``(arg) => { ...; return result; }``."""
    folder = resources.files("agent.session").joinpath("reader")
    body = "\n".join(
        folder.joinpath(f"{part}.js").read_text(encoding="utf-8") for part in READER_PARTS
    )
    return "(arg) => {\n" + body + "\nreturn result;\n}"


@cache
def read_script() -> str:
    """Return the reader taking its argument as JSON text (see argument_text)."""
    return _READ % inspect_script().strip().rstrip(";")


@cache
def _all_labels_json() -> str:
    return json.dumps({concept: list(words) for concept, words in all_labels().items()})


def argument_text(argument: dict[str, Any]) -> str:
    """Given the reading's argument without the label tables, return it with them as JSON."""
    rest = json.dumps(argument)
    return '{"labels": ' + _all_labels_json() + (", " + rest[1:] if rest != "{}" else "}")


@cache
def wait_then_inspect_script() -> str:
    return _WAIT_THEN % inspect_script().strip().rstrip(";")


def _selector(name: str | None) -> str | None:
    return f'[data-kioskguard="{name}"]' if name else None


def _points(raw: Any) -> dict[str, tuple[float, float]]:
    points: dict[str, tuple[float, float]] = {}
    if isinstance(raw, dict):
        for name, point in raw.items():
            selector = _selector(str(name))
            if selector and isinstance(point, dict):
                x, y = point.get("x"), point.get("y")
                if isinstance(x, int | float) and isinstance(y, int | float):
                    points[selector] = (float(x), float(y))
    return points


def _openers(raw: Any) -> tuple[tuple[str, str, str], ...]:
    found: list[tuple[str, str, str]] = []
    if isinstance(raw, list):
        for entry in raw:
            if isinstance(entry, dict) and entry.get("target"):
                selector = _selector(str(entry["target"]))
                if selector:
                    kind, evidence = str(entry.get("how", "")), str(entry.get("evidence", ""))
                    found.append((selector, kind, evidence))
    return tuple(found)


def parse_inspection(raw: dict[str, Any]) -> Inspection:
    """Given the script's raw result, return an Inspection. Unknown states read as UNKNOWN."""
    try:
        state = PageState(raw.get("state", "unknown"))
    except ValueError:
        state = PageState.UNKNOWN
    dialog = raw.get("dialog") or {}
    item = raw.get("logout_item") or {}
    return Inspection(
        state=state,
        language=raw.get("lang"),
        dialog_kind=_dialog_kind(dialog.get("kind")),
        confirm=_selector(dialog.get("confirm")),
        dismiss=_selector(dialog.get("dismiss")),
        dismiss_how=str(dialog.get("how") or "") if dialog.get("kind") == "modal" else "",
        logout_item=_selector(item.get("target")),
        logout_text=item.get("text") or None,
        logout_how=str(item.get("how", "")),
        openers=_openers(raw.get("openers")),
        new_items=raw["new_items"] if isinstance(raw.get("new_items"), int) else 0,
        ambiguity=str(raw["ambiguity"]) if raw.get("ambiguity") else None,
        baseline=str(raw.get("baseline") or ""),
        confirm_how=str(dialog.get("how") or ""),
        use_here=_selector(raw.get("use_here")),
        conflict_logout=_selector(raw.get("conflict_logout")),
        banner_close=_selector(raw.get("banner_close")),
        seq=raw["seq"] if isinstance(raw.get("seq"), int) else None,
        points=_points(raw.get("points")),
    )


async def inspect(
    tab: PageLike,
    memory: Memory | None = None,
    after: Inspection | None = None,
    wait_s: float = 0.0,
) -> Inspection:
    """Read the page once. Raise agent.errors.DriverError if the page cannot run scripts.

    With ``after``, first wait up to wait_s for the page to change since that reading (a DOM
    mutation other than our own marks): event-driven, the reading comes as soon as there is
    something new to read, in the same round trip. A navigation during the wait raises
    DriverError (the caller reads the new page).
    """
    memory = memory or Memory()
    argument: dict[str, Any] = {
        "pageLabels": {
            concept: list(words) for concept, words in page_labels(memory.language).items()
        },
        "logoutText": memory.logout_text,
        "expectConfirm": memory.expect_confirm,
        "baseline": memory.baseline,
        # the keys whose presence says a session is stored (the structural chats rule)
        "linkedKeys": list(LINKED_WHEN),
    }
    if after is None:
        raw = await tab.evaluate(read_script(), argument_text(argument))
    elif after.seq is None:  # a page without the change counter: wait on the clock
        await asyncio.sleep(wait_s)
        raw = await tab.evaluate(read_script(), argument_text(argument))
    else:
        argument.update(waitSeq=after.seq, waitMs=max(round(wait_s * 1000), 1))
        raw = await tab.evaluate(wait_then_inspect_script(), argument_text(argument))
    reading = parse_inspection(raw if isinstance(raw, dict) else {})
    if reading.language:
        memory.language = reading.language
    return reading

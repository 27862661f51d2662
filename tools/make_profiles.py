"""Build a user data dir with N browser profiles, some linked, for probe benchmarks.

Two templates are made once by a real Chromium (cached): a profile that visited the real client's
origin and stored a session the way the client does, and the same profile after a logout (keys
removed, tombstones left). The client page is served by Playwright's router, so nothing leaves the
machine. Copying the templates makes a tree of any size in seconds:

    .venv/bin/python tools/make_profiles.py /tmp/profiles --count 50 --linked 25
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import sys
from pathlib import Path

from playwright.async_api import Route, async_playwright

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from agent.browser.discovery import QUIET_ARGS, find_browser

CLIENT = "https://web.whatsapp.com"
OTHER_SITE = "https://www.example.org"
SESSION_ITEMS = {
    "last-wid-md": '"4915112345678:3@c.us"',
    "WANoiseInfo": json.dumps({"staticKeyPair": {"privKey": "A" * 44, "pubKey": "B" * 44}}),
    "WAWebEncKeySalt": '"' + "C" * 24 + '"',
    "WANoiseInfoIv": '"' + "D" * 24 + '"',
    "WALid": '"123456789012345:3@lid"',
}
OTHER_ITEMS = {f"WAWebSetting{index}": json.dumps({"value": index}) for index in range(15)}
OTHER_ITEMS["WALangPref"] = '"en"'
SKIPPED_DIRS = shutil.ignore_patterns(
    "Cache", "Code Cache", "GPUCache", "DawnGraphiteCache", "DawnWebGPUCache", "Singleton*"
)
_SET = "(items) => { for (const [k, v] of Object.entries(items)) localStorage.setItem(k, v) }"
_REMOVE = "(names) => { for (const k of names) localStorage.removeItem(k) }"


async def _serve_blank(route: Route) -> None:
    await route.fulfill(
        status=200, content_type="text/html", body="<!doctype html><title>c</title>"
    )


async def _make_template(destination: Path, executable: Path, logged_out: bool) -> None:
    """Write a Chromium profile that stored a session (and, if logged_out, removed it)."""
    async with async_playwright() as playwright:
        context = await playwright.chromium.launch_persistent_context(
            str(destination),
            executable_path=str(executable),
            args=[*QUIET_ARGS, "--host-resolver-rules=MAP * ~NOTFOUND"],
            headless=True,
        )
        try:
            await context.route("**/*", _serve_blank)
            page = context.pages[0] if context.pages else await context.new_page()
            await page.goto(OTHER_SITE + "/")
            await page.evaluate(_SET, {"theme": '"dark"', "visits": "3"})
            await page.goto(CLIENT + "/")
            for round_number in range(3):  # the client rewrites its settings as it runs
                settings = {name: value + " " * round_number for name, value in OTHER_ITEMS.items()}
                await page.evaluate(_SET, {**SESSION_ITEMS, **settings})
            if logged_out:
                await page.evaluate(_REMOVE, list(SESSION_ITEMS))
        finally:
            await context.close()


def ensure_templates(templates: Path, executable: Path | None = None) -> Path:
    """Given a cache dir, make the linked and logged-out templates if absent; return the dir."""
    for name, logged_out in (("linked", False), ("not_linked", True)):
        if not (templates / name / "Default" / "Local Storage").is_dir():
            shutil.rmtree(templates / name, ignore_errors=True)
            browser = executable or find_browser(os.environ.get("KIOSKGUARD_BROWSER")).path
            asyncio.run(_make_template(templates / name, browser, logged_out))
    return templates


def build_tree(templates: Path, destination: Path, count: int, linked: int) -> list[Path]:
    """Given templates, write a user data dir of count profiles, every other one linked first.

    Profiles are Default, Profile 1, ..., listed in Local State. Return the linked profiles.
    Raise ValueError if linked > count or destination is not empty.
    """
    if not 0 <= linked <= count:
        raise ValueError(f"linked ({linked}) must be between 0 and count ({count})")
    if destination.exists() and any(destination.iterdir()):
        raise ValueError(f"{destination} is not empty")
    destination.mkdir(parents=True, exist_ok=True)
    names = ["Default"] + [f"Profile {index}" for index in range(1, count)]
    linked_indexes = set(range(0, count, 2)[:linked])
    linked_indexes.update(range(1, count, 2)[: linked - len(linked_indexes)])
    linked_profiles = []
    for index, name in enumerate(names):
        kind = "linked" if index in linked_indexes else "not_linked"
        shutil.copytree(templates / kind / "Default", destination / name, ignore=SKIPPED_DIRS)
        if kind == "linked":
            linked_profiles.append(destination / name)
    state = json.loads((templates / "linked" / "Local State").read_text(encoding="utf-8"))
    state.setdefault("profile", {})["info_cache"] = {name: {"name": name} for name in names}
    (destination / "Local State").write_text(json.dumps(state), encoding="utf-8")
    return linked_profiles


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("destination", type=Path, help="user data dir to create (must be empty)")
    parser.add_argument("--count", type=int, default=20, help="number of profiles (default 20)")
    parser.add_argument("--linked", type=int, help="how many are linked (default: half)")
    cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
    parser.add_argument(
        "--templates", type=Path, default=cache / "kioskguard" / "profile-templates"
    )
    parser.add_argument("--browser", type=Path, help="Chromium executable (default: discovered)")
    args = parser.parse_args(argv)
    linked = args.count // 2 if args.linked is None else args.linked
    try:
        templates = ensure_templates(args.templates, args.browser)
        made = build_tree(templates, args.destination, args.count, linked)
    except ValueError as exc:
        parser.error(str(exc))
    print(f"{args.destination}: {args.count} profiles, {len(made)} linked, origin {CLIENT}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

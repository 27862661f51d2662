"""``kioskguard status``: is a session stored, and what does the live page show?"""

from __future__ import annotations

import argparse
import asyncio
from typing import Any

from agent.browser.locks import LockState, read_lock
from agent.commands.common import add_profile_options, emit, resolve
from agent.errors import KioskguardError
from agent.probe.probe import probe_user_data_dir
from agent.session.pagestate import inspect
from agent.session.service import SessionService
from agent.settings import ProfileSettings


def configure(parser: argparse.ArgumentParser) -> None:
    add_profile_options(parser)


async def live_state(service: SessionService, profile: ProfileSettings) -> dict[str, Any]:
    """Return the page state of the profile's running browser, or why there is none.

    A browser is shown as this profile's only when its endpoint is proven to be (a leftover
    DevToolsActivePort or the configured port may be another browser's).
    """
    lock = read_lock(profile.user_data_dir)
    if lock.state is not LockState.LIVE:
        return {"running": False}
    check = service.endpoint(profile)
    if check.endpoint is None:
        return {"running": True, "endpoint": None, "error": f"no proven endpoint: {check.reason}"}
    endpoint = check.endpoint
    try:
        session = await service.driver.attach(
            endpoint, service.client_url(profile), 5.0, open_if_missing=False
        )
    except KioskguardError as exc:
        await service.close()
        return {"running": True, "endpoint": endpoint, "error": str(exc)}
    try:
        reading = await inspect(session.tab)
        return {"running": True, "endpoint": endpoint, "page": reading.state.value}
    finally:
        await session.close()
        await service.close()


def run(args: argparse.Namespace) -> int:
    settings, profile = resolve(args)
    url = profile.url or settings.general.client_url
    results = probe_user_data_dir(profile.user_data_dir, url)
    lock = read_lock(profile.user_data_dir)
    live = asyncio.run(live_state(SessionService(settings), profile))
    data = {
        "user_data_dir": str(profile.user_data_dir),
        "url": url,
        "lock": lock.state.value,
        "profiles": [result.to_dict() for result in results],
        "browser": live,
    }
    lines = [f"user data dir: {profile.user_data_dir} (lock: {lock.state.value})"]
    for result in results:
        account = f", account {result.account}" if result.account else ""
        detail = f" ({result.detail})" if result.detail else ""
        lines.append(f"  {result.profile}: {result.linked.value}{account}{detail}")
    if live.get("running") and live.get("endpoint") is None:
        lines.append(f"browser: running, not attached ({live['error']})")
    elif live.get("running"):
        page = live.get("page") or live.get("error", "?")
        lines.append(f"browser: running at {live['endpoint']}, page {page}")
    else:
        lines.append("browser: not running")
    emit(data, args.json, "\n".join(lines))
    return 0

"""The relaunch limit (logout.parallel_launches) as logic, without a browser."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from agent.errors import DriverError
from agent.session.service import SessionService
from agent.settings import Settings


def service_with(tmp_path: Path, slots: int) -> SessionService:
    settings = Settings.model_validate(
        {"general": {"state_dir": str(tmp_path)}, "logout": {"parallel_launches": slots}}
    )
    return SessionService(settings)


async def test_a_slot_frees_for_the_next_waiter(tmp_path: Path) -> None:
    service = service_with(tmp_path, 1)
    order: list[str] = []

    async def hold(name: str) -> None:
        async with service.routing.launch_slot(service.clock() + 5):
            order.append(f"{name} in")
            await asyncio.sleep(0.05)
            order.append(f"{name} out")

    await asyncio.gather(hold("a"), hold("b"))
    assert order == ["a in", "a out", "b in", "b out"]


async def test_no_slot_before_the_deadline_is_a_driver_error(tmp_path: Path) -> None:
    service = service_with(tmp_path, 1)
    async with service.routing.launch_slot(service.clock() + 5):
        with pytest.raises(DriverError, match=r"logout\.parallel_launches = 1"):
            async with service.routing.launch_slot(service.clock() + 0.05):
                pass
    async with service.routing.launch_slot(service.clock() + 0.05):  # released: free again
        pass

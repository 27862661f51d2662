"""Choosing the idle source: auto order, explicit preferences, the browser fallback."""

from __future__ import annotations

import pytest

from agent.errors import ConfigError, PlatformUnavailable
from agent.platform.base import CallableIdleSource, ChainedIdleSource, IdleSource, close_idle_source
from agent.platform.select import pick_idle_source
from tests.platform.dbus_fakes import FakeIdleMonitor


async def page_idle() -> float | None:
    return 7.0


async def unknown() -> float | None:
    return None


async def picked(preference: str, **options: object) -> IdleSource:
    source = await pick_idle_source(preference, **options)  # type: ignore[arg-type]
    close_idle_source(source)
    return source


async def test_auto_prefers_gnome_when_its_idle_monitor_is_on_the_bus(
    fake_mutter: FakeIdleMonitor, dbus_address: str, xvfb_display: str
) -> None:
    environment = {"DBUS_SESSION_BUS_ADDRESS": dbus_address, "DISPLAY": xvfb_display}
    assert (await picked("auto", environment=environment, platform="linux")).name == "gnome"


async def test_auto_falls_to_x11_without_gnome(dbus_address: str, xvfb_display: str) -> None:
    environment = {"DBUS_SESSION_BUS_ADDRESS": dbus_address, "DISPLAY": xvfb_display}
    assert (await picked("auto", environment=environment, platform="linux")).name == "x11"


async def test_auto_falls_to_logind_without_a_display(
    fake_logind: object, dbus_address: str
) -> None:
    environment = {
        "DBUS_SESSION_BUS_ADDRESS": dbus_address,
        "DBUS_SYSTEM_BUS_ADDRESS": dbus_address,
        "XDG_SESSION_ID": "7",
    }
    assert (await picked("auto", environment=environment, platform="linux")).name == "logind"


async def test_auto_without_any_os_source_uses_the_browser_fallback(tmp_path: object) -> None:
    environment = {"XDG_RUNTIME_DIR": str(tmp_path), "DBUS_SYSTEM_BUS_ADDRESS": "unix:path=/nx"}
    source = await picked("auto", fallback=page_idle, environment=environment, platform="linux")
    assert source.name == "browser" and await source.idle_seconds() == 7.0


async def test_auto_without_any_source_names_every_reason(tmp_path: object) -> None:
    environment = {"XDG_RUNTIME_DIR": str(tmp_path), "DBUS_SYSTEM_BUS_ADDRESS": "unix:path=/nx"}
    with pytest.raises(PlatformUnavailable, match=r"gnome: .*x11: .*DISPLAY.*logind: "):
        await picked("auto", environment=environment, platform="linux")


async def test_os_source_is_chained_with_the_fallback(xvfb_display: str) -> None:
    source = await picked("x11", fallback=page_idle, environment={"DISPLAY": xvfb_display})
    assert isinstance(source, ChainedIdleSource) and source.name == "x11+browser"


async def test_chain_answers_with_the_fallback_when_the_os_source_cannot_tell() -> None:
    chain = ChainedIdleSource(
        [CallableIdleSource("os", unknown), CallableIdleSource("b", page_idle)]
    )
    assert await chain.idle_seconds() == 7.0


async def test_explicit_x11_without_display_names_what_is_missing() -> None:
    with pytest.raises(PlatformUnavailable, match=r"'x11' is not available: .*DISPLAY"):
        await picked("x11", environment={})


async def test_explicit_windows_on_linux_is_a_clear_error() -> None:
    with pytest.raises(PlatformUnavailable, match=r"'windows' is not available: .*needs Windows"):
        await picked("windows", environment={})


async def test_browser_without_the_fallback_is_a_clear_error() -> None:
    with pytest.raises(PlatformUnavailable, match="needs the page-input idle"):
        await picked("browser", environment={})


async def test_unknown_preference_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="idle source must be one of"):
        await picked("wayland", environment={})

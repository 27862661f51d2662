"""The simulator's pieces without a server: config, registry, clock, locales, QR, devices."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import segno

from agent.simulator.clock import OffsetClock
from agent.simulator.config import ConfigInputError, SimConfig, updated, with_overrides
from agent.simulator.locales import STRINGS
from agent.simulator.pages import new_token, qr_rows
from agent.simulator.phone_api import describe
from agent.simulator.registry import Registry, TooManyDevices

CHROME_UA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0"


class FixedClock:
    def __init__(self) -> None:
        self.moment = datetime(2025, 1, 1, tzinfo=UTC)

    def now(self) -> datetime:
        return self.moment


def link(registry: Registry) -> int:
    return registry.link("Chrome", "Linux", "Near 127.0.0.1 (loopback)", "Loopback").id


def test_query_overrides_are_read_as_their_field_types() -> None:
    config = with_overrides(SimConfig(), {"testids": "true", "menu_delay_ms": "250"})
    assert (config.testids, config.menu_delay_ms) == (True, 250)


def test_query_override_null_clears_forced_screen() -> None:
    config = SimConfig(force_screen="conflict")
    assert with_overrides(config, {"force_screen": "null"}).force_screen is None


def test_update_rejects_an_integer_for_a_boolean() -> None:
    with pytest.raises(ConfigInputError, match="'drop_unpair'"):
        updated(SimConfig(), {"drop_unpair": 1})


def test_fifth_link_is_refused_by_the_registry() -> None:
    registry = Registry(":memory:", FixedClock())
    for _ in range(4):
        link(registry)
    with pytest.raises(TooManyDevices, match="at most 4 linked devices"):
        link(registry)


def test_expiry_reports_unlinked_devices_to_the_listener() -> None:
    heard: list[list[int]] = []
    clock = OffsetClock(FixedClock())
    registry = Registry(":memory:", clock, on_unlink=heard.append)
    device_id = link(registry)
    clock.advance(timedelta(days=30, seconds=1).total_seconds())
    assert registry.devices() == []
    assert heard == [[device_id]]


def test_device_ids_are_never_reused_after_unlink() -> None:
    registry = Registry(":memory:", FixedClock())
    first = link(registry)
    registry.unlink(first)
    assert link(registry) == first + 1


def test_registry_file_keeps_devices_across_reopen(tmp_path: Path) -> None:
    Registry(tmp_path / "r.sqlite3", FixedClock()).close()
    first = Registry(tmp_path / "r.sqlite3", FixedClock())
    device_id = link(first)
    first.close()
    assert [d.id for d in Registry(tmp_path / "r.sqlite3", FixedClock()).devices()] == [device_id]


def test_clock_refuses_to_move_backwards() -> None:
    with pytest.raises(ValueError, match="only moves forward"):
        OffsetClock(FixedClock()).advance(-1)


def test_every_locale_has_every_string() -> None:
    for locale, table in STRINGS.items():
        assert set(table) == set(STRINGS["en"]), locale


@pytest.mark.parametrize(
    ("locale", "label"),
    [
        ("en", "Log out"),
        ("es", "Cerrar sesión"),
        ("pt-BR", "Desconectar"),
        ("id", "Keluar"),
        ("de", "Abmelden"),
        ("fr", "Se déconnecter"),
    ],
)
def test_log_out_label_is_the_real_clients(locale: str, label: str) -> None:
    assert STRINGS[locale]["log_out"] == label


def test_qr_rows_are_the_segno_matrix_of_the_token() -> None:
    token = new_token()
    rows = qr_rows(token)
    assert rows == ["".join(str(bit) for bit in row) for row in segno.make(token, error="l").matrix]


def test_describe_reads_browser_os_and_loopback_location() -> None:
    assert describe(CHROME_UA, "127.0.0.1") == {
        "browser": "Chrome",
        "os": "Linux",
        "location": "Near 127.0.0.1 (loopback)",
        "network": "Loopback",
    }


def test_describe_tells_edge_from_chrome() -> None:
    assert describe(CHROME_UA + " Edg/156.0", "192.168.1.5")["browser"] == "Edge"


@pytest.mark.parametrize(
    ("layout", "generation"), [("classic", "classic-2023"), ("rail", "rail-2024")]
)
def test_layout_is_an_alias_of_its_generation(layout: str, generation: str) -> None:
    assert SimConfig(layout=layout).generation == generation  # type: ignore[call-arg]
    assert updated(SimConfig(generation="wds-2026"), {"layout": layout}).generation == generation
    assert with_overrides(SimConfig(), {"layout": layout}).generation == generation


def test_layout_reads_back_as_the_generations_family() -> None:
    assert SimConfig(generation="classic-2021").layout == "classic"
    assert SimConfig(generation="wds-2026").model_dump()["layout"] == "rail"


def test_layout_that_disagrees_with_the_generation_is_refused() -> None:
    with pytest.raises(ConfigInputError, match=r"'layout' .* and 'generation' .* disagree"):
        updated(SimConfig(), {"layout": "classic", "generation": "wds-2026"})


def test_mutate_seed_from_the_query_string_and_null_turns_it_off() -> None:
    assert with_overrides(SimConfig(), {"mutate": "17"}).mutate == 17
    assert with_overrides(SimConfig(mutate=3), {"mutate": "null"}).mutate is None

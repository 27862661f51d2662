"""Windows `install --system --service`: the service plan (sc.exe, reg, icacls), checked as
command lines with every Windows tool faked; nothing here ran on Windows."""

from __future__ import annotations

import re
from pathlib import Path, PureWindowsPath

import pytest

from agent.install.actions import Options, install, uninstall
from agent.install.fakes import FakeServiceManager
from agent.install.runner import InstallError
from agent.install.targets import Installation
from agent.install.windows_service import SDDL, preshutdown_timeout_ms, service_plan
from agent.platform.windows_service import SC_MANAGER_CONNECT
from tests.platform.test_windows_service import FakeAdvapi32

EXECUTABLE = PureWindowsPath(r"C:\Program Files\kioskguard\venv\Scripts\python.exe")
CONFIG_FILE = PureWindowsPath(r"C:\ProgramData\kioskguard\kioskguard.toml")
SHARED = r"C:\ProgramData\kioskguard-browser\profile"
# What each SDDL right lets a principal do to a service (sc sdset's two-letter codes).
STOP, START, CHANGE_CONFIG, QUERY_CONFIG, USER_CONTROL = "WP", "RP", "DC", "CC", "CR"


def config_text(profile: str | None = SHARED, deadline: float | None = None) -> bytes:
    lines = ["[general]", 'client_url = "https://web.whatsapp.com/"']
    if profile is not None:
        lines += ["[browser]", f"user_data_dir = '{profile}'"]
    if deadline is not None:
        lines += ["[logout]", f"shutdown_deadline_s = {deadline}"]
    return "\n".join(lines).encode()


def command(plan_commands: list[list[str]], *head: str) -> list[str]:
    found = [line for line in plan_commands if tuple(line[: len(head)]) == head]
    assert len(found) == 1, f"{head}: {found}"
    return found[0]


def aces(sddl: str) -> dict[str, str]:
    """Given a DACL in SDDL, return {trustee: rights} of its allow entries."""
    return {
        trustee: rights
        for kind, rights, trustee in re.findall(r"\((A|D);;([A-Z]*);;;([A-Z]+)\)", sddl)
        if kind == "A"
    }


def test_the_service_runs_as_its_virtual_account_started_at_boot() -> None:
    plan = service_plan(EXECUTABLE, CONFIG_FILE, config_text())
    create = command(plan.commands, "sc.exe", "create", "kioskguard")
    options = dict(zip(create[3::2], create[4::2], strict=True))
    assert options == {
        "binPath=": f'"{EXECUTABLE}" -m agent run --windows-service --config "{CONFIG_FILE}"',
        "start=": "auto",
        "obj=": r"NT SERVICE\kioskguard",
        "DisplayName=": "kioskguard",
    }
    assert plan.account == r"NT SERVICE\kioskguard"
    local = service_plan(EXECUTABLE, CONFIG_FILE, config_text(), account="localservice")
    assert r"NT AUTHORITY\LocalService" in command(local.commands, "sc.exe", "create")


def test_the_service_manager_restarts_it_when_it_dies() -> None:
    plan = service_plan(EXECUTABLE, CONFIG_FILE, config_text())
    failure = command(plan.commands, "sc.exe", "failure", "kioskguard")
    assert failure[failure.index("actions=") + 1].split("/")[::2] == ["restart"] * 3
    # also when the process exits with an error, not only when it crashes
    assert command(plan.commands, "sc.exe", "failureflag") == [
        "sc.exe", "failureflag", "kioskguard", "1"
    ]  # fmt: skip


def test_the_visitor_can_neither_stop_nor_reconfigure_the_service() -> None:
    plan = service_plan(EXECUTABLE, CONFIG_FILE, config_text())
    assert command(plan.commands, "sc.exe", "sdset") == ["sc.exe", "sdset", "kioskguard", SDDL]
    allowed = aces(SDDL)
    assert set(allowed) == {"SY", "BA", "IU"}  # no entry for Users, Everyone, Authenticated
    visitor = re.findall("..", allowed["IU"])
    assert visitor == ["LC"]  # query the status, nothing else
    for right in (STOP, START, CHANGE_CONFIG, QUERY_CONFIG, USER_CONTROL):
        assert right in re.findall("..", allowed["BA"])
        assert right not in visitor


def test_configuration_and_state_are_closed_to_the_visitor() -> None:
    plan = service_plan(EXECUTABLE, CONFIG_FILE, config_text())
    data = command(plan.commands, "icacls", str(CONFIG_FILE.parent))
    state = command(plan.commands, "icacls", str(CONFIG_FILE.parent / "state"))
    for grants, service_rights in ((data, "RX"), (state, "M")):
        assert grants[2:4] == ["/inheritance:r", "/grant:r"]  # ProgramData's Users ACEs go
        assert grants[4:] == [
            "*S-1-5-18:(OI)(CI)F",
            "*S-1-5-32-544:(OI)(CI)F",
            rf"NT SERVICE\kioskguard:(OI)(CI){service_rights}",
        ]
        assert not any("S-1-5-32-545" in word or "Users" in word for word in grants)
    profile = command(plan.commands, "icacls", SHARED)
    assert profile[2:] == [
        "/grant",
        "*S-1-5-32-545:(OI)(CI)M",
        r"NT SERVICE\kioskguard:(OI)(CI)M",
    ]


def test_the_service_reads_idle_from_the_browser_and_keeps_state_in_programdata() -> None:
    plan = service_plan(EXECUTABLE, CONFIG_FILE, config_text())
    environment = command(plan.commands, "reg", "add")
    assert environment[2] == r"HKLM\SYSTEM\CurrentControlSet\Services\kioskguard"
    values = environment[environment.index("/d") + 1].split(r"\0")
    assert values == [
        rf"KIOSKGUARD_GENERAL__STATE_DIR={CONFIG_FILE.parent / 'state'}",
        "KIOSKGUARD_IDLE__SOURCE=browser",  # session 0 cannot read the visitor's input
    ]


@pytest.mark.parametrize(("deadline", "expected"), [(None, 7000), (4.0, 7000), (12.5, 15500)])
def test_the_preshutdown_timeout_fits_the_shutdown_deadline(
    deadline: float | None, expected: int
) -> None:
    assert service_plan(EXECUTABLE, CONFIG_FILE, config_text(deadline=deadline)).preshutdown_ms == (
        expected
    )
    assert preshutdown_timeout_ms(4.0) > 4000


def test_a_service_without_a_shared_profile_is_refused() -> None:
    with pytest.raises(InstallError, match=r"browser\.user_data_dir"):
        service_plan(EXECUTABLE, CONFIG_FILE, config_text(profile=None))


def service_options(config: Path, **flags: bool) -> Options:
    return Options(
        mode="system",
        config=config,
        dry_run=flags.get("dry_run", False),
        files_only=flags.get("files_only", True),
        service=True,
    )


@pytest.fixture
def service_config(tmp_path: Path) -> Path:
    shared = tmp_path / "shared-profile"
    path = tmp_path / "site.toml"
    path.write_bytes(config_text(str(shared), deadline=5.0))
    return path


def test_files_only_writes_the_plan_for_review_and_registers_nothing(
    windows_installation: Installation, service_config: Path
) -> None:
    manager = FakeServiceManager()
    said: list[str] = []
    assert install(windows_installation, service_options(service_config), manager, said.append) == 0
    data = Path(windows_installation.environ["ProgramData"]) / "kioskguard"
    script = (data / "kioskguard-service.cmd").read_text(encoding="utf-8")
    assert "sc.exe create kioskguard binPath=" in script
    assert f'sc.exe sdset kioskguard "{SDDL}"' in script  # quoted for cmd.exe
    assert "Preshutdown timeout 8000 ms" in script
    assert (data / "kioskguard-browser-policies.reg").exists()
    assert not (data / "kioskguard-task.xml").exists()  # no task the visitor could end
    assert manager.calls == []
    assert manager.services == {}
    assert uninstall(windows_installation, service_options(service_config), manager, print) == 0
    assert not (data / "kioskguard-service.cmd").exists()


def registered(
    installation: Installation,
    config: Path,
    manager: FakeServiceManager,
    advapi32: FakeAdvapi32,
) -> list[str]:
    said: list[str] = []
    options = service_options(config, files_only=False)
    assert install(installation, options, manager, said.append, advapi32) == 0
    return said


def test_install_registers_the_service_sets_its_preshutdown_timeout_and_starts_it(
    windows_installation: Installation, service_config: Path
) -> None:
    manager, advapi32 = FakeServiceManager(), FakeAdvapi32()
    registered(windows_installation, service_config, manager, advapi32)
    created = manager.services["kioskguard"]
    assert created["obj="] == r"NT SERVICE\kioskguard"
    assert "run --windows-service --config" in created["binPath="]  # the service entry
    sc_verbs = [call[1] for call in manager.calls if call[0] == "sc.exe"]
    assert sc_verbs[0] == "query" and sc_verbs[1] == "create" and sc_verbs[-1] == "start"
    assert "sdset" in sc_verbs and "failure" in sc_verbs
    assert manager.running_services == {"kioskguard"}
    assert [call for call in advapi32.calls if call[0] == "ChangeServiceConfig2W"] == [
        ("ChangeServiceConfig2W", 2, 7, 8000)  # SERVICE_CONFIG_PRESHUTDOWN_INFO, deadline + 3 s
    ]
    assert advapi32.calls[0] == ("OpenSCManagerW", SC_MANAGER_CONNECT)
    assert (service_config.parent / "shared-profile").is_dir()  # icacls needs it
    assert any(call[:2] == ("reg", "import") for call in manager.calls)
    assert (
        uninstall(
            windows_installation, service_options(service_config, files_only=False), manager, print
        )
        == 0
    )
    assert manager.services == {}


def test_a_second_install_changes_nothing_and_a_changed_plan_reconfigures(
    windows_installation: Installation, service_config: Path
) -> None:
    manager = FakeServiceManager()
    registered(windows_installation, service_config, manager, FakeAdvapi32())
    manager.calls.clear()
    said = registered(windows_installation, service_config, manager, FakeAdvapi32())
    assert [call for call in manager.calls if call[0] == "sc.exe"] == [
        ("sc.exe", "query", "kioskguard")
    ]
    assert "unchanged: the service kioskguard" in said
    script = (
        Path(windows_installation.environ["ProgramData"]) / "kioskguard" / "kioskguard-service.cmd"
    )
    script.write_text("edited by hand\r\n", encoding="utf-8")  # the plan differs now
    manager.calls.clear()
    advapi32 = FakeAdvapi32()
    registered(windows_installation, service_config, manager, advapi32)
    sc_verbs = [call[1] for call in manager.calls if call[0] == "sc.exe"]
    assert "create" not in sc_verbs and "config" in sc_verbs and "start" not in sc_verbs
    assert any(call[0] == "ChangeServiceConfig2W" for call in advapi32.calls)


def test_a_refused_preshutdown_timeout_fails_the_install(
    windows_installation: Installation, service_config: Path
) -> None:
    manager = FakeServiceManager()
    with pytest.raises(InstallError, match="preshutdown timeout"):
        registered(
            windows_installation,
            service_config,
            manager,
            FakeAdvapi32(refuse="ChangeServiceConfig2W"),
        )
    assert "kioskguard" not in manager.running_services  # not started half-configured


def test_service_is_windows_system_only(
    linux_installation: Installation, windows_installation: Installation, service_config: Path
) -> None:
    user = Options("user", service_config, dry_run=True, files_only=False, service=True)
    for installation, options in (
        (windows_installation, user),
        (linux_installation, service_options(service_config)),
    ):
        with pytest.raises(InstallError, match="Windows with --system"):
            install(installation, options, FakeServiceManager(), print)

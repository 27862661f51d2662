"""Windows `install --system`: the browser policies, as a .reg file and in the (fake) registry."""

from __future__ import annotations

from pathlib import Path

from agent.install.actions import Options, install, uninstall
from agent.install.browser_policy import CHROME_KEY, EDGE_KEY, KioskPolicy, reg_text
from agent.install.fakes import FakeServiceManager
from agent.install.targets import Installation
from tests.install.conftest import CONFIG


def options(policy: KioskPolicy | None = None, **flags: bool) -> Options:
    return Options(
        mode="system",
        config=CONFIG / "library.toml",
        dry_run=flags.get("dry_run", False),
        files_only=flags.get("files_only", False),
        policy=policy or KioskPolicy(),
    )


def reg_file(installation: Installation) -> Path:
    return (
        Path(installation.environ["ProgramData"])
        / "kioskguard"
        / ("kioskguard-browser-policies.reg")
    )


def test_system_install_sets_chrome_and_edge_policies(
    windows_installation: Installation, tmp_path: Path
) -> None:
    (tmp_path / "venv" / "Scripts").mkdir(parents=True)
    manager = FakeServiceManager()
    assert install(windows_installation, options(), manager, print) == 0
    profile = r"${local_app_data}\kioskguard\browser-profile"
    assert manager.registry == {
        CHROME_KEY: {
            "UserDataDir": profile, "RemoteDebuggingAllowed": 1,
            "BrowserGuestModeEnabled": 0, "IncognitoModeAvailability": 1,
        },
        EDGE_KEY: {
            "UserDataDir": profile, "RemoteDebuggingAllowed": 1,
            "BrowserGuestModeEnabled": 0, "InPrivateModeAvailability": 1,
        },
    }  # fmt: skip
    assert ("reg", "import", str(reg_file(windows_installation))) in manager.calls


def test_the_admin_chooses_private_and_guest_modes(windows_installation: Installation) -> None:
    manager = FakeServiceManager()
    chosen = KioskPolicy(private_mode="forced", guest_mode=True)
    install(windows_installation, options(chosen), manager, print)
    assert manager.registry[CHROME_KEY]["IncognitoModeAvailability"] == 2
    assert manager.registry[EDGE_KEY]["InPrivateModeAvailability"] == 2
    assert manager.registry[EDGE_KEY]["BrowserGuestModeEnabled"] == 1


def test_the_reg_file_is_regedits_format_in_utf16(windows_installation: Installation) -> None:
    install(windows_installation, options(files_only=True), FakeServiceManager(), print)
    raw = reg_file(windows_installation).read_bytes()
    assert raw[:2] == b"\xff\xfe"
    assert raw.decode("utf-16") == reg_text(KioskPolicy())
    assert reg_text(KioskPolicy()).split("\r\n")[:7] == [
        "Windows Registry Editor Version 5.00",
        "",
        r"[HKEY_LOCAL_MACHINE\SOFTWARE\Policies\Google\Chrome]",
        r'"UserDataDir"="${local_app_data}\\kioskguard\\browser-profile"',
        '"RemoteDebuggingAllowed"=dword:00000001',
        '"BrowserGuestModeEnabled"=dword:00000000',
        '"IncognitoModeAvailability"=dword:00000001',
    ]


def test_files_only_imports_nothing_and_says_so(windows_installation: Installation) -> None:
    said: list[str] = []
    manager = FakeServiceManager()
    install(windows_installation, options(files_only=True), manager, said.append)
    assert manager.registry == {}
    assert any("import" in line and "reg import later" in line for line in said)


def test_a_configured_profile_is_the_policys_user_data_dir(
    windows_installation: Installation, tmp_path: Path
) -> None:
    config = tmp_path / "kiosk.toml"
    config.write_text(
        (CONFIG / "library.toml").read_text() + '\n[browser]\nuser_data_dir = "D:/kiosk/profile"\n'
    )
    manager = FakeServiceManager()
    install(windows_installation, Options("system", config, False, False), manager, print)
    assert manager.registry[CHROME_KEY]["UserDataDir"] == r"D:\kiosk\profile"


def test_uninstall_removes_the_reg_file(windows_installation: Installation) -> None:
    install(windows_installation, options(), FakeServiceManager(), print)
    uninstall(windows_installation, options(), FakeServiceManager(), print)
    assert not reg_file(windows_installation).exists()

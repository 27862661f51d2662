"""A fake service manager for tests: answers systemctl and schtasks like the real ones would.

It keeps what a real manager keeps (enabled and running units, registered tasks), records every
command line, and can be told to fail a command, so tests check what the installer decides
without a running systemd or Windows.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

from agent.install.runner import Completed, InstallError


class FakeServiceManager:
    """A CommandRunner that plays systemctl (system and --user), schtasks, getent, useradd,
    chown and chmod (recorded, not applied),
    xdg-settings (absent unless asked for), ``reg import`` (into a dict per HKLM key), and
    the Windows service's sc.exe (services and their settings), icacls and ``reg add``."""

    def __init__(self, *, fail: Sequence[str] = (), xdg_settings: bool = False) -> None:
        self.calls: list[tuple[str, ...]] = []
        self.enabled: set[str] = set()
        self.active: set[str] = set()
        self.tasks: dict[str, bytes] = {}
        self.users: set[str] = {"root"}
        self.reloads = 0
        self.restarts = 0
        self.fail = tuple(fail)
        self.xdg_settings = xdg_settings  # False: the command is not installed
        self.default_browser = "chromium.desktop"
        self.registry: dict[str, dict[str, str | int]] = {}  # HKLM keys: what reg import set
        self.owners: dict[str, str] = {}  # path: what chown set (the files are not touched)
        self.modes: dict[str, str] = {}  # path: what chmod set
        self.services: dict[str, dict[str, str]] = {}  # sc.exe: name -> option -> value
        self.running_services: set[str] = set()

    def __call__(self, argv: Sequence[str]) -> Completed:
        """Given a command line, record it and answer as the real tool would."""
        call = tuple(argv)
        self.calls.append(call)
        if any(word in call for word in self.fail):
            return Completed(1, "", f"{call[0]}: failed (as the test asked)")
        if call[0] == "systemctl":
            return self._systemctl([word for word in call[1:] if word != "--user"])
        if call[0] == "schtasks":
            return self._schtasks(list(call[1:]))
        if call[:2] == ("getent", "passwd"):
            return Completed(0 if call[2] in self.users else 2)
        if call[0] == "xdg-settings":
            return self._xdg_settings(list(call[1:]))
        if call[:2] == ("reg", "import"):
            self._reg_import(Path(call[2]).read_bytes().decode("utf-16"))
            return Completed(0, "", "The operation completed successfully.")
        if call[0] in ("chown", "chmod"):
            (self.owners if call[0] == "chown" else self.modes)[call[2]] = call[1]
            return Completed(0)
        if call[0] == "sc.exe":
            return self._sc(list(call[1:]))
        if call[0] == "icacls" or call[:2] == ("reg", "add"):
            return Completed(0, "Successfully processed 1 files" if call[0] == "icacls" else "")
        if call[0] == "useradd":
            self.users.add(call[-1])
            return Completed(0)
        return Completed(127, "", f"{call[0]}: command not found")

    def _xdg_settings(self, words: list[str]) -> Completed:
        if not self.xdg_settings:
            raise InstallError("xdg-settings not found")  # what run_command raises
        if words[:2] == ["get", "default-web-browser"]:
            return Completed(0, self.default_browser + "\n")
        if words[:2] == ["set", "default-web-browser"]:
            self.default_browser = words[2]
            return Completed(0)
        return Completed(1, "", "xdg-settings: unknown command")

    def _reg_import(self, text: str) -> None:
        """Apply a .reg file's keys and values (strings and dwords) as reg.exe would."""
        key = ""
        for line in text.splitlines():
            if line.startswith("[") and line.endswith("]"):
                key = line[1:-1]
                self.registry.setdefault(key, {})
            elif line.startswith('"') and key:
                name, _, value = line.partition("=")
                parsed: str | int = (
                    int(value.removeprefix("dword:"), 16)
                    if value.startswith("dword:")
                    else re.sub(r"\\(.)", r"\1", value[1:-1])
                )
                self.registry[key][name.strip('"')] = parsed

    def _systemctl(self, words: list[str]) -> Completed:
        verb, units = words[0], [word for word in words[1:] if not word.startswith("--")]
        if verb == "daemon-reload":
            self.reloads += 1
        elif verb == "is-enabled":
            return Completed(0 if units[0] in self.enabled else 1)
        elif verb == "is-active":
            return Completed(0 if units[0] in self.active else 3)
        elif verb in ("enable", "disable"):
            for unit in units:
                (self.enabled.add if verb == "enable" else self.enabled.discard)(unit)
                if "--now" in words:
                    (self.active.add if verb == "enable" else self.active.discard)(unit)
        elif verb == "restart":
            self.restarts += 1
            self.active.update(units)
        else:
            return Completed(1, "", f"Unknown command verb {verb}.")
        return Completed(0)

    def _sc(self, words: list[str]) -> Completed:
        """sc.exe VERB NAME [option= value ...]: 1060 for a service that does not exist."""
        verb, name = words[0], words[1]
        if verb == "create":
            if name in self.services:
                return Completed(1073, "[SC] CreateService FAILED 1073: already exists")
            self.services[name] = dict(zip(words[2::2], words[3::2], strict=False))
            return Completed(0, "[SC] CreateService SUCCESS")
        if name not in self.services:
            return Completed(1060, "[SC] OpenService FAILED 1060: does not exist")
        if verb == "config":
            self.services[name].update(zip(words[2::2], words[3::2], strict=False))
        elif verb == "start":
            self.running_services.add(name)
        elif verb == "stop" and name not in self.running_services:
            return Completed(1062, "[SC] ControlService FAILED 1062: not started")
        elif verb in ("stop", "delete"):
            self.running_services.discard(name)
            if verb == "delete":
                del self.services[name]
        elif verb not in ("query", "description", "failure", "failureflag", "sidtype", "sdset"):
            return Completed(1, "", f"[SC] unknown verb {verb}")
        return Completed(0, "[SC] SUCCESS")

    def _schtasks(self, words: list[str]) -> Completed:
        name = words[words.index("/TN") + 1]
        if words[0] == "/Query":
            return Completed(0 if name in self.tasks else 1)
        if words[0] == "/Create":
            self.tasks[name] = Path(words[words.index("/XML") + 1]).read_bytes()
            return Completed(
                0, f'SUCCESS: The scheduled task "{name}" has successfully been created.'
            )
        if words[0] == "/Delete":
            return Completed(0) if self.tasks.pop(name, None) is not None else Completed(1)
        return Completed(1, "", f"ERROR: Invalid argument/option - '{words[0]}'.")

"""A fake service manager for tests: answers systemctl and schtasks like the real ones would.

It keeps what a real manager keeps (enabled and running units, registered tasks), records every
command line, and can be told to fail a command, so tests check what the installer decides
without a running systemd or Windows.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from agent.install.runner import Completed


class FakeServiceManager:
    """A CommandRunner that plays systemctl (system and --user), schtasks, getent and useradd."""

    def __init__(self, *, fail: Sequence[str] = ()) -> None:
        self.calls: list[tuple[str, ...]] = []
        self.enabled: set[str] = set()
        self.active: set[str] = set()
        self.tasks: dict[str, bytes] = {}
        self.users: set[str] = {"root"}
        self.reloads = 0
        self.restarts = 0
        self.fail = tuple(fail)

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
        if call[0] == "useradd":
            self.users.add(call[-1])
            return Completed(0)
        return Completed(127, "", f"{call[0]}: command not found")

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

"""Browser processes whose command line mentions a directory (leftover detection, Linux /proc)."""

from __future__ import annotations

import os
from pathlib import Path

BROWSER_NAMES = ("chromium", "chrome", "headless_shell")


def browser_processes(marker: str, proc: Path = Path("/proc")) -> list[int]:
    """Given a marker (e.g. the bench's temp dir), return ids of browser processes naming it.

    Raise ValueError if marker is empty (it would match every process).
    """
    if not marker:
        raise ValueError("marker must not be empty")
    found = []
    for entry in proc.iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            arguments = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue  # exited meanwhile, or not ours to read
        program = os.path.basename(arguments[0].decode(errors="replace")).lower()
        command_line = b" ".join(arguments).decode(errors="replace")
        if any(name in program for name in BROWSER_NAMES) and marker in command_line:
            found.append(int(entry.name))
    return sorted(found)

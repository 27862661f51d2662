#!/usr/bin/env python3
"""Lint the scripts the agent runs in the client's page with oxlint (`make lint`).

The reader runs as one script joined from agent/session/reader/*.js (pagestate.inspect_script):
its parts share one scope, so each part alone would read as undefined and unused names. This
lints what the page really runs: the joined reader, and client_logout.js, each written to a
temporary module as ``export default <script>`` (the script is one function expression).
A finding names the part by the ``// part:`` line above it.

Exit status: oxlint's (0 when clean), 2 when oxlint is not installed (run `make bootstrap`).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from agent.session.pagestate import READER_PARTS  # noqa: E402
from agent.session.run import client_logout_script  # noqa: E402

READER = ROOT / "agent" / "session" / "reader"


def joined_reader() -> str:
    """Return the reader as pagestate joins it, with a ``// part:`` line before each part."""
    body = "\n".join(
        f"// part: agent/session/reader/{part}.js\n"
        + (READER / f"{part}.js").read_text(encoding="utf-8")
        for part in READER_PARTS
    )
    return "(arg) => {\n" + body + "\nreturn result;\n}"


def oxlint() -> str | None:
    """Return the oxlint executable beside this Python (the .venv), else on PATH."""
    beside = Path(sys.executable).parent / "oxlint"
    return str(beside) if beside.exists() else shutil.which("oxlint")


def main() -> int:
    executable = oxlint()
    if executable is None:
        print("lint_js: oxlint not found; run `make bootstrap` (a dev extra)", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="kioskguard-lint-js-") as folder:
        scripts = {"reader.mjs": joined_reader(), "client_logout.mjs": client_logout_script()}
        paths = []
        for name, script in scripts.items():
            path = Path(folder) / name
            path.write_text("export default " + script.strip().rstrip(";") + ";\n", "utf-8")
            paths.append(str(path))
        config = str(ROOT / ".oxlintrc.json")
        command = [executable, "--config", config, "--deny-warnings", *paths]
        return subprocess.run(command, check=False).returncode


if __name__ == "__main__":
    raise SystemExit(main())

"""The system unit's hardening: systemd's own rating, and Chromium still working under it.

systemd is not PID 1 on the test machines (no `systemd-run`), so the unit cannot be started
here. What is checked instead: `systemd-analyze security --offline=true` rates the unit, and a
real Chromium, run as an unprivileged user with the unit's no-new-privileges and empty
capability bounding set (setpriv), with its own sandbox on, is traced (strace): every system
call, socket family and namespace it used must be one the unit's SystemCallFilter=,
RestrictAddressFamilies= and RestrictNamespaces= allow. The allowed sets are read from the unit
file, so narrowing the unit past what Chromium needs fails this test.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import pytest

from tests.platform.test_unit_verify import SYSTEMD, installed, systemd_analyze

UNIT = SYSTEMD / "kioskguard-system.service"
CHROMIUM = Path("/usr/lib/chromium/chromium")
EXPOSURE = re.compile(r"Overall exposure level for \S+: (\d+\.\d+) (\w+)")
CALL = re.compile(r"^\d+\s+(\w+)\(")
NAMESPACE_FLAGS = {
    "CLONE_NEWUSER": "user", "CLONE_NEWPID": "pid", "CLONE_NEWNET": "net",
    "CLONE_NEWNS": "mnt", "CLONE_NEWUTS": "uts", "CLONE_NEWIPC": "ipc",
    "CLONE_NEWCGROUP": "cgroup",
}  # fmt: skip


def test_systemd_rates_the_system_unit_5_or_lower(tmp_path: Path) -> None:
    unit = installed(UNIT, tmp_path)
    completed = subprocess.run(
        [systemd_analyze(), "security", "--offline=true", "--no-pager", str(unit)],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    found = EXPOSURE.search(completed.stdout + completed.stderr)
    assert found, completed.stdout[-2000:] + completed.stderr[-2000:]
    assert float(found.group(1)) <= 5.0, completed.stdout


def service_values(key: str) -> list[str]:
    """Given a [Service] key, return the words of all its lines, in the unit's order (systemd
    joins repeated SystemCallFilter= allow lines, as it does RestrictAddressFamilies=)."""
    words: list[str] = []
    for line in UNIT.read_text(encoding="utf-8").splitlines():
        name, equals, value = line.partition("=")
        if equals and name.strip() == key:
            words.extend(value.split())
    return words


@cache
def syscall_group(name: str) -> frozenset[str]:
    """Given a systemd syscall group (@system-service), return every call it holds."""
    listing = subprocess.run(
        [systemd_analyze(), "syscall-filter", "--no-pager", name],
        capture_output=True, text=True, timeout=60, check=True,
    ).stdout  # fmt: skip
    calls: set[str] = set()
    for line in listing.splitlines()[1:]:
        word = line.strip()
        if word.startswith("@"):
            calls |= syscall_group(word)
        elif word and not word.startswith("#"):
            calls.add(word)
    return frozenset(calls)


def allowed_calls() -> set[str]:
    calls: set[str] = set()
    for word in service_values("SystemCallFilter"):
        assert not word.startswith("~"), "the test reads an allow list"
        calls |= syscall_group(word) if word.startswith("@") else {word}
    return calls


@pytest.fixture
def visitor_dir() -> Iterator[Path]:
    """A scratch directory the unprivileged user (nobody) owns: its HOME and profile."""
    directory = Path(tempfile.mkdtemp(prefix="kioskguard-unit-security-"))
    os.chmod(directory, 0o755)
    os.chown(directory, 65534, 65534)
    try:
        yield directory
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def traced_chromium(directory: Path) -> str:
    """Given nobody's directory, run Chromium there as the service would (no --no-sandbox),
    traced, until a page rendered; return the trace."""
    assert CHROMIUM.is_file(), "Debian's chromium is not installed"
    trace = directory / "trace"
    profile = directory / "profile"
    page = directory / "page.html"
    page.write_text("<title>hardening</title><script>document.title='ran'</script>")
    os.chown(page, 65534, 65534)
    command = [
        shutil.which("setpriv") or "setpriv", "--reuid=65534", "--regid=65534",
        "--clear-groups", "--no-new-privs", "--bounding-set=-all", "--inh-caps=-all", "--",
        "env", f"HOME={directory}",
        shutil.which("strace") or "strace", "-f", "-qq", "-o", str(trace), "-s", "0",
        str(CHROMIUM), "--headless", f"--user-data-dir={profile}", "--dump-dom", page.as_uri(),
    ]  # fmt: skip
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        start_new_session=True,
    )  # fmt: skip
    try:
        stdout, stderr = process.communicate(timeout=150)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate(timeout=30)
        pytest.fail("traced Chromium did not print the page within 150 s")
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=30)
    completed = subprocess.CompletedProcess(command, process.returncode, stdout, stderr)
    assert completed.returncode == 0, completed.stderr[-3000:]
    assert "<title>ran</title>" in completed.stdout, "the page's script did not run"
    assert "No usable sandbox" not in completed.stderr
    return trace.read_text(errors="replace")


def test_chromium_runs_sandboxed_within_the_units_restrictions(visitor_dir: Path) -> None:
    trace = traced_chromium(visitor_dir)
    used = {match.group(1) for match in map(CALL.match, trace.splitlines()) if match}
    assert "chroot" in used or "unshare" in used or "clone" in used
    outside = sorted(used - allowed_calls() - {"exit", "exit_group"})
    assert outside == [], f"Chromium called what SystemCallFilter= refuses: {outside}"
    families = set(re.findall(r"\bsocket(?:pair)?\((AF_\w+)", trace))
    assert families <= set(service_values("RestrictAddressFamilies")), families
    namespaces = {
        NAMESPACE_FLAGS[flag]
        for call in re.findall(r"\b(?:clone3?|unshare)\([^\n]*", trace)
        for flag in re.findall(r"CLONE_NEW\w+", call)
    }
    assert "user" in namespaces, "Chromium's namespace sandbox did not run"
    assert namespaces <= set(service_values("RestrictNamespaces")), namespaces


PLAYWRIGHT_LAUNCH = """
import sys
from playwright.sync_api import sync_playwright

with sync_playwright() as playwright:
    context = playwright.chromium.launch_persistent_context(
        sys.argv[1], executable_path=sys.argv[2], headless=True, args=["--no-sandbox"]
    )
    page = context.new_page()
    page.set_content("<title>cold</title>")
    print(page.title())
    context.close()
"""


def test_the_cold_relaunch_path_stays_within_the_units_restrictions(tmp_path: Path) -> None:
    """The daemon's own side: Python, Playwright's Node driver and the Chromium it starts for a
    cold logout (as root here, hence without Chromium's sandbox: the test above covers it)."""
    trace = tmp_path / "trace"
    command = [
        shutil.which("strace") or "strace", "-f", "-qq", "-o", str(trace), "-s", "0",
        sys.executable, "-c", PLAYWRIGHT_LAUNCH, str(tmp_path / "profile"), str(CHROMIUM),
    ]  # fmt: skip
    completed = subprocess.run(command, capture_output=True, text=True, timeout=180, check=False)
    assert completed.returncode == 0 and completed.stdout.strip() == "cold", completed.stderr
    text = trace.read_text(errors="replace")
    used = {match.group(1) for match in map(CALL.match, text.splitlines()) if match}
    outside = sorted(used - allowed_calls() - {"exit", "exit_group"})
    assert outside == [], f"the relaunch path called what SystemCallFilter= refuses: {outside}"
    families = set(re.findall(r"\bsocket(?:pair)?\((AF_\w+)", text))
    assert families <= set(service_values("RestrictAddressFamilies")), families

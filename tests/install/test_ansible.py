"""deploy/ansible: the sample playbook passes --syntax-check, and the role runs for real on this
machine (--connection local) into a scratch prefix, twice: the second run changes nothing.

The container has no running systemd, so the run sets kioskguard_manage_service=false (the role
then calls `kioskguard install --files-only`); everything else (wheel and constraints copied, the
virtual environment, the pip install, the templated configuration checked by check-config, the
unit written by kioskguard install) runs for real.
"""

from __future__ import annotations

import getpass
import json
import os
import re
import subprocess
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.install.conftest import ROOT, Dist, require_tool

pytestmark = pytest.mark.timeout(1200)
ANSIBLE = ROOT / "deploy" / "ansible"
RECAP = re.compile(r"^localhost\s+:\s+ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)")

PLAYBOOK = """\
- name: kioskguard on this machine, into a scratch prefix
  hosts: localhost
  connection: local
  gather_facts: false
  roles:
    - role: kioskguard
"""


def ansible_environment(tmp_path: Path) -> dict[str, str]:
    return {
        **{key: value for key, value in os.environ.items() if not key.startswith("KIOSKGUARD_")},
        "ANSIBLE_HOME": str(tmp_path / "ansible-home"),
        "ANSIBLE_LOCAL_TEMP": str(tmp_path / "ansible-tmp"),
        "ANSIBLE_ROLES_PATH": str(ANSIBLE / "roles"),
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_RETRY_FILES_ENABLED": "0",
        "ANSIBLE_PYTHON_INTERPRETER": sys.executable,
    }


def test_sample_playbook_passes_syntax_check(tmp_path: Path) -> None:
    completed = subprocess.run(
        [
            require_tool("ansible-playbook"),
            "--syntax-check",
            "-i",
            "inventory.example.ini",
            "site.yml",
        ],
        cwd=ANSIBLE,
        capture_output=True,
        text=True,
        timeout=300,
        env=ansible_environment(tmp_path),
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert "playbook: site.yml" in completed.stdout


def ansible_playbook(
    tmp_path: Path, *arguments: str, path: str | None = None, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    """Run ansible-playbook with the arguments in tmp_path, with its files kept there."""
    return subprocess.run(
        [require_tool("ansible-playbook"), *arguments],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**ansible_environment(tmp_path), **({"PATH": path} if path else {})},
    )


def run_role(
    tmp_path: Path, variables: dict[str, object], path: str | None = None, check: bool = False
) -> tuple[subprocess.CompletedProcess[str], tuple[int, ...]]:
    playbook = tmp_path / "local.yml"
    playbook.write_text(PLAYBOOK)
    extra = tmp_path / "vars.json"
    extra.write_text(json.dumps(variables))
    completed = ansible_playbook(
        tmp_path,
        "-i",
        "localhost,",
        str(playbook),
        "-e",
        f"@{extra}",
        *(["--check"] if check else []),
        path=path,
        timeout=900,
    )
    recap = [RECAP.match(line) for line in completed.stdout.splitlines()]
    found = [match for match in recap if match]
    assert completed.returncode == 0 and found, completed.stdout[-5000:] + completed.stderr[-3000:]
    return completed, tuple(int(value) for value in found[-1].groups())


TASK_HEADING = re.compile(r"^TASK \[(?:[\w.-]+ : )?(.*)\] \*+$")
PIP_TASK = "Install the wheel into the virtual environment, versions from the constraints file"


def changed_tasks(stdout: str) -> list[str]:
    """Given ansible-playbook's output, return the names of the tasks that reported changed."""
    names, task = [], ""
    for line in stdout.splitlines():
        if heading := TASK_HEADING.match(line):
            task = heading.group(1)
        elif line.startswith("changed:") and task not in names:
            names.append(task)
    return names


@dataclass(frozen=True)
class Scratch:
    base: Path  # playbook, variables, Ansible's own files
    prefix: Path  # everything the role installs
    variables: dict[str, object]


@pytest.fixture(scope="module")
def scratch(dist: Dist, tmp_path_factory: pytest.TempPathFactory) -> Scratch:
    """A scratch prefix and the role's variables for it (user mode, no become)."""
    base = tmp_path_factory.mktemp("ansible")
    prefix = base / "prefix"
    variables: dict[str, object] = {
        "kioskguard_wheel": str(dist.wheel),
        "kioskguard_constraints": str(ROOT / "constraints.txt"),
        "kioskguard_mode": "user",
        "kioskguard_user": getpass.getuser(),
        "kioskguard_home": str(prefix / "home"),
        "kioskguard_become": False,
        "kioskguard_manage_service": False,
        # The packages are checked for real (this machine has them); the package lists are left
        # as the machine's bootstrap made them (no download on a shared machine).
        "kioskguard_apt_update_cache": False,
        "kioskguard_python": sys.executable,
        "kioskguard_state_dir": str(prefix / "state"),
        "kioskguard_timezone": "Europe/Berlin",
        "kioskguard_idle_timeout_s": 240,
        "kioskguard_closing_times": [
            {"days": "mon-sat", "time": "20:00"},
            {"days": "sun", "time": "17:00"},
        ],
        "kioskguard_profiles": [{"name": "front-desk", "user_data_dir": str(prefix / "chromium")}],
    }
    return Scratch(base, prefix, variables)


def test_role_applies_into_a_scratch_prefix_and_a_second_run_changes_nothing(
    scratch: Scratch,
) -> None:
    tmp_path, prefix, variables = scratch.base, scratch.prefix, scratch.variables
    dry, (_ok, changed, unreachable, failed) = run_role(tmp_path, variables, check=True)
    assert (unreachable, failed) == (0, 0) and changed >= 3, dry.stdout[-3000:]
    assert not (prefix / "home").exists()  # --check wrote nothing
    assert "Install the browser and the libraries a kiosk needs" in dry.stdout
    first, (_ok, changed, unreachable, failed) = run_role(tmp_path, variables)
    assert (unreachable, failed) == (0, 0) and changed >= 4, first.stdout[-3000:]

    venv = prefix / "home/.local/share/kioskguard/venv"
    config = prefix / "home/.config/kioskguard/kioskguard.toml"
    unit = prefix / "home/.config/systemd/user/kioskguard.service"
    settings = tomllib.loads(config.read_text())
    assert settings["idle"]["timeout_s"] == 240
    assert settings["closing_time"]["times"] == [
        {"days": "mon-sat", "time": "20:00"},
        {"days": "sun", "time": "17:00"},
    ]
    assert settings["profiles"] == [
        {"name": "front-desk", "user_data_dir": str(prefix / "chromium")}
    ]
    assert f"ExecStart={venv}/bin/kioskguard run --config {config}\n" in unit.read_text()
    pinned = re.search(r"^pydantic==(\S+)", (ROOT / "constraints.txt").read_text(), re.MULTILINE)
    assert pinned is not None
    installed = subprocess.run(
        [str(venv / "bin/python"), "-c", "import pydantic; print(pydantic.VERSION)"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
    )
    assert installed.stdout.strip() == pinned.group(1)

    second, (_ok, changed, unreachable, failed) = run_role(tmp_path, variables)
    assert (changed, unreachable, failed) == (0, 0, 0), second.stdout[-3000:]
    checked, (_ok, changed, unreachable, failed) = run_role(tmp_path, variables, check=True)
    # in --check, pip cannot tell that a wheel given as a file is installed: it alone says changed
    assert (unreachable, failed) == (0, 0), checked.stdout[-3000:]
    assert changed_tasks(checked.stdout) == [PIP_TASK], checked.stdout[-3000:]


# A stand-in for systemctl on PATH (this container has no running systemd): it logs its
# arguments and the runtime directory it was given, and says the unit is not enabled yet.
FAKE_SYSTEMCTL = """#!/bin/sh
echo "$* XDG_RUNTIME_DIR=$XDG_RUNTIME_DIR" >> "{log}"
case "$2" in is-enabled|is-active) exit 1;; esac
exit 0
"""


def test_role_with_service_management_enables_the_user_unit_in_the_users_manager(
    scratch: Scratch,
) -> None:
    bin_dir = scratch.base / "bin"
    bin_dir.mkdir()
    log = scratch.base / "systemctl.log"
    (bin_dir / "systemctl").write_text(FAKE_SYSTEMCTL.format(log=log))
    (bin_dir / "systemctl").chmod(0o755)
    variables = {**scratch.variables, "kioskguard_manage_service": True}
    path = f"{bin_dir}:{os.environ['PATH']}"
    completed, (_ok, changed, _unreachable, failed) = run_role(scratch.base, variables, path)
    assert failed == 0 and changed >= 1, completed.stdout[-3000:]
    runtime = f"XDG_RUNTIME_DIR=/run/user/{os.getuid()}"
    calls = log.read_text().splitlines()
    # daemon-reload comes first only when the unit was new (this test run alone).
    assert calls[-3:] == [
        f"--user is-enabled --quiet kioskguard.service {runtime}",
        f"--user is-active --quiet kioskguard.service {runtime}",
        f"--user enable --now kioskguard.service {runtime}",
    ]
    assert calls[:-3] in ([], [f"--user daemon-reload {runtime}"])


FLEET_PLAYBOOK = """\
- name: render the role's configuration template with the fleet link on
  hosts: all
  connection: local
  gather_facts: false
  vars_files:
    - {defaults}
    - {vault}
  tasks:
    - name: the role's template
      ansible.builtin.template:
        src: {template}
        dest: {out}/kioskguard.toml
        mode: "0644"
    - name: the password the role writes to kioskguard_fleet_password_file
      ansible.builtin.copy:
        content: "{{{{ kioskguard_fleet_password }}}}"
        dest: {out}/password
        mode: "0600"
"""


def test_fleet_section_is_templated_and_the_password_comes_from_the_vault(tmp_path: Path) -> None:
    secret = "s3cret-from-the-vault"
    vault = tmp_path / "vault.yml"
    vault.write_text(
        f"vault_kioskguard_fleet_password: {secret}\n"
        "kioskguard_fleet_enabled: true\n"
        "kioskguard_fleet_broker_host: mqtt.test.invalid\n"
        "kioskguard_fleet_site: library-a\n"
        "kioskguard_fleet_ca_pem: 'PEM'\n"
        "kioskguard_config_file: /etc/kioskguard/kioskguard.toml\n"
    )
    password_file = tmp_path / "vault-password"
    password_file.write_text("test-vault-key\n")
    environment = ansible_environment(tmp_path)
    encrypted = subprocess.run(
        [
            require_tool("ansible-vault"),
            "encrypt",
            "--vault-password-file",
            str(password_file),
            str(vault),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        env=environment,
    )
    assert encrypted.returncode == 0, encrypted.stderr
    assert vault.read_text().startswith("$ANSIBLE_VAULT;") and secret not in vault.read_text()
    out = tmp_path / "out"
    out.mkdir()
    playbook = tmp_path / "fleet.yml"
    playbook.write_text(
        FLEET_PLAYBOOK.format(
            defaults=ANSIBLE / "roles/kioskguard/defaults/main.yml",
            vault=vault,
            template=ANSIBLE / "roles/kioskguard/templates/kioskguard.toml.j2",
            out=out,
        )
    )
    completed = subprocess.run(
        [
            require_tool("ansible-playbook"),
            "-i",
            "kiosk-07,",
            str(playbook),
            "--vault-password-file",
            str(password_file),
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        env=environment,
    )
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-2000:]
    rendered = (out / "kioskguard.toml").read_text()
    assert secret not in rendered
    assert tomllib.loads(rendered)["fleet"] == {
        "enabled": True,
        "broker": "mqtt.test.invalid:8883",
        "site": "library-a",
        "host": "kiosk-07",
        "username": "kiosk-07",
        "password_file": "/etc/kioskguard/mqtt-password",
        "ca_file": "/etc/kioskguard/fleet-ca.pem",
    }
    assert (out / "password").read_text() == secret


FILES_PLAYBOOK = """\
- name: the role's fleet files, {mode} mode
  hosts: localhost
  connection: local
  gather_facts: false
  tasks:
    - name: the role's fleet_files tasks
      ansible.builtin.include_role:
        name: kioskguard
        tasks_from: fleet_files.yml
"""


@pytest.mark.parametrize(
    ("mode", "owner", "group", "permissions"),
    [("system", "root", "nogroup", 0o640), ("user", "nobody", None, 0o600)],
)
def test_fleet_password_file_is_readable_by_the_service_account_only(
    tmp_path: Path, mode: str, owner: str, group: str | None, permissions: int
) -> None:
    # system: root-owned, readable by the service's group (nogroup stands in for kioskguard);
    # user: owned by the kiosk user the unit runs as (nobody stands in for it).
    import grp
    import pwd

    playbook = tmp_path / "files.yml"
    playbook.write_text(FILES_PLAYBOOK.format(mode=mode))
    password_file = tmp_path / "etc" / "mqtt-password"
    password_file.parent.mkdir()
    extra = tmp_path / "vars.json"
    extra.write_text(
        json.dumps(
            {
                "kioskguard_mode": mode,
                "kioskguard_user": "nobody",
                "kioskguard_service_group": "nogroup",
                "kioskguard_fleet_password": "s3cret",
                "kioskguard_fleet_password_file": str(password_file),
            }
        )
    )
    completed = ansible_playbook(tmp_path, "-i", "localhost,", str(playbook), "-e", f"@{extra}")
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-2000:]
    status = password_file.stat()
    assert pwd.getpwuid(status.st_uid).pw_name == owner
    if group is not None:
        assert grp.getgrgid(status.st_gid).gr_name == group
    assert status.st_mode & 0o777 == permissions
    assert password_file.read_text() == "s3cret\n"


VARS_PLAYBOOK = """\
- name: the role's derived paths
  hosts: localhost
  connection: local
  gather_facts: false
  vars_files:
    - {defaults}
  tasks:
    - name: print them
      ansible.builtin.debug:
        msg: "PATHS {{{{ kioskguard_venv }}}} {{{{ kioskguard_config_file }}}}"
"""


def test_system_mode_installs_where_the_system_unit_and_the_docs_say(tmp_path: Path) -> None:
    playbook = tmp_path / "vars.yml"
    playbook.write_text(
        VARS_PLAYBOOK.format(defaults=ANSIBLE / "roles/kioskguard/defaults/main.yml")
    )
    completed = ansible_playbook(
        tmp_path, "-i", "localhost,", str(playbook), "-e", "kioskguard_mode=system"
    )
    assert completed.returncode == 0, completed.stdout[-3000:]
    (line,) = [line for line in completed.stdout.splitlines() if "PATHS " in line]
    venv, config = line.split("PATHS ", 1)[1].rstrip('"').split()
    unit = (ROOT / "config/systemd/kioskguard-system.service").read_text()
    assert f"ExecStart={venv}/bin/kioskguard run --config {config}\n" in unit
    assert f"{venv}/bin/kioskguard" in (ROOT / "docs/install-linux.md").read_text()

"""Install and uninstall the service: plan the files, write what differs, tell the manager.

A plan is computed first (every file with its new content, compared with what is on disk);
``--dry-run`` prints it, otherwise the files that differ are written and systemctl or schtasks
is asked only for what is missing, so a second run reports nothing changed.
"""

from __future__ import annotations

import argparse
import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path, PureWindowsPath
from typing import Any, Literal

from agent.daemon import check_config
from agent.daemon.print_config import render_example
from agent.errors import PlatformUnavailable
from agent.install import shipped
from agent.install.browser_policy import DEFAULT_PROFILE, KioskPolicy, reg_bytes
from agent.install.files import PlannedFile, planned_file, remove_file, write_file
from agent.install.guarded import (
    ACCOUNT,
    SECRET_MODE,
    UNIT_ARGUMENTS,
    guarded_files,
    guarded_paths,
    guarded_problem,
    ownership_commands,
    password_file,
)
from agent.install.render import render_task, render_unit
from agent.install.runner import CommandRunner, InstallError
from agent.install.targets import (
    SERVICE_NAME,
    TASK_NAME,
    Installation,
    Mode,
    Target,
    locate,
    windows_account,
    windows_machine_wide_problem,
)
from agent.install.visitor_entry import (
    DESKTOP_ID,
    entry_paths,
    guarded_profile,
    mimeapps_path,
    snippet_path,
    visitor_files,
    with_default_browser,
)
from agent.install.windows_service import (
    SERVICE,
    ServicePlan,
    registration_commands,
    removal_commands,
    service_plan,
    service_script,
)

Say = Callable[[str], None]
EXAMPLE_WHAT = "the commented example configuration, to edit"


@dataclass
class Report:
    """What a run did (or, dry, would do)."""

    changes: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Options:
    mode: Mode
    config: Path | None
    dry_run: bool
    files_only: bool
    policy: KioskPolicy = field(default_factory=KioskPolicy)  # Windows --system only
    service: bool = False  # Windows --system: the service plan instead of the logon task
    guarded: bool = False  # Linux --system: the guarded desktop mode (docs/install-linux.md, 6)


def _manager(mode: Mode) -> list[str]:
    return ["systemctl", "--user"] if mode == "user" else ["systemctl"]


def _validate(path: Path, say: Say) -> bool:
    """Given a configuration file, run check-config's checks on it; return True when valid."""
    say(f"checking {path}")
    return check_config.run(argparse.Namespace(file=path)) == 0


def service_script_path(target: Target) -> Path:
    """Given a Windows --system target, return where the service plan's .cmd file goes."""
    return target.service_file.parent / "kioskguard-service.cmd"


def policy_file(target: Target) -> Path:
    """Given a Windows target, return where the browser policies' .reg file goes."""
    return target.service_file.parent / "kioskguard-browser-policies.reg"


def _windows_policy(config: bytes, chosen: KioskPolicy) -> KioskPolicy:
    """Given the configuration and the admin's choices, return the policy with UserDataDir
    naming the configured managed profile (browser.user_data_dir), else the per-user default."""
    profile = guarded_profile(config)[0] if config else None
    configured = str(profile).replace("/", "\\") if profile is not None else DEFAULT_PROFILE
    return KioskPolicy(configured, chosen.private_mode, chosen.guest_mode)


def _service_plan(installation: Installation, target: Target, config: bytes) -> ServicePlan:
    """Given a Windows --system target and its configuration, return the service's plan."""
    return service_plan(
        PureWindowsPath(installation.executable.with_name("python.exe")),
        PureWindowsPath(target.config_file),
        config,
    )


def _windows_files(
    installation: Installation,
    target: Target,
    config: bytes,
    policy: KioskPolicy | None,
    service: bool,
) -> list[PlannedFile]:
    """Given a Windows target and the configuration, return the logon task (or, with
    --service, the service plan) and, machine-wide, the browser policies' .reg file."""
    if service:
        plan = _service_plan(installation, target, config)
        files = [planned_file(service_script_path(target), service_script(plan), "service plan")]
    else:
        workdir = (
            r"%LOCALAPPDATA%\kioskguard"
            if target.mode == "user"
            else str(target.service_file.parent)
        )
        content = render_task(
            shipped.shipped_text(shipped.WINDOWS_TASK),
            shipped.WINDOWS_TASK,
            installation.executable,
            target.config_argument,
            workdir,
            windows_account(installation) if target.mode == "user" else None,
        )
        files = [planned_file(target.service_file, content, "scheduled task definition")]
    if target.mode == "system":
        chosen = _windows_policy(config, policy or KioskPolicy())
        files.append(
            planned_file(policy_file(target), reg_bytes(chosen), "browser policies (.reg)")
        )
    return files


def _linux_files(
    installation: Installation, target: Target, config: bytes, guarded: bool
) -> list[PlannedFile]:
    """Given a Linux target and the configuration, return the unit (the guarded mode's with
    its open socket, or the user or system unit) and the files that lead visitors to it."""
    arguments: tuple[str, ...] = UNIT_ARGUMENTS if guarded else ()
    if guarded:
        source = shipped.GUARDED_UNIT
    else:
        source = shipped.USER_UNIT if target.mode == "user" else shipped.SYSTEM_UNIT
    unit = render_unit(
        shipped.shipped_text(source),
        source,
        installation.executable,
        target.config_argument,
        hashlib.sha256(config).hexdigest(),
        shipped.documentation(shipped.LINUX_GUIDE),
        arguments,
    )
    files = [planned_file(target.service_file, unit.encode(), "systemd unit")]
    if guarded:
        return [*files, *guarded_files(installation)]
    return [*files, *visitor_files(installation, target, config)]


def plan_files(
    installation: Installation,
    target: Target,
    config: Path | None,
    policy: KioskPolicy | None = None,
    service: bool = False,
    guarded: bool = False,
) -> list[PlannedFile]:
    """Given where things go and the configuration to ship, return the files to put there.

    No configuration given and none in place: the commented example (print-config) is written
    there. The unit records the configuration's digest, so a changed configuration changes the
    unit and the service is restarted with it. Guarded: the guarded unit, policies, grant and
    launcher and the logind drop-in (the shutdown logout's time), no wrapper snippet, and a new
    configuration written 0640.
    """
    files: list[PlannedFile] = []
    new_config: tuple[bytes, str] | None = None
    if not target.config_file.exists():
        new_config = (
            (config.read_bytes(), f"configuration from {config}")
            if config is not None
            else (render_example().encode(), EXAMPLE_WHAT)
        )
    config_bytes = new_config[0] if new_config else target.config_file.read_bytes()
    if installation.platform == "windows":
        files.extend(_windows_files(installation, target, config_bytes, policy, service))
    else:
        files.extend(_linux_files(installation, target, config_bytes, guarded))
    if target.drop_in is not None:
        text = shipped.shipped_text(shipped.LOGIND_DROP_IN)
        files.append(planned_file(target.drop_in, text.encode(), "logind drop-in"))
    if new_config is not None:
        mode = SECRET_MODE if guarded else 0o644
        files.append(planned_file(target.config_file, *new_config, mode))
    return files


def _run(runner: CommandRunner, argv: list[str], report: Report, say: Say) -> None:
    completed = runner(argv)
    if completed.returncode != 0:
        detail = (completed.stderr or completed.stdout).strip() or f"exit {completed.returncode}"
        raise InstallError(
            f"{' '.join(argv)} failed: {detail} (--files-only writes the files without"
            " registering the service)"
        )
    say(f"ran: {' '.join(argv)}")
    report.changes.append(" ".join(argv))


def service_user(unit: str) -> str | None:
    """Given a unit's text, return the account its User= names (None: root or DynamicUser)."""
    users = [
        line.partition("=")[2].strip() for line in unit.splitlines() if line.startswith("User=")
    ]
    return users[-1] if users else None


def _ensure_service_user(
    user: str, runner: CommandRunner, report: Report, say: Say, dry_run: bool
) -> None:
    """Create the system account the system unit runs as, unless it exists."""
    create = [
        "useradd", "--system", "--user-group", "--no-create-home",
        "--home-dir", "/var/lib/kioskguard", "--shell", "/usr/sbin/nologin", user,
    ]  # fmt: skip
    if dry_run:
        say(f"would run: {' '.join(create)} (if the account {user} does not exist)")
    elif runner(["getent", "passwd", user]).returncode != 0:
        _run(runner, create, report, say)


def _register_linux(
    target: Target,
    files_changed: list[PlannedFile],
    runner: CommandRunner,
    report: Report,
    say: Say,
    dry_run: bool,
) -> None:
    manager = _manager(target.mode)
    unit_changed = any(planned.path == target.service_file for planned in files_changed)
    commands: list[list[str]] = []
    if unit_changed:
        commands.append([*manager, "daemon-reload"])
    if dry_run:
        for command in commands:
            say(f"would run: {' '.join(command)}")
        enable = f"{' '.join(manager)} enable --now {SERVICE_NAME}"
        say(f"would run: {enable} (unless it is enabled and running; then restart if changed)")
        return
    for command in commands:
        _run(runner, command, report, say)
    enabled = runner([*manager, "is-enabled", "--quiet", SERVICE_NAME]).returncode == 0
    active = runner([*manager, "is-active", "--quiet", SERVICE_NAME]).returncode == 0
    if not (enabled and active):
        _run(runner, [*manager, "enable", "--now", SERVICE_NAME], report, say)
    elif files_changed:
        _run(runner, [*manager, "restart", SERVICE_NAME], report, say)


def _register_windows(
    target: Target,
    files_changed: list[PlannedFile],
    runner: CommandRunner,
    report: Report,
    say: Say,
    dry_run: bool,
) -> None:
    create = ["schtasks", "/Create", "/TN", TASK_NAME, "/XML", str(target.service_file), "/F"]
    if dry_run:
        say(f"would run: {' '.join(create)} (if the task is missing or its definition changed)")
        return
    exists = runner(["schtasks", "/Query", "/TN", TASK_NAME]).returncode == 0
    if not exists or any(planned.path == target.service_file for planned in files_changed):
        _run(runner, create, report, say)
    report.notes.append(f"the task starts at the next logon (now: schtasks /Run /TN {TASK_NAME})")


def _write_mimeapps(target: Target, report: Report, say: Say, why: str) -> None:
    path = mimeapps_path(target)
    try:
        existing = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        existing = ""
    except (OSError, UnicodeDecodeError) as exc:
        raise InstallError(f"cannot read {path}: {exc}") from exc
    planned = planned_file(path, with_default_browser(existing).encode(), "default applications")
    if planned.state == "unchanged":
        say(f"unchanged: {path} ({DESKTOP_ID} is the default browser)")
        return
    write_file(planned)
    say(f"wrote {path} ({DESKTOP_ID} the default browser; {why})")
    report.changes.append(str(path))


def _default_browser(
    target: Target, runner: CommandRunner, report: Report, say: Say, options: Options
) -> None:
    """Make the launcher the default web browser: with xdg-settings when it is there and works,
    else (and with --files-only) by writing mimeapps.list's [Default Applications]."""
    setting = ["xdg-settings", "set", "default-web-browser", DESKTOP_ID]
    if options.dry_run:
        say(f"would run: {' '.join(setting)} (else write {mimeapps_path(target)})")
        return
    if options.files_only:
        _write_mimeapps(target, report, say, "--files-only runs no xdg-settings")
        return
    try:
        current = runner(["xdg-settings", "get", "default-web-browser"])
    except InstallError:
        _write_mimeapps(target, report, say, "xdg-settings is not installed")
        return
    if current.returncode == 0 and current.stdout.strip() == DESKTOP_ID:
        say(f"unchanged: {DESKTOP_ID} is the default browser (xdg-settings)")
        return
    completed = runner(setting)
    if completed.returncode != 0:
        detail = (completed.stderr or completed.stdout).strip() or f"exit {completed.returncode}"
        _write_mimeapps(target, report, say, f"xdg-settings failed: {detail}")
        return
    say(f"ran: {' '.join(setting)}")
    report.changes.append(" ".join(setting))


def _import_policies(
    target: Target, runner: CommandRunner, report: Report, say: Say, options: Options
) -> None:
    """Import the browser policies' .reg file (reg import), unless --files-only or dry."""
    command = ["reg", "import", str(policy_file(target))]
    if options.dry_run:
        say(f"would run: {' '.join(command)}")
    elif options.files_only:
        report.notes.append(f"--files-only: import {policy_file(target)} with reg import later")
    else:
        _run(runner, command, report, say)
    report.notes.append(
        "the browser policies apply when Chrome or Edge next starts; check them at"
        " chrome://policy or edge://policy"
    )


ConfigurationState = Literal["invalid", "example", "checked"]


def _check_configurations(target: Target, options: Options, say: Say) -> ConfigurationState:
    """Given the target and --config, check the configuration given and the one in place.

    Return "invalid" if either breaks check-config, "example" if neither exists (the commented
    example will be installed), else "checked" (a file in place that differs is not overwritten).
    """
    if options.config is not None and not _validate(options.config, say):
        return "invalid"
    if not target.config_file.exists():
        return "example" if options.config is None else "checked"
    same = options.config is not None and (
        target.config_file.read_bytes() == options.config.read_bytes()
    )
    if not same and not _validate(target.config_file, say):
        return "invalid"
    if options.config is not None and not same:
        say(
            f"kept {target.config_file}: it exists and differs from {options.config}"
            " (not overwritten)"
        )
    return "checked"


def _write_planned(files: list[PlannedFile], dry_run: bool, report: Report, say: Say) -> None:
    """Write the planned files that differ from the disk (dry: print each with its content)."""
    for planned in files:
        if dry_run:
            say(f"would write {planned.path} ({planned.what}, {planned.state}):")
            text = planned.content.decode(
                "utf-16" if planned.content[:2] in (b"\xff\xfe", b"\xfe\xff") else "utf-8"
            )
            say("".join(f"    {line}\n" for line in text.splitlines()).rstrip("\n"))
        elif planned.state == "unchanged":
            say(f"unchanged: {planned.path}")
        else:
            write_file(planned)
            say(f"wrote {planned.path} ({planned.what}, {planned.state})")
            report.changes.append(str(planned.path))


def _tell_manager(
    installation: Installation,
    target: Target,
    files: list[PlannedFile],
    changed: list[PlannedFile],
    runner: CommandRunner,
    report: Report,
    say: Say,
    options: Options,
    advapi32: Any = None,
) -> None:
    """Register the service with systemd, the Task Scheduler or (--service) the Service
    Control Manager (not with --files-only)."""
    if options.service:
        _register_service(installation, target, changed, (runner, advapi32), report, say, options)
    elif options.files_only:
        report.notes.append("--files-only: the service manager was not told; register it later")
    elif installation.platform == "windows":
        _register_windows(target, changed, runner, report, say, options.dry_run)
    else:
        user = service_user(files[0].content.decode()) if options.mode == "system" else None
        if user is not None and not options.guarded:  # guarded: made before the chown
            _ensure_service_user(user, runner, report, say, options.dry_run)
        _register_linux(target, changed, runner, report, say, options.dry_run)


def _closing_notes(
    installation: Installation,
    target: Target,
    changed: list[PlannedFile],
    report: Report,
    options: Options,
    configuration: ConfigurationState,
) -> None:
    """Add the notes on what the admin still has to do (logind drop-in, the example)."""
    if installation.platform == "linux" and options.mode == "user":
        report.notes.append(
            "the logind drop-in (more time to log out at shutdown) needs root:"
            " kioskguard install --system writes it, or see docs/install-linux.md"
        )
    if options.guarded:
        report.notes.append(
            'guarded mode: the configuration needs idle.source = "x11" and a fixed'
            " browser.debugging_port, and the unit's kioskguard account must be able to run"
            f" {installation.executable} (e.g. a venv in /opt/kioskguard): docs/install-linux.md,"
            " section 6"
        )
    if configuration == "example":
        report.notes.append(
            f"no configuration was given: {target.config_file} is the commented example; every"
            " value in it is an example. Edit it (the profiles to guard, closing_time, idle,"
            f" fleet), check it with `kioskguard check-config {target.config_file}`, then run"
            " `kioskguard install` again to restart the service with it"
        )
    if target.drop_in is not None and any(planned.path == target.drop_in for planned in changed):
        report.notes.append(
            "logind reads the drop-in at the next boot (or systemctl reload systemd-logind)"
        )


def _refuse_unusable(installation: Installation, options: Options) -> None:
    """Raise InstallError if this installation cannot serve the mode asked for: a machine-wide
    Windows install inside one user's profile, or --service anywhere but Windows --system."""
    windows_system = installation.platform == "windows" and options.mode == "system"
    if windows_system:
        problem = windows_machine_wide_problem(installation)
        if problem is not None:
            raise InstallError(problem)
    problem = guarded_problem(installation, options.mode, options.dry_run)
    if options.guarded and problem is not None:
        raise InstallError(problem)
    if options.service and not windows_system:
        raise InstallError("--service is for Windows with --system (Linux: the system unit)")


def _register_service(
    installation: Installation,
    target: Target,
    changed: list[PlannedFile],
    seams: tuple[CommandRunner, Any],
    report: Report,
    say: Say,
    options: Options,
) -> None:
    """Run the service plan (sc.exe config instead of create if the service exists, nothing if
    it exists and the plan is unchanged), set its preshutdown timeout through advapi32 (the
    DLL if None) and start it when new. Raise InstallError if a step fails."""
    runner, advapi32 = seams
    script = service_script_path(target)
    if options.dry_run:
        say(
            f"would run the commands of {script} (sc.exe config instead of create if the service"
            f" exists), set the preshutdown timeout and run sc.exe start {SERVICE} if it is new"
        )
        return
    if options.files_only:
        report.notes.append(f"--files-only: the service is not registered; review and run {script}")
        return
    exists = runner(["sc.exe", "query", SERVICE]).returncode == 0
    if exists and all(planned.path != script for planned in changed):
        say(f"unchanged: the service {SERVICE}")
        return
    config = target.config_file.read_bytes()
    plan = _service_plan(installation, target, config)
    for folder in (target.config_file.parent / "state", Path(str(guarded_profile(config)[0]))):
        folder.mkdir(parents=True, exist_ok=True)  # icacls needs them
    for command in registration_commands(plan, exists):
        _run(runner, command, report, say)
    _set_preshutdown(plan, advapi32, report, say)
    if exists:
        report.notes.append(
            f"the service {SERVICE} was reconfigured: it runs the new plan after"
            f" sc.exe stop {SERVICE} and sc.exe start {SERVICE}"
        )
    else:
        _run(runner, ["sc.exe", "start", SERVICE], report, say)


def _set_preshutdown(plan: ServicePlan, advapi32: Any, report: Report, say: Say) -> None:
    """Given the plan, set the service's preshutdown timeout (sc.exe cannot). Raise
    InstallError if advapi32 is missing or refuses."""
    from agent.platform.windows_service import native_advapi32, set_preshutdown_timeout

    try:
        set_preshutdown_timeout(SERVICE, plan.preshutdown_ms, advapi32 or native_advapi32())
    except (OSError, PlatformUnavailable) as exc:
        raise InstallError(f"the service's preshutdown timeout could not be set: {exc}") from exc
    say(f"set: preshutdown timeout {plan.preshutdown_ms} ms")
    report.changes.append(f"preshutdown timeout {plan.preshutdown_ms} ms")


def _secure_guarded(
    target: Target, runner: CommandRunner, report: Report, say: Say, dry_run: bool
) -> None:
    """Create the kioskguard account unless it exists, then make the configuration and the
    fleet password file it names root:kioskguard 0640 (--files-only too: no service manager
    is involved; dry: say so). Raise InstallError if a command fails."""
    _ensure_service_user(ACCOUNT, runner, report, say, dry_run)
    if dry_run:
        say(
            f"would run: chown root:{ACCOUNT} and chmod {SECRET_MODE:04o} {target.config_file}"
            " and the fleet password file it names (unless they already are)"
        )
        return
    password = password_file(target.config_file.read_bytes())
    for path in [target.config_file, *([password] if password else [])]:
        commands = ownership_commands(path)
        if not commands:
            say(f"unchanged: {path} (root:{ACCOUNT} {SECRET_MODE:04o})")
        for command in commands:
            _run(runner, command, report, say)


def install(
    installation: Installation,
    options: Options,
    runner: CommandRunner,
    say: Say,
    advapi32: Any = None,
) -> int:
    """Install the service for ``options.mode``; return 0, or 2 if the configuration is invalid.
    advapi32: what sets the Windows service's preshutdown timeout (None: the DLL).

    Without --config and without a file in place, the commented example is installed and the
    report says what to edit. Raise InstallError if a file cannot be written or the service
    manager refuses.
    """
    _refuse_unusable(installation, options)
    target = locate(installation, options.mode)
    configuration = _check_configurations(target, options, say)
    if configuration == "invalid":
        return 2
    files = plan_files(
        installation, target, options.config, options.policy, options.service, options.guarded
    )
    report = Report()
    changed = [planned for planned in files if planned.state != "unchanged"]
    _write_planned(files, options.dry_run, report, say)
    if options.guarded:
        _secure_guarded(target, runner, report, say, options.dry_run)
    _tell_manager(installation, target, files, changed, runner, report, say, options, advapi32)
    if installation.platform == "linux" and options.mode == "user":
        _default_browser(target, runner, report, say, options)
    if installation.platform == "windows" and options.mode == "system":
        _import_policies(target, runner, report, say, options)
    _closing_notes(installation, target, changed, report, options, configuration)
    return _finish("install", options.dry_run, report, say)


def _uninstall_candidates(
    installation: Installation, target: Target, options: Options
) -> list[Path]:
    """Given where things went, return the files install wrote that are there to remove."""
    candidates: list[Path | None] = [target.service_file, target.drop_in]
    if installation.platform == "linux":
        if options.mode == "user":
            candidates.extend(entry_paths(installation, target))
        else:
            candidates.append(snippet_path(installation))
        if options.guarded:
            candidates.extend(guarded_paths(installation))
    elif options.mode == "system":
        candidates.extend([policy_file(target), service_script_path(target)])
    return [path for path in candidates if path and path.exists()]


def _stop_service(
    installation: Installation,
    target: Target,
    runner: CommandRunner,
    report: Report,
    say: Say,
    options: Options,
) -> None:
    """Delete the scheduled task (or the service), or disable and stop the unit (not with
    --files-only)."""
    if options.service:
        _remove_service(runner, report, say, options)
    elif installation.platform == "windows":
        if options.dry_run:
            say(f"would run: schtasks /Delete /TN {TASK_NAME} /F (if the task exists)")
        elif (
            not options.files_only
            and runner(["schtasks", "/Query", "/TN", TASK_NAME]).returncode == 0
        ):
            _run(runner, ["schtasks", "/Delete", "/TN", TASK_NAME, "/F"], report, say)
    elif target.service_file.exists():
        manager = _manager(options.mode)
        disable = [*manager, "disable", "--now", SERVICE_NAME]
        if options.dry_run:
            say(f"would run: {' '.join(disable)}")
        elif not options.files_only:
            _run(runner, disable, report, say)


def _remove_service(runner: CommandRunner, report: Report, say: Say, options: Options) -> None:
    """Stop and delete the Windows service if it exists (not with --files-only)."""
    stop, delete = removal_commands()
    if options.dry_run:
        say(f"would run: {' '.join(stop)}, {' '.join(delete)} (if the service exists)")
    elif not options.files_only and runner(["sc.exe", "query", SERVICE]).returncode == 0:
        runner(stop)  # a stopped service answers 1062 (not started): deleting it is what counts
        _run(runner, delete, report, say)


def _remove_files(present: list[Path], dry_run: bool, report: Report, say: Say) -> None:
    """Remove the given files (dry: say which would go)."""
    for path in present:
        if dry_run:
            say(f"would remove {path}")
        else:
            remove_file(path)
            say(f"removed {path}")
            report.changes.append(str(path))


def uninstall(installation: Installation, options: Options, runner: CommandRunner, say: Say) -> int:
    """Remove the service for ``options.mode`` (never the configuration or the audit trail).

    Return 0. Raise InstallError if the service manager refuses.
    """
    target = locate(installation, options.mode)
    problem = guarded_problem(installation, options.mode, options.dry_run)
    if options.guarded and problem is not None:
        raise InstallError(problem)
    present = _uninstall_candidates(installation, target, options)
    report = Report()
    _stop_service(installation, target, runner, report, say, options)
    _remove_files(present, options.dry_run, report, say)
    if installation.platform == "linux" and present and not options.files_only:
        reload = [*_manager(options.mode), "daemon-reload"]
        if options.dry_run:
            say(f"would run: {' '.join(reload)}")
        else:
            _run(runner, reload, report, say)
    account = " and the kioskguard account" if options.mode == "system" else ""
    report.notes.append(
        f"kept the configuration ({target.config_file}), the state with the audit trail{account}"
    )
    return _finish("uninstall", options.dry_run, report, say)


def _finish(command: str, dry_run: bool, report: Report, say: Say) -> int:
    for note in report.notes:
        say(f"note: {note}")
    if dry_run:
        say(f"kioskguard {command} --dry-run: nothing was written or run")
    elif report.changes:
        count = len(report.changes)
        say(f"kioskguard {command}: {count} change{'s' if count > 1 else ''}")
    else:
        say(f"kioskguard {command}: nothing changed")
    return 0

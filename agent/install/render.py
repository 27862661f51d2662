"""The shipped service templates, filled in with one installation's paths.

Each template names its program in exactly one place (a unit's single ``ExecStart=`` line, the
task's ``<Command>``/``<Arguments>``/``<WorkingDirectory>``); everything else is kept verbatim.
"""

from __future__ import annotations

import re
from pathlib import Path
from xml.sax.saxutils import escape

from agent.install.runner import InstallError

HEADER = (
    "# Written by `kioskguard install` from {source}; rerun it after upgrading or after changing\n"
    "# the configuration (checked at install: sha256 {digest}).\n"
)


def systemd_quote(word: str) -> str:
    """Given one command-line word, return it quoted for a unit's ExecStart= line.

    ``%`` is a specifier in unit files and is doubled; words with spaces or quotes are quoted.
    """
    escaped = word.replace("%", "%%")
    if re.search(r"[\s\"'\\]", escaped):
        return '"' + escaped.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return escaped


def render_unit(
    template: str,
    source: str,
    executable: Path,
    config: str,
    digest: str,
    documentation: Path,
    arguments: tuple[str, ...] = (),
) -> str:
    """Given a unit template, return it running ``executable run --config config`` (then
    ``arguments``), with the configuration's digest in its header and ``Documentation=``
    naming the installed guide.

    The template's opening comment (how to install it by hand) is left out: it no longer
    applies. Raise InstallError if the template does not have exactly one ExecStart= line and
    one Description= line.
    """
    lines = template.splitlines(keepends=True)
    first_section = next((index for index, line in enumerate(lines) if line.startswith("[")), 0)
    lines = [line for line in lines[first_section:] if not line.startswith("Documentation=")]
    starts = [index for index, line in enumerate(lines) if line.startswith("ExecStart=")]
    if len(starts) != 1:
        raise InstallError(f"{source}: expected one ExecStart= line, found {len(starts)}")
    words = (str(executable), "run", "--config", config, *arguments)
    command = " ".join(systemd_quote(word) for word in words)
    lines[starts[0]] = f"ExecStart={command}\n"
    descriptions = [index for index, line in enumerate(lines) if line.startswith("Description=")]
    if len(descriptions) != 1:
        raise InstallError(f"{source}: expected one Description= line, found {len(descriptions)}")
    uri = documentation.absolute().as_uri().replace("%", "%%")  # % starts a unit specifier
    lines.insert(descriptions[0] + 1, f"Documentation={uri}\n")
    return HEADER.format(source=source, digest=digest) + "".join(lines)


def _replace_element(xml: str, source: str, tag: str, text: str) -> str:
    pattern = re.compile(rf"<{tag}>[^<]*</{tag}>")
    if len(pattern.findall(xml)) != 1:
        raise InstallError(f"{source}: expected one <{tag}> element")
    return pattern.sub(lambda _match: f"<{tag}>{escape(text)}</{tag}>", xml)


def render_task(
    template: str, source: str, pythonw: Path, config: str, workdir: str, user: str | None = None
) -> bytes:
    """Given the task XML template, return it running this installation, encoded as UTF-16.

    With a user (DOMAIN\\name), the task is that user's alone: it starts at their logon and
    runs as them (a per-user install, no elevation); without one, at any user's logon as that
    user (the template's BUILTIN\\Users principal: machine-wide). schtasks /Create /XML reads
    UTF-16 with a byte-order mark reliably (UTF-8 files without one are rejected on some
    Windows versions). Raise InstallError if an element is missing.
    """
    if user is not None:
        template = _for_one_user(template, source, user)
    xml = _replace_element(template, source, "Command", str(pythonw))
    xml = _replace_element(xml, source, "Arguments", f'-m agent run --config "{config}"')
    xml = _replace_element(xml, source, "WorkingDirectory", workdir)
    xml = xml.replace('encoding="UTF-8"', 'encoding="UTF-16"', 1)
    return xml.replace("\r\n", "\n").replace("\n", "\r\n").encode("utf-16")


def _for_one_user(xml: str, source: str, user: str) -> str:
    """Given the task XML, return it started by and run as user only."""
    group = re.compile(r"<GroupId>[^<]*</GroupId>")
    delay = re.compile(r"(<LogonTrigger>.*?)(\s*)(<Delay>)", re.DOTALL)
    if len(group.findall(xml)) != 1 or len(delay.findall(xml)) != 1:
        raise InstallError(f"{source}: expected one <GroupId> and one <LogonTrigger> with <Delay>")
    account = escape(user)
    xml = group.sub(
        lambda _match: f"<UserId>{account}</UserId>\n      <LogonType>InteractiveToken</LogonType>",
        xml,
    )
    return delay.sub(
        lambda match: (
            f"{match.group(1)}{match.group(2)}<UserId>{account}</UserId>"
            f"{match.group(2)}{match.group(3)}"
        ),
        xml,
    )

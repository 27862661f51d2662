"""The regular audit, built from the collected events: per kiosk and day, by trigger.

A session is *found* when a logout ran on a linked session (any result but nothing_to_do)
and *ended* when it finished logged_out (verified) or local_only. Every local_only is listed:
the visitor's phone may still list the device, so someone should follow it up.
"""

from __future__ import annotations

import csv
import html
import io
import json
import re
import statistics
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from agent.errors import ConfigError

LOCAL_ONLY_NOTE = "the visitor's phone may still list this device: check it or unlink it there"
_UNITS = {"m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


def parse_since(text: str, now: datetime | None = None) -> datetime:
    """Given 7d, 12h, 30m, 2w or an ISO date, return the start. Raise ConfigError if neither."""
    now = now or datetime.now(UTC)
    value = text.strip().lower()
    if value[:-1].isdigit() and value[-1:] in _UNITS:
        return now - timedelta(seconds=int(value[:-1]) * _UNITS[value[-1]])
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ConfigError(
            f"--since {text!r}: use a duration (30m, 12h, 7d, 2w) or an ISO date (2026-11-01)"
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@dataclass
class DayRow:
    """One kiosk's day."""

    day: str
    site: str
    host: str
    found: int = 0
    ended: int = 0
    verified: int = 0
    local_only: int = 0
    failed: int = 0
    median_logout_s: float | None = None


@dataclass
class Report:
    since: str
    site: str | None
    days: list[DayRow] = field(default_factory=list)
    by_trigger: dict[str, int] = field(default_factory=dict)
    median_logout_s: float | None = None
    local_only: list[dict[str, Any]] = field(default_factory=list)
    refused_commands: int = 0
    rejected_total: int = 0
    rejected: list[dict[str, Any]] = field(default_factory=list)  # site, host, reason, count
    offline: list[dict[str, Any]] = field(default_factory=list)  # site, host, reason, since
    guard_gaps: list[dict[str, Any]] = field(default_factory=list)  # site, host, from, to ...

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def build_report(
    events: list[dict[str, Any]],
    since: datetime,
    site: str | None,
    rejected: Sequence[dict[str, Any]] = (),
    presence: Sequence[dict[str, Any]] = (),
) -> Report:
    """Given collected events (oldest first), the messages the collector rejected
    (EventStore.rejected()) and the kiosks' presence (EventStore.presence()), return the
    report of the logouts among them, the rejections counted per kiosk and reason, the kiosks
    offline now (why, since when) and the gaps their guards reported (guard_gap events)."""
    report = Report(since=since.isoformat(timespec="seconds"), site=site)
    report.offline = _offline(presence)
    report.rejected_total = len(rejected)
    report.rejected = _rejected(rejected)
    rows: dict[tuple[str, str, str], DayRow] = {}
    durations: dict[tuple[str, str, str], list[float]] = defaultdict(list)
    all_durations: list[float] = []
    triggers: Counter[str] = Counter()
    for event in events:
        if event.get("kind") == "command_refused":
            report.refused_commands += 1
        if event.get("kind") == "guard_gap" and isinstance(event.get("gap"), dict):
            report.guard_gaps.append(_gap_row(event))
        if event.get("kind") != "logout" or not isinstance(event.get("outcome"), dict):
            continue
        outcome = event["outcome"]
        result = outcome.get("result")
        if result == "nothing_to_do":
            continue
        day = str(event.get("at", ""))[:10]
        key = (day, str(event.get("site")), str(event.get("host")))
        row = rows.setdefault(key, DayRow(*key))
        row.found += 1
        triggers[str(outcome.get("trigger"))] += 1
        if result == "failed":
            row.failed += 1
            continue
        row.ended += 1
        seconds = float(outcome.get("duration_ms") or 0) / 1000
        durations[key].append(seconds)
        all_durations.append(seconds)
        if result == "logged_out":
            row.verified += 1
        elif result == "local_only":
            row.local_only += 1
            report.local_only.append(
                {
                    "at": event.get("at"),
                    "site": event.get("site"),
                    "host": event.get("host"),
                    "profile": outcome.get("profile"),
                    "trigger": outcome.get("trigger"),
                    "note": LOCAL_ONLY_NOTE,
                }
            )
    for key, row in rows.items():
        if durations[key]:
            row.median_logout_s = round(statistics.median(durations[key]), 2)
    report.days = [rows[key] for key in sorted(rows)]
    report.by_trigger = dict(sorted(triggers.items()))
    if all_durations:
        report.median_logout_s = round(statistics.median(all_durations), 2)
    return report


def _offline(presence: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Given the kiosks' presence, return those offline now: site, host, reason, since."""
    return [
        {key: item.get(key) for key in ("site", "host", "reason", "since")}
        for item in presence
        if not item.get("online")
    ]


def _rejected(rejected: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Given the collector's rejected messages, return them counted per kiosk and reason."""
    grouped = Counter(
        (str(r["site"]), str(r["host"]), _reason_kind(str(r["reason"]))) for r in rejected
    )
    return [
        {"site": key[0], "host": key[1], "reason": key[2], "count": count}
        for key, count in sorted(grouped.items())
    ]


def _gap_row(event: dict[str, Any]) -> dict[str, Any]:
    gap = event["gap"]
    fields = ("cause", "from", "to", "seconds")
    return {"site": event.get("site"), "host": event.get("host")} | {
        key: gap.get(key) for key in fields
    }


def _gap_lines(report: Report) -> list[str]:
    """Return the table lines of the kiosks offline now and the guards' reported gaps."""
    out = [f"Kiosks offline now: {len(report.offline)}"]
    out += [
        f"  {item['site']}/{item['host']}: {item['reason'] or '?'} since {item['since']}"
        for item in report.offline
    ]
    out.append(f"Guard not running (reported at its next start): {len(report.guard_gaps)}")
    out += [
        f"  {gap['site']}/{gap['host']}: {gap['cause']} from {gap['from']} to {gap['to']}"
        f" ({gap['seconds']} s)"
        for gap in report.guard_gaps
    ]
    return out


def _reason_kind(reason: str) -> str:
    """Return a rejection reason without what differs from message to message (ids, times)."""
    return re.sub(r"'[^']*'|\b\d{4}-\d\d-\d\dT[^ ]+", "…", reason)


_COLUMNS = ("day", "site", "host", "found", "ended", "verified", "local_only", "failed")


def _median(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def as_table(report: Report) -> str:
    """Return the report as plain text tables."""
    header = [*_COLUMNS, "median_s"]
    lines = [
        [*(str(getattr(row, name)) for name in _COLUMNS), _median(row.median_logout_s)]
        for row in report.days
    ]
    widths = [max(len(cells[i]) for cells in [header, *lines]) for i in range(len(header))]

    def fmt(cells: list[str]) -> str:
        return "  ".join(cell.ljust(width) for cell, width in zip(cells, widths, strict=True))

    out = [f"Fleet audit since {report.since}" + (f", site {report.site}" if report.site else "")]
    out += ["", fmt(header), fmt(["-" * width for width in widths]), *map(fmt, lines)]
    if not lines:
        out.append("(no sessions found)")
    triggers = ", ".join(f"{name} {count}" for name, count in report.by_trigger.items())
    out += ["", f"By trigger: {triggers or '-'}"]
    out.append(f"Median time to logout: {_median(report.median_logout_s)} s")
    out.append(f"Refused commands: {report.refused_commands}")
    out.append(f"local_only logouts: {len(report.local_only)}")
    for item in report.local_only:
        out.append(
            f"  {item['at']} {item['site']}/{item['host']} {item['profile']}"
            f" ({item['trigger']}): {item['note']}"
        )
    out += _gap_lines(report)
    out.append(f"{report.rejected_total} message(s) rejected by the collector (not counted above)")
    for item in report.rejected:
        out.append(f"  {item['site']}/{item['host']}: {item['count']} x {item['reason']}")
    return "\n".join(out) + "\n"


def as_csv(report: Report) -> str:
    """Return the per-kiosk-and-day rows as CSV (local_only details are in table/JSON/HTML)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([*_COLUMNS, "median_logout_s"])
    for row in report.days:
        writer.writerow([*(getattr(row, name) for name in _COLUMNS), row.median_logout_s or ""])
    return buffer.getvalue()


def as_json(report: Report) -> str:
    return json.dumps(report.to_dict(), indent=2) + "\n"


def _chart(report: Report) -> str:
    """Return an inline SVG bar chart: sessions ended per day, one bar per site."""
    per_day: dict[str, Counter[str]] = defaultdict(Counter)
    for row in report.days:
        per_day[row.day][row.site] += row.ended
    days = sorted(per_day)
    sites = sorted({site for counter in per_day.values() for site in counter})
    if not days:
        return "<p>No sessions ended in this period.</p>"
    colours = ["#2563eb", "#16a34a", "#d97706", "#9333ea", "#dc2626", "#0891b2"]
    top = max(max(counter.values()) for counter in per_day.values()) or 1
    bar, gap, height, left, bottom = 18, 14, 160, 40, 30
    group = bar * len(sites) + gap
    width = max(left + group * len(days) + 20, left + 120 * len(sites))
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height + bottom + 30}"'
        ' role="img" aria-label="Sessions ended per day per site">',
        f'<line x1="{left}" y1="{height}" x2="{width - 10}" y2="{height}" stroke="#444"/>',
        f'<text x="4" y="14" font-size="11">{top}</text>',
        f'<text x="4" y="{height}" font-size="11">0</text>',
    ]
    for d, day in enumerate(days):
        x0 = left + gap // 2 + d * group
        for s, site in enumerate(sites):
            value = per_day[day][site]
            h = round(value / top * (height - 10))
            parts.append(
                f'<rect x="{x0 + s * bar}" y="{height - h}" width="{bar - 2}" height="{h}"'
                f' fill="{colours[s % len(colours)]}"><title>{html.escape(site)} {day}:'
                f" {value}</title></rect>"
            )
        parts.append(f'<text x="{x0}" y="{height + 16}" font-size="11">{day[5:]}</text>')
    for s, site in enumerate(sites):
        x = left + s * 120
        parts.append(
            f'<rect x="{x}" y="{height + bottom}" width="10" height="10"'
            f' fill="{colours[s % len(colours)]}"/>'
            f'<text x="{x + 14}" y="{height + bottom + 10}" font-size="11">'
            f"{html.escape(site)}</text>"
        )
    parts.append("</svg>")
    return "\n".join(parts)


def as_html(report: Report) -> str:
    """Return a self-contained HTML page: the chart, the table, the local_only list."""
    e = html.escape
    rows = "\n".join(
        "<tr>"
        + "".join(f"<td>{e(str(getattr(row, name)))}</td>" for name in _COLUMNS)
        + f"<td>{_median(row.median_logout_s)}</td></tr>"
        for row in report.days
    )
    local = "\n".join(
        f"<li><b>{e(str(item['site']))}/{e(str(item['host']))}</b> {e(str(item['profile']))}"
        f" at {e(str(item['at']))} ({e(str(item['trigger']))}): {e(LOCAL_ONLY_NOTE)}</li>"
        for item in report.local_only
    )
    rejected = "\n".join(
        f"<li><b>{e(item['site'])}/{e(item['host'])}</b>:"
        f" {item['count']} x {e(item['reason'])}</li>"
        for item in report.rejected
    )
    gaps = "\n".join(
        f"<li>{e(line.strip())}</li>" for line in _gap_lines(report) if line.startswith("  ")
    )
    triggers = ", ".join(f"{e(name)}: {count}" for name, count in report.by_trigger.items())
    title = "kioskguard fleet audit" + (f", site {e(report.site)}" if report.site else "")
    head = "".join(f"<th>{name}</th>" for name in (*_COLUMNS, "median s"))
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2em; color: #111; }}
table {{ border-collapse: collapse; margin: 1em 0; }}
th, td {{ border: 1px solid #ccc; padding: 4px 10px; text-align: right; }}
th:nth-child(-n+3), td:nth-child(-n+3) {{ text-align: left; }}
.warn {{ background: #fff7ed; border-left: 4px solid #d97706; padding: 0.5em 1em; }}
</style></head><body>
<h1>{title}</h1>
<p>Since {e(report.since)}. Median time to logout: <b>{_median(report.median_logout_s)} s</b>.
By trigger: {triggers or "-"}. Refused commands: {report.refused_commands}.</p>
<h2>Sessions ended per day</h2>
{_chart(report)}
<h2>Per kiosk and day</h2>
<table><thead><tr>{head}</tr></thead><tbody>
{rows or '<tr><td colspan="9">No sessions found.</td></tr>'}
</tbody></table>
<h2>local_only logouts ({len(report.local_only)})</h2>
<div class="warn"><ul>{local or "<li>None.</li>"}</ul></div>
<h2>Offline kiosks ({len(report.offline)}) and guard gaps ({len(report.guard_gaps)})</h2>
<div class="warn"><ul>{gaps or "<li>None.</li>"}</ul></div>
<h2>Rejected by the collector ({report.rejected_total})</h2>
<div class="warn"><ul>{rejected or "<li>None.</li>"}</ul></div>
</body></html>
"""

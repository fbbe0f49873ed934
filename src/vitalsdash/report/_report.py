"""The debrief report (one self-contained HTML file, optionally PDF) and the exports.

- :func:`render_report` builds ONE HTML file that works offline: plotly.js is inlined
  once, the timeline is a Plotly figure (:func:`timeline_figure`), and every text that a
  person typed (notes, labels, reasons) is escaped. A print stylesheet lays it out on
  A4 landscape. :func:`render_pdf` prints it through headless Chromium.
- :func:`export_tables` / :func:`table_bytes` / :func:`export_session` write the session
  as files: samples in the ``vitalsim run`` recording format with its events sidecar (so
  ``vitalsdash alarms replay`` reads them), the alarm log in replay's ``--full`` format,
  the trainee's alarm actions in replay's actions format, actions, observations and the
  debrief's episode and expected-response tables.

Plotly only; nothing here imports Dash. The review page calls the same functions.
"""

from __future__ import annotations

import html
import io
import json
import math
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
from plotly.offline import get_plotlyjs

from vitalsdash import __version__, interruptions
from vitalsdash.alarms import AlarmEvent, Priority
from vitalsdash.alarms.replay import ACTION_COLUMNS, FULL_COLUMNS, write_log
from vitalsdash.debrief import Debrief, SessionData, compute_debrief
from vitalsdash.durations import hms, span_in_columns
from vitalsdash.errors import VitalsdashError
from vitalsdash.recording import events_path
from vitalsdash.report._figure import (
    INTERRUPTION,
    figure_json,
    minmax_downsample,
    timeline_figure,
)

__all__ = [
    "CHROMIUM_FLAGS",
    "DISCLAIMER",
    "EPISODE_HEADERS",
    "EXPORT_FORMATS",
    "EXPORT_TABLES",
    "INTERRUPTION",
    "NEVER",
    "SILENCED_HEADERS",
    "ReportError",
    "chromium_path",
    "clock",
    "duration",
    "episode_rows",
    "export_file_names",
    "export_session",
    "export_tables",
    "minmax_downsample",
    "num",
    "params_text",
    "render_pdf",
    "render_report",
    "silenced_rows",
    "table_bytes",
    "timeline_figure",
    "write_report",
]

DISCLAIMER = "Training tool — not a medical device"
EXPORT_FORMATS = ("csv", "parquet")
EXPORT_TABLES = (
    "samples",
    "events",
    "alarm_events",
    "actions",
    "observations",
    "alarm_actions",
    "episodes",
    "expected",
)
"""Tables :func:`table_bytes` and :func:`export_session` write (see docs/debrief.md)."""

CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser")
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
)
"""Flags that keep Chromium quiet offline (docs dash-notes.md)."""


class ReportError(VitalsdashError, RuntimeError):
    """The report or export could not be made (no Chromium, a failed print, a bad table)."""


# --- small formatting helpers --------------------------------------------------------------


def _e(x: Any) -> str:
    """Escape anything for HTML text and attributes."""
    return html.escape("" if x is None else str(x), quote=True)


def clock(t_s: float | None) -> str:
    """Seconds from the start as H:MM:SS ("" for None; rules in vitalsdash.durations)."""
    return hms(t_s)


def duration(s: float | None) -> str:
    """A duration as "45 s", "3 min 05 s" or "1 h 02 min" (vitalsdash.durations)."""
    return span_in_columns(s)


def num(v: Any) -> str:
    """A value as the report prints it ("" when there is none)."""
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return ""
    f = float(v)
    return f"{f:g}" if abs(f) < 1e6 else f"{f:.6g}"


def params_text(p: Mapping[str, Any]) -> str:
    return ", ".join(f"{k}={v}" for k, v in p.items() if v not in (None, "", {}))


def _table(
    headers: Sequence[str], rows: Iterable[Sequence[Any]], cls: str = "", empty: str = "none"
) -> str:
    """An HTML table; every cell is escaped. Rows may carry a class as ``(cls, cells)``."""
    body = []
    for r in rows:
        rcls = ""
        if isinstance(r, tuple) and len(r) == 2 and isinstance(r[1], (list, tuple)):
            rcls, r = r
        cells = "".join(f"<td>{_e(c)}</td>" for c in r)
        body.append(f'<tr class="{_e(rcls)}">{cells}</tr>' if rcls else f"<tr>{cells}</tr>")
    if not body:
        return f'<p class="empty">{_e(empty)}</p>'
    head = "".join(f"<th>{_e(h)}</th>" for h in headers)
    return (
        f'<table class="{_e(cls)}"><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table>"
    )


# --- the HTML report -----------------------------------------------------------------------

_CSS = """
:root { --high:#d62728; --medium:#d9a400; --low:#17a2b8; --ink:#222; --muted:#666; }
* { box-sizing: border-box; }
body { font: 14px/1.4 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink);
  margin: 0 auto; padding: 16px 24px 40px; max-width: 1100px; }
h1 { font-size: 22px; margin: 4px 0 8px; } h2 { font-size: 17px; margin: 26px 0 8px;
  border-bottom: 1px solid #ccc; padding-bottom: 3px; } h3 { font-size: 14px; margin: 14px 0 6px; }
.disclaimer { background: #fff4d6; border: 1px solid #e0b84c; padding: 6px 10px; font-weight: 600;
  border-radius: 4px; }
table { border-collapse: collapse; width: 100%; margin: 6px 0 10px; font-size: 12.5px; }
th, td { border: 1px solid #d5d5d5; padding: 3px 6px; text-align: left; vertical-align: top; }
th { background: #f2f2f2; } tbody tr:nth-child(even) { background: #fafafa; }
table.meta { width: auto; } table.meta th { width: 11em; }
.cards { display: flex; flex-wrap: wrap; gap: 8px; margin: 8px 0; }
.card { border: 1px solid #d5d5d5; border-radius: 6px; padding: 6px 10px; min-width: 150px; }
.card .v { font-size: 20px; font-weight: 600; } .card .k { color: var(--muted); font-size: 12px; }
tr.met td:first-child, .ok { color: #2a7d2a; font-weight: 600; }
tr.late td:first-child { color: #b07800; font-weight: 600; }
tr.missed td:first-child, .bad { color: var(--high); font-weight: 600; }
tr.prio-HIGH td:nth-child(2) { color: var(--high); font-weight: 600; }
tr.prio-MEDIUM td:nth-child(2) { color: #a07800; font-weight: 600; }
tr.prio-LOW td:nth-child(2) { color: var(--low); font-weight: 600; }
.empty, .note { color: var(--muted); }
.interrupted { border-left: 4px solid #c05600; padding: 4px 10px; background: #fff1e6; }
#timeline { width: 1000px; max-width: 100%; }
footer { margin-top: 30px; color: var(--muted); font-size: 12px; border-top: 1px solid #ccc;
  padding-top: 6px; }
@page { size: A4 landscape; margin: 10mm; }
@media print {
  body { max-width: none; padding: 0; font-size: 10pt; }
  h2 { break-after: avoid; } tr, .card { break-inside: avoid; }
  thead { display: table-header-group; }
  #timeline-section { break-after: page; }
  .disclaimer { background: none; }
  a { color: inherit; text-decoration: none; }
}
"""

_BOOT = """
(function () {
  var el = document.getElementById("timeline");
  var fig = JSON.parse(document.getElementById("timeline-data").textContent);
  var cfg = {displaylogo: false, responsive: false, staticPlot: false,
             modeBarButtonsToRemove: ["sendDataToCloud", "select2d", "lasso2d"]};
  Plotly.newPlot(el, fig.data, fig.layout, cfg);
})();
"""


def _meta(data: SessionData, debrief: Debrief) -> str:
    info = data.info
    rows: list[tuple[str, Any]] = []
    if data.session_id is not None:
        rows.append(("session", data.session_id))
    for key, label in (
        ("label", "label"),
        ("bed_id", "bed"),
        ("recording", "recording"),
        ("scenario", "scenario"),
        ("seed", "seed"),
        ("protocol", "protocol"),
        ("alarm_profile", "alarm profile"),
        ("status", "status"),
        ("started_wall", "started (UTC)"),
    ):
        v = info.get(key)
        if v not in (None, ""):
            rows.append((label, v.isoformat(timespec="seconds") if isinstance(v, datetime) else v))
    rows.append(("duration", f"{clock(debrief.end_t_s)} ({duration(debrief.end_t_s)})"))
    patient = info.get("patient")
    if isinstance(patient, Mapping) and patient:
        rows.append(("patient", params_text(patient)))
    body = "".join(f"<tr><th>{_e(k)}</th><td>{_e(v)}</td></tr>" for k, v in rows)
    return f'<table class="meta">{body}</table>'


def _cards(debrief: Debrief) -> str:
    s = debrief.summary()
    exp = s["expected"]
    prio = s["episodes_by_priority"]
    items = [
        (
            s["episodes"],
            f"alarm episodes (HIGH {prio.get('HIGH', 0)}, MEDIUM "
            f"{prio.get('MEDIUM', 0)}, LOW {prio.get('LOW', 0)})",
        ),
        (duration(s["median_time_to_ack_s"]) or "–", "median time to acknowledge"),
        (duration(s["median_time_to_action_s"]) or "–", "median time to first action"),
        (s["never_acknowledged"], "episodes never acknowledged"),
        (s["silenced_unresolved"], "silenced but not resolved"),
        (s["suppressed"], "nuisance excursions suppressed"),
        (f"{exp['met']} / {exp['late']} / {exp['missed']}", "expected: met / late / missed"),
        (s["discharge"], "discharge decision"),
    ]
    return (
        '<div class="cards">'
        + "".join(
            f'<div class="card"><div class="v">{_e(v)}</div><div class="k">{_e(k)}</div></div>'
            for v, k in items
        )
        + "</div>"
    )


def _expected_section(debrief: Debrief) -> str:
    rows = [
        (
            r.status,
            [
                r.status.replace("_", " "),
                r.trigger_condition,
                clock(r.trigger_t_s),
                " or ".join(r.do),
                duration(r.within_s),
                clock(r.deadline_t_s),
                f"{r.action_kind} at {clock(r.action_t_s)}" if r.action_kind else "",
                duration(r.response_s),
            ],
        )
        for r in debrief.expected
    ]
    return _table(
        ["result", "alarm", "active at", "expected", "within", "deadline", "done", "response"],
        rows,
        empty="The scenario declares no expected responses (or none was triggered).",
    )


EPISODE_HEADERS = ("alarm", "priority", "start", "end", "duration", "peak", "limit",
                   "time to acknowledge", "first action", "notes")  # fmt: skip
NEVER = "never"


def episode_rows(debrief: Debrief) -> list[tuple[str, list[str]]]:
    """One row of text per alarm episode, with its CSS class: the report and the review
    page show the same table."""
    unresolved = {(s.episode.condition, s.episode.number) for s in debrief.silenced_unresolved}
    rows = []
    for e in debrief.episodes:
        prio = e.priority if e.priority == e.start_priority else f"{e.start_priority}→{e.priority}"
        end = "still active" if e.end_t_s is None else clock(e.end_t_s)
        if e.latched:
            end += (f" (latched, reset {clock(e.reset_t_s)})" if e.reset_t_s is not None
                    else " (latched, not reset)")  # fmt: skip
        ack = NEVER if e.ack_t_s is None else f"{duration(e.time_to_ack_s)} ({e.ack_actor})"
        act = ("" if e.first_action_kind is None
               else f"{e.first_action_kind} after {duration(e.time_to_action_s)}")  # fmt: skip
        notes = []
        if e.technical:
            notes.append("technical")
        if (e.condition, e.number) in unresolved:
            notes.append("silenced, not resolved")
        if e.audio_paused_t_s is not None:
            notes.append(f"audio paused at {clock(e.audio_paused_t_s)}")
        notes.extend(f"{esc.before}→{esc.after} at {clock(esc.t_s)} ({esc.reason})"
                     for esc in e.escalations)  # fmt: skip
        rows.append((f"prio-{e.priority}", [
            f"{e.condition} #{e.number}", prio, clock(e.start_t_s), end, duration(e.duration_s),
            num(e.peak_value), num(e.limit), ack, act, "; ".join(notes)]))  # fmt: skip
    return rows


def _episodes_section(debrief: Debrief) -> str:
    return _table(EPISODE_HEADERS, episode_rows(debrief), empty="No alarm episode.")


SILENCED_HEADERS = ("alarm", "priority", "silenced", "then", "first action")


def silenced_rows(debrief: Debrief) -> list[tuple[str, list[str]]]:
    """One row per alarm silenced but not resolved (report and review page alike)."""
    return [
        (f"prio-{s.episode.priority}", [
            f"{s.episode.condition} #{s.episode.number}",
            s.episode.priority,
            f"{s.silenced_by.replace('_', ' ')} at {clock(s.silenced_t_s)}",
            "still active at the end" if s.still_active
            else f"active {duration(s.active_after_s)} more",
            s.episode.first_action_kind or "no action",
        ])
        for s in debrief.silenced_unresolved
    ]  # fmt: skip


def _silenced_section(debrief: Debrief) -> str:
    intro = (
        f'<p class="note">Acknowledged or audio-paused alarms still active at the end of '
        f"the session, or for more than {duration(debrief.silenced_limit_s)} after being "
        "silenced.</p>"
    )
    return intro + _table(SILENCED_HEADERS, silenced_rows(debrief))


def _never_acked_section(debrief: Debrief) -> str:
    rows = [
        (
            f"prio-{e.priority}",
            [
                f"{e.condition} #{e.number}",
                e.priority,
                clock(e.start_t_s),
                duration(e.duration_s),
                "technical" if e.technical else "",
            ],
        )
        for e in debrief.never_acknowledged
    ]
    return _table(["alarm", "priority", "start", "duration", ""], rows)


def _suppressed_section(debrief: Debrief) -> str:
    per = debrief.suppressed_by_condition
    head = (
        f"<p>{len(debrief.suppressed)} excursion(s) ended within their condition delay and "
        "never sounded"
        + (": " + ", ".join(f"{c} {n}" for c, n in per.items()) if per else "")
        + ".</p>"
    )
    rows = [
        [clock(s.t_s), s.condition, duration(s.duration_s), num(s.worst_value), num(s.limit)]
        for s in debrief.suppressed
    ]
    return head + _table(["at", "condition", "lasted", "worst value", "limit"], rows)


def _discharge_section(debrief: Debrief) -> str:
    d = debrief.discharge
    cls = "ok" if d.ready else "bad"
    parts = [f'<p class="{cls}">{_e(d.verdict)}</p>']
    if d.decided:
        parts.append(f"<p>Session ended by {_e(d.actor)} at {_e(clock(d.t_s))}.</p>")
    if d.first_ready_t_s is not None:
        parts.append(f"<p>Readiness was first met at {_e(clock(d.first_ready_t_s))}.</p>")
    elif d.ready is not None:
        parts.append("<p>Readiness was never met during the session.</p>")
    if d.protocol:
        parts.append(
            f'<p class="note">Judged by the protocol “{_e(d.protocol)}” at '
            f"{_e(clock(d.evaluated_t_s))}.</p>"
        )
    if d.criteria:
        parts.append(
            _table(
                ["criterion", "met", "detail"],
                [[c.name, "yes" if c.met else "NO", c.detail] for c in d.criteria],
            )
        )
    return "".join(parts)


def _actions_section(data: SessionData) -> str:
    rows = [
        [
            clock(a.t_s),
            a.actor,
            a.kind,
            params_text(a.params),
            a.outcome + (f": {a.reason}" if a.reason else ""),
        ]
        for a in data.actions
    ]
    return _table(["at", "by", "action", "parameters", "outcome"], rows, empty="No action.")


def _observations_section(data: SessionData) -> str:
    rows = [[clock(o.t_s), o.actor, o.kind, num(o.value), o.text or ""] for o in data.observations]
    return _table(["at", "by", "kind", "score", "note"], rows, empty="Nothing charted.")


def _interruption_text(ev: Any) -> tuple[str, str] | None:
    """An interruption event in plain words: (what, detail); None for other events."""
    d = ev.detail or {}
    if ev.kind == interruptions.INTERRUPTED:
        walls = [f"{what} {_wall_text(d.get(key))}" for what, key in
                 (("last data", "last_write_wall"), ("restart", "restart_wall"))
                 if d.get(key)]  # fmt: skip
        return interruptions.label(d), ", ".join(walls)
    if ev.kind == interruptions.RESUMED:
        return interruptions.resumed_label(d), _wall_text(d.get("wall"))
    return None


def _wall_text(iso: Any) -> str:
    try:
        return datetime.fromisoformat(str(iso)).astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    except ValueError:
        return str(iso or "")


def _interruptions_note(data: SessionData) -> str:
    """A line under the summary when monitoring stopped during the session."""
    found = interruptions.summarise(data.session_events)
    if not found:
        return ""
    parts = []
    for i in found:
        how_long = interruptions.duration_words(i["gap_s"]) or "for an unknown time"
        by = f"resumed by {i['resumed_by']}" if i["resumed_by"] else "not resumed"
        parts.append(f"at {clock(i['t_s'])} for {how_long} (server restart; {by})")
    times = "once" if len(found) == 1 else f"{len(found)} times"
    return (
        f'<p class="interrupted">Monitoring was interrupted {times}: {_e("; ".join(parts))}. '
        f"No data exist for {'that period' if len(found) == 1 else 'those periods'}; session "
        "time resumed where it stopped.</p>"
    )


def _events_section(data: SessionData) -> str:
    rows = []
    for ev in data.session_events:
        if ev.kind in ("nibp_start",):
            continue
        plain = _interruption_text(ev)
        if plain is not None:
            rows.append([clock(ev.t_s), plain[0], ev.source, plain[1]])
        else:
            rows.append([clock(ev.t_s), ev.kind, ev.source, params_text(ev.detail)])
    return _table(["at", "event", "source", "detail"], rows, empty="No event.")


def render_report(
    data: SessionData,
    debrief: Debrief | None = None,
    *,
    generated: datetime | None = None,
    max_points: int = 1500,
) -> str:
    """The whole report as one HTML document (plotly.js inlined; works offline)."""
    debrief = debrief if debrief is not None else compute_debrief(data)
    fig = timeline_figure(data, debrief, max_points=max_points)
    when = (generated or datetime.now(UTC)).isoformat(timespec="seconds")
    title = f"Debrief — {data.title}"
    sections = [
        ("summary", "Summary", _cards(debrief) + _interruptions_note(data)),
        ("expected", "Expected responses", _expected_section(debrief)),
        ("episodes", "Alarm episodes", _episodes_section(debrief)),
        ("silenced", "Silenced but not resolved", _silenced_section(debrief)),
        ("never-acked", "Never acknowledged", _never_acked_section(debrief)),
        ("suppressed", "Suppressed nuisance excursions", _suppressed_section(debrief)),
        ("discharge", "Discharge decision", _discharge_section(debrief)),
        ("actions", "Actions", _actions_section(data)),
        ("observations", "Charted observations", _observations_section(data)),
        ("events", "Scenario, device and phase events", _events_section(data)),
    ]
    body = []
    for sid, head, content in sections[:1]:
        body.append(f'<section id="{sid}"><h2>{_e(head)}</h2>{content}</section>')
    body.append(
        '<section id="timeline-section"><h2>Timeline</h2>'
        '<p class="note">Shaded: phases. Lines: vital signs with the limit band in force '
        "(dotted). NIBP readings as points. Alarm episodes coloured by priority (red HIGH, "
        "yellow MEDIUM, cyan LOW; dotted grey: latched), | acknowledged, × suppressed. "
        "Dotted vertical lines: scenario events. Wide orange lines: monitoring interrupted "
        "(a server restart). Long sessions are drawn from the min and "
        "max of each time bucket.</p>"
        '<div id="timeline"></div></section>'
    )
    for sid, head, content in sections[1:]:
        body.append(f'<section id="{sid}"><h2>{_e(head)}</h2>{content}</section>')
    return "".join(
        [
            '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            '<link rel="icon" href="data:,">',
            f"<title>{_e(title)}</title><style>{_CSS}</style></head><body>",
            f'<header><p class="disclaimer">{_e(DISCLAIMER)}</p><h1>{_e(title)}</h1>',
            _meta(data, debrief),
            "</header><main>",
            *body,
            "</main>",
            f"<footer>{_e(DISCLAIMER)}. Generated {_e(when)} by vitalsdash {_e(__version__)}. "
            "Times are hours:minutes:seconds from the session start.</footer>",
            f"<script>{get_plotlyjs()}</script>",
            f'<script type="application/json" id="timeline-data">{figure_json(fig)}</script>',
            f"<script>{_BOOT}</script></body></html>\n",
        ]
    )


def chromium_path() -> str | None:
    """Debian's Chromium, if installed."""
    for candidate in CHROMIUM_CANDIDATES:
        if Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return candidate
    return shutil.which("chromium")


def render_pdf(
    html_path: str | Path,
    pdf_path: str | Path,
    *,
    chromium: str | None = None,
    timeout_s: float = 120.0,
) -> Path:
    """Print an HTML file to PDF with headless Chromium (offline flags, no header/footer)."""
    exe = chromium or chromium_path()
    if exe is None:
        raise ReportError(
            "--pdf needs Chromium, which is not installed (looked for /usr/bin/chromium): "
            "install Debian's 'chromium' package, or open the HTML report and print it"
        )
    src, out = Path(html_path).resolve(), Path(pdf_path).resolve()
    out.unlink(missing_ok=True)  # never mistake an old file for a fresh print
    with tempfile.TemporaryDirectory(prefix="vitalsdash-pdf-") as profile:
        cmd = [
            exe,
            *CHROMIUM_FLAGS,
            f"--user-data-dir={profile}",
            "--no-pdf-header-footer",
            "--print-to-pdf-no-header",
            "--virtual-time-budget=5000",
            f"--print-to-pdf={out}",
            src.as_uri(),
        ]
        try:
            proc = subprocess.run(
                cmd, capture_output=True, text=True, timeout=timeout_s, check=False
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise ReportError(f"Chromium could not print {src.name} to PDF: {exc}") from None
    if proc.returncode != 0 or not out.is_file() or out.stat().st_size == 0:
        tail = (proc.stderr or "").strip().splitlines()[-1:] or ["no output"]
        raise ReportError(
            f"Chromium could not print {src.name} to PDF (exit {proc.returncode}): {tail[0]}"
        )
    return Path(pdf_path)


@dataclass(frozen=True)
class ReportFiles:
    html: Path | None
    pdf: Path | None
    debrief: Debrief


def write_report(
    data: SessionData, out: str | Path, *, pdf: bool = False, debrief: Debrief | None = None
) -> ReportFiles:
    """Write the HTML report to ``out``; with ``pdf`` also a PDF beside it (``out`` with the
    suffix .pdf). An ``out`` ending in .pdf gets the PDF only."""
    out = Path(out)
    if pdf and chromium_path() is None:
        render_pdf(out, out)  # raises the clear "needs Chromium" error before any work
    debrief = debrief if debrief is not None else compute_debrief(data)
    text = render_report(data, debrief)
    if pdf and out.suffix.lower() == ".pdf":
        with tempfile.TemporaryDirectory(prefix="vitalsdash-report-") as tmp:
            page = Path(tmp) / "report.html"
            page.write_text(text, encoding="utf-8")
            return ReportFiles(None, render_pdf(page, out), debrief)
    out.write_text(text, encoding="utf-8")
    return ReportFiles(out, render_pdf(out, out.with_suffix(".pdf")) if pdf else None, debrief)


# --- exports -------------------------------------------------------------------------------


def _json(d: Any) -> str:
    return json.dumps(d, sort_keys=True, default=str) if d else ""


def _engine_phase_rows(data: SessionData) -> list[tuple[float, str]]:
    """The phases the alarm engine was given (its ``set_phase`` log), which replay needs to
    reproduce the log; the protocol's own phase decisions are exported as ``protocol_phase``."""
    rows = []
    for r in data.alarm_events:
        if r["event"] == "set_phase":
            after = (r.get("detail") or {}).get("after")
            if after:
                rows.append((float(r["t_s"]), str(after)))
    return rows


def _events_frame(data: SessionData) -> pd.DataFrame:
    engine = _engine_phase_rows(data)
    rows: list[tuple[float, str, str, str]] = []
    if engine:
        rows += [(t, "phase", "protocol", json.dumps({"phase": p})) for t, p in engine]
    for ev in data.session_events:
        kind = ev.kind
        if kind == "phase" and engine:
            kind = "protocol_phase"
        rows.append(
            (ev.t_s, kind, ev.source, json.dumps(dict(ev.detail), sort_keys=True, default=str))
        )
    rows.sort(key=lambda r: r[0])
    return pd.DataFrame(rows, columns=["t", "kind", "source", "detail"])


def _alarm_events(data: SessionData) -> list[AlarmEvent]:
    def prio(p: Any) -> Priority | None:
        return Priority.parse(p) if p else None

    return [
        AlarmEvent(
            float(r["t_s"]),
            str(r["condition"]),
            str(r["event"]),
            prio(r.get("priority")),
            prio(r.get("priority_base")),
            r.get("value"),
            r.get("limit_value"),
            str(r.get("actor") or ""),
            "",
            dict(r.get("detail") or {}),
        )
        for r in data.alarm_events
    ]


def _alarm_log_frame(data: SessionData) -> pd.DataFrame:
    rows = [
        (
            e.t_s,
            e.condition,
            e.event,
            e.priority.name if e.priority else "",
            e.value,
            e.limit,
            e.base_priority.name if e.base_priority else "",
            e.actor,
            e.bed,
            _json(e.detail),
        )
        for e in _alarm_events(data)
    ]
    df = pd.DataFrame(rows, columns=list(FULL_COLUMNS))
    for c in ("t", "value", "limit"):
        df[c] = pd.to_numeric(df[c], errors="coerce").astype("float64")
    return df


def _alarm_actions_frame(data: SessionData) -> pd.DataFrame:
    """The alarm actions carried out, in replay's actions format (t,action,actor,target,value)."""
    rows = []
    for a in data.actions:
        if not a.done:
            continue
        p = a.params
        target, value = "", ""
        if a.kind in ("acknowledge", "reset"):
            target = str(p.get("condition") or "")
        elif a.kind in ("alarm_off", "alarm_on"):
            target = str(p.get("channel") or "")
        elif a.kind == "set_limit":
            target, value = f"{p.get('channel')}.{p.get('which')}", repr(float(p["value"]))
        elif a.kind not in ("pause_audio", "resume_audio", "auto_limits"):
            continue
        rows.append((repr(float(a.t_s)), a.kind, a.actor, target, value))
    return pd.DataFrame(rows, columns=list(ACTION_COLUMNS))


def _samples_frame(data: SessionData) -> pd.DataFrame:
    s = data.samples
    return pd.DataFrame(
        {
            "t": s["t_s"].astype("float64"),
            "channel": s["channel"].astype(str),
            "value": s["value"].astype("float64"),
            "quality": s["quality"].astype(str),
            "true_value": s["true_value"].astype("float64"),
        }
    )


def _actions_frame(data: SessionData) -> pd.DataFrame:
    return pd.DataFrame(
        [
            (a.t_s, a.actor, a.kind, _json(dict(a.params)), a.outcome, a.reason or "")
            for a in data.actions
        ],
        columns=["t", "actor", "kind", "params", "outcome", "reason"],
    )


def _observations_frame(data: SessionData) -> pd.DataFrame:
    df = pd.DataFrame(
        [(o.t_s, o.kind, o.value, o.text or "", o.actor) for o in data.observations],
        columns=["t", "kind", "value", "text", "actor"],
    )
    df["value"] = pd.to_numeric(df["value"]).astype("float64")
    return df


def _floats(df: pd.DataFrame) -> pd.DataFrame:
    for c in df.columns:
        if c.endswith(("_t", "_s")) or c in ("peak_value", "limit"):
            df[c] = pd.to_numeric(df[c]).astype("float64")
    return df


def _episodes_frame(db: Debrief) -> pd.DataFrame:
    return _floats(
        pd.DataFrame(
            [
                (
                    e.condition,
                    e.number,
                    e.technical,
                    e.base_priority,
                    e.start_priority,
                    e.priority,
                    e.start_t_s,
                    e.end_t_s,
                    e.end_event or "",
                    e.reset_t_s,
                    e.duration_s,
                    e.peak_value,
                    e.limit,
                    e.ack_t_s,
                    e.time_to_ack_s,
                    e.ack_actor or "",
                    e.audio_paused_t_s,
                    e.first_action_t_s,
                    e.first_action_kind or "",
                    e.time_to_action_s,
                )
                for e in db.episodes
            ],
            columns=[
                "condition",
                "episode",
                "technical",
                "base_priority",
                "start_priority",
                "priority",
                "start_t",
                "end_t",
                "end_event",
                "reset_t",
                "duration_s",
                "peak_value",
                "limit",
                "ack_t",
                "time_to_ack_s",
                "ack_actor",
                "audio_paused_t",
                "first_action_t",
                "first_action",
                "time_to_action_s",
            ],
        )
    )


def _expected_frame(db: Debrief) -> pd.DataFrame:
    return _floats(
        pd.DataFrame(
            [
                (
                    r.index,
                    " ".join(r.when),
                    " ".join(r.do),
                    r.within_s,
                    r.trigger_condition,
                    r.trigger_t_s,
                    r.deadline_t_s,
                    r.status,
                    r.action_t_s,
                    r.action_kind or "",
                    r.response_s,
                )
                for r in db.expected
            ],
            columns=[
                "entry",
                "when",
                "do",
                "within_s",
                "trigger",
                "trigger_t",
                "deadline_t",
                "status",
                "action_t",
                "action",
                "response_s",
            ],
        )
    )


_DATA_TABLES = {
    "samples": _samples_frame,
    "events": _events_frame,
    "alarm_events": _alarm_log_frame,
    "actions": _actions_frame,
    "observations": _observations_frame,
    "alarm_actions": _alarm_actions_frame,
}
_DEBRIEF_TABLES = {"episodes": _episodes_frame, "expected": _expected_frame}


def _table_frame(data: SessionData, table: str, debrief: Debrief | None) -> pd.DataFrame:
    if table in _DATA_TABLES:
        return _DATA_TABLES[table](data)
    if table in _DEBRIEF_TABLES:
        return _DEBRIEF_TABLES[table](debrief if debrief is not None else compute_debrief(data))
    raise ReportError(f"unknown table {table!r} (one of {', '.join(EXPORT_TABLES)})")


def export_tables(data: SessionData, debrief: Debrief | None = None) -> dict[str, pd.DataFrame]:
    """Every export table of the session as a DataFrame (see :data:`EXPORT_TABLES`)."""
    db = debrief if debrief is not None else compute_debrief(data)
    return {t: _table_frame(data, t, db) for t in EXPORT_TABLES}


def _frame_bytes(name: str, df: pd.DataFrame, fmt: str, data: SessionData) -> bytes:
    if fmt == "parquet":
        buf = io.BytesIO()
        df.to_parquet(buf, index=False)
        return buf.getvalue()
    if name == "alarm_events":  # exactly what `vitalsdash alarms replay --full` writes
        with tempfile.TemporaryDirectory(prefix="vitalsdash-export-") as tmp:
            path = Path(tmp) / "log.csv"
            write_log(_alarm_events(data), path, full=True)
            return path.read_bytes()
    return df.to_csv(index=False, lineterminator="\n").encode("utf-8")


def table_bytes(
    data: SessionData, table: str, fmt: str = "csv", debrief: Debrief | None = None
) -> bytes:
    """One export table as file contents (``fmt`` csv or parquet): what a download button
    serves. ``table`` is one of :data:`EXPORT_TABLES`; the metrics are computed only for
    ``episodes`` and ``expected`` (pass ``debrief`` to reuse them)."""
    if fmt not in EXPORT_FORMATS:
        raise ReportError(f"unknown format {fmt!r} (use {' or '.join(EXPORT_FORMATS)})")
    return _frame_bytes(table, _table_frame(data, table, debrief), fmt, data)


def export_file_names(fmt: str) -> dict[str, str]:
    """The file each table gets in an export folder. The events sidecar sits beside the
    samples (``samples.events.csv``, where replay looks for it); the alarm actions are
    always CSV (the only format ``alarms replay --actions`` reads)."""
    names = {t: f"{t}.{fmt}" for t in EXPORT_TABLES}
    names["events"] = f"samples.events.{fmt}"
    names["alarm_actions"] = "alarm_actions.csv"
    return names


def export_session(data: SessionData, out_dir: str | Path, fmt: str = "csv") -> list[Path]:
    """Write every table of :data:`EXPORT_TABLES` into ``out_dir`` (created if needed).

    Returns the files written. For Parquet, the events sidecar is also written as CSV
    (``samples.events.csv``), the form ``vitalsdash alarms replay`` reads.
    """
    if fmt not in EXPORT_FORMATS:
        raise ReportError(f"unknown format {fmt!r} (use {' or '.join(EXPORT_FORMATS)})")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    debrief = compute_debrief(data)
    tables = export_tables(data, debrief)
    names = export_file_names(fmt)
    written = []
    for table in EXPORT_TABLES:
        path = out / names[table]
        file_fmt = "csv" if path.suffix == ".csv" else fmt
        path.write_bytes(_frame_bytes(table, tables[table], file_fmt, data))
        written.append(path)
    side = events_path(out / names["samples"])
    if side not in written:
        side.write_bytes(_frame_bytes("events", tables["events"], "csv", data))
        written.append(side)
    return written

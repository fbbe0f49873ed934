"""The debrief report: ONE self-contained HTML file that works offline.

plotly.js is inlined once and the timeline is a Plotly figure
(:func:`vitalsdash.report.timeline_figure`), drawn by a few lines of script from JSON
embedded in the page; so are the waveform strips at the alarm onsets (``_strips``). The
sections come from :mod:`._sections`, which escapes every text that a person typed. A
print stylesheet lays the page out on A4 landscape, which is what :func:`write_report`
hands to :mod:`._pdf` when a PDF is asked for (the strips print with it). Plotly only;
nothing here imports Dash. The review page's download serves the same
:func:`render_report`.

Size: a report stays under :data:`MAX_REPORT_BYTES` for a 6-hour session with many
alarms. plotly.js is the basic bundle the dashboard serves (scatter, bar and pie: all the
report draws; 1.2 MB against the full bundle's 4.8 MB), read from the UI's vendored
assets (a file, not an import); if that file is not the plotly.js version the installed
plotly ships, the full bundle is inlined instead. The strips take what the rest leaves.
"""

from __future__ import annotations

import functools
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from plotly.offline import get_plotlyjs, get_plotlyjs_version

import vitalsdash
from vitalsdash import __version__
from vitalsdash.debrief import Debrief, SessionData, compute_debrief
from vitalsdash.report._figure import figure_json, timeline_figure
from vitalsdash.report._pdf import chromium_path, render_pdf
from vitalsdash.report._sections import esc, meta_table, script_json, sections, strips_section

MAX_REPORT_BYTES = 2_000_000
"""A 6-hour session's report, strips included, stays under this (docs/debrief.md)."""
STRIP_SLACK_BYTES = 20_000
"""Kept free of strips under the limit: the section's own words, the footer's time."""
STRIP_FLOOR_BYTES = 250_000
"""Strips a report always has room for (with the full plotly.js it is over the limit
anyway, but still shows the first onsets)."""
VENDORED = Path(vitalsdash.__file__).resolve().parent / "ui" / "assets" / "vendor"


@functools.cache
def plotly_js() -> str:
    """The basic plotly.js bundle the dashboard serves, if it is the version the installed
    plotly ships (figures follow that version's schema); else plotly's full bundle."""
    basic = VENDORED / f"plotly-basic-{get_plotlyjs_version()}.min.js"
    if basic.is_file():
        return basic.read_text(encoding="utf-8")
    return get_plotlyjs()


DISCLAIMER = "Training tool — not a medical device"

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
tr.course-current td { font-weight: 600; background: #eef5ff; }
tr.late td:first-child { color: #b07800; font-weight: 600; }
tr.missed td:first-child, .bad { color: var(--high); font-weight: 600; }
.start-bad { color: var(--high); font-weight: 600; } .start-ok { color: #2a7d2a; }
.start-refused, .start-caution { color: #a07800; font-weight: 600; }
.start-muted { color: var(--muted); }
tr.prio-HIGH td:nth-child(2) { color: var(--high); font-weight: 600; }
tr.prio-MEDIUM td:nth-child(2) { color: #a07800; font-weight: 600; }
tr.prio-LOW td:nth-child(2) { color: var(--low); font-weight: 600; }
.empty, .note { color: var(--muted); }
.interrupted { border-left: 4px solid #c05600; padding: 4px 10px; background: #fff1e6; }
#timeline { width: 1000px; max-width: 100%; }
figure.strip { margin: 6px 0 14px; } figure.strip figcaption { font-size: 12.5px; }
.strip-plot { width: 1000px; max-width: 100%; height: 300px; }
figure.prio-HIGH figcaption { color: var(--high); font-weight: 600; }
footer { margin-top: 30px; color: var(--muted); font-size: 12px; border-top: 1px solid #ccc;
  padding-top: 6px; }
@page { size: A4 landscape; margin: 10mm; }
@media print {
  body { max-width: none; padding: 0; font-size: 10pt; }
  h2 { break-after: avoid; } tr, .card, figure.strip { break-inside: avoid; }
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
  var strips = document.getElementById("strips-data");
  if (!strips) { return; }
  var still = {staticPlot: true, displayModeBar: false, responsive: false};
  var all = JSON.parse(strips.textContent);
  all.strips.forEach(function (s) {
    var layout = Object.assign(JSON.parse(JSON.stringify(all.base)), s.layout);
    Plotly.newPlot(document.getElementById(s.id), s.data, layout, still);
  });
})();
"""


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
    parts = sections(data, debrief)
    body = []
    for sid, head, content in parts[:1]:
        body.append(f'<section id="{sid}"><h2>{esc(head)}</h2>{content}</section>')
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
    strips_at = len(body)
    for sid, head, content in parts[1:]:
        body.append(f'<section id="{sid}"><h2>{esc(head)}</h2>{content}</section>')
        if sid == "episodes":
            strips_at = len(body)
    page = [
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        '<link rel="icon" href="data:,">',
        f"<title>{esc(title)}</title><style>{_CSS}</style></head><body>",
        f'<header><p class="disclaimer">{esc(DISCLAIMER)}</p><h1>{esc(title)}</h1>',
        meta_table(data, debrief),
        "</header><main>",
        *body,
        "</main>",
        f"<footer>{esc(DISCLAIMER)}. Generated {esc(when)} by vitalsdash {esc(__version__)}. "
        "Times are hours:minutes:seconds from the session start.</footer>",
        f"<script>{plotly_js()}</script>",
        f'<script type="application/json" id="timeline-data">{figure_json(fig)}</script>',
        f"<script>{_BOOT}</script></body></html>\n",
    ]
    used = sum(len(p.encode("utf-8")) for p in page)
    budget = max(MAX_REPORT_BYTES - used - STRIP_SLACK_BYTES, STRIP_FLOOR_BYTES)
    strips, figures = strips_section(data, debrief, budget)
    at = page.index("</main>") - len(body) + strips_at
    page.insert(at, f'<section id="strips"><h2>Waveforms at alarm onsets</h2>{strips}</section>')
    if figures:
        page.insert(-1, f'<script type="application/json" id="strips-data">'
                        f"{script_json(figures)}</script>")  # fmt: skip
    return "".join(page)


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

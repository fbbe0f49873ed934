"""The review page's downloads: every export table as CSV or Parquet, and the HTML report.

The files are exactly what ``vitalsdash export`` and ``vitalsdash report`` write
(:func:`vitalsdash.report.table_bytes`, :func:`vitalsdash.report.render_report`).
"""

from __future__ import annotations

from typing import Any

import dash_bootstrap_components as dbc
from dash import dcc, html

from vitalsdash.report import EXPORT_FORMATS, EXPORT_TABLES, render_report, table_bytes
from vitalsdash.ui.review.data import Loaded

__all__ = ["NOTICE_ID", "button_id", "card", "is_download", "report_download", "table_download"]

LABELS = {
    "samples": "Samples",
    "events": "Phase, scenario and device events",
    "alarm_events": "Alarm log",
    "actions": "Actions",
    "observations": "Charted observations",
    "alarm_actions": "Alarm actions (replay format)",
    "episodes": "Alarm episodes",
    "expected": "Expected responses",
}
FORMAT_LABELS = {"csv": "CSV", "parquet": "Parquet"}
NOTICE_ID = "review-notice"


def button_id(table: str, fmt: str) -> dict[str, str]:
    return {"type": "review-dl", "table": table, "fmt": fmt}


def file_name(session_id: int, table: str, fmt: str) -> str:
    return f"session-{session_id}-{table.replace('_', '-')}.{fmt}"


def is_download(table: str, fmt: str) -> bool:
    return table in EXPORT_TABLES and fmt in EXPORT_FORMATS


def table_download(loaded: Loaded, table: str, fmt: str) -> dict[str, Any]:
    """``dcc.Download`` data for one table (ValueError for an unknown table or format)."""
    if not is_download(table, fmt):
        raise ValueError(f"no download {table!r} as {fmt!r}")
    content = table_bytes(loaded.data, table, fmt, debrief=loaded.debrief)
    return dcc.send_bytes(content, file_name(loaded.session_id, table, fmt))


def report_download(loaded: Loaded) -> dict[str, Any]:
    """``dcc.Download`` data for the self-contained HTML report."""
    text = render_report(loaded.data, loaded.debrief)
    return dcc.send_string(text, f"session-{loaded.session_id}-report.html")


def card() -> html.Section:
    items = [
        html.Div(
            [
                html.Span(LABELS.get(t, t), className="review-dl-label"),
                *[
                    dbc.Button(
                        FORMAT_LABELS[f],
                        id=button_id(t, f),
                        size="sm",
                        color="secondary",
                        outline=True,
                        className="review-dl",
                        title=f"{LABELS.get(t, t)} as {FORMAT_LABELS[f]}",
                    )
                    for f in EXPORT_FORMATS
                ],
            ],
            className="review-dl-item",
        )
        for t in EXPORT_TABLES
    ]
    return html.Section(
        [
            html.H2("Downloads", className="review-h2"),
            html.Div(items, className="review-dl-grid"),
            dbc.Button(
                "Full report (HTML)",
                id="review-report-btn",
                size="sm",
                color="info",
                outline=True,
                className="review-report-btn",
                title="The debrief report as one file that works offline",
            ),
            html.P(id=NOTICE_ID, className="review-error", role="alert"),
            dcc.Download(id="review-download"),
            dcc.Download(id="review-report-download"),
        ],
        id="review-downloads",
        className="review-card",
    )

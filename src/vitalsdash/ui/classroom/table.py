"""The class table: one row per trainee, their first and latest ended session side by
side and the trend between them, each name linking to the trainee's results."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import dash_bootstrap_components as dbc
from dash import dcc, html

from vitalsdash.classroom import RIGHT, WRONG, Decision, SessionResult, TraineeSummary, when
from vitalsdash.durations import span_in_columns

__all__ = ["CSV_PATH", "HEADERS", "decision", "section", "table"]

CSV_PATH = "/class/results.csv"
NONE = "–"
HEADERS = (
    "Trainee",
    "Sessions ended",
    "Last session",
    "Time to acknowledge",
    "Expected responses met",
    "Starting the infusion",
    "Discharge",
    "Trend",
)
_VERDICT = {RIGHT: ("right", "review-ok"), WRONG: ("wrong", "review-bad")}
TREND_CLASS = {"better": "review-ok", "worse": "review-bad", "mixed": "review-warn"}


def decision(d: Decision | None, *, words: bool = False) -> Any:
    """A decision as a coloured word (its sentence as a tooltip, or beside it)."""
    if d is None or not d.words:
        return NONE
    text, cls = _VERDICT.get(d.verdict, ("no decision", "muted"))
    mark = html.Span(text, className=f"class-verdict {cls}", title=d.words)
    return [mark, html.Div(d.words, className="class-words")] if words else mark


def _ack(r: SessionResult | None) -> str:
    return "" if r is None or r.median_ack_s is None else span_in_columns(r.median_ack_s)


def _pair(first: str, latest: str) -> str:
    """ "25 s → 8 s"; one figure when there is one session; a dash when none."""
    if not first and not latest:
        return NONE
    if first == latest or not first:
        return latest or first
    return f"{first} → {latest}"


def _sessions(t: TraineeSummary) -> str:
    return f"{t.done} (+{t.open} not ended)" if t.open else str(t.done)


def _row(t: TraineeSummary) -> html.Tr:
    same = (
        t.first is not None and t.latest is not None and t.first.session_id == t.latest.session_id
    )
    first = None if same else t.first
    return html.Tr(
        [
            html.Td(dcc.Link(t.name, href=f"/results/{t.user_id}")),
            html.Td(_sessions(t), className="num"),
            html.Td(when(t.last_session) or NONE),
            html.Td(_pair(_ack(first), _ack(t.latest))),
            html.Td(
                _pair(
                    first.expected_words if first else "",
                    t.latest.expected_words if t.latest else "",
                )
            ),
            html.Td(decision(None if t.latest is None else t.latest.screening)),
            html.Td(decision(None if t.latest is None else t.latest.discharge)),
            html.Td(
                html.Span(t.trend, className=TREND_CLASS.get(t.trend_key, "muted")),
                className="wrap",
            ),
        ],
        id=f"class-trainee-{t.user_id}",
    )


def table(rows: Sequence[TraineeSummary]) -> Any:
    if not rows:
        return html.P(
            "No trainee yet: trainees join with the class code, and their sessions show here.",
            className="review-empty",
            id="class-table",
        )
    return html.Div(
        dbc.Table(
            [
                html.Thead(html.Tr([html.Th(h, scope="col") for h in HEADERS])),
                html.Tbody([_row(t) for t in rows]),
            ],
            id="class-table",
            size="sm",
            hover=True,
            className="review-table class-table",
        ),
        className="review-table-wrap",
    )


def section(rows: Sequence[TraineeSummary]) -> html.Section:
    return html.Section(
        [
            html.Div(
                [
                    html.H2("Class results", className="review-h2"),
                    html.A(
                        "Download CSV",
                        href=CSV_PATH,
                        download="class-results.csv",
                        className="btn btn-sm class-btn",
                        id="class-csv",
                    ),
                ],
                className="class-card-head",
            ),
            html.P(
                "Per trainee, the first and the latest ended session: the median time to "
                "acknowledge an alarm, the expected responses met, and whether the infusion "
                "was started and the patient discharged at the right time. Open a name for "
                "every session.",
                className="review-note",
            ),
            html.Div(table(rows), id="class-table-body"),
        ],
        className="review-card",
        id="class-table-section",
    )

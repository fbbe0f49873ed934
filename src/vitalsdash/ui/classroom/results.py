"""A trainee's results: every session they took part in, with the educator's metrics, and
a small chart of time to acknowledge and expected responses met over their sessions."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import plotly.graph_objects as go
from dash import dcc, html

from vitalsdash.classroom import SessionResult, TraineeSummary, when
from vitalsdash.durations import hms, span_in_columns
from vitalsdash.ui.classroom.table import NONE, decision
from vitalsdash.ui.review.figure import AXIS, GRID
from vitalsdash.ui.review.list import status_badge
from vitalsdash.ui.theme import PALETTE

__all__ = ["csv_path", "figure", "page", "session_table"]

GRAPH_CONFIG = {"displaylogo": False, "displayModeBar": False, "responsive": True}


def csv_path(user_ref: int | str) -> str:
    """The download of one trainee's results (``me``: the trainee asking)."""
    return f"/results/{user_ref}.csv"


def figure(results: Sequence[SessionResult]) -> dict[str, Any]:
    """Per ended session (in order): the median time to acknowledge (line, seconds) and the
    share of expected responses met (bars, %), on the dark panel."""
    done = [r for r in results if r.ended and r.problem is None]
    x = list(range(1, len(done) + 1))
    hover = [f"Session {r.session_id} · {when(r.started)}" for r in done]
    fig = go.Figure(
        [
            go.Bar(
                x=x,
                y=[None if r.expected_share is None else 100 * r.expected_share for r in done],
                name="Expected responses met (%)",
                marker_color=PALETTE["ok"],
                opacity=0.55,
                width=0.5,
                yaxis="y2",
                customdata=hover,
                hovertemplate="%{customdata}<br>%{y:.0f}% met<extra></extra>",
            ),
            go.Scatter(
                x=x,
                y=[r.median_ack_s for r in done],
                name="Time to acknowledge (s)",
                mode="lines+markers",
                line={"color": PALETTE["link"], "width": 2},
                marker={"size": 8},
                customdata=hover,
                connectgaps=True,
                hovertemplate="%{customdata}<br>%{y:.0f} s to acknowledge<extra></extra>",
            ),
        ]
    )
    axis = {"gridcolor": GRID, "linecolor": AXIS, "zerolinecolor": AXIS, "color": PALETTE["muted"]}
    fig.update_layout(
        height=240,
        margin={"l": 50, "r": 50, "t": 10, "b": 40},
        paper_bgcolor=PALETTE["panel"],
        plot_bgcolor=PALETTE["panel"],
        font={"color": PALETTE["text"], "size": 12},
        legend={"orientation": "h", "y": -0.3},
        xaxis={**axis, "title": "session", "dtick": 1},
        yaxis={**axis, "title": "seconds", "rangemode": "tozero"},
        yaxis2={
            **axis,
            "title": "% met",
            "overlaying": "y",
            "side": "right",
            "range": [0, 105],
            "tickvals": [0, 25, 50, 75, 100],
            "showgrid": False,
        },
    )
    return fig.to_plotly_json()


def _session_cell(r: SessionResult, link_review: bool) -> Any:
    text = f"Session {r.session_id}"
    return dcc.Link(text, href=f"/review/{r.session_id}") if link_review else text


def session_table(results: Sequence[SessionResult], *, see_hidden: bool, link_review: bool) -> Any:
    """Newest first; the scenario only for those who may know it."""
    if not results:
        return html.P("No session yet.", className="review-empty", id="results-table")
    heads = [
        "Session",
        "Date",
        *(["Scenario"] if see_hidden else []),
        "Chair",
        "Length",
        "Time to acknowledge",
        "Alarms acknowledged",
        "Expected responses met",
        "Starting the infusion",
        "Discharge",
    ]
    body = []
    for r in reversed(results):
        session = [_session_cell(r, link_review), " ", status_badge(r.status)]
        cells: list[Any] = [html.Div(session, className="class-session"), when(r.started) or NONE]
        if see_hidden:
            cells.append(r.scenario or NONE)
        cells += [r.chair or NONE, hms(r.length_s)]
        if r.problem:
            cells.append(html.Span(f"This session {r.problem}", className="review-warn"))
            body.append(
                html.Tr(
                    [html.Td(c) for c in cells] + [html.Td(colSpan=4)],
                    id=f"results-session-{r.session_id}",
                )
            )
            continue
        cells += [
            span_in_columns(r.median_ack_s) or NONE,
            f"{r.acknowledged} of {r.alarms}" if r.alarms else NONE,
            r.expected_words or NONE,
        ]
        row = [html.Td(c) for c in cells]
        row += [
            html.Td(decision(r.screening, words=True), className="wrap"),
            html.Td(decision(r.discharge, words=True), className="wrap"),
        ]
        body.append(html.Tr(row, id=f"results-session-{r.session_id}"))
    return html.Div(
        html.Table(
            [html.Thead(html.Tr([html.Th(h, scope="col") for h in heads])), html.Tbody(body)],
            className="table table-sm review-table class-results",
            id="results-table",
        ),
        className="review-table-wrap",
    )


def _stats(summary: TraineeSummary) -> html.Div:
    latest = summary.latest
    items = [
        ("done", str(summary.done), "sessions ended"),
        (
            "ack",
            NONE
            if latest is None or latest.median_ack_s is None
            else span_in_columns(latest.median_ack_s),
            "time to acknowledge, latest",
        ),
        (
            "expected",
            (latest.expected_words if latest else "") or NONE,
            "expected responses met, latest",
        ),
    ]
    cards = [
        html.Div(
            [
                html.Div(value, className="review-stat-value", id=f"results-card-{key}"),
                html.Div(label, className="review-stat-label"),
            ],
            className=f"review-stat review-stat-{key}",
        )
        for key, value, label in items
    ]
    return html.Div(cards, className="review-stats", id="results-summary")


def page(
    summary: TraineeSummary,
    *,
    user_ref: int | str,
    see_hidden: bool,
    link_review: bool,
    back: tuple[str, str] | None,
) -> html.Div:
    """The results page of one trainee (``user_ref``: their id, or ``me``)."""
    results = summary.sessions
    head: list[Any] = [
        html.H1(f"Results of {summary.name}", className="review-title", id="results-title")
    ]
    links: list[Any] = []
    if back is not None:
        links.append(dcc.Link(back[0], href=back[1]))
    links.append(
        html.A(
            "Download CSV",
            href=csv_path(user_ref),
            id="results-csv",
            download=f"results-{user_ref}.csv",
            className="btn btn-sm class-btn",
        )
    )
    head.append(html.Div(links, className="review-links"))
    trend = summary.trend if summary.trend_key else ""
    done = [r for r in results if r.ended and r.problem is None]
    chart: Any = (
        dcc.Graph(
            id="results-chart",
            figure=figure(results),
            config=GRAPH_CONFIG,
            className="review-course-graph",
        )
        if done
        else html.P(
            "The chart shows once a session has ended.",
            className="review-empty",
            id="results-chart",
        )
    )
    return html.Div(
        [
            html.Header(html.Div(head, className="review-head-row"), className="review-head"),
            html.P(
                f"Since the first session: {trend[:1].lower() + trend[1:]}." if trend else "",
                className="review-note",
                id="results-trend",
            ),
            _stats(summary),
            html.Section(
                [
                    html.H2("Over the sessions", className="review-h2"),
                    chart,
                    html.P(
                        "Ended sessions in order: the median time to acknowledge an "
                        "alarm (line) and the share of the scenario's expected "
                        "responses met (bars).",
                        className="review-note",
                    ),
                ],
                className="review-card",
                id="results-chart-section",
            ),
            html.Section(
                [
                    html.H2("Sessions", className="review-h2"),
                    session_table(results, see_hidden=see_hidden, link_review=link_review),
                ],
                className="review-card",
                id="results-sessions-section",
            ),
        ],
        className="page review-page class-page results-page",
    )

"""The review page's course card: a patient's sessions side by side (the report's table,
``report.course_rows``) and a small trend of the systolic rise and the dissociation per
session, so an educator sees dissociation fade while the blood pressure response stays.
"""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go
from dash import dcc, html

from vitalsdash import channels
from vitalsdash.debrief import SessionData
from vitalsdash.protocol import NIBP_CHANNELS
from vitalsdash.report import COURSE_HEADERS, course_rows, course_title
from vitalsdash.ui.review.figure import AXIS, GRID, MARKERS
from vitalsdash.ui.review.metrics import section, table
from vitalsdash.ui.theme import PALETTE

__all__ = ["course_section", "trend_figure"]

NOTE = (
    "Per session: the mean of the valid cuff readings before the infusion (baseline), the "
    "highest valid reading from the infusion start on and its systolic rise, the highest "
    "clean heart rate, the highest scores charted, and the highest dissociation the "
    "simulated patient felt (hidden from the trainee). Over a course the blood pressure "
    "response does not fade; dissociation does."
)


def trend_figure(course: Any) -> dict[str, Any]:
    """Systolic rise (bars, mmHg) and dissociation felt and charted (lines, 0-10) per
    session number, on the dark panel."""
    s = course.sessions
    x = [c.number for c in s]
    bp = channels.get(NIBP_CHANNELS[0]).colour  # the systolic's
    fig = go.Figure(
        [
            go.Bar(x=x, y=[c.rise_sys for c in s], name="Systolic rise (mmHg)",
                   marker_color=bp, opacity=0.8),
            go.Scatter(x=x, y=[c.felt_dissociation for c in s], name="Dissociation felt",
                       yaxis="y2", mode="lines+markers", line={"color": PALETTE["link"]}),
            go.Scatter(x=x, y=[c.charted_dissociation for c in s], name="Dissociation charted",
                       yaxis="y2", mode="markers", marker={"color": MARKERS["charted"],
                                                          "size": 10, "symbol": "diamond"}),
        ]
    )  # fmt: skip
    axis = {"gridcolor": GRID, "linecolor": AXIS, "zerolinecolor": AXIS,
            "color": PALETTE["muted"]}  # fmt: skip
    fig.update_layout(
        height=220, margin={"l": 50, "r": 50, "t": 10, "b": 40},
        paper_bgcolor=PALETTE["panel"], plot_bgcolor=PALETTE["panel"],
        font={"color": PALETTE["text"], "size": 12},
        legend={"orientation": "h", "y": -0.3},
        xaxis={**axis, "title": "session", "dtick": 1},
        yaxis={**axis, "title": "mmHg", "rangemode": "tozero"},
        yaxis2={**axis, "title": "0–10", "overlaying": "y", "side": "right", "range": [0, 10],
                "tickmode": "linear", "tick0": 0, "dtick": 2, "showgrid": False},
    )  # fmt: skip
    return fig.to_plotly_json()


def _linked(cells: list[str], session_id: int, current: bool) -> list[Any]:
    """The session's number links to its own review (not the one shown)."""
    if current:
        return cells
    return [dcc.Link(cells[0], href=f"/review/{session_id}"), *cells[1:]]


def course_section(data: SessionData) -> html.Section | None:
    """The course card of a session of a patient's course; None for any other session."""
    course = data.course
    if course is None:
        return None
    rows = [
        (cls, _linked(cells, s.session_id, s.session_id == course.current))
        for (cls, cells), s in zip(course_rows(course), course.sessions, strict=True)
    ]
    body = html.Div(
        [
            html.P(f"{course_title(course)} · {course.scenario}", className="review-course-title",
                   id="review-course-title"),
            table(COURSE_HEADERS, rows, "review-course", "No session yet."),
            dcc.Graph(id="review-course-trend", figure=trend_figure(course),
                      config={"displaylogo": False, "displayModeBar": False},
                      className="review-course-graph"),
        ]
    )  # fmt: skip
    return section("Course of sessions", body, "review-course-section", note=NOTE)

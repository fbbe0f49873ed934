"""Session review: the whole session on one timeline, the training metrics of the
debrief and the exports. ``/review`` lists the sessions; ``/review/<session>`` reviews one.

The timeline is the HTML report's (``report.timeline_figure``, min/max per time bucket for
long sessions) in the monitor's colours, and so are the waveform strips at the alarm
onsets (``report.strip_figure``, one at a time); the metrics are ``debrief.compute_debrief``'s;
the downloads are ``report.table_bytes`` and ``report.render_report``. Loading is cached
per session revision (review/data.py), so a 6-hour session opens quickly again.
The layout and the callbacks' work live in review/page.py (plain functions).
"""

from __future__ import annotations

from typing import Any

import dash
from dash import ALL, Input, Output, State, callback, clientside_callback, ctx, no_update

from vitalsdash.ui.review import page as review_page

__all__ = ["layout"]


def _title(session_id: str | None = None, **_: Any) -> str:
    return f"Review session {session_id} · vitalsdash"


dash.register_page(__name__, path_template="/review/<session_id>", name="Review", title=_title)
dash.register_page(
    f"{__name__}_list",
    path="/review",
    name="Review",
    title="Review · vitalsdash",
    layout=review_page.sessions_layout,
)


def layout(session_id: str | None = None, **kwargs: Any) -> Any:
    """``/review/<session>``: the review, or a clear message when there is none."""
    return review_page.review_layout(session_id, **kwargs)


# --- callbacks -------------------------------------------------------------------------


@callback(
    Output("review-timeline", "figure"),
    Input("review-values", "value"),
    State("review-sid", "data"),
    State("review-xrange", "data"),
    prevent_initial_call=True,
)
def review_values(values: str, session_id: int, x_range: Any) -> dict[str, Any]:
    """Measured or noise-free values: the same timeline, drawn from the other column, on
    the part of the session the reader was looking at."""
    return review_page.figure_for(session_id, values or "measured", x_range)


@callback(
    Output("review-strip-body", "children"),
    Input("review-strip-select", "value"),
    State("review-sid", "data"),
    prevent_initial_call=True,
)
def review_strip(index: str | None, session_id: int) -> Any:
    """The chosen alarm onset's waveform strip: read and drawn only when asked for."""
    return review_page.strip_for(session_id, index)


@callback(
    Output("review-download", "data"),
    Input({"type": "review-dl", "table": ALL, "fmt": ALL}, "n_clicks"),
    State("review-sid", "data"),
    prevent_initial_call=True,
)
def review_download(_clicks: list[int | None], session_id: int) -> Any:
    if not any(t.get("value") for t in ctx.triggered):
        return no_update
    return review_page.download_for(session_id, ctx.triggered_id)


@callback(
    Output("review-report-download", "data"),
    Input("review-report-btn", "n_clicks"),
    State("review-sid", "data"),
    prevent_initial_call=True,
    running=[(Output("review-report-btn", "disabled"), True, False)],
)
def review_report(n_clicks: int | None, session_id: int) -> Any:
    """The HTML report of the session, as ``vitalsdash report`` writes it."""
    return review_page.report_for(session_id, n_clicks)


clientside_callback(
    """
    function (clicks, ranges) {
        const dc = window.dash_clientside;
        const id = dc.callback_context.triggered_id;
        const graph = document.querySelector('#review-timeline .js-plotly-plot');
        if (!id || !ranges || !ranges[id.i] || !graph || !graph._fullLayout) {
            return dc.no_update;
        }
        const update = {};
        Object.keys(graph._fullLayout)
            .filter(k => /^xaxis\\d*$/.test(k))
            .forEach(k => { update[k + '.range'] = ranges[id.i].slice(); });
        window.Plotly.relayout(graph, update);
        return ranges[id.i].slice();  // what the values toggle keeps
    }
    """,
    Output("review-xrange", "data", allow_duplicate=True),
    Input({"type": "review-zoom", "i": ALL}, "n_clicks"),
    State("review-zoom-ranges", "data"),
    prevent_initial_call=True,
)
clientside_callback(
    """
    function (rd) {
        // the time range shown: a zoom, a phase button, or back to the whole session
        const dc = window.dash_clientside;
        if (!rd) { return dc.no_update; }
        let lo, hi, auto = false;
        for (const [k, v] of Object.entries(rd)) {
            const m = k.match(/^xaxis\\d*\\.range\\[([01])\\]$/);
            if (m) { if (m[1] === '0') { lo = v; } else { hi = v; } }
            else if (/^xaxis\\d*\\.range$/.test(k) && Array.isArray(v)) { [lo, hi] = v; }
            else if (/^xaxis\\d*\\.autorange$/.test(k) && v) { auto = true; }
        }
        if (typeof lo === 'number' && typeof hi === 'number') { return [lo, hi]; }
        return auto ? null : dc.no_update;
    }
    """,
    Output("review-xrange", "data"),
    Input("review-timeline", "relayoutData"),
    prevent_initial_call=True,
)

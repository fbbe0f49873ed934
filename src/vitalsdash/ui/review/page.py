"""The review page's layout and its callbacks' work, as plain functions.

``pages/review.py`` only registers the pages and wires the callbacks to the functions
here, so they can be unit-tested without an app (importing a page module needs one).
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import dash_bootstrap_components as dbc
from dash import dcc, html, no_update, set_props
from flask import Response, abort

from vitalsdash import channels
from vitalsdash.render_slots import RenderBusyError, RenderSlots
from vitalsdash.report import clock, duration
from vitalsdash.store import StoreUnavailableError
from vitalsdash.ui import fmt
from vitalsdash.ui._runtime import get_runtime
from vitalsdash.ui.review import course as review_course
from vitalsdash.ui.review import downloads as review_downloads
from vitalsdash.ui.review import list as review_list
from vitalsdash.ui.review import metrics as review_metrics
from vitalsdash.ui.review import strips as review_strips
from vitalsdash.ui.review.data import (
    VALUES,
    Loaded,
    ReviewError,
    load,
    parse_session_id,
)
from vitalsdash.ui.review.figure import LINES, MARKERS, channel_colours
from vitalsdash.ui.theme import PALETTE

__all__ = [
    "RENDER_SLOTS",
    "download_for",
    "figure_for",
    "report_for",
    "review_layout",
    "sessions_layout",
    "strip_for",
]

GRAPH_CONFIG = {
    "displaylogo": False,
    "responsive": True,
    "scrollZoom": False,
    "modeBarButtonsToRemove": ["select2d", "lasso2d", "autoScale2d"],
    "toImageButtonOptions": {"format": "png", "filename": "session-timeline"},
}
MAX_PHASE_BUTTONS = 8
RENDER_SLOTS = RenderSlots(2)
"""Reports and exports built at once for the review page's downloads (a few hundred ms
and up to ~150 MB each for a 6-hour session); more are refused with a 503."""
NOTICE_ID = review_downloads.NOTICE_ID
log = logging.getLogger(__name__)


def sessions_layout(**_: Any) -> html.Div:
    """``/review``: every session in the store, newest first."""
    rt = get_runtime()
    return review_list.layout(rt.store.sessions(), {b.bed_id for b in rt.views().beds})


# --- pieces ------------------------------------------------------------------------------


def unavailable(message: str) -> html.Div:
    """A clear message instead of a review (an unknown or unreadable session)."""
    return html.Div(
        [
            html.H1("Nothing to review", className="review-title"),
            html.P(message, id="review-error", className="review-error", role="alert"),
            dcc.Link("← All sessions", href="/review"),
        ],
        className="page review-page",
    )


def header(loaded: Loaded) -> html.Div:
    info = loaded.data.info
    bed = info.get("bed_id") or ""
    meta = [
        ("bed", info.get("label") or bed),
        ("scenario", info.get("scenario")),
        ("protocol", info.get("protocol")),
        ("alarm profile", info.get("alarm_profile")),
        ("started", review_list.when(info.get("started_wall"))),
        ("length", f"{clock(loaded.debrief.end_t_s)} ({duration(loaded.debrief.end_t_s)})"),
    ]
    links: list[Any] = [dcc.Link("← All sessions", href="/review")]
    if get_runtime().view(bed) is not None:
        links.append(dcc.Link("Bedside", href=f"/bed/{bed}"))
    items = [
        html.Span([html.Span(k, className="review-meta-key"), html.Span(str(v))])
        for k, v in meta
        if v not in (None, "")
    ]
    return html.Header(
        [
            html.Div(
                [
                    html.H1(f"Session {loaded.session_id}", className="review-title"),
                    review_list.status_badge(info.get("status")),
                    html.Div(links, className="review-links"),
                ],
                className="review-head-row",
            ),
            html.Div(items, className="review-meta", id="review-meta"),
        ],
        className="review-head",
    )


def running_note(loaded: Loaded) -> html.P | None:
    if loaded.data.info.get("status") in ("ended", "discharged"):
        return None
    return html.P(
        f"This session is {loaded.data.info.get('status') or 'not ended'}: shown as of "
        f"{clock(loaded.debrief.end_t_s)}. Reload the page for what happened since.",
        className="review-running",
        id="review-running",
    )


def phase_ranges(loaded: Loaded) -> list[tuple[str, list[float]]]:
    """Zoom buttons: the whole session, then each phase (minutes, as the figure's axis)."""
    end_min = loaded.debrief.end_t_s / 60.0
    out = [("Whole session", [0.0, max(end_min, 1 / 60)])]
    for span in loaded.debrief.phases:
        if span.end_t_s > span.start_t_s and len(out) <= MAX_PHASE_BUTTONS:
            out.append((fmt.phase(span.phase), [span.start_t_s / 60.0, span.end_t_s / 60.0]))
    return out


def _key(label: str, colour: str, shape: str = "line") -> html.Span:
    return html.Span(
        [html.Span(className=f"swatch swatch-{shape}", style={"--c": colour}), label],
        className="review-key-item",
    )


def _channel_keys() -> list[html.Span]:
    """One key per continuous channel (a line) and per periodic panel (a dot)."""
    lines, markers = channel_colours()
    out = [_key(c.label, lines[c.short]) for c in channels.of_kind(channels.Kind.CONTINUOUS)]
    for panel in channels.panels().values():
        if panel[0].periodic:
            out.append(_key(panel[0].panel_label, markers[panel[0].short], "dot"))
    return out


def key() -> html.Div:
    """What the marks mean (the figure has no legend: too many traces)."""
    return html.Div(
        [
            *_channel_keys(),
            _key("pump", LINES["pump"]),
            _key("limits (the row's colour)", PALETTE["muted"], "dash"),
            _key("HIGH", LINES["HIGH"], "bar"),
            _key("MEDIUM", LINES["MEDIUM"], "bar"),
            _key("LOW", LINES["LOW"], "bar"),
            _key("latched", LINES["latched"], "dash"),
            html.Span("| acknowledged", className="review-key-item"),
            html.Span("× suppressed", className="review-key-item"),
            _key("trainee", MARKERS["trainee"], "dot"),
            _key("instructor", MARKERS["instructor"], "dot"),
            _key("charted", MARKERS["charted"], "dot"),
            _key("scenario event", MARKERS["scenario"], "dash"),
        ],
        className="review-key",
        **{"aria-label": "Timeline key"},
    )


def toolbar(loaded: Loaded) -> html.Div:
    ranges = phase_ranges(loaded)
    zoom = html.Div(
        [
            html.Span("Show", className="review-tool-label", id="review-zoom-label"),
            html.Div(
                [
                    dbc.Button(
                        label,
                        id={"type": "review-zoom", "i": i},
                        size="sm",
                        color="secondary",
                        outline=True,
                        className="review-zoom",
                    )
                    for i, (label, _) in enumerate(ranges)
                ],
                className="btn-group btn-group-sm",
                role="group",
                **{"aria-labelledby": "review-zoom-label"},
            ),
        ],
        className="review-tool",
    )
    values = html.Div(
        [
            html.Span("Values", className="review-tool-label", id="review-values-label"),
            dbc.RadioItems(
                id="review-values",
                value="measured",
                inline=True,
                className="btn-group btn-group-sm review-values",
                inputClassName="btn-check",
                labelClassName="btn btn-sm btn-outline-info",
                labelCheckedClassName="active",
                options=[
                    {"label": "Measured", "value": "measured"},
                    {
                        "label": "Noise-free",
                        "value": "true",
                        "disabled": not loaded.has_true_values,
                    },
                ],
            ),
        ],
        className="review-tool",
        title="Noise-free: the simulator's true values, without artefacts and sensor noise",
    )
    return html.Div(
        [zoom, values, dcc.Store(id="review-zoom-ranges", data=[r for _, r in ranges])],
        className="review-toolbar",
    )


def timeline(loaded: Loaded) -> html.Section:
    return html.Section(
        [
            toolbar(loaded),
            dcc.Graph(
                id="review-timeline",
                figure=loaded.figure("measured"),
                config=GRAPH_CONFIG,
                className="review-graph",
            ),
            key(),
            html.P(
                "Drag to zoom, double-click to see the whole session. Shaded: phases. Long "
                "sessions are drawn from the min and max of each time bucket, so every "
                "excursion still shows.",
                className="review-note",
            ),
        ],
        className="review-card review-timeline-card",
        id="review-timeline-section",
    )


def review_layout(session_id: str | None = None, **_: Any) -> html.Div:
    """``/review/<session>``: the review, or a clear message when there is none."""
    try:
        loaded = load(get_runtime().store, parse_session_id(session_id))
        return _review(loaded)
    except ReviewError as exc:
        return unavailable(str(exc))
    except StoreUnavailableError:
        raise  # not the record's fault: the server answers 503, the page tries again
    except Exception as exc:  # a record the figure or the tables cannot take: say so
        log.exception("review of session %s failed", session_id)
        return unavailable(f"Session {session_id} cannot be shown: {exc}")


def _review(loaded: Loaded) -> html.Div:
    db, data = loaded.debrief, loaded.data
    m = review_metrics
    return html.Div(
        [
            dcc.Store(id="review-sid", data=loaded.session_id),
            dcc.Store(id="review-xrange"),
            header(loaded),
            running_note(loaded),
            m.summary_cards(db),
            timeline(loaded),
            m.start_section(db),
            review_course.course_section(data),
            dbc.Row(
                [
                    dbc.Col(m.expected_section(db), xxl=5, lg=12),
                    dbc.Col(m.discharge_section(db), xxl=4, lg=6),
                    dbc.Col(review_downloads.card(), xxl=3, lg=6),
                ],
                className="g-2",
            ),
            m.episodes_section(db),
            review_strips.section(loaded),
            dbc.Row(
                [
                    dbc.Col(m.silenced_section(db), lg=6),
                    dbc.Col(m.suppressed_section(db), lg=6),
                ],
                className="g-2",
            ),
            dbc.Row(
                [
                    dbc.Col(m.actions_section(data), lg=7),
                    dbc.Col(m.observations_section(data), lg=5),
                ],
                className="g-2",
            ),
            m.scores_section(db),
        ],
        className="page review-page",
    )


# --- the callbacks' work ----------------------------------------------------------------


def _callback_session(session_id: Any) -> Loaded | None:
    """The session a callback's State names (sent by the browser, so untrusted: "abc",
    10**30, a session since deleted); None, with a message on the page, if there is none."""
    try:
        return load(get_runtime().store, parse_session_id(session_id))
    except ReviewError as exc:
        notify(str(exc))
        return None


def notify(message: str) -> None:
    """A one-line message under the downloads (a callback's outcome other than its output)."""
    set_props(NOTICE_ID, {"children": message})


@contextmanager
def _render_slot() -> Iterator[None]:
    """One of the bounded render slots, or a 503 with Retry-After and a JSON message."""
    try:
        with RENDER_SLOTS.slot():
            yield
    except RenderBusyError as exc:
        body = json.dumps({"error": "busy", "message": str(exc)})
        abort(Response(body, 503, {"Retry-After": str(exc.retry_after_s)},
                       mimetype="application/json"))  # fmt: skip


def figure_for(session_id: Any, values: str, x_range: Any = None) -> Any:
    """The timeline with ``values`` measured or true (noise-free), showing ``x_range``
    (minutes; the part the reader was looking at) when one is given."""
    if values not in VALUES:
        notify(f"values must be one of {', '.join(VALUES)}")
        return no_update
    loaded = _callback_session(session_id)
    if loaded is None:
        return no_update
    fig = loaded.figure(values)
    if not _is_range(x_range):
        return fig
    layout = {
        k: ({**v, "range": [float(x_range[0]), float(x_range[1])]} if _is_x_axis(k) else v)
        for k, v in fig["layout"].items()
    }
    return {**fig, "layout": layout}


def _is_x_axis(key: str) -> bool:
    return key == "xaxis" or (key.startswith("xaxis") and key[5:].isdigit())


def _is_range(r: Any) -> bool:
    if not (
        isinstance(r, (list, tuple))
        and len(r) == 2
        and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in r)
    ):
        return False
    try:  # from the browser: 1e999 parses as inf, 10**400 has no float
        lo, hi = float(r[0]), float(r[1])
    except OverflowError:
        return False
    return math.isfinite(lo) and math.isfinite(hi) and lo < hi


def strip_for(session_id: Any, index: Any) -> Any:
    """The strip of the alarm onset the selector names (the section's body)."""
    loaded = _callback_session(session_id)
    if loaded is None:
        return no_update
    i = review_strips.strip_index(loaded, index)
    if i is None:
        notify(f"There is no alarm onset {str(index)[:10]!r} in this session.")
        return no_update
    return review_strips.body(loaded, i)


def download_for(session_id: Any, trigger: Any) -> Any:
    """The file a download button asks for (``trigger`` is the button's id)."""
    if not isinstance(trigger, dict) or trigger.get("type") != "review-dl":
        return no_update
    table, fmt = str(trigger.get("table")), str(trigger.get("fmt"))
    if not review_downloads.is_download(table, fmt):
        notify(f"There is no download {table[:40]!r} as {fmt[:10]!r}.")
        return no_update
    with _render_slot():
        loaded = _callback_session(session_id)
        return no_update if loaded is None else review_downloads.table_download(loaded, table, fmt)


def report_for(session_id: Any, n_clicks: int | None) -> Any:
    """The HTML report of the session, as ``vitalsdash report`` writes it."""
    if not n_clicks:
        return no_update
    with _render_slot():
        loaded = _callback_session(session_id)
        return no_update if loaded is None else review_downloads.report_download(loaded)

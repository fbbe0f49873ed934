"""The review page's training metrics, from a :class:`vitalsdash.debrief.Debrief`.

Every figure here is the debrief's (docs/debrief.md), formatted as the HTML report
formats it (``report.clock`` for times from the start, ``report.duration`` for spans).
Whatever a person typed (notes, reasons, parameters) goes into the page as text: Dash
escapes it.
"""

from __future__ import annotations

from collections.abc import Container, Iterable, Sequence
from typing import Any

import dash_bootstrap_components as dbc
from dash import html

from vitalsdash.debrief import CLOSE_POINTS, Debrief, SessionData, score_summary
from vitalsdash.report import (
    ACTION_HEADERS,
    EPISODE_HEADERS,
    EXPECTED_HEADERS,
    NEVER,
    SCORE_HEADERS,
    SILENCED_HEADERS,
    SUPPRESSED_HEADERS,
    action_cells,
    clock,
    duration,
    num,
    score_rows,
    silenced_rows,
    start_lines,
    suppressed_rows,
)
from vitalsdash.report import episode_rows as report_episode_rows
from vitalsdash.report import expected_rows as report_expected_rows

__all__ = [
    "episode_rows", "observations_section", "scores_section", "start_section", "summary_items",
    "table",
]  # fmt: skip

NONE = "–"


def table(
    headers: Sequence[str],
    rows: Iterable[tuple[str, Sequence[Any]]],
    table_id: str,
    empty: str,
    wrap: Container[int] = (),
) -> Any:
    """A compact dark table; rows are ``(class, cells)``; a cell is text or a component.
    Cells stay on one line, except in the columns listed in ``wrap``."""
    body = [
        html.Tr(
            [html.Td(c, className="wrap" if i in wrap else None) for i, c in enumerate(cells)],
            className=cls or None,
        )
        for cls, cells in rows
    ]
    if not body:
        return html.P(empty, className="review-empty", id=table_id)
    return html.Div(
        dbc.Table(
            [html.Thead(html.Tr([html.Th(h, scope="col") for h in headers])), html.Tbody(body)],
            id=table_id,
            size="sm",
            className="review-table",
        ),
        className="review-table-wrap",
    )


def section(title: str, body: Any, section_id: str, note: str | None = None) -> html.Section:
    parts: list[Any] = [html.H2(title, className="review-h2")]
    if note:
        parts.append(html.P(note, className="review-note"))
    parts.append(body)
    return html.Section(parts, id=section_id, className="review-card")


# --- summary ---------------------------------------------------------------------------


def summary_items(debrief: Debrief) -> list[tuple[str, str, str]]:
    """(key, value, label) of the headline figures, as the report's summary shows them."""
    s = debrief.summary()
    exp = s["expected"]
    prio = s["episodes_by_priority"]
    return [
        ("episodes", str(s["episodes"]), "alarm episodes"),
        (
            "by-priority",
            f"{prio.get('HIGH', 0)} / {prio.get('MEDIUM', 0)} / {prio.get('LOW', 0)}",
            "HIGH / MEDIUM / LOW",
        ),
        ("median-ack", duration(s["median_time_to_ack_s"]) or NONE, "median time to acknowledge"),
        (
            "median-action",
            duration(s["median_time_to_action_s"]) or NONE,
            "median time to first action",
        ),
        ("never-acked", str(s["never_acknowledged"]), "never acknowledged"),
        ("silenced", str(s["silenced_unresolved"]), "silenced, not resolved"),
        ("suppressed", str(s["suppressed"]), "nuisance excursions suppressed"),
        (
            "expected",
            f"{exp['met']} / {exp['late']} / {exp['missed']}",
            "expected: met / late / missed",
        ),
    ]


def summary_cards(debrief: Debrief) -> html.Div:
    cards = [
        html.Div(
            [
                html.Div(value, className="review-stat-value", id=f"review-card-{key}"),
                html.Div(label, className="review-stat-label"),
            ],
            className=f"review-stat review-stat-{key}",
        )
        for key, value, label in summary_items(debrief)
    ]
    return html.Div(cards, className="review-stats", id="review-summary")


# --- alarm episodes ---------------------------------------------------------------------


def episode_rows(debrief: Debrief) -> list[tuple[str, list[Any]]]:
    """The report's episode table, with "never" acknowledged marked for the eye."""
    out = []
    for cls, cells in report_episode_rows(debrief):
        ack = cells[7]
        cells = [*cells[:7], html.Span(ack, className="review-bad") if ack == NEVER else ack,
                 cells[8] or NONE, *cells[9:]]  # fmt: skip
        out.append((cls, cells))
    return out


def episodes_section(debrief: Debrief) -> html.Section:
    return section(
        "Alarm episodes",
        table(
            EPISODE_HEADERS,
            episode_rows(debrief),
            "review-episodes",
            "No alarm episode.",
            wrap=(9,),
        ),
        "review-episodes-section",
        note="Time to acknowledge and to the trainee's first action are measured from the "
        "start of each episode; priority shows escalations (start→highest).",
    )


def silenced_section(debrief: Debrief) -> html.Section:
    return section(
        "Silenced but not resolved",
        table(
            SILENCED_HEADERS,
            silenced_rows(debrief),
            "review-silenced",
            "None: every silenced alarm was resolved.",
            wrap=(2, 3),
        ),
        "review-silenced-section",
        note="Acknowledged or audio-paused alarms still active at the end of the session, or "
        f"for more than {duration(debrief.silenced_limit_s)} after being silenced.",
    )


def suppressed_section(debrief: Debrief) -> html.Section:
    per = debrief.suppressed_by_condition
    badges = html.Ul(
        [
            html.Li(
                [
                    html.Span(debrief.words(cond), className="review-cond"),
                    html.Span(str(n), className="count"),
                ],
                **{"data-condition": cond},
            )
            for cond, n in per.items()
        ],
        className="review-counts",
        id="review-suppressed-by",
    )
    detail = table(
        SUPPRESSED_HEADERS,
        [("", row) for row in suppressed_rows(debrief)],
        "review-suppressed",
        "",
    )
    body: list[Any] = [
        html.P(
            [
                html.Span(str(len(debrief.suppressed)), id="review-suppressed-total"),
                " excursion(s) came back within their condition delay and never sounded.",
            ]
        )
    ]
    if per:
        body += [
            badges,
            html.Details(
                [html.Summary("Every suppressed excursion"), detail], className="review-details"
            ),
        ]
    return section("Suppressed nuisance excursions", html.Div(body), "review-suppressed-section")


# --- expected responses and discharge ---------------------------------------------------

STATUS_CLASS = {"met": "review-ok", "late": "review-warn", "missed": "review-bad"}


def expected_rows(debrief: Debrief) -> list[tuple[str, list[Any]]]:
    """The report's rows (the same words), the result coloured and empty cells dashed."""
    return [
        (
            f"exp-{status}",
            [
                html.Span(cells[0], className=STATUS_CLASS.get(status, "muted")),
                *(c or NONE for c in cells[1:]),
            ],
        )
        for status, cells in report_expected_rows(debrief)
    ]


def expected_section(debrief: Debrief) -> html.Section:
    return section(
        "Expected responses",
        table(
            EXPECTED_HEADERS,
            expected_rows(debrief),
            "review-expected",
            "The scenario declares no expected responses (or none was triggered).",
            wrap=(3, 6, 8),
        ),
        "review-expected-section",
    )


def discharge_section(debrief: Debrief) -> html.Section:
    d = debrief.discharge
    verdict_cls = "review-ok" if d.ready else ("review-bad" if d.ready is False else "muted")
    parts: list[Any] = [html.P(d.verdict, className=f"review-verdict {verdict_cls}")]
    lines = d.lines(clock)
    if d.first_ready_t_s is not None:
        lines.append(f"Readiness was first met at {clock(d.first_ready_t_s)}.")
    elif d.ready is not None:
        lines.append("Readiness was never met during the session.")
    if d.protocol:
        lines.append(f"Judged by the protocol “{d.protocol}” at {clock(d.evaluated_t_s)}.")
    parts.append(html.Div([html.P(x) for x in lines], id="review-discharge-lines"))
    if d.criteria:
        parts.append(
            html.Ul(
                [
                    html.Li(
                        [
                            html.Span("✓" if c.met else "✗", className="crit-mark"),
                            html.Span(c.name.replace("_", " "), className="crit-name"),
                            html.Span(c.detail, className="crit-detail"),
                        ],
                        className="crit-met" if c.met else "crit-missing",
                    )
                    for c in d.criteria
                ],
                className="review-criteria",
                id="review-criteria",
            )
        )
    return html.Section(
        [html.H2("Discharge decision", className="review-h2"), *parts],
        id="review-discharge",
        className="review-card",
    )


# --- the start of the infusion ------------------------------------------------------

_START_CLASS = {"bad": "review-bad", "refused": "review-warn", "caution": "review-warn",
                "ok": "review-ok", "muted": "muted"}  # fmt: skip


def start_section(debrief: Debrief) -> html.Section:
    """How the infusion was started: the check, refused attempts, an override (the
    report's words)."""
    lines = start_lines(debrief)
    body = html.Div(
        [html.P(text, className=f"start-line start-{cls} {_START_CLASS.get(cls, '')}")
         for cls, text in lines] or [html.P("Not judged.", className="review-empty")],
        id="review-start-lines",
    )  # fmt: skip
    return section("Starting the infusion", body, "review-start")


# --- what people did ------------------------------------------------------------------


def actions_section(data: SessionData) -> html.Section:
    rows = [("refused" if not a.done else "", action_cells(a)) for a in data.actions]
    return section(
        "Actions",
        table(
            ACTION_HEADERS,
            rows,
            "review-actions",
            "None.",
            wrap=(3, 4),
        ),
        "review-actions-section",
    )


_SCORE_CLASS = {"score-close": "review-ok", "score-under": "review-bad",
                "score-over": "review-warn"}  # fmt: skip


def scores_section(debrief: Debrief) -> html.Section:
    """Charted sedation, dissociation and nausea beside the patient's own scores (the
    report's table), with how close they came."""
    rows = [
        (cls, [*cells[:5], html.Span(cells[5], className=_SCORE_CLASS.get(cls, ""))])
        for cls, cells in score_rows(debrief)
    ]
    summary = score_summary(debrief.scores).words()
    body = html.Div(
        [
            html.P(summary, id="review-scores-summary") if summary else None,
            table(SCORE_HEADERS, rows, "review-scores",
                  "No sedation, dissociation or nausea score was charted (or the patient's "
                  "own scores were not recorded).", wrap=(5,)),
        ]
    )  # fmt: skip
    return section(
        "Charted scores against the patient's own",
        body,
        "review-scores-section",
        note="Each score charted, beside the score the simulated patient actually had at that "
        f"moment (whole points); within ±{CLOSE_POINTS} points is about right.",
    )


def observations_section(data: SessionData) -> html.Section:
    rows = [
        ("", [clock(o.t_s), o.actor, o.kind, num(o.value), o.text or ""]) for o in data.observations
    ]
    return section(
        "Charted observations and notes",
        table(
            ("at", "by", "kind", "score", "note"),
            rows,
            "review-observations",
            "Nothing charted.",
            wrap=(4,),
        ),
        "review-observations-section",
    )

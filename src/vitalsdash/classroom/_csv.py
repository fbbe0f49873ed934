"""The class results as CSV files an educator opens in a spreadsheet.

Private to :mod:`vitalsdash.classroom`. Headers are in plain words; times from the start
as H:MM:SS, spans in seconds (a number a spreadsheet can average). Trainees type their own
names when they join by class code, so every text cell is made safe against formula
injection: a cell starting with ``=``, ``+``, ``-``, ``@`` (or a tab or carriage return,
which some spreadsheets strip first) gets a leading ``'``, so it is read as text.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from vitalsdash.classroom._class import TraineeSummary
from vitalsdash.classroom._results import SessionResult
from vitalsdash.durations import hms

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

RESULT_HEADERS: tuple[str, ...] = (
    "Trainee",
    "Session",
    "Date",
    "Scenario",
    "Chair",
    "Status",
    "Length",
    "Median time to acknowledge (s)",
    "Alarms acknowledged",
    "Alarms",
    "Expected responses met",
    "Expected responses",
    "Starting the infusion",
    "Starting the infusion, in words",
    "Discharge",
    "Discharge, in words",
    "Problem",
)
"""One row per session (and per trainee, when several acted in one session)."""

CLASS_HEADERS: tuple[str, ...] = (
    "Trainee",
    "Sessions ended",
    "Sessions not ended",
    "Last session",
    "First: median time to acknowledge (s)",
    "First: expected responses met",
    "First: starting the infusion",
    "First: discharge",
    "Latest: median time to acknowledge (s)",
    "Latest: expected responses met",
    "Latest: starting the infusion",
    "Latest: discharge",
    "Trend",
)


def safe_cell(value: Any) -> Any:
    """A cell a spreadsheet shows as written: text that could start a formula gets a
    leading ``'``; numbers and empty cells pass as they are."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float):
        return value
    text = str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def when(dt: datetime | None) -> str:
    """A wall-clock time as the pages show it ("2025-03-01 09:30 UTC")."""
    return "" if dt is None else dt.strftime("%Y-%m-%d %H:%M UTC")


def seconds(value: float | None) -> float | str:
    return "" if value is None else round(float(value), 1)


def _write(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([safe_cell(h) for h in headers])
    for row in rows:
        writer.writerow([safe_cell(c) for c in row])
    return out.getvalue()


def result_cells(r: SessionResult, trainee: str, *, with_scenario: bool = True) -> list[Any]:
    """One session's row of :data:`RESULT_HEADERS` (the scenario blank when hidden)."""
    return [
        trainee,
        r.session_id,
        when(r.started),
        r.scenario if with_scenario else "",
        r.chair,
        r.status,
        hms(r.length_s),
        seconds(r.median_ack_s),
        r.acknowledged,
        r.alarms,
        r.expected_met,
        r.expected_total,
        r.screening.verdict,
        r.screening.words,
        r.discharge.verdict,
        r.discharge.words,
        r.problem or "",
    ]


def results_csv(
    rows: Sequence[SessionResult], trainee: str = "", *, with_scenario: bool = True
) -> str:
    """One trainee's sessions as CSV (``trainee``: their name in every row; empty: the
    names of everyone who acted in each session). ``with_scenario`` False leaves the
    scenario out (it is the instructor's to know, not the trainee's)."""
    headers = (
        RESULT_HEADERS if with_scenario else tuple(h for h in RESULT_HEADERS if h != "Scenario")
    )
    lines = []
    for r in rows:
        cells = result_cells(r, trainee or ", ".join(r.people), with_scenario=with_scenario)
        if not with_scenario:
            del cells[RESULT_HEADERS.index("Scenario")]
        lines.append(cells)
    return _write(headers, lines)


def _firsts(r: SessionResult | None) -> list[Any]:
    if r is None:
        return ["", "", "", ""]
    return [seconds(r.median_ack_s), r.expected_words, r.screening.verdict, r.discharge.verdict]


def class_csv(rows: Sequence[TraineeSummary]) -> str:
    """The class table as CSV: one row per trainee."""
    return _write(
        CLASS_HEADERS,
        (
            [
                t.name,
                t.done,
                t.open,
                when(t.last_session),
                *_firsts(t.first),
                *_firsts(t.latest),
                t.trend,
            ]
            for t in rows
        ),
    )

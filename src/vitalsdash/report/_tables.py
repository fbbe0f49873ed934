"""The debrief's tables as rows of words and numbers, for people to read.

The HTML report and the review page show the same tables with the same words: both take
their rows and headers from here, so a change of wording reaches both. Times and spans
follow :mod:`vitalsdash.durations`, the one home of their formatting. No HTML here (the
report escapes the cells when it writes them) and no Dash.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from vitalsdash.adapters.simulator import SAID
from vitalsdash.debrief import Debrief, by_name, done_words, response_words
from vitalsdash.durations import hms, span_in_columns


def clock(t_s: float | None) -> str:
    """Seconds from the start as H:MM:SS ("" for None).

    A thin wrapper over :func:`vitalsdash.durations.hms`, kept so the report's cells and
    the review page read the same name for the same job."""
    return hms(t_s)


def duration(s: float | None) -> str:
    """A duration as "45 s", "3 min 05 s" or "1 h 02 min" ("" for None).

    A thin wrapper over :func:`vitalsdash.durations.span_in_columns` (a span in a table
    column), kept for the same reason as :func:`clock`."""
    return span_in_columns(s)


def num(v: Any) -> str:
    """A value as the report prints it ("" when there is none)."""
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return ""
    f = float(v)
    return f"{f:g}" if abs(f) < 1e6 else f"{f:.6g}"


def params_text(p: Mapping[str, Any]) -> str:
    """Parameters as "key=value, ...", leaving out the empty ones (a cell stays short)."""
    return ", ".join(f"{k}={v}" for k, v in p.items() if v not in (None, "", {}))


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
        name = f"{debrief.words(e.condition)} #{e.number}"
        rows.append((f"prio-{e.priority}", [
            name, prio, clock(e.start_t_s), end, duration(e.duration_s),
            num(e.peak_value), num(e.limit), ack, act, "; ".join(notes)]))  # fmt: skip
    return rows


SILENCED_HEADERS = ("alarm", "priority", "silenced", "then", "first action")
EXPECTED_HEADERS = ("result", "alarm", "active at", "expected", "within", "deadline", "done",
                    "response", "note")  # fmt: skip
"""The expected-responses table's columns (report and review page)."""


def expected_rows(debrief: Debrief) -> list[tuple[str, list[str]]]:
    """One row of text per expected response, with its status, in the nurse's words: the
    report and the review page show the same table ("" where nothing applies)."""
    return [
        (
            r.status,
            [
                r.status.replace("_", " "),
                debrief.words(r.trigger_condition),
                clock(r.trigger_t_s),
                response_words(r.do),
                duration(r.within_s),
                clock(r.deadline_t_s),
                f"{done_words(r.action_kind)} at {clock(r.action_t_s)}{by_name(r.action_by)}"
                if r.action_kind
                else "",
                duration(r.response_s),
                r.note,  # actions that did not count (refused, or changed nothing)
            ],
        )
        for r in debrief.expected
    ]


SUPPRESSED_HEADERS = ("at", "condition", "lasted", "worst value", "limit")


def suppressed_rows(debrief: Debrief) -> list[list[str]]:
    """One row per excursion that ended within its delay (report and review page alike)."""
    return [
        [clock(s.t_s), debrief.words(s.condition), duration(s.duration_s), num(s.worst_value),
         num(s.limit)]
        for s in debrief.suppressed
    ]  # fmt: skip


def silenced_rows(debrief: Debrief) -> list[tuple[str, list[str]]]:
    """One row per alarm silenced but not resolved (report and review page alike)."""
    return [
        (f"prio-{s.episode.priority}", [
            f"{debrief.words(s.episode.condition)} #{s.episode.number}",
            s.episode.priority,
            f"{s.silenced_by.replace('_', ' ')} at {clock(s.silenced_t_s)}",
            "still active at the end" if s.still_active
            else f"active {duration(s.active_after_s)} more",
            s.episode.first_action_kind or "no action",
        ])
        for s in debrief.silenced_unresolved
    ]  # fmt: skip


def said_words(event: Any) -> str | None:
    """What the patient said, in quotes ('“I feel sick”'), for a session event that carries
    their words (``adapters.simulator.SAID``); None for any other event."""
    words = (event.detail or {}).get("words") if event.kind == SAID else None
    return f"“{words}”" if words else None


SCORE_HEADERS = ("at", "score", "charted", "patient's actual", "difference", "in words")
"""The charted-scores table's columns (report and review page)."""


def score_rows(debrief: Debrief) -> list[tuple[str, list[str]]]:
    """One row per charted score beside the patient's own, with its CSS class
    ("score-close", "score-under", "score-over"): the report and the review page."""
    cls = {"about right": "score-close", "under-scored": "score-under",
           "over-scored": "score-over"}  # fmt: skip
    return [
        (cls[c.verdict], [clock(c.t_s), c.label, num(c.charted), num(c.actual),
                          f"{c.difference:+g}".replace("-", "−") if c.difference else "0",
                          c.words()])
        for c in debrief.scores
    ]  # fmt: skip


def _first_up(words: str) -> str:
    """The first letter in capitals, the rest as it is ("trainee" -> "Trainee"; a name
    keeps its own capitals)."""
    return words[:1].upper() + words[1:]


ACTION_HEADERS = ("at", "by", "action", "parameters", "outcome")
"""The actions table's columns (report and review page)."""


def action_cells(a: Any) -> list[str]:
    """One action of the log as the actions table shows it: "by" names the person when
    they were logged in ("Ana Lima (trainee)"), else the role they acted as."""
    return [clock(a.t_s), a.by, a.kind, params_text(a.params),
            a.outcome + (f": {a.reason}" if a.reason else "")]  # fmt: skip


def _said(reasons: tuple[str, ...]) -> str:
    return "; ".join(reasons)


def start_lines(debrief: Debrief) -> list[tuple[str, str]]:
    """How the infusion was started, as lines of words with a CSS class ("bad" for a
    start despite a blocked check, "refused" for an attempt the check refused, "caution",
    "ok" or "muted"): the report and the review page show the same lines."""
    st = debrief.start
    if st is None:
        return []
    out: list[tuple[str, str]] = []
    for a in st.refused:
        why = _said(tuple(r for r in a.reasons if r.endswith("do not start")) or a.reasons)
        out.append(("refused", f"{_first_up(a.by)} tried to start the infusion at "
                    f"{clock(a.t_s)}: refused by the pre-infusion check ({why})"))  # fmt: skip
    s = st.started
    if s is None:
        if st.scheduled_t_s is not None:
            out.append(("muted", f"The infusion started at {clock(st.scheduled_t_s)} on the "
                        "scenario's schedule (no pre-infusion check recorded)."))  # fmt: skip
        else:
            out.append(("muted", "The infusion was not started."))
        return out
    if s.overridden:
        out.append(("bad", f"Infusion started by {s.by} despite a blocked check: "
                    f"{s.override_reason}"))  # fmt: skip
        out.append(("bad", f"Started at {clock(s.t_s)}; the check said: {_said(s.reasons)}"))
    elif s.auto:
        out.append(("ok", f"Infusion started by itself (auto start) at {clock(s.t_s)}: the "
                    "pre-infusion check passed."))  # fmt: skip
    elif s.check == "caution":
        out.append(("caution", f"Infusion started by {s.by} at {clock(s.t_s)} with "
                    f"caution: {_said(s.reasons)}"))  # fmt: skip
    else:
        passed = "the pre-infusion check passed" if s.check == "pass" else "no check recorded"
        out.append(("ok", f"Infusion started by {s.by} at {clock(s.t_s)}: {passed}."))
        if s.override_reason:
            out.append(("muted", f"Reason given: {s.override_reason}"))
    return out


COURSE_HEADERS = ("session", "date", "baseline BP", "highest BP", "systolic rise",
                  "highest heart rate", "dissociation charted", "nausea charted",
                  "dissociation felt (hidden)")  # fmt: skip
"""The course table: per session of a patient's course, what the cuff and the chart show
(the BP response should not fade) beside the dissociation the patient felt (it fades)."""


def _bp(sys: float | None, dia: float | None) -> str:
    return "" if sys is None or dia is None else f"{sys:.0f}/{dia:.0f}"


def _whole(v: float | None, sign: bool = False) -> str:
    return "" if v is None else (f"{v:+.0f}" if sign else f"{v:.0f}")


def _score(v: float | None) -> str:
    return "" if v is None else f"{v:.1f}"


def course_title(course: Any) -> str:
    """ "Course of Mrs Jane Doe: 2 of 6 sessions"."""
    return f"Course of {course.name}: {len(course.sessions)} of {course.planned} sessions"


def course_rows(course: Any) -> list[tuple[str, list[str]]]:
    """One row of text per session of the course (``debrief.Course``), with its CSS class
    (``course-current`` for the session the table is shown for): the report and the review
    page show the same table."""
    rows = []
    for s in course.sessions:
        current = s.session_id == course.current
        label = f"{s.number} (this session)" if current else str(s.number)
        date = "" if s.started_wall is None else s.started_wall.strftime("%Y-%m-%d")
        rows.append((
            "course-current" if current else "",
            [label, date, _bp(s.baseline_sys, s.baseline_dia), _bp(s.peak_sys, s.peak_dia),
             _whole(s.rise_sys, sign=True), _whole(s.peak_heart_rate),
             _score(s.charted_dissociation), _score(s.charted_nausea),
             _score(s.felt_dissociation)],
        ))  # fmt: skip
    return rows

"""The sections of the HTML report, each as an HTML fragment.

:func:`sections` lists them in reading order; :func:`meta_table` is the header's table of
what the session was. Every text that a person typed (notes, labels, reasons) goes
through :func:`esc`, and :func:`html_table` escapes every cell, so nothing typed can
become markup. The rows the review page also shows come from :mod:`._tables`.
"""

from __future__ import annotations

import html
import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from vitalsdash import interruptions
from vitalsdash.debrief import CLOSE_POINTS, Debrief, SessionData, score_summary
from vitalsdash.report._strips import (
    NO_WAVE_ALARM,
    NO_WAVES_SESSION,
    PRINT_MAX_HZ,
    STRIP_AFTER_S,
    STRIP_BEFORE_S,
    AlarmStrip,
    alarm_strips,
    choose_strips,
    read_strip,
    recorded,
    strip_figure,
)
from vitalsdash.report._tables import (
    ACTION_HEADERS,
    COURSE_HEADERS,
    EPISODE_HEADERS,
    EXPECTED_HEADERS,
    SCORE_HEADERS,
    SILENCED_HEADERS,
    SUPPRESSED_HEADERS,
    action_cells,
    clock,
    course_rows,
    course_title,
    duration,
    episode_rows,
    expected_rows,
    num,
    params_text,
    said_words,
    score_rows,
    silenced_rows,
    start_lines,
    suppressed_rows,
)


def esc(x: Any) -> str:
    """Escape anything for HTML text and attributes."""
    return html.escape("" if x is None else str(x), quote=True)


def html_table(
    headers: Sequence[str], rows: Iterable[Sequence[Any]], cls: str = "", empty: str = "none"
) -> str:
    """An HTML table; every cell is escaped. Rows may carry a class as ``(cls, cells)``."""
    body = []
    for r in rows:
        rcls = ""
        if isinstance(r, tuple) and len(r) == 2 and isinstance(r[1], (list, tuple)):
            rcls, r = r
        cells = "".join(f"<td>{esc(c)}</td>" for c in r)
        body.append(f'<tr class="{esc(rcls)}">{cells}</tr>' if rcls else f"<tr>{cells}</tr>")
    if not body:
        return f'<p class="empty">{esc(empty)}</p>'
    head = "".join(f"<th>{esc(h)}</th>" for h in headers)
    return (
        f'<table class="{esc(cls)}"><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table>"
    )


def meta_table(data: SessionData, debrief: Debrief) -> str:
    """The header's table: session, bed, recording, scenario, duration, patient ..."""
    info = data.info
    rows: list[tuple[str, Any]] = []
    if data.session_id is not None:
        rows.append(("session", data.session_id))
    for key, label in (
        ("label", "label"),
        ("bed_id", "bed"),
        ("recording", "recording"),
        ("scenario", "scenario"),
        ("seed", "seed"),
        ("protocol", "protocol"),
        ("alarm_profile", "alarm profile"),
        ("status", "status"),
        ("started_wall", "started (UTC)"),
    ):
        v = info.get(key)
        if v not in (None, ""):
            rows.append((label, v.isoformat(timespec="seconds") if isinstance(v, datetime) else v))
    rows.append(("duration", f"{clock(debrief.end_t_s)} ({duration(debrief.end_t_s)})"))
    patient = info.get("patient")
    if isinstance(patient, Mapping) and patient:
        rows.append(("patient", params_text(patient)))
    body = "".join(f"<tr><th>{esc(k)}</th><td>{esc(v)}</td></tr>" for k, v in rows)
    return f'<table class="meta">{body}</table>'


def _cards(debrief: Debrief) -> str:
    s = debrief.summary()
    exp = s["expected"]
    prio = s["episodes_by_priority"]
    items = [
        (
            s["episodes"],
            f"alarm episodes (HIGH {prio.get('HIGH', 0)}, MEDIUM "
            f"{prio.get('MEDIUM', 0)}, LOW {prio.get('LOW', 0)})",
        ),
        (duration(s["median_time_to_ack_s"]) or "–", "median time to acknowledge"),
        (duration(s["median_time_to_action_s"]) or "–", "median time to first action"),
        (s["never_acknowledged"], "episodes never acknowledged"),
        (s["silenced_unresolved"], "silenced but not resolved"),
        (s["suppressed"], "nuisance excursions suppressed"),
        (f"{exp['met']} / {exp['late']} / {exp['missed']}", "expected: met / late / missed"),
        (s["discharge"], "discharge decision"),
    ]
    if s["scores_compared"]:
        items.append((f"{s['scores_close']} / {s['scores_compared']}",
                      f"charted scores within ±{CLOSE_POINTS} of the patient's own"))  # fmt: skip
    return (
        '<div class="cards">'
        + "".join(
            f'<div class="card"><div class="v">{esc(v)}</div><div class="k">{esc(k)}</div></div>'
            for v, k in items
        )
        + "</div>"
    )


def _expected_section(debrief: Debrief) -> str:
    rows = expected_rows(debrief)
    return html_table(
        list(EXPECTED_HEADERS),
        rows,
        empty="The scenario declares no expected responses (or none was triggered).",
    )


def _episodes_section(debrief: Debrief) -> str:
    return html_table(EPISODE_HEADERS, episode_rows(debrief), empty="No alarm episode.")


def _silenced_section(debrief: Debrief) -> str:
    intro = (
        f'<p class="note">Acknowledged or audio-paused alarms still active at the end of '
        f"the session, or for more than {duration(debrief.silenced_limit_s)} after being "
        "silenced.</p>"
    )
    return intro + html_table(SILENCED_HEADERS, silenced_rows(debrief))


def _never_acked_section(debrief: Debrief) -> str:
    rows = [
        (
            f"prio-{e.priority}",
            [
                f"{debrief.words(e.condition)} #{e.number}",
                e.priority,
                clock(e.start_t_s),
                duration(e.duration_s),
                "technical" if e.technical else "",
            ],
        )
        for e in debrief.never_acknowledged
    ]
    return html_table(["alarm", "priority", "start", "duration", ""], rows)


def _suppressed_section(debrief: Debrief) -> str:
    per = debrief.suppressed_by_condition
    head = (
        f"<p>{len(debrief.suppressed)} excursion(s) ended within their condition delay and "
        "never sounded"
        + (": " + ", ".join(f"{debrief.words(c)} {n}" for c, n in per.items()) if per else "")
        + ".</p>"
    )
    return head + html_table(list(SUPPRESSED_HEADERS), suppressed_rows(debrief))


def _discharge_section(debrief: Debrief) -> str:
    d = debrief.discharge
    cls = "ok" if d.ready else "bad"
    parts = [f'<p class="{cls}">{esc(d.verdict)}</p>']
    parts += [f'<p class="discharge-line">{esc(line)}</p>' for line in d.lines(clock)]
    if d.first_ready_t_s is not None:
        parts.append(f"<p>Readiness was first met at {esc(clock(d.first_ready_t_s))}.</p>")
    elif d.ready is not None:
        parts.append("<p>Readiness was never met during the session.</p>")
    if d.protocol:
        parts.append(
            f'<p class="note">Judged by the protocol “{esc(d.protocol)}” at '
            f"{esc(clock(d.evaluated_t_s))}.</p>"
        )
    if d.criteria:
        parts.append(
            html_table(
                ["criterion", "met", "detail"],
                [[c.name, "yes" if c.met else "NO", c.detail] for c in d.criteria],
            )
        )
    return "".join(parts)


def _start_section(debrief: Debrief) -> str:
    lines = start_lines(debrief)
    if not lines:
        return '<p class="empty">Not judged.</p>'
    return "".join(f'<p class="start-{esc(cls)}">{esc(text)}</p>' for cls, text in lines)


def _actions_section(data: SessionData) -> str:
    rows = [action_cells(a) for a in data.actions]
    return html_table(list(ACTION_HEADERS), rows, empty="No action.")


def _scores_section(debrief: Debrief) -> str:
    summary = score_summary(debrief.scores).words()
    intro = (
        '<p class="note">Each sedation, dissociation or nausea score charted, beside the '
        "score the simulated patient actually had at that moment (whole points); within "
        f"±{CLOSE_POINTS} points is about right.</p>"
    )
    head = f'<p class="scores-summary">{esc(summary)}</p>' if summary else ""
    return intro + head + html_table(
        SCORE_HEADERS, score_rows(debrief),
        empty="No sedation, dissociation or nausea score was charted (or the patient's own "
        "scores were not recorded).",
    )  # fmt: skip


def _observations_section(data: SessionData) -> str:
    rows = [[clock(o.t_s), o.actor, o.kind, num(o.value), o.text or ""] for o in data.observations]
    return html_table(["at", "by", "kind", "score", "note"], rows, empty="Nothing charted.")


def _interruption_text(ev: Any) -> tuple[str, str] | None:
    """An interruption event in plain words: (what, detail); None for other events."""
    d = ev.detail or {}
    if ev.kind == interruptions.INTERRUPTED:
        walls = [f"{what} {_wall_text(d.get(key))}" for what, key in
                 (("last data", "last_write_wall"), ("restart", "restart_wall"))
                 if d.get(key)]  # fmt: skip
        return interruptions.label(d), ", ".join(walls)
    if ev.kind == interruptions.RESUMED:
        return interruptions.resumed_label(d), _wall_text(d.get("wall"))
    return None


def _wall_text(iso: Any) -> str:
    try:
        return datetime.fromisoformat(str(iso)).astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    except ValueError:
        return str(iso or "")


def _interruptions_note(data: SessionData) -> str:
    """A line under the summary when monitoring stopped during the session."""
    found = interruptions.summarise(data.session_events)
    if not found:
        return ""
    parts = []
    for i in found:
        how_long = interruptions.duration_words(i["gap_s"]) or "for an unknown time"
        by = f"resumed by {i['resumed_by']}" if i["resumed_by"] else "not resumed"
        parts.append(f"at {clock(i['t_s'])} for {how_long} (server restart; {by})")
    times = "once" if len(found) == 1 else f"{len(found)} times"
    return (
        f'<p class="interrupted">Monitoring was interrupted {times}: {esc("; ".join(parts))}. '
        f"No data exist for {'that period' if len(found) == 1 else 'those periods'}; session "
        "time resumed where it stopped.</p>"
    )


def _events_section(data: SessionData) -> str:
    rows = []
    for ev in data.session_events:
        if ev.kind in ("nibp_start",):
            continue
        plain = _interruption_text(ev)
        said = said_words(ev)
        if said is not None:
            rows.append([clock(ev.t_s), "patient said", ev.source, said])
        elif plain is not None:
            rows.append([clock(ev.t_s), plain[0], ev.source, plain[1]])
        else:
            rows.append([clock(ev.t_s), ev.kind, ev.source, params_text(ev.detail)])
    return html_table(["at", "event", "source", "detail"], rows, empty="No event.")


def script_json(obj: Any) -> str:
    """JSON that is safe inside an HTML ``<script>`` element."""
    text = json.dumps(obj, separators=(",", ":"), allow_nan=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


STRIPS_INTRO = (
    f"{STRIP_BEFORE_S + STRIP_AFTER_S:g} seconds of the waveforms around each alarm's onset "
    f"({STRIP_BEFORE_S:g} s before, {STRIP_AFTER_S:g} s after; dotted red line: the onset), "
    "as the monitor recorded them. ECG II on paper of 0.04 s × 0.1 mV squares (large "
    f"squares 0.2 s × 0.5 mV), printed at {PRINT_MAX_HZ} samples a second."
)


def _strip_figure_html(strip: AlarmStrip, plotted: bool) -> str:
    cls = f"prio-{strip.episode.priority}"
    body = (f'<div class="strip-plot" id="strip-plot-{strip.index}"></div>' if plotted
            else f'<p class="empty strip-none">{esc(NO_WAVE_ALARM)}</p>')  # fmt: skip
    return (f'<figure class="strip {esc(cls)}" id="strip-{strip.index}">{body}'
            f"<figcaption>{esc(strip.caption)}</figcaption></figure>")  # fmt: skip


def _left_out_note(shown: int, total: int, rounds: int) -> str:
    if shown == total:
        return ""
    which = ("the first onset of some alarms" if rounds == 0
             else "the first onset of each alarm" if rounds == 1
             else f"the first {rounds} onsets of each alarm")  # fmt: skip
    left = total - shown
    return (
        f'<p class="note strips-left-out">Shown: {which} ({shown} of {total} onsets); the '
        f"{left} later onset{'s are' if left != 1 else ' is'} left out to keep this report "
        "small. The review page shows every one.</p>"
    )


def strips_section(
    data: SessionData, debrief: Debrief, budget_bytes: int
) -> tuple[str, dict[str, Any] | None]:
    """The section "Waveforms at alarm onsets" as HTML, and its figures for the page's
    script: ``{"base": layout, "strips": [{"id", "data", "layout"}]}``, each strip's layout
    only what differs from the base (most strips share every axis: ~2.7 kB each saved).
    As many strips as ``budget_bytes`` takes, a fair share per alarm (``choose_strips``);
    a session without waveforms says so in a line."""
    intro = f'<p class="note">{esc(STRIPS_INTRO)}</p>'
    if not recorded(data.waves):
        return f'<p class="empty strips-none">{esc(NO_WAVES_SESSION)}</p>', None
    strips = alarm_strips(debrief)
    if not strips:
        return intro + '<p class="empty">No alarm episode.</p>', None
    built: dict[int, tuple[str, dict[str, Any] | None]] = {}
    base: dict[str, Any] = {}

    def cost(strip: AlarmStrip) -> int:
        if strip.index not in built:
            segments = read_strip(data.waves, strip)
            fig = None
            if segments:
                drawn = strip_figure(strip, segments)
                layout = drawn["layout"]
                if not base:
                    base.update(layout)
                fig = {"id": f"strip-plot-{strip.index}", "data": drawn["data"],
                       "layout": {k: v for k, v in layout.items() if base.get(k) != v}}  # fmt: skip
            built[strip.index] = (_strip_figure_html(strip, fig is not None), fig)
        html_part, fig = built[strip.index]
        first = len(script_json(base)) if fig is not None and fig is _first(built) else 0
        return len(html_part.encode()) + first + (len(script_json(fig)) + 1 if fig else 0)

    chosen, rounds = choose_strips(strips, cost, budget_bytes)
    body = "".join(built[s.index][0] for s in chosen)
    figures = [f for s in chosen if (f := built[s.index][1]) is not None]
    payload = {"base": base, "strips": figures} if figures else None
    return intro + _left_out_note(len(chosen), len(strips), rounds) + body, payload


def _first(built: Mapping[int, tuple[str, Any]]) -> Any:
    """The first figure built (its layout is the base the others are told against)."""
    return next((fig for _, fig in built.values() if fig is not None), None)


def _course_section(data: SessionData) -> str:
    course = data.course
    rows = course_rows(course)
    return (
        f"<p>{esc(course_title(course))} (scenario {esc(course.scenario)}, seed "
        f"{esc(course.seed)}).</p>"
        '<p class="note">Per session: the mean of the valid cuff readings before the infusion '
        "(baseline), the highest valid reading from the infusion start on and its systolic "
        "rise, the highest clean heart rate, the highest scores charted, and the highest "
        "dissociation the simulated patient felt (hidden from the trainee). Over a course the "
        "blood pressure response does not fade; dissociation does.</p>"
        + html_table(COURSE_HEADERS, rows, cls="course", empty="No session yet.")
    )


def sections(data: SessionData, debrief: Debrief) -> list[tuple[str, str, str]]:
    """The report's sections in reading order as (id, heading, HTML); the summary first
    (the report puts the timeline right after it). A session of a patient's course has a
    course table after the start of the infusion."""
    course = []
    if data.course is not None:
        course = [("course", "Course of sessions", _course_section(data))]
    return [
        ("summary", "Summary", _cards(debrief) + _interruptions_note(data)),
        ("start", "Starting the infusion", _start_section(debrief)),
        *course,
        ("expected", "Expected responses", _expected_section(debrief)),
        ("episodes", "Alarm episodes", _episodes_section(debrief)),
        ("silenced", "Silenced but not resolved", _silenced_section(debrief)),
        ("never-acked", "Never acknowledged", _never_acked_section(debrief)),
        ("suppressed", "Suppressed nuisance excursions", _suppressed_section(debrief)),
        ("discharge", "Discharge decision", _discharge_section(debrief)),
        ("actions", "Actions", _actions_section(data)),
        ("scores", "Charted scores against the patient's own", _scores_section(debrief)),
        ("observations", "Charted observations", _observations_section(data)),
        ("events", "Scenario, device and phase events", _events_section(data)),
    ]

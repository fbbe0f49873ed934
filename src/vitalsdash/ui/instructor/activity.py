"""What happens at a chair, newest first: actions by anyone, alarms raised, acknowledgements,
and what the patient said.

Actions come from the session's action log; acknowledgements from the alarm log (it knows
how long the alarm sounded before); alarm onsets give the context a trainee acted in; the
patient's words come from the session's event log.
The list is capped: a growing container slows every round-trip (dash-notes).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping
from typing import Any, NamedTuple

from dash import Patch, html

from vitalsdash.ui import alarm_words, fmt
from vitalsdash.ui.instructor import events as instructor_events
from vitalsdash.ui.instructor.forms import prepend_capped
from vitalsdash.ui.live.bedside import ACTION_TEXT, said_text

__all__ = ["CAP", "Row", "patch", "render", "rows"]

CAP = 12
MARKERS = {"HIGH": "***", "MEDIUM": "**", "LOW": "*"}
WHO = {"trainee": "Trainee", "instructor": "Instructor", "system": "System", "alarm": "Alarm",
       "patient": "Patient"}  # fmt: skip


class Row(NamedTuple):
    t_s: float
    order: int  # within one second: alarms first, then what was done about them
    who: str
    text: str
    priority: str  # alarm rows: HIGH/MEDIUM/LOW; "" otherwise


def action_row(r: dict[str, Any]) -> Row | None:
    """One logged action (acknowledgements come from the alarm log instead)."""
    kind = str(r.get("kind") or "")
    if kind in ("acknowledge", "acknowledge_all"):
        return None
    p = r.get("params") or {}
    if kind == "inject_event":
        text = "Injected " + instructor_events.describe(str(p.get("kind")), p.get("params") or {})
    else:
        render = ACTION_TEXT.get(kind)
        text = render(p) if render else kind.replace("_", " ").capitalize()
    if r.get("outcome") not in (None, "ok"):
        text += f" (rejected: {r.get('reason') or r.get('outcome')})"
    return Row(float(r["t_s"]), 2, str(r.get("actor") or "trainee"), text, "")


def alarm_row(r: dict[str, Any], labels: Mapping[str, str] | None = None) -> Row | None:
    """An alarm raised, or acknowledged; None for the rest of the alarm log."""
    event = r.get("event")
    if event == "active":
        prio = str(r.get("priority") or "")
        text = f"{MARKERS.get(prio, '')} {alarm_words.onset(r, labels)}".strip()
        return Row(float(r["t_s"]), 1, "alarm", text, prio)
    if event == "acknowledged":
        after = (r.get("detail") or {}).get("after_s")
        text = f"Acknowledged {alarm_words.condition(r.get('condition'), labels)}"
        text += "" if after is None else f" after {after:.0f} s"
        return Row(float(r["t_s"]), 2, str(r.get("actor") or "trainee"), text, "")
    return None


def said_row(r: dict[str, Any]) -> Row | None:
    """What the patient said (a session event); None for the rest of the event log."""
    text = said_text(r)
    if not text:
        return None
    words = text.removeprefix("Patient: ")  # the row's "who" says it is the patient
    return Row(float(r["t_s"]), 0, "patient", words, "")


def _together(r: dict[str, Any]) -> Any:
    """The group of an acknowledgement made for several alarms at once (None for one)."""
    return (r.get("detail") or {}).get("group") if r.get("event") == "acknowledged" else None


def _acks(rows: list[dict[str, Any]], labels: Mapping[str, str] | None) -> list[Row]:
    """The acknowledgements of one acknowledge_all (or one parameter's row) as one line:
    one press, one line, naming what it silenced."""
    out = []

    def key(r: dict[str, Any]) -> tuple[Any, Any, Any]:
        return r["t_s"], _together(r), r.get("actor")

    for (t, group, actor), batch in itertools.groupby(rows, key=key):
        names = ", ".join(alarm_words.condition(r.get("condition"), labels) for r in batch)
        what = "all alarms" if group == "all" else f"{alarm_words.parameter(group)} alarms"
        out.append(Row(float(t), 2, str(actor or "trainee"), f"Acknowledged {what}: {names}", ""))
    return out


def rows(
    actions: Iterable[dict[str, Any]],
    alarms: Iterable[dict[str, Any]],
    labels: Mapping[str, str] | None = None,
    events: Iterable[dict[str, Any]] = (),
) -> list[Row]:
    """Newest first, at most CAP. ``labels``: the bed's condition names in words;
    ``events``: the session's event log (what the patient said is shown)."""
    alarms = list(alarms)
    found = [x for x in map(action_row, actions) if x is not None]
    found += [x for x in map(said_row, events) if x is not None]
    found += _acks([r for r in alarms if _together(r) is not None], labels)
    singles = (alarm_row(r, labels) for r in alarms if _together(r) is None)
    found += [x for x in singles if x is not None]
    found.sort(key=lambda x: (x.t_s, x.order), reverse=True)
    return found[:CAP]


def item(row: Row) -> html.Li:
    cls = f"act-row who-{row.who}" + (f" prio-{row.priority.lower()}" if row.priority else "")
    return html.Li(
        [
            html.Span(fmt.clock(row.t_s), className="act-time"),
            html.Span(WHO.get(row.who, row.who.capitalize()), className="act-who"),
            html.Span(row.text, className="act-text"),
        ],
        className=cls,
        **{"data-who": row.who},
    )


def render(found: list[Row]) -> list[Any]:
    if not found:
        return [html.Li("Nothing yet", className="act-empty")]
    return [item(r) for r in found]


def patch(new: list[Row], shown: int) -> tuple[Patch, int]:
    """New rows (newest first) on top of a list showing ``shown`` rows, capped."""
    return prepend_capped([item(r) for r in new], shown, CAP)

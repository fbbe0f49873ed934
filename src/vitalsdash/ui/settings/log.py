"""Recent limit changes of a chair, from its alarm log: old and new value, who, why.

Every change of a limit in force is a ``limit_changed`` row (an edit, auto-limits, a phase
change, the baseline); alarm off and on are rows of their own. The limits a session
starts with (cause "profile") are not changes and are left out.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, NamedTuple

from dash import Patch, html

from vitalsdash.alarms import limit_condition_names
from vitalsdash.ui import alarm_words, fmt
from vitalsdash.ui.instructor.forms import prepend_capped

__all__ = ["changes", "patch", "render"]

CAP = 8
CAUSES = {
    "set_limit": "edit",
    "auto_limits": "auto-limits",
    "set_phase": "phase change",
    "set_baseline": "baseline",
    "alarm_off": "alarm off",
    "alarm_on": "alarm on",
}


class Change(NamedTuple):
    t_s: float
    text: str
    who: str
    why: str


def _v(x: Any) -> str:
    return "–" if x is None else f"{x:g}"


def _limit_text(r: dict[str, Any]) -> str:
    d = r.get("detail") or {}
    before, after = d.get("before") or {}, d.get("after") or {}
    name = alarm_words.condition(r.get("condition"))
    text = f"{name} {_v(before.get('limit'))} → {_v(after.get('limit'))}"
    if before.get("critical") != after.get("critical"):
        text += f", critical {_v(before.get('critical'))} → {_v(after.get('critical'))}"
    return text


def _group(rows: list[dict[str, Any]]) -> Change:
    """The limit changes one action (or phase change) made, as one line: the parameter
    limits by name, the baseline rules counted."""
    first = rows[0]
    cause = str((first.get("detail") or {}).get("cause") or "")
    builtin = set(limit_condition_names())  # the table's limits; others are baseline rules
    named = [r for r in rows if str(r.get("condition")) in builtin]
    rules = len(rows) - len(named)
    text = "; ".join(_limit_text(r) for r in named)
    if rules:
        more = f"{rules} baseline rule limit{'s' if rules > 1 else ''}"
        text = f"{text} (+{more})" if text else f"{more.capitalize()} changed"
    who = str(first.get("actor") or "system")
    return Change(float(first["t_s"]), text, who, CAUSES.get(cause, cause.replace("_", " ")))


def changes(rows: Iterable[dict[str, Any]]) -> list[Change]:
    """Newest first, at most CAP. The rows one action produced (same time, cause and actor)
    make one change; the limits a session starts with (cause "profile") are none."""
    found: list[Change] = []
    batch: list[dict[str, Any]] = []
    key: Any = None

    def flush() -> None:
        if batch:
            found.append(_group(batch))
            batch.clear()

    for r in rows:
        event = r.get("event")
        if event == "limit_changed":
            cause = (r.get("detail") or {}).get("cause")
            if cause == "profile":
                continue
            k = (r.get("t_s"), cause, r.get("actor"))
            if k != key:
                flush()
                key = k
            batch.append(r)
        elif event in ("alarm_off", "alarm_on"):
            flush()
            key = None
            state = "OFF" if event == "alarm_off" else "on"
            who = str(r.get("actor") or "system")
            what = alarm_words.parameter(r.get("condition"))
            found.append(Change(float(r["t_s"]), f"{what} alarms {state}", who, ""))
    flush()
    return found[::-1][:CAP]


def item(c: Change) -> html.Li:
    return html.Li(
        [
            html.Span(fmt.clock(c.t_s), className="chg-time"),
            html.Span(c.text, className="chg-text"),
            html.Span(" · ".join(x for x in (c.who, c.why) if x), className="chg-who"),
        ],
        className="chg-row",
    )


def render(found: list[Change]) -> list[Any]:
    if not found:
        return [html.Li("No limit changes yet", className="chg-empty")]
    return [item(c) for c in found]


def patch(new: list[Change], shown: int) -> tuple[Patch, int]:
    return prepend_capped([item(c) for c in new], shown, CAP)

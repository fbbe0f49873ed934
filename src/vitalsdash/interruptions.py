"""Monitoring interruptions: what a restart after a crash records, and how it reads.

A process that dies (kill -9, a power cut, Ctrl+C) leaves its sessions ``running`` in the
store. On the next start every such session gets a ``monitoring_interrupted`` session
event at its last stored second, with the wall-clock time of the last write
(``sessions.last_write_wall``, set by every tick), the wall-clock time of the restart and
the gap between them: nobody watched the patient for that long, and the debrief says so.
A ``monitoring_resumed`` event follows when the session runs on (who resumed it, when).

Session time does not move while a session is interrupted (a resumed session runs on
from its last second), so an interruption is a point on a session's time axis; the gap
is wall-clock time. Plain functions over plain rows: the store writes, the runtime, the
API, the bedside page, the review and the report read.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from vitalsdash.durations import span_in_words

__all__ = [
    "INTERRUPTED",
    "KINDS",
    "RESUMED",
    "annotate",
    "duration_words",
    "interrupted_detail",
    "label",
    "resumed_detail",
    "resumed_label",
    "summarise",
]

INTERRUPTED = "monitoring_interrupted"
RESUMED = "monitoring_resumed"
KINDS = (INTERRUPTED, RESUMED)
REASON = "server restart"


def interrupted_detail(last_write_wall: datetime | None, restart_wall: datetime) -> dict[str, Any]:
    """The event's detail: both wall-clock times (ISO 8601) and the gap in seconds (None
    when the last write's time is unknown: a database written by an older version)."""
    gap = None
    if last_write_wall is not None:
        gap = round(max(0.0, (restart_wall - last_write_wall).total_seconds()), 3)
    return {
        "reason": REASON,
        "last_write_wall": None if last_write_wall is None else last_write_wall.isoformat(),
        "restart_wall": restart_wall.isoformat(),
        "gap_s": gap,
    }


def resumed_detail(actor: str, wall: datetime, user_name: str | None = None) -> dict[str, Any]:
    """Who resumed monitoring (and their name, when logged in) and when."""
    out = {"actor": str(actor), "wall": wall.isoformat()}
    if user_name:
        out["user_name"] = str(user_name)
    return out


def duration_words(seconds: float | None) -> str:
    """``133`` -> ``"2 min 13 s"``; ``3725`` -> ``"1 h 2 min"``; None -> ``""``."""
    return span_in_words(seconds)


def label(detail: Mapping[str, Any] | None) -> str:
    """Plain words for people: ``Monitoring interrupted 2 min 13 s (server restart)``."""
    d = detail or {}
    gap = d.get("gap_s")
    how_long = duration_words(gap if isinstance(gap, int | float) else None)
    reason = str(d.get("reason") or REASON)
    return f"Monitoring interrupted{' ' + how_long if how_long else ''} ({reason})"


def resumed_label(detail: Mapping[str, Any] | None) -> str:
    d = detail or {}
    actor = d.get("user_name") or d.get("actor")
    return f"Monitoring resumed{f' by {actor}' if actor else ''}"


def _get(row: Any, key: str) -> Any:
    return row.get(key) if isinstance(row, Mapping) else getattr(row, key, None)


def summarise(events: Iterable[Any]) -> list[dict[str, Any]]:
    """The interruptions in a session's events (dict rows or objects with ``t_s``, ``kind``
    and ``detail``), oldest first, each paired with the resume that followed it:
    ``{"t_s", "gap_s", "last_write_wall", "restart_wall", "resumed_by", "resumed_wall"}``
    (``resumed_by`` None while it is not resumed)."""
    out: list[dict[str, Any]] = []
    for ev in sorted(events, key=lambda e: float(_get(e, "t_s") or 0.0)):
        kind, detail = _get(ev, "kind"), _get(ev, "detail") or {}
        if kind == INTERRUPTED:
            out.append(
                {
                    "t_s": float(_get(ev, "t_s")),
                    "gap_s": detail.get("gap_s"),
                    "last_write_wall": detail.get("last_write_wall"),
                    "restart_wall": detail.get("restart_wall"),
                    "resumed_by": None,
                    "resumed_wall": None,
                }
            )
        elif kind == RESUMED and out and out[-1]["resumed_by"] is None:
            out[-1]["resumed_by"] = detail.get("actor") or "unknown"
            out[-1]["resumed_wall"] = detail.get("wall")
    return out


def annotate(
    sessions: list[dict[str, Any]], events_by_session: Mapping[int, Iterable[Any]]
) -> list[dict[str, Any]]:
    """Session rows for the API, each with ``interruptions`` (``[{"t_s", "gap_s",
    "last_write_wall", "restart_wall", "resumed_by", "resumed_wall"}]``) and ``resumed``
    (True once it ran on after an interruption); changes and returns ``sessions``."""
    for row in sessions:
        found = summarise(events_by_session.get(int(row["id"]), ()))
        row["interruptions"] = found
        row["resumed"] = any(i["resumed_by"] is not None for i in found)
    return sessions

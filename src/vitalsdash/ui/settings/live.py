"""The settings page's tick: per chair the limits table (redrawn only when the limits in
force change, so an edit in progress is kept), the alarm-off reminder, and the recent
limit changes (new rows appended as a Patch, past a cursor on the alarm log)."""

from __future__ import annotations

from typing import Any

from vitalsdash.runtime import Runtime
from vitalsdash.ui.live.shown import Shown
from vitalsdash.ui.settings import limits
from vitalsdash.ui.settings import log as changelog

__all__ = ["bed_tick"]

SLOTS = ("head", "body", "notice", "notice-cls")


def _log(rt: Runtime, sid: int | None, cur: list[Any] | None, out: dict[str, Any]) -> Any:
    """New limit changes; the cursor is [session id, alarm seq, rows shown]."""
    if sid is None:
        if cur is not None:
            out["log"] = changelog.render([])
        return None
    if cur is None or cur[0] != sid:
        rows = rt.feed.alarm_events_since(sid, 0)
        found = changelog.changes(rows)
        out["log"] = changelog.render(found)
        return [sid, rows[-1]["seq"] if rows else 0, len(found)]
    _, seq, shown = cur
    rows = rt.feed.alarm_events_since(sid, seq)
    if rows:
        seq = rows[-1]["seq"]
    new = changelog.changes(rows)
    if new:
        out["log"], shown = changelog.patch(new, shown)
    return [sid, seq, shown]


def bed_tick(
    rt: Runtime, bed_id: str, cursor: dict[str, Any] | None, redraw: bool = False
) -> dict[str, Any]:
    """What changed for one chair: keys of SLOTS, "log" and "cursor" (always).

    ``redraw``: draw the table again even if the limits did not change (undo edits)."""
    cursor = cursor or {}
    out: dict[str, Any] = {}
    b = limits.snapshot(rt, bed_id)
    if b is None:
        return {"head": "No such chair", "cursor": cursor}
    shown = Shown(SLOTS, cursor.get("sh"))
    shown.put(out, "head", limits.head_text(b))
    if redraw:
        shown.sums.pop("body", None)
    shown.put(out, "body", b.key(), lambda _: limits.table(b))
    text, cls = limits.off_notice(b)
    shown.put(out, "notice", text)
    shown.put(out, "notice-cls", cls)
    log = _log(rt, b.session_id, cursor.get("log"), out)
    return {**out, "cursor": {"sh": shown.pack(), "log": log}}

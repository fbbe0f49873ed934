"""The instructor console's tick: every chair's state, hidden truth and activity, the speed.

The browser keeps a small cursor: per chair a checksum of every panel it has drawn and
the seqs of the last action and alarm event its activity list shows. A tick re-sends a
panel only when its checksum changed and appends only the new activity rows (a Patch),
so missed ticks heal themselves.
"""

from __future__ import annotations

from typing import Any

from vitalsdash.runtime import Runtime, TruthView
from vitalsdash.ui import dose_words, fmt
from vitalsdash.ui.instructor import activity, truth
from vitalsdash.ui.live.shown import Shown

__all__ = ["SPEEDS", "bed_tick", "card_class", "sim_tick"]

SPEEDS = (1, 10, 30, 60, 120)
SLOTS = ("status", "patient", "card", "dose", "startinf", *truth.KEYS)
SIM_SLOTS = ("sim", "pause", *(f"x{s}" for s in SPEEDS))


BedNow = TruthView
"""A chair as the instructor sees it (the runtime's view, with the hidden truth)."""


def snapshot(rt: Runtime, bed_id: str) -> BedNow | None:
    return rt.truth(bed_id)


def card_class(status: str | None, phase: str | None = None) -> str:
    """The chair card's class: its state decides which panels show (assets/console.css):
    start (no session running), live (truth, events), interrupted (resume or close); the
    Start infusion form only while a running session waits in its baseline."""
    state = status if status in ("running", "interrupted", "ended") else "none"
    waiting = " ph-baseline" if state == "running" and phase == "baseline" else ""
    return f"ins-card st-{state}{waiting}"


def status_text(now: BedNow, dose: Any = None) -> str:
    if now.session_id is None:
        return "No session"
    if now.status == "ended":
        return f"Session ended at {fmt.clock(now.t_s)}"
    if now.status == "discharged":
        return f"Discharged at {fmt.clock(now.t_s)}"
    if now.status == "interrupted":
        return f"Interrupted at {fmt.clock(now.t_s)}: resume or close it"
    return f"{dose_words.phase_name(now.phase, dose)} · {fmt.clock(now.t_s)}"


def sim_state(rt: Runtime) -> tuple[str, str]:
    """(state text, pause button text)."""
    c = rt.views(beds=False)
    if c.paused:
        return f"Paused · x{c.speed:g} when resumed", "Resume"
    return f"Running · x{c.speed:g}", "Pause"


def _activity(
    rt: Runtime, now: BedNow, cur: list[Any] | None, out: dict[str, Any]
) -> list[Any] | None:
    """New activity rows of one chair; its cursor [sid, action seq, alarm seq, rows shown,
    session event seq]."""
    sid = now.session_id
    if sid is None:
        if cur is not None:
            out["activity"] = activity.render([])
        return None
    view = rt.view(now.bed_id)
    labels = view.alarm_labels if view is not None else None
    if cur is None or cur[0] != sid or len(cur) < 5:
        acts = rt.feed.actions_since(sid, 0)
        alarms = rt.feed.alarm_events_since(sid, 0)
        events = rt.feed.session_events_since(sid, 0)
        found = activity.rows(acts, alarms, labels, events)
        out["activity"] = activity.render(found)
        return [sid, _last_seq(acts), _last_seq(alarms), len(found), _last_seq(events)]
    _, aseq, eseq, shown, sseq = cur
    acts = rt.feed.actions_since(sid, aseq)
    alarms = rt.feed.alarm_events_since(sid, eseq)
    events = rt.feed.session_events_since(sid, sseq)
    new = activity.rows(acts, alarms, labels, events)
    if new:
        out["activity"], shown = activity.patch(new, shown)
    return [sid, _last_seq(acts, aseq), _last_seq(alarms, eseq), shown, _last_seq(events, sseq)]


def _last_seq(rows: list[dict[str, Any]], before: int = 0) -> int:
    """The seq a cursor moves to after ``rows`` (where it was when there are none)."""
    return int(rows[-1]["seq"]) if rows else before


def bed_tick(rt: Runtime, bed_id: str, cursor: dict[str, Any] | None) -> dict[str, Any]:
    """What changed at one chair: keys of SLOTS, "activity", and "cursor" (always)."""
    out: dict[str, Any] = {}
    cursor = cursor or {}
    now = snapshot(rt, bed_id)
    if now is None:
        return {"status": "No such chair", "cursor": cursor}
    shown = Shown(SLOTS, cursor.get("sh"))
    view = rt.view(bed_id)
    shown.put(out, "status", status_text(now, view.dose if view is not None else None))
    if shown.sums.get("patient") != now.session_id:
        row = rt.store.session(now.session_id) if now.session_id is not None else None
        view = rt.view(bed_id) if row is not None else None
        of_course = (view.patient.get("course") if view is not None else None) or ""
        out["patient"] = " · ".join(x for x in (of_course, truth.session_line(row)) if x)
        shown.sums["patient"] = now.session_id
    shown.put(out, "card", card_class(now.status, now.phase))
    # the prescription, and what starting it means
    dose = view.dose if view is not None and now.session_id is not None else None
    shown.put(out, "dose", dose_words.order_line(dose))
    shown.put(out, "startinf", dose_words.start_label(dose))
    if now.truth is not None:
        for key, text in truth.values(now.truth).items():
            shown.put(out, key, text)
    act = _activity(rt, now, cursor.get("act"), out)
    return {**out, "cursor": {"sh": shown.pack(), "act": act}}


def sim_tick(rt: Runtime, packed: list[Any] | None) -> tuple[dict[str, Any], list[Any]]:
    """The clinic's speed and pause: (changed slots, packed checksums)."""
    out: dict[str, Any] = {}
    shown = Shown(SIM_SLOTS, packed)
    text, button = sim_state(rt)
    shown.put(out, "sim", text)
    shown.put(out, "pause", button)
    speed = rt.views(beds=False).speed
    for s in SPEEDS:
        shown.put(out, f"x{s}", speed == s)
    return out, shown.pack()

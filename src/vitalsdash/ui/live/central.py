"""The central station's tick: what changed on each tile since the browser last drew it.

Plain functions of the runtime and of what the browser shows (the callback's States), so
unit tests call them without Dash. Only changed fields are returned; sparklines get a
fresh figure when a bed's session (or the page) is new or a monitoring interruption is to
be marked on it (see ``_spark``), ``extendData`` otherwise.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from vitalsdash import interruptions
from vitalsdash.runtime import Runtime
from vitalsdash.ui import fmt, series
from vitalsdash.ui.state import BedView
from vitalsdash.ui.widgets import audio, pump_panel, sparkline, tiles
from vitalsdash.ui.widgets import discharge as discharge_widget

__all__ = ["FIELDS", "central_tick"]

FIELDS: tuple[tuple[str, str], ...] = (
    ("tile", "className"),
    *[(f, "className" if f.endswith("-box") else "children") for f in tiles.FIELDS[:-2]],
    ("pump", "children"),
    ("pump", "className"),
    ("alarm", "children"),
)
"""(tile part, property) pairs the tick may update; the order of the callback's outputs."""

PRIORITY_RANK = {"HIGH": 3, "MEDIUM": 2, "LOW": 1}


@dataclass
class CentralUpdate:
    values: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    """(part, prop) -> {bed_id: new value}, only where it changed."""
    figures: dict[str, dict[str, Any]] = field(default_factory=dict)
    extends: dict[str, list[Any]] = field(default_factory=dict)
    cursor: dict[str, Any] = field(default_factory=dict)
    audio: tuple[str, str, str] = (audio.NONE, "0", "0")
    speed: tuple[float, bool] = (1.0, False)  # (speed, paused)


def tile_values(view: BedView) -> dict[tuple[str, str], str]:
    """Everything a tile shows for one bed, keyed like FIELDS."""
    out: dict[tuple[str, str], str] = {}
    if view.session_id is None:
        out[("tile", "className")] = "tile no-session"
        out[("phase", "children")] = "No session"
        for key, chans in tiles.panels():
            out[(key, "children")] = fmt.DASH
            if chans[0].periodic:
                out[(f"{key}-age", "children")] = ""
                out[(f"{key}-box", "className")] = f"tnum tnum-{key}"
        out[("pump", "children")] = ""
        out[("pump", "className")] = "tile-pump"
        out[("alarm", "children")] = ""
        return out
    sig = view.signals
    top = sig.alarms[0] if sig is not None and sig.alarms else None
    out[("tile", "className")] = "tile" + (f" alarm-{top.priority.lower()}" if top else "")
    out[("phase", "children")] = discharge_widget.phase_text(view)
    last = view.last_nibp or {}
    for key, chans in tiles.panels():
        head = chans[0]
        if not head.periodic:
            out[(key, "children")] = fmt.num(view.value(head.id), head.precision)
            continue
        main = [last.get(c.id, (None, None))[1] for c in chans if not c.secondary]
        shown = "/".join(fmt.num(v, head.precision) for v in main)
        out[(key, "children")] = fmt.DASH if main[0] is None else shown
        age = view.nibp_age_s()
        out[(f"{key}-age", "children")] = "" if age is None else fmt.age(age)
        stale = main[0] is not None and view.nibp_stale()
        out[(f"{key}-box", "className")] = f"tnum tnum-{key}" + (" stale" if stale else "")
    text, cls = pump_panel.tile_text(view.pump, view.t_s)
    out[("pump", "children")] = text
    out[("pump", "className")] = f"tile-pump {cls}"
    if view.phase == "baseline" and view.status == "running" and view.pre_infusion is not None:
        hold = view.infusion_hold_reason  # the bed waits for its infusion to start
        out[("pump", "children")] = f"Held: {hold}" if hold else "Waiting to start"
        out[("pump", "className")] = "tile-pump start-held" if hold else "tile-pump start-waiting"
    if top is None:
        out[("alarm", "children")] = ""
    else:
        more = len({a.group for a in sig.alarms}) - 1  # other banner rows (parameters)
        mark = "" if top.sounding else "(silenced) "
        out[("alarm", "children")] = mark + top.message + (f"  (+{more})" if more else "")
    return out


def _spark(runtime: Runtime, view: BedView, entry: list[Any] | None) -> tuple[str, Any, list[Any]]:
    """("figure" | "extend" | "", payload, new cursor entry).

    The entry: [session, bucket end, carry, session event seq, interruptions drawn (as
    ``sparkline.bands`` gives them)]. The session's events are read past the seq only, so a
    tick costs one small read per bed. A fresh figure when the session (or the page) is
    new and when what the bands show changes: an interruption came in (the runtime was
    restarted while the page stayed open), or one crossed the middle of the window or left
    it; ``extendData`` otherwise."""
    sid = view.session_id
    assert sid is not None
    width = sparkline.BUCKET_S
    end = math.floor(view.t_s / width) * width
    fresh = entry is None or len(entry) < 5 or entry[0] != sid
    seq, drawn = (0, []) if fresh else (int(entry[3]), entry[4])
    gaps = [g[:2] for g in drawn]
    for row in runtime.feed.session_events_since(sid, seq):
        seq = max(seq, int(row["seq"]))
        if row.get("kind") == interruptions.INTERRUPTED:
            gaps.append([float(row["t_s"]), interruptions.label(row.get("detail"))])
    bands = sparkline.bands(gaps, end)
    if fresh or bands != drawn:
        start = max(0.0, math.floor((view.t_s - sparkline.WINDOW_S) / width) * width)
        xs: list[int] = []
        ys: dict[str, list] = {}
        carry = None
        if end > start:
            rows = runtime.feed.samples_since(sid, start - 1e-6, sparkline.keys())
            xs, ys, carry = series.buckets(rows, start, end, width, None)
        return "figure", sparkline.figure(xs, ys, bands), [sid, end, carry, seq, bands]
    start, carry = float(entry[1]), entry[2]
    if end <= start:
        return "", None, [sid, start, carry, seq, bands]
    rows = runtime.feed.samples_since(sid, start - 1e-6, sparkline.keys())
    xs, ys, carry = series.buckets(rows, start, end, width, carry)
    return "extend", sparkline.extend(xs, ys), [sid, end, carry, seq, bands]


def central_tick(
    runtime: Runtime,
    bed_ids: list[str],
    cursor: dict[str, Any] | None,
    shown: dict[tuple[str, str], dict[str, Any]],
) -> CentralUpdate:
    """One tick for the listed beds; ``shown`` is what the browser has now, per field."""
    cursor = dict(cursor or {})
    up = CentralUpdate()
    loudest: tuple[int, tuple[str, str, str]] = (0, (audio.NONE, "0", "0"))
    clinic = runtime.views()  # every bed and the clock, taken together
    up.speed = (clinic.speed, clinic.paused)
    views = {v.bed_id: v for v in clinic.beds}
    for bed_id in bed_ids:
        view = views.get(bed_id)
        if view is None:
            continue
        for key, value in tile_values(view).items():
            if shown.get(key, {}).get(bed_id) != value:
                up.values.setdefault(key, {})[bed_id] = value
        if view.session_id is None:
            cursor.pop(bed_id, None)
            continue
        kind, payload, cursor[bed_id] = _spark(runtime, view, cursor.get(bed_id))
        if kind == "figure":
            up.figures[bed_id] = payload
        elif kind == "extend":
            up.extends[bed_id] = payload
        state = audio.state(view.signals)
        rank = PRIORITY_RANK.get(state[0], 0)
        if rank > loudest[0]:
            loudest = (rank, state)
    up.cursor = cursor
    up.audio = loudest[1]
    return up

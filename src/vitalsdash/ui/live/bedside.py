"""The bedside monitor's tick: a backfill when the page opens, then only what is new.

The browser keeps a small cursor (``dcc.Store``): the session, the time of the last
point per channel, the last seq per event log, the phase changes, and a signature of
every panel it has drawn. Each tick reads past the cursors from the feed, returns the new
points and the alarm rows as compact ``wire`` data (the browser builds ``extendData`` and
the banner from it) and re-sends a panel only when its signature changed; missed ticks
heal themselves because nothing relies on ticks being regular.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

from vitalsdash import channels, interruptions
from vitalsdash.adapters.simulator import SAID
from vitalsdash.runtime import Runtime
from vitalsdash.text import plotly_text
from vitalsdash.ui import alarm_words, dose_words, fmt, series
from vitalsdash.ui.live.shown import Shown
from vitalsdash.ui.state import BedView, bed_view
from vitalsdash.ui.widgets import (
    alarm_banner,
    audio,
    charting,
    numerics,
    patient_says,
    pump_panel,
    readiness,
    start_check,
    trends,
)
from vitalsdash.ui.widgets import discharge as discharge_widget

__all__ = [
    "ACTION_TEXT", "DECLARED", "action_text", "bedside_tick", "component_props", "said_text",
]  # fmt: skip


def _groups() -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The charted channels read every tick (continuous) and those read only after a new
    reading (periodic: NIBP), from the channel registry."""
    shown = trends.chart().channels
    periodic = tuple(c.id for c in channels.of_kind(channels.Kind.PERIODIC) if c.id in shown)
    return tuple(ch for ch in shown if ch not in periodic), periodic


CONTINUOUS, NIBP = _groups()
CHANNELS = (*CONTINUOUS, *NIBP)
_PERIODIC_BOXES = tuple(k for k, *_ in numerics.BOXES if channels.panels()[k][0].periodic)
LATE_S = 120.0
"""A silent channel never makes a tick re-read more than this many seconds of the others."""
RECENT_OBS = 5
SEQS = ("action", "alarm", "session", "obs")
SHOWN = (
    "bed-phase", "decor", "alarms", "alarm-banner", "audio-countdown", "alarm-pause-audio",
    "alarm-off-notice", "audio", "pump-status", "oxygen-state", "readiness", "chart-recent",
    *[f"num-{k}-{part}" for k, *_ in numerics.BOXES for part in ("value", "limits", "box")],
    *[f"num-{k}-{part}" for k in _PERIODIC_BOXES for part in ("map", "age")],
    "alarm-ack-all",
    "start-card", "start-status", *(f"start-{k}" for k in start_check.PART_KEYS),
    "discharge", "crit-labels", "live-notice",
)  # fmt: skip
"""Panels whose checksums the cursor carries, in this order."""
WIRED = {"alarms": "a", "decor": "d", "readiness": "r", "crit-labels": "l"}
"""Panels sent as data in the wire (drawn by assets/bedside.js), and their wire keys."""
DECLARED: dict[str, tuple[str, str]] = {
    "figure": ("bed-trends", "figure"),
    "wire": ("bed-wire", "data"),
    "cursor": ("bed-cursor", "data"),
}
"""Tick keys that change together (the polling callback's declared outputs)."""
PANELS: dict[str, tuple[str, str]] = {
    "bed-phase": ("bed-phase", "children"),
    "live-notice": ("live-notice", "children"),
    **{
        f"num-{k}-{part}": (f"num-{k}-{part}", "children")
        for k, *_ in numerics.BOXES
        for part in ("value", "limits")
    },
    **{f"num-{k}-box": (f"num-{k}-box", "className") for k, *_ in numerics.BOXES},
    **{
        f"num-{k}-{part}": (f"num-{k}-{part}", "children")
        for k in _PERIODIC_BOXES
        for part in ("map", "age")
    },
    "alarm-banner": ("alarm-banner", "className"),
    "audio-countdown": ("audio-countdown", "children"),
    "alarm-pause-audio": ("alarm-pause-audio", "children"),
    "alarm-off-notice": ("alarm-off-notice", "children"),
    "alarm-ack-all": ("alarm-ack-all", "disabled"),
    "audio": ("bed-audio", "data-audio"),
    "audio-pulses": ("bed-audio", "data-audio-pulses"),
    "audio-repeat": ("bed-audio", "data-audio-repeat"),
    "pump-status": ("pump-status", "children"),
    "pump-title": ("pump-title", "children"),
    "pump-order": ("pump-order", "children"),
    "pump-card": ("pump-card", "className"),
    "pump-stop-button": ("pump-stop-button", "children"),
    "start-title": ("start-title", "children"),
    "start-order": ("start-order", "children"),
    "start-infusion": ("start-infusion", "children"),
    "oxygen-state": ("oxygen-state", "children"),
    "chart-recent": ("chart-recent", "children"),
    "start-wire": ("start-wire", "data"),
    "start-card": ("start-card", "className"),
    "start-status": ("start-status", "data"),
    "discharge-panel": ("discharge-panel", "hidden"),
    "discharge-status": ("discharge-status", "children"),
    "discharge-result": ("discharge-result", "children"),
    "patient-says-words": ("patient-says-words", "children"),
    "patient-says-time": ("patient-says-time", "children"),
    "patient-says-class": ("patient-says", "className"),
}
"""Tick keys of the panels, each re-sent only when it changed."""

NOT_MARKED = frozenset({"inject_event", "start_session", "set_speed", "pause_simulation",
                        "resume_simulation", "create_patient"})  # fmt: skip
"""Logged actions the bedside chart leaves out: the instructor running the class (a
scripted event stays a surprise), not care of the patient at this chair."""
ACTION_TEXT: dict[str, Callable[[dict[str, Any]], str]] = {
    "pause_pump": lambda p: "Pump paused",
    "resume_pump": lambda p: "Pump resumed",
    "set_rate": lambda p: f"Rate set to {p.get('rate_mg_per_kg_h')} mg/kg/h",
    "stop_infusion": lambda p: "Infusion stopped",
    "give_antihypertensive": lambda p: f"{str(p.get('drug', '')).title()} {p.get('dose_mg')} mg",
    "give_antiemetic": lambda p: f"{str(p.get('drug', '')).title()} {p.get('dose_mg')} mg",
    "oxygen_on": lambda p: f"Oxygen {p.get('flow_l_min')} L/min",
    "oxygen_off": lambda p: "Oxygen off",
    "reposition": lambda p: "Repositioned",
    "reassure": lambda p: "Reassured",
    "nibp_start": lambda p: "NIBP started",
    "acknowledge": lambda p: f"Acknowledged {alarm_words.target(p)}",
    "acknowledge_all": lambda p: "Acknowledged all alarms",
    "pause_audio": lambda p: "Audio paused",
    "resume_audio": lambda p: "Audio resumed",
    "reset": lambda p: "Alarms reset",
    "set_limit": lambda p: (
        f"{alarm_words.limit(p.get('channel'), p.get('which'))} {fmt.num(p.get('value'))}"
    ),
    "alarm_off": lambda p: f"{alarm_words.parameter(p.get('channel'))} alarms off",
    "alarm_on": lambda p: f"{alarm_words.parameter(p.get('channel'))} alarms on",
    "auto_limits": lambda p: "Auto limits",
    "chart": lambda p: f"Charted {p.get('kind')} {fmt.num(p.get('value'))}".rstrip(" –"),
    "start_infusion": lambda p: start_text(p),
    "discharge": lambda p: "Discharged",
}


def said_text(row: Mapping[str, Any]) -> str:
    """A stored ``symptom`` event as a log line: 'Patient: “I feel sick”' ("" if no words)."""
    words = (row.get("detail") or {}).get("words")
    return f"Patient: “{words}”" if words else ""


def start_text(p: dict[str, Any]) -> str:
    """A ``start_infusion`` row's words (a refused one has check "blocked", no override);
    a nasal spray's (``route`` "intranasal") says a dose was started."""
    lead = dose_words.started(p.get("route"))
    if p.get("override_reason"):
        return f"{lead} despite a blocked check: {p['override_reason']}"
    if p.get("auto"):
        return f"{lead} by itself"
    check = str(p.get("check"))
    if check == "blocked":
        return "Start infusion"
    return f"{lead} with caution" if check == "caution" else lead


def action_text(row: dict[str, Any], labels: Mapping[str, str] | None = None) -> str | None:
    """A marker's text for one logged action; None for what a trainee must not see.
    ``labels``: the bed's condition names in words (``BedView.alarm_labels``)."""
    kind = row.get("kind", "")
    if kind in NOT_MARKED:
        return None
    render = ACTION_TEXT.get(kind)
    params = row.get("params") or {}
    if kind == "acknowledge":
        text = f"Acknowledged {alarm_words.target(params, labels)}"
    else:
        text = render(params) if render else kind.replace("_", " ")
    if row.get("outcome") == "refused":
        text += " (refused)"
    actor = row.get("actor")
    return text if actor in (None, "trainee") else f"{text} ({actor})"


# -- events --------------------------------------------------------------------------------


def _markers(
    rt: Runtime, sid: int, cursor: dict[str, Any], labels: Mapping[str, str] | None = None
) -> dict[str, tuple[list, list, list]]:
    """New action and alarm-onset markers past the cursor; updates phases and oxygen.
    ``labels``: the bed's condition names in words (``BedView.alarm_labels``)."""
    seq = cursor["seq"]
    ev: dict[str, tuple[list, list, list]] = {
        k: ([], [], []) for k in ("action", "HIGH", "MEDIUM", "LOW")
    }
    for row in rt.feed.actions_since(sid, seq["action"]):
        seq["action"] = row["seq"]
        kind = row.get("kind")
        if kind == "oxygen_on":
            cursor["o2"] = (row.get("params") or {}).get("flow_l_min") or 2
        elif kind == "oxygen_off":
            cursor["o2"] = 0
        text = action_text(row, labels)
        if text is not None:
            xs, ys, ts = ev["action"]
            xs.append(series.xt(row["t_s"]))
            ys.append(1)
            ts.append(plotly_text(f"{fmt.clock(row['t_s'])} {text}"))  # people typed parts
    for row in rt.feed.alarm_events_since(sid, seq["alarm"]):
        seq["alarm"] = row["seq"]
        prio = row.get("priority")
        if row.get("event") == "active" and prio in ("HIGH", "MEDIUM", "LOW"):
            xs, ys, ts = ev[prio]
            xs.append(series.xt(row["t_s"]))
            ys.append(0)
            ts.append(plotly_text(f"{fmt.clock(row['t_s'])} {alarm_words.onset(row, labels)}"))
    for row in rt.feed.session_events_since(sid, seq["session"]):
        seq["session"] = row["seq"]
        if row.get("kind") == interruptions.INTERRUPTED:  # a band on the chart, in words
            cursor["gaps"].append([series.xt(row["t_s"]), interruptions.label(row.get("detail"))])
        elif row.get("kind") == SAID:  # the patient's words, with what was done
            said = said_text(row)
            if said:
                xs, ys, ts = ev["action"]
                xs.append(series.xt(row["t_s"]))
                ys.append(1)
                ts.append(plotly_text(f"{fmt.clock(row['t_s'])} {said}"))
                cursor["said"] = (float(row["t_s"]), str(row["detail"]["words"]))
        elif row.get("kind") == "phase":
            phase = (row.get("detail") or {}).get("phase")
            new = not cursor["phases"] or cursor["phases"][-1][1] != phase
            if phase and phase != "baseline" and new:
                cursor["phases"].append([series.xt(row["t_s"]), phase])
    return ev


def _observations(rt: Runtime, sid: int, cur: dict[str, Any], out: dict[str, Any]) -> None:
    rows = rt.feed.observations_since(sid, cur["seq"]["obs"])
    if rows:
        cur["seq"]["obs"] = rows[-1]["seq"]
    last = cur["seq"]["obs"]
    shown: Shown = cur["shown"]
    if shown.sums.get("chart-recent") == last:
        return
    recent = rt.feed.observations_since(sid, max(0, last - RECENT_OBS)) if last else []
    data = [(r["t_s"], r["kind"], r.get("value"), r.get("text")) for r in recent][-RECENT_OBS:]
    shown.sums["chart-recent"] = last
    out["chart-recent"] = charting.render(data)


# -- samples -------------------------------------------------------------------------------


def _new_points(rt: Runtime, view: BedView, cursor: dict[str, Any]) -> dict[str, tuple]:
    """Points past each channel's cursor, read per group: the 1 Hz channels every tick,
    NIBP only when the bed has a reading newer than the cursor."""
    sid = view.session_id
    cur = cursor["t"]
    continuous, periodic = _groups()
    out: dict[str, tuple[list, list]] = {ch: ([], []) for ch in (*continuous, *periodic)}
    last = view.last_nibp or {}
    new = any(last.get(ch, (-1.0, None))[0] > cur[ch] for ch in periodic)
    groups = (continuous, periodic) if new else (continuous,)
    for group in groups:
        after = max(min(cur[ch] for ch in group), view.t_s - LATE_S)
        for t, ch, v, q in rt.feed.samples_since(sid, after, group):
            if t <= cur[ch]:
                continue
            cur[ch] = t
            xs, ys = out[ch]
            xs.append(series.xt(t))
            ys.append(None if q == "invalid" or math.isnan(v) else round(v, 1))
    return out


def _backfill(rt: Runtime, view: BedView, out: dict[str, Any]) -> dict[str, Any]:
    """The whole session so far (downsampled when long) as a fresh figure, and its cursor."""
    sid = view.session_id
    assert sid is not None
    rows = rt.feed.samples_since(sid, None, trends.chart().channels)
    last_t = max((r[0] for r in rows[-64:]), default=-1.0)
    cur: dict[str, Any] = {
        "sid": sid,
        "t": dict.fromkeys(trends.chart().channels, last_t),
        "seq": dict.fromkeys(SEQS, 0),
        "phases": [],
        "gaps": [],
        "o2": 0,
        "shown": Shown(SHOWN),
    }
    data = series.downsample(rows, trends.chart().channels, view.t_s)
    out["figure"] = trends.figure(data, _markers(rt, sid, cur, view.alarm_labels))
    return cur


def _load(cursor: dict[str, Any]) -> dict[str, Any]:
    """The compact cursor the browser keeps, unpacked."""
    return {
        "sid": cursor["sid"],
        "t": dict(zip(trends.chart().channels, cursor["t"], strict=True)),
        "seq": dict(zip(SEQS, cursor["seq"], strict=True)),
        "phases": [list(p) for p in cursor["ph"]],
        "gaps": [list(g) for g in cursor.get("ip") or []],
        "o2": cursor.get("o2", 0),
        "shown": Shown(SHOWN, cursor["sh"]),
    }


def _dump(cur: dict[str, Any], now: float) -> dict[str, Any]:
    return {
        "sid": cur["sid"],
        "t": [cur["t"][ch] for ch in trends.chart().channels],
        "seq": [cur["seq"][k] for k in SEQS],
        "ph": cur["phases"],
        "ip": cur["gaps"],
        "o2": cur["o2"],
        "sh": cur["shown"].pack(),
        "now": now,
    }


# -- panels --------------------------------------------------------------------------------


def _panels(view: BedView, cur: dict[str, Any], out: dict[str, Any]) -> None:
    shown: Shown = cur["shown"]
    sig = view.signals
    shown.put(out, "bed-phase", discharge_widget.phase_text(view))
    for key, value in numerics.values(view).items():
        shown.put(out, key, value)
    gaps = cur["gaps"]
    key = trends.decor_key(view.limits or {}, view.baseline, cur["phases"], gaps)
    shown.put(
        out,
        "decor",
        key,
        lambda _: trends.decor(view.limits or {}, view.baseline, cur["phases"], gaps),
    )
    rows = alarm_banner.rows(sig)
    shown.put(out, "alarms", rows)
    highest = rows[0][1].lower() if rows else "none"
    shown.put(out, "alarm-banner", f"alarm-banner highest-{highest}")
    paused = sig is not None and sig.audio_paused
    countdown = f"Audio paused {fmt.mmss(sig.pause_remaining_s)}" if paused else ""
    shown.put(out, "audio-countdown", countdown)
    shown.put(out, "alarm-pause-audio", "Resume audio" if paused else "Pause audio")
    off = ", ".join(alarm_words.parameter(n.channel) for n in sig.alarms_off) if sig else ""
    shown.put(out, "alarm-off-notice", f"Alarms OFF: {off}" if off else "")
    shown.put(out, "alarm-ack-all", not alarm_banner.pending(sig))
    pattern, pulses, repeat = audio.state(sig)
    if shown.put(out, "audio", pattern):
        out["audio-detail"] = (pulses, repeat)
    shown.put(out, "pump-status", pump_panel.state(view.pump, view.t_s), pump_panel.render)
    dose = view.dose
    if "figure" in out:  # a new session or page (backfill): the prescription's words, which
        out.update(dose_panels(dose))  # stay as they are for the session (no checksum)
    o2 = cur.get("o2") or 0
    shown.put(out, "oxygen-state", f"Oxygen on, {o2:g} L/min" if o2 else "Oxygen off")
    shown.put(out, "readiness", readiness.wire(view.readiness, view.discharge))
    shown.put(out, "crit-labels", readiness.labels(view.discharge))
    start = start_check.state(view)
    shown.put(out, "start-card", start_check.card_class(start))
    shown.put(out, "start-status", start_check.status_data(start, dose))
    parts: dict[str, Any] = {}
    for key, value in start_check.wire_parts(start).items():
        if shown.put(parts, f"start-{key}", value):
            parts[key] = parts.pop(f"start-{key}")
    if parts:  # the checklist's changed lines, drawn by assets/bedside.js
        out["start-wire"] = {**parts, "t": view.t_s}
    if start is None:  # started (or no session): the lines' checksums leave the cursor
        for key in start_check.PART_KEYS[2:]:
            shown.sums.pop(f"start-{key}", None)
    # the button, the line under it and, once readiness or the state changes, a refusal's
    # list (the button's callback draws it): one checksum for the three
    hidden, status = discharge_widget.panel_hidden(view), discharge_widget.status_text(view)
    if shown.put(out, "discharge", (hidden, status, discharge_widget.result_key(view))):
        del out["discharge"]  # the checksum's own key: no component
        out["discharge-panel"], out["discharge-status"], out["discharge-result"] = (
            hidden, status, [])  # fmt: skip


def _said(cur: dict[str, Any], out: dict[str, Any], fresh: bool = False) -> None:
    """The "Patient says" line when the patient said something new (the markers found it
    in the event log), or, on a fresh page, whatever was said last (nothing: hidden).
    Nothing goes into the cursor: the event log's seq already says what was read."""
    said = cur.pop("said", None)
    if said is None and not fresh:
        return
    out["patient-says-words"], out["patient-says-time"], out["patient-says-class"] = (
        patient_says.state(said))  # fmt: skip


def dose_panels(dose: Any) -> dict[str, str]:
    """The pump card's and the start card's words for a session's prescription."""
    order = dose_words.order_line(dose)
    return {"pump-title": dose_words.pump_title(dose),
            "pump-order": dose_words.order_line(dose, short=True),
            "pump-card": pump_panel.card_class(dose),
            "pump-stop-button": dose_words.stop_label(dose),
            "start-title": start_check.title(dose), "start-order": order,
            "start-infusion": dose_words.start_label(dose)}  # fmt: skip


def component_props(out: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """A tick's result as component id -> {property: value}, for whatever delivers it
    (the polling callback, the push stream)."""
    out = dict(out)
    if "audio-detail" in out:
        out["audio-pulses"], out["audio-repeat"] = out.pop("audio-detail")
    props: dict[str, dict[str, Any]] = {}
    for table in (DECLARED, PANELS):
        for key, (cid, prop) in table.items():
            if key in out:
                props.setdefault(cid, {})[prop] = out[key]
    return props


def bedside_tick(rt: Runtime, bed_id: str, cursor: dict[str, Any] | None) -> dict[str, Any]:
    """Everything that changed on the bedside page, keyed by component (see pages/bedside).

    Keys: "figure" (backfill), "wire" (``{"e": trends.compact(...), "a": alarm rows,
    "d": trends.decor(...), "r": readiness.wire(...)}``, each part only when new), "cursor",
    panel ids, "audio" and "audio-detail"; a key that is absent means "unchanged"."""
    out: dict[str, Any] = {}
    view = bed_view(rt, bed_id)
    if view is None:
        out["bed-phase"] = f"No bed {bed_id!r}"
        return out
    if view.session_id is None:
        if cursor is not None:
            out["cursor"] = None
        out["bed-phase"] = "No session"
        return out
    if cursor is None or cursor.get("sid") != view.session_id:
        cur = _backfill(rt, view, out)
        _said(cur, out, fresh=True)
    else:
        cur = _load(cursor)
        points = _new_points(rt, view, cur)
        events = _markers(rt, view.session_id, cur, view.alarm_labels)
        ext = trends.compact(points, events)
        if ext is not None:
            out["wire"] = {"e": ext}
        _said(cur, out)
    _observations(rt, view.session_id, cur, out)
    _panels(view, cur, out)
    cur["shown"].put(out, "live-notice", rt.live_notice() or "")
    for key, part in WIRED.items():
        if key in out:
            out.setdefault("wire", {})[part] = out.pop(key)
    out["cursor"] = _dump(cur, view.t_s)
    return out

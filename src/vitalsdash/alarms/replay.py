"""Replay a recording through the engine: phases, baseline, actions file, log and summary.

The loop works on column lists and calls the engine once per distinct timestamp, which
keeps a 24-hour recording well inside the budget of a few microseconds per sample.
"""

from __future__ import annotations

import csv
import json
import sys
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from vitalsdash import channels
from vitalsdash.alarms._actions import apply_action
from vitalsdash.alarms._conditions import process_rows, tick
from vitalsdash.alarms._engine import new_state
from vitalsdash.alarms._profile import AlarmProfile, alarmed_ids
from vitalsdash.alarms._state import AlarmState
from vitalsdash.alarms._types import (
    LIMIT_KINDS,
    PUMP_STATES,
    ActionKind,
    Actor,
    AlarmAction,
    AlarmActionError,
    AlarmEvent,
)
from vitalsdash.durations import hms
from vitalsdash.model import Phase, Quality, Sample, channel_of
from vitalsdash.protocol import alarm_baseline, baseline_from
from vitalsdash.recording import RecordingError

LOG_COLUMNS = ("t", "condition", "event", "priority", "value", "limit")
FULL_COLUMNS = (*LOG_COLUMNS, "base_priority", "actor", "bed", "detail")
ACTION_COLUMNS = ("t", "action", "actor", "target", "value")


# --- phases and baseline ------------------------------------------------------------------


def phase_actions(rec: pd.DataFrame, events: pd.DataFrame | None) -> list[AlarmAction]:
    """Phase changes from the events sidecar (kind ``phase``), else from the pump's rate.

    Without a sidecar: baseline until the pump rate first goes above 0, infusion from
    then, and observation after its last change to 0 (if the pump stays off).
    """
    if events is not None:
        rows = events[events["kind"].str.strip().str.lower() == "phase"]
        out = []
        for t, detail in zip(rows["t"].tolist(), rows["detail"].tolist(), strict=True):
            phase = _phase_in(detail)
            if phase is not None:
                out.append(AlarmAction.set_phase(phase, float(t)))
        if out:
            return out
    pump = rec[rec["channel"] == channels.pump_rate_channel()]
    if pump.empty:
        return []
    t = pump["t"].to_numpy()
    on = pump["value"].fillna(0.0).to_numpy() > 0
    if not on.any():
        return []
    first = int(np.argmax(on))
    out = [AlarmAction.set_phase(Phase.INFUSION, float(t[first]))]
    stops = np.flatnonzero(on[:-1] & ~on[1:]) + 1
    if stops.size and not on[stops[-1] :].any():
        out.append(AlarmAction.set_phase(Phase.OBSERVATION, float(t[stops[-1]])))
    return out


def pump_actions(events: pd.DataFrame | None) -> list[AlarmAction]:
    """The pump's reports from the events sidecar (kind ``pump``, ``{"state": "paused"}``),
    each change of state once, as the live runtime gives them to the engine."""
    if events is None:
        return []
    rows = events[events["kind"].str.strip().str.lower() == "pump"]
    out, last = [], "not_started"
    for t, detail in zip(rows["t"].tolist(), rows["detail"].tolist(), strict=True):
        try:
            data = json.loads(detail)
        except (TypeError, ValueError):  # no text, or not JSON: no report of the pump
            continue
        state = data.get("state") if isinstance(data, dict) else None
        if state in PUMP_STATES and state != last:
            out.append(AlarmAction.set_pump(state, float(t)))
            last = state
    return out


def _phase_in(detail: str) -> Phase | None:
    """The phase named in a sidecar detail: JSON ``{"phase": "infusion"}`` or plain text."""
    try:
        data = json.loads(detail)
    except ValueError:
        data = None
    if isinstance(data, dict) and str(data.get("phase", "")).lower() in set(Phase):
        return Phase(str(data["phase"]).lower())
    low = detail.lower()
    return next((p for p in Phase if p.value in low), None)


def baseline_action(rec: pd.DataFrame, phases: Sequence[AlarmAction]) -> AlarmAction | None:
    """The patient's baseline from what was measured before the infusion started, set by
    ``system`` at its start: the protocol's own rule, as the live runtime applies it."""
    start = next((a.t_s for a in phases if a.phase is Phase.INFUSION), None)
    if start is None:
        return None
    before = rec[(rec["t"] < start) & rec["channel"].isin(alarmed_ids())]
    samples = [
        Sample(t, channel_of(ch) or ch, v, Quality(q))
        for t, ch, v, q in zip(before["t"].tolist(), before["channel"].tolist(),
                               before["value"].tolist(), before["quality"].tolist(),
                               strict=True)
    ]  # fmt: skip
    values = alarm_baseline(baseline_from(samples))
    return AlarmAction.set_baseline(values, start) if values else None


# --- actions file ---------------------------------------------------------------------------


def read_actions_frame(path: str | Path) -> pd.DataFrame:
    """An actions CSV as strings (``t`` and ``action`` required), or a RecordingError."""
    path = Path(path)
    if not path.is_file():
        raise RecordingError(path, "", "no such file")
    try:
        df = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (OSError, ValueError, pd.errors.ParserError) as exc:
        raise RecordingError(path, "", f"cannot be read: {exc}") from None
    missing = [c for c in ("t", "action") if c not in df.columns]
    if missing:
        raise RecordingError(path, "header", f"missing column(s): {', '.join(missing)}")
    return df


def read_actions(path: str | Path) -> list[AlarmAction]:
    """Read an actions CSV: ``t,action,actor,target,value`` (actor, target, value optional).

    ``target`` is a condition (acknowledge, reset), a channel (alarm_off, alarm_on,
    set_baseline; acknowledge_all of one parameter's row, empty for every alarm),
    ``CHANNEL.which`` for set_limit (e.g. ``HR.high``), a phase, or the pump's state
    (set_pump); ``value`` the limit, the baseline value or, for observation_overdue, the
    protocol's maximum observation in minutes.
    """
    path = Path(path)
    df = read_actions_frame(path)
    out = []
    for i, row in enumerate(df.to_dict("records")):
        where = f"line {i + 2}"
        try:
            out.append(action_from_row({k: str(v).strip() for k, v in row.items()}))
        except (ValueError, AlarmActionError) as exc:
            raise RecordingError(path, where, str(exc)) from None
    return sorted(out, key=lambda a: a.t_s)


def action_from_row(row: dict[str, str]) -> AlarmAction:
    try:
        t = float(row["t"])
    except ValueError:
        raise ValueError(f"column t: not a number: {row['t']!r}") from None
    try:
        kind = ActionKind(row["action"].lower())
    except ValueError:
        raise ValueError(
            f"column action: unknown action {row['action']!r} "
            f"(one of {', '.join(k.value for k in ActionKind)})"
        ) from None
    try:
        actor = Actor(row.get("actor", "").lower() or "trainee")
    except ValueError:
        raise ValueError(
            f"column actor: {row['actor']!r} is not trainee, instructor or system"
        ) from None
    target = row.get("target", "")
    value = row.get("value", "")

    def number() -> float:
        try:
            return float(value)
        except ValueError:
            raise ValueError(f"column value: not a number: {value!r}") from None

    def need_target(what: str) -> str:
        if not target:
            raise ValueError(f"column target: {kind.value} needs {what}")
        return target

    match kind:
        case ActionKind.ACKNOWLEDGE:
            return AlarmAction.acknowledge(need_target("a condition"), t, actor)
        case ActionKind.ACKNOWLEDGE_ALL:
            return AlarmAction.acknowledge_all(t, actor, target or None)
        case ActionKind.RESET:
            return AlarmAction.reset(t, target or None, actor)
        case ActionKind.PAUSE_AUDIO:
            return AlarmAction.pause_audio(t, actor)
        case ActionKind.RESUME_AUDIO:
            return AlarmAction.resume_audio(t, actor)
        case ActionKind.AUTO_LIMITS:
            return AlarmAction.auto_limits(t, actor)
        case ActionKind.ALARM_OFF | ActionKind.ALARM_ON:
            make = AlarmAction.alarm_off if kind is ActionKind.ALARM_OFF else AlarmAction.alarm_on
            return make(need_target("a channel"), t, actor)
        case ActionKind.SET_LIMIT:
            ch, _, which = need_target("CHANNEL.which, e.g. HR.high").partition(".")
            if which not in LIMIT_KINDS:
                raise ValueError(f"column target: limit must be one of {', '.join(LIMIT_KINDS)}")
            return AlarmAction.set_limit(ch, which, number(), t, actor)
        case ActionKind.SET_PHASE:
            try:
                return AlarmAction.set_phase(need_target("a phase").lower(), t, actor)
            except ValueError:
                raise ValueError(f"column target: unknown phase {target!r}") from None
        case ActionKind.SET_BASELINE:
            return AlarmAction.set_baseline({need_target("a channel"): number()}, t, actor)
        case ActionKind.SET_PUMP:
            state = need_target("the pump's state").lower()
            if state not in PUMP_STATES:
                raise ValueError(
                    f"column target: pump state must be one of {', '.join(PUMP_STATES)}"
                )
            return AlarmAction.set_pump(state, t, actor)
        case ActionKind.OBSERVATION_OVERDUE:
            return AlarmAction.observation_overdue(number(), t, actor)
        case ActionKind.END_OBSERVATION:
            return AlarmAction.end_observation(t, actor)
    raise ValueError(f"unsupported action {kind.value}")  # pragma: no cover


# --- the replay loop ------------------------------------------------------------------------


def _apply_logged(st: AlarmState, a: AlarmAction, events: list[AlarmEvent]) -> None:
    """Apply an action from a file; one that is invalid at its time is logged as rejected."""
    try:
        apply_action(st, a, events)
    except AlarmActionError as exc:
        target = a.condition or (str(a.channel) if a.channel else "")
        events.append(
            AlarmEvent(
                a.t_s,
                target,
                "rejected",
                actor=str(a.actor),
                bed=st.bed,
                detail={"action": str(a.kind), "code": exc.code, "reason": str(exc)},
            )
        )


def replay(
    rec: pd.DataFrame,
    profile: AlarmProfile,
    actions: Sequence[AlarmAction] = (),
    *,
    bed: str = "",
    progress: Callable[[int], None] | None = None,
) -> tuple[list[AlarmEvent], AlarmState]:
    """Evaluate a recording (as from ``read_recording``) and return the complete log.

    Actions are applied at their own time, before the samples of that time. ``progress``
    is called now and then with the number of rows done since the last call.
    """
    ts: list[float] = rec["t"].tolist()
    chs: list[str] = rec["channel"].tolist()
    vals: list[float] = rec["value"].tolist()
    qs: list[str] = rec["quality"].tolist()
    n = len(ts)
    t0 = min(0.0, ts[0]) if n else 0.0
    st, events = new_state(profile, bed=bed, t0_s=t0)
    todo = sorted(actions, key=lambda a: a.t_s)
    na, ai = len(todo), 0
    if n:
        arr = np.asarray(ts)
        starts = np.flatnonzero(np.r_[True, arr[1:] != arr[:-1]]).tolist()
    else:
        starts = []
    ends = [*starts[1:], n]
    done = 0
    for g, i0 in enumerate(starts):
        t = ts[i0]
        while ai < na and todo[ai].t_s <= t:
            a = todo[ai]
            ai += 1
            _apply_logged(st, a, events)
            if a.t_s < t:
                tick(st, a.t_s, events)
        i1 = ends[g]
        process_rows(st, ts, chs, vals, qs, i0, i1, events)
        tick(st, t, events)
        if progress is not None and (g & 4095) == 4095:
            progress(i1 - done)
            done = i1
    for a in todo[ai:]:
        _apply_logged(st, a, events)
        tick(st, a.t_s, events)
    if progress is not None and n > done:
        progress(n - done)
    return events, st


# --- summary and log file -------------------------------------------------------------------


@dataclass
class Summary:
    """What a debrief starts from: episodes, suppressed excursions and time in alarm."""

    episodes: dict[tuple[str, str], int] = field(default_factory=dict)
    time_in_alarm_s: dict[tuple[str, str], float] = field(default_factory=dict)
    suppressed: dict[str, int] = field(default_factory=dict)
    still_active: list[str] = field(default_factory=list)

    @property
    def suppressed_total(self) -> int:
        return sum(self.suppressed.values())


def summarize(events: Sequence[AlarmEvent], end_t: float) -> Summary:
    """Count episodes per condition and (highest) priority; open ones end at ``end_t``."""
    open_: dict[str, tuple[float, str]] = {}
    episodes: dict[tuple[str, str], int] = defaultdict(int)
    time_in: dict[tuple[str, str], float] = defaultdict(float)
    suppressed: dict[str, int] = defaultdict(int)
    for e in events:
        if e.event == "active":
            open_[e.condition] = (e.t_s, e.priority.name if e.priority else "")
        elif e.event == "escalated" and e.condition in open_:
            open_[e.condition] = (open_[e.condition][0], e.priority.name if e.priority else "")
        elif e.event in ("normal", "latched") and e.condition in open_:
            start, prio = open_.pop(e.condition)
            episodes[(e.condition, prio)] += 1
            time_in[(e.condition, prio)] += e.t_s - start
        elif e.event == "suppressed":
            suppressed[e.condition] += 1
    still = sorted(open_)
    for cond, (start, prio) in open_.items():
        episodes[(cond, prio)] += 1
        time_in[(cond, prio)] += max(0.0, end_t - start)
    return Summary(
        dict(sorted(episodes.items())),
        dict(sorted(time_in.items())),
        dict(sorted(suppressed.items())),
        still,
    )


def _num(x: float | None) -> str:
    if x is None or x != x:
        return ""
    if float(x).is_integer():
        return str(int(x))
    return repr(round(float(x), 6))


def write_log(events: Sequence[AlarmEvent], path: str | Path, *, full: bool = False) -> None:
    """Write the log as CSV: t,condition,event,priority,value,limit (+ details if ``full``)."""
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(FULL_COLUMNS if full else LOG_COLUMNS)
        for e in events:
            row = [
                _num(e.t_s),
                e.condition,
                e.event,
                e.priority.name if e.priority else "",
                _num(e.value),
                _num(e.limit),
            ]
            if full:
                row += [
                    e.base_priority.name if e.base_priority else "",
                    e.actor,
                    e.bed,
                    json.dumps(e.detail, sort_keys=True, default=str) if e.detail else "",
                ]
            w.writerow(row)


def print_summary(summary: Summary, *, samples: int, duration_s: float, file=None) -> None:
    file = file or sys.stdout
    print(f"samples: {samples}  duration: {hms(duration_s)}", file=file)
    if not summary.episodes:
        print("episodes: none", file=file)
    else:
        print(f"{'condition':<14} {'priority':<8} {'episodes':>8} {'time in alarm':>14}", file=file)
        for (cond, prio), count in summary.episodes.items():
            tia = hms(summary.time_in_alarm_s.get((cond, prio), 0.0))
            print(f"{cond:<14} {prio:<8} {count:>8} {tia:>14}", file=file)
    per = ", ".join(f"{c} {n}" for c, n in summary.suppressed.items())
    print(f"suppressed: {summary.suppressed_total}" + (f" ({per})" if per else ""), file=file)
    total = sum(summary.time_in_alarm_s.values())
    print(f"time in alarm (all conditions): {hms(total)}", file=file)
    if summary.still_active:
        print(f"still active at the end: {', '.join(summary.still_active)}", file=file)

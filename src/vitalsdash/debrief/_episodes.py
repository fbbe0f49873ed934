"""Alarm episodes from the alarm log: start, end, priority, peak, acknowledgement, silencing.

Private to :mod:`vitalsdash.debrief`. Everything here is a pure function of the log rows
(store shape: ``t_s, condition, event, priority, priority_base, value, limit_value, actor,
detail``), the trainee's actions and, for peak values, the samples.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from vitalsdash import channels
from vitalsdash.alarms import APNEA
from vitalsdash.channels import Condition

PRIORITY_RANK = {"LOW": 1, "MEDIUM": 2, "HIGH": 3}
TECHNICAL_PREFIXES = ("NO_DATA", "SENSOR_OFF", "CUFF_FAIL", "NIBP_OVERDUE", "PUMP_PAUSED")
END_EVENTS = ("normal", "latched")


@dataclass(frozen=True, slots=True)
class ConditionInfo:
    """What a condition watches: its channel and direction (None for technical ones)."""

    channel: str | None
    direction: str | None  # "high" | "low" | None
    technical: bool = False


def condition_info(name: str, rules: Mapping[str, ConditionInfo] | None = None) -> ConditionInfo:
    """The channel and direction of ``name``: a profile rule, a built-in ``SYS_HI``-style
    name, or a technical condition (``NO_DATA_<ID>`` watches that channel, no direction)."""
    if rules and name in rules:
        return rules[name]
    if name == APNEA:  # no breath: hypoventilation at its worst, answered as a high EtCO2
        return ConditionInfo(_first_with(Condition.APNEA), "high")
    if name.startswith(TECHNICAL_PREFIXES):
        ch = name.removeprefix("NO_DATA_") if name.startswith("NO_DATA_") else None
        if name in ("SENSOR_OFF",):
            ch = _first_with(Condition.SENSOR_OFF)
        elif name in ("CUFF_FAIL", "NIBP_OVERDUE"):
            ch = _first_with(Condition.CUFF_FAIL)
        elif name == "PUMP_PAUSED":
            ch = next((c.id for c in channels.all_channels() if c.pump_rate), None)
        return ConditionInfo(ch, None, True)
    prefix, _, suffix = name.rpartition("_")
    short = {c.short: c.id for c in channels.alarmed()}
    if prefix in short and suffix in ("HI", "LO"):
        return ConditionInfo(short[prefix], "high" if suffix == "HI" else "low")
    return ConditionInfo(None, None)


def _first_with(condition: Condition) -> str | None:
    """The first channel that carries a probe, cuff or apnoea condition (the registry's
    order)."""
    return next((c.id for c in channels.alarmed() if c.supports(condition)), None)


def profile_conditions(profile: Any) -> dict[str, ConditionInfo]:
    """The profile's own rules (SYS_RISE, ...) by name; built-in names need no table."""
    if profile is None:
        return {}
    return {
        r.name: ConditionInfo(str(r.channel), str(r.direction))
        for r in getattr(profile, "rules", ())
    }


@dataclass(frozen=True, slots=True)
class Escalation:
    t_s: float
    before: str
    after: str
    reason: str


@dataclass(frozen=True, slots=True)
class Episode:
    """One alarm episode: from ``active`` to ``normal``/``latched`` (or still active).

    ``priority`` is the highest priority reached (after critical limits and escalation);
    ``visible_until_s`` is when the alarm stopped showing: its end, or for a latched one
    the reset (or the next episode, or the end of the session).
    """

    condition: str
    number: int
    channel: str | None
    direction: str | None
    technical: bool
    base_priority: str
    start_priority: str
    priority: str
    start_t_s: float
    end_t_s: float | None
    end_event: str | None  # normal | latched | None (still active)
    reset_t_s: float | None
    visible_until_s: float
    duration_s: float
    limit: float | None
    start_value: float | None
    peak_value: float | None
    peak_t_s: float | None
    start_reason: str
    escalations: tuple[Escalation, ...] = ()
    ack_t_s: float | None = None
    ack_actor: str | None = None
    audio_paused_t_s: float | None = None
    group: str = ""  # its banner row: the parameter (channel id), or a technical condition
    ack_group: str | None = None  # acknowledged with others: "all" or a parameter's row
    first_action_t_s: float | None = None
    first_action_kind: str | None = None
    first_action_actor: str | None = None
    first_patient_action_t_s: float | None = None
    first_patient_action_kind: str | None = None

    @property
    def still_active(self) -> bool:
        return self.end_t_s is None

    @property
    def latched(self) -> bool:
        return self.end_event == "latched"

    @property
    def time_to_ack_s(self) -> float | None:
        return None if self.ack_t_s is None else self.ack_t_s - self.start_t_s

    @property
    def time_to_action_s(self) -> float | None:
        return None if self.first_action_t_s is None else self.first_action_t_s - self.start_t_s

    @property
    def silenced_t_s(self) -> float | None:
        """First acknowledgement or audio pause while the episode was active."""
        times = [
            t
            for t in (self.ack_t_s, self.audio_paused_t_s)
            if t is not None and (self.end_t_s is None or t < self.end_t_s)
        ]
        return min(times) if times else None

    @property
    def silenced_by(self) -> str | None:
        t = self.silenced_t_s
        if t is None:
            return None
        return "acknowledge" if t == self.ack_t_s else "audio_pause"

    def active_at(self, t_s: float) -> bool:
        """Active (not yet ended) at ``t_s``: started before it, ended at or after it."""
        return self.start_t_s < t_s and (self.end_t_s is None or self.end_t_s >= t_s)

    def showing_at(self, t_s: float) -> bool:
        """Shown on the monitor at ``t_s`` (active, or latched and not reset)."""
        return self.start_t_s < t_s <= self.visible_until_s


@dataclass(frozen=True, slots=True)
class Suppressed:
    """An excursion that ended before its delay: a nuisance alarm the delay prevented."""

    t_s: float
    condition: str
    duration_s: float | None
    worst_value: float | None
    limit: float | None
    readings: int | None


@dataclass(slots=True)
class _Open:
    condition: str
    number: int
    base: str
    start_priority: str
    priority: str
    start_t: float
    limit: float | None
    value: float | None
    reason: str
    values: list[float] = field(default_factory=list)
    escalations: list[Escalation] = field(default_factory=list)
    end_t: float | None = None
    end_event: str | None = None
    reset_t: float | None = None
    ack_t: float | None = None
    ack_actor: str | None = None
    ack_group: str | None = None


def _num(v: Any) -> float | None:
    if v is None:
        return None
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(f) else f


def _prio(p: Any, default: str = "") -> str:
    return str(p).upper() if p else default


def _detail(row: Mapping[str, Any]) -> Mapping[str, Any]:
    d = row.get("detail")
    return d if isinstance(d, Mapping) else {}


def _limit(row: Mapping[str, Any]) -> float | None:
    return _num(row.get("limit_value", row.get("limit")))


def build_episodes(
    alarm_events: Sequence[Mapping[str, Any]],
    end_t_s: float,
    *,
    rules: Mapping[str, ConditionInfo] | None = None,
    samples: pd.DataFrame | None = None,
) -> list[Episode]:
    """Every episode in the log, in order of start (then condition)."""
    open_: dict[str, _Open] = {}
    latched: dict[str, _Open] = {}
    counts: dict[str, int] = {}
    done: list[_Open] = []
    for row in sorted(alarm_events, key=lambda r: float(r["t_s"])):
        ev, cond, t = str(row["event"]), str(row["condition"]), float(row["t_s"])
        d = _detail(row)
        if ev == "active":
            latched.pop(cond, None)  # a new episode replaces a latched one on the screen
            counts[cond] = counts.get(cond, 0) + 1
            p = _prio(row.get("priority"), "MEDIUM")
            o = _Open(
                cond,
                counts[cond],
                _prio(row.get("priority_base"), p),
                p,
                p,
                t,
                _limit(row),
                _num(row.get("value")),
                str(d.get("reason", "")),
            )
            if o.value is not None:
                o.values.append(o.value)
            open_[cond] = o
        elif ev == "escalated" and cond in open_:
            o = open_[cond]
            after = _prio(row.get("priority"), o.priority)
            o.escalations.append(
                Escalation(t, str(d.get("before", o.priority)), after, str(d.get("reason", "")))
            )
            if PRIORITY_RANK.get(after, 0) > PRIORITY_RANK.get(o.priority, 0):
                o.priority = after
            if (v := _num(row.get("value"))) is not None:
                o.values.append(v)
        elif ev in ("reactivated", "clearing", "reminder") and cond in open_:
            if (v := _num(row.get("value"))) is not None:
                open_[cond].values.append(v)
        elif ev in END_EVENTS and cond in open_:
            o = open_.pop(cond)
            o.end_t, o.end_event = t, ev
            done.append(o)
            if ev == "latched":
                latched[cond] = o
        elif ev == "reset" and cond in latched:
            latched.pop(cond).reset_t = t
        elif ev == "acknowledged":
            target = open_.get(cond) or latched.get(cond)
            number = d.get("episode")
            if (
                target is not None
                and target.ack_t is None
                and (number is None or int(number) == target.number)
            ):
                target.ack_t, target.ack_actor = t, str(row.get("actor") or "")
                target.ack_group = None if d.get("group") is None else str(d["group"])
    done.extend(open_.values())
    starts: dict[str, list[float]] = {}
    for o in sorted(done, key=lambda o: o.start_t):
        starts.setdefault(o.condition, []).append(o.start_t)
    by_channel = _channel_series(samples)
    out = []
    for o in done:
        info = condition_info(o.condition, rules)
        end = o.end_t if o.end_t is not None else end_t_s
        if o.end_event == "latched":
            if o.reset_t is not None:
                visible = o.reset_t
            else:
                later = [s for s in starts[o.condition] if s > o.start_t]
                visible = later[0] if later else max(end_t_s, end)
        else:
            visible = end
        peak, peak_t = _peak(o, info, end, by_channel)
        out.append(
            Episode(
                condition=o.condition,
                number=o.number,
                channel=info.channel,
                direction=info.direction,
                technical=info.technical,
                base_priority=o.base,
                start_priority=o.start_priority,
                priority=o.priority,
                start_t_s=o.start_t,
                end_t_s=o.end_t,
                end_event=o.end_event,
                reset_t_s=o.reset_t,
                visible_until_s=visible,
                duration_s=max(0.0, end - o.start_t),
                limit=o.limit,
                start_value=o.value,
                peak_value=peak,
                peak_t_s=peak_t,
                start_reason=o.reason,
                escalations=tuple(o.escalations),
                ack_t_s=o.ack_t,
                ack_actor=o.ack_actor,
                group=o.condition if info.technical or info.channel is None else info.channel,
                ack_group=o.ack_group,
            )
        )
    out.sort(key=lambda e: (e.start_t_s, e.condition))
    return out


def _channel_series(samples: pd.DataFrame | None) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Usable values per channel as (t, value) arrays in time order."""
    if samples is None or samples.empty:
        return {}
    tcol = "t_s" if "t_s" in samples.columns else "t"
    ok = samples["value"].notna() & (samples["quality"] != "invalid")
    df = samples.loc[ok, [tcol, "channel", "value"]]
    return {
        str(ch): (g[tcol].to_numpy(dtype=float), g["value"].to_numpy(dtype=float))
        for ch, g in df.groupby("channel", sort=False)
    }


def _peak(
    o: _Open, info: ConditionInfo, end: float, series: Mapping[str, tuple[np.ndarray, np.ndarray]]
) -> tuple[float | None, float | None]:
    """The worst value of the episode: the highest for a high alarm, the lowest for a low one,
    from the channel's samples from start to end (the logged values when there are none)."""
    if info.direction is None:
        return None, None
    hi = info.direction == "high"
    if info.channel in series:
        t, v = series[info.channel]
        i0, i1 = np.searchsorted(t, o.start_t, "left"), np.searchsorted(t, end, "right")
        if i1 > i0:
            seg = v[i0:i1]
            k = int(np.argmax(seg) if hi else np.argmin(seg))
            return float(seg[k]), float(t[i0 + k])
    if o.values:
        return (max(o.values) if hi else min(o.values)), None
    return None, None


@dataclass(frozen=True, slots=True)
class AlarmGroup:
    """One banner row as the trainee saw it: the episodes of one parameter (or one
    technical condition) that were on screen together, the first one opening the row
    and the later ones folded under it until none is showing any more.

    What the trainee did about the row counts once: one acknowledgement (of the row, or
    of every alarm, at its first), one time to acknowledge and one first action, however
    many conditions one cause raised (one NIBP reading: high, rise over baseline...)."""

    group: str
    episodes: tuple[Episode, ...]

    @property
    def start_t_s(self) -> float:
        return self.episodes[0].start_t_s

    @property
    def visible_until_s(self) -> float:
        return max(e.visible_until_s for e in self.episodes)

    @property
    def priority(self) -> str:
        return max((e.priority for e in self.episodes), key=lambda p: PRIORITY_RANK.get(p, 0))

    @property
    def conditions(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(e.condition for e in self.episodes))

    @property
    def ack_t_s(self) -> float | None:
        """The first acknowledgement of any of its alarms."""
        return min((e.ack_t_s for e in self.episodes if e.ack_t_s is not None), default=None)

    @property
    def time_to_ack_s(self) -> float | None:
        return None if self.ack_t_s is None else self.ack_t_s - self.start_t_s

    @property
    def first_action_t_s(self) -> float | None:
        times = [e.first_action_t_s for e in self.episodes if e.first_action_t_s is not None]
        return min(times, default=None)

    @property
    def time_to_action_s(self) -> float | None:
        t = self.first_action_t_s
        return None if t is None else t - self.start_t_s

    @property
    def never_acknowledged(self) -> tuple[Episode, ...]:
        """Its alarms nobody acknowledged (a later one folded under a row acknowledged
        before it started sounded again, and counts here)."""
        return tuple(e for e in self.episodes if e.ack_t_s is None)


def alarm_groups(episodes: Sequence[Episode]) -> list[AlarmGroup]:
    """The banner rows of the session, in order of start: per group (``Episode.group``),
    an episode that starts while another of its group is still showing joins that row."""
    by_group: dict[str, list[list[Episode]]] = {}
    for e in sorted(episodes, key=lambda e: (e.start_t_s, e.condition)):
        rows = by_group.setdefault(e.group or e.condition, [])
        if rows and e.start_t_s <= max(x.visible_until_s for x in rows[-1]):
            rows[-1].append(e)
        else:
            rows.append([e])
    out = [AlarmGroup(g, tuple(row)) for g, rows in by_group.items() for row in rows]
    out.sort(key=lambda r: (r.start_t_s, r.group))
    return out


def audio_pauses(alarm_events: Iterable[Mapping[str, Any]]) -> list[tuple[float, str]]:
    """(time, actor) of every audio pause in the log."""
    return [
        (float(r["t_s"]), str(r.get("actor") or ""))
        for r in alarm_events
        if r["event"] == "audio_paused"
    ]


def with_audio_pauses(
    episodes: Sequence[Episode], pauses: Sequence[tuple[float, str]]
) -> list[Episode]:
    """Note on each episode the first audio pause started while it was active."""
    out = []
    for e in episodes:
        first = next(
            (
                t
                for t, _ in sorted(pauses)
                if e.start_t_s <= t and (e.end_t_s is None or t < e.end_t_s)
            ),
            None,
        )
        out.append(replace(e, audio_paused_t_s=first) if first is not None else e)
    return out


def suppressed_excursions(alarm_events: Iterable[Mapping[str, Any]]) -> list[Suppressed]:
    out = []
    for r in alarm_events:
        if r["event"] != "suppressed":
            continue
        d = _detail(r)
        readings = d.get("readings")
        out.append(
            Suppressed(
                float(r["t_s"]),
                str(r["condition"]),
                _num(d.get("duration_s")),
                _num(r.get("value")),
                _limit(r),
                None if readings is None else int(readings),
            )
        )
    return sorted(out, key=lambda s: (s.t_s, s.condition))

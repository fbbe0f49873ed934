"""Limits in force: profile (per phase) + the user's edits + the baseline + alarm off.

Every change of a limit in force, whatever caused it (phase change, edit, auto-limits,
new baseline), is logged with old and new values, and takes effect at the next sample.
"""

from __future__ import annotations

from typing import Any

from vitalsdash import channels
from vitalsdash.alarms._conditions import arm_apnea, end_episode, suppress
from vitalsdash.alarms._profile import Rule
from vitalsdash.alarms._state import ACTIVE, INF, PENDING, AlarmState, Cond, refresh_quiet
from vitalsdash.alarms._types import AlarmEvent
from vitalsdash.channels import Condition


def channel_settings(st: AlarmState, ch: str) -> dict[str, Any]:
    """Profile settings for the current phase with the user's limit edits on top."""
    s = st.profile.channel(ch, st.phase)
    for (uch, which), value in st.user_limits.items():
        if uch == ch:
            s[which] = value
    return s


def _rule_limit(st: AlarmState, rule: Rule) -> float | None:
    if rule.phases is not None and st.phase not in rule.phases:
        return None
    if rule.threshold is not None:
        return rule.threshold
    base = st.baseline.get(rule.channel)
    if base is None:
        return None
    sign = 1.0 if rule.direction == "high" else -1.0
    options = []
    if rule.baseline_delta is not None:
        options.append(base + sign * rule.baseline_delta)
    if rule.baseline_pct is not None:
        options.append(base * (1.0 + sign * rule.baseline_pct / 100.0))
    return min(options) if sign > 0 else max(options)


def apply_settings(
    st: AlarmState, t: float, events: list[AlarmEvent], actor: str, cause: str
) -> None:
    """Recompute every condition's settings; log each changed limit; end disabled episodes."""
    p = st.profile
    for info in channels.alarmed():
        ch = info.id
        chan = st.chans[ch]
        s = channel_settings(st, ch)
        sat_low = info.supports(Condition.SAT_SECONDS)
        if chan.continuous:
            chan.stale_timeout = s["stale_timeout_s"] or p.stale_timeout_s
        for c in chan.conds:
            if c.rule is None:
                limit = s["high"] if c.hi else s["low"]
                critical = s["critical_high"] if c.hi else s["critical_low"]
                delay = 0.0 if c.periodic else s["delay_s"]
                readings, hyst = 1, s["hysteresis"]
                sat = s["sat_seconds"] if (sat_low and not c.hi) else 0
                latch = s["latch"] or p.latch
            else:
                limit, critical = _rule_limit(st, c.rule), None
                delay, readings, hyst = c.rule.duration_s, c.rule.readings, c.rule.hysteresis
                sat, latch = 0, p.latch
            _apply(st, c, t, events, actor, cause, limit, critical, chan.off)
            c.delay, c.min_readings, c.hyst, c.sat, c.latch = delay, readings, hyst, sat, latch
        if chan.apnea is not None:
            _apnea_settings(st, chan.apnea, t, events, s["latch"] or p.latch, chan.off)
        refresh_quiet(chan)


def _apnea_settings(
    st: AlarmState, c: Cond, t: float, events: list[AlarmEvent], latch: str, off: bool
) -> None:
    """APNEA follows its parameter's alarm off and latch setting; its delay is the
    profile's ``apnea_s`` (no phase changes it, no limit edit: not logged as a limit)."""
    c.limit, c.latch = st.profile.apnea_s, latch
    if c.enabled and off and c.state >= ACTIVE:
        end_episode(st, c, t, events, reason="alarm_off", latch=False)
    c.enabled = not off
    arm_apnea(st, t)


def _apply(
    st: AlarmState,
    c: Cond,
    t: float,
    events: list[AlarmEvent],
    actor: str,
    cause: str,
    limit: float | None,
    critical: float | None,
    off: bool,
) -> None:
    old_limit = None if c.limit in (INF, -INF) else c.limit
    if (old_limit, c.critical) != (limit, critical):
        events.append(
            AlarmEvent(
                t,
                c.name,
                "limit_changed",
                c.priority,
                c.base,
                None,
                limit,
                actor,
                st.bed,
                {
                    "cause": cause,
                    "before": {"limit": old_limit, "critical": c.critical},
                    "after": {"limit": limit, "critical": critical},
                },
            )
        )
    c.limit = limit if limit is not None else (INF if c.hi else -INF)
    c.critical = critical
    enabled = limit is not None and not off
    if c.enabled and not enabled:
        why = "alarm_off" if off else f"disabled by {cause}"
        if c.state == PENDING:
            suppress(st, c, t, events, reason=why)
        elif c.state >= 2:
            end_episode(st, c, t, events, reason=why, latch=False)
        c.sat_sum = 0.0
        c.excursions.clear()
    c.enabled = enabled


def auto_limits(st: AlarmState) -> dict[tuple[str, str], float]:
    """Limits from the baseline (Mindray adult formulas, in the channel registry), kept
    inside the critical limits."""
    b = st.baseline
    out: dict[tuple[str, str], float] = {}
    for info in channels.alarmed():
        ch = info.id
        if info.auto_limits is None or ch not in b:
            continue
        (lo_a, lo_b), (hi_a, hi_b) = info.auto_limits
        s = channel_settings(st, ch)
        lo, hi = float(round(lo_a * b[ch] + lo_b)), float(round(hi_a * b[ch] + hi_b))
        if s["critical_low"] is not None:
            lo = max(lo, s["critical_low"])
        if s["critical_high"] is not None:
            hi = min(hi, s["critical_high"])
        if lo < hi:
            out[(ch, "low")] = lo
            out[(ch, "high")] = hi
    return out

"""Condition lifecycle: what one sample does to a condition, and what time does to it.

This is the hot path of a replay. A sample inside the quiet band of its channel costs a
few comparisons; everything else (pending, delays, SatSeconds, hysteresis, technical
conditions, timers) happens here, once per sample that matters or per timestamp.
"""

from __future__ import annotations

from typing import Any

from vitalsdash.alarms._profile import PUMP_PAUSED
from vitalsdash.alarms._signals import AUDIO
from vitalsdash.alarms._state import (
    ACTIVE,
    CLEARING,
    INF,
    NORMAL,
    PENDING,
    AlarmState,
    Chan,
    Cond,
    refresh_quiet,
)
from vitalsdash.alarms._types import AlarmEvent, Priority

MIN_AUDIO_S = {
    Priority.HIGH: AUDIO[Priority.HIGH].burst_s / 2,
    Priority.MEDIUM: AUDIO[Priority.MEDIUM].burst_s,
    Priority.LOW: 0.0,
}
"""A HIGH episode plays at least half a burst, a MEDIUM one a whole burst (alarms.md)."""


def emit(
    st: AlarmState,
    events: list[AlarmEvent],
    t: float,
    c: Cond,
    event: str,
    value: float | None = None,
    limit: float | None = None,
    **detail: Any,
) -> None:
    """Append one transition of ``c`` to the log."""
    prio = c.priority if c.state >= ACTIVE or event in ("normal", "latched", "reset") else c.base
    events.append(AlarmEvent(t, c.name, event, prio, c.base, value, limit, "", st.bed, detail))


def _limit(c: Cond) -> float | None:
    return None if c.technical or c.limit in (INF, -INF) else c.limit


def _present_priority(st: AlarmState, exclude: Cond) -> int:
    top = 0
    for o in st.conds.values():
        if o is not exclude and (o.state >= ACTIVE or o.latched) and o.priority > top:
            top = o.priority
    return top


def _schedule(st: AlarmState, at: float) -> None:
    if at < st.next_due:
        st.next_due = at


def activate(
    st: AlarmState,
    c: Cond,
    t: float,
    v: float | None,
    prio: Priority,
    reason: str,
    events: list[AlarmEvent],
    limit: float | None = None,
    **extra: Any,
) -> None:
    """Start a new episode (from NORMAL or PENDING)."""
    detail: dict[str, Any] = {"reason": reason, **extra}
    if c.state == PENDING:
        detail["pending_s"] = t - c.pending_t
    paused = st.pause_until is not None and t < st.pause_until
    c.state = ACTIVE
    c.episode += 1
    c.active_t = t
    c.priority = prio
    c.acked = False
    c.next_reminder_t = None
    c.reminder_until = -INF
    c.latched = False
    c.excursions.clear()
    c.sat_sum = 0.0
    c.audio_hold_until = t + MIN_AUDIO_S[prio]
    c.audio_hold_prio = prio
    c.breakthrough = paused and prio > _present_priority(st, c)
    if paused:
        detail["breakthrough"] = c.breakthrough
    c.escalate_at = None
    if prio == Priority.MEDIUM and not c.technical:
        c.escalate_at = t + st.profile.escalation_s
        _schedule(st, c.escalate_at)
    c.episode_limit = _limit(c) if limit is None else limit
    emit(st, events, t, c, "active", v, c.episode_limit, **detail)


def escalate(st: AlarmState, c: Cond, t: float, reason: str, events: list[AlarmEvent]) -> None:
    """Raise the priority of the running episode (critical limit or left unacknowledged);
    a critical value is logged, and shown, against the critical limit it reached."""
    before = c.priority
    c.priority = st.profile.critical_priority
    c.escalate_at = None
    c.audio_hold_until = max(c.audio_hold_until, t + MIN_AUDIO_S[c.priority])
    c.audio_hold_prio = c.priority
    if reason == "critical" and c.critical is not None:
        c.episode_limit = c.critical
    emit(
        st,
        events,
        t,
        c,
        "escalated",
        c.value,
        c.episode_limit if reason == "critical" else _limit(c),
        reason=reason,
        before=before.name,
        after=c.priority.name,
    )


def end_episode(
    st: AlarmState,
    c: Cond,
    t: float,
    events: list[AlarmEvent],
    reason: str = "",
    latch: bool = True,
) -> None:
    """ACTIVE/CLEARING -> NORMAL, or LATCHED when the condition latches."""
    detail: dict[str, Any] = {"duration_s": t - c.active_t}
    if reason:
        detail["reason"] = reason
    c.escalate_at = None
    c.next_reminder_t = None
    c.breakthrough = False
    if c.acked:
        c.audio_hold_until = -INF
    latches = (
        latch
        and not c.technical
        and (c.latch == "always" or (c.latch == "high" and c.priority == Priority.HIGH))
    )
    c.state = NORMAL
    if latches:
        c.latched = True
        emit(st, events, t, c, "latched", c.value, _limit(c), **detail)
    else:
        c.acked = False
        emit(st, events, t, c, "normal", c.value, _limit(c), **detail)
        c.priority = c.base


def suppress(st: AlarmState, c: Cond, t: float, events: list[AlarmEvent], reason: str = "") -> None:
    """PENDING -> NORMAL: an excursion shorter than the delay, logged as a nuisance avoided."""
    c.state = NORMAL
    detail: dict[str, Any] = {"duration_s": t - c.pending_t, "readings": c.readings}
    if reason:
        detail["reason"] = reason
    emit(st, events, t, c, "suppressed", c.worst, _limit(c), **detail)


def evaluate(st: AlarmState, c: Cond, t: float, v: float, events: list[AlarmEvent]) -> None:
    """Apply one usable sample to one enabled, uninhibited condition (state table)."""
    hi = c.hi
    lim = c.limit
    crit_lim = c.critical
    if hi:
        viol = v > lim
        crit = crit_lim is not None and v >= crit_lim
    else:
        viol = v < lim
        crit = crit_lim is not None and v <= crit_lim
    c.value = v
    s = c.state
    if s <= PENDING:
        if crit:
            activate(st, c, t, v, st.profile.critical_priority, "critical", events, crit_lim)
            return
        if c.sat:
            _sat_seconds(st, c, t, v, viol)
        if not viol:
            if s == PENDING:
                suppress(st, c, t, events)
            return
        if s == NORMAL:
            if c.delay <= 0.0 and c.min_readings <= 1 and not c.sat:
                activate(st, c, t, v, c.base, "reading" if c.periodic else "no_delay", events)
                return
            c.state = PENDING
            c.pending_t = t
            c.readings = 0
            c.worst = v
            emit(st, events, t, c, "pending", v, lim)
            window = t - st.profile.excursion_window_s
            exc = c.excursions
            exc[:] = [x for x in exc if x > window]
            exc.append(t)
            if len(exc) >= st.profile.excursions:
                activate(st, c, t, v, c.base, "excursions", events)
                return
        c.readings += 1
        if (v > c.worst) if hi else (v < c.worst):
            c.worst = v
        if c.sat:
            if c.sat_sum >= c.sat:
                activate(st, c, t, v, c.base, "sat_seconds", events)
        elif t - c.pending_t >= c.delay and c.readings >= c.min_readings:
            activate(st, c, t, v, c.base, "delay", events)
        return
    if crit and c.priority < st.profile.critical_priority:
        escalate(st, c, t, "critical", events)
    if s == ACTIVE:
        if (v <= lim - c.hyst) if hi else (v >= lim + c.hyst):
            c.state = CLEARING
            c.clearing_t = t
            emit(st, events, t, c, "clearing", v, lim)
            if c.periodic:
                _schedule(st, t + st.profile.clear_delay_s)
            elif st.profile.clear_delay_s <= 0:
                end_episode(st, c, t, events)
    elif viol:
        c.state = ACTIVE
        emit(st, events, t, c, "reactivated", v, lim)
    elif not c.periodic and t - c.clearing_t >= st.profile.clear_delay_s:
        end_episode(st, c, t, events)


def _sat_seconds(st: AlarmState, c: Cond, t: float, v: float, viol: bool) -> None:
    """Integrate (limit - value) per second below the limit; decay it when back inside."""
    dt = t - c.sat_last_t
    dt = 1.0 if dt > 1.0 else max(dt, 0.0)
    c.sat_last_t = t
    if viol:
        c.sat_sum += (c.limit - v) * dt
    elif c.sat_sum > 0.0:
        c.sat_sum = max(0.0, c.sat_sum - max(v - c.limit, st.profile.sat_seconds_decay) * dt)


# --- technical conditions and inhibition ------------------------------------------------


def tech_on(st: AlarmState, c: Cond, t: float, events: list[AlarmEvent], **detail: Any) -> None:
    if c.state == NORMAL:
        reason = detail.pop("reason", "technical")
        activate(st, c, t, None, c.base, reason, events, **detail)


def tech_off(st: AlarmState, c: Cond, t: float, events: list[AlarmEvent], reason: str = "") -> None:
    if c.state != NORMAL:
        end_episode(st, c, t, events, reason=reason, latch=False)


def set_inhibited(
    st: AlarmState, chans: list[Chan], on: bool, t: float, reason: str, events: list[AlarmEvent]
) -> None:
    """Stop (or resume) evaluating the limits of ``chans``; log the reason per condition."""
    for ch in chans:
        ch.inhibited = on
        for c in ch.conds:
            if c.inhibited != on:
                c.inhibited = on
                if c.enabled:
                    word = "inhibited" if on else "uninhibited"
                    emit(st, events, t, c, word, None, None, reason=reason)
        refresh_quiet(ch)


def _nibp_chans(st: AlarmState) -> list[Chan]:
    return [ch for ch in st.chans.values() if ch.cuff]


def on_invalid(st: AlarmState, ch: Chan, t: float, events: list[AlarmEvent]) -> None:
    """A row without a usable value: probe off or failed cuff (the channel's conditions)."""
    if ch.probe:
        off = st.conds["SENSOR_OFF"]
        if off.state == NORMAL:
            tech_on(st, off, t, events, reason="invalid_sample")
            set_inhibited(st, [ch], True, t, "SENSOR_OFF", events)
            if ch.no_data is not None and ch.no_data.state != NORMAL:
                tech_off(st, ch.no_data, t, events, reason="inhibited by SENSOR_OFF")
    elif ch.cuff:
        fail = st.conds["CUFF_FAIL"]
        if fail.state == NORMAL:
            tech_on(st, fail, t, events, reason="invalid_reading")
            set_inhibited(st, _nibp_chans(st), True, t, "CUFF_FAIL", events)


def on_value(st: AlarmState, ch: Chan, t: float, v: float, events: list[AlarmEvent]) -> None:
    """The slow path for a usable sample: technical recoveries, then each condition."""
    nd = ch.no_data
    if nd is not None and nd.state != NORMAL:
        tech_off(st, nd, t, events, reason="data")
    if ch.cuff:
        fail = st.conds["CUFF_FAIL"]
        if fail.state != NORMAL:
            tech_off(st, fail, t, events, reason="reading")
            set_inhibited(st, _nibp_chans(st), False, t, "CUFF_FAIL cleared", events)
        st.last_nibp_t = st.nibp_ref_t = t
        overdue = st.conds["NIBP_OVERDUE"]
        if overdue.state != NORMAL:
            tech_off(st, overdue, t, events, reason="reading")
        st.nibp_overdue_at = nibp_deadline(st)
        _schedule(st, st.nibp_overdue_at)
    elif ch.probe:
        off = st.conds["SENSOR_OFF"]
        if off.state != NORMAL:
            tech_off(st, off, t, events, reason="data")
            set_inhibited(st, [ch], False, t, "SENSOR_OFF cleared", events)
    for c in ch.conds:
        if c.enabled and not c.inhibited:
            evaluate(st, c, t, v, events)
    refresh_quiet(ch)


def process_rows(
    st: AlarmState,
    ts: list[float],
    chs: list[str],
    vals: list[float],
    qs: list[str],
    i0: int,
    i1: int,
    events: list[AlarmEvent],
) -> None:
    """Evaluate rows ``i0..i1`` of column lists (time order); the replay's inner loop."""
    chans = st.chans
    apnea_at = st.apnea_at
    for i in range(i0, i1):
        t = ts[i]
        if t > apnea_at:  # nothing breathed in time: the apnoea began before this row
            apnea_due(st, events)
            apnea_at = st.apnea_at
        ch = chans.get(chs[i])
        if ch is None:
            continue
        v = vals[i]
        if v != v or qs[i] == "invalid":
            on_invalid(st, ch, t, events)
            continue
        ch.last_usable_t = t
        if ch.apnea is not None:
            on_breath(st, ch.apnea, t, events)
            apnea_at = st.apnea_at
        if ch.quiet and ch.lo <= v <= ch.hi and ch.lo_c < v < ch.hi_c:
            continue
        on_value(st, ch, t, v, events)


# --- apnoea ------------------------------------------------------------------------------


def on_breath(st: AlarmState, c: Cond, t: float, events: list[AlarmEvent]) -> None:
    """A usable reading of the breath channel is a breath: it ends an apnoea (latching as
    the profile says) and arms the next one, ``apnea_s`` from now."""
    st.last_breath_t = t
    if c.state >= ACTIVE:
        end_episode(st, c, t, events, reason="breath")
    st.apnea_at = t + st.profile.apnea_s if c.enabled else INF


def arm_apnea(st: AlarmState, t: float) -> None:
    """Recompute when APNEA starts after a change of its settings at ``t`` (alarm on or
    off): ``apnea_s`` after the last breath, and never before ``t``."""
    c = st.apnea
    if c is None or st.last_breath_t is None or not c.enabled or c.state >= ACTIVE:
        st.apnea_at = INF
    else:
        st.apnea_at = max(st.last_breath_t + st.profile.apnea_s, t)


def apnea_due(st: AlarmState, events: list[AlarmEvent]) -> None:
    """Start the apnoea at the time it was due (``st.apnea_at``); the caller has seen that
    something later is happening. HIGH, physiological: it latches as the profile says."""
    c = st.apnea
    at = st.apnea_at
    st.apnea_at = INF
    if c is None or at == INF:
        return
    last = st.last_breath_t
    activate(st, c, at, None, c.base, "apnea", events, c.limit, last_breath_s=last)


# --- time ---------------------------------------------------------------------------------


def tick(st: AlarmState, now: float, events: list[AlarmEvent]) -> None:
    """Work that depends on time alone, once per timestamp: an apnoea due, staleness,
    then due timers."""
    if now >= st.apnea_at:
        apnea_due(st, events)
    for ch in st.chans.values():
        if ch.continuous and now - ch.last_usable_t >= ch.stale_timeout:
            nd = ch.no_data
            if nd is not None and nd.state == NORMAL and not ch.inhibited:
                tech_on(st, nd, now, events, reason="stale", last_data_s=ch.last_usable_t)
                refresh_quiet(ch)
    if now >= st.next_due:
        _due(st, now, events)
    st.now = now


def _due(st: AlarmState, now: float, events: list[AlarmEvent]) -> None:
    """Fire every timer that is due and compute when the next one is."""
    p = st.profile
    nxt = INF
    if st.pause_until is not None:
        if now >= st.pause_until:
            st.pause_until = None
            for c in st.conds.values():
                c.breakthrough = False
            events.append(
                AlarmEvent(now, "", "audio_resumed", bed=st.bed, detail={"reason": "expired"})
            )
        else:
            nxt = st.pause_until
    overdue = st.conds["NIBP_OVERDUE"]
    if overdue.state == NORMAL:
        if now >= st.nibp_overdue_at:
            tech_on(st, overdue, now, events, reason="overdue", last_reading_s=st.last_nibp_t)
        else:
            nxt = min(nxt, st.nibp_overdue_at)
    paused = st.conds.get(PUMP_PAUSED)
    if paused is not None and paused.state == NORMAL and st.pump_paused_since is not None:
        due = st.pump_paused_since + p.pump_paused_after_s
        if now >= due:
            tech_on(st, paused, now, events, reason="pump_paused",
                    paused_since_s=st.pump_paused_since)  # fmt: skip
        else:
            nxt = min(nxt, due)
    for c in st.conds.values():
        if c.state < ACTIVE:
            continue
        if c.escalate_at is not None:
            if c.acked:
                c.escalate_at = None
            elif now >= c.escalate_at:
                escalate(st, c, now, "unacknowledged", events)
            else:
                nxt = min(nxt, c.escalate_at)
        if c.next_reminder_t is not None:
            if now >= c.next_reminder_t:
                c.reminder_until = now + reminder_window(c.priority)
                c.next_reminder_t = now + p.ack_reminder_s
                emit(st, events, now, c, "reminder", c.value, _limit(c))
            nxt = min(nxt, c.next_reminder_t)
        if c.state == CLEARING and c.periodic and not c.inhibited:
            done = c.clearing_t + p.clear_delay_s
            if now >= done:
                end_episode(st, c, now, events)
                refresh_quiet(st.chans[c.channel])
            else:
                nxt = min(nxt, done)
    for ch in st.chans.values():
        if ch.off:
            if now >= ch.next_off_reminder:
                ch.next_off_reminder = now + p.alarm_off_reminder_s
                events.append(
                    AlarmEvent(
                        now,
                        str(ch.channel),
                        "alarm_off_reminder",
                        bed=st.bed,
                        detail={"off_since_s": ch.off_since},
                    )
                )
            nxt = min(nxt, ch.next_off_reminder)
    st.next_due = nxt


def reminder_window(prio: Priority) -> float:
    """How long a reminder sounds: one repetition period of its priority's audio pattern."""
    return AUDIO[prio].repeat_s


def schedule(st: AlarmState, at: float) -> None:
    _schedule(st, at)


def nibp_deadline(st: AlarmState) -> float:
    """When the last reading (or the session start) becomes overdue in the current phase."""
    p = st.profile
    return st.nibp_ref_t + p.nibp_interval(st.phase) + p.nibp_overdue_grace_s

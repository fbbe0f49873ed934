"""Actions on the alarms (acknowledge, pause, reset, limits, alarm off, phase, baseline).

Each handler checks everything first and raises AlarmActionError before it changes
anything, so an invalid action leaves the state exactly as it was.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from vitalsdash import channels
from vitalsdash.alarms._conditions import (
    apnea_due,
    nibp_deadline,
    refresh_quiet,
    schedule,
    tech_off,
    tech_on,
)
from vitalsdash.alarms._profile import PUMP_PAUSED, alarmed_ids, limit_problems
from vitalsdash.alarms._settings import apply_settings, auto_limits, channel_settings
from vitalsdash.alarms._state import ACTIVE, NORMAL, OBSERVATION_OVERDUE, AlarmState, Cond
from vitalsdash.alarms._types import (
    LIMIT_KINDS,
    PUMP_STATES,
    ActionKind,
    AlarmAction,
    AlarmActionError,
    AlarmEvent,
)
from vitalsdash.model import Phase


def apply_action(st: AlarmState, a: AlarmAction, events: list[AlarmEvent]) -> None:
    """Validate and apply one action at its own time ``a.t_s``."""
    handler = _HANDLERS.get(a.kind)
    if handler is None:
        raise AlarmActionError("unknown_action", f"unknown action {a.kind!r}")
    if a.t_s > st.apnea_at:  # the apnoea began before the action: it comes first
        apnea_due(st, events)
    handler(st, a, events)


EVENT_NAMES = {
    ActionKind.ACKNOWLEDGE: "acknowledged",
    ActionKind.ACKNOWLEDGE_ALL: "acknowledged",
    ActionKind.PAUSE_AUDIO: "audio_paused",
    ActionKind.RESUME_AUDIO: "audio_resumed",
}
"""Log names of actions that differ from the action's kind (the others log as the kind)."""


def _log(st: AlarmState, a: AlarmAction, events: list[AlarmEvent], target: str, **kw: Any) -> None:
    detail = kw.pop("detail", {})
    events.append(
        AlarmEvent(
            a.t_s,
            target,
            EVENT_NAMES.get(a.kind, str(a.kind)),
            actor=str(a.actor),
            bed=st.bed,
            detail=detail,
            **kw,
        )
    )


def _condition(st: AlarmState, name: str | None) -> Cond:
    c = st.conds.get(name or "")
    if c is None:
        raise AlarmActionError("unknown_condition", f"unknown alarm condition {name!r}")
    return c


def _alarmed(ch: str | None) -> str:
    if ch is None or ch not in alarmed_ids():
        raise AlarmActionError("unknown_channel", f"channel {ch!r} has no alarms")
    return ch


def _word(ch: str) -> str:
    """The parameter as a nurse names it in a message ("Systolic", "HR")."""
    return channels.get(ch).alarm_word


def _acknowledge(st: AlarmState, a: AlarmAction, events: list[AlarmEvent]) -> None:
    c = _condition(st, a.condition)
    if not (c.state >= ACTIVE or c.latched):
        raise AlarmActionError("not_active", f"{c.label} is not active, nothing to acknowledge")
    if c.acked:
        raise AlarmActionError("already_acknowledged", f"{c.label} is already acknowledged")
    _ack(st, c, a, events)


def _acknowledge_all(st: AlarmState, a: AlarmAction, events: list[AlarmEvent]) -> None:
    """One action for every shown, unacknowledged alarm (or one parameter's row): each
    is acknowledged as if on its own, and its log line says which action did it."""
    if a.channel is not None:
        _alarmed(a.channel)
    targets = [
        c
        for c in st.conds.values()
        if (c.state >= ACTIVE or c.latched)
        and not c.acked
        and (a.channel is None or (c.channel == a.channel and not c.technical))
    ]
    if not targets:
        where = "" if a.channel is None else f" {_word(a.channel)}"
        raise AlarmActionError(
            "nothing_to_acknowledge", f"no{where} alarm is waiting to be acknowledged"
        )
    group = "all" if a.channel is None else str(a.channel)
    for c in targets:
        _ack(st, c, a, events, group=group, of=len(targets))


def _ack(st: AlarmState, c: Cond, a: AlarmAction, events: list[AlarmEvent], **extra: Any) -> None:
    c.acked = True
    c.escalate_at = None
    c.breakthrough = False
    if c.state >= ACTIVE:
        c.next_reminder_t = a.t_s + st.profile.ack_reminder_s
        schedule(st, c.next_reminder_t)
    _log(
        st,
        a,
        events,
        c.name,
        priority=c.priority,
        base_priority=c.base,
        value=c.value,
        detail={"after_s": a.t_s - c.active_t, "episode": c.episode, **extra},
    )


def _pause(st: AlarmState, a: AlarmAction, events: list[AlarmEvent]) -> None:
    before = st.pause_until
    st.pause_until = a.t_s + st.profile.audio_pause_s
    for c in st.conds.values():
        c.breakthrough = False
    schedule(st, st.pause_until)
    _log(
        st,
        a,
        events,
        "",
        detail={"before": before, "after": st.pause_until, "duration_s": st.profile.audio_pause_s},
    )


def _resume(st: AlarmState, a: AlarmAction, events: list[AlarmEvent]) -> None:
    if st.pause_until is None:
        raise AlarmActionError("not_paused", "audio is not paused")
    before, st.pause_until = st.pause_until, None
    for c in st.conds.values():
        c.breakthrough = False
    _log(st, a, events, "", detail={"before": before, "after": None, "reason": "action"})


def _reset(st: AlarmState, a: AlarmAction, events: list[AlarmEvent]) -> None:
    if a.condition is not None:
        c = _condition(st, a.condition)
        if not c.latched:
            raise AlarmActionError("not_latched", f"{c.name} is not latched, nothing to reset")
        targets = [c]
    else:
        targets = [c for c in st.conds.values() if c.latched]
    if not targets:
        _log(st, a, events, "", detail={"reset": []})
    for c in targets:
        c.latched = False
        c.acked = False
        events.append(
            AlarmEvent(
                a.t_s, c.name, "reset", c.priority, c.base, c.value, None, str(a.actor), st.bed, {}
            )
        )
        if c.state < ACTIVE:
            c.priority = c.base


def _check_limits(st: AlarmState, edits: dict[tuple[str, str], float]) -> None:
    saved = dict(st.user_limits)
    try:
        st.user_limits.update(edits)
        for ch in sorted({ch for ch, _ in edits}, key=alarmed_ids().index):
            problems = limit_problems(ch, channel_settings(st, ch))
            if problems:
                key, why = problems[0]
                words = f"{_word(ch)} {key.replace('_', ' ')}: {why.replace('_', ' ')}"
                raise AlarmActionError("limit_out_of_range", words)
    finally:
        st.user_limits.clear()
        st.user_limits.update(saved)


def _limits_changed(
    st: AlarmState, a: AlarmAction, events: list[AlarmEvent], edits: dict, target: str
) -> None:
    before = {f"{ch}.{w}": channel_settings(st, ch)[w] for ch, w in edits}
    st.user_limits.update(edits)
    after = {f"{ch}.{w}": v for (ch, w), v in edits.items()}
    _log(st, a, events, target, detail={"before": before, "after": after})
    apply_settings(st, a.t_s, events, str(a.actor), str(a.kind))


def _set_limit(st: AlarmState, a: AlarmAction, events: list[AlarmEvent]) -> None:
    ch = _alarmed(a.channel)
    if a.which not in LIMIT_KINDS:
        raise AlarmActionError("unknown_limit", f"limit must be one of {', '.join(LIMIT_KINDS)}")
    if a.value is None or a.value != a.value:
        raise AlarmActionError("limit_out_of_range", "a limit needs a numeric value")
    edits = {(ch, a.which): float(a.value)}
    _check_limits(st, edits)
    _limits_changed(st, a, events, edits, str(ch))


def _auto_limits(st: AlarmState, a: AlarmAction, events: list[AlarmEvent]) -> None:
    edits = auto_limits(st)
    if not edits:
        raise AlarmActionError("no_baseline", "auto-limits need the patient's baseline first")
    _check_limits(st, edits)
    _limits_changed(st, a, events, edits, "")


def _alarm_off(st: AlarmState, a: AlarmAction, events: list[AlarmEvent]) -> None:
    chan = st.chans[_alarmed(a.channel)]
    if chan.off:
        raise AlarmActionError("already_off", f"{_word(chan.channel)} alarms are already off")
    chan.off = True
    chan.off_since = a.t_s
    chan.next_off_reminder = a.t_s + st.profile.alarm_off_reminder_s
    schedule(st, chan.next_off_reminder)
    _log(st, a, events, str(chan.channel), detail={"before": "on", "after": "off"})
    apply_settings(st, a.t_s, events, str(a.actor), "alarm_off")


def _alarm_on(st: AlarmState, a: AlarmAction, events: list[AlarmEvent]) -> None:
    chan = st.chans[_alarmed(a.channel)]
    if not chan.off:
        raise AlarmActionError("already_on", f"{_word(chan.channel)} alarms are already on")
    chan.off = False
    chan.next_off_reminder = float("inf")
    _log(st, a, events, str(chan.channel), detail={"before": "off", "after": "on"})
    apply_settings(st, a.t_s, events, str(a.actor), "alarm_on")
    refresh_quiet(chan)


def _set_phase(st: AlarmState, a: AlarmAction, events: list[AlarmEvent]) -> None:
    if a.phase is None:
        raise AlarmActionError("unknown_phase", "set_phase needs a phase")
    before, st.phase = st.phase, a.phase
    _log(st, a, events, "", detail={"before": str(before), "after": str(a.phase)})
    st.nibp_overdue_at = nibp_deadline(st)
    schedule(st, st.nibp_overdue_at)
    apply_settings(st, a.t_s, events, str(a.actor), "set_phase")
    if a.phase not in (Phase.OBSERVATION, Phase.READY):  # observation is over
        _clear_observation_reminder(st, a.t_s, events, f"phase {a.phase}")


def _set_baseline(st: AlarmState, a: AlarmAction, events: list[AlarmEvent]) -> None:
    if not a.baseline:
        raise AlarmActionError("no_baseline", "set_baseline needs at least one channel value")
    for ch, v in a.baseline.items():
        _alarmed(ch)
        if v != v:
            raise AlarmActionError("bad_baseline", f"baseline for {ch} is not a number")
    before = {str(ch): st.baseline.get(ch) for ch in a.baseline}
    st.baseline.update(a.baseline)
    after = {str(ch): v for ch, v in a.baseline.items()}
    _log(st, a, events, "", detail={"before": before, "after": after})
    apply_settings(st, a.t_s, events, str(a.actor), "set_baseline")


def _set_pump(st: AlarmState, a: AlarmAction, events: list[AlarmEvent]) -> None:
    """The pump's own report of its state: a pause starts the PUMP_PAUSED delay (counted
    from the pause, not restarted by a rate set while paused); running again, stopped or
    finished ends the reminder."""
    if a.pump not in PUMP_STATES:
        raise AlarmActionError(
            "unknown_pump_state", f"set_pump needs one of {', '.join(PUMP_STATES)}"
        )
    before, st.pump_state = st.pump_state, a.pump
    _log(st, a, events, "", detail={"before": before, "after": a.pump})
    if a.pump == "paused":
        if st.pump_paused_since is None:
            st.pump_paused_since = a.t_s
            schedule(st, a.t_s + st.profile.pump_paused_after_s)
        return
    st.pump_paused_since = None
    reminder = st.conds.get(PUMP_PAUSED)
    if reminder is not None:
        tech_off(st, reminder, a.t_s, events, reason=a.pump)


def duration_words(minutes: float) -> str:
    """A protocol's time as a nurse says it: whole hours in hours ("2 h"), else minutes
    ("90 min")."""
    if minutes >= 60 and minutes % 60 == 0:
        return f"{minutes / 60:g} h"
    return f"{minutes:g} min"


def _observation_overdue(st: AlarmState, a: AlarmAction, events: list[AlarmEvent]) -> None:
    c = st.conds.get(OBSERVATION_OVERDUE)
    if c is None:
        raise AlarmActionError("unknown_condition", "this engine has no observation reminder")
    if a.value is None or not a.value > 0:
        raise AlarmActionError("bad_value", "observation_overdue needs the maximum in minutes")
    if st.phase not in (Phase.OBSERVATION, Phase.READY):
        raise AlarmActionError("not_in_observation", f"the patient is not in observation "
                               f"(phase {st.phase})")  # fmt: skip
    _log(st, a, events, OBSERVATION_OVERDUE, value=a.value, detail={"max_minutes": a.value})
    if c.state == NORMAL:
        c.label = f"Observation over {duration_words(a.value)}: assess for discharge"
        tech_on(st, c, a.t_s, events, reason="observation_overdue", max_minutes=a.value)


def _clear_observation_reminder(st: AlarmState, t: float, events: list[AlarmEvent],
                                reason: str) -> None:  # fmt: skip
    c = st.conds.get(OBSERVATION_OVERDUE)
    if c is not None and c.state != NORMAL:
        tech_off(st, c, t, events, reason=reason)


def _end_observation(st: AlarmState, a: AlarmAction, events: list[AlarmEvent]) -> None:
    _log(st, a, events, OBSERVATION_OVERDUE)
    _clear_observation_reminder(st, a.t_s, events, "observation ended")


_HANDLERS: dict[ActionKind, Callable[[AlarmState, AlarmAction, list[AlarmEvent]], None]] = {
    ActionKind.ACKNOWLEDGE: _acknowledge,
    ActionKind.ACKNOWLEDGE_ALL: _acknowledge_all,
    ActionKind.PAUSE_AUDIO: _pause,
    ActionKind.RESUME_AUDIO: _resume,
    ActionKind.RESET: _reset,
    ActionKind.SET_LIMIT: _set_limit,
    ActionKind.AUTO_LIMITS: _auto_limits,
    ActionKind.ALARM_OFF: _alarm_off,
    ActionKind.ALARM_ON: _alarm_on,
    ActionKind.SET_PHASE: _set_phase,
    ActionKind.SET_BASELINE: _set_baseline,
    ActionKind.SET_PUMP: _set_pump,
    ActionKind.OBSERVATION_OVERDUE: _observation_overdue,
    ActionKind.END_OBSERVATION: _end_observation,
}

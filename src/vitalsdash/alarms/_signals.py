"""Alarm signals: what the monitor shows and plays now, separate from condition logic.

Plain frozen dataclasses, so the Dash UI (and tests) can render them without knowing the
engine. Colours, flash rates and audio patterns follow IEC 60601-1-8 as in alarms.md.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from vitalsdash import channels
from vitalsdash.alarms._profile import PUMP_PAUSED
from vitalsdash.alarms._state import ACTIVE, INF, NORMAL, RULE_AMOUNTS, AlarmState, Cond
from vitalsdash.alarms._types import ConditionState, Priority


@dataclass(frozen=True, slots=True)
class AudioPattern:
    """One priority's audio signal: ``pulses`` per burst, a burst every ``repeat_s``."""

    priority: Priority
    pulses: int
    pattern: str
    repeat_s: float
    burst_s: float


AUDIO: dict[Priority, AudioPattern] = {
    Priority.HIGH: AudioPattern(Priority.HIGH, 10, "3+2, pause, 3+2", 10.0, 4.0),
    Priority.MEDIUM: AudioPattern(Priority.MEDIUM, 3, "3", 20.0, 1.5),
    Priority.LOW: AudioPattern(Priority.LOW, 2, "2", 30.0, 0.5),
}

VISUAL: dict[Priority, tuple[str, float, float, str]] = {
    Priority.HIGH: ("red", 2.0, 0.5, "***"),
    Priority.MEDIUM: ("yellow", 0.6, 0.5, "**"),
    Priority.LOW: ("cyan", 0.0, 1.0, "*"),
}
"""colour, flash frequency (Hz; 0 = steady), duty cycle, message marker."""

OFF_REMINDER_WINDOW_S = 10.0


@dataclass(frozen=True, slots=True)
class AlarmSignal:
    """The visual (and audio) signal of one active or latched condition.

    ``limit`` is the limit its message compares the value with (``shown_limit``);
    ``group`` is the banner row it belongs to (``group_of``)."""

    condition: str
    channel: str  # a registered channel id
    state: ConditionState
    priority: Priority
    base_priority: Priority
    colour: str
    flash_hz: float
    duty: float
    marker: str
    message: str
    acknowledged: bool
    sounding: bool
    since_s: float
    value: float | None
    limit: float | None
    unknown: bool
    inhibited: bool
    technical: bool
    group: str = ""


def group_of(c: Cond) -> str:
    """The banner row of a condition, as a monitor shows it: one row per parameter (its
    channel id: SYS_HI, SYS_RISE and SYS_SUST share "NIBP_SYS"), while a technical
    condition is a row of its own (its name)."""
    return c.name if c.technical else str(c.channel)


@dataclass(frozen=True, slots=True)
class AlarmOffNotice:
    """A parameter whose alarms are off: shown persistently, with a periodic reminder."""

    channel: str  # a registered channel id
    since_s: float
    reminding: bool
    next_reminder_s: float


@dataclass(frozen=True, slots=True)
class Signals:
    """Everything the bedside view needs to render the alarms at ``t_s``."""

    t_s: float
    alarms: tuple[AlarmSignal, ...]
    audio: AudioPattern | None
    audio_paused: bool
    pause_remaining_s: float
    alarms_off: tuple[AlarmOffNotice, ...]
    nibp_overdue: bool

    @property
    def highest(self) -> Priority | None:
        return self.alarms[0].priority if self.alarms else None


def _sounds(c: Cond, now: float, paused: bool) -> bool:
    if paused and not c.breakthrough:
        return False
    if c.acked:
        return now < c.reminder_until
    return True


def condition_state(c: Cond) -> ConditionState:
    if c.state == NORMAL and c.latched:
        return ConditionState.LATCHED
    return (
        ConditionState.NORMAL,
        ConditionState.PENDING,
        ConditionState.ACTIVE,
        ConditionState.CLEARING,
    )[c.state]


def shown_limit(c: Cond) -> float | None:
    """The limit an alarm's message compares its value with: the critical limit when the
    value reaches it, else the limit in force when the value is beyond it, else the limit
    the episode was raised against (a phase or an edit may have moved the limit since).
    Never a limit the value does not cross, so the message never contradicts the log."""
    v = c.value
    if c.technical or v is None:
        return None
    crit = c.critical
    if crit is not None and (v >= crit if c.hi else v <= crit):
        return crit
    for limit in (c.limit, c.episode_limit):
        if limit is not None and limit not in (INF, -INF) and (v > limit if c.hi else v < limit):
            return limit
    return None


def _message(c: Cond, marker: str, baseline: Mapping[str, float]) -> str:
    """The nurse's words: "Systolic high 242 > 200", "HR no data", a rule's own message
    (with how far from the baseline the value is, when the message says so)."""
    if c.state < ACTIVE:  # latched: the value is back inside; say so, not a false violation
        return f"{marker} {c.latched_text}"
    if c.rule is not None:
        return f"{marker} {_rule_message(c, baseline)}"
    if c.technical or c.value is None:
        return f"{marker} {c.label}"
    limit = shown_limit(c)
    if limit is None:  # back inside, waiting out the clear delay
        return f"{marker} {c.label} {c.value:g}, back in range"
    beyond = c.value > limit if c.hi else c.value < limit  # else it reached a critical limit
    sign = (">" if beyond else "≥") if c.hi else ("<" if beyond else "≤")
    return f"{marker} {c.label} {c.value:g} {sign} {limit:g}"


def _rule_message(c: Cond, baseline: Mapping[str, float]) -> str:
    """A rule's message, ``{rise}``/``{fall}`` filled with the value's distance from the
    baseline in the parameter's precision ("EtCO₂ 12 above baseline (≥ 10)"); back
    inside (clearing), it says so."""
    rule = c.rule
    base = baseline.get(c.channel)
    if rule is None or c.value is None or base is None:
        return c.label
    if not any(word in rule.message for word in RULE_AMOUNTS):
        return c.label
    amount = f"{abs(c.value - base):.{channels.get(c.channel).precision}f}"
    text = rule.message.replace("{rise}", amount).replace("{fall}", amount)
    return text if c.state == ACTIVE else f"{text}, back in range"


def _pump_message(st: AlarmState, now: float, marker: str) -> str:
    """How long the pump has been paused: "Pump paused 2 min" (whole minutes; seconds
    under a minute, for a profile that reminds that early)."""
    since = st.pump_paused_since
    if since is None:
        return f"{marker} Pump paused"
    paused = max(0.0, now - since)
    if paused < 60:
        return f"{marker} Pump paused {int(paused)} s"
    return f"{marker} Pump paused {int(paused // 60)} min"


def signals(st: AlarmState, now: float) -> Signals:
    """The signals at ``now`` (read-only; the engine state is not changed)."""
    paused = st.pause_until is not None and now < st.pause_until
    overdue = st.conds["NIBP_OVERDUE"].state >= ACTIVE
    items: list[tuple[tuple, AlarmSignal]] = []
    loudest = 0
    for c in st.conds.values():
        visual = c.state >= ACTIVE or c.latched
        if not visual:
            if now < c.audio_hold_until and not c.acked and not paused:
                loudest = max(loudest, c.audio_hold_prio)
            continue
        sounding = _sounds(c, now, paused)
        if sounding:
            loudest = max(loudest, c.priority)
        colour, hz, duty, marker = VISUAL[c.priority]
        chan = st.chans.get(c.channel)  # the paused pump's reminder watches no alarmed channel
        no_data = chan is not None and chan.no_data is not None and chan.no_data.state >= ACTIVE
        # no breath, no new reading: the parameter's other alarms show an old value
        silent = chan is not None and chan.apnea is not None and chan.apnea.state >= ACTIVE
        unknown = not c.technical and (
            no_data or (c.periodic and overdue) or (silent and c is not chan.apnea)
        )
        sig = AlarmSignal(
            c.name,
            c.channel,
            condition_state(c),
            c.priority,
            c.base,
            colour,
            hz,
            duty,
            marker,
            _pump_message(st, now, marker)
            if c.name == PUMP_PAUSED
            else _message(c, marker, st.baseline),
            c.acked,
            sounding,
            c.active_t,
            c.value,
            shown_limit(c),
            unknown,
            c.inhibited,
            c.technical,
            group_of(c),
        )
        items.append(((-c.priority, -c.active_t, c.name), sig))
    items.sort(key=lambda kv: kv[0])
    off = []
    period = st.profile.alarm_off_reminder_s
    for chan in st.chans.values():
        if chan.off:
            last = chan.next_off_reminder - period
            reminding = last >= chan.off_since + period and now - last < OFF_REMINDER_WINDOW_S
            off.append(
                AlarmOffNotice(
                    chan.channel, chan.off_since, reminding, max(0.0, chan.next_off_reminder - now)
                )
            )
    remaining = max(0.0, st.pause_until - now) if paused and st.pause_until is not None else 0.0
    return Signals(
        t_s=now,
        alarms=tuple(sig for _, sig in items),
        audio=AUDIO[Priority(loudest)] if loudest else None,
        audio_paused=paused,
        pause_remaining_s=remaining,
        alarms_off=tuple(off),
        nibp_overdue=overdue,
    )

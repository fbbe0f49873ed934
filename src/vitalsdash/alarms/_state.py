"""The engine's mutable state: one record per condition and per channel.

Plain slotted classes, mutated in place for speed (the replay budget is a few
microseconds per sample); ``copy.deepcopy`` of an AlarmState is a full snapshot.
"""

from __future__ import annotations

import copy
import math

from vitalsdash import channels
from vitalsdash.alarms._profile import APNEA, PUMP_PAUSED, AlarmProfile, Rule
from vitalsdash.alarms._types import Priority
from vitalsdash.channels import Condition
from vitalsdash.model import Phase, channel_of

# Condition states as small ints on the hot path; ConditionState is the public view.
NORMAL, PENDING, ACTIVE, CLEARING = 0, 1, 2, 3
INF = math.inf
OBSERVATION_OVERDUE = "OBSERVATION_OVERDUE"
"""The reminder that a patient has stayed in observation past the protocol's maximum."""


class Cond:
    """One alarm condition: its settings in force and where it is in its lifecycle."""

    __slots__ = (
        "acked",
        "active_t",
        "audio_hold_prio",
        "audio_hold_until",
        "base",
        "breakthrough",
        "channel",
        "clearing_t",
        "critical",
        "delay",
        "enabled",
        "episode",
        "episode_limit",
        "escalate_at",
        "excursions",
        "hi",
        "hyst",
        "inhibited",
        "label",
        "latch",
        "latched",
        "latched_text",
        "limit",
        "min_readings",
        "name",
        "next_reminder_t",
        "pending_t",
        "periodic",
        "priority",
        "readings",
        "reminder_until",
        "rule",
        "sat",
        "sat_last_t",
        "sat_sum",
        "state",
        "technical",
        "value",
        "worst",
    )

    def __init__(
        self,
        name: str,
        channel: str,
        hi: bool,
        base: Priority,
        *,
        technical: bool = False,
        rule: Rule | None = None,
        label: str = "",
    ):
        self.name = name
        self.channel = channel
        self.hi = hi
        self.base = base
        self.technical = technical
        self.rule = rule
        self.label = label or name
        self.latched_text = f"{self.label}: back in range, reset to clear"
        """What a latched, resolved episode says on the banner (after its marker)."""
        self.periodic = channels.get(channel).periodic
        # settings in force (filled by _settings.apply)
        self.enabled = technical
        self.limit: float = INF if hi else -INF
        self.critical: float | None = None
        self.delay = 0.0
        self.min_readings = 1
        self.hyst = 0.0
        self.sat = 0
        self.latch = "never"
        # lifecycle
        self.state = NORMAL
        self.episode = 0
        self.priority = base
        self.value: float | None = None
        self.pending_t = 0.0
        self.readings = 0
        self.worst = 0.0
        self.excursions: list[float] = []
        self.sat_sum = 0.0
        self.sat_last_t = -INF
        self.active_t = 0.0
        self.episode_limit: float | None = None  # the limit the episode was raised against
        self.clearing_t = 0.0
        self.acked = False
        self.next_reminder_t: float | None = None
        self.reminder_until = -INF
        self.escalate_at: float | None = None
        self.latched = False
        self.breakthrough = False
        self.inhibited = False
        self.audio_hold_until = -INF
        self.audio_hold_prio = base

    @property
    def in_episode(self) -> bool:
        return self.state >= ACTIVE


class Chan:
    """Per-channel bookkeeping, including the band in which a sample needs no work."""

    __slots__ = (
        "apnea",
        "channel",
        "conds",
        "continuous",
        "cuff",
        "hi",
        "hi_c",
        "inhibited",
        "last_usable_t",
        "lo",
        "lo_c",
        "next_off_reminder",
        "no_data",
        "off",
        "off_since",
        "periodic",
        "probe",
        "quiet",
        "stale_timeout",
    )

    def __init__(self, channel: str, t0: float):
        self.channel = channel
        self.conds: list[Cond] = []
        info = channels.get(channel)
        self.periodic = info.periodic
        self.continuous = not self.periodic
        self.probe = info.supports(Condition.SENSOR_OFF)  # invalid: SENSOR_OFF
        self.cuff = info.supports(Condition.CUFF_FAIL)  # invalid: CUFF_FAIL; NIBP_OVERDUE
        self.quiet = False
        self.lo = self.hi = self.lo_c = self.hi_c = 0.0
        self.last_usable_t = t0
        self.stale_timeout = INF
        self.no_data: Cond | None = None
        self.apnea: Cond | None = None  # its readings are breaths: APNEA watches them
        self.inhibited = False
        self.off = False
        self.off_since = 0.0
        self.next_off_reminder = INF


def refresh_quiet(ch: Chan) -> None:
    """Recompute the band where a sample cannot change any condition of ``ch``."""
    lo = lo_c = -INF
    hi = hi_c = INF
    quiet = ch.continuous and not ch.inhibited
    for c in ch.conds:
        if not c.enabled:
            continue
        if c.state != NORMAL or c.sat_sum > 0.0:
            quiet = False
            break
        if c.hi:
            hi = min(hi, c.limit)
            if c.critical is not None:
                hi_c = min(hi_c, c.critical)
        else:
            lo = max(lo, c.limit)
            if c.critical is not None:
                lo_c = max(lo_c, c.critical)
    if ch.no_data is not None and ch.no_data.state != NORMAL:
        quiet = False
    ch.quiet = quiet
    ch.lo, ch.hi, ch.lo_c, ch.hi_c = lo, hi, lo_c, hi_c


RULE_AMOUNTS = ("{rise}", "{fall}")
"""What a baseline rule's message may say of the value: how far above or below it is."""


def rule_label(rule: Rule) -> str:
    """A profile rule in the nurse's words: its ``message``, or one made from the rule
    ("Systolic more than 39 above baseline", "Systolic above 159 for 5 min"). Where the
    message says how far from the baseline (``{rise}``, ``{fall}``), the label leaves it
    out: "EtCO₂ above baseline (≥ 10)"."""
    if rule.message:
        text = rule.message
        for word in RULE_AMOUNTS:
            text = text.replace(word, "")
        return " ".join(text.split())
    word = channels.get(rule.channel).alarm_word
    side = "above" if rule.direction == "high" else "below"
    if rule.threshold is not None:
        text = f"{word} {side} {rule.threshold:g}"
    else:
        amounts = [f"{rule.baseline_delta:g}"] if rule.baseline_delta is not None else []
        if rule.baseline_pct is not None:
            amounts.append(f"{rule.baseline_pct:g} %")
        text = f"{word} more than {' or '.join(amounts)} {side} baseline"
    if rule.duration_s >= 60:
        text += f" for {rule.duration_s / 60:g} min"
    elif rule.duration_s > 0:
        text += f" for {rule.duration_s:g} s"
    return text


class AlarmState:
    """Everything the engine knows about one bed. Mutated in place by ``step``."""

    def __init__(self, profile: AlarmProfile, bed: str = "", t0_s: float = 0.0):
        self.profile = profile
        self.bed = bed
        self.now = t0_s
        self.phase = Phase.BASELINE
        self.baseline: dict[str, float] = {}
        self.user_limits: dict[tuple[str, str], float] = {}
        self.pause_until: float | None = None
        self.next_due = INF
        self.chans: dict[str, Chan] = {}
        self.conds: dict[str, Cond] = {}
        self.last_nibp_t: float | None = None
        self.nibp_ref_t = t0_s
        self.nibp_overdue_at = INF
        self.pump_state = "not_started"  # as the pump last reported it (set_pump)
        self.pump_paused_since: float | None = None
        self.apnea: Cond | None = None
        self.last_breath_t: float | None = None  # None until the first breath: not armed
        self.apnea_at = INF
        """When APNEA starts if no breath comes first (INF: not armed, off, or active).
        Whatever happens later than this (a sample, an action, a tick) fires it first, at
        this very time, so the log does not depend on how often the engine is stepped."""
        tech = profile.technical_priority
        alarmed = channels.alarmed()
        for info in alarmed:
            ch = channel_of(info.id) or info.id
            chan = Chan(ch, t0_s)
            self.chans[ch] = chan
            for hi, suffix, word in ((True, "HI", "high"), (False, "LO", "low")):
                name = f"{info.short}_{suffix}"
                cond = Cond(name, ch, hi, profile.limit_priority, label=f"{info.alarm_word} {word}")
                self.conds[name] = cond
                chan.conds.append(cond)
        for rule in profile.rules:
            ch = self.chans[rule.channel].channel
            cond = Cond(
                rule.name,
                ch,
                rule.direction == "high",
                rule.priority,
                rule=rule,
                label=rule_label(rule),
            )
            self.conds[rule.name] = cond
            self.chans[ch].conds.append(cond)
        breaths = next((c for c in alarmed if c.supports(Condition.APNEA)), None)
        if breaths is not None:
            chan = self.chans[breaths.id]
            words = f"no breath for {profile.apnea_s:g} s"
            cond = Cond(APNEA, chan.channel, True, Priority.HIGH, label=f"Apnoea: {words}")
            cond.latched_text = f"Apnoea ({words}): breathing again, reset to clear"
            self.conds[APNEA] = cond
            chan.apnea = self.apnea = cond
        for info in alarmed:
            if info.supports(Condition.NO_DATA):
                chan = self.chans[info.id]
                name = f"NO_DATA_{info.id}"
                label = f"{info.alarm_word} no data"
                cond = Cond(name, chan.channel, True, tech, technical=True, label=label)
                self.conds[name] = cond
                chan.no_data = cond
        # one probe and one cuff condition, on the first channel that has a probe or a cuff
        for kind, names in (
            (Condition.SENSOR_OFF, (("SENSOR_OFF", "probe off"),)),
            (Condition.CUFF_FAIL, (("CUFF_FAIL", "cuff failure"), ("NIBP_OVERDUE", "overdue"))),
        ):
            info = next((c for c in alarmed if c.supports(kind)), None)
            if info is None:
                continue
            for name, words in names:
                who = info.alarm_word if kind is Condition.SENSOR_OFF else info.alarm_label
                label = f"{who} {words}"
                self.conds[name] = Cond(
                    name, self.chans[info.id].channel, True, tech, technical=True, label=label
                )
        pump = next((c.id for c in channels.all_channels() if c.pump_rate), None)
        if pump is not None:  # a reminder, never more urgent than what it reminds of: LOW
            self.conds[PUMP_PAUSED] = Cond(
                PUMP_PAUSED, pump, True, Priority.LOW, technical=True, label="Pump paused"
            )
        # The observation reminder is the patient's, not a parameter's: it is always LOW and
        # sits on the cuff's channel (a signal needs one), as the observation is about the BP.
        host = next((c for c in alarmed if c.supports(Condition.CUFF_FAIL)), None)
        host = host or (alarmed[0] if alarmed else None)
        if host is not None:
            self.conds[OBSERVATION_OVERDUE] = Cond(
                OBSERVATION_OVERDUE, self.chans[host.id].channel, True, Priority.LOW,
                technical=True, label="Observation overdue: assess for discharge",
            )  # fmt: skip

    def snapshot(self) -> AlarmState:
        """A deep copy that shares only the (immutable) profile."""
        return copy.deepcopy(self, {id(self.profile): self.profile})

    def restore(self, other: AlarmState) -> None:
        """Make this object equal to a snapshot (keeps the caller's reference valid)."""
        self.__dict__.clear()
        self.__dict__.update(other.__dict__)


def condition_labels(profile: AlarmProfile) -> dict[str, str]:
    """Every condition of ``profile`` in the nurse's words, as its messages name it
    ("SYS_HI" -> "Systolic high", a rule -> its message): for pages that show a log."""
    return {name: c.label for name, c in AlarmState(profile).conds.items()}

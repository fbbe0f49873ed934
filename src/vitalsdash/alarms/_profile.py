"""Alarm profiles (config/alarms/*.toml): limits, delays and rules, validated with pydantic.

A profile is edited by hand, so every mistake must come back as one line naming the
file, the key and the reason (ConfigError), never as a traceback.
"""

from __future__ import annotations

import itertools
import re
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic.fields import FieldInfo

from vitalsdash import channels
from vitalsdash.alarms._types import Priority
from vitalsdash.channels import Condition
from vitalsdash.configdir import catalogue, config_dirs
from vitalsdash.model import Phase
from vitalsdash.tomlconfig import ConfigError, load_toml_model

CLINIC_MAX_AUDIO_PAUSE_S = 300.0
"""Upper bound for any clinic's audio pause maximum (alarms.md)."""

SAT_SECONDS_SETTINGS = (0, 10, 25, 50, 100)
MAX_PUMP_PAUSED_AFTER_S = 3600.0
"""A paused pump is brought back to mind within the hour at the latest."""
MIN_APNEA_S, MAX_APNEA_S = 10.0, 60.0
"""Where the apnoea delay may be set: sedation guidance uses 15-30 s (clinical.md); under
10 s a normal pause between breaths would alarm, over a minute is too late."""

PRIORITY = Annotated[Priority, BeforeValidator(Priority.parse)]
_LIMIT_FIELDS = ("low", "high", "critical_low", "critical_high")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ChannelSettings(_Strict):
    """Limits and timing of one channel. A missing limit (a saturation's high) is not alarmed."""

    low: float | None = None
    high: float | None = None
    critical_low: float | None = None
    critical_high: float | None = None
    delay_s: float = Field(0.0, ge=0)
    hysteresis: float = Field(0.0, ge=0)
    sat_seconds: int = 0
    stale_timeout_s: float | None = Field(None, gt=0)
    latch: Literal["high", "always", "never"] | None = None

    @field_validator("sat_seconds")
    @classmethod
    def _sat_setting(cls, v: int) -> int:
        return _check_sat(v)


class ChannelOverride(_Strict):
    """Per-phase changes to a channel's settings; keys left out keep the base value."""

    low: float | None = None
    high: float | None = None
    critical_low: float | None = None
    critical_high: float | None = None
    delay_s: float | None = Field(None, ge=0)
    hysteresis: float | None = Field(None, ge=0)
    sat_seconds: int | None = None
    latch: Literal["high", "always", "never"] | None = None

    @field_validator("sat_seconds")
    @classmethod
    def _sat_setting(cls, v: int | None) -> int | None:
        return v if v is None else _check_sat(v)


def _check_sat(v: int) -> int:
    if v not in SAT_SECONDS_SETTINGS:
        raise ValueError("must be 0 (off), 10, 25, 50 or 100")
    return v


class ChannelTable(_Strict):
    """One optional ChannelSettings per alarmed channel of the registry (built below)."""


class OverrideTable(_Strict):
    """One optional ChannelOverride per alarmed channel of the registry (built below)."""


class PhaseSettings(_Strict):
    nibp_interval_s: float | None = Field(None, gt=0)
    channels: OverrideTable = OverrideTable()


class PhaseTable(_Strict):
    baseline: PhaseSettings | None = None
    infusion: PhaseSettings | None = None
    observation: PhaseSettings | None = None
    ready: PhaseSettings | None = None
    ended: PhaseSettings | None = None


_NAME = re.compile(r"^[A-Z][A-Z0-9_]*$")


class Rule(_Strict):
    """A baseline-relative or sustained condition on one channel.

    Either ``threshold`` (absolute, for sustained rules) or ``baseline_delta`` and/or
    ``baseline_pct`` (relative to the patient's baseline; with both, whichever limit is
    reached first). Like every limit it is strict: equal is no violation.
    """

    name: str
    channel: str
    direction: Literal["high", "low"]
    threshold: float | None = None
    baseline_delta: float | None = Field(None, gt=0)
    baseline_pct: float | None = Field(None, gt=0)
    duration_s: float = Field(0.0, ge=0)
    readings: int = Field(1, ge=1)
    hysteresis: float = Field(0.0, ge=0)
    priority: PRIORITY = Priority.MEDIUM
    phases: list[Phase] | None = None
    message: str = ""
    """The nurse's words on the banner; default: made from the rule. A rule relative to
    the baseline may say how far the value is from it: ``{rise}`` (a high rule) or
    ``{fall}`` (a low one) is filled in on the banner ("EtCO₂ {rise} above baseline
    (≥ 10)" -> "EtCO₂ 12 above baseline (≥ 10)") and left out where no value is shown."""

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        if not _NAME.match(v):
            raise ValueError("must be upper case letters, digits and _, e.g. SYS_RISE")
        return v

    @field_validator("channel")
    @classmethod
    def _alarmed_channel(cls, v: str) -> str:
        ids = alarmed_ids()
        if v not in ids:
            raise ValueError(f"must be one of {', '.join(ids)}")
        return v

    @model_validator(mode="after")
    def _one_kind(self) -> Rule:
        relative = self.baseline_delta is not None or self.baseline_pct is not None
        if relative == (self.threshold is not None):
            raise ValueError("give either threshold or baseline_delta/baseline_pct")
        for word, direction in (("{rise}", "high"), ("{fall}", "low")):
            if word in self.message and (not relative or self.direction != direction):
                raise ValueError(
                    f"message: {word} is for a {direction} rule relative to the baseline"
                )
        return self


class AlarmProfile(_Strict):
    """A complete alarm profile. Times are seconds; limits are in the channel's unit."""

    name: str = ""
    description: str = ""
    channels: ChannelTable
    phases: PhaseTable = PhaseTable()
    rules: list[Rule] = []
    limit_priority: PRIORITY = Priority.MEDIUM
    critical_priority: PRIORITY = Priority.HIGH
    technical_priority: PRIORITY = Priority.LOW
    latch: Literal["high", "always", "never"] = "high"
    clear_delay_s: float = Field(5.0, ge=0)
    stale_timeout_s: float = Field(10.0, gt=0)
    excursions: int = Field(3, ge=2)
    excursion_window_s: float = Field(60.0, gt=0)
    sat_seconds_decay: float = Field(1.0, gt=0)
    nibp_interval_s: float = Field(900.0, gt=0)
    nibp_overdue_grace_s: float = Field(60.0, ge=0)
    audio_pause_s: float = Field(120.0, gt=0)
    ack_reminder_s: float = Field(120.0, gt=0)
    escalation_s: float = Field(60.0, gt=0)
    alarm_off_reminder_s: float = Field(300.0, gt=0)
    pump_paused_after_s: float = 120.0
    """A paused pump raises PUMP_PAUSED (LOW) after this long, until resumed or stopped."""
    apnea_s: float = Field(20.0, ge=MIN_APNEA_S, le=MAX_APNEA_S)
    """No breath for this long is an apnoea (APNEA, HIGH), once the first breath came."""

    @field_validator("pump_paused_after_s")
    @classmethod
    def _pump_paused_after(cls, v: float) -> float:
        if not 0 < v <= MAX_PUMP_PAUSED_AFTER_S:
            raise ValueError(
                f"the paused-pump reminder needs a delay of more than 0 and at most "
                f"{MAX_PUMP_PAUSED_AFTER_S:g} seconds, got {v:g}"
            )
        return v

    @field_validator("audio_pause_s")
    @classmethod
    def _pause_max(cls, v: float, info: ValidationInfo) -> float:
        limit = (info.context or {}).get("max_audio_pause_s", CLINIC_MAX_AUDIO_PAUSE_S)
        if v > limit:
            raise ValueError(f"audio pause {v:g} s is longer than the clinic maximum ({limit:g} s)")
        return v

    @model_validator(mode="after")
    def _unique_rules(self) -> AlarmProfile:
        seen: set[str] = set()
        for rule in self.rules:
            if rule.name in seen or rule.name in builtin_condition_names():
                raise ValueError(f"rule name {rule.name} is used twice or by a built-in condition")
            seen.add(rule.name)
        return self

    def channel(self, ch: str, phase: Phase | None = None) -> dict[str, Any]:
        """The channel's settings in force for ``phase``, as a dict. A channel the profile
        leaves out has its registry defaults (none for a built-in one: all off)."""
        base = getattr(self.channels, ch, None)
        if base is None:
            base = ChannelSettings(**channels.get(ch).default_limits)
        out: dict[str, Any] = base.model_dump()
        if phase is not None:
            ph = getattr(self.phases, phase.value)
            over = getattr(ph.channels, ch, None) if ph is not None else None
            if over is not None:
                out.update(over.model_dump(exclude_unset=True))
        return out

    def nibp_interval(self, phase: Phase | None) -> float:
        ph = getattr(self.phases, phase.value) if phase is not None else None
        if ph is not None and ph.nibp_interval_s is not None:
            return ph.nibp_interval_s
        return self.nibp_interval_s

    def problems(self) -> list[tuple[str, str]]:
        """Checks across keys (limit order, ranges), for the base and every phase override."""
        found: list[tuple[str, str]] = []
        sat = [c.id for c in channels.alarmed() if c.supports(Condition.SAT_SECONDS)]
        for ch in alarmed_ids():
            base = limit_problems(ch, self.channel(ch))
            found += [(f"channels.{ch}.{k}", why) for k, why in base]
            for phase in Phase:
                ph = getattr(self.phases, phase.value)
                if ph is None or getattr(ph.channels, ch, None) is None:
                    continue
                merged = self.channel(ch, phase)
                prefix = f"phases.{phase.value}.channels.{ch}"
                found += [(f"{prefix}.{k}", why) for k, why in limit_problems(ch, merged)]
            if ch not in sat and self.channel(ch)["sat_seconds"]:
                why = f"SatSeconds applies to {' and '.join(sat)} only"
                found.append((f"channels.{ch}.sat_seconds", why))
        return found


def alarmed_ids() -> tuple[str, ...]:
    """Channels with alarm limits, in the registry's order; pump rate and the
    concentrations are never alarmed."""
    return tuple(c.id for c in channels.alarmed())


PUMP_PAUSED = "PUMP_PAUSED"
"""The reminder of a paused infusion pump (technical, LOW): on the pump rate channel."""
APNEA = "APNEA"
"""No breath for the profile's ``apnea_s`` (physiological, HIGH): on the first alarmed
channel the registry gives ``Condition.APNEA`` (end-tidal CO2, one reading per breath)."""


def apnea_channel() -> str | None:
    """The channel whose readings are the breaths APNEA watches; None without one."""
    return next((c.id for c in channels.alarmed() if c.supports(Condition.APNEA)), None)


def technical_condition_names() -> tuple[str, ...]:
    """NO_DATA per continuous channel that supports it, probe and cuff conditions, and the
    paused pump's reminder when a pump rate channel is registered."""
    regs = channels.all_channels()
    names = [f"NO_DATA_{c.id}" for c in regs if c.supports(Condition.NO_DATA)]
    if any(c.supports(Condition.SENSOR_OFF) for c in regs):
        names.append("SENSOR_OFF")
    if any(c.supports(Condition.CUFF_FAIL) for c in regs):
        names += ["CUFF_FAIL", "NIBP_OVERDUE"]
    if any(c.pump_rate for c in regs):
        names.append(PUMP_PAUSED)
    if any(c.alarmed for c in regs):  # the observation reminder (alarms/_state)
        names.append("OBSERVATION_OVERDUE")
    return tuple(names)


def limit_condition_names() -> tuple[str, ...]:
    """The per-parameter limit conditions (HR_HI, HR_LO, ..., SYS_HI as monitors say it)."""
    return tuple(f"{c.short}_{d}" for c in channels.alarmed() for d in ("HI", "LO"))


def physiological_condition_names() -> tuple[str, ...]:
    """Built-in physiological conditions that are not a limit: APNEA with a breath channel."""
    return (APNEA,) if apnea_channel() is not None else ()


def builtin_condition_names() -> tuple[str, ...]:
    """Names of the per-parameter, physiological and technical conditions every profile has."""
    return limit_condition_names() + physiological_condition_names() + technical_condition_names()


def _build_tables() -> None:
    """(Re)build the per-channel tables from the registry: an unknown channel key in a
    profile is an unknown key, and a registered channel may be configured."""
    ids = alarmed_ids()
    for table, settings in ((ChannelTable, ChannelSettings), (OverrideTable, ChannelOverride)):
        table.__pydantic_fields__ = {
            ch: FieldInfo.from_annotated_attribute(settings | None, None) for ch in ids
        }
        table.model_rebuild(force=True)
    for model in (PhaseSettings, PhaseTable, AlarmProfile):
        model.model_rebuild(force=True)


_build_tables()
channels.on_change(_build_tables)


def limit_problems(ch: str, s: dict[str, Any]) -> list[tuple[str, str]]:
    """Range and order of one channel's limits: critical_low <= low < high <= critical_high."""
    lo_range, hi_range = channels.get(ch).limit_range or (0.0, 0.0)
    out: list[tuple[str, str]] = []
    for key in _LIMIT_FIELDS:
        v = s.get(key)
        if v is not None and not lo_range <= v <= hi_range:
            out.append((key, f"{v:g} is outside {lo_range:g}..{hi_range:g}"))
    order = [(k, s.get(k)) for k in ("critical_low", "low", "high", "critical_high")]
    present = [(k, v) for k, v in order if v is not None]
    for (k1, v1), (k2, v2) in itertools.pairwise(present):
        strict = k1 == "low" and k2 == "high"
        if v2 < v1 or (strict and v2 == v1):
            rel = "above" if strict else "at or above"
            out.append((k2, f"{v2:g} must be {rel} {k1} ({v1:g})"))
    return out


def profile_path(name_or_path: str | Path, cwd: Path | None = None) -> Path:
    """Resolve a profile name to config/alarms/NAME.toml under the cwd or the shipped config.

    Anything that looks like a path (has a suffix or a directory part) is used as is.
    """
    text = str(name_or_path)
    if text.endswith(".toml") or "/" in text or "\\" in text:
        return Path(text)
    candidates = _folders(cwd)
    for folder in candidates:
        if (folder / f"{text}.toml").is_file():
            return folder / f"{text}.toml"
    known = list_profiles(cwd)
    raise ConfigError(
        candidates[0] / f"{text}.toml",
        [("(file)", f"no alarm profile named {text!r} (known: {', '.join(known) or 'none'})")],
    )


def _folders(cwd: Path | None) -> list[Path]:
    return config_dirs("alarms", cwd)


def list_profiles(cwd: Path | None = None) -> list[str]:
    """Names of the profiles under config/alarms/ (cwd, then the shipped config), sorted."""
    return list(catalogue("alarms", cwd))


def load_profile(
    name_or_path: str | Path, *, max_audio_pause_s: float = CLINIC_MAX_AUDIO_PAUSE_S
) -> AlarmProfile:
    """Load and fully validate a profile; raise ConfigError naming file, key and reason.

    ``max_audio_pause_s`` is the clinic's maximum audio pause (itself at most 300 s).
    """
    path = profile_path(name_or_path)
    limit = min(float(max_audio_pause_s), CLINIC_MAX_AUDIO_PAUSE_S)
    profile = load_toml_model(path, AlarmProfile, context={"max_audio_pause_s": limit})
    problems = profile.problems()
    if problems:
        raise ConfigError(path, problems)
    if not profile.name:
        profile = profile.model_copy(update={"name": path.stem})
    return profile

"""Session protocol: phases, NIBP program, pre-infusion check and discharge readiness.

Pure functions and plain data: nothing here reads a clock; every time is seconds from the
session start, passed in by the runtime. Protocol files live in config/protocols/.

Choices (clinical.md, "Monitoring protocol defaults"):
- The pre-infusion check is a checklist (``pre_infusion_check``): baseline readings and
  time, BP, SpO2, HR, alarms showing, and the screening questions, each "pass",
  "caution" or "blocked" with its words and the limit used; the check's status is the
  worst item's. BP judges the LAST valid baseline NIBP reading: it is the state of the
  patient when the infusion would start (a rising BP is not averaged away by an earlier,
  calmer reading). Blocked at or above the block limits (SBP >= 160 or DBP >= 100),
  caution at or above the caution limits (140/90, the threshold of grade 1
  hypertension). A baseline too short or with too few readings blocks (the BP is shown
  as soon as one reading exists); ``reasons`` lists every item that did not pass.
- Discharge: SBP, DBP and HR within the percentage of baseline either way, exactly the
  percentage being within. The SBP cap relaxes only the upper bound and is strict: SBP
  below 160 is fine however far it rose, SBP at 160 is not (160 would block a start);
  a fall of more than the percentage is never fine. SpO2 at the floor is fine.
"""

from vitalsdash.protocol._session import (
    CLEAN_WITHIN_S,
    NIBP_CHANNELS,
    READINESS_CHANNELS,
    SCREENING_WORDS,
    Baseline,
    BaselineRules,
    CheckItem,
    ConfigError,
    Criterion,
    DischargeCriteria,
    Latest,
    NibpProgram,
    NibpReading,
    ObservationRules,
    PhaseTracker,
    PreInfusionCheck,
    PreInfusionLimits,
    ProtocolConfig,
    ProtocolInfo,
    Readiness,
    alarm_baseline,
    baseline_from,
    clean_value,
    discharge_readiness,
    last_nibp_t_s,
    latest_from,
    latest_of,
    list_protocols,
    load_protocol,
    nibp_interval_s,
    nibp_readings,
    pre_infusion_check,
    protocol_path,
)

__all__ = [
    "CLEAN_WITHIN_S",
    "NIBP_CHANNELS",
    "READINESS_CHANNELS",
    "SCREENING_WORDS",
    "Baseline",
    "BaselineRules",
    "CheckItem",
    "ConfigError",
    "Criterion",
    "DischargeCriteria",
    "Latest",
    "NibpProgram",
    "NibpReading",
    "ObservationRules",
    "PhaseTracker",
    "PreInfusionCheck",
    "PreInfusionLimits",
    "ProtocolConfig",
    "ProtocolInfo",
    "Readiness",
    "alarm_baseline",
    "baseline_from",
    "clean_value",
    "discharge_readiness",
    "last_nibp_t_s",
    "latest_from",
    "latest_of",
    "list_protocols",
    "load_protocol",
    "nibp_interval_s",
    "nibp_readings",
    "pre_infusion_check",
    "protocol_path",
]

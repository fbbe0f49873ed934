"""Session protocol: phases, NIBP program, pre-infusion check and discharge readiness.

Pure functions and plain data: nothing here reads a clock; every time is seconds from the
session start, passed in by the runtime. Protocol files live in config/protocols/.

Choices (clinical.md, "Monitoring protocol defaults"):
- The pre-infusion check judges the LAST valid baseline NIBP reading: it is the state of
  the patient when the infusion would start (a rising BP is not averaged away by an
  earlier, calmer reading). Blocked at or above the block limits (SBP >= 160 or
  DBP >= 100), caution at or above the caution limits (140/90, the threshold of grade 1
  hypertension), else ok. Blocked takes precedence over not ready (the BP is shown as
  soon as one reading exists), not ready over caution; ``reasons`` lists all of them.
- Discharge: SBP, DBP and HR within the percentage of baseline either way, exactly the
  percentage being within. The SBP cap relaxes only the upper bound and is strict: SBP
  below 160 is fine however far it rose, SBP at 160 is not (160 would block a start);
  a fall of more than the percentage is never fine. SpO2 at the floor is fine.
"""

from vitalsdash.protocol._session import (
    CLEAN_WITHIN_S,
    CRITERION_LABELS,
    NIBP_CHANNELS,
    NOT_BLOCKING_DISCHARGE,
    READINESS_CHANNELS,
    Baseline,
    BaselineRules,
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
    alertness_counts,
    alertness_for_discharge,
    baseline_from,
    clean_value,
    criterion_names,
    discharge_readiness,
    last_nibp_t_s,
    latest_from,
    latest_of,
    list_protocols,
    load_protocol,
    nibp_interval_s,
    nibp_readings,
    observation_overdue_s,
    pre_infusion_check,
    protocol_path,
)

__all__ = [
    "CLEAN_WITHIN_S",
    "CRITERION_LABELS",
    "NIBP_CHANNELS",
    "NOT_BLOCKING_DISCHARGE",
    "READINESS_CHANNELS",
    "Baseline",
    "BaselineRules",
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
    "alertness_counts",
    "alertness_for_discharge",
    "baseline_from",
    "clean_value",
    "criterion_names",
    "discharge_readiness",
    "last_nibp_t_s",
    "latest_from",
    "latest_of",
    "list_protocols",
    "load_protocol",
    "nibp_interval_s",
    "nibp_readings",
    "observation_overdue_s",
    "pre_infusion_check",
    "protocol_path",
]

"""Session protocol: phases, the NIBP program, baseline, pre-infusion check, discharge.

Pure functions and plain data: nothing here reads a clock; every time is seconds from the
session start, passed in by the runtime.

- ``_config``: protocol files (config/protocols/*.toml), their model and loading;
- ``_readiness``: the criteria about particular vital signs (baseline, latest values,
  pre-infusion check, discharge readiness), the one module here that names channels;
- ``_session``: the phases a session goes through and the NIBP interval of each.
"""

from vitalsdash.protocol._config import (
    BaselineRules,
    DischargeCriteria,
    NibpProgram,
    ObservationRules,
    PreInfusionLimits,
    ProtocolConfig,
    ProtocolInfo,
    list_protocols,
    load_protocol,
    protocol_path,
)
from vitalsdash.protocol._readiness import (
    CLEAN_WITHIN_S,
    CRITERION_LABELS,
    HEART_RATE,
    NIBP_CHANNELS,
    NOT_BLOCKING_DISCHARGE,
    READINESS_CHANNELS,
    SCREENING_WORDS,
    Baseline,
    CheckItem,
    Criterion,
    Latest,
    NibpReading,
    PreInfusionCheck,
    Readiness,
    alertness_counts,
    alertness_for_discharge,
    baseline_from,
    clean_value,
    criterion_names,
    discharge_readiness,
    last_nibp_t_s,
    latest_from,
    latest_of,
    nibp_readings,
    pre_infusion_check,
)
from vitalsdash.protocol._session import (
    PhaseTracker,
    alarm_baseline,
    nibp_interval_s,
    observation_overdue_s,
)
from vitalsdash.tomlconfig import ConfigError

__all__ = [
    "CLEAN_WITHIN_S",
    "CRITERION_LABELS",
    "HEART_RATE",
    "NIBP_CHANNELS",
    "NOT_BLOCKING_DISCHARGE",
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

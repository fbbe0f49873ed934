"""The clinic at run time, and the one seam through which everything else reads and acts.

Pages, the API and push streams use only what is exported here: views (``Runtime.view``,
``views``, ``truth``: plain, immutable, serialisable data), commands
(``Runtime.submit(Command(...))``), tick waiting (``wait_for_tick``), and the read-only
store and feed (``Runtime.store``, ``Runtime.feed``) for history and cursors. The beds,
sessions, alarm engines, sources and the lock stay inside this package
(docs/architecture.md, "The seam").
"""

from vitalsdash.runtime._beds_json import BedsJson, OncePerView, json_ready
from vitalsdash.runtime._commands import SET_LIMITS, Command, LimitEdit, set_limits
from vitalsdash.runtime._core import HL7_CATCH_UP_S, HL7_LAG_S, Runtime
from vitalsdash.runtime._views import (
    NIBP_GRACE_S,
    AlarmOffView,
    AlarmView,
    AudioView,
    BaselineView,
    BedView,
    ClinicView,
    CriterionView,
    DischargeItemView,
    DischargeView,
    DoseView,
    PreInfusionView,
    PumpView,
    ReadinessView,
    SaidView,
    SignalsView,
    TruthView,
)
from vitalsdash.runtime._views import (
    summary as bed_summary,
)

__all__ = [
    "HL7_CATCH_UP_S",
    "HL7_LAG_S",
    "NIBP_GRACE_S",
    "SET_LIMITS",
    "AlarmOffView",
    "AlarmView",
    "AudioView",
    "BaselineView",
    "BedView",
    "BedsJson",
    "ClinicView",
    "Command",
    "CriterionView",
    "DischargeItemView",
    "DischargeView",
    "DoseView",
    "LimitEdit",
    "OncePerView",
    "PreInfusionView",
    "PumpView",
    "ReadinessView",
    "Runtime",
    "SaidView",
    "SignalsView",
    "TruthView",
    "bed_summary",
    "json_ready",
    "set_limits",
]

"""Scenarios: who the patient is, the infusion protocol, and what happens when.

A scenario is a TOML file in ``config/scenarios/`` (see ``example-annotated.toml`` there
for every key with comments). Loading one validates everything and resolves every time
to seconds from the session start; any mistake comes out as one
:class:`~vitalsim._tomlconfig.ConfigError` whose lines read ``FILE: KEY: REASON``, where
KEY is the TOML key path with 1-based array indices (``events[3].kind``).

File format
===========

::

    [scenario]
    name = "Hypertensive responder"        # required
    description = "..."                      # optional
    seed = 7                                 # optional default seed (the CLI --seed overrides)

    [patient]              # every key optional; what is missing is sampled with the seed
    age_years = 58         # 18..100
    sex = "female"         # female | male
    weight_kg = 82         # 35..250
    hypertension = "untreated"   # none | treated | untreated
    anxiety = 0.6          # 0..1, white-coat anxiety at baseline
    hr_bpm = 78            # resting baselines: hr_bpm 35..150, sbp_mmhg 80..220,
    sbp_mmhg = 148         #   dbp_mmhg 40..130 (below sbp_mmhg), spo2_pct 85..100,
    dbp_mmhg = 88          #   rr_per_min 6..40
    sbp_sensitivity = 3.0  # multiple of the population median ketamine BP response, 0..10
    motion_artefacts_per_h = 2   # 0..120
    height_cm = 165        # 120..230 (drawn by sex when left out)
    etco2_mmhg = 38        # resting EtCO2, 30..50 (drawn 35..42 when left out)
    ventilatory_sensitivity = 1.5  # breathing's sensitivity to sedatives, x the median, 0..5

    [patient.screening]    # answers to the questions asked before each session: "yes" | "no"
    heart_disease = "no"   # uncontrolled_hypertension, heart_disease, psychosis, pregnancy,
                           #   substance_misuse, severe_liver_disease; all default "no",
                           #   except that untreated hypertension answers the first
                           #   "untreated" when it is left out (care: today's BP decides)

    [protocol]
    drug = "ketamine"      # ketamine | esketamine (default ketamine)
    route = "iv"           # iv | intranasal (esketamine only; default iv)
    pk_model = "kamp"      # kamp | domino | esketamine (default: kamp, or esketamine)
    baseline_min = 10      # > 0, default 10
    dose_weight = "actual" # actual | ideal | adjusted: the kg a mg/kg dose is per
    dose_mg_per_kg = 0.5   # EITHER dose_mg_per_kg (0 < x <= 5) with over_min (1..600)
    over_min = 40
    # rate_mg_per_kg_h = 0.5   # OR rate_mg_per_kg_h (0 < x <= 3) with for_min (1..600)
    # for_min = 240
    # nasal_dose_mg = 56   # intranasal: whole 28 mg devices (28..112), no per-kg keys
    # device_interval_min = 5  # 1..15, default 5
    observation_min = 60   # >= 0, default 60

    [nibp]                 # automatic NIBP interval per phase, minutes, each 1..60
    baseline_every_min = 5       # default 5
    infusion_every_min = 10      # default 10
    observation_every_min = 15   # default 15

    [[events]]             # scripted physiology and device events
    at = "infusion+25min"
    kind = "hypertensive_surge"
    sbp_rise_mmhg = 35
    duration_min = 15

    [[actions]]            # scripted actions (optional), same `at` grammar
    at = "infusion+32min"
    kind = "pause_pump"

    [[co_sedatives]]       # a sedative given apart from the infusion (IV bolus)
    at = "start-20min"     # may be before the session: already on board at its start
    drug = "midazolam"     # midazolam (dose_mg 0.5..10) | fentanyl (dose_mcg 10..500)
    dose_mg = 2

    [[expected]]           # what a trainee is expected to do, scored in the debrief
    when = "SYS_HI"        # an alarm condition name, or a list of them (any one counts)
    do = ["pause_pump", "set_rate", "stop_infusion"]   # any of these counts
    within_min = 3

Every key carries its unit in its name; a key with another unit (``dose_mg``,
``duration_s``) is an unknown key and the error suggests the right one. The whole session
(baseline + infusion + observation) may last at most 12 h.

Times (``at``)
--------------
``<anchor>`` or ``<anchor>(+|-)<number><unit>``, whitespace allowed between the parts:

=================================  ====================================================
anchor                             time
=================================  ====================================================
``start``                          0, the session start (the baseline begins)
``infusion``                       infusion start (= ``baseline_min``)
``infusion_end``, ``observation``  end of the infusion, start of the observation
``end``                            end of the session (= infusion end + observation_min)
=================================  ====================================================

Units ``s``, ``min``, ``h``; decimals allowed (``infusion+2.5min``, ``end - 90 s``).
A time must resolve to within ``[0, end)``; anything else is an error.

Events (``[[events]]``)
-----------------------
Each event has ``at``, ``kind`` and ``duration_min`` (> 0, required: the plateau length
including the onset ramp). Physiological events and the artefact storm also take
``onset_min`` (ramp up, 0 <= x <= duration_min) and ``offset_min`` (ramp back down after
the plateau); the effect's level (:meth:`level_at`) rises linearly from 0 at ``at`` to 1
at ``at + onset``, holds until ``at + duration``, then falls linearly to 0 over the
offset. Overlapping events add up. A magnitude is what the patient shows at full
level (``spo2_drop_pct = 10`` takes 10% off the SpO2); the ketamine-provoked kinds
(surge, tachycardia, desaturation, emergence anxiety) may ease as Ce falls, never grow
past it. In seconds: ``at_s``, ``onset_s``, ``duration_s``,
``offset_s``; ``end_s`` = ``at_s + duration_s``, the end of the plateau where the ramp
down begins; ``effect_end_s`` = ``end_s + offset_s``, when the effect is over. An event
that runs past the end of the session is clipped there: ``end_s`` and ``effect_end_s``
are never later than the session end, the level is 0 from the session end on, and
``clipped`` says whether that happened.

=======================  =====  ======  ===================================================
kind                     onset  offset  magnitudes (defaults)
=======================  =====  ======  ===================================================
``hypertensive_surge``   2      5       sbp_rise_mmhg 0<x<=120 (required),
                                        dbp_rise_mmhg 0..80 (0.6 x sbp_rise_mmhg),
                                        hr_rise_bpm 0..80 (0)
``tachycardia``          1      5       hr_rise_bpm 0<x<=120 (required)
``vasovagal``            0.5    5       hr_drop_bpm 0<x<=80, sbp_drop_mmhg 0<x<=100
                                        (both required), dbp_drop_mmhg 0..70
                                        (0.6 x sbp_drop_mmhg)
``desaturation``         2      5       spo2_drop_pct 0<x<=40 (required),
                                        rr_drop_per_min 0..20 (0), cause (free text,
                                        "co-sedative")
``emergence_anxiety``    2      5       anxiety 0..1 (required)
``nausea``               2      5       severity 0..10 (required)
``motion_artefacts``     0      0       episodes_per_min 0<x<=30 (required): a storm
``probe_off``            --     --      none: the SpO2 probe is off for duration_min
``cuff_failure``         --     --      none: every NIBP measurement in the window fails
=======================  =====  ======  ===================================================

Each kind also carries the words a form shows a nurse: the kind's title
(:data:`EVENT_TITLES`, from ``model_config["title"]``), each field's ``title`` ("SBP
rise", "Onset"), a ``suggested`` starting value for a required field with no default
(``duration_min`` included), and for an optional magnitude whose empty value means a
computed default, the ``derived`` rule ("0.6 × SBP rise"), both in the field's
``json_schema_extra``. Live events (:func:`make_event`, :func:`check_event`) are
validated by the same models.

Actions (``[[actions]]``)
-------------------------
``at``, ``kind`` and ``actor`` (trainee | instructor | system, default trainee), plus:
``pause_pump``, ``resume_pump``, ``stop_infusion``, ``oxygen_off``, ``reposition``,
``reassure``, ``nibp_start`` (nothing more); ``set_rate`` (rate_mg_per_kg_h 0..3,
required); ``give_antihypertensive`` (drug, default "labetalol"; dose_mg 1..100,
required); ``give_antiemetic`` (drug, default "ondansetron"; dose_mg 0<x<=100,
required); ``oxygen_on`` (flow_l_min 1..15, default 2). A drug must be one the model has
an effect for (:data:`DRUGS`), and the boluses of one drug, in time order, may not pass
its maximum per session (labetalol 300 mg, ondansetron 16 mg).

Co-sedatives (``[[co_sedatives]]``)
-----------------------------------
``at`` (the same grammar; it may resolve up to 12 h *before* the session start, so the
drug is on board when the session begins), ``drug`` (one the ventilation model knows,
:data:`vitalsim.ventilation.CO_SEDATIVES`: midazolam, fentanyl), the dose in the drug's
own unit (midazolam ``dose_mg`` 0.5..10, fentanyl ``dose_mcg`` 10..500) and ``route``
("iv", the only one). Their concentrations depress breathing through the model (see
docs/simulator.md, "Ventilation, capnography and oxygen"); nothing is scripted.

Expected responses (``[[expected]]``)
-------------------------------------
``when``: an alarm condition name (:data:`ALARM_CONDITIONS`) or a list of them; ``do``:
an action kind or a list of them, any of which counts; ``within_min``: 0 < x <= 120,
counted from the moment the condition becomes active.

Modules
-------
The package's modules are private; import from ``vitalsim.scenario``. ``_time`` (the
``at`` grammar and :class:`Timeline`), ``_validation`` (the strict base model and error
wording), ``_tables`` (scenario, patient, protocol, nibp), ``_scheduled`` (what events and
actions share), ``_event_base`` and ``_events`` (event timing and kinds), ``_actions``,
``_expected`` (expected responses and alarm conditions), ``_cosedatives`` (sedatives
given apart from the infusion) and ``_file`` (the document, :class:`Scenario` and finding
files).
"""

from __future__ import annotations

from vitalsim._tomlconfig import ConfigError

from ._actions import (
    ACTION_KINDS,
    DRUGS,
    Action,
    GiveAntiemetic,
    GiveAntihypertensive,
    NibpStart,
    OxygenOff,
    OxygenOn,
    PausePump,
    Reassure,
    Reposition,
    ResumePump,
    SetRate,
    StopInfusion,
    drug_check,
    known_drug,
)
from ._cosedatives import CoSedative
from ._events import (
    EVENT_KINDS,
    EVENT_TITLES,
    CuffFailure,
    Desaturation,
    EmergenceAnxiety,
    Event,
    HypertensiveSurge,
    MotionArtefacts,
    Nausea,
    ProbeOff,
    Tachycardia,
    Vasovagal,
    check_event,
    make_event,
)
from ._expected import ALARM_CONDITIONS, ExpectedResponse
from ._file import Scenario, ScenarioFile, find_scenario, list_scenarios, load_scenario
from ._tables import (
    SCREENING_QUESTIONS,
    NibpSettings,
    PatientSpec,
    Protocol,
    ScenarioInfo,
    Screening,
)
from ._time import ANCHORS, MAX_SESSION_S, PhaseName, Timeline, TimeRef, parse_time_ref

__all__ = [
    "ACTION_KINDS",
    "ALARM_CONDITIONS",
    "ANCHORS",
    "DRUGS",
    "EVENT_KINDS",
    "EVENT_TITLES",
    "MAX_SESSION_S",
    "SCREENING_QUESTIONS",
    "Action",
    "CoSedative",
    "ConfigError",
    "CuffFailure",
    "Desaturation",
    "EmergenceAnxiety",
    "Event",
    "ExpectedResponse",
    "GiveAntiemetic",
    "GiveAntihypertensive",
    "HypertensiveSurge",
    "MotionArtefacts",
    "Nausea",
    "NibpSettings",
    "NibpStart",
    "OxygenOff",
    "OxygenOn",
    "PatientSpec",
    "PausePump",
    "PhaseName",
    "ProbeOff",
    "Protocol",
    "Reassure",
    "Reposition",
    "ResumePump",
    "Scenario",
    "ScenarioFile",
    "ScenarioInfo",
    "Screening",
    "SetRate",
    "StopInfusion",
    "Tachycardia",
    "TimeRef",
    "Timeline",
    "Vasovagal",
    "check_event",
    "drug_check",
    "find_scenario",
    "known_drug",
    "list_scenarios",
    "load_scenario",
    "make_event",
    "parse_time_ref",
]

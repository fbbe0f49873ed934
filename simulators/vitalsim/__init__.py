"""vitalsim: the virtual patient behind vitalsdash (a training tool, not a medical device).

A ketamine infusion session on a virtual patient: pharmacokinetics (Kamp 2020, Domino),
a calibrated haemodynamic response, patient-to-patient variation, realistic measurement
and scripted events, with trainee actions fed back through the model.

    >>> from vitalsim import LiveSimulation, find_scenario, load_scenario
    >>> scenario = load_scenario(find_scenario("uneventful-depression"))
    >>> sim = LiveSimulation.from_scenario(scenario, seed=1)
    >>> rows = sim.advance(60)          # one minute of HR, SpO2, RR, NIBP, pump, Ce ...
    >>> sim.apply("pause_pump")         # the patient answers through the model

Nothing here imports vitalsdash.
"""

from vitalsim._tomlconfig import ConfigError
from vitalsim.engine import (
    ActionError,
    Cohort,
    LiveSimulation,
    ScheduledAction,
    SimSample,
    Snapshot,
    run_batch,
    samples_of,
    simulate_scenario,
)
from vitalsim.patient import PatientProfile, sample_population, sample_profile
from vitalsim.pk import PK_MODELS, LinearPK, PKParameters, concentration_table, concentrations
from vitalsim.population import PopulationStats, population_stats
from vitalsim.recording import write_recording
from vitalsim.scenario import Scenario, find_scenario, list_scenarios, load_scenario, make_event

__all__ = [
    "PK_MODELS",
    "ActionError",
    "Cohort",
    "ConfigError",
    "LinearPK",
    "LiveSimulation",
    "PKParameters",
    "PatientProfile",
    "PopulationStats",
    "Scenario",
    "ScheduledAction",
    "SimSample",
    "Snapshot",
    "concentration_table",
    "concentrations",
    "find_scenario",
    "list_scenarios",
    "load_scenario",
    "make_event",
    "population_stats",
    "run_batch",
    "sample_population",
    "sample_profile",
    "samples_of",
    "simulate_scenario",
    "write_recording",
]

"""vitalsim: the virtual patient behind vitalsdash (a training tool, not a medical device).

A ketamine infusion session on a virtual patient: pharmacokinetics (Kamp 2020, Domino),
a calibrated haemodynamic response, breathing under co-sedatives (CO2, oxygen, breaths
and a capnograph), patient-to-patient variation, realistic measurement and scripted
events, with trainee actions fed back through the model.

    >>> from vitalsim import LiveSimulation, find_scenario, load_scenario
    >>> scenario = load_scenario(find_scenario("uneventful-depression"))
    >>> sim = LiveSimulation.from_scenario(scenario, seed=1)
    >>> rows = sim.advance(60)          # one minute of HR, SpO2, RR, NIBP, pump, Ce ...
    >>> sim.apply("pause_pump")         # the patient answers through the model

Nothing here imports vitalsdash.
"""

from __future__ import annotations

import importlib
from typing import Any

# Public name -> defining module. Loaded on first use, so importing a light module such
# as ``vitalsim._tomlconfig`` does not pull in scipy and the whole engine.
_EXPORTS = {
    "ConfigError": "vitalsim._tomlconfig",
    "MAX_SESSIONS": "vitalsim.course",
    "session_profile": "vitalsim.course",
    "ActionError": "vitalsim.engine",
    "Cohort": "vitalsim.engine",
    "LiveSimulation": "vitalsim.engine",
    "ScheduledAction": "vitalsim.engine",
    "SimSample": "vitalsim.engine",
    "Snapshot": "vitalsim.engine",
    "run_batch": "vitalsim.engine",
    "samples_of": "vitalsim.engine",
    "simulate_scenario": "vitalsim.engine",
    "PatientProfile": "vitalsim.patient",
    "sample_population": "vitalsim.patient",
    "sample_profile": "vitalsim.patient",
    "PK_MODELS": "vitalsim.pk",
    "LinearPK": "vitalsim.pk",
    "PKParameters": "vitalsim.pk",
    "concentration_table": "vitalsim.pk",
    "concentrations": "vitalsim.pk",
    "PopulationStats": "vitalsim.population",
    "population_stats": "vitalsim.population",
    "write_recording": "vitalsim.recording",
    "Scenario": "vitalsim.scenario",
    "find_scenario": "vitalsim.scenario",
    "list_scenarios": "vitalsim.scenario",
    "load_scenario": "vitalsim.scenario",
    "make_event": "vitalsim.scenario",
    "WAVE_RATES_HZ": "vitalsim.waveforms",
    "Wave": "vitalsim.waveforms",
    "WaveChunk": "vitalsim.waveforms",
    "WaveInputs": "vitalsim.waveforms",
    "WaveState": "vitalsim.waveforms",
    "concat_waves": "vitalsim.waveforms",
    "generate_waves": "vitalsim.waveforms",
    "wave_inputs": "vitalsim.waveforms",
    "wave_state": "vitalsim.waveforms",
    "CO_SEDATIVES": "vitalsim.ventilation",
    "CoSedativeDose": "vitalsim.ventilation",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'vitalsim' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)

"""A course of sessions at run time: creating a named virtual patient, and turning
``start_session {"patient": id}`` into the session of that patient's course that comes
next (or the one asked for).

The patient file (the store's ``patients`` row) holds the scenario and the seed: a
session of the course is that scenario with that seed, and the session number, which the
simulator adapter hands to vitalsim (the same patient on another day, see
docs/simulator.md, "A course of sessions"). Every id and number here came from a request:
an unknown patient is a 404, a session already given a 409, each with the reason.
"""

from __future__ import annotations

import random
from datetime import datetime
from typing import Any

from vitalsdash.actions import ActionError
from vitalsdash.adapters.simulator import patient_facts
from vitalsdash.catalogue import scenario_named
from vitalsdash.config import BedConfig
from vitalsdash.course import MAX_COURSE_SESSIONS, next_session_number, session_words
from vitalsdash.store import Store
from vitalsdash.tomlconfig import ConfigError

KIND = "create_patient"
MAX_NEW_SEED = 2**31
"""A seed drawn for a new patient: any of these (what the console's random patient uses)."""


def _simulated(cfg: BedConfig, kind: str) -> None:
    if cfg.source != "simulator":
        raise ActionError("not_possible", f"{kind}: {cfg.display_name} shows a "
                          f"{'recording' if cfg.source == 'replay' else 'real device'}; a "
                          "course of sessions is for a simulated patient", status=409)  # fmt: skip


def create_patient(store: Store, cfg: BedConfig, clean: dict[str, Any],
                   wall: datetime) -> dict[str, Any]:  # fmt: skip
    """A new patient file for a course on chair ``cfg`` (``clean``: create_patient's
    validated parameters); the answer names it. Raises ActionError, StoreError."""
    _simulated(cfg, KIND)
    try:
        scenario = scenario_named(clean["scenario"])
    except ConfigError as exc:
        raise ActionError("bad_params", f"{KIND}: {exc}") from None
    seed = clean["seed"]
    if seed is None:
        seed = random.SystemRandom().randrange(1, MAX_NEW_SEED)
    facts = patient_facts(scenario, seed)
    pid = store.create_patient(name=clean["name"], scenario=clean["scenario"], seed=seed,
                               sessions_planned=clean["sessions"], bed_id=cfg.id, facts=facts,
                               created_wall=wall)  # fmt: skip
    return {"ok": True, "patient_id": pid, "name": clean["name"], "scenario": clean["scenario"],
            "seed": seed, "sessions_planned": clean["sessions"], "next_session": 1,
            "patient": facts}  # fmt: skip


def _patient_or_404(store: Store, patient_id: int) -> dict[str, Any]:
    row = store.patient(patient_id)
    if row is None:
        raise ActionError("unknown_patient", f"start_session: no virtual patient {patient_id} "
                          "(create one first: create_patient)", status=404,
                          words=f"There is no patient {patient_id}.")  # fmt: skip
    return row


def resolve_start(store: Store, cfg: BedConfig, clean: dict[str, Any]) -> dict[str, Any]:
    """start_session's parameters with a patient's scenario, seed and session number put
    in (unchanged without a patient). A scenario or seed given beside the patient must be
    the patient's own; the number, by default the next, must not have been given."""
    pid = clean.get("patient")
    if pid is None:
        return clean
    _simulated(cfg, "start_session")
    row = _patient_or_404(store, pid)
    name = row["name"]
    for key in ("scenario", "seed"):
        if clean.get(key) is not None and clean[key] != row[key]:
            raise ActionError("bad_params", f"start_session: {key} {clean[key]!r} is not "
                              f"{name}'s ({row[key]!r}): leave it out for a session of "
                              "the patient's course")  # fmt: skip
    number = clean.get("session_number")
    if number is None:
        number = next_session_number(c["session_number"] for c in store.course(pid))
    if number > MAX_COURSE_SESSIONS:
        raise ActionError("conflict", f"start_session: {name} has had the "
                          f"{MAX_COURSE_SESSIONS} sessions a course may have",
                          status=409)  # fmt: skip
    out = {**clean, "scenario": row["scenario"], "seed": row["seed"], "session_number": number}
    check_free(store, out)
    return out


def check_free(store: Store, params: dict[str, Any]) -> None:
    """Refuse (409) a session number of the patient's course that was already given."""
    pid = params.get("patient")
    if pid is None:
        return
    number = params["session_number"]
    for c in store.course(pid):
        if c["session_number"] == number:
            row = store.patient(pid) or {"name": f"patient {pid}"}
            name = row["name"]
            raise ActionError("conflict", f"start_session: session {number} of {name} was "
                              f"already given (session {c['session_id']})", status=409,
                              words=f"Session {number} of {name} was already given.")  # fmt: skip


def course_facts(store: Store, params: dict[str, Any]) -> tuple[tuple[int, int] | None,
                                                                dict[str, Any]]:  # fmt: skip
    """(patient id, session number) of a session of a course, and what its bed shows of
    it (the name, "Session 3 of 6 for ..."); (None, {}) for any other session."""
    pid = params.get("patient")
    if pid is None:
        return None, {}
    number = int(params["session_number"])
    row = store.patient(int(pid))
    if row is None:  # a rebuilt session whose patient file is gone: still that session
        return (int(pid), number), {"session_number": number}
    return (int(pid), number), {
        "name": row["name"], "session_number": number,
        "sessions_planned": row["sessions_planned"],
        "course": session_words(number, row["sessions_planned"], row["name"]),
    }  # fmt: skip

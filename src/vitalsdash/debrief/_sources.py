"""Where a debrief's data comes from: the store, or a recording evaluated by the alarm engine.

Private to :mod:`vitalsdash.debrief`. A recording is evaluated with the replay code of
``vitalsdash alarms replay`` (phases from the sidecar, the protocol's baseline rule, the
actions file), so a report on a recording and the replay CLI see the same alarm log.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pandas as pd

from vitalsdash.alarms import AlarmAction, AlarmActionError, condition_labels, load_profile
from vitalsdash.alarms.replay import (
    action_from_row,
    baseline_action,
    phase_actions,
    pump_actions,
    read_actions_frame,
    replay,
)
from vitalsdash.debrief._course import course_for_session
from vitalsdash.debrief._episodes import profile_conditions
from vitalsdash.debrief._expected import PUMP_ACTIONS
from vitalsdash.debrief._start import shift_of
from vitalsdash.debrief._types import (
    END_ACTIONS,
    PATIENT_ACTIONS,
    SAMPLE_COLUMNS,
    Action,
    Observation,
    SessionData,
    SessionEvent,
)
from vitalsdash.errors import VitalsdashError
from vitalsdash.protocol import (
    NibpProgram,
    ObservationRules,
    ProtocolConfig,
    ProtocolInfo,
    list_protocols,
    load_protocol,
)
from vitalsdash.recording import RecordingError, read_events, read_recording
from vitalsdash.store import AlarmEventRow, Store, event_record
from vitalsdash.tomlconfig import ConfigError
from vitalsdash.waves import WaveSegment

DEFAULT_PROFILE = "ketamine-infusion"
DEFAULT_PROTOCOL = "depression-40min"
OBSERVATION_KINDS = ("sedation", "dissociation", "nausea", "pain", "alertness", "note")
ACTORS = ("trainee", "instructor", "system")
_ALARM_KINDS = {
    "acknowledge",
    "acknowledge_all",
    "pause_audio",
    "resume_audio",
    "reset",
    "set_limit",
    "alarm_off",
    "alarm_on",
    "auto_limits",
    "set_phase",
    "set_baseline",
    "observation_overdue",
    "end_observation",
}


class DebriefSourceError(VitalsdashError, ValueError):
    """A session or recording that cannot be debriefed; ``str()`` says which and why."""


# --- scenario and protocol ----------------------------------------------------------------


def _by_name(name_or_path: str | Path, load: Any, candidates: Any) -> Any:
    """Load by file or file name; failing that, the candidate whose display name (as the
    store records it) matches. The first error stands when nothing matches."""
    try:
        return load(name_or_path)
    except ConfigError:
        for candidate in candidates():
            try:
                loaded = load(candidate)
            except ConfigError:
                continue
            if loaded.name == str(name_or_path):
                return loaded
        raise


def resolve_scenario(name_or_path: str | Path) -> Any:
    """A scenario by file, file name, or display name."""
    from vitalsdash.adapters.simulator import find_scenario, list_scenarios, load_scenario

    return _by_name(name_or_path, lambda n: load_scenario(find_scenario(n)), list_scenarios)


def resolve_protocol(name_or_path: str | Path) -> ProtocolConfig:
    """A protocol by file, file name, or display name."""
    return _by_name(name_or_path, load_protocol, list_protocols)


def protocol_of_scenario(sc: Any) -> ProtocolConfig:
    """A protocol built from a scenario's own [protocol] and [nibp] (discharge defaults)."""
    p = sc.protocol
    info: dict[str, Any] = {"name": f"{sc.name} (scenario protocol)"}
    if getattr(p, "route", "iv") == "intranasal":  # esketamine nasal spray: its one dose
        info.update(drug=p.drug, route="intranasal", nasal_doses_mg=[float(p.nasal_dose_mg)],
                    device_interval_min=float(p.device_interval_min))  # fmt: skip
    elif p.dose_mg_per_kg is not None:
        info.update(dose_mg_per_kg=float(p.dose_mg_per_kg), over_min=float(p.over_min))
    else:
        info.update(rate_mg_per_kg_h=float(p.rate_mg_per_kg_h), for_min=float(p.for_min))
    if getattr(p, "route", "iv") == "iv":
        info.update(drug=getattr(p, "drug", "ketamine"), dose_weight=p.dose_weight)
    program = {
        "baseline_every_min": float(sc.nibp.baseline_every_min),
        "infusion_every_min": float(sc.nibp.infusion_every_min),
        "observation_every_min": float(sc.nibp.observation_every_min),
    }
    return ProtocolConfig(
        protocol=ProtocolInfo.model_validate(info),
        nibp=NibpProgram.model_validate(program),
        observation=ObservationRules(min_minutes=float(p.observation_min)),
    )


def _with_scenario_nibp(cfg: ProtocolConfig, sc: Any) -> ProtocolConfig:
    """The protocol the live session ran: the scenario's own [nibp] intervals win
    (vitalsdash.catalogue.session_protocol, the one rule)."""
    from vitalsdash.catalogue import session_protocol

    return session_protocol(cfg, sc)


# --- the store ----------------------------------------------------------------------------


@dataclass(frozen=True)
class StoreWaves:
    """A stored session's waveforms, read only when a strip is drawn (a session's whole
    waveforms are ~10 MB for 6 hours; a strip is a few kB)."""

    store: Store
    session_id: int

    def spans(self) -> dict[str, tuple[float, float]]:
        """Each wave recorded: (first sample, end), session seconds; empty when none was."""
        return self.store.wave_spans(self.session_id)

    def strip(self, wave: str, from_s: float, to_s: float) -> WaveSegment | None:
        """``wave`` over [from_s, to_s), NaN where missing; None: nothing recorded there."""
        return self.store.wave_strip(self.session_id, wave, from_s, to_s)


def session_from_store(
    store: Store,
    session_id: int,
    *,
    scenario: str | Path | None = None,
    protocol: str | Path | None = None,
) -> SessionData:
    """A session as the store holds it (running or finished)."""
    s = store.session(int(session_id))
    if s is None:
        raise DebriefSourceError(f"no session {session_id} in {store.url.database or store.url}")
    samples = store.samples(session_id)
    alarm_events = [_plain_alarm_row(r) for r in store.alarm_events(session_id)]
    actions = [
        Action(
            float(r["t_s"]),
            str(r["kind"]),
            str(r["actor"]),
            dict(r["params"] or {}),
            str(r["outcome"]),
            r["reason"],
            r.get("user_id"),
            r.get("user_name"),
        )
        for r in store.actions(session_id)
    ]
    observations = [
        Observation(float(r["t_s"]), str(r["kind"]), r["value"], r["text"], str(r["actor"]))
        for r in store.observations(session_id)
    ]
    events = [
        SessionEvent(float(r["t_s"]), str(r["kind"]), str(r["source"]), dict(r["detail"] or {}))
        for r in store.session_events(session_id)
    ]
    last_sample = float(samples["t_s"].max()) if len(samples) else 0.0
    end_t = max(float(s["last_t_s"] or 0.0), last_sample)
    sc = _scenario_or_none(scenario or s.get("scenario"), explicit=scenario is not None)
    cfg = _protocol_for(protocol or s.get("protocol"), sc, explicit=protocol is not None)
    profile = _profile_or_none(s.get("alarm_profile"))
    if sc is not None and scenario is None:
        events = _with_scripted_events(events, sc, end_t)
    info = {
        k: s.get(k)
        for k in (
            "label",
            "bed_id",
            "scenario",
            "seed",
            "protocol",
            "alarm_profile",
            "status",
            "started_wall",
            "ended_wall",
            "patient",
            "discharged_at",
            "discharged_t_s",
            "discharged_by",
            "discharge_note",
        )
    }
    return SessionData(
        course=course_for_session(store, int(session_id)),
        title=f"Session {session_id}: {s['label']}",
        source="store",
        samples=samples,
        alarm_events=alarm_events,
        actions=actions,
        observations=observations,
        session_events=events,
        end_t_s=end_t,
        session_id=int(session_id),
        info=info,
        expected=tuple(sc.expected) if sc is not None else (),
        protocol=cfg,
        conditions=profile_conditions(profile),
        labels=condition_labels(profile) if profile is not None else {},
        waves=StoreWaves(store, int(session_id)),
    )


def _with_scripted_events(events: list[SessionEvent], sc: Any, end_t: float) -> list[SessionEvent]:
    """The scenario's scripted events (the live simulator does not log them) up to the end,
    as a recording's sidecar lists them: source ``scenario``. Those written against the
    infusion are where the session had them: moved with the real start of the infusion
    (not before it), and left out when it never started."""
    have = {(e.kind, e.t_s) for e in events}
    started, shift, moved_t = shift_of(events)
    extra = []
    for ev in getattr(sc, "events", ()):
        at = float(ev.at_s)
        if getattr(getattr(ev, "at", None), "anchor", "start") != "start":
            if not started:
                continue
            at = at + shift if moved_t is None else max(at + shift, moved_t)
        if at < end_t and (ev.kind, at) not in have:
            detail = ev.model_dump(mode="json", exclude={"at", "kind"})
            detail["end_s"] = ev.end_s + (at - float(ev.at_s))
            extra.append(SessionEvent(at, ev.kind, "scenario", detail))
    return sorted([*events, *extra], key=lambda e: e.t_s)


def _plain_alarm_row(r: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in r.items() if k != "session_id"}


def _scenario_or_none(name: Any, *, explicit: bool) -> Any:
    if not name:
        return None
    try:
        return resolve_scenario(str(name))
    except ConfigError:
        if explicit:
            raise
        return None  # a session whose scenario file is gone: no expected responses


def _protocol_for(name: Any, sc: Any, *, explicit: bool) -> ProtocolConfig | None:
    if name:
        try:
            return _with_scenario_nibp(resolve_protocol(str(name)), sc)
        except ConfigError:
            if explicit:
                raise
    if sc is not None:
        return protocol_of_scenario(sc)
    return None


def _profile_or_none(name: Any) -> Any:
    if not name:
        return None
    try:
        return load_profile(str(name))
    except ConfigError:
        return None


# --- recordings ---------------------------------------------------------------------------


def read_actions_file(path: str | Path) -> tuple[list[AlarmAction], list[Action]]:
    """Read an actions CSV: replay's format (``t,action,actor,target,value``) for alarm
    actions, plus patient actions (``pause_pump``; ``set_rate`` value = mg/kg/h;
    ``give_antihypertensive``/``give_antiemetic`` target = drug, value = mg; ``oxygen_on``
    value = L/min), ``chart`` (target = sedation|...|alertness|note, value, optional
    ``text`` column) and ``end_session``/``discharge``.

    Returns the alarm actions for the engine and every row as an :class:`Action`.
    """
    path = Path(path)
    df = read_actions_frame(path)
    alarm: list[AlarmAction] = []
    records: list[Action] = []
    for i, raw in enumerate(df.to_dict("records")):
        row = {k: str(v).strip() for k, v in raw.items()}
        where = f"line {i + 2}"
        kind = row["action"].lower()
        try:
            if kind in _ALARM_KINDS:
                a = action_from_row(row)
                alarm.append(a)
                records.append(_record_of_alarm_action(a, row))
            else:
                records.append(_other_action(row, kind))
        except (ValueError, AlarmActionError) as exc:
            raise RecordingError(path, where, str(exc)) from None
    alarm.sort(key=lambda a: a.t_s)
    records.sort(key=lambda a: a.t_s)
    return alarm, records


def _record_of_alarm_action(a: AlarmAction, row: dict[str, str]) -> Action:
    params: dict[str, Any] = {}
    if a.condition:
        params["condition"] = a.condition
    if a.channel is not None:
        params["channel"] = str(a.channel)
    if a.which:
        params["which"] = a.which
    if a.value is not None:
        params["value"] = a.value
    if a.phase is not None:
        params["phase"] = a.phase.value
    if a.baseline:
        params.update({str(ch): v for ch, v in a.baseline.items()})
    return Action(a.t_s, str(a.kind), str(a.actor), params)


def _other_action(row: dict[str, str], kind: str) -> Action:
    try:
        t = float(row["t"])
    except ValueError:
        raise ValueError(f"column t: not a number: {row['t']!r}") from None
    if not math.isfinite(t):
        raise ValueError(f"column t: not a number: {row['t']!r}")
    actor = row.get("actor", "").lower() or "trainee"
    if actor not in ACTORS:
        raise ValueError(f"column actor: {row['actor']!r} is not trainee, instructor or system")
    target, value, text = row.get("target", ""), row.get("value", ""), row.get("text", "")

    def number(what: str) -> float:
        try:
            return float(value)
        except ValueError:
            raise ValueError(f"column value: {kind} needs {what} (got {value!r})") from None

    params: dict[str, Any] = {}
    if kind == "set_rate":
        params["rate_mg_per_kg_h"] = number("the rate in mg/kg/h")
    elif kind in ("give_antihypertensive", "give_antiemetic"):
        params["dose_mg"] = number("the dose in mg")
        params["drug"] = target or (
            "labetalol" if kind == "give_antihypertensive" else "ondansetron"
        )
    elif kind == "oxygen_on":
        params["flow_l_min"] = number("the flow in L/min") if value else 2.0
    elif kind == "chart":
        if target not in OBSERVATION_KINDS:
            raise ValueError(f"column target: chart needs one of {', '.join(OBSERVATION_KINDS)}")
        params = {
            "kind": target,
            "value": number("a score") if value else None,
            "text": text or None,
        }
    elif kind == "discharge":
        params = {"note": text or None}
    elif kind not in PATIENT_ACTIONS and kind not in END_ACTIONS:
        known = sorted(_ALARM_KINDS | set(PATIENT_ACTIONS) | set(END_ACTIONS) | {"chart"})
        raise ValueError(
            f"column action: unknown action {row['action']!r} (one of {', '.join(known)})"
        )
    return Action(t, kind, actor, params)


def _detail_dict(text: str) -> dict[str, Any]:
    if not text:
        return {}
    try:
        data = json.loads(text)
    except ValueError:
        return {"text": text}
    return data if isinstance(data, dict) else {"text": text}


def _sidecar(events: pd.DataFrame | None) -> tuple[list[SessionEvent], list[Action]]:
    """Session events and the actions a sidecar records (vitalsim's source ``action`` with
    the actor in the detail, or an export's source = the actor)."""
    if events is None:
        return [], []
    out, acts = [], []
    for t, kind, source, detail in zip(
        events["t"].tolist(),
        events["kind"].tolist(),
        events["source"].tolist(),
        events["detail"].tolist(),
        strict=True,
    ):
        d = _detail_dict(str(detail))
        out.append(SessionEvent(float(t), str(kind), str(source), d))
        if kind in PATIENT_ACTIONS and (source == "action" or source in ACTORS):
            actor = str(d.get("actor") or (source if source in ACTORS else "trainee"))
            params = {k: v for k, v in d.items() if k != "actor"}
            acts.append(Action(float(t), str(kind), actor, params))
    return out, acts


def session_from_frames(
    rec: pd.DataFrame,
    events: pd.DataFrame | None = None,
    *,
    alarm_actions: Sequence[AlarmAction] = (),
    actions: Sequence[Action] = (),
    profile: Any = DEFAULT_PROFILE,
    scenario: Any = None,
    protocol: Any = None,
    title: str = "Recording",
    path: str | None = None,
) -> SessionData:
    """A recording (``read_recording``'s frame and ``read_events``' sidecar) evaluated through
    the alarm engine, with the trainee's alarm actions applied and ``actions`` recorded.

    ``profile``, ``scenario`` and ``protocol`` take objects or names; the protocol defaults
    to the scenario's own, else ``depression-40min``.
    """
    prof = load_profile(profile) if isinstance(profile, (str, Path)) else profile
    sc = resolve_scenario(scenario) if isinstance(scenario, (str, Path)) else scenario
    if isinstance(protocol, (str, Path)):
        cfg = _with_scenario_nibp(resolve_protocol(protocol), sc)
    elif protocol is not None:
        cfg = _with_scenario_nibp(protocol, sc)
    elif sc is not None:
        cfg = protocol_of_scenario(sc)
    else:
        cfg = load_protocol(DEFAULT_PROTOCOL)
    engine_actions = list(phase_actions(rec, events))
    base = baseline_action(rec, engine_actions)
    if base is not None:  # as `vitalsdash alarms replay` (and the runtime): baseline first
        engine_actions.insert(0, base)
    engine_actions += pump_actions(events)  # after the phases of the same second, as live
    engine_actions += list(alarm_actions)
    log, _ = replay(rec, prof, engine_actions)
    alarm_events = [
        _plain_alarm_row(event_record("alarm_events", AlarmEventRow.of(0, e))) for e in log
    ]
    for row in alarm_events:
        row.pop("seq", None)
    session_events, sidecar_actions = _sidecar(events)
    all_actions = _mark_rejected(
        sorted([*sidecar_actions, *actions], key=lambda a: a.t_s), alarm_events
    )
    observations = [
        Observation(
            a.t_s, str(a.params.get("kind")), a.params.get("value"), a.params.get("text"), a.actor
        )
        for a in all_actions
        if a.kind == "chart"
    ]
    samples = pd.DataFrame(
        {
            c: rec[c] if c in rec.columns else float("nan")
            for c in ("t", "channel", "value", "quality", "true_value")
        }
    )
    samples.columns = list(SAMPLE_COLUMNS)
    # samples cover whole seconds: the last one ends a second later (the runtime's last_t_s)
    last = [float(rec["t"].iloc[-1]) + 1.0] if len(rec) else [0.0]
    end_t = max([*last, *(a.t_s for a in all_actions)])
    return SessionData(
        title=title,
        source="recording",
        samples=samples,
        alarm_events=alarm_events,
        actions=all_actions,
        observations=observations,
        session_events=session_events,
        end_t_s=end_t,
        path=path,
        info={
            "recording": path,
            "alarm_profile": prof.name,
            "scenario": None if sc is None else sc.name,
            "protocol": None if cfg is None else cfg.name,
        },
        expected=tuple(sc.expected) if sc is not None else (),
        protocol=cfg,
        conditions=profile_conditions(prof),
        pump_follows_actions=not any(a.kind in PUMP_ACTIONS for a in actions),
        labels=condition_labels(prof),
    )


def _mark_rejected(actions: list[Action], alarm_events: list[dict[str, Any]]) -> list[Action]:
    """Alarm actions the engine rejected (logged ``rejected``) are marked refused."""
    rejected = {
        (float(r["t_s"]), str((r.get("detail") or {}).get("action"))): str(
            (r.get("detail") or {}).get("reason", "")
        )
        for r in alarm_events
        if r["event"] == "rejected"
    }
    out = []
    for a in actions:
        why = rejected.get((a.t_s, a.kind))
        if why is not None and a.kind in _ALARM_KINDS:
            out.append(replace(a, outcome="refused", reason=why))
        else:
            out.append(a)
    return out


def session_from_recording(
    path: str | Path,
    *,
    actions: str | Path | None = None,
    profile: Any = DEFAULT_PROFILE,
    scenario: Any = None,
    protocol: Any = None,
) -> SessionData:
    """A recording file (``vitalsim run`` format, with its sidecar if present) and an
    optional actions CSV (:func:`read_actions_file`), evaluated through the alarm engine."""
    rec = read_recording(path)
    events = read_events(path)
    alarm_actions, records = read_actions_file(actions) if actions else ([], [])
    return session_from_frames(
        rec,
        events,
        alarm_actions=alarm_actions,
        actions=records,
        profile=profile,
        scenario=scenario,
        protocol=protocol,
        title=f"Recording {Path(path).name}",
        path=str(path),
    )

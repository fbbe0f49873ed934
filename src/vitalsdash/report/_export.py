"""The session exported as files, one table each (CSV or Parquet).

The tables are the formats the project's own tools read back: samples in the
``vitalsim run`` recording format with its events sidecar (so ``vitalsdash alarms
replay`` reads them), the alarm log in replay's ``--full`` format, the trainee's alarm
actions in replay's actions format, then actions, observations and the debrief's episode
and expected-response tables. :func:`table_bytes` is what a download button of the review
page serves; :func:`export_session` writes a whole folder (``vitalsdash export``).
"""

from __future__ import annotations

import io
import json
import tempfile
from pathlib import Path
from typing import Any

import pandas as pd

from vitalsdash.alarms import AlarmEvent, Priority
from vitalsdash.alarms.replay import ACTION_COLUMNS, FULL_COLUMNS, write_log
from vitalsdash.debrief import Debrief, SessionData, compute_debrief
from vitalsdash.recording import events_path
from vitalsdash.report._errors import ReportError

EXPORT_FORMATS = ("csv", "parquet")
EXPORT_TABLES = (
    "samples",
    "events",
    "alarm_events",
    "actions",
    "observations",
    "alarm_actions",
    "episodes",
    "expected",
)
"""Tables :func:`table_bytes` and :func:`export_session` write (see docs/debrief.md)."""


def _json(d: Any) -> str:
    return json.dumps(d, sort_keys=True, default=str) if d else ""


def _engine_phase_rows(data: SessionData) -> list[tuple[float, str]]:
    """The phases the alarm engine was given (its ``set_phase`` log), which replay needs to
    reproduce the log; the protocol's own phase decisions are exported as ``protocol_phase``."""
    rows = []
    for r in data.alarm_events:
        if r["event"] == "set_phase":
            after = (r.get("detail") or {}).get("after")
            if after:
                rows.append((float(r["t_s"]), str(after)))
    return rows


def _events_frame(data: SessionData) -> pd.DataFrame:
    engine = _engine_phase_rows(data)
    rows: list[tuple[float, str, str, str]] = []
    if engine:
        rows += [(t, "phase", "protocol", json.dumps({"phase": p})) for t, p in engine]
    for ev in data.session_events:
        kind = ev.kind
        if kind == "phase" and engine:
            kind = "protocol_phase"
        rows.append(
            (ev.t_s, kind, ev.source, json.dumps(dict(ev.detail), sort_keys=True, default=str))
        )
    rows.sort(key=lambda r: r[0])
    return pd.DataFrame(rows, columns=["t", "kind", "source", "detail"])


def _alarm_events(data: SessionData) -> list[AlarmEvent]:
    def prio(p: Any) -> Priority | None:
        return Priority.parse(p) if p else None

    return [
        AlarmEvent(
            float(r["t_s"]),
            str(r["condition"]),
            str(r["event"]),
            prio(r.get("priority")),
            prio(r.get("priority_base")),
            r.get("value"),
            r.get("limit_value"),
            str(r.get("actor") or ""),
            "",
            dict(r.get("detail") or {}),
        )
        for r in data.alarm_events
    ]


def _alarm_log_frame(data: SessionData) -> pd.DataFrame:
    rows = [
        (
            e.t_s,
            e.condition,
            e.event,
            e.priority.name if e.priority else "",
            e.value,
            e.limit,
            e.base_priority.name if e.base_priority else "",
            e.actor,
            e.bed,
            _json(e.detail),
        )
        for e in _alarm_events(data)
    ]
    df = pd.DataFrame(rows, columns=list(FULL_COLUMNS))
    for c in ("t", "value", "limit"):
        df[c] = pd.to_numeric(df[c], errors="coerce").astype("float64")
    return df


_REMINDER_ORDER = {"observation_overdue": 0, "end_observation": 2}
"""Where the runtime's observation reminder actions go among people's actions of the same
second: the reminder comes at the start of its second, its end with the discharge or end."""


def _alarm_actions_frame(data: SessionData) -> pd.DataFrame:
    """The alarm actions carried out, in replay's actions format (t,action,actor,target,value),
    with the observation reminder the runtime gave the engine (its log says when)."""
    keyed: list[tuple[float, int, tuple[str, str, str, str, str]]] = []
    for r in data.alarm_events:
        order = _REMINDER_ORDER.get(str(r["event"]))
        if order is not None:
            value = "" if r.get("value") is None else repr(float(r["value"]))
            row = (repr(float(r["t_s"])), str(r["event"]), str(r.get("actor") or "system"),
                   "", value)  # fmt: skip
            keyed.append((float(r["t_s"]), order, row))
    rows = []
    for a in data.actions:
        if not a.done:
            continue
        p = a.params
        kind, target, value = a.kind, "", ""
        if a.kind == "acknowledge" and p.get("channel"):  # a parameter's banner row
            kind, target = "acknowledge_all", str(p["channel"])
        elif a.kind in ("acknowledge", "reset"):
            target = str(p.get("condition") or "")
        elif a.kind in ("alarm_off", "alarm_on"):
            target = str(p.get("channel") or "")
        elif a.kind == "set_limit":
            target, value = f"{p.get('channel')}.{p.get('which')}", repr(float(p["value"]))
        elif a.kind not in ("pause_audio", "resume_audio", "auto_limits", "acknowledge_all"):
            continue
        rows.append((repr(float(a.t_s)), kind, a.actor, target, value))
    if keyed:
        keyed += [(float(r[0]), 1, r) for r in rows]
        rows = [r for _, _, r in sorted(keyed, key=lambda k: (k[0], k[1]))]
    return pd.DataFrame(rows, columns=list(ACTION_COLUMNS))


def _samples_frame(data: SessionData) -> pd.DataFrame:
    s = data.samples
    return pd.DataFrame(
        {
            "t": s["t_s"].astype("float64"),
            "channel": s["channel"].astype(str),
            "value": s["value"].astype("float64"),
            "quality": s["quality"].astype(str),
            "true_value": s["true_value"].astype("float64"),
        }
    )


def _actions_frame(data: SessionData) -> pd.DataFrame:
    return pd.DataFrame(
        [
            (a.t_s, a.actor, a.kind, _json(dict(a.params)), a.outcome, a.reason or "")
            for a in data.actions
        ],
        columns=["t", "actor", "kind", "params", "outcome", "reason"],
    )


def _observations_frame(data: SessionData) -> pd.DataFrame:
    df = pd.DataFrame(
        [(o.t_s, o.kind, o.value, o.text or "", o.actor) for o in data.observations],
        columns=["t", "kind", "value", "text", "actor"],
    )
    df["value"] = pd.to_numeric(df["value"]).astype("float64")
    return df


def _floats(df: pd.DataFrame) -> pd.DataFrame:
    for c in df.columns:
        if c.endswith(("_t", "_s")) or c in ("peak_value", "limit"):
            df[c] = pd.to_numeric(df[c]).astype("float64")
    return df


def _episodes_frame(db: Debrief) -> pd.DataFrame:
    return _floats(
        pd.DataFrame(
            [
                (
                    e.condition,
                    e.number,
                    e.technical,
                    e.base_priority,
                    e.start_priority,
                    e.priority,
                    e.start_t_s,
                    e.end_t_s,
                    e.end_event or "",
                    e.reset_t_s,
                    e.duration_s,
                    e.peak_value,
                    e.limit,
                    e.ack_t_s,
                    e.time_to_ack_s,
                    e.ack_actor or "",
                    e.audio_paused_t_s,
                    e.first_action_t_s,
                    e.first_action_kind or "",
                    e.time_to_action_s,
                )
                for e in db.episodes
            ],
            columns=[
                "condition",
                "episode",
                "technical",
                "base_priority",
                "start_priority",
                "priority",
                "start_t",
                "end_t",
                "end_event",
                "reset_t",
                "duration_s",
                "peak_value",
                "limit",
                "ack_t",
                "time_to_ack_s",
                "ack_actor",
                "audio_paused_t",
                "first_action_t",
                "first_action",
                "time_to_action_s",
            ],
        )
    )


def _expected_frame(db: Debrief) -> pd.DataFrame:
    return _floats(
        pd.DataFrame(
            [
                (
                    r.index,
                    " ".join(r.when),
                    " ".join(r.do),
                    r.within_s,
                    r.trigger_condition,
                    r.trigger_t_s,
                    r.deadline_t_s,
                    r.status,
                    r.action_t_s,
                    r.action_kind or "",
                    r.response_s,
                    r.note,
                )
                for r in db.expected
            ],
            columns=[
                "entry",
                "when",
                "do",
                "within_s",
                "trigger",
                "trigger_t",
                "deadline_t",
                "status",
                "action_t",
                "action",
                "response_s",
                "note",
            ],
        )
    )


_DATA_TABLES = {
    "samples": _samples_frame,
    "events": _events_frame,
    "alarm_events": _alarm_log_frame,
    "actions": _actions_frame,
    "observations": _observations_frame,
    "alarm_actions": _alarm_actions_frame,
}
_DEBRIEF_TABLES = {"episodes": _episodes_frame, "expected": _expected_frame}


def _table_frame(data: SessionData, table: str, debrief: Debrief | None) -> pd.DataFrame:
    if table in _DATA_TABLES:
        return _DATA_TABLES[table](data)
    if table in _DEBRIEF_TABLES:
        return _DEBRIEF_TABLES[table](debrief if debrief is not None else compute_debrief(data))
    raise ReportError(f"unknown table {table!r} (one of {', '.join(EXPORT_TABLES)})")


def export_tables(data: SessionData, debrief: Debrief | None = None) -> dict[str, pd.DataFrame]:
    """Every export table of the session as a DataFrame (see :data:`EXPORT_TABLES`)."""
    db = debrief if debrief is not None else compute_debrief(data)
    return {t: _table_frame(data, t, db) for t in EXPORT_TABLES}


def _frame_bytes(name: str, df: pd.DataFrame, fmt: str, data: SessionData) -> bytes:
    if fmt == "parquet":
        buf = io.BytesIO()
        df.to_parquet(buf, index=False)
        return buf.getvalue()
    if name == "alarm_events":  # exactly what `vitalsdash alarms replay --full` writes
        with tempfile.TemporaryDirectory(prefix="vitalsdash-export-") as tmp:
            path = Path(tmp) / "log.csv"
            write_log(_alarm_events(data), path, full=True)
            return path.read_bytes()
    return df.to_csv(index=False, lineterminator="\n").encode("utf-8")


def table_bytes(
    data: SessionData, table: str, fmt: str = "csv", debrief: Debrief | None = None
) -> bytes:
    """One export table as file contents (``fmt`` csv or parquet): what a download button
    serves. ``table`` is one of :data:`EXPORT_TABLES`; the metrics are computed only for
    ``episodes`` and ``expected`` (pass ``debrief`` to reuse them)."""
    if fmt not in EXPORT_FORMATS:
        raise ReportError(f"unknown format {fmt!r} (use {' or '.join(EXPORT_FORMATS)})")
    return _frame_bytes(table, _table_frame(data, table, debrief), fmt, data)


def export_file_names(fmt: str) -> dict[str, str]:
    """The file each table gets in an export folder. The events sidecar sits beside the
    samples (``samples.events.csv``, where replay looks for it); the alarm actions are
    always CSV (the only format ``alarms replay --actions`` reads)."""
    names = {t: f"{t}.{fmt}" for t in EXPORT_TABLES}
    names["events"] = f"samples.events.{fmt}"
    names["alarm_actions"] = "alarm_actions.csv"
    return names


def export_session(data: SessionData, out_dir: str | Path, fmt: str = "csv") -> list[Path]:
    """Write every table of :data:`EXPORT_TABLES` into ``out_dir`` (created if needed).

    Returns the files written. For Parquet, the events sidecar is also written as CSV
    (``samples.events.csv``), the form ``vitalsdash alarms replay`` reads.
    """
    if fmt not in EXPORT_FORMATS:
        raise ReportError(f"unknown format {fmt!r} (use {' or '.join(EXPORT_FORMATS)})")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    debrief = compute_debrief(data)
    tables = export_tables(data, debrief)
    names = export_file_names(fmt)
    written = []
    for table in EXPORT_TABLES:
        path = out / names[table]
        file_fmt = "csv" if path.suffix == ".csv" else fmt
        path.write_bytes(_frame_bytes(table, tables[table], file_fmt, data))
        written.append(path)
    side = events_path(out / names["samples"])
    if side not in written:
        side.write_bytes(_frame_bytes("events", tables["events"], "csv", data))
        written.append(side)
    return written

"""A stored session's alarm log beside what an offline replay of its export logs: the
runtime and ``vitalsdash alarms replay`` must agree (alarms.md, "Replay")."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from vitalsdash.cli import main
from vitalsdash.debrief import session_from_store
from vitalsdash.report import export_session

Row = tuple[Any, ...]


def _norm(v: object) -> float | None:
    if v is None or v == "" or (isinstance(v, float) and v != v):
        return None
    return round(float(v), 6)  # type: ignore[arg-type]


def stored_and_replayed(store: Any, sid: int, workdir: Path) -> tuple[list[Row], list[Row]]:
    """(t, condition, event, priority, value, limit) of every alarm event as stored, and as
    the CLI's replay of the session's export (samples and alarm actions) logs them."""
    out = workdir / "export"
    export_session(session_from_store(store, sid), out)
    log = workdir / "replayed.csv"
    args = ["alarms", "replay", str(out / "samples.csv"), "--profile", "ketamine-infusion",
            "--actions", str(out / "alarm_actions.csv"), "--out", str(log),
            "--no-progress"]  # fmt: skip
    assert main(args) == 0
    replayed = [
        (_norm(r.t), r.condition, r.event, r.priority, _norm(r.value), _norm(r.limit))
        for r in pd.read_csv(log, dtype=str, keep_default_na=False).itertuples(index=False)
    ]
    stored = [
        (_norm(e["t_s"]), e["condition"], e["event"], e["priority"] or "", _norm(e["value"]),
         _norm(e["limit_value"]))
        for e in store.alarm_events(sid)
    ]  # fmt: skip
    return stored, replayed

"""The paused pump in a running session: the pump's reports reach the alarm engine second
by second, PUMP_PAUSED is stored like any technical alarm, and an offline replay of the
session's export (its events sidecar carries the pump's reports) gives the same log."""

from __future__ import annotations

import pandas as pd
import pytest
from pump_helpers import advance_into_infusion

from vitalsdash.cli import main
from vitalsdash.clock import ManualClock
from vitalsdash.config import BedConfig, ClinicConfig, ClinicSection
from vitalsdash.debrief import session_from_store
from vitalsdash.feed import Feed
from vitalsdash.report import export_session
from vitalsdash.runtime import Command, Runtime
from vitalsdash.store import Store

pytestmark = pytest.mark.integration

BED = "chair1"
PAUSE_S, RATE_S, RESUME_S, PAUSE2_S, STOP_S, END_S = 1200, 1260, 1500, 1700, 1900, 2100


def _norm(v: object) -> float | None:
    if v is None or v == "" or (isinstance(v, float) and v != v):
        return None
    return round(float(v), 6)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def session(tmp_path_factory: pytest.TempPathFactory):
    d = tmp_path_factory.mktemp("pump")
    cfg = ClinicConfig(clinic=ClinicSection(speed=60, tick_s=1.0),
                       beds=[BedConfig(id=BED, scenario="chronic-pain-4h", seed=8)])  # fmt: skip
    store = Store(d / "pump.sqlite")
    rt = Runtime(cfg, store, Feed(store), clock=ManualClock())
    rt.start()
    advance_into_infusion(rt, BED, 900, PAUSE_S)
    plan = {PAUSE_S: ("pause_pump", {}), RATE_S: ("set_rate", {"rate_mg_per_kg_h": 0.3}),
            RESUME_S: ("resume_pump", {}), PAUSE2_S: ("pause_pump", {}),
            STOP_S: ("stop_infusion", {})}  # fmt: skip
    for t, (kind, params) in plan.items():
        rt.advance(t - int(rt.view(BED).t_s))
        rt.submit(Command(kind, BED, params, "trainee"))
    rt.advance(END_S - int(rt.view(BED).t_s))
    yield rt, store, d
    store.close()


def test_the_reminder_is_stored_with_its_times(session):
    rt, store, _ = session
    sid = rt.view(BED).session_id
    rows = [(e["t_s"], e["event"], e["priority"], e["detail"].get("reason"))
            for e in store.alarm_events(sid) if e["condition"] == "PUMP_PAUSED"]  # fmt: skip
    assert rows == [
        (PAUSE_S + 120.0, "active", "LOW", "pump_paused"),  # the rate set did not restart it
        (float(RESUME_S), "normal", "LOW", "running"),
        # the second pause was stopped after 200 s: its reminder came at 120 s and went
        (PAUSE2_S + 120.0, "active", "LOW", "pump_paused"),
        (float(STOP_S), "normal", "LOW", "stopped"),
    ]
    pumps = [(e["t_s"], e["detail"]["state"]) for e in store.session_events(sid)
             if e["kind"] == "pump"]  # fmt: skip
    assert [s for _, s in pumps] == ["running", "paused", "paused", "running", "paused",
                                     "stopped"]  # fmt: skip


def test_an_offline_replay_of_the_export_gives_the_stored_log(session, capsys):
    rt, store, d = session
    sid = rt.view(BED).session_id
    out = d / "export"
    export_session(session_from_store(store, sid), out)
    log = d / "replayed.csv"
    args = ["alarms", "replay", str(out / "samples.csv"), "--profile", "ketamine-infusion",
            "--out", str(log), "--no-progress"]  # fmt: skip
    assert main(args) == 0, capsys.readouterr().err
    replayed = [
        (_norm(r.t), r.condition, r.event, r.priority, _norm(r.value), _norm(r.limit))
        for r in pd.read_csv(log, dtype=str, keep_default_na=False).itertuples(index=False)
    ]
    stored = [
        (_norm(e["t_s"]), e["condition"], e["event"], e["priority"] or "", _norm(e["value"]),
         _norm(e["limit_value"]))
        for e in store.alarm_events(sid)
    ]  # fmt: skip
    assert stored == replayed
    assert sum(1 for r in stored if r[1] == "PUMP_PAUSED" and r[2] == "active") == 2


def test_the_instructor_sees_what_the_pump_delivered(session):
    rt, store, _ = session
    sid = rt.view(BED).session_id
    rates = store.samples(sid)
    rates = rates[rates.channel == "PUMP_RATE"].set_index("t_s")["value"]
    assert rates.loc[PAUSE_S : RESUME_S - 1].eq(0.0).all()
    assert rates.loc[RESUME_S : PAUSE2_S - 1].eq(0.3).all()
    assert rt.truth(BED).truth["PUMP_RATE"] == 0.0  # stopped


def test_a_paused_pump_rebuilt_after_a_crash_reminds_on_time(tmp_path_factory):
    """The process dies while the pump is paused; the rebuilt session (the logged actions
    applied again) knows the pump is paused and since when: the reminder comes at 2 min."""
    d = tmp_path_factory.mktemp("pump-crash")
    cfg = ClinicConfig(clinic=ClinicSection(speed=60, tick_s=1.0),
                       beds=[BedConfig(id=BED, scenario="chronic-pain-4h", seed=8)])  # fmt: skip
    store = Store(d / "crash.sqlite")
    first = Runtime(cfg, store, Feed(store), clock=ManualClock())
    first.start()
    advance_into_infusion(first, BED, 900, PAUSE_S)
    first.submit(Command("pause_pump", BED, {}, "trainee"))
    first.advance(60)
    sid = first.view(BED).session_id
    store.close()  # the crash: the session is still running in the store

    store = Store(d / "crash.sqlite")
    try:
        second = Runtime(cfg, store, Feed(store), clock=ManualClock())
        second.start()
        second.submit(Command("resume_session", BED, {}, "instructor"))
        pump = second.view(BED).pump
        assert (pump.state, pump.paused_since_s) == ("paused", float(PAUSE_S))
        second.advance(PAUSE_S + 121 - int(second.view(BED).t_s))
        rows = [(e["t_s"], e["event"]) for e in store.alarm_events(sid)
                if e["condition"] == "PUMP_PAUSED"]  # fmt: skip
        assert rows == [(PAUSE_S + 120.0, "active")]
    finally:
        store.close()

"""Capnography in a running session: EtCO2 once per breath, at the breath's end, through
the runtime's alarm engine, the store and the export, and an offline replay of the export
that logs the same alarms to the fraction of a second.

The simulator does not breathe into a capnograph here: the source's readings get
synthetic breaths (every 4.3 s, 40 mmHg before the infusion, 52 in it, and a 41 s
apnoea), as the simulator is to send them.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pump_helpers import advance_into_infusion
from replay_helpers import stored_and_replayed

from vitalsdash.adapters import simulator
from vitalsdash.adapters._base import Reading
from vitalsdash.clock import ManualClock
from vitalsdash.config import BedConfig, ClinicConfig, ClinicSection
from vitalsdash.debrief import compute_debrief, session_from_store
from vitalsdash.feed import Feed
from vitalsdash.runtime import Command, Runtime
from vitalsdash.store import Store
from vitalsdash.ui import alarm_words

pytestmark = pytest.mark.integration

BED = "chair1"
START_S, RISE_S, APNOEA_FROM_S, APNOEA_TO_S, ACK_S, RESET_S, END_S = (
    900, 970, 1200.0, 1241.0, 1230, 1300, 1500,
)  # fmt: skip


def breath_times(t0: int, t1: int) -> list[float]:
    """Breath ends in seconds [t0, t1): every 4.3 s from 3.2 s, none in the apnoea."""
    out, k = [], 0
    while (b := round(3.2 + 4.3 * k, 1)) < t1:
        if b >= t0 and not APNOEA_FROM_S < b < APNOEA_TO_S:
            out.append(b)
        k += 1
    return out


@pytest.fixture(scope="module")
def session(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Runtime, Store, Path]]:
    advance = simulator.SimulatorSource.advance

    def with_breaths(self: Any, t1_s: int) -> list[Reading]:
        rows = [r for r in advance(self, t1_s) if r.channel != "ETCO2"]
        secs = sorted({int(r.t_s) for r in rows})
        if not secs:
            return rows
        extra = [Reading(b, "ETCO2", v, "ok", v) for b in breath_times(secs[0], secs[-1] + 1)
                 for v in [40.0 if b < RISE_S else 52.0]]  # fmt: skip
        return sorted(rows + extra, key=lambda r: r.t_s)

    mp = pytest.MonkeyPatch()
    mp.setattr(simulator.SimulatorSource, "advance", with_breaths)
    d = tmp_path_factory.mktemp("capno")
    cfg = ClinicConfig(clinic=ClinicSection(speed=60, tick_s=1.0),
                       beds=[BedConfig(id=BED, scenario="chronic-pain-4h", seed=8)])  # fmt: skip
    store = Store(d / "capno.sqlite")
    try:
        rt = Runtime(cfg, store, Feed(store), clock=ManualClock())
        rt.start()
        advance_into_infusion(rt, BED, START_S, ACK_S)
        rt.submit(Command("acknowledge", BED, {"condition": "APNEA"}, "trainee"))
        rt.advance(RESET_S - int(rt.view(BED).t_s))
        rt.submit(Command("reset", BED, {"condition": "APNEA"}, "trainee"))
        rt.advance(END_S - int(rt.view(BED).t_s))
        yield rt, store, d
    finally:
        mp.undo()
        store.close()


def test_the_apnoea_is_stored_when_it_began_and_ends_at_the_next_breath(session):
    rt, store, _ = session
    sid = rt.view(BED).session_id
    rows = [(e["t_s"], e["event"], e["priority"], e["limit_value"])
            for e in store.alarm_events(sid) if e["condition"] == "APNEA"]  # fmt: skip
    last = max(b for b in breath_times(0, END_S) if b < APNOEA_FROM_S)
    after = min(b for b in breath_times(0, END_S) if b > APNOEA_TO_S)
    assert rows == [
        (pytest.approx(last + 20), "active", "HIGH", 20.0),
        (float(ACK_S), "acknowledged", "HIGH", None),
        (pytest.approx(after), "latched", "HIGH", 20.0),
        (float(RESET_S), "reset", "HIGH", None),
    ]
    breaths = store.samples(sid)
    breaths = breaths[breaths.channel == "ETCO2"]
    assert breaths.t_s.tolist() == pytest.approx(breath_times(0, END_S))


def test_the_baseline_etco2_drives_the_rise_and_the_high_limit(session):
    rt, store, _ = session
    sid = rt.view(BED).session_id
    assert rt.view(BED).baseline.values["ETCO2"] == 40.0
    active = {e["condition"]: e for e in store.alarm_events(sid) if e["event"] == "active"}
    assert (active["ETCO2_RISE"]["value"], active["ETCO2_RISE"]["limit_value"]) == (52.0, 49.0)
    assert active["ETCO2_HI"]["limit_value"] == 50.0
    assert active["ETCO2_HI"]["t_s"] > RISE_S


def test_an_offline_replay_of_the_export_gives_the_stored_log(session):
    rt, store, d = session
    stored, replayed = stored_and_replayed(store, rt.view(BED).session_id, d)
    assert stored == replayed
    assert {c for _, c, e, *_ in stored if e == "active"} >= {"APNEA", "ETCO2_HI", "ETCO2_RISE"}
    # the unacknowledged EtCO2 alarm escalated 60 s after the breath that raised it
    # (987.9): at the second's start, before that second's breath (1048.1), in both logs
    assert (1048.0, "ETCO2_HI", "escalated") in [r[:3] for r in stored]


def test_the_debrief_counts_the_apnoea_on_the_etco2_row(session):
    rt, store, _ = session
    debrief = compute_debrief(session_from_store(store, rt.view(BED).session_id))
    apnoea = next(e for e in debrief.episodes if e.condition == "APNEA")
    assert (apnoea.channel, apnoea.technical, apnoea.priority) == ("ETCO2", False, "HIGH")
    assert apnoea.ack_t_s == ACK_S
    assert apnoea.peak_value == 52.0  # the breath that ended it


def test_pages_name_it_in_the_nurses_words(session):
    rt, _, _ = session
    labels = rt.view(BED).alarm_labels
    assert alarm_words.condition("APNEA", labels) == "Apnoea: no breath for 20 s"
    assert alarm_words.condition("APNEA") == "Apnoea"
    assert alarm_words.condition("ETCO2_HI") == "EtCO₂ high"
    assert labels["ETCO2_RISE"] == "EtCO₂ above baseline (≥ 10)"

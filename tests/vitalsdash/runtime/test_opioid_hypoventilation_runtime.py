"""The opioid hypoventilation scenario, played by the simulator through the runtime as a
trainee's monitor would show it: EtCO2 once per breath, capnography alarming before the
oximeter, APNEA exactly 20 s after the last breath, and an offline replay of the export
that logs the same alarms."""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from pump_helpers import advance_into_infusion
from replay_helpers import stored_and_replayed

from vitalsdash.clock import ManualClock
from vitalsdash.config import BedConfig, ClinicConfig, ClinicSection
from vitalsdash.debrief import compute_debrief, session_from_store
from vitalsdash.feed import Feed
from vitalsdash.report import expected_rows
from vitalsdash.runtime import Command, Runtime
from vitalsdash.store import Store

pytestmark = pytest.mark.integration

BED, START_S, END_S = "chair1", 600, 600 + 40 * 60


def clinic() -> ClinicConfig:
    bed = BedConfig(id=BED, scenario="opioid-hypoventilation", seed=3)
    return ClinicConfig(clinic=ClinicSection(speed=60), beds=[bed])


@pytest.fixture(scope="module")
def session(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Runtime, Store, Path]]:
    d = tmp_path_factory.mktemp("opioid")
    cfg = clinic()
    store = Store(d / "opioid.sqlite")
    try:
        rt = Runtime(cfg, store, Feed(store), clock=ManualClock())
        rt.start()
        advance_into_infusion(rt, BED, START_S, END_S)
        yield rt, store, d
    finally:
        store.close()


def _events(store: Store, sid: int) -> list[dict]:
    return store.alarm_events(sid)


def test_capnography_sees_it_before_the_oximeter(session) -> None:
    rt, store, _ = session
    sid = rt.view(BED).session_id
    onset = {}
    for e in _events(store, sid):
        if e["event"] == "active":
            onset.setdefault(e["condition"], e["t_s"])
    assert "ETCO2_HI" in onset, onset
    assert "SPO2_LO" in onset, onset
    # the capnograph's rate, a pause or the CO2 alarms first: the oximeter only after
    capnography = min(onset.get(c, float("inf")) for c in ("RR_LO", "APNEA", "ETCO2_HI",
                                                            "ETCO2_RISE"))  # fmt: skip
    assert capnography < onset["SPO2_LO"]
    etco2 = store.samples(sid, channels={"ETCO2"})
    assert etco2.value.max() > 50
    # one reading a breath: never two in one second, and RR-like spacing before the drug
    t = etco2.t_s.to_numpy()
    assert (t[1:] - t[:-1]).min() >= 1.0


def test_apnea_sounds_20_s_after_the_last_breath(session) -> None:
    rt, store, _ = session
    sid = rt.view(BED).session_id
    breaths = store.samples(sid, channels={"ETCO2"}).t_s.to_numpy()
    apnoeas = [e["t_s"] for e in _events(store, sid)
               if e["condition"] == "APNEA" and e["event"] == "active"]  # fmt: skip
    assert apnoeas, "no pause of 20 s in 40 min of the opioid on room air"
    for t in apnoeas:
        last = breaths[breaths < t].max()
        assert t == pytest.approx(last + 20.0, abs=1e-6)
        assert not ((breaths > last) & (breaths < t)).any()
    # every gap of 20 s or more between breaths after the first sounded it
    gaps = [(a, b) for a, b in itertools.pairwise(breaths) if b - a >= 20.0]
    assert len(gaps) == len(apnoeas)


def test_an_offline_replay_of_the_export_gives_the_stored_log(session) -> None:
    rt, store, d = session
    stored, replayed = stored_and_replayed(store, rt.view(BED).session_id, d)
    assert stored == replayed
    stored = [r[:3] for r in stored]
    assert {"APNEA", "ETCO2_HI"} <= {c for _, c, e in stored if e == "active"}


def test_with_oxygen_the_saturation_holds_while_etco2_climbs(tmp_path: Path) -> None:
    """Oxygen a minute after the fentanyl: several minutes of EtCO2 above 50 mmHg with
    every clean SpO2 reading at 92% or more (only capnography shows the hypoventilation)."""
    cfg = clinic()
    store = Store(tmp_path / "o2.sqlite")
    try:
        rt = Runtime(cfg, store, Feed(store), clock=ManualClock())
        rt.start()
        fentanyl_s = START_S + 1 + 5 * 60
        advance_into_infusion(rt, BED, START_S, fentanyl_s + 60)
        rt.submit(Command("oxygen_on", BED, {"flow_l_min": 3}, "trainee"))
        rt.advance(END_S - int(rt.view(BED).t_s))
        sid = rt.view(BED).session_id
        s = store.samples(sid, channels={"ETCO2", "SPO2"}, since_t=fentanyl_s + 60)
        co2 = s[s.channel == "ETCO2"]
        high = co2[co2.value > 50].t_s
        assert high.size, "EtCO2 never above 50 with oxygen on"
        spo2 = s[(s.channel == "SPO2") & (s.quality == "ok")]
        while_high = spo2[(spo2.t_s >= high.min()) & (spo2.t_s <= high.max())]
        assert high.max() - high.min() >= 5 * 60  # several minutes
        assert while_high.value.min() >= 92.0
        active = {e["condition"] for e in store.alarm_events(sid) if e["event"] == "active"}
        assert "SPO2_LO" not in active
        assert "ETCO2_HI" in active
    finally:
        store.close()


def test_the_expected_responses_read_in_the_nurses_words(session) -> None:
    """The debrief's expected-responses table (the report's and the review page's) names
    alarms and responses as a nurse would, never by their code names."""
    rt, store, _ = session
    debrief = compute_debrief(session_from_store(store, rt.view(BED).session_id))
    rows = expected_rows(debrief)
    assert rows, "the scenario expects responses to its alarms"
    for status, cells in rows:
        assert status == "missed"  # nobody acted in this run
        text = " ".join(cells)
        assert not re.search(r"\b[A-Z][A-Z0-9]*_[A-Z0-9_]+\b|\b[a-z]+_[a-z_]+\b", text), text
    alarms = {cells[1] for _, cells in rows}
    assert alarms & {"Apnoea: no breath for 20 s", "EtCO₂ high", "SpO₂ low", "SpO2 low"}, alarms
    asked = {cells[3] for _, cells in rows}
    assert "start oxygen" in asked
    assert "pause the pump or reposition" in asked

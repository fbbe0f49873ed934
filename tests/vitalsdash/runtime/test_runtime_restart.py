"""A restart on the same database: interrupted sessions wait, or (demo) carry on."""

from __future__ import annotations

from pathlib import Path

import pytest

from vitalsdash.clock import ManualClock
from vitalsdash.config import BedConfig, ClinicConfig, ClinicSection, load_clinic
from vitalsdash.feed import Feed
from vitalsdash.runtime import Runtime
from vitalsdash.store import Store

pytestmark = pytest.mark.integration


def _clinic(resume: bool) -> ClinicConfig:
    beds = [BedConfig(id="c1", scenario="hypertensive-responder", seed=5),
            BedConfig(id="c2", scenario="uneventful-depression", seed=6)]  # fmt: skip
    return ClinicConfig(clinic=ClinicSection(resume_interrupted=resume), beds=beds)


def _hr_times(store: Store, sid: int) -> list[float]:
    df = store.samples(sid, channels={"HR"})
    return sorted(df["t_s"].tolist())


@pytest.mark.parametrize("resume", [False, True])
def test_a_restart_resumes_only_when_the_clinic_says_so(tmp_path: Path, resume: bool) -> None:
    db = str(tmp_path / "clinic.sqlite")
    store = Store(db)
    first = Runtime(_clinic(resume), store, Feed(store), clock=ManualClock())
    first.start()
    first.advance(300)
    sids = {b: first.beds[b].session.session_id for b in ("c1", "c2")}
    store.close()  # the process dies here: its sessions are still "running" in the store

    store = Store(db)
    second = Runtime(_clinic(resume), store, Feed(store), clock=ManualClock())
    second.start()
    assert sorted(second.interrupted) == sorted(sids.values())
    want = "running" if resume else "interrupted"
    for bed, sid in sids.items():
        s = second.beds[bed].session
        assert (s.session_id, s.status, s.t_s) == (sid, want, 300)  # no new session either
        assert store.session(sid)["status"] == want
    second.advance(60)
    for sid in sids.values():
        hr = _hr_times(store, sid)
        expected = 360 if resume else 300
        assert hr == [float(t) for t in range(expected)], "no gap, no second twice"
    store.close()


def test_the_demo_clinic_resumes_after_a_restart() -> None:
    assert load_clinic(None).clinic.resume_interrupted is True
    assert ClinicSection().resume_interrupted is False

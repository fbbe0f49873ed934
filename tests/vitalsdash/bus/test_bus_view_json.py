"""The publisher writes each view's JSON straight from the dataclass: the same bytes as
through ``to_dict``, so a worker decodes the same view, whatever the session shows."""

from __future__ import annotations

from pathlib import Path

import pytest

from vitalsdash.actions import ActionError
from vitalsdash.bus import _wire
from vitalsdash.clock import ManualClock
from vitalsdash.config import BedConfig, ClinicConfig, ClinicSection
from vitalsdash.feed import Feed
from vitalsdash.runtime import BedView, Command, Runtime, TruthView
from vitalsdash.store import Store

pytestmark = pytest.mark.unit

SCENARIOS = ("hypertensive-responder", "uneventful-depression", "vasovagal-observation",
             "desaturation-cosedative", "artefact-heavy", "uncontrolled-hypertension")  # fmt: skip


def test_views_and_truths_write_as_their_dicts_at_every_stage(tmp_path: Path) -> None:
    beds = [BedConfig(id=f"chair{i}", scenario=s, seed=i) for i, s in enumerate(SCENARIOS, 1)]
    store = Store(str(tmp_path / "views.sqlite"))
    rt = Runtime(ClinicConfig(clinic=ClinicSection(), beds=beds), store, Feed(store),
                 clock=ManualClock())  # fmt: skip
    rt.start()
    checked, phases = 0, set()
    for _ in range(60):  # an hour and more: baseline, infusion, observation
        rt.advance(90)
        for view in rt.views().beds:
            phases.add(view.phase)
            if view.phase == "baseline" and view.t_s >= 600:  # the nurse starts it
                try:
                    rt.submit(Command("start_infusion", view.bed_id, {}, "instructor"))
                except ActionError:  # a caution the instructor overrides
                    override = {"override_reason": "training run"}
                    rt.submit(Command("start_infusion", view.bed_id, override, "instructor"))
            truth = rt.truth(view.bed_id)
            for value in (view, truth):
                raw = _wire.dumps(value)
                assert raw == _wire.dumps(value.to_dict())
                cls = BedView if value is view else TruthView
                assert cls.from_dict(_wire.loads(raw)) == value
                checked += 1
    assert checked == 2 * 60 * len(beds)
    assert {"baseline", "infusion", "observation"} <= phases
    store.close()

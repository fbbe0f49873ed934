"""A bolus past a drug's label maximum is refused over the API, in the nurse's words.

The virtual patient refuses labetalol past 300 mg in a session (ondansetron past 16 mg);
the monitor's action API answers 409 with that reason, stores nothing and the patient
carries on as if the button had not been pressed.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from pump_helpers import advance_into_infusion

from vitalsdash.api import create_server
from vitalsdash.clock import ManualClock
from vitalsdash.config import BedConfig, ClinicConfig, ClinicSection
from vitalsdash.feed import Feed
from vitalsdash.runtime import Runtime
from vitalsdash.store import Store

pytestmark = pytest.mark.integration

BED = "chair1"
INFUSION_S = 600  # hypertensive-responder: 10 min of baseline


@pytest.fixture
def api(tmp_path: Path):
    bed = BedConfig(id=BED, scenario="hypertensive-responder", seed=7)
    cfg = ClinicConfig(clinic=ClinicSection(speed=60, tick_s=1.0), beds=[bed])
    path = tmp_path / "drugs.sqlite"
    store = Store(path)
    rt = Runtime(cfg, store, Feed(store), clock=ManualClock())
    rt.start()
    advance_into_infusion(rt, BED, INFUSION_S, INFUSION_S + 20 * 60)
    yield rt, create_server(rt).test_client(), path
    store.close()


def _post(client: Any, kind: str, **params: Any) -> tuple[int, dict[str, Any]]:
    r = client.post(f"/api/beds/{BED}/actions", data=json.dumps({"kind": kind, "params": params}),
                    content_type="application/json")  # fmt: skip
    return r.status_code, r.get_json()


def _stored_actions(path: Path) -> list[tuple[str, str]]:
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
        return db.execute("SELECT kind, params FROM actions ORDER BY rowid").fetchall()


def test_labetalol_past_300_mg_is_refused_with_what_was_given(api):
    rt, client, path = api
    for _ in range(2):
        assert _post(client, "give_antihypertensive", drug="labetalol", dose_mg=100)[0] == 200
        rt.advance(600)
    assert _post(client, "give_antihypertensive", drug="labetalol", dose_mg=80)[0] == 200
    rt.advance(600)
    stored = _stored_actions(path)
    log = len(rt.beds[BED].session.source.sim.log)
    status, reply = _post(client, "give_antihypertensive", drug="labetalol", dose_mg=40)
    assert status == 409
    assert reply == {
        "error": "not_possible",
        "message": "labetalol: 280 mg given already; a further 40 mg would exceed the 300 mg "
        "maximum",
    }
    assert _stored_actions(path) == stored  # nothing given, nothing charted
    assert len(rt.beds[BED].session.source.sim.log) == log
    # Up to the maximum is still allowed.
    assert _post(client, "give_antihypertensive", drug="labetalol", dose_mg=20)[0] == 200
    status, reply = _post(client, "give_antihypertensive", drug="labetalol", dose_mg=1)
    assert status == 409
    assert "300 mg given already" in reply["message"]


def test_ondansetron_past_16_mg_is_refused(api):
    _, client, _ = api
    assert _post(client, "give_antiemetic", drug="ondansetron", dose_mg=8)[0] == 200
    status, reply = _post(client, "give_antiemetic", drug="ondansetron", dose_mg=12)
    assert (status, reply["message"]) == (
        409,
        "ondansetron: 8 mg given already; a further 12 mg would exceed the 16 mg maximum",
    )

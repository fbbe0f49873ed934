"""Properties of the action API over random bodies: never a 5xx, never an exception, and a
refused action (4xx) leaves the clinic exactly as it was.

Bodies mix known and unknown kinds, parameters of every JSON type, strings with control
characters, lone surrogates, bidi overrides and markup, huge and non-finite numbers,
nested objects, random actors and bed ids. "As it was" is ``Clinic.state()``: the store's
row counts, every bed's summary, alarm engine and patient, and the simulation's speed.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_api import Clinic

from vitalsdash.actions import ALL_ACTIONS, CLINIC_ACTIONS

pytestmark = pytest.mark.integration

_KINDS = sorted({*ALL_ACTIONS, *CLINIC_ACTIONS})
_strings = st.one_of(
    st.text(max_size=24),
    st.text(st.characters(categories=["Cc", "Cs", "Cf", "Zl", "Zp", "Co"]), max_size=6),
    st.sampled_from(
        [
            "labetalol",
            "ondansetron",
            "hydralazine",
            "HR",
            "SPO2",
            "HR_HI",
            "high",
            "note",
            "pain",
            "vasovagal",
            "tachycardia",
            "desaturation",
            "probe_off",
            "uneventful-depression",
            "artefact-heavy",
            "depression-40min",
            "ketamine-infusion",
            "/etc/passwd",
            "/dev/zero",
            "../config/scenarios/artefact-heavy",
            "artefact-heavy.toml",
            "x\u0000y",
            "\u202eevil",
            '<a href="https://evil.example/">x</a>',
            "d" * 5000,
        ]
    ),
)
_numbers = st.one_of(
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0, 1, 2, 5, 10, 30, 0.5, -1, 1e308, 2**63, 2**64]),
)
_json = st.recursive(
    st.none() | st.booleans() | _numbers | _strings,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_strings, inner, max_size=4),
    max_leaves=10,
)
_KEYS = [
    "rate_mg_per_kg_h", "dose_mg", "drug", "flow_l_min", "condition", "channel", "which",
    "value", "kind", "text", "scenario", "seed", "protocol", "alarm_profile", "params",
    "speed", "at", "cause", "duration_min", "onset_min", "hr_rise_bpm", "hr_drop_bpm",
    "sbp_drop_mmhg", "spo2_drop_pct",
]  # fmt: skip
_params = st.dictionaries(st.sampled_from(_KEYS) | _strings, _json, max_size=5)
_bodies = st.one_of(
    _json,
    st.fixed_dictionaries(
        {"kind": st.sampled_from(_KINDS) | _strings | _json},
        optional={
            "params": _params | _json,
            "actor": st.sampled_from(["trainee", "instructor", "system"]) | _json,
        },
    ),
    st.fixed_dictionaries(
        {
            "kind": st.just("inject_event"),
            "actor": st.just("instructor"),
            "params": st.fixed_dictionaries(
                {"kind": st.sampled_from(["vasovagal", "tachycardia", "desaturation"]) | _json},
                optional={"params": _params | _json},
            ),
        }
    ),
)


@pytest.fixture(scope="module")
def api_clinic(tmp_path_factory: pytest.TempPathFactory):
    c = Clinic(tmp_path_factory.mktemp("props") / "props.sqlite", t_s=660)
    yield c
    c.store.close()


def _keep_sessions_running(c: Clinic) -> None:
    for bed_id, bed in c.rt.beds.items():
        if bed.session is None or bed.session.status != "running":
            c.rt.submit(bed_id, "start_session", {}, "instructor")


@settings(
    max_examples=250,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    body=_bodies,
    bed=st.sampled_from(["chair1", "chair2", "chair9", "../chair1", "%00"]) | _strings,
    clinic_url=st.booleans(),
)
def test_random_actions_never_fail_the_server_nor_change_anything_when_refused(
    api_clinic: Clinic, body: Any, bed: str, clinic_url: bool
):
    c = api_clinic
    _keep_sessions_running(c)
    before = c.state()
    where = quote(bed, safe="", errors="surrogatepass")  # as a browser would send it
    url = "/api/clinic/actions" if clinic_url else f"/api/beds/{where}/actions"
    r = c.client.post(url, data=json.dumps(body), content_type="application/json")
    assert r.status_code < 500, (body, r.get_data(as_text=True)[:500])
    out = r.get_json()
    assert isinstance(out, dict), r.get_data(as_text=True)[:200]
    if r.status_code >= 400:
        # a refused discharge also lists what is missing (the runtime's details)
        discharge = isinstance(body, dict) and body.get("kind") == "discharge"
        assert set(out) - {"reasons"} == {"error", "message"}
        if "reasons" in out:
            assert discharge, body
            assert all(isinstance(x, str) and x for x in out["reasons"])
        assert out["message"]
        assert len(out["message"]) < 4000  # no value is echoed whole
        assert c.state() == before, body
    else:
        assert out.get("ok") is True
    c.rt.advance(1)  # actions meet a changing patient

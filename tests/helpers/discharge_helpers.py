"""A clinic that reaches discharge quickly: a protocol with a short observation, and a way
to bring a chair into observation whatever starts its infusion.

Test modules import it as ``from discharge_helpers import ...`` (tests/helpers is on
pytest's ``pythonpath``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from vitalsdash.actions import ALL_ACTIONS, ActionError
from vitalsdash.runtime import Command, Runtime

REPO = Path(__file__).resolve().parents[2]
OBSERVATION_MIN = 5
"""The short protocol's minimum observation, minutes."""
OBSERVATION_MAX = 10
"""The short protocol's maximum observation (the reminder to assess), minutes."""


SHORT_NAME = "Short observation (test)"
"""The short protocol's display name (what a session stores and the debrief looks up)."""


def short_protocol(folder: Path, min_minutes: float = OBSERVATION_MIN,
                   max_minutes: float = OBSERVATION_MAX) -> Path:  # fmt: skip
    """The shipped depression protocol with a short observation, as
    ``folder/config/protocols/short-observation.toml``: a bed may name the path, or (with
    ``folder`` the current directory) ``short-observation``, which the debrief finds too."""
    text = (REPO / "config" / "protocols" / "depression-40min.toml").read_text()
    swaps = {
        'name = "Depression, 0.5 mg/kg over 40 min"': f'name = "{SHORT_NAME}"',
        "min_minutes = 60            # after the end of the infusion":
            f"min_minutes = {min_minutes:g}  # after the end of the infusion",
        "max_minutes = 120": f"max_minutes = {max_minutes:g}",
    }  # fmt: skip
    for old, new in swaps.items():
        assert old in text, f"the shipped protocol changed: {old!r} is gone"
        text = text.replace(old, new)
    path = folder / "config" / "protocols" / "short-observation.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def reach_observation(rt: Runtime, bed_id: str, *, until_t: int | None = None,
                      step_s: int = 60, limit_s: int = 4 * 3600) -> Any:  # fmt: skip
    """Advance the clinic until ``bed_id`` is in observation (the infusion ended), or with
    ``until_t`` until its session time is exactly that; return its view. Where the nurse
    starts the infusion (a ``start_infusion`` action), the instructor starts it once the
    baseline has been taken, at the same second in every run."""
    started = False
    while True:
        view = rt.view(bed_id)
        assert view is not None
        if until_t is None and view.phase in ("observation", "ready"):
            return view
        if until_t is not None and view.t_s >= until_t:
            return view
        if view.t_s >= limit_s:
            raise AssertionError(f"{bed_id} did not reach observation in {limit_s} s")
        if (view.phase == "baseline" and not started and "start_infusion" in ALL_ACTIONS
                and view.t_s >= 600):  # fmt: skip
            started = True
            try:
                rt.submit(Command("start_infusion", bed_id, {}, "instructor"))
            except ActionError:  # a caution or block the instructor overrides
                rt.submit(Command("start_infusion", bed_id,
                                  {"override_reason": "training run"}, "instructor"))  # fmt: skip
        step = step_s if until_t is None else min(step_s, until_t - int(view.t_s))
        rt.advance(step)

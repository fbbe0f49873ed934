"""The in-process virtual patient as a source."""

from __future__ import annotations

from typing import Any

from vitalsim import ActionError, ConfigError, LiveSimulation, Scenario, make_event
from vitalsim.engine import PATIENT_ACTIONS
from vitalsim.sensors import NibpProgram

from ._base import Note, PumpStatus, Reading, SourceActionError


class SimulatorSource:
    kind = "simulator"
    actions = PATIENT_ACTIONS - {"start_infusion"}

    def __init__(
        self, scenario: Scenario, seed: int, program: NibpProgram | None = None,
        follow_script: bool = False,
    ) -> None:  # fmt: skip
        self.scenario = scenario
        self.sim = LiveSimulation.from_scenario(
            scenario, seed, program=program, follow_script=follow_script
        )
        self._noted = 0

    def advance(self, t1_s: int) -> list[Reading]:
        rows = self.sim.advance(max(0, int(t1_s) - self.sim.t_s))
        return [Reading(r.t_s, r.channel, float(r.value), r.quality, float(r.true_value))
                for r in rows]  # fmt: skip

    def notes(self) -> list[Note]:
        new = self.sim.log[self._noted :]
        self._noted = len(self.sim.log)
        out = [Note(t, kind, "device" if who in ("device", "sensor") else who, dict(d))
               for t, kind, who, d in new]  # fmt: skip
        return sorted(out, key=lambda n: n.t_s)

    def apply(self, kind: str, actor: str, params: dict[str, Any]) -> None:
        try:
            self.sim.apply(kind, actor, **params)
        except ActionError as exc:
            raise SourceActionError(str(exc)) from None
        except (TypeError, ValueError, KeyError) as exc:
            raise SourceActionError(f"{kind}: invalid parameters ({exc})") from None

    def inject(self, kind: str, params: dict[str, Any]) -> None:
        try:
            event = make_event(kind, self.sim.t_s, self.scenario.timeline, **params)
        except ConfigError as exc:
            raise SourceActionError("; ".join(f"{k}: {why}" for k, why in exc.problems)) from None
        self.sim.inject(event)

    def pump(self) -> PumpStatus:
        p = self.sim.pump
        return PumpStatus(p.delivering_mg_per_kg_h if p.running else 0.0, p.running,
                          p.delivered_mg_per_kg, p.started_s, p.ended_s)  # fmt: skip

    def truth(self) -> dict[str, float]:
        snap = self.sim.snapshot()
        return {**snap.truth, "pump_rate_mg_per_kg_h": snap.pump_rate_mg_per_kg_h}

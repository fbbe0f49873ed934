"""Shared helpers for the alarm unit tests: profiles built from dicts and a scripted bed."""

from __future__ import annotations

import copy
import math
import tomllib
from pathlib import Path
from typing import Any

from vitalsdash.alarms import AlarmAction, AlarmEngine, AlarmEvent, AlarmProfile, ConditionState
from vitalsdash.model import Channel, Quality, Sample

REPO = Path(__file__).resolve().parents[2]
ADULT = tomllib.loads((REPO / "config" / "alarms" / "adult-default.toml").read_text())
NORMAL_VALUES = {"HR": 75.0, "SPO2": 97.0, "RR": 14.0}


def merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge(out[key], value)
        else:
            out[key] = value
    return out


def make_profile(
    over: dict[str, Any] | None = None, *, context: dict | None = None
) -> AlarmProfile:
    """adult-default with ``over`` merged in (nested dicts merge key by key)."""
    return AlarmProfile.model_validate(merge(ADULT, over or {}), context=context)


class Bed:
    """An engine driven one second at a time, keeping every event it produced."""

    def __init__(self, over: dict[str, Any] | None = None, *, profile: AlarmProfile | None = None):
        self.engine = AlarmEngine(profile or make_profile(over))
        self.events: list[AlarmEvent] = list(self.engine.log)

    def feed(
        self, t: float, actions: list[AlarmAction] | None = None, **values: Any
    ) -> list[AlarmEvent]:
        """Samples at ``t``: HR, SPO2, RR default to normal values; None means invalid;
        NIBP=(sys, dia, map) adds a reading; a channel set to ... is left out."""
        samples = []
        merged = {**NORMAL_VALUES, **values}
        for name, v in merged.items():
            if v is ...:
                continue
            if name == "NIBP":
                for ch, x in zip(
                    (Channel.NIBP_SYS, Channel.NIBP_DIA, Channel.NIBP_MAP), v, strict=True
                ):
                    samples.append(_sample(t, ch, x))
            else:
                samples.append(_sample(t, Channel(name), v))
        events = self.engine.step(samples, actions or [], now_s=t)
        self.events += events
        return events

    def run(self, t0: int, t1: int, **values: Any) -> list[AlarmEvent]:
        out: list[AlarmEvent] = []
        for t in range(t0, t1):
            out += self.feed(float(t), **values)
        return out

    def act(self, action: AlarmAction) -> list[AlarmEvent]:
        events = self.engine.act(action)
        self.events += events
        return events

    def state(self, condition: str) -> ConditionState:
        return self.engine.states()[condition]

    def log(
        self, condition: str | None = None, event: str | None = None
    ) -> list[tuple[float, str]]:
        return [
            (e.t_s, e.event)
            for e in self.events
            if (condition is None or e.condition == condition)
            and (event is None or e.event == event)
            and e.event != "limit_changed"
        ]

    def find(self, condition: str, event: str) -> list[AlarmEvent]:
        return [e for e in self.events if e.condition == condition and e.event == event]


def _sample(t: float, ch: Channel, v: float | None) -> Sample:
    if v is None:
        return Sample(t, ch, math.nan, Quality.INVALID)
    return Sample(t, ch, float(v))

"""What the trainee did about each alarm: first action per episode, expected responses.

Private to :mod:`vitalsdash.debrief`. Pure functions of episodes, actions and the pump
rate samples.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from vitalsdash import channels
from vitalsdash.debrief._episodes import Episode
from vitalsdash.debrief._types import Action
from vitalsdash.durations import hms

PUMP_ACTIONS = frozenset({"pause_pump", "set_rate", "stop_infusion"})
"""Actions that only make sense while the pump is delivering."""

LOWERING_ACTIONS = frozenset({"pause_pump", "set_rate"})
"""Pump actions that count only when the pump then delivered less (stopping the infusion
ends it for good, paused or not: it always counts when done)."""


ACK_KINDS = {"all": "acknowledge_all"}
"""How an episode's acknowledgement is named as a first action: "acknowledge" (its own, or
its banner row's), or "acknowledge_all" when one press acknowledged every alarm."""


def _addressing() -> dict[tuple[str, str], frozenset[str]]:
    return {
        (c.id, direction): PUMP_ACTIONS | acts
        for c in channels.all_channels()
        for direction, acts in c.responses.items()
    }


ADDRESSING_ACTIONS: dict[tuple[str, str], frozenset[str]] = _addressing()
"""Patient actions that address an alarm on (channel, direction), from the channel
registry (as registered at import). Acknowledging the condition always counts too, and so
does any action a scenario expects for it."""

TECHNICAL_ADDRESSING: dict[str, frozenset[str]] = {
    "CUFF_FAIL": frozenset({"nibp_start"}),
    "NIBP_OVERDUE": frozenset({"nibp_start"}),
    "PUMP_PAUSED": frozenset({"resume_pump", "stop_infusion"}),
    "OBSERVATION_OVERDUE": frozenset({"discharge"}),
}


def addressing_actions(
    e: Episode, expected_do: Mapping[str, Iterable[str]] | None = None
) -> frozenset[str]:
    """The patient actions that count as acting on episode ``e``."""
    if e.technical:
        kinds = set(TECHNICAL_ADDRESSING.get(e.condition, frozenset()))
    else:
        key = (e.channel or "", e.direction or "")
        kinds = set(_addressing().get(key, PUMP_ACTIONS))
    if expected_do:
        kinds |= set(expected_do.get(e.condition, ()))
    return frozenset(kinds)


def with_first_actions(
    episodes: Sequence[Episode],
    actions: Sequence[Action],
    expected_do: Mapping[str, Iterable[str]] | None = None,
    actor: str = "trainee",
) -> list[Episode]:
    """Note on each episode the trainee's first action that addresses it, from its start
    until it stopped showing: an addressing patient action, or acknowledging it."""
    mine = sorted((a for a in actions if a.done and a.actor == actor), key=lambda a: a.t_s)
    out = []
    for e in episodes:
        kinds = addressing_actions(e, expected_do)
        first: tuple[float, str, str] | None = None
        patient: Action | None = None
        for a in mine:
            if a.t_s < e.start_t_s:
                continue
            if a.t_s > e.visible_until_s:
                break
            if a.kind in kinds:
                patient = a
                break
        if patient is not None:
            first = (patient.t_s, patient.kind, patient.actor)
        if (
            e.ack_t_s is not None
            and e.ack_actor == actor
            and (first is None or e.ack_t_s < first[0])
        ):
            first = (e.ack_t_s, ACK_KINDS.get(e.ack_group or "", "acknowledge"), actor)
        out.append(
            replace(
                e,
                first_action_t_s=first[0] if first else None,
                first_action_kind=first[1] if first else None,
                first_action_actor=first[2] if first else None,
                first_patient_action_t_s=patient.t_s if patient else None,
                first_patient_action_kind=patient.kind if patient else None,
            )
        )
    return out


@dataclass(frozen=True, slots=True)
class ExpectedResult:
    """One occurrence of an ``[[expected]]`` response, scored.

    ``status``: ``met`` (a ``do`` action within ``within_s`` of ``trigger_t_s``), ``late``
    (one after the deadline, before the next occurrence or the end), ``missed`` (none),
    ``not_applicable`` (every ``do`` action needs the pump and it was not running).
    A pause or a rate change counts only when it took effect: the pump then delivered less
    (a rate set on a paused pump changes nothing until it is resumed; a higher rate is no
    response); a refused action never counts. ``note`` says, in words, which actions did
    not count and why.
    """

    index: int  # which [[expected]] entry (0-based, file order)
    when: tuple[str, ...]
    do: tuple[str, ...]
    within_s: float
    trigger_condition: str
    trigger_t_s: float
    deadline_t_s: float
    status: str
    action_t_s: float | None = None
    action_kind: str | None = None
    response_s: float | None = None
    note: str = ""
    action_by: str | None = None  # the name of who did it, when logged in


def _pump_series(samples: pd.DataFrame | None) -> tuple[np.ndarray, np.ndarray] | None:
    if samples is None or samples.empty:
        return None
    tcol = "t_s" if "t_s" in samples.columns else "t"
    pump = samples[samples["channel"] == channels.pump_rate_channel()]
    if pump.empty:
        return None
    return pump[tcol].to_numpy(dtype=float), pump["value"].fillna(0.0).to_numpy(dtype=float)


def pump_running(pump: tuple[np.ndarray, np.ndarray] | None, t0: float, t1: float) -> bool:
    """Was the pump delivering at some time in [t0, t1]? (True when nobody knows.)"""
    if pump is None:
        return True
    t, v = pump
    i0 = int(np.searchsorted(t, t0, "right")) - 1  # the rate in force at t0
    i1 = int(np.searchsorted(t, t1, "right"))
    seg = v[max(i0, 0) : i1]
    return bool((seg > 0).any())


def rate_around(pump: tuple[np.ndarray, np.ndarray] | None, t_s: float
                ) -> tuple[float, float] | None:  # fmt: skip
    """The rate the pump delivered just before ``t_s`` and from ``t_s`` on (an action at
    ``t_s`` shows in that second's rate); None when the session has no pump rate."""
    if pump is None:
        return None
    t, v = pump
    i_before = int(np.searchsorted(t, t_s, "left")) - 1
    i_after = int(np.searchsorted(t, t_s, "right")) - 1
    before = float(v[i_before]) if i_before >= 0 else 0.0
    after = float(v[i_after]) if i_after >= 0 else 0.0
    return before, after


RESPONSE_WORDS: dict[str, str] = {
    "pause_pump": "pause the pump", "resume_pump": "resume the pump",
    "set_rate": "change the rate", "stop_infusion": "stop the infusion",
    "give_antihypertensive": "give an antihypertensive", "give_antiemetic": "give an antiemetic",
    "oxygen_on": "start oxygen", "oxygen_off": "stop oxygen", "reposition": "reposition",
    "reassure": "reassure", "nibp_start": "take an NIBP reading",
}  # fmt: skip
"""An expected response as the nurse is asked to do it."""
DONE_WORDS: dict[str, str] = {
    "pause_pump": "Pump paused", "resume_pump": "Pump resumed", "set_rate": "Rate set",
    "stop_infusion": "Infusion stopped", "give_antihypertensive": "Antihypertensive given",
    "give_antiemetic": "Antiemetic given", "oxygen_on": "Oxygen started",
    "oxygen_off": "Oxygen stopped", "reposition": "Repositioned", "reassure": "Reassured",
    "nibp_start": "NIBP started",
}  # fmt: skip
"""An action as the log says it was done."""


def response_words(kinds: Iterable[str]) -> str:
    """What an expected response asks for: "pause the pump or change the rate"."""
    return " or ".join(RESPONSE_WORDS.get(k, k.replace("_", " ")) for k in kinds)


def done_words(kind: str) -> str:
    """What a trainee did, as the log says it: "Pump paused"."""
    return DONE_WORDS.get(kind, kind.replace("_", " ").capitalize())


def by_name(user_name: str | None) -> str:
    """What follows an action a logged-in person did: " by Ana Lima" ("": no login)."""
    return f" by {user_name}" if user_name else ""


def _what(a: Action) -> str:
    """A pump action as the nurse would say it."""
    if a.kind == "set_rate":
        rate = a.params.get("rate_mg_per_kg_h")
        return f"Rate set to {rate:g} mg/kg/h" if isinstance(rate, int | float) else "Rate set"
    return done_words(a.kind)


def why_not_counted(a: Action, pump: tuple[np.ndarray, np.ndarray] | None) -> str | None:
    """Why an action of an expected response did not count (None: it counts): refused, or
    a pause or rate change after which the pump did not deliver less."""
    when = hms(a.t_s) + by_name(a.user_name)
    if not a.done:
        return f"{_what(a)} at {when} was refused ({a.reason or 'not possible'})"
    if a.kind not in LOWERING_ACTIONS:
        return None
    rates = rate_around(pump, a.t_s)
    if rates is None:
        return None  # nobody knows what the pump gave: it counts
    before, after = rates
    if before <= 0:
        return (f"{_what(a)} at {when}: the pump was giving nothing (paused or stopped), "
                "so delivery did not change")  # fmt: skip
    if after >= before:
        return f"{_what(a)} at {when}: delivery did not go down ({before:g} → {after:g} mg/kg/h)"
    return None


def score_expected(
    expected: Sequence[Any],
    episodes: Sequence[Episode],
    actions: Sequence[Action],
    end_t_s: float,
    samples: pd.DataFrame | None = None,
    actor: str = "trainee",
    *,
    judge_pump: bool = True,
) -> list[ExpectedResult]:
    """Score each occurrence of each expected response.

    An occurrence starts when an episode of a ``when`` condition starts while no other
    episode of those conditions is active (so "HR_LO or SYS_LO" together is one
    occurrence, timed from the first). Its window for a late response runs until the next
    occurrence of the same entry, or the end of the session. ``judge_pump``: whether the
    pump rate samples show what the pump actions did (see ``why_not_counted``).
    """
    pump = _pump_series(samples)
    tried = sorted((a for a in actions if a.actor == actor), key=lambda a: a.t_s)
    out: list[ExpectedResult] = []
    for idx, exp in enumerate(expected):
        when = tuple(exp.when)
        do = tuple(exp.do)
        within = float(exp.within_min) * 60.0
        eps = sorted((e for e in episodes if e.condition in when), key=lambda e: e.start_t_s)
        triggers: list[Episode] = []
        for i, e in enumerate(eps):
            t = e.start_t_s
            busy = any(o.end_t_s is None or o.end_t_s >= t for o in eps[:i])
            if not busy:
                triggers.append(e)
        for k, e in enumerate(triggers):
            start = e.start_t_s
            deadline = start + within
            window_end = triggers[k + 1].start_t_s if k + 1 < len(triggers) else end_t_s
            if set(do) <= PUMP_ACTIONS and not pump_running(pump, start, min(deadline, window_end)):
                out.append(
                    ExpectedResult(
                        idx, when, do, within, e.condition, start, deadline, "not_applicable"
                    )
                )
                continue
            hit, skipped = None, []
            for a in tried:
                in_window = start <= a.t_s and (
                    a.t_s < window_end or (k + 1 == len(triggers) and a.t_s <= window_end)
                )
                if not in_window or a.kind not in do:
                    continue
                why = why_not_counted(a, pump if judge_pump else None)
                if why is None:
                    hit = a
                    break
                skipped.append(why)
            note = f"Not counted: {'; '.join(skipped)}." if skipped else ""
            if hit is None:
                status = "missed"
            elif hit.t_s <= deadline:
                status = "met"
            else:
                status = "late"
            out.append(
                ExpectedResult(
                    idx,
                    when,
                    do,
                    within,
                    e.condition,
                    start,
                    deadline,
                    status,
                    None if hit is None else hit.t_s,
                    None if hit is None else hit.kind,
                    None if hit is None else hit.t_s - start,
                    note,
                    None if hit is None else hit.user_name,
                )
            )
    out.sort(key=lambda r: (r.trigger_t_s, r.index))
    return out

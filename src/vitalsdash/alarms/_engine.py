"""The engine's entry points: ``new_state``, ``step`` and the AlarmEngine convenience class.

``step(state, samples, actions, now_s) -> (state, events)`` is pure in the sense that
matters: the clock is an argument, the same inputs give the same log bit for bit. The
state is mutated in place for speed; ``snapshot()`` copies it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from vitalsdash.alarms._actions import apply_action
from vitalsdash.alarms._conditions import nibp_deadline, process_rows, schedule, tick
from vitalsdash.alarms._profile import AlarmProfile
from vitalsdash.alarms._settings import apply_settings
from vitalsdash.alarms._signals import Signals, condition_state, signals
from vitalsdash.alarms._state import AlarmState
from vitalsdash.alarms._types import AlarmAction, AlarmActionError, AlarmEvent, ConditionState
from vitalsdash.model import Phase, Sample


def new_state(
    profile: AlarmProfile, *, bed: str = "", t0_s: float = 0.0, phase: Phase = Phase.BASELINE
) -> tuple[AlarmState, list[AlarmEvent]]:
    """A fresh state at session time ``t0_s``, and the log of the limits it starts with."""
    problems = profile.problems()
    if problems:
        raise ValueError("; ".join(f"{k}: {why}" for k, why in problems))
    st = AlarmState(profile, bed, t0_s)
    st.phase = Phase(phase)
    events: list[AlarmEvent] = []
    apply_settings(st, t0_s, events, "system", "profile")
    st.nibp_overdue_at = nibp_deadline(st)
    schedule(st, st.nibp_overdue_at)
    return st, events


def step(
    state: AlarmState,
    samples: Iterable[Sample],
    actions: Sequence[AlarmAction] = (),
    now_s: float | None = None,
) -> tuple[AlarmState, list[AlarmEvent]]:
    """Apply ``actions`` (in order), then ``samples`` (in time order), then timers at ``now_s``.

    An invalid action raises AlarmActionError and leaves the state as it was before the
    call. Samples may be several per channel (accelerated clock); none may be after now.
    """
    rows = sorted(samples, key=lambda s: s.t_s)
    if now_s is None:
        now_s = rows[-1].t_s if rows else state.now
    if rows and rows[-1].t_s > now_s:
        raise ValueError(f"sample at {rows[-1].t_s} s is after now ({now_s} s)")
    events: list[AlarmEvent] = []
    if actions:
        backup = state.snapshot()
        try:
            for action in actions:
                apply_action(state, action, events)
        except AlarmActionError:
            state.restore(backup)
            raise
    if rows:
        ts = [s.t_s for s in rows]
        chs = [str(s.channel) for s in rows]
        vals = [float(s.value) for s in rows]
        qs = [str(s.quality) for s in rows]
        process_rows(state, ts, chs, vals, qs, 0, len(rows), events)
    tick(state, now_s, events)
    return state, events


class AlarmEngine:
    """One bed's alarms: holds the state and the complete log, answers ``signals(now)``."""

    def __init__(
        self,
        profile: AlarmProfile,
        *,
        bed: str = "",
        t0_s: float = 0.0,
        phase: Phase = Phase.BASELINE,
    ):
        self.state, self.log = new_state(profile, bed=bed, t0_s=t0_s, phase=phase)

    @property
    def profile(self) -> AlarmProfile:
        return self.state.profile

    def step(
        self,
        samples: Iterable[Sample] = (),
        actions: Sequence[AlarmAction] = (),
        now_s: float | None = None,
    ) -> list[AlarmEvent]:
        _, events = step(self.state, samples, actions, now_s)
        self.log.extend(events)
        return events

    def act(self, action: AlarmAction, now_s: float | None = None) -> list[AlarmEvent]:
        """Apply one action (raises AlarmActionError, changing nothing, if it is invalid)."""
        return self.step((), [action], action.t_s if now_s is None else now_s)

    def signals(self, now_s: float) -> Signals:
        return signals(self.state, now_s)

    def states(self) -> dict[str, ConditionState]:
        """Every condition's state (LATCHED for a resolved, latched one)."""
        return {name: condition_state(c) for name, c in self.state.conds.items()}

    def labels(self) -> dict[str, str]:
        """Every condition in the nurse's words ("SYS_HI" -> "Systolic high")."""
        return {name: c.label for name, c in self.state.conds.items()}

    def limits(self) -> dict[str, float | None]:
        """The limit in force per condition (None when it is not evaluated)."""
        return {
            name: (c.limit if c.enabled and not c.technical else None)
            for name, c in self.state.conds.items()
        }

    def snapshot(self) -> AlarmEngine:
        """An independent copy; stepping both with the same inputs gives the same log."""
        other = object.__new__(AlarmEngine)
        other.state = self.state.snapshot()
        other.log = list(self.log)
        return other

"""A small class for the class-results tests: trainees with accounts, chairs assigned, and
sessions run quickly through the runtime with the trainees' actions carrying their ids.

Test modules import it as ``from class_helpers import ...`` (tests/helpers is on pytest's
``pythonpath``). Trainee commands carry ``user_id``/``user_name`` when the runtime's
``Command`` has them; otherwise the helper writes who acted onto the session's trainee
action rows once the session is over, as the runtime does for a logged-in trainee.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from discharge_helpers import short_protocol
from sqlalchemy import create_engine, text

from vitalsdash.actions import ActionError
from vitalsdash.clock import ManualClock
from vitalsdash.config import BedConfig, ClinicConfig, ClinicSection
from vitalsdash.feed import Feed
from vitalsdash.runtime import Command, Runtime
from vitalsdash.store import Store

T0 = datetime(2025, 3, 3, 8, 0, tzinfo=UTC)
COMMAND_KNOWS_PEOPLE = "user_id" in {f.name for f in dataclasses.fields(Command)}


@dataclass
class Person:
    user_id: int
    name: str


@dataclass
class ClassRun:
    """The clinic, its store and who did what: session ids by name."""

    rt: Runtime
    store: Store
    clock: ManualClock
    people: dict[str, Person] = field(default_factory=dict)
    sessions: dict[str, int] = field(default_factory=dict)


def make_clinic(folder: Path, beds: list[BedConfig]) -> ClassRun:
    """A clinic on a manual clock in ``folder`` (which must be the current directory, for
    the short-observation protocol to be found by name)."""
    short_protocol(folder)
    store = Store(str(folder / "class.sqlite"))
    clock = ManualClock()
    rt = Runtime(
        ClinicConfig(clinic=ClinicSection(speed=60), beds=beds),
        store,
        Feed(store),
        clock=clock,
        wall=lambda: T0 + timedelta(seconds=clock.now()),
    )
    rt.start()
    return ClassRun(rt, store, clock)


def act(
    run: ClassRun,
    bed: str,
    kind: str,
    params: dict[str, Any] | None = None,
    who: Person | None = None,
    actor: str = "trainee",
) -> dict[str, Any]:
    """``kind`` on ``bed`` by ``who`` (a trainee by default; None: nobody logged in)."""
    extra: dict[str, Any] = {}
    if who is not None and COMMAND_KNOWS_PEOPLE:
        extra = {"user_id": who.user_id, "user_name": who.name}
    return run.rt.submit(Command(kind, bed, params or {}, actor, **extra))


def try_act(
    run: ClassRun,
    bed: str,
    kind: str,
    params: dict[str, Any] | None = None,
    who: Person | None = None,
    actor: str = "trainee",
) -> ActionError | None:
    """:func:`act`, returning the refusal instead of raising it."""
    try:
        act(run, bed, kind, params, who, actor)
    except ActionError as exc:
        return exc
    return None


def stamp(run: ClassRun, session_id: int, who: Person) -> None:
    """The session's trainee action rows that carry nobody get ``who`` (what a runtime
    without people in its commands could not write)."""
    engine = create_engine(run.store.url)
    try:
        with engine.begin() as conn:
            conn.execute(
                text(
                    "UPDATE actions SET user_id = :uid, user_name = :name "
                    "WHERE session_id = :sid AND actor = 'trainee' "
                    "AND user_id IS NULL"
                ),
                {"uid": who.user_id, "name": who.name, "sid": session_id},
            )
    finally:
        engine.dispose()


def acknowledge_all(run: ClassRun, bed: str, who: Person) -> None:
    """The trainee acknowledges every alarm showing unacknowledged."""
    for a in run.rt.bed_summary(bed)["session"]["alarms"]:
        if not a["acknowledged"]:
            try_act(run, bed, "acknowledge", {"condition": a["condition"]}, who)


def run_until(
    run: ClassRun,
    bed: str,
    *,
    phase: str | None = None,
    t_s: float | None = None,
    who: Person | None = None,
    step_s: int = 10,
    limit_s: int = 4 * 3600,
    on_step: Any = None,
) -> Any:
    """Advance until the bed reaches ``phase`` or session second ``t_s``, the trainee
    acknowledging alarms as they come (``on_step(view)`` after each step); the view."""
    while True:
        view = run.rt.view(bed)
        assert view is not None
        if (phase is not None and view.phase == phase) or (t_s is not None and view.t_s >= t_s):
            return view
        assert view.t_s < limit_s, f"{bed} did not get there in {limit_s} s"
        run.rt.advance(step_s)
        if who is not None:
            acknowledge_all(run, bed, who)
        if on_step is not None:
            on_step(run.rt.view(bed))


def build_class(folder: Path) -> ClassRun:
    """Two chairs, three trainees (Ana, Ben, and Cy who has not come yet), an instructor,
    and two sessions on each chair, run through the runtime:

    - ``a1``, ``a2`` (Ana, chair 1, uneventful): she starts on a clear check, acknowledges
      the alarms, charts alertness and discharges when ready;
    - ``b1`` (Ben, chair 2, uncontrolled hypertension): he tries to start, the check
      refuses, the instructor starts it anyway; the SYS_HI goes unanswered; the instructor
      ends the session;
    - ``b2`` (Ben, chair 2, hypertensive responder): he starts with caution, acknowledges
      and pauses the pump on the SYS_HI; the instructor ends the session.

    ``folder`` must be the current directory (the short protocol is found by name) while
    the sessions are judged."""
    run = make_clinic(folder, [
        BedConfig(id="c1", label="Chair 1", scenario="uneventful-depression", seed=11,
                  protocol="short-observation"),
        BedConfig(id="c2", label="Chair 2", scenario="uncontrolled-hypertension", seed=21,
                  protocol="short-observation"),
    ])  # fmt: skip
    s = run.store
    for name in ("Ana Lima", "Ben Ortiz", "Cy Park"):
        run.people[name.split()[0].lower()] = Person(s.add_user(name, "trainee"), name)
    run.people["ines"] = Person(s.add_user("Ines Vale", "instructor", "x"), "Ines Vale")
    ana, ben = run.people["ana"], run.people["ben"]
    s.assign_chair("c1", ana.user_id, None, T0)
    s.assign_chair("c2", ben.user_id, None, T0)

    def pause_on_sys_hi(_view: Any) -> None:
        acknowledge_all(run, "c2", ben)
        alarms = run.rt.bed_summary("c2")["session"]["alarms"]
        pump = run.rt.view("c2").pump  # type: ignore[union-attr]
        if any(a["condition"] == "SYS_HI" for a in alarms) and pump and pump.state == "running":
            act(run, "c2", "pause_pump", {}, ben)

    for n in (1, 2):
        if n == 2:
            act(run, "c1", "start_session", {}, None, actor="instructor")
            act(run, "c2", "start_session", {"scenario": "hypertensive-responder", "seed": 12},
                None, actor="instructor")  # fmt: skip
        run_until(run, "c1", t_s=600, who=ana)
        act(run, "c1", "start_infusion", {}, ana)
        if n == 1:
            refused = try_act(run, "c2", "start_infusion", {}, ben)
            assert refused is not None
            assert refused.code == "pre_infusion_check_failed"
            act(run, "c2", "start_infusion", {"override_reason": "teaching the override"},
                actor="instructor")  # fmt: skip
        else:
            act(run, "c2", "start_infusion", {}, ben)
        run_until(run, "c1", phase="observation", who=ana,
                  on_step=pause_on_sys_hi if n == 2 else None)  # fmt: skip
        act(run, "c1", "chart", {"kind": "alertness", "value": 10}, ana)
        run_until(run, "c1", phase="ready", who=ana)
        act(run, "c1", "discharge", {"note": "home with her partner"}, ana)
        act(run, "c2", "end_session", {}, actor="instructor")
        run.sessions[f"a{n}"] = run.rt.view("c1").session_id  # type: ignore[union-attr,assignment]
        run.sessions[f"b{n}"] = run.rt.view("c2").session_id  # type: ignore[union-attr,assignment]
        stamp(run, run.sessions[f"a{n}"], ana)
        stamp(run, run.sessions[f"b{n}"], ben)
    return run

"""One session's results as an educator reads them, from the session's debrief.

Private to :mod:`vitalsdash.classroom`. Every figure is the debrief's
(``debrief.compute_debrief`` on ``debrief.session_from_store``, as the review page and the
report build it): nothing here recomputes a metric. The two decisions read the debrief's
own records: the start of the infusion (``Debrief.start``, debrief/_start.py, with the
attempts the pre-infusion check refused) and the discharge (``Debrief.discharge``,
debrief/_discharge.py). A decision counts for the trainee only when a trainee took it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from vitalsdash.debrief import Debrief
from vitalsdash.durations import hms, span_in_words

RIGHT, WRONG, NONE = "right", "wrong", "none"
DECISIONS = (RIGHT, WRONG, NONE)
"""How a decision of the trainee's is judged: right, wrong, or none taken by a trainee."""
ENDED = frozenset({"ended", "discharged"})
"""Session statuses that never change again (an interrupted session may be resumed)."""
TRAINEE = "trainee"


@dataclass(frozen=True, slots=True)
class Decision:
    """A decision judged ``right``, ``wrong`` or ``none`` (no trainee took it), in words."""

    verdict: str
    words: str


@dataclass(frozen=True, slots=True)
class SessionResult:
    """One session's results for the class table and a trainee's page.

    ``median_ack_s`` is the debrief's median time to acknowledge (per alarm row, seconds;
    None when nothing was acknowledged); ``expected_met`` of ``expected_total`` the
    scenario's expected responses met (late and missed count in the total, not-applicable
    ones do not). ``problem`` says why a session's record could not be judged (its other
    figures are then empty). ``people`` are the names of those who acted in it.
    """

    session_id: int
    started: datetime | None
    scenario: str
    chair: str
    status: str
    length_s: float
    median_ack_s: float | None
    alarms: int
    acknowledged: int
    expected_met: int
    expected_total: int
    screening: Decision
    discharge: Decision
    people: tuple[str, ...] = ()
    problem: str | None = None

    @property
    def ended(self) -> bool:
        return self.status in ENDED

    @property
    def expected_share(self) -> float | None:
        """Met over scored (0..1), None when the scenario asked for none."""
        return self.expected_met / self.expected_total if self.expected_total else None

    @property
    def expected_words(self) -> str:
        """ "2 of 3", or "" when none was asked for."""
        return f"{self.expected_met} of {self.expected_total}" if self.expected_total else ""


def screening_decision(debrief: Debrief) -> Decision:
    """Starting the infusion, judged on the pre-infusion check (``Debrief.start``).

    Wrong: the trainee pressed start while the check said not to (the monitor refused it
    and logged the attempt). Right: the trainee started it on a check that passed or
    asked for caution. None: no trainee decided (not started; started by the instructor,
    by the chair itself or on the scenario's schedule)."""
    st = debrief.start
    started = None if st is None else st.started
    refused = [] if st is None else [a for a in st.refused if a.actor == TRAINEE]
    if refused:
        words = (
            f"Tried to start at {hms(refused[0].t_s)} although the pre-infusion check said not to"
        )
        if started is not None and started.overridden:
            words += f"; the {started.actor} started it anyway at {hms(started.t_s)}"
        elif started is not None:
            words += f"; started at {hms(started.t_s)} once the check allowed it"
        return Decision(WRONG, words)
    if started is None:
        return Decision(NONE, "Not started")
    if started.overridden:
        return Decision(
            NONE,
            f"Started by the {started.actor} at {hms(started.t_s)} despite a "
            "failed pre-infusion check",
        )
    if started.actor != TRAINEE:
        who = "by itself" if started.auto else f"by the {started.actor}"
        return Decision(NONE, f"Started {who} at {hms(started.t_s)}")
    if started.check == "caution":
        return Decision(RIGHT, f"Started at {hms(started.t_s)} with caution, as the check allowed")
    if started.check == "pass":
        return Decision(RIGHT, f"Started at {hms(started.t_s)} on a clear check")
    return Decision(NONE, f"Started at {hms(started.t_s)} with no check recorded")


def discharge_decision(debrief: Debrief) -> Decision:
    """The discharge, judged on readiness at that moment (``Debrief.discharge``).

    Right: the trainee discharged a ready patient. Wrong: the patient was discharged
    before readiness was met (the monitor refuses such a discharge, so this shows only in
    a session judged by other rules, e.g. a recording). None: no discharge by a trainee
    (not discharged, the session ended without one, discharged by the instructor, or
    readiness unknown)."""
    d = debrief.discharge
    if not d.discharged:
        ended = d.decided and d.t_s is not None
        return Decision(NONE, "Session ended without a discharge" if ended else "Not discharged")
    by_trainee = d.actor == TRAINEE
    if d.ready is False:
        early = d.early_by_s
        by = f" ({span_in_words(early)} early)" if early else ""
        who = "" if by_trainee else f" by the {d.actor}"
        return Decision(
            WRONG if by_trainee else NONE,
            f"Discharged{who} at {hms(d.t_s)} before the patient was ready{by}",
        )
    if not by_trainee:
        return Decision(NONE, f"Discharged by the {d.actor} at {hms(d.t_s)}")
    if d.ready is None:
        return Decision(NONE, f"Discharged at {hms(d.t_s)}; readiness unknown (no protocol)")
    return Decision(RIGHT, f"Discharged at {hms(d.t_s)} when the patient was ready")


def session_result(
    session_id: int, row: dict[str, Any], debrief: Debrief, scenario: str
) -> SessionResult:
    """The results of one session from its store row, debrief and actions."""
    s = debrief.summary()
    exp = s["expected"]
    return SessionResult(
        session_id=int(session_id),
        started=row.get("started_wall"),
        scenario=scenario,
        chair=str(row.get("label") or row.get("bed_id") or ""),
        status=str(row.get("status") or ""),
        length_s=float(debrief.end_t_s),
        median_ack_s=s["median_time_to_ack_s"],
        alarms=int(s["alarms"]),
        acknowledged=int(s["acknowledged"]),
        expected_met=int(exp["met"]),
        expected_total=int(exp["met"] + exp["late"] + exp["missed"]),
        screening=screening_decision(debrief),
        discharge=discharge_decision(debrief),
    )


def unreadable(session_id: int, row: dict[str, Any], scenario: str, why: str) -> SessionResult:
    """A session whose record cannot be judged: listed, with the reason, not dropped."""
    blank = Decision(NONE, "")
    return SessionResult(
        session_id=int(session_id),
        started=row.get("started_wall"),
        scenario=scenario,
        chair=str(row.get("label") or row.get("bed_id") or ""),
        status=str(row.get("status") or ""),
        length_s=float(row.get("last_t_s") or 0.0),
        median_ack_s=None,
        alarms=0,
        acknowledged=0,
        expected_met=0,
        expected_total=0,
        screening=blank,
        discharge=blank,
        problem=why,
    )

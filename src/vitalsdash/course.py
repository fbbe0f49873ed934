"""A course of sessions: which session of a patient's course comes next, and how to say it.

A named virtual patient (the store's patient file: a name, a scenario and a seed) comes
back for session 1, 2, 3... of a course; the simulator keeps the patient the same and
makes each session a new day (vitalsim.course). The runtime numbers a new session, the
instructor console shows what it will start and the review page what was given: all of
them ask here, so the numbering and the words are the same everywhere.
"""

from __future__ import annotations

from collections.abc import Iterable

from vitalsdash.adapters.simulator import MAX_COURSE_SESSIONS

__all__ = ["DEFAULT_SESSIONS", "MAX_COURSE_SESSIONS", "next_session_number", "session_words"]

DEFAULT_SESSIONS = 6
"""A course as clinics plan it: 4-6 sessions over a few weeks."""


def next_session_number(given: Iterable[int]) -> int:
    """The session that comes after those ``given`` (1 for a new patient). It may be more
    than :data:`MAX_COURSE_SESSIONS`: the course is then complete."""
    numbers = [int(n) for n in given]
    return max(numbers, default=0) + 1


def session_words(number: int, planned: int, name: str) -> str:
    """ "Session 3 of 6 for Mrs Jane Doe"; past the plan "Session 7 for ... (6 planned)"."""
    if number <= planned:
        return f"Session {number} of {planned} for {name}"
    return f"Session {number} for {name} ({planned} planned)"

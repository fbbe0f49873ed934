"""The person behind a request: what they may do, the actor their actions are recorded
under (never what a page claims), and which chairs a trainee may act on."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vitalsdash.access import OPEN_DEMO, AccessDenied, Principal, Role, chair_refusal
from vitalsdash.errors import VitalsdashError

pytestmark = pytest.mark.unit

ANA = Principal(1, "Ana Lima", Role.TRAINEE)
BEN = Principal(2, "Ben Ortiz", Role.TRAINEE)
INES = Principal(3, "Inês Costa", Role.INSTRUCTOR)
OLI = Principal(4, "Oli Watts", Role.OBSERVER)
WHATS = ("pause_pump", "inject_event", "review", "own_results", "class_results", "history",
         "monitor", "no_such_thing")  # fmt: skip


def test_the_open_demo_is_everyone_with_the_instructors_rights() -> None:
    assert (OPEN_DEMO.user_id, OPEN_DEMO.name, OPEN_DEMO.role) == (None, "Open demo",
                                                                   Role.INSTRUCTOR)  # fmt: skip
    assert OPEN_DEMO.open_demo
    for what in ("inject_event", "pause_pump", "set_speed", "review", "see_hidden"):
        assert OPEN_DEMO.may(what)


def test_each_person_may_what_their_role_may() -> None:
    may = {who.name: {w for w in WHATS if who.may(w)} for who in (ANA, INES, OLI)}
    assert may == {
        "Ana Lima": {"pause_pump", "own_results", "history", "monitor"},
        "Inês Costa": {"pause_pump", "inject_event", "review", "class_results", "history",
                       "monitor"},
        "Oli Watts": {"monitor"},
    }  # fmt: skip


@pytest.mark.parametrize(
    ("requested", "actor"),
    [(None, "trainee"), ("trainee", "trainee"), ("instructor", "instructor")],
)
def test_open_demo_acts_as_the_page_does(requested: str | None, actor: str) -> None:
    assert OPEN_DEMO.actor_for(requested) == actor


@pytest.mark.parametrize(
    ("who", "requested", "actor"),
    [
        (ANA, None, "trainee"),
        (ANA, "trainee", "trainee"),
        (INES, None, "instructor"),
        (INES, "instructor", "instructor"),
        (OLI, None, "observer"),
        (OLI, "observer", "observer"),
    ],
)
def test_a_logged_in_person_acts_as_themselves(
    who: Principal, requested: str | None, actor: str
) -> None:
    assert who.actor_for(requested) == actor


@pytest.mark.parametrize(
    ("who", "requested"),
    [
        (ANA, "instructor"),  # a trainee claiming the instructor
        (OLI, "trainee"),
        (OLI, "instructor"),
        (INES, "trainee"),  # a logged-in person is recorded as what they are
        (ANA, "system"),  # no person is the monitor itself
        (INES, "system"),
        (OPEN_DEMO, "system"),
        (OPEN_DEMO, "observer"),
        (ANA, "Trainee"),
        (ANA, ""),
        (OPEN_DEMO, 3),
        (ANA, ["trainee"]),
    ],
)
def test_no_one_acts_as_someone_else(who: Principal, requested: object) -> None:
    with pytest.raises(AccessDenied) as exc:
        who.actor_for(requested)  # type: ignore[arg-type]
    err = exc.value
    assert isinstance(err, VitalsdashError)
    assert err.status == 403
    assert err.words
    assert err.words == str(err)
    assert "_" not in err.words
    assert err.as_dict() == {"error": "forbidden", "message": err.words}


def test_a_trainee_claiming_the_instructor_is_told_why() -> None:
    with pytest.raises(AccessDenied) as exc:
        ANA.actor_for("instructor")
    assert exc.value.words == "You are signed in as a trainee: only the instructor can do that."


@given(st.text(max_size=12) | st.none())
def test_the_recorded_actor_is_never_more_than_the_person(requested: str | None) -> None:
    for who in (ANA, INES, OLI):
        try:
            actor = who.actor_for(requested)
        except AccessDenied:
            continue
        assert actor == str(who.role)
    try:
        actor = OPEN_DEMO.actor_for(requested)
    except AccessDenied:
        return
    assert actor in ("trainee", "instructor")


def test_a_principal_is_fixed_and_its_role_a_role() -> None:
    stored = Principal(5, "Cara Diaz", "trainee")  # type: ignore[arg-type]  # from a row
    assert stored.role is Role.TRAINEE
    with pytest.raises(dataclasses.FrozenInstanceError):
        stored.role = Role.INSTRUCTOR  # type: ignore[misc]
    with pytest.raises(ValueError, match="unknown role"):
        Principal(6, "Dan", "doctor")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="user id"):
        Principal(None, "Eve", Role.INSTRUCTOR)  # only the open demo has no user id


# -- chairs -------------------------------------------------------------------------------


def test_a_trainee_acts_on_their_own_chair_only() -> None:
    assert chair_refusal(ANA, "Chair 2", (1, "Ana Lima")) is None
    assert chair_refusal(ANA, "Chair 2", (2, "Ben Ortiz")) == (
        "Chair 2 is assigned to Ben Ortiz: you can watch it, not act on it."
    )
    assert chair_refusal(ANA, "Chair 2", None) == (
        "Chair 2 is not assigned to you: ask the instructor to assign it."
    )


@pytest.mark.parametrize("chair_user", [None, (1, "Ana Lima"), (2, "Ben Ortiz")])
def test_the_instructor_and_the_open_demo_act_on_any_chair(chair_user) -> None:
    assert chair_refusal(INES, "Chair 1", chair_user) is None
    assert chair_refusal(OPEN_DEMO, "Chair 1", chair_user) is None
    assert chair_refusal(OLI, "Chair 1", chair_user) == "Observers watch; they cannot act."

"""Who may do what: the table covers every action there is, each role and each kind
gives the expected answer, and the action validation refuses by it (403, in words)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vitalsdash.access import (
    ACTION_ROLES,
    CAPABILITY_ROLES,
    allowed,
    page_capability,
    refusal,
)
from vitalsdash.actions import ALL_ACTIONS, CLINIC_ACTIONS, ActionError, validate

pytestmark = pytest.mark.unit

ROLES = ("instructor", "trainee", "observer")
MORE_KINDS = ("set_limits", "assign_chair", "new_class_code")
EVERY_KIND = sorted({*ALL_ACTIONS, *CLINIC_ACTIONS, *MORE_KINDS})

# Written out here, not derived from the module: the table a class is run by.
CARE = [
    "pause_pump", "resume_pump", "set_rate", "stop_infusion", "give_antihypertensive",
    "give_antiemetic", "oxygen_on", "oxygen_off", "reposition", "reassure", "nibp_start",
    "acknowledge", "acknowledge_all", "pause_audio", "resume_audio", "reset", "set_limit",
    "set_limits", "alarm_off", "alarm_on", "auto_limits", "chart", "start_infusion",
    "discharge",
]  # fmt: skip
RUNNING_THE_CLASS = [
    "start_session", "end_session", "resume_session", "close_session", "inject_event",
    "create_patient", "set_speed", "pause_simulation", "resume_simulation", "assign_chair",
    "new_class_code",
]  # fmt: skip
EXPECTED_ACTIONS = {
    **{k: {"instructor", "trainee"} for k in CARE},
    **{k: {"instructor"} for k in RUNNING_THE_CLASS},
}
EXPECTED_CAPABILITIES = {
    "monitor": {"instructor", "trainee", "observer"},
    "history": {"instructor", "trainee"},
    "see_hidden": {"instructor"},
    "instructor_console": {"instructor"},
    "settings": {"instructor", "trainee"},
    "review": {"instructor"},
    "class_results": {"instructor"},
    "own_results": {"trainee"},
}


def test_every_action_there_is_has_an_entry_and_nothing_else_does() -> None:
    assert set(ACTION_ROLES) == set(EVERY_KIND)
    assert set(EXPECTED_ACTIONS) == set(EVERY_KIND)  # the expected table is complete too


def test_actions_and_capabilities_are_different_words() -> None:
    assert not set(ACTION_ROLES) & set(CAPABILITY_ROLES)
    assert set(CAPABILITY_ROLES) == set(EXPECTED_CAPABILITIES)


@pytest.mark.parametrize("kind", EVERY_KIND)
@pytest.mark.parametrize("role", ROLES)
def test_each_role_each_action(role: str, kind: str) -> None:
    expected = role in EXPECTED_ACTIONS[kind]
    assert allowed(role, kind) is expected
    assert {str(r) for r in ACTION_ROLES[kind]} == EXPECTED_ACTIONS[kind]
    words = refusal(role, kind)
    assert (words is None) is expected
    if words is not None:
        assert words.endswith(".")
        assert kind not in words  # the nurse's words, not the code's
        assert "_" not in words


@pytest.mark.parametrize("what", sorted(EXPECTED_CAPABILITIES))
@pytest.mark.parametrize("role", ROLES)
def test_each_role_each_capability(role: str, what: str) -> None:
    assert allowed(role, what) is (role in EXPECTED_CAPABILITIES[what])


def test_observers_act_on_nothing() -> None:
    for kind in EVERY_KIND:
        assert refusal("observer", kind) == "Observers watch; they cannot act."


@pytest.mark.parametrize(
    ("kind", "words"),
    [
        ("inject_event", "Only the instructor can inject events."),
        ("set_speed", "Only the instructor can change the simulation speed."),
        ("start_session", "Only the instructor can start a session."),
        ("end_session", "Only the instructor can end a session."),
        ("assign_chair", "Only the instructor can assign chairs."),
    ],
)
def test_a_trainee_is_told_who_can(kind: str, words: str) -> None:
    assert refusal("trainee", kind) == words


@given(st.text(max_size=20) | st.none() | st.integers(), st.sampled_from(EVERY_KIND))
def test_an_unknown_role_may_do_nothing(role: object, kind: str) -> None:
    if role not in ROLES:
        assert not allowed(role, kind)  # type: ignore[arg-type]


@given(st.sampled_from(ROLES), st.text(max_size=20) | st.none() | st.integers())
def test_an_unknown_kind_is_refused_to_everyone(role: str, kind: object) -> None:
    if kind not in ACTION_ROLES and kind not in CAPABILITY_ROLES:
        assert not allowed(role, kind)  # type: ignore[arg-type]
        assert refusal(role, kind)  # type: ignore[arg-type]


def test_system_is_no_role() -> None:
    assert not allowed("system", "pause_pump")


# -- the action validation refuses by the table ------------------------------------------


def _table(kind: str) -> dict:
    return CLINIC_ACTIONS if kind in CLINIC_ACTIONS else ALL_ACTIONS


def _refused_for(kind: str, actor: str) -> str | None:
    """The code of the refusal of ``kind`` with no parameters, or None."""
    try:
        validate(kind, {}, actor, _table(kind))
    except ActionError as exc:
        return exc.code
    return None


@pytest.mark.parametrize("kind", sorted({*ALL_ACTIONS, *CLINIC_ACTIONS}))
@pytest.mark.parametrize("actor", ROLES)
def test_validate_refuses_by_the_table(actor: str, kind: str) -> None:
    """Forbidden before the parameters are looked at: a 403 whatever was sent."""
    if actor in EXPECTED_ACTIONS[kind]:
        assert _refused_for(kind, actor) in (None, "bad_params")  # never the actor
        return
    with pytest.raises(ActionError) as exc:
        validate(kind, {"nonsense": 1}, actor, _table(kind))
    err = exc.value
    assert (err.code, err.status) == ("forbidden", 403)
    assert err.words == refusal(actor, kind)
    assert err.as_dict()["error"] == "forbidden"


@pytest.mark.parametrize("kind", sorted({*ALL_ACTIONS, *CLINIC_ACTIONS}))
def test_the_runtime_itself_may_do_everything(kind: str) -> None:
    assert _refused_for(kind, "system") in (None, "bad_params")


@pytest.mark.parametrize("actor", ["doctor", "", "Instructor", None, 3, ["trainee"]])
def test_an_unknown_actor_is_a_bad_actor_not_a_refusal(actor: object) -> None:
    with pytest.raises(ActionError) as exc:
        validate("pause_pump", {}, actor)  # type: ignore[arg-type]
    assert (exc.value.code, exc.value.status) == ("bad_actor", 400)


def test_an_observer_is_told_in_words() -> None:
    with pytest.raises(ActionError) as exc:
        validate("chart", {"kind": "pain", "value": 3}, "observer")
    assert exc.value.words == "Observers watch; they cannot act."
    assert exc.value.status == 403


# -- the capability a page address needs -------------------------------------------------


@pytest.mark.parametrize(
    ("path", "capability"),
    [
        ("/", "monitor"),
        ("/central", "monitor"),
        ("/bed/chair1", "monitor"),
        ("/bed/chair-2/", "monitor"),
        ("/bedside/chair1", "monitor"),
        ("/404", "monitor"),
        ("/instructor", "instructor_console"),
        ("/instructor/", "instructor_console"),
        ("/instructor/events", "instructor_console"),
        ("/settings", "settings"),
        ("/settings/", "settings"),
        ("/review", "review"),
        ("/review/12", "review"),
        ("/class", "class_results"),
        ("/class/chairs", "class_results"),
        ("/results/me", "own_results"),
        ("/results/7", "class_results"),
    ],
)
def test_each_page_needs_its_capability(path: str, capability: str) -> None:
    assert page_capability(path) == capability


@pytest.mark.parametrize(
    "path",
    [
        "//instructor",
        "/INSTRUCTOR",
        "/Instructor/",
        "/bed/x/../instructor",
        "/bed/./x",
        "/bed/%2e%2e/instructor",
        "/bed/x\\..\\instructor",
        "/bed//instructor",
        "//",
        "/central//",
        "",
        "instructor",
        "/nowhere",
        "/review/12/13",
        "/results",
        "/results/me/too",
        "/bed",
        "/bed/" + "x" * 65,
        "/api/beds",
        "/_dash-update-component",
        "/assets/app.css",
        "/bed/chair1?x=/instructor",
        "/bed/chair1#/instructor",
        "/bed/ch\x00air",
        "/bed/\u0441hair1",  # a Cyrillic "с"
        None,
        5,
    ],
)
def test_an_odd_address_needs_nothing_known(path: object) -> None:
    """Not a page: None, which the caller refuses; never "monitor" by a trick."""
    assert page_capability(path) is None  # type: ignore[arg-type]


@given(st.text(max_size=40))
def test_only_plain_addresses_are_pages(path: str) -> None:
    capability = page_capability(path)
    if capability is not None:
        assert capability in CAPABILITY_ROLES
        assert path.startswith("/")
        for odd in ("//", "..", "\\"):
            assert odd not in path
        assert path.isascii()

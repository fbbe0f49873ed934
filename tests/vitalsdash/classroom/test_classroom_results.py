"""Class results from sessions run through the runtime: whose sessions are whose, the
debrief's figures per session, the two decisions, the class table and its trend, the
cache, and the CSV downloads (safe against spreadsheet formulas)."""

from __future__ import annotations

import csv
import dataclasses
import io
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from class_helpers import T0, ClassRun, build_class
from hypothesis import given
from hypothesis import strategies as st

from vitalsdash import classroom
from vitalsdash.classroom import (
    CLASS_HEADERS,
    NONE,
    RESULT_HEADERS,
    RIGHT,
    WRONG,
    Decision,
    SessionResult,
)
from vitalsdash.debrief import (
    DischargeDecision,
    InfusionStart,
    StartAttempt,
    compute_debrief,
    session_from_store,
)
from vitalsdash.store import ActionRow, Store, TickWrite

pytestmark = pytest.mark.unit

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ClassRun]:
    folder = tmp_path_factory.mktemp("classroom")
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(folder)  # the short protocol is found by name while sessions are judged
        classroom.clear_cache()
        built = build_class(folder)
        yield built
        built.store.close()


def _ids(results: list[SessionResult]) -> list[int]:
    return [r.session_id for r in results]


def _bare_session(store: Store) -> int:
    """A session with no scenario, protocol or samples (a store written by hand)."""
    return store.create_session("c1", label="Chair 1", scenario=None, seed=None, protocol=None,
                                alarm_profile=None, patient={}, started_wall=T0)  # fmt: skip


def _acted(store: Store, sid: int, uid: int, name: str) -> None:
    """One action of the person's in the session, as a logged-in trainee's is stored."""
    row = ActionRow(sid, 5.0, "trainee", "reassure", user_id=uid, user_name=name)
    store.write_tick(TickWrite(actions=[row]))


def _read(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


# -- whose sessions are whose -----------------------------------------------------------


def test_a_session_belongs_to_whoever_acted_in_it_while_logged_in(run: ClassRun) -> None:
    s, p, ids = run.store, run.people, run.sessions
    people = s.people_by_session()
    assert people[ids["a1"]] == {p["ana"].user_id: "Ana Lima"}
    assert people[ids["b2"]] == {p["ben"].user_id: "Ben Ortiz"}
    assert _ids(classroom.trainee_results(s, p["ana"].user_id)) == [ids["a1"], ids["a2"]]
    assert _ids(classroom.trainee_results(s, p["ben"].user_id)) == [ids["b1"], ids["b2"]]
    assert classroom.trainee_results(s, p["cy"].user_id) == []
    assert classroom.trainee_results(s, 4242) == []
    [a1] = [r for r in classroom.trainee_results(s, p["ana"].user_id) if r.session_id == ids["a1"]]
    assert a1.people == ("Ana Lima",)
    assert a1.chair == "Chair 1"
    assert a1.scenario == "Uneventful depression session"
    assert a1.status == "discharged"
    assert a1.ended


def test_the_figures_are_the_debriefs(run: ClassRun) -> None:
    for name in ("a1", "a2", "b1", "b2"):
        sid = run.sessions[name]
        summary = compute_debrief(session_from_store(run.store, sid)).summary()
        row = run.store.session(sid)
        assert row is not None
        r = classroom.result_of(run.store, row)
        exp = summary["expected"]
        assert r.median_ack_s == summary["median_time_to_ack_s"], name
        assert (r.alarms, r.acknowledged) == (summary["alarms"], summary["acknowledged"]), name
        assert r.expected_met == exp["met"], name
        assert r.expected_total == exp["met"] + exp["late"] + exp["missed"], name
        assert r.length_s == summary["duration_s"], name
        assert r.problem is None


def test_the_decisions_of_each_session(run: ClassRun) -> None:
    results = {
        r.session_id: r
        for who in ("ana", "ben")
        for r in classroom.trainee_results(run.store, run.people[who].user_id)
    }
    a1, b1, b2 = (results[run.sessions[k]] for k in ("a1", "b1", "b2"))
    assert a1.screening == Decision(RIGHT, "Started at 0:10:00 on a clear check")
    assert a1.discharge.verdict == RIGHT
    assert a1.discharge.words.endswith("when the patient was ready")
    assert b1.screening.verdict == WRONG
    assert b1.screening.words == (
        "Tried to start at 0:10:00 although the pre-infusion check said not to; the "
        "instructor started it anyway at 0:10:00"
    )
    assert b1.discharge == Decision(NONE, "Session ended without a discharge")
    assert b1.expected_words == "0 of 1"  # the SYS_HI went unanswered
    assert b2.screening == Decision(RIGHT, "Started at 0:10:00 with caution, as the check allowed")
    assert b2.expected_words == "1 of 1"  # the pump paused on the SYS_HI
    assert b2.median_ack_s is not None


# -- the class table --------------------------------------------------------------------


def test_the_class_table_has_one_row_per_trainee_with_the_trend(run: ClassRun) -> None:
    rows = classroom.class_table(run.store)
    assert [r.name for r in rows] == ["Ana Lima", "Ben Ortiz", "Cy Park"]  # no instructor
    ana, ben, cy = rows
    assert (ana.done, ana.open, len(ana.sessions)) == (2, 0, 2)
    assert ana.first is not None
    assert ana.latest is not None
    assert (ana.first.session_id, ana.latest.session_id) == (run.sessions["a1"],
                                                             run.sessions["a2"])  # fmt: skip
    assert ben.trend_key == "better"
    assert ben.trend == "More responses met (0 of 1 → 1 of 1); fewer wrong decisions"
    assert (cy.done, cy.first, cy.latest, cy.trend_key) == (0, None, None, "")
    assert cy.trend == "Needs two ended sessions"
    assert ana.last_session is not None


def test_a_removed_accounts_results_stay_under_the_name_they_acted_with(tmp_path: Path) -> None:
    with Store(str(tmp_path / "removed.sqlite")) as store:
        uid = store.add_user("Dee Moss", "trainee")
        sid = _bare_session(store)
        _acted(store, sid, uid, "Dee Moss")
        assert store.remove_user("Dee Moss")
        [row] = classroom.class_table(store)
        assert (row.user_id, row.name, len(row.sessions)) == (uid, "Dee Moss", 1)
        assert classroom.trainee_name(store, uid) == "Dee Moss"
        assert classroom.trainee_name(store, uid + 1) is None


def test_an_empty_class(tmp_path: Path) -> None:
    with Store(str(tmp_path / "empty.sqlite")) as store:
        assert classroom.class_table(store) == []
        assert store.people_by_session() == {}
        assert _read(classroom.class_csv([])) == [list(CLASS_HEADERS)]
        assert _read(classroom.results_csv([])) == [list(RESULT_HEADERS)]
        store.add_user("Ana Lima", "trainee")
        [row] = classroom.class_table(store)
        assert (row.name, row.done, row.sessions) == ("Ana Lima", 0, ())


# -- the cache --------------------------------------------------------------------------


def _no_read(*_a: object, **_k: object) -> None:
    raise AssertionError("judged again: the cached results were not used")


def test_an_ended_sessions_results_are_kept(run: ClassRun, monkeypatch: pytest.MonkeyPatch) -> None:
    row = run.store.session(run.sessions["a1"])
    assert row is not None
    first = classroom.result_of(run.store, row)

    monkeypatch.setattr(run.store, "samples", _no_read)
    assert classroom.result_of(run.store, row) is first
    assert classroom.cached_sessions() <= classroom.CACHE_SIZE


def test_a_running_session_is_judged_again_once_it_moves_on(tmp_path: Path) -> None:
    with Store(str(tmp_path / "running.sqlite")) as store:
        uid = store.add_user("Ana Lima", "trainee")
        sid = _bare_session(store)
        store.write_tick(TickWrite(actions=[ActionRow(sid, 5.0, "trainee", "reassure",
                                                      user_id=uid, user_name="Ana Lima")],
                                   session_updates={sid: {"last_t_s": 10.0}}))  # fmt: skip
        [before] = classroom.trainee_results(store, uid)
        assert not before.ended
        with pytest.MonkeyPatch.context() as mp:  # not moved on: from the cache
            mp.setattr(store, "samples", _no_read)
            assert classroom.trainee_results(store, uid)[0].length_s == before.length_s
        store.write_tick(TickWrite(session_updates={sid: {"last_t_s": 70.0}}))
        [after] = classroom.trainee_results(store, uid)
        assert (before.length_s, after.length_s) == (10.0, 70.0)


def test_a_session_that_cannot_be_judged_is_listed_with_the_reason(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from vitalsdash.classroom import _class

    def broken(_data: object) -> None:
        raise ValueError("the alarm log is damaged")

    monkeypatch.setattr(_class, "compute_debrief", broken)
    with Store(str(tmp_path / "broken.sqlite")) as store:
        uid = store.add_user("Ana Lima", "trainee")
        sid = _bare_session(store)
        _acted(store, sid, uid, "Ana Lima")
        [r] = classroom.trainee_results(store, uid)
        assert r.problem == "cannot be judged: the alarm log is damaged"
        assert r.screening.words == ""
        assert "the alarm log is damaged" in classroom.results_csv([r], "Ana Lima")
        classroom.clear_cache()


# -- the decisions, case by case --------------------------------------------------------


def _attempt(
    actor: str, outcome: str = "ok", check: str | None = "pass", **kw: object
) -> StartAttempt:
    return StartAttempt(600.0, actor, outcome, check, **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("start", "verdict", "words"),
    [
        (None, NONE, "Not started"),
        (InfusionStart(None, ()), NONE, "Not started"),
        (InfusionStart(None, (), scheduled_t_s=600.0), NONE, "Not started"),
        (InfusionStart(_attempt("trainee"), ()), RIGHT, "on a clear check"),
        (InfusionStart(_attempt("trainee", check="caution"), ()), RIGHT, "with caution"),
        (InfusionStart(_attempt("trainee", check=None), ()), NONE, "no check recorded"),
        (InfusionStart(_attempt("instructor"), ()), NONE, "by the instructor"),
        (InfusionStart(_attempt("system", auto=True), ()), NONE, "by itself"),
        (InfusionStart(_attempt("instructor", check="blocked", override_reason="why"), ()),
         NONE, "despite a failed pre-infusion check"),
        (InfusionStart(None, (_attempt("trainee", "refused", "blocked"),)), WRONG,
         "Tried to start"),
        (InfusionStart(None, (_attempt("instructor", "refused", "blocked"),)), NONE, "Not started"),
        (InfusionStart(_attempt("trainee"), (_attempt("trainee", "refused", "blocked"),)),
         WRONG, "once the check allowed it"),
    ],
)  # fmt: skip
def test_the_start_decision(run: ClassRun, start: InfusionStart | None, verdict: str,
                            words: str) -> None:  # fmt: skip
    base = compute_debrief(session_from_store(run.store, run.sessions["a1"]))
    d = classroom.screening_decision(dataclasses.replace(base, start=start))
    assert d.verdict == verdict
    assert words in d.words


def _discharge(decided: bool, kind: str | None, actor: str | None, ready: bool | None,
               first_ready: float | None = None) -> DischargeDecision:  # fmt: skip
    t = 3000.0 if decided else None
    return DischargeDecision(decided, t, actor, t or 3600.0, ready, (), (), first_ready,
                             "Short", kind)  # fmt: skip


@pytest.mark.parametrize(
    ("discharge", "verdict", "words"),
    [
        (_discharge(False, None, None, False), NONE, "Not discharged"),
        (_discharge(True, "end_session", "instructor", True), NONE, "ended without a discharge"),
        (_discharge(True, "discharge", "trainee", True), RIGHT, "when the patient was ready"),
        (_discharge(True, "discharge", "trainee", False, 3600.0), WRONG,
         "before the patient was ready (10 min early)"),
        (_discharge(True, "discharge", "instructor", False), NONE, "by the instructor"),
        (_discharge(True, "discharge", "instructor", True), NONE, "Discharged by the instructor"),
        (_discharge(True, "discharge", "trainee", None), NONE, "readiness unknown"),
    ],
)  # fmt: skip
def test_the_discharge_decision(run: ClassRun, discharge: DischargeDecision, verdict: str,
                                words: str) -> None:  # fmt: skip
    base = compute_debrief(session_from_store(run.store, run.sessions["a1"]))
    d = classroom.discharge_decision(dataclasses.replace(base, discharge=discharge))
    assert d.verdict == verdict
    assert words in d.words


# -- the trend --------------------------------------------------------------------------


def _result(sid: int, ack: float | None, met: int, total: int, wrong: int = 0) -> SessionResult:
    screening = Decision(WRONG if wrong else RIGHT, "x")
    return SessionResult(sid, T0, "", "Chair 1", "ended", 60.0, ack, 1, 1, met, total,
                         screening, Decision(NONE, "y"))  # fmt: skip


@pytest.mark.parametrize(
    ("first", "latest", "key", "words"),
    [
        (_result(1, 30.0, 0, 1), _result(2, 10.0, 1, 1), "better",
         "faster to acknowledge (30 s → 10 s); more responses met (0 of 1 → 1 of 1)"),
        (_result(1, 10.0, 1, 1), _result(2, 30.0, 0, 1, wrong=1), "worse",
         "slower to acknowledge (10 s → 30 s); fewer responses met (1 of 1 → 0 of 1); "
         "more wrong decisions"),
        (_result(1, 10.0, 0, 1), _result(2, 30.0, 1, 1), "mixed",
         "slower to acknowledge (10 s → 30 s); more responses met (0 of 1 → 1 of 1)"),
        (_result(1, 10.0, 1, 2), _result(2, 11.0, 2, 4), "steady", "about the same"),
        (_result(1, None, 0, 0), _result(2, 5.0, 0, 0), "steady", "about the same"),
        (_result(1, 10.0, 1, 1), None, "", "needs two ended sessions"),
    ],
)  # fmt: skip
def test_the_trend_compares_the_latest_with_the_first(
    first: SessionResult, latest: SessionResult | None, key: str, words: str
) -> None:
    assert classroom.trend(first, latest) == (key, words)


# -- the CSV downloads ------------------------------------------------------------------


def test_the_csv_files_have_plain_headers_and_one_row_each(run: ClassRun) -> None:
    ana = run.people["ana"]
    mine = classroom.trainee_results(run.store, ana.user_id)
    rows = _read(classroom.results_csv(mine, ana.name))
    assert rows[0] == list(RESULT_HEADERS)
    assert [r[RESULT_HEADERS.index("Session")] for r in rows[1:]] == [
        str(run.sessions["a1"]), str(run.sessions["a2"])]  # fmt: skip
    assert {r[0] for r in rows[1:]} == {"Ana Lima"}
    assert rows[1][RESULT_HEADERS.index("Starting the infusion")] == "right"
    assert rows[1][RESULT_HEADERS.index("Date")] == "2025-03-03 08:00 UTC"
    hidden = _read(classroom.results_csv(mine, ana.name, with_scenario=False))
    assert "Scenario" not in hidden[0]
    assert all("Uneventful depression session" not in cell for r in hidden for cell in r)
    assert len(hidden[1]) == len(RESULT_HEADERS) - 1
    table = _read(classroom.class_csv(classroom.class_table(run.store)))
    assert table[0] == list(CLASS_HEADERS)
    assert [r[0] for r in table[1:]] == ["Ana Lima", "Ben Ortiz", "Cy Park"]


@pytest.mark.parametrize(
    "name",
    ['=HYPERLINK("http://x","click")', "+1+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1",
     "=cmd|' /C calc'!A0"],
)  # fmt: skip
def test_a_name_that_looks_like_a_formula_stays_text(name: str) -> None:
    summary = classroom.summary_of(1, name, [_result(1, 5.0, 1, 1)])
    [_head, row] = _read(classroom.class_csv([summary]))
    assert row[0] == "'" + name
    [_head, row] = _read(classroom.results_csv([_result(1, 5.0, 1, 1)], name))
    assert row[0] == "'" + name


@given(st.text(max_size=40))
def test_no_text_cell_can_start_a_formula(text: str) -> None:
    cell = classroom.safe_cell(text)
    assert not str(cell).startswith(FORMULA_STARTS)
    assert cell in (text, "'" + text)
    assert classroom.safe_cell(-3.5) == -3.5  # our numbers pass as numbers
    assert classroom.safe_cell(None) == ""


def test_a_when_is_in_utc_words() -> None:
    assert classroom.when(datetime(2025, 3, 3, 9, 30, tzinfo=UTC)) == "2025-03-03 09:30 UTC"
    assert classroom.when(None) == ""

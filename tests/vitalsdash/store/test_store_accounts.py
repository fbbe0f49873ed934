"""Accounts in the store: unique names, tokens by digest, the class code, chairs, secrets,
and a version 6 database upgraded to hold them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import create_engine, inspect, text

from vitalsdash.store import SCHEMA_VERSION, Store, TickWrite, UserExistsError, name_key

T0 = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)


def _session(store: Store) -> int:
    return store.create_session("chair1", label="Chair 1", scenario=None, seed=1,
                                protocol=None, alarm_profile=None, patient={},
                                started_wall=T0)  # fmt: skip


def test_names_are_unique_whatever_their_case_and_spacing(db_url: str) -> None:
    with Store(db_url) as store:
        ana = store.add_user("Ana  Lima", "trainee")
        with pytest.raises(UserExistsError, match="already a user"):
            store.add_user(" ana lima ", "instructor", "hash")
        assert store.user_by_name("ANA LIMA")["id"] == ana
        assert store.user(ana)["name"] == "Ana Lima"  # spacing made single
        assert store.user(ana)["password_hash"] is None
        assert [u["name"] for u in store.users("trainee")] == ["Ana Lima"]
        assert store.users("instructor") == []


def test_access_is_configured_only_by_an_instructor_with_a_password(db_url: str) -> None:
    with Store(db_url) as store:
        assert not store.has_accounts()
        store.add_user("Obs", "observer", "h")
        store.add_user("Tess", "trainee")
        assert not store.has_accounts()
        store.add_user("Ines", "instructor", "h")
        assert store.has_accounts()


def test_tokens_chairs_and_removal(db_url: str) -> None:
    with Store(db_url) as store:
        ana = store.add_user("Ana", "trainee")
        ben = store.add_user("Ben", "trainee")
        store.add_token(ana, "d" * 64)
        assert store.user_for_token("d" * 64)["name"] == "Ana"
        assert store.user_for_token("e" * 64) is None
        store.assign_chair("chair1", ana, None, T0)
        store.assign_chair("chair2", ben, None, T0)
        store.assign_chair("chair2", ana, None, T0)  # reassigned: one trainee per chair
        assert store.chair_assignments() == {
            "chair1": {"user_id": ana, "name": "Ana"},
            "chair2": {"user_id": ana, "name": "Ana"},
        }
        store.assign_chair("chair1", None, None, T0)
        assert store.chair_user("chair1") is None
        assert store.chair_user("chair2") == (ana, "Ana")
        with pytest.raises(ValueError, match="no user"):
            store.assign_chair("chair3", 999_999, None, T0)
        assert store.remove_user("ana")
        assert not store.remove_user("ana")
        assert store.user_for_token("d" * 64) is None
        assert store.chair_assignments() == {}
        assert store.revoke_tokens(ben) == 0


def test_one_class_code_at_a_time_until_it_expires(db_url: str) -> None:
    with Store(db_url) as store:
        assert store.class_code(T0) is None
        store.new_class_code("ABC234", None, T0, T0 + timedelta(hours=12))
        assert store.class_code(T0 + timedelta(hours=1))["code"] == "ABC234"
        store.new_class_code("XYZ789", None, T0, T0 + timedelta(hours=12))
        assert store.class_code(T0)["code"] == "XYZ789"  # the older one stops working
        assert store.class_code(T0 + timedelta(hours=13)) is None


def _back_to_version(url: str, version: int, *statements: str) -> None:
    """The database as an older version left it: ``statements`` undo the newer layout."""
    engine = create_engine(url)
    with engine.begin() as conn:
        for sql in statements:
            conn.execute(text(sql))
        conn.execute(text("UPDATE schema_meta SET value = :v WHERE key = 'schema_version'"),
                     {"v": str(version)})  # fmt: skip
    engine.dispose()


def test_a_sign_in_lasts_until_it_ends_or_expires(db_url: str) -> None:
    later = T0 + timedelta(hours=12)
    with Store(db_url) as store:
        ana = store.add_user("Ana", "trainee")
        ben = store.add_user("Ben", "instructor", "h")
        store.add_sign_in(ana, "a" * 64, T0, later)
        store.add_sign_in(ana, "b" * 64, T0, later)  # a second browser
        store.add_sign_in(ben, "c" * 64, T0, later)
        assert store.user_for_sign_in("a" * 64, T0)["name"] == "Ana"
        assert store.user_for_sign_in("a" * 64, later) is None  # expired
        assert store.user_for_sign_in("d" * 64, T0) is None
        assert store.end_sign_in("a" * 64)  # signed out: that browser only
        assert not store.end_sign_in("a" * 64)
        assert store.user_for_sign_in("a" * 64, T0) is None
        assert store.user_for_sign_in("b" * 64, T0)["name"] == "Ana"
        assert store.end_sign_ins(ana) == 1  # a new password: every browser of hers
        assert store.user_for_sign_in("b" * 64, T0) is None
        assert store.user_for_sign_in("c" * 64, T0)["name"] == "Ben"
        store.add_sign_in(ana, "e" * 64, later, later + timedelta(hours=12))
        assert store.end_sign_in("c" * 64) is False  # expired ones went with a new sign-in
        assert store.remove_user("ana")
        assert store.user_for_sign_in("e" * 64, later) is None


def test_a_version_7_database_gains_the_sign_ins(db_url: str) -> None:
    with Store(db_url) as fresh:
        url = fresh.url
        ines = fresh.add_user("Ines", "instructor", "h")
    _back_to_version(url, 7, "DROP TABLE sign_ins")
    with Store(db_url) as store:
        assert store.schema_version == SCHEMA_VERSION
        assert store.integrity_check() == []
        assert store.user(ines)["name"] == "Ines"  # the accounts as they were
        store.add_sign_in(ines, "f" * 64, T0, T0 + timedelta(hours=1))
        assert store.user_for_sign_in("f" * 64, T0)["id"] == ines


def test_a_secret_is_made_once_and_kept_across_opens(db_url: str) -> None:
    with Store(db_url) as store:
        first = store.secret("session")
        assert len(first) == 32
        assert store.secret("session") == first
        assert store.secret("other") != first
    with Store(db_url) as again:
        assert again.secret("session") == first


def test_actions_remember_who_acted(db_url: str) -> None:
    with Store(db_url) as store:
        sid = _session(store)
        store.write_tick(TickWrite(actions=[
            {"session_id": sid, "t_s": 1.0, "actor": "trainee", "kind": "pause_pump",
             "params": {}, "user_id": 7, "user_name": "Ana Lima"},
            {"session_id": sid, "t_s": 2.0, "actor": "instructor", "kind": "set_speed",
             "params": {}},
        ]))  # fmt: skip
        rows = store.actions(sid)
        assert [(r["user_id"], r["user_name"]) for r in rows] == [(7, "Ana Lima"), (None, None)]


def test_who_acted_in_which_session(db_url: str) -> None:
    """The class results' one read: per session, the people logged in who acted in it."""
    with Store(db_url) as store:
        one, two, three = _session(store), _session(store), _session(store)
        store.write_tick(TickWrite(actions=[
            {"session_id": one, "t_s": 1.0, "actor": "trainee", "kind": "reassure",
             "params": {}, "user_id": 7, "user_name": "Ana Lima"},
            {"session_id": one, "t_s": 2.0, "actor": "trainee", "kind": "reassure",
             "params": {}, "user_id": 7, "user_name": "Ana Lima"},
            {"session_id": one, "t_s": 3.0, "actor": "trainee", "kind": "reassure",
             "params": {}, "user_id": 8, "user_name": "Ben Ortiz"},
            {"session_id": two, "t_s": 1.0, "actor": "trainee", "kind": "reassure",
             "params": {}, "user_id": 8, "user_name": "Ben Ortiz"},
            {"session_id": three, "t_s": 1.0, "actor": "instructor", "kind": "set_speed",
             "params": {}},
        ]))  # fmt: skip
        assert store.people_by_session() == {
            one: {7: "Ana Lima", 8: "Ben Ortiz"},
            two: {8: "Ben Ortiz"},
        }


def test_a_version_6_database_gains_the_account_tables(db_url: str) -> None:
    with Store(db_url) as fresh:
        url = fresh.url
        sid = _session(fresh)
        fresh.write_tick(TickWrite(actions=[{"session_id": sid, "t_s": 1.0, "actor": "trainee",
                                             "kind": "reassure", "params": {}}]))  # fmt: skip
    tables = ("sign_ins", "app_secrets", "chair_assignments", "class_codes", "api_tokens",
              "users")  # fmt: skip
    _back_to_version(url, 6, *(f"DROP TABLE {t}" for t in tables),  # no account tables,
                     "ALTER TABLE actions DROP COLUMN user_name",  # no user columns
                     "ALTER TABLE actions DROP COLUMN user_id")  # fmt: skip
    with Store(db_url) as store:
        assert store.schema_version == SCHEMA_VERSION
        assert store.integrity_check() == []
        assert [(a["kind"], a["user_name"]) for a in store.actions(sid)] == [("reassure", None)]
        store.add_user("Ines", "instructor", "h")
        assert store.has_accounts()
    engine = create_engine(url)
    with engine.connect() as conn:
        assert {"users", "api_tokens", "class_codes", "chair_assignments", "app_secrets"} <= set(
            inspect(conn).get_table_names()
        )
    engine.dispose()


@settings(max_examples=60, deadline=None)
@given(st.lists(st.text(st.characters(categories=["L", "N"]), min_size=1, max_size=8),
                min_size=1, max_size=4))  # fmt: skip
def test_name_key_ignores_spacing_and_ascii_case(words: list[str]) -> None:
    name = " ".join(words)
    assert name_key(f"  {'   '.join(words)} ") == name_key(name)
    assert name_key(name.swapcase()) == name_key(name) or not name.isascii()

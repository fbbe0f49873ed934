"""Accounts, API tokens, the class code, chair assignments and the server's secrets.

Private to :mod:`vitalsdash.store` (``Store`` inherits these). Passwords and tokens
arrive here already hashed (``vitalsdash.access``): the store never sees a secret a
person typed. Names are unique case-insensitively, so "ana" cannot join as a second Ana.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from vitalsdash.errors import VitalsdashError
from vitalsdash.store import _schema
from vitalsdash.store._codec import safe_text, wall_text
from vitalsdash.store._errors import ReadConnections

SECRET_BYTES = 32


class UserExistsError(VitalsdashError, ValueError):
    """``add_user`` with a name already taken (compared case-insensitively)."""


def name_key(name: str) -> str:
    """How names are compared: case and spacing do not make another person."""
    return " ".join(str(name).split()).casefold()


def _user_dict(row: Any) -> dict[str, Any]:
    return {"id": int(row.id), "name": row.name, "role": row.role,
            "password_hash": row.password_hash, "created_at": row.created_wall}  # fmt: skip


class StoreAccounts(ReadConnections):
    """The account reads and writes :class:`Store` inherits (reads as ``StoreReads``'s)."""

    _writer: Engine

    # -- users

    def add_user(self, name: str, role: str, password_hash: str | None = None,
                 now: datetime | None = None) -> int:  # fmt: skip
        """A new account; ``UserExistsError`` when the name is taken."""
        if role not in _schema.USER_ROLES:
            raise ValueError(f"role must be one of {', '.join(_schema.USER_ROLES)}")
        values = {"name": safe_text(" ".join(name.split())), "name_key": name_key(name),
                  "role": role, "password_hash": password_hash,
                  "created_wall": wall_text(now or _utcnow())}  # fmt: skip
        try:
            with self._write() as conn:
                return int(conn.execute(insert(_schema.users).values(**values))
                           .inserted_primary_key[0])  # fmt: skip
        except IntegrityError:
            raise UserExistsError(f"there is already a user called {name!r}") from None

    def user(self, user_id: int) -> dict[str, Any] | None:
        t = _schema.users
        with self._read() as conn:
            row = conn.execute(select(t).where(t.c.id == int(user_id))).first()
        return None if row is None else _user_dict(row)

    def user_by_name(self, name: str) -> dict[str, Any] | None:
        t = _schema.users
        with self._read() as conn:
            row = conn.execute(select(t).where(t.c.name_key == name_key(name))).first()
        return None if row is None else _user_dict(row)

    def users(self, role: str | None = None) -> list[dict[str, Any]]:
        t = _schema.users
        query = select(t).order_by(t.c.name_key)
        if role is not None:
            query = query.where(t.c.role == role)
        with self._read() as conn:
            return [_user_dict(r) for r in conn.execute(query)]

    def remove_user(self, name: str) -> bool:
        """Remove an account with its tokens and chair assignments (its actions keep the
        name they were taken under)."""
        t = _schema.users
        with self._write() as conn:
            uid = conn.execute(select(t.c.id).where(t.c.name_key == name_key(name))).scalar()
            if uid is None:
                return False
            conn.execute(delete(_schema.api_tokens).where(_schema.api_tokens.c.user_id == uid))
            conn.execute(delete(_schema.chair_assignments)
                         .where(_schema.chair_assignments.c.user_id == uid))  # fmt: skip
            conn.execute(delete(t).where(t.c.id == uid))
        return True

    def set_password(self, user_id: int, password_hash: str | None) -> None:
        t = _schema.users
        with self._write() as conn:
            conn.execute(update(t).where(t.c.id == int(user_id))
                         .values(password_hash=password_hash))  # fmt: skip

    def has_accounts(self) -> bool:
        """Whether access is configured: at least one instructor can log in."""
        t = _schema.users
        with self._read() as conn:
            n = conn.execute(select(func.count()).select_from(t)
                             .where(t.c.role == "instructor", t.c.password_hash.is_not(None))
                             ).scalar()  # fmt: skip
        return bool(n)

    def people_by_session(self) -> dict[int, dict[int, str | None]]:
        """Per session, the people logged in who acted in it: user id -> a name they acted
        under (kept on the action rows, so a removed account still shows). One read over
        the action log, for the class results (a session belongs to whoever acted in it)."""
        t = _schema.actions
        stmt = (select(t.c.session_id, t.c.user_id, func.max(t.c.user_name))
                .where(t.c.user_id.is_not(None))
                .group_by(t.c.session_id, t.c.user_id)
                .order_by(t.c.session_id, t.c.user_id))  # fmt: skip
        out: dict[int, dict[int, str | None]] = {}
        with self._read() as conn:
            for sid, uid, name in conn.execute(stmt):
                out.setdefault(int(sid), {})[int(uid)] = name
        return out

    # -- API tokens (their SHA-256 digests)

    def add_token(self, user_id: int, digest: str, now: datetime | None = None) -> None:
        with self._write() as conn:
            conn.execute(
                insert(_schema.api_tokens).values(
                    digest=digest, user_id=int(user_id), created_wall=wall_text(now or _utcnow())
                )
            )

    def user_for_token(self, digest: str) -> dict[str, Any] | None:
        t, u = _schema.api_tokens, _schema.users
        with self._read() as conn:
            row = conn.execute(select(u).join(t, t.c.user_id == u.c.id)
                               .where(t.c.digest == digest)).first()  # fmt: skip
        return None if row is None else _user_dict(row)

    def revoke_tokens(self, user_id: int) -> int:
        t = _schema.api_tokens
        with self._write() as conn:
            return conn.execute(delete(t).where(t.c.user_id == int(user_id))).rowcount or 0

    # -- browsers' sign-ins (their SHA-256 digests), each until it ends or expires

    def add_sign_in(self, user_id: int, digest: str, now: datetime, expires: datetime) -> None:
        """Keep a new sign-in; those that expired by ``now`` go (nothing else removes a
        sign-in whose browser never signed out)."""
        t = _schema.sign_ins
        with self._write() as conn:
            conn.execute(delete(t).where(t.c.expires_wall <= wall_text(now)))
            conn.execute(insert(t).values(digest=digest, user_id=int(user_id),
                                          created_wall=wall_text(now),
                                          expires_wall=wall_text(expires)))  # fmt: skip

    def user_for_sign_in(self, digest: str, now: datetime) -> dict[str, Any] | None:
        """The account of a sign-in that has neither ended nor expired."""
        t, u = _schema.sign_ins, _schema.users
        with self._read() as conn:
            row = conn.execute(select(u).join(t, t.c.user_id == u.c.id)
                               .where(t.c.digest == digest,
                                      t.c.expires_wall > wall_text(now))).first()  # fmt: skip
        return None if row is None else _user_dict(row)

    def end_sign_in(self, digest: str) -> bool:
        """Signing out: whether there was such a sign-in."""
        t = _schema.sign_ins
        with self._write() as conn:
            return bool(conn.execute(delete(t).where(t.c.digest == digest)).rowcount)

    def end_sign_ins(self, user_id: int) -> int:
        """Every browser of this person signed out (a new password; removing the account
        ends its sign-ins by the foreign key)."""
        t = _schema.sign_ins
        with self._write() as conn:
            return conn.execute(delete(t).where(t.c.user_id == int(user_id))).rowcount or 0

    # -- the class code

    def class_code(self, now: datetime) -> dict[str, Any] | None:
        """The code trainees join with now (None: none, or it has expired)."""
        t = _schema.class_codes
        with self._read() as conn:
            row = conn.execute(select(t).where(t.c.expires_wall > wall_text(now))
                               .order_by(t.c.created_wall.desc()).limit(1)).first()  # fmt: skip
        return None if row is None else {"code": row.code, "expires_at": row.expires_wall,
                                         "created_at": row.created_wall}  # fmt: skip

    def new_class_code(self, code: str, created_by: int | None, now: datetime,
                       expires: datetime) -> None:  # fmt: skip
        """Make ``code`` the class code until ``expires``; earlier codes stop working."""
        t = _schema.class_codes
        with self._write() as conn:
            conn.execute(delete(t))
            conn.execute(insert(t).values(code=code, created_by=created_by,
                                          created_wall=wall_text(now),
                                          expires_wall=wall_text(expires)))  # fmt: skip

    # -- chairs

    def chair_assignments(self) -> dict[str, dict[str, Any]]:
        """bed id -> ``{"user_id", "name"}`` of the trainee looking after it."""
        a, u = _schema.chair_assignments, _schema.users
        with self._read() as conn:
            rows = conn.execute(select(a.c.bed_id, u.c.id, u.c.name)
                                .join(u, u.c.id == a.c.user_id))  # fmt: skip
            return {r.bed_id: {"user_id": int(r.id), "name": r.name} for r in rows}

    def chair_user(self, bed_id: str) -> tuple[int, str] | None:
        a, u = _schema.chair_assignments, _schema.users
        with self._read() as conn:
            row = conn.execute(select(u.c.id, u.c.name).join(a, u.c.id == a.c.user_id)
                               .where(a.c.bed_id == str(bed_id))).first()  # fmt: skip
        return None if row is None else (int(row.id), row.name)

    def assign_chair(self, bed_id: str, user_id: int | None, by_user_id: int | None,
                     now: datetime) -> None:  # fmt: skip
        """Give chair ``bed_id`` to ``user_id`` (None: to nobody)."""
        a = _schema.chair_assignments
        try:
            with self._write() as conn:
                conn.execute(delete(a).where(a.c.bed_id == str(bed_id)))
                if user_id is not None:
                    conn.execute(insert(a).values(bed_id=str(bed_id), user_id=int(user_id),
                                                  assigned_by=by_user_id,
                                                  assigned_wall=wall_text(now)))  # fmt: skip
        except IntegrityError:
            raise ValueError(f"no user {user_id}") from None

    # -- secrets

    def secret(self, name: str) -> bytes:
        """A random secret kept in the database (created on first use), so that every
        process serving this clinic, and the next run, signs with the same key."""
        t = _schema.app_secrets
        with self._read() as conn:
            found = conn.execute(select(t.c.value).where(t.c.name == name)).scalar()
        if found is not None:
            return bytes(found)
        try:
            with self._write() as conn:
                conn.execute(insert(t).values(name=name, value=secrets.token_bytes(SECRET_BYTES)))
        except (IntegrityError, SQLAlchemyError):
            pass  # another process made it first: read theirs
        with self._read() as conn:
            return bytes(conn.execute(select(t.c.value).where(t.c.name == name)).scalar_one())


def _utcnow() -> datetime:
    return datetime.now(UTC)

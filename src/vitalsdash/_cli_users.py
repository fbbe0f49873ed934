"""``vitalsdash users``: accounts in the clinic's database (add, list, remove, password).

A password is never an argument (it would sit in the shell's history and in ``ps``): it
is read from standard input when that is not a terminal (``printf '%s\\n' "$PW" |
vitalsdash users add ...``, the first line), else asked for twice without echo.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Callable

from vitalsdash.errors import VitalsdashError

__all__ = ["add_users_command"]

ROLES_WITH_PASSWORD = ("instructor", "observer", "trainee")


class _UsersError(VitalsdashError):
    pass


def _store(args: argparse.Namespace):
    from vitalsdash.server import DEFAULT_DB
    from vitalsdash.store import Store

    return Store(args.db or str(DEFAULT_DB))


def read_password(stdin=None, prompt: Callable[[str], str] = getpass.getpass) -> str:
    """The new password: the first line of a piped standard input, or typed twice."""
    from vitalsdash.access import MIN_PASSWORD_CHARS

    stream = stdin or sys.stdin
    if not stream.isatty():
        line = stream.readline()
        password = line[:-1] if line.endswith("\n") else line
        password = password[:-1] if password.endswith("\r") else password
        if not password:
            raise _UsersError("no password on standard input (give it as the first line)")
    else:
        password = prompt(f"Password (at least {MIN_PASSWORD_CHARS} characters): ")
        if prompt("Password again: ") != password:
            raise _UsersError("the two passwords differ; nothing was changed")
    return password


def _hash(password: str) -> str:
    from vitalsdash.access import hash_password

    try:
        return hash_password(password)
    except ValueError as exc:
        raise _UsersError(f"password not accepted: {exc}") from None


def _add(args: argparse.Namespace) -> int:
    from vitalsdash.access import check_user_name
    from vitalsdash.store import UserExistsError

    try:
        name = check_user_name(args.name)
    except ValueError as exc:
        raise _UsersError(f"name not accepted: {exc}") from None
    with _store(args) as store:
        if store.user_by_name(name) is not None:
            raise _UsersError(f"there is already a user called {name!r} (vitalsdash users "
                           "password NAME sets a new password)")  # fmt: skip
        hashed = _hash(read_password())
        try:
            store.add_user(name, args.role, hashed)
        except UserExistsError as exc:
            raise _UsersError(str(exc)) from None
    print(f"added {name} ({args.role})")
    return 0


def _list(args: argparse.Namespace) -> int:
    with _store(args) as store:
        rows = store.users()
    if not rows:
        print("no accounts (the open demo needs none; classrooms need an instructor)")
    for row in rows:
        how = "password" if row["password_hash"] else "class code"
        print(f"{row['name']}\t{row['role']}\t{how}\tsince {row['created_at'][:10]}")
    return 0


def _remove(args: argparse.Namespace) -> int:
    with _store(args) as store:
        if not store.remove_user(args.name):
            raise _UsersError(f"no user called {args.name!r}")
    print(f"removed {args.name} (their actions keep their name)")
    return 0


def _password(args: argparse.Namespace) -> int:
    with _store(args) as store:
        row = store.user_by_name(args.name)
        if row is None:
            raise _UsersError(f"no user called {args.name!r}")
        store.set_password(row["id"], _hash(read_password()))
        revoked = store.revoke_tokens(row["id"])
        signed_out = store.end_sign_ins(row["id"])
    done = [f"{revoked} API token(s) revoked"] if revoked else []
    done += [f"signed out of {signed_out} browser(s)"] if signed_out else []
    print("; ".join([f"new password for {row['name']}", *done]))
    return 0


def _run(func: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    def run(args: argparse.Namespace) -> int:
        from vitalsdash.store import StoreError

        try:
            return func(args)
        except (_UsersError, StoreError) as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2

    return run


def add_users_command(sub: argparse._SubParsersAction) -> None:
    users = sub.add_parser("users", help="accounts for logins (instructors, observers, trainees)")
    usub = users.add_subparsers(dest="users_command", required=True, metavar="COMMAND")
    db_help = "SQLite path or database URL (default: var/vitalsdash.sqlite)"
    add = usub.add_parser("add", help="add an account; the password comes from standard input")
    add.add_argument("name")
    add.add_argument("--role", required=True, choices=ROLES_WITH_PASSWORD)
    add.add_argument("--db", help=db_help)
    add.set_defaults(func=_run(_add))
    ls = usub.add_parser("list", help="list the accounts")
    ls.add_argument("--db", help=db_help)
    ls.set_defaults(func=_run(_list))
    rm = usub.add_parser("remove", help="remove an account (and its API tokens)")
    rm.add_argument("name")
    rm.add_argument("--db", help=db_help)
    rm.set_defaults(func=_run(_remove))
    pw = usub.add_parser("password", help="set a new password (revokes the API tokens)")
    pw.add_argument("name")
    pw.add_argument("--db", help=db_help)
    pw.set_defaults(func=_run(_password))

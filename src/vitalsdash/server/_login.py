"""Signing in: Flask-Login sessions for browsers, bearer tokens for scripts, rate limits.

- ``/login``: instructors and observers (and trainees with an account) with their
  password; ``/join``: trainees with the class code the instructor shows and their name;
  ``/logout`` (POST). Flask-Login keeps the signed-in person's id in Flask's signed
  session cookie (HttpOnly, SameSite=Lax; Secure when the clinic says it is served over
  HTTPS), signed with a key kept in the database so every process and the next run
  accept it.
- ``POST /api/token`` with ``{"name", "password"}`` or ``{"class_code", "name"}``
  answers ``{"token": ...}``; requests then send ``Authorization: Bearer TOKEN``
  (Flask-Login's request loader). The database keeps only the token's SHA-256.
- Failed attempts are rate-limited by Flask-Limiter, per address and per name, so a
  password cannot be guessed at the server's speed; a refused attempt says how long to
  wait. One process (``vitalsdash run``) counts in its memory; the web tier's workers
  (``vitalsdash web``) count in its Redis, so N workers do not allow N times the limit.
  While that Redis is down each worker counts in its own memory again: signing in goes
  on, limited per worker, rather than failing (docs/security.md).
"""

from __future__ import annotations

import functools
import logging
import secrets
import time
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any

from flask import Flask, Response, jsonify, redirect, render_template_string, request
from flask_limiter import Limiter, RateLimitExceeded
from flask_limiter.util import get_remote_address
from flask_login import LoginManager, UserMixin, current_user, login_user, logout_user

from vitalsdash.access import (
    MAX_PASSWORD_CHARS,
    OPEN_DEMO,
    Principal,
    Role,
    check_user_name,
    hash_password,
    new_token,
    read_class_code,
    token_digest,
    verify_password,
)
from vitalsdash.principal import AccessPolicy
from vitalsdash.runtime import Runtime
from vitalsdash.server._access import safe_next
from vitalsdash.store import UserExistsError, name_key

__all__ = ["SESSION_HOURS", "install_login", "limiter_storage"]

log = logging.getLogger(__name__)
SESSION_HOURS = 12
"""A signed-in browser stays signed in for a teaching day."""
FAILED_PER_ADDRESS = "10 per minute"
FAILED_PER_NAME = "5 per minute"
MAX_FIELD_CHARS = 200
LIMITS_KEY_PREFIX = "vitalsdash:sign-in"
"""The failure counts' keys in the web tier's Redis, apart from the bus's."""
LIMITS_REDIS_TIMEOUT_S = 1.0
"""A sign-in waits this long at most for a Redis that hangs before counting in memory."""


@dataclass(frozen=True)
class Account(UserMixin):
    """The signed-in person as Flask-Login holds them; ``sign_in``: the secret of a
    browser's sign-in (the store keeps its digest until the browser signs out)."""

    user_id: int
    name: str
    role: str
    sign_in: str = ""

    def get_id(self) -> str:
        return f"{self.user_id}:{self.sign_in}"

    @property
    def principal(self) -> Principal:
        return Principal(self.user_id, self.name, Role(self.role))


def _account(row: dict[str, Any] | None) -> Account | None:
    if row is None or row["role"] not in {r.value for r in Role}:
        return None
    return Account(int(row["id"]), row["name"], row["role"])


class RecentAccounts:
    """Accounts read in the last few seconds, by user id or token digest: every request
    of a signed-in page asks who it is, and a database read each time cost ~0.7 ms of the
    ~1.5 ms a bedside poll takes (benchmarks/bench_access.py). A removed account or a
    revoked token stops working within ``TTL_S``."""

    TTL_S = 5.0
    MAX_ENTRIES = 4096

    def __init__(self, clock: Any = time.monotonic) -> None:
        self._clock = clock
        self._seen: dict[str, tuple[float, Account | None]] = {}

    def forget(self, key: str) -> None:
        self._seen.pop(key, None)

    def get(self, key: str, read: Any) -> Account | None:
        now = self._clock()
        hit = self._seen.get(key)
        if hit is not None and hit[0] > now:
            return hit[1]
        account = read()
        if len(self._seen) >= self.MAX_ENTRIES:
            self._seen.clear()  # guessed tokens cannot grow it without bound
        self._seen[key] = (now + self.TTL_S, account)
        return account


class SignInError(Exception):
    """A refused sign-in, in words the person can act on."""

    def __init__(self, words: str, status: int = 401) -> None:
        super().__init__(words)
        self.words = words
        self.status = status


def check_password_sign_in(runtime: Runtime, name: Any, password: Any) -> Account:
    if not isinstance(name, str) or not isinstance(password, str) or not name.strip():
        raise SignInError("Give your name and your password.", 400)
    if len(name) > MAX_FIELD_CHARS or len(password) > MAX_PASSWORD_CHARS:
        raise SignInError("That name and password do not match an account.")
    row = runtime.store.user_by_name(name)
    if row is None or not row["password_hash"]:
        verify_password(_dummy_hash(), password)  # the same time whether the name exists
        raise SignInError("That name and password do not match an account.")
    if not verify_password(row["password_hash"], password):
        raise SignInError("That name and password do not match an account.")
    account = _account(row)
    if account is None:
        raise SignInError("That account has no role this server knows.", 403)
    return account


def check_class_sign_in(runtime: Runtime, code: Any, name: Any) -> Account:
    """A trainee joining with the class code: their account is made on first join and
    found again by name afterwards (their results follow them)."""
    if not isinstance(code, str) or not isinstance(name, str):
        raise SignInError("Give the class code and your name.", 400)
    try:
        clean = check_user_name(name)
    except ValueError as exc:
        raise SignInError(f"Your name {exc}.", 400) from None
    active = runtime.store.class_code(runtime.wall())
    if active is None or read_class_code(code) != active["code"]:
        raise SignInError("That class code is not valid now: check it on the projector, "
                          "or ask the instructor for a new one.")  # fmt: skip
    row = runtime.store.user_by_name(clean)
    if row is None:
        try:
            uid = runtime.store.add_user(clean, Role.TRAINEE.value)
        except UserExistsError:  # someone joined with the name a moment ago
            row = runtime.store.user_by_name(clean)
        else:
            return Account(uid, clean, Role.TRAINEE.value)
    if row is None or row["role"] != Role.TRAINEE.value or row["password_hash"]:
        raise SignInError(f"{clean} has an account with a password: sign in on the "
                          "sign-in page instead.", 409)  # fmt: skip
    return Account(int(row["id"]), row["name"], row["role"])


@functools.cache
def _dummy_hash() -> str:
    """A real hash to check unknown names against, so an answer takes as long whether
    the name exists or not."""
    return hash_password(secrets.token_urlsafe(16))


def limiter_storage(redis_url: str | None) -> tuple[str, dict[str, Any]]:
    """Where Flask-Limiter counts failed sign-ins, and its options: this process's memory
    without ``redis_url``; else that Redis, shared by every worker, falling back to each
    worker's memory while it does not answer (and back to Redis once it does: the
    limiter tries it again, waiting 1, 2, 4 ... 32 s between tries).

    ``swallow_errors`` covers the one case the fallback does not: Redis failing between a
    request's check and its count. That failure is logged and not counted, instead of
    turning a sign-in into a server error."""
    if redis_url is None:
        return "memory://", {}
    scheme, sep, rest = redis_url.partition("://")
    uri = f"redis+unix{sep}{rest}" if scheme == "unix" else redis_url  # limits' name for it
    options = {"key_prefix": LIMITS_KEY_PREFIX, "socket_timeout": LIMITS_REDIS_TIMEOUT_S,
               "socket_connect_timeout": LIMITS_REDIS_TIMEOUT_S}  # fmt: skip
    return uri, {"storage_options": options, "in_memory_fallback_enabled": True,
                 "swallow_errors": True}  # fmt: skip


def install_login(app: Flask, runtime: Runtime, policy: AccessPolicy,
                  *, cookie_secure: bool = False, limits_redis: str | None = None
                  ) -> LoginManager:  # fmt: skip
    """Sessions, the sign-in pages, the token route and their rate limits on ``app``
    (counted in ``limits_redis``, the web tier's Redis, when given: ``limiter_storage``)."""
    app.secret_key = runtime.store.secret("session-cookie")
    app.config.update(
        SESSION_COOKIE_NAME="vitalsdash_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=cookie_secure,
        PERMANENT_SESSION_LIFETIME=timedelta(hours=SESSION_HOURS),
        # the cookie is set when signing in and out only: a response to a request sent
        # before the sign-out, arriving after it, must not put the old cookie back
        SESSION_REFRESH_EACH_REQUEST=False,
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_SECURE=cookie_secure,
    )
    manager = LoginManager(app)
    manager.session_protection = "basic"

    recent = RecentAccounts()

    @manager.user_loader
    def _load(ident: str) -> Account | None:
        """The person of a sign-in that has not ended (one from before sign-ins were kept,
        a bare user id, is not one: that browser signs in again)."""
        user_id, _, secret = ident.partition(":")
        if not user_id.isdigit() or len(user_id) > 18 or not 0 < len(secret) <= 100:
            return None
        digest = token_digest(secret)
        account = recent.get(f"sign-in:{digest}", lambda: _account(
            runtime.store.user_for_sign_in(digest, runtime.wall())))  # fmt: skip
        if account is None or str(account.user_id) != user_id:
            return None
        return replace(account, sign_in=secret)

    @manager.request_loader
    def _bearer(req: Any) -> Account | None:
        header = req.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip() or len(token) > 200:
            return None
        digest = token_digest(token.strip())
        return recent.get(f"token:{digest}",
                          lambda: _account(runtime.store.user_for_token(digest)))  # fmt: skip

    storage_uri, shared = limiter_storage(limits_redis)
    limiter = Limiter(get_remote_address, app=app, default_limits=[], headers_enabled=True,
                      storage_uri=storage_uri, **shared)  # fmt: skip

    def failed(response: Response) -> bool:
        return response.status_code in (400, 401, 409)

    def name_field() -> str:
        body = request.get_json(silent=True) if request.is_json else None
        name = (body or {}).get("name") if isinstance(body, dict) else request.form.get("name")
        return "name:" + name_key(name if isinstance(name, str) else "")[:MAX_FIELD_CHARS]

    per_address = limiter.limit(FAILED_PER_ADDRESS, methods=["POST"], deduct_when=failed)
    per_name = limiter.limit(FAILED_PER_NAME, key_func=name_field, methods=["POST"],
                             deduct_when=failed)  # fmt: skip

    def sign_in(account: Account) -> None:
        from flask import session

        secret, digest = new_token()
        now = runtime.wall()
        runtime.store.add_sign_in(account.user_id, digest, now,
                                  now + timedelta(hours=SESSION_HOURS))  # fmt: skip
        session.permanent = True
        login_user(replace(account, sign_in=secret))

    def login_page() -> Any:
        if not policy.require_login:
            return _page(LOGIN_OPEN, "Sign in")
        target = request.values.get("next", "/")
        target = target if safe_next(target) else "/"
        if request.method == "GET":
            return _page(LOGIN_FORM, "Sign in", next=target)
        try:
            account = check_password_sign_in(runtime, request.form.get("name"),
                                              request.form.get("password"))  # fmt: skip
        except SignInError as exc:
            return _page(LOGIN_FORM, "Sign in", next=target, error=exc.words,
                         name=request.form.get("name", "")[:64]), exc.status  # fmt: skip
        sign_in(account)
        return redirect(target, code=303)

    def join_page() -> Any:
        if not policy.require_login:
            return _page(LOGIN_OPEN, "Join the class")
        if request.method == "GET":
            return _page(JOIN_FORM, "Join the class")
        try:
            account = check_class_sign_in(runtime, request.form.get("class_code"),
                                          request.form.get("name"))  # fmt: skip
        except SignInError as exc:
            return _page(JOIN_FORM, "Join the class", error=exc.words,
                         name=request.form.get("name", "")[:64]), exc.status  # fmt: skip
        sign_in(account)
        return redirect("/", code=303)

    def logout() -> Any:
        """The sign-in ends on the server too: the cookie, wherever a copy of it is, no
        longer signs anyone in (other web workers may accept it for ``TTL_S`` more)."""
        secret = getattr(current_user, "sign_in", "")
        if secret:
            digest = token_digest(secret)
            recent.forget(f"sign-in:{digest}")
            try:
                runtime.store.end_sign_in(digest)
            except Exception as exc:  # the browser is signed out all the same
                log.warning("signing out: the store did not answer (%s); the sign-in "
                            "ends when it expires", exc)  # fmt: skip
        logout_user()
        return redirect("/login" if policy.require_login else "/", code=303)

    def token() -> Any:
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            return _json_error("bad_json", 'send JSON {"name": ..., "password": ...} or '
                               '{"class_code": ..., "name": ...}', 400)  # fmt: skip
        try:
            if "class_code" in body:
                account = check_class_sign_in(runtime, body.get("class_code"), body.get("name"))
            else:
                account = check_password_sign_in(runtime, body.get("name"), body.get("password"))
        except SignInError as exc:
            return _json_error("unauthorized" if exc.status == 401 else "bad_credentials",
                               exc.words, exc.status)  # fmt: skip
        secret, digest = new_token()
        runtime.store.add_token(account.user_id, digest, runtime.wall())
        return jsonify({"token": secret, "name": account.name, "role": account.role})

    app.add_url_rule("/login", "login", per_name(per_address(login_page)),
                     methods=["GET", "POST"])  # fmt: skip
    app.add_url_rule("/join", "join", per_name(per_address(join_page)), methods=["GET", "POST"])
    app.add_url_rule("/logout", "logout", logout, methods=["POST"])
    app.add_url_rule("/api/token", "api_token", per_name(per_address(token)), methods=["POST"])

    @app.errorhandler(RateLimitExceeded)
    def _too_many(exc: RateLimitExceeded) -> Any:
        words = ("Too many attempts that failed: wait a minute, then try again "
                 f"(at most {exc.limit.limit}).")  # fmt: skip
        if request.path.startswith("/api"):
            response = _json_error("too_many_attempts", words, 429)
        else:
            template = JOIN_FORM if request.path.startswith("/join") else LOGIN_FORM
            response = Response(_page(template, "Sign in", error=words, next="/"), 429,
                                mimetype="text/html")  # fmt: skip
        response.headers["Retry-After"] = "60"
        return response

    return manager


def _json_error(code: str, message: str, status: int) -> Response:
    response = jsonify({"error": code, "message": message})
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    return response


def _page(body: str, title: str, **values: Any) -> str:
    return render_template_string(PAGE, title=title, body=render_template_string(body, **values),
                                  demo=OPEN_DEMO.name)  # fmt: skip


PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ title }} · vitalsdash</title>
<link rel="icon" href="/_favicon.ico">
<link rel="stylesheet" href="/assets/vendor/bootstrap-cyborg.min.css">
<link rel="stylesheet" href="/assets/monitor.css">
<link rel="stylesheet" href="/assets/console.css">
</head><body class="access-page"><main class="access-box">
<h1>vitalsdash</h1>
{{ body|safe }}
<p class="notice">Training tool — not a medical device</p>
</main></body></html>"""

LOGIN_FORM = """<h2>Sign in</h2>
{% if error %}<p class="access-error" role="alert">{{ error }}</p>{% endif %}
<form method="post" action="/login" class="access-form">
<input type="hidden" name="next" value="{{ next }}">
<label>Name <input name="name" autocomplete="username" required maxlength="64"
 value="{{ name or '' }}" autofocus></label>
<label>Password <input name="password" type="password" autocomplete="current-password"
 required></label>
<button type="submit" class="btn btn-primary">Sign in</button>
</form>
<p>Trainee? <a href="/join">Join the class with the class code</a>.</p>"""

JOIN_FORM = """<h2>Join the class</h2>
{% if error %}<p class="access-error" role="alert">{{ error }}</p>{% endif %}
<form method="post" action="/join" class="access-form">
<label>Class code <input name="class_code" required maxlength="16" autocomplete="off"
 autocapitalize="characters" autofocus></label>
<label>Your name <input name="name" required maxlength="64" autocomplete="name"
 value="{{ name or '' }}"></label>
<button type="submit" class="btn btn-primary">Join</button>
</form>
<p>The instructor shows the class code on the class page. Instructors and observers
<a href="/login">sign in with their password</a>.</p>"""

LOGIN_OPEN = """<h2>No sign-in needed</h2>
<p>This is an open demo on this computer: logins are off, and whoever uses it is both
instructor and trainee. <a href="/">Open the central station</a>.</p>"""

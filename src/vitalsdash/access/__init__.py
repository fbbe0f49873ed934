"""Who may do what in a class: roles, the person behind a request, and their secrets.

Domain code: no web framework here, so the runtime, the API and the pages all ask the
same questions of the same table.

- ``_roles``: the roles, the :class:`Principal` (the person acting, or the open demo's
  one person at the computer) and :class:`AccessDenied`;
- ``_matrix``: every action kind and page capability with the roles allowed, the
  capability each page address needs, and refusals in the nurse's words;
- ``_secrets``: password hashes (argon2), API tokens (kept as digests), class codes;
- ``_names``: people's names as they sign up.
"""

from vitalsdash.access._matrix import (
    ACTION_ROLES,
    CAPABILITY_ROLES,
    allowed,
    chair_refusal,
    page_capability,
    refusal,
)
from vitalsdash.access._names import MAX_USER_NAME_CHARS, check_user_name
from vitalsdash.access._roles import OPEN_DEMO, AccessDenied, Principal, Role
from vitalsdash.access._secrets import (
    CLASS_CODE_ALPHABET,
    CLASS_CODE_CHARS,
    MAX_PASSWORD_CHARS,
    MIN_PASSWORD_CHARS,
    hash_password,
    new_class_code,
    new_token,
    read_class_code,
    token_digest,
    verify_password,
)

__all__ = [
    "ACTION_ROLES",
    "CAPABILITY_ROLES",
    "CLASS_CODE_ALPHABET",
    "CLASS_CODE_CHARS",
    "MAX_PASSWORD_CHARS",
    "MAX_USER_NAME_CHARS",
    "MIN_PASSWORD_CHARS",
    "OPEN_DEMO",
    "AccessDenied",
    "Principal",
    "Role",
    "allowed",
    "chair_refusal",
    "check_user_name",
    "hash_password",
    "new_class_code",
    "new_token",
    "page_capability",
    "read_class_code",
    "refusal",
    "token_digest",
    "verify_password",
]

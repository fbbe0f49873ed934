"""Which HL7 senders may become chairs, and what the new chairs are called.

A sender the clinic file does not name gets a chair of its own (``unknown_hl7_sources =
"create"``), but a sender's PV1-3 is untrusted text: a feed of random locations must not
fill the central station, and a location must not impersonate a chair or carry control
characters into the pages. So new chairs are rate-limited (``hl7_new_beds_per_min`` in
any 60 s, ``hl7_max_new_beds`` per process), labels are cleaned and made unique, and bed
ids are ASCII whatever the location's script.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections import deque
from collections.abc import Callable, Iterable

from vitalsdash.adapters.hl7 import Hl7Error

LABEL_MAX = 40
"""Characters of a chair label taken from a sender's key."""
BED_ID_MAX = 32  # config.BedConfig.id's pattern
SENDER_KEY_MAX = 200  # the store's hl7_received.sender column
_HL7_DELIMITERS = "|^~\\&"
_SPACES = re.compile(r"\s+")
_NOT_ID = re.compile(r"[^A-Za-z0-9_-]+")


def clean_label(key: str, limit: int = LABEL_MAX) -> str:
    """``key`` as a chair label: no control or format characters, no HL7 delimiters
    (each becomes a space), whitespace collapsed, at most ``limit`` characters."""
    out = []
    for c in unicodedata.normalize("NFC", key):
        if c in _HL7_DELIMITERS or unicodedata.category(c)[0] in ("C", "Z"):
            out.append(" ")
        else:
            out.append(c)
    text = _SPACES.sub(" ", "".join(out)).strip()
    return text[:limit].rstrip() or "HL7 device"


def unique_label(label: str, taken: Iterable[str], limit: int = LABEL_MAX) -> str:
    """``label``, or ``label (HL7)``, ``label (HL7 2)``... : none of ``taken``
    (compared without case), so a sender never makes a second "Chair 1" tile."""
    used = {t.casefold() for t in taken}
    if label.casefold() not in used:
        return label
    n = 1
    while True:
        suffix = " (HL7)" if n == 1 else f" (HL7 {n})"
        candidate = label[: limit - len(suffix)].rstrip() + suffix
        if candidate.casefold() not in used:
            return candidate
        n += 1


def bed_id_for(key: str, taken: Iterable[str]) -> str:
    """A bed id from a sender's key: ASCII letters, digits, - and _ (accents dropped,
    other characters as -), at most 32 characters, unique among ``taken``."""
    ascii_key = unicodedata.normalize("NFKD", key).encode("ascii", "ignore").decode("ascii")
    base = _NOT_ID.sub("-", ascii_key).strip("-_")[:26].strip("-_") or "hl7"
    used = set(taken)
    bed_id, n = base, 2
    while bed_id in used:
        bed_id, n = f"{base}-{n}", n + 1
    return bed_id[:BED_ID_MAX]


def sender_key(key: str) -> str:
    """The key under which a sender's message ids are kept (the store's column is 200
    characters): the key itself, or a prefix with a hash of the whole when longer."""
    if len(key) <= SENDER_KEY_MAX:
        return key
    digest = hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:32]
    return f"{key[: SENDER_KEY_MAX - 33]}#{digest}"


class Admission:
    """The caps on chairs created for unknown senders: ``per_min`` in any 60 s of
    ``now()`` (a monotonic clock) and ``total`` for the life of the process."""

    def __init__(self, per_min: int, total: int, now: Callable[[], float]) -> None:
        self.per_min, self.total = int(per_min), int(total)
        self.now = now
        self.created = 0
        self.refused = 0
        self._recent: deque[float] = deque()

    def check(self, key: str) -> None:
        """Raise Hl7Error (AR) if a new chair for ``key`` would pass a cap."""
        now = self.now()
        while self._recent and now - self._recent[0] >= 60.0:
            self._recent.popleft()
        if self.created >= self.total:
            self.refused += 1
            raise Hl7Error("AR", f"unknown sender {key[:60]!r} refused: HL7 senders have "
                           f"already created {self.created} chairs, the limit "
                           f"(hl7_max_new_beds) is {self.total}; name the device in the "
                           "clinic file", "PV1-3", kind="sender_cap", err_code=204)  # fmt: skip
        if len(self._recent) >= self.per_min:
            wait = 60.0 - (now - self._recent[0])
            self.refused += 1
            raise Hl7Error("AR", f"unknown sender {key[:60]!r} refused for now: "
                           f"{len(self._recent)} chairs were created for HL7 senders in the "
                           f"last minute, the limit (hl7_new_beds_per_min) is {self.per_min}; "
                           f"try again in {max(1, round(wait))} s", "PV1-3",
                           kind="sender_rate", err_code=204)  # fmt: skip

    def record(self) -> None:
        self.created += 1
        self._recent.append(self.now())

"""The one error of the report package, shared by the PDF print and the exports.

Its own module so that exporting a table does not depend on the code that drives
Chromium, and the other way round.
"""

from __future__ import annotations

from vitalsdash.errors import VitalsdashError


class ReportError(VitalsdashError, RuntimeError):
    """The report or export could not be made (no Chromium, a failed print, a bad table)."""

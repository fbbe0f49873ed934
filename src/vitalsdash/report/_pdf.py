"""The report as PDF: the HTML report printed by headless Chromium.

Debian's Chromium, run offline with flags that keep it from reaching the network, prints
the page with the report's own print stylesheet (A4 landscape) and without the browser's
header and footer. No Chromium means a clear :class:`ReportError`, never a silent HTML-only
result.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from vitalsdash.report._errors import ReportError

CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser")
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
)
"""Flags that keep Chromium quiet offline (docs dash-notes.md)."""


def chromium_path() -> str | None:
    """Debian's Chromium, if installed."""
    for candidate in CHROMIUM_CANDIDATES:
        if Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return candidate
    return shutil.which("chromium")


def render_pdf(
    html_path: str | Path,
    pdf_path: str | Path,
    *,
    chromium: str | None = None,
    timeout_s: float = 120.0,
) -> Path:
    """Print an HTML file to PDF with headless Chromium (offline flags, no header/footer)."""
    exe = chromium or chromium_path()
    if exe is None:
        raise ReportError(
            "--pdf needs Chromium, which is not installed (looked for /usr/bin/chromium): "
            "install Debian's 'chromium' package, or open the HTML report and print it"
        )
    src, out = Path(html_path).resolve(), Path(pdf_path).resolve()
    out.unlink(missing_ok=True)  # never mistake an old file for a fresh print
    with tempfile.TemporaryDirectory(prefix="vitalsdash-pdf-") as profile:
        cmd = [
            exe,
            *CHROMIUM_FLAGS,
            f"--user-data-dir={profile}",
            "--no-pdf-header-footer",
            "--print-to-pdf-no-header",
            "--virtual-time-budget=5000",
            f"--print-to-pdf={out}",
            src.as_uri(),
        ]
        try:
            proc = subprocess.run(
                cmd, capture_output=True, text=True, timeout=timeout_s, check=False
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise ReportError(f"Chromium could not print {src.name} to PDF: {exc}") from None
    if proc.returncode != 0 or not out.is_file() or out.stat().st_size == 0:
        tail = (proc.stderr or "").strip().splitlines()[-1:] or ["no output"]
        raise ReportError(
            f"Chromium could not print {src.name} to PDF (exit {proc.returncode}): {tail[0]}"
        )
    return Path(pdf_path)

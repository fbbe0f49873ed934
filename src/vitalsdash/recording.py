"""Read recordings in the ``vitalsim run`` format (long CSV or Parquet), checked row by row.

Recordings come from files people pass on the command line, so a bad one must produce
one clear error naming the file, the row or column and the reason, not a traceback.
The replay adapter and ``vitalsdash alarms replay`` share this reader.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from vitalsdash.errors import VitalsdashError
from vitalsdash.model import Channel, Quality

__all__ = [
    "EVENT_COLUMNS",
    "OPTIONAL",
    "REQUIRED",
    "RecordingError",
    "events_path",
    "read_events",
    "read_recording",
]

REQUIRED = ("t", "channel", "value", "quality")
OPTIONAL = ("true_value",)
EVENT_COLUMNS = ("t", "kind", "source", "detail")


class RecordingError(VitalsdashError, ValueError):
    """A recording (or its events sidecar) that cannot be used; ``str()`` says where and why."""

    def __init__(self, path: str | Path, where: str, reason: str):
        self.path = str(path)
        self.where = where
        self.reason = reason
        super().__init__(f"{self.path}: {where}: {reason}" if where else f"{self.path}: {reason}")


def _row_name(path: Path, index: int) -> str:
    """People count CSV lines with the header as line 1; Parquet rows from 1."""
    return f"line {index + 2}" if path.suffix.lower() == ".csv" else f"row {index + 1}"


def _read_table(path: Path) -> pd.DataFrame:
    suffix = path.suffix.lower()
    if not path.is_file():
        raise RecordingError(path, "", "no such file")
    try:
        if suffix == ".csv":
            return pd.read_csv(path, dtype={"channel": str, "quality": str}, keep_default_na=True)
        if suffix in (".parquet", ".pq"):
            return pd.read_parquet(path)
    except (OSError, ValueError, pd.errors.ParserError) as exc:
        raise RecordingError(path, "", f"cannot be read: {exc}") from None
    except Exception as exc:  # pyarrow raises its own types for corrupt files
        raise RecordingError(path, "", f"cannot be read: {exc}") from None
    raise RecordingError(path, "", f"unknown format {suffix!r} (use .csv or .parquet)")


def _numeric(df: pd.DataFrame, path: Path, col: str, allow_nan: bool) -> np.ndarray:
    raw = df[col]
    if pd.api.types.is_numeric_dtype(raw) and not pd.api.types.is_bool_dtype(raw):
        num = raw.astype("float64")
        bad = pd.Series(False, index=raw.index)
    else:  # some cells are not numbers: find the first one that is not empty
        num = pd.to_numeric(raw, errors="coerce").astype("float64")
        bad = num.isna() & raw.notna() & (raw.astype(str).str.strip() != "")
    if not allow_nan:
        bad |= num.isna()
    bad |= np.isinf(num)
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise RecordingError(
            path, f"{_row_name(path, i)}, column {col}", f"not a number: {raw.iloc[i]!r}"
        )
    return num.to_numpy()


def _allowed(df: pd.DataFrame, path: Path, col: str, allowed: set[str]) -> pd.Series:
    values = df[col].astype(str).str.strip()
    bad = ~values.isin(allowed) | df[col].isna()
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise RecordingError(
            path,
            f"{_row_name(path, i)}, column {col}",
            f"{df[col].iloc[i]!r} is not one of {', '.join(sorted(allowed))}",
        )
    return values


def read_recording(path: str | Path) -> pd.DataFrame:
    """Read and validate a recording; return columns t, channel, value, quality (+ true_value).

    ``t`` is float seconds, sorted; ``value`` is float with NaN where there is no value;
    ``channel`` and ``quality`` are the string values of Channel and Quality.
    """
    path = Path(path)
    df = _read_table(path)
    missing = [c for c in REQUIRED if c not in df.columns]
    if missing:
        raise RecordingError(path, "header", f"missing column(s): {', '.join(missing)}")
    t = _numeric(df, path, "t", allow_nan=False)
    if len(t) > 1:
        back = np.flatnonzero(np.diff(t) < 0)
        if back.size:
            i = int(back[0]) + 1
            raise RecordingError(
                path,
                f"{_row_name(path, i)}, column t",
                f"time goes backwards ({t[i]:g} after {t[i - 1]:g})",
            )
    out = pd.DataFrame(
        {
            "t": t,
            "channel": _allowed(df, path, "channel", {c.value for c in Channel}),
            "value": _numeric(df, path, "value", allow_nan=True),
            "quality": _allowed(df, path, "quality", {q.value for q in Quality}),
        }
    )
    for col in OPTIONAL:
        if col in df.columns:
            out[col] = _numeric(df, path, col, allow_nan=True)
    return out


def events_path(path: str | Path) -> Path:
    """The sidecar of ``X.csv`` is ``X.events.csv``, of ``X.parquet`` ``X.events.parquet``
    (as ``vitalsim run`` writes them); a Parquet recording with a CSV sidecar is read too."""
    path = Path(path)
    side = path.with_name(f"{path.stem}.events{path.suffix}")
    if path.suffix == ".parquet" and not side.is_file():
        return path.with_name(f"{path.stem}.events.csv")
    return side


def read_events(path: str | Path) -> pd.DataFrame | None:
    """The events sidecar of a recording (t, kind, source, detail), or None when absent."""
    side = events_path(path)
    if not side.is_file():
        return None
    try:
        if side.suffix == ".parquet":
            df = pd.read_parquet(side)
        else:
            df = pd.read_csv(side, dtype={"kind": str, "source": str, "detail": str})
    except (OSError, ValueError, pd.errors.ParserError) as exc:
        raise RecordingError(side, "", f"cannot be read: {exc}") from None
    missing = [c for c in ("t", "kind") if c not in df.columns]
    if missing:
        raise RecordingError(side, "header", f"missing column(s): {', '.join(missing)}")
    t = _numeric(df, side, "t", allow_nan=False)
    return pd.DataFrame(
        {
            "t": t,
            "kind": df["kind"].fillna("").astype(str),
            "source": df["source"].fillna("").astype(str) if "source" in df else "",
            "detail": df["detail"].fillna("").astype(str) if "detail" in df else "",
        }
    )

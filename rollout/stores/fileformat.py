"""The progress file: progress.csv (text, YYYY-MM-DD dates) or progress.parquet (typed), read and written.

A file is read through one open file, so that one replaced meanwhile is read old or new, never mixed.
Every value is checked on reading: a value no save could have written (a percent its status does not
allow, a revision and seq out of step) means the file was changed outside the tool, and is reported,
through ``damaged(path, problem)``, the store's way of naming the backups to restore from.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from rollout import values
from rollout.progress import COLUMNS, EARLIER_COLUMNS, INT_COLUMNS, StoreError, text_of

Damaged = Callable[[Path, str], StoreError]
ARROW_SCHEMA = pa.schema(
    [
        ("task_id", pa.string()),
        ("status", pa.string()),
        ("percent", pa.int64()),
        ("owner", pa.string()),
        ("start", pa.date32()),
        ("due", pa.date32()),
        ("evidence", pa.string()),
        ("notes", pa.string()),
        ("updated_at", pa.string()),
        ("updated_by", pa.string()),
        ("verified_by", pa.string()),
        ("verified_at", pa.string()),
        ("revision", pa.int64()),
        ("seq", pa.int64()),
    ]
)
_HEADERS = tuple((",".join(c) + "\n").encode() for c in (COLUMNS, EARLIER_COLUMNS))


def no_rows() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=str) for c in COLUMNS})


def read_raw(path: Path, damaged: Damaged) -> pd.DataFrame:
    """A progress file as text columns; a foreign or unreadable file is reported as damaged."""
    try:
        if path.suffix == ".csv":
            frame = pd.read_csv(path, dtype=str, keep_default_na=False, na_filter=False, encoding="utf-8")
        else:
            with pa.OSFile(str(path)) as source:
                frame = pq.read_table(source).to_pandas()
    except FileNotFoundError:
        raise  # replaced or removed while read: the caller reads again
    except (ValueError, OSError, pa.ArrowException, UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise damaged(path, f"cannot be read as a progress file ({exc})") from None
    if list(frame.columns) == EARLIER_COLUMNS:  # written before verification was recorded
        frame = frame.reindex(columns=COLUMNS, fill_value="")
    if list(frame.columns) != COLUMNS:
        raise damaged(
            path,
            f"not a progress file of this tool: expected the columns {', '.join(COLUMNS)}, "
            f"found {', '.join(map(str, frame.columns)) or 'none'}",
        )
    for name in values.DATE_FIELDS:
        frame[name] = frame[name].map(lambda v: "" if v is None or v is pd.NaT or v != v else str(v)[:10])
    return frame.astype(str)


def typed(raw: pd.DataFrame, path: Path, damaged: Damaged) -> pd.DataFrame:
    """Text columns to typed ones, refusing any value a save could not have written."""
    frame = raw.copy()
    bad = []
    for name in INT_COLUMNS:
        numbers = pd.to_numeric(frame[name], errors="coerce")
        for i in frame.index[numbers.isna() | (numbers != numbers.round())][:3]:
            bad.append(f"row {i + 1}: {name} {frame.at[i, name]!r} is not a whole number")
        frame[name] = numbers.fillna(-1).astype("int64")
    for name in values.DATE_FIELDS:
        text = frame[name]
        parsed = pd.to_datetime(text.where(text != ""), format="%Y-%m-%d", errors="coerce")
        for i in frame.index[(text != "") & parsed.isna()][:3]:
            bad.append(f"row {i + 1}: {name} {text[i]!r} is not a date YYYY-MM-DD")
        frame[name] = parsed
    for i in frame.index[~frame["status"].isin(values.STATUSES)][:3]:
        bad.append(f"row {i + 1}: status {frame.at[i, 'status']!r} is not one of {', '.join(values.STATUSES)}")
    for i in frame.index[(frame["task_id"] == "") | frame["task_id"].duplicated()][:3]:
        bad.append(f"row {i + 1}: task_id {frame.at[i, 'task_id']!r} is empty or repeated")
    if bad:
        raise damaged(path, f"damaged: {'; '.join(bad[:5])}")
    impossible = _unsaveable(frame) if len(frame) else []
    if impossible:
        raise damaged(path, f"damaged: {'; '.join(impossible[:5])}; no save writes such values")
    return frame


_STATUSES = pd.Index(values.STATUSES)
_LOWEST = np.array([values.allowed_percent(s).start for s in values.STATUSES])
_HIGHEST = np.array([values.allowed_percent(s).stop - 1 for s in values.STATUSES])


def _unsaveable(frame: pd.DataFrame) -> list[str]:
    """Rows no save could have written: a percent its status does not allow, a revision and seq out of step
    (each save raises a task's revision by one and takes the next seq), due before start."""
    status, percent, revision, seq = (frame[c] for c in ("status", "percent", "revision", "seq"))
    at = _STATUSES.get_indexer(status)  # every status is known by now
    low, high = _LOWEST[at], _HIGHEST[at]
    checks = [
        ((percent < low) | (percent > high), lambda i: f"percent {percent[i]} with status {status[i]}, which takes {low[i]} to {high[i]}"),
        ((revision < 0) | (seq < 0), lambda i: f"revision {revision[i]} or seq {seq[i]} below 0"),
        ((revision == 0) != (seq == 0), lambda i: f"revision {revision[i]} with seq {seq[i]}"),
        (revision > seq, lambda i: f"revision {revision[i]} above seq {seq[i]}"),
        (frame["due"] < frame["start"], lambda i: f"due {frame.at[i, 'due']:%Y-%m-%d} before start {frame.at[i, 'start']:%Y-%m-%d}"),
    ]  # fmt: skip
    return [f"row {i + 1}: {say(i)}" for mask, say in checks for i in frame.index[mask][:3]]


def is_whole(path: Path) -> bool:
    """Cheaply: a CSV that starts with the header, ends with a line and closes every quote; a Parquet
    file whose footer reads with the progress columns (a file cut short loses its footer)."""
    try:
        if path.suffix == ".csv":
            data = path.read_bytes()
            return data.startswith(_HEADERS) and data.endswith(b"\n") and data.count(b'"') % 2 == 0
        return pq.read_schema(path).names in (COLUMNS, EARLIER_COLUMNS)
    except (OSError, pa.ArrowException):
        return False


def rows_of(frame: pd.DataFrame) -> dict[str, dict[str, Any]]:
    """Typed rows by task id, values as the rules take them (dates as dates, whole numbers as int)."""
    out = {}
    for record in frame[COLUMNS].to_dict("records"):
        for name in values.DATE_FIELDS:
            value = record[name]
            record[name] = None if pd.isna(value) else value.date()
        for name in INT_COLUMNS:
            record[name] = int(record[name])
        out[record["task_id"]] = record
    return out


def write(rows: list[dict[str, Any]], path: Path, fmt: str) -> None:
    frame = pd.DataFrame(rows, columns=COLUMNS)
    if fmt == "csv":
        for name in values.DATE_FIELDS:
            frame[name] = frame[name].map(text_of)
        frame.to_csv(path, index=False, encoding="utf-8", lineterminator="\n")
    else:
        pq.write_table(pa.Table.from_pandas(frame, schema=ARROW_SCHEMA, preserve_index=False), path)

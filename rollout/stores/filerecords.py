"""The assurance records as files beside progress: assessments.csv, findings.csv, decisions.csv (or .parquet).

Same conventions as progress: CSV read as text with no "NA" guessing, dates YYYY-MM-DD (date32 in
Parquet), an unreadable or foreign file reported with its name and never overwritten.
"""

from __future__ import annotations

from pathlib import Path
from typing import IO, Any

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from rollout.progress import StoreError
from rollout.records import Schema

INT_COLUMNS = ("revision", "seq")


def path_of(folder: Path, schema: Schema, fmt: str) -> Path:
    return folder / f"{schema.kind}.{fmt}"


def _arrow_schema(schema: Schema) -> pa.Schema:
    def kind(name: str) -> pa.DataType:
        if name in schema.dates:
            return pa.date32()
        if name in (*INT_COLUMNS, "stage"):
            return pa.int64()
        return pa.string()

    return pa.schema([(c, kind(c)) for c in schema.columns])


def read(path: Path, schema: Schema) -> pd.DataFrame:
    """The records of a file, typed; none when the file does not exist yet."""
    if not path.exists():
        return _typed(pd.DataFrame({c: pd.Series(dtype=str) for c in schema.columns}), schema)
    return parse(path, schema, str(path))


def parse(source: Path | IO[bytes], schema: Schema, where: str) -> pd.DataFrame:
    """Records from a file or a buffer: CSV as text, or Parquet, checked to be of this kind and typed."""
    try:
        if isinstance(source, Path) and source.suffix == ".parquet":
            frame = pq.read_table(source).to_pandas()
        else:
            frame = pd.read_csv(source, dtype=str, keep_default_na=False, na_filter=False, encoding="utf-8")
    except (ValueError, OSError, pa.ArrowException, UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise StoreError(f"{where}: cannot be read as {schema.kind} ({exc}); it was not changed") from None
    if list(frame.columns) != schema.columns:
        raise StoreError(
            f"{where}: not {schema.kind} of this tool: expected the columns {', '.join(schema.columns)}, "
            f"found {', '.join(map(str, frame.columns)) or 'none'}; it was not changed"
        )
    return _typed(frame, schema)


def last_seq(path: Path) -> int:
    """The seq of the file's last save, reading that column alone (0 without a file or a record)."""
    try:
        if path.suffix == ".csv":
            table = pacsv.read_csv(
                path,
                read_options=pacsv.ReadOptions(use_threads=False),  # a small file: threads cost more than they save
                convert_options=pacsv.ConvertOptions(include_columns=["seq"], column_types={"seq": pa.int64()}),
            )
        else:
            with pa.OSFile(str(path)) as source:
                table = pq.read_table(source, columns=["seq"])
    except FileNotFoundError:
        return 0
    except (pa.ArrowException, OSError) as exc:
        raise StoreError(f"{path}: cannot be read as a file of records ({exc}); it was not changed") from None
    return int(pc.max(table["seq"]).as_py() or 0)


def _typed(frame: pd.DataFrame, schema: Schema) -> pd.DataFrame:
    out = frame.copy()
    for name in schema.dates:
        text = out[name].map(lambda v: "" if v is None or v is pd.NaT or v != v else str(v)[:10])
        out[name] = pd.to_datetime(text.where(text != ""), format="%Y-%m-%d", errors="coerce")
    for name in (*INT_COLUMNS, *(["stage"] if "stage" in schema.fields else [])):
        out[name] = pd.to_numeric(out[name], errors="coerce").fillna(-1).astype("int64")
    return out


def rows(frame: pd.DataFrame, schema: Schema) -> dict[str, dict[str, Any]]:
    """Records by id, dates as date objects (as the rules take them)."""
    out = {}
    for record in frame[schema.columns].to_dict("records"):
        for name in schema.dates:
            record[name] = None if pd.isna(record[name]) else record[name].date()
        out[record["id"]] = record
    return out


def write(records: list[dict[str, Any]], path: Path, fmt: str, schema: Schema) -> None:
    frame = pd.DataFrame(records, columns=schema.columns)
    if fmt == "csv":
        for name in schema.dates:
            frame[name] = frame[name].map(lambda d: "" if d is None else d.isoformat())
        frame.to_csv(path, index=False, encoding="utf-8", lineterminator="\n")
    else:
        pq.write_table(pa.Table.from_pandas(frame, schema=_arrow_schema(schema), preserve_index=False), path)

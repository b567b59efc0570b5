"""The store: lossless formats, validation before writing, conflicts, locking, crashes and backups."""

from __future__ import annotations

import datetime as dt
import multiprocessing
import os
import subprocess
import sys
import textwrap
import threading
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pandas as pd
import pytest

from rollout.progress import ChangeError, ConflictError, StoreError
from rollout.stores import filehistory as hist
from rollout.stores import open_store
from rollout.stores.files import FileStore

TASKS = [f"P1.{i:03d}" for i in range(1, 241)]
AWKWARD = 'Ünïcødé, "quoted", commas;\nsecond line\r\nthird\tline'


def store(folder: Path, fmt: str = "csv") -> FileStore:
    s = FileStore(folder, TASKS)
    if fmt == "parquet":
        s.convert("parquet")
    return s


def rows(s: FileStore) -> pd.DataFrame:
    return s.load().progress.set_index("task_id")


@pytest.fixture(params=["csv", "parquet"])
def fmt(request) -> str:
    return request.param


def test_a_fresh_folder_is_csv_with_every_task_not_started(tmp_path):
    s = FileStore(tmp_path / "data", TASKS)
    snap = s.load()
    assert snap.format == "csv" and snap.seq == 0 and len(snap.progress) == len(TASKS)
    assert set(snap.progress["status"]) == {"not_started"} and set(snap.progress["revision"]) == {0}


def test_values_survive_a_round_trip_without_loss(kind, new_store):
    s = new_store(kind, TASKS)
    s.save({"P1.001": {"notes": AWKWARD, "owner": "NA", "evidence": "N/A", "start": "2026-01-05", "due": "2026-02-01",
                       "status": "in_progress", "percent": "40"},
            "P1.002": {"notes": "", "owner": "null", "status": "done"}}, None, by="Zoë", source="cli")  # fmt: skip
    got = rows(s)
    assert got.loc["P1.001", "notes"] == AWKWARD
    assert (got.loc["P1.001", "owner"], got.loc["P1.001", "evidence"], got.loc["P1.002", "owner"]) == (
        "NA",
        "N/A",
        "null",
    )
    assert got.loc["P1.001", "start"] == pd.Timestamp("2026-01-05") and pd.isna(got.loc["P1.002", "due"])
    assert got.loc["P1.001", "percent"] == 40 and got.loc["P1.002", "percent"] == 100
    assert got["percent"].dtype == "int64" and got["revision"].dtype == "int64"
    assert s.history().query("task_id == 'P1.001' and field == 'notes'")["new"].item() == AWKWARD


def test_convert_both_ways_changes_no_value_revision_timestamp_or_history_row(tmp_path):
    s = store(tmp_path)
    for i in range(3):
        s.save({"P1.001": {"notes": f"{AWKWARD} {i}", "percent": 10 * i + 5}}, None, by="a", source="cli")
    s.save({"P1.003": {"due": "2026-05-01", "owner": "NA"}}, None, by="b", source="ui")
    before, events = rows(s), s.history()
    assert "parquet" in s.convert("parquet")
    assert (
        s.format() == "parquet" and not (tmp_path / "progress.csv").exists() and not (tmp_path / "history.csv").exists()
    )
    pd.testing.assert_frame_equal(rows(s), before)
    pd.testing.assert_frame_equal(s.history(), events)
    s.convert("csv")
    pd.testing.assert_frame_equal(rows(s), before)
    pd.testing.assert_frame_equal(s.history(), events)


def test_a_save_records_every_changed_field_including_derived_ones(kind, new_store):
    s = new_store(kind, TASKS)
    result = s.save({"P1.001": {"status": "done", "owner": "Ann"}}, None, by="Ann", source="cli")
    events = s.history("P1.001")
    assert sorted(zip(events["field"], events["old"], events["new"], strict=True)) == [
        ("owner", "", "Ann"), ("percent", "0", "100"), ("status", "not_started", "done")]  # fmt: skip
    assert set(events["seq"]) == {result.seq} and set(events["source"]) == {"cli"} and set(events["by"]) == {"Ann"}
    assert events["at"].str.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$").all()
    row = rows(s).loc["P1.001"]
    assert (row["revision"], row["seq"], row["updated_by"]) == (1, result.seq, "Ann")


def test_a_save_that_changes_nothing_writes_nothing(kind, new_store):
    s = new_store(kind, TASKS)
    s.save({"P1.001": {"owner": "Ann"}}, None, by="a", source="cli")
    version = s.version()
    assert s.save({"P1.001": {"owner": "Ann"}}, None, by="a", source="cli").history_rows == 0
    assert s.version() == version


@pytest.mark.parametrize(
    "change, field, fragment",
    [
        ({"status": "finished-ish"}, "status", "not understood"),
        ({"percent": "140"}, "percent", "out of range"),
        ({"percent": ""}, "percent", "cannot be empty"),
        ({"status": "done", "percent": 40}, "status", "needs percent 100"),
        ({"due": "2026-02-30"}, "due", "not a real date"),
        ({"start": "2026-03-01", "due": "2026-02-01"}, "due", "before start"),
        ({"colour": "red"}, "colour", "unknown field"),
        ({"percent": "nan"}, "percent", "not a number"),
        ({"percent": float("inf")}, "percent", "out of range"),
        ({"percent": "1e400"}, "percent", "out of range"),
        ({"notes": "clear\x1b[2J"}, "notes", "control character U+001B"),
        ({"owner": "a" * 40_000}, "owner", "a spreadsheet cell holds 32,767"),
    ],
)
def test_bad_values_are_refused_naming_task_and_field_and_nothing_is_written(kind, new_store, change, field, fragment):
    s = new_store(kind, TASKS)
    s.save({"P1.002": {"owner": "Ann"}}, None, by="a", source="cli")
    version = s.version()
    with pytest.raises(ChangeError) as caught:
        s.save({"P1.002": {"notes": "fine"}, "P1.001": change}, None, by="a", source="cli")
    assert any(t == "P1.001" and f == field and fragment in m for t, f, m in caught.value.problems), caught.value
    assert s.version() == version and rows(s).loc["P1.002", "notes"] == ""


def test_an_unknown_task_is_refused(tmp_path):
    with pytest.raises(ChangeError, match=r"P9\.999: is not a task of the plan"):
        store(tmp_path).save({"P9.999": {"owner": "x"}}, None, by="a", source="cli")


def test_a_stale_revision_is_a_conflict_with_the_other_sides_values(kind, new_store):
    s = new_store(kind, TASKS)
    loaded = s.load().revisions
    s.save({"P1.001": {"owner": "Ann", "percent": 30}}, loaded, by="Ann", source="ui")
    version = s.version()
    with pytest.raises(ConflictError) as caught:
        s.save({"P1.001": {"owner": "Bob"}, "P1.002": {"owner": "Bob"}}, loaded, by="Bob", source="ui")
    (conflict,) = caught.value.conflicts
    assert (conflict.task_id, conflict.loaded_revision, conflict.revision, conflict.updated_by) == (
        "P1.001",
        0,
        1,
        "Ann",
    )
    assert (
        conflict.theirs["owner"] == "Ann" and conflict.theirs["percent"] == "30" and conflict.yours == {"owner": "Bob"}
    )
    assert s.version() == version and rows(s).loc["P1.002", "owner"] == ""


def test_two_writers_on_one_task_one_wins_the_other_gets_the_conflict(kind, new_store):
    s = new_store(kind, TASKS)
    loaded = s.load().revisions
    barrier, outcomes = threading.Barrier(2), []

    def write(name: str) -> None:
        barrier.wait()
        try:
            s.save({"P1.001": {"owner": name}}, loaded, by=name, source="ui")
            outcomes.append(("saved", name))
        except ConflictError:
            outcomes.append(("conflict", name))

    threads = [threading.Thread(target=write, args=(n,)) for n in ("Ann", "Bob")]
    [t.start() for t in threads]
    [t.join() for t in threads]
    kinds = sorted(k for k, _ in outcomes)
    assert kinds == ["conflict", "saved"]
    winner = next(n for k, n in outcomes if k == "saved")
    assert rows(s).loc["P1.001", "owner"] == winner and len(s.history()) == 1


def _save_many(location: str, worker: int, count: int) -> None:
    s = open_store(location, TASKS)
    mine = TASKS[worker * 25 : (worker + 1) * 25]
    for i in range(count):
        s.save({mine[i % 25]: {"notes": f"worker {worker} change {i}"}}, None, by=f"w{worker}", source="cli")


@pytest.mark.slow
def test_four_processes_saving_fifty_changes_each_lose_nothing(kind, new_store):
    s = new_store(kind, TASKS)
    with ProcessPoolExecutor(4, mp_context=multiprocessing.get_context("spawn")) as pool:
        list(pool.map(_save_many, [s.url if kind == "postgresql" else str(s.folder)] * 4, range(4), [50] * 4))
    events = s.history()
    assert len(events) == 200 and sorted(events["seq"]) == list(range(1, 201))
    got = rows(s)
    for worker in range(4):
        mine = TASKS[worker * 25 : (worker + 1) * 25]
        assert (got.loc[mine, "revision"] == 2).all()
        assert set(got.loc[mine, "notes"]) == {f"worker {worker} change {i}" for i in range(25, 50)}


def test_the_lock_times_out_with_a_clear_message(tmp_path):
    s = FileStore(tmp_path, TASKS, lock_timeout=0.2)
    held = s._lock()
    held.acquire()
    try:
        with pytest.raises(StoreError, match=r"\.lock: another save has held the lock"):
            s.save({"P1.001": {"owner": "x"}}, None, by="a", source="cli")
    finally:
        held.release()


CRASH = """
import os, signal, sys
from rollout.stores import files as st
point = {point!r}
def die(*args, **kwargs):
    os.kill(os.getpid(), signal.SIGKILL)
if point == "after_history":
    st.fileformat.write = die  # the history is appended, progress not yet written
else:
    real = st.atomic_write
    st.atomic_write = lambda path, write, before_replace=None: real(path, write, before_replace=die)
s = st.FileStore({folder!r}, {tasks!r})
s.save({{"P1.001": {{"status": "done", "notes": "crashed save"}}}}, None, by="x", source="cli")
"""


@pytest.mark.parametrize("point", ["after_history", "after_tempfile"])
def test_a_save_killed_midway_leaves_a_consistent_state(tmp_path, fmt, point):
    s = store(tmp_path, fmt)
    s.save({"P1.001": {"owner": "Ann", "percent": 20}}, None, by="a", source="cli")
    before, events = rows(s), s.history()
    code = CRASH.format(point=point, folder=str(tmp_path), tasks=TASKS)
    result = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True)
    assert result.returncode == -9, result.stderr.decode()
    pd.testing.assert_frame_equal(rows(s), before)
    pd.testing.assert_frame_equal(s.history(), events)
    s.save({"P1.002": {"owner": "Bob"}}, None, by="b", source="cli")
    assert not [p for p in tmp_path.rglob("*.tmp")], "the next save removes what the crash left"
    after = s.history()
    assert list(after["seq"].drop_duplicates()) == [1, 2] and "crashed save" not in set(after["new"])
    assert rows(s).loc["P1.001", "notes"] == ""


def test_a_torn_last_history_line_is_ignored_and_set_aside(tmp_path):
    s = store(tmp_path)
    s.save({"P1.001": {"owner": "Ann", "notes": "line one\nline two"}}, None, by="a", source="cli")
    with open(tmp_path / "history.csv", "ab") as f:
        f.write(b'"2","2026-01-01T00:00:00Z","x","cli","P1.001","notes","line one\nline')
    assert len(s.history()) == 2
    s.save({"P1.002": {"owner": "Bob"}}, None, by="b", source="cli")
    assert len(s.history()) == 3 and list(s.history()["seq"]) == [1, 1, 2]
    assert list((tmp_path / "backups").glob("history-uncommitted-*"))


def test_history_rows_above_the_committed_save_are_ignored(tmp_path):
    s = store(tmp_path)
    s.save({"P1.001": {"owner": "Ann"}}, None, by="a", source="cli")
    frame = pd.DataFrame(
        [[7, "2026-01-01T00:00:00Z", "x", "cli", "P1.001", "owner", "Ann", "Eve", "2026-01-01T00:00:00Z"]],
        columns=hist.COLUMNS,
    )
    hist.CsvHistory(tmp_path / "history.csv").append(frame, committed=7, backups=tmp_path / "backups", stamp="t")
    assert list(s.history()["new"]) == ["Ann"]


def test_the_history_of_a_loaded_snapshot_stops_at_its_save(kind, new_store):
    s = new_store(kind, TASKS)
    s.save({"P1.001": {"owner": "Ann"}}, None, by="a", source="cli")
    snapshot = s.load()
    s.save({"P1.001": {"owner": "Bob"}}, None, by="b", source="cli")
    assert list(s.history(committed=snapshot.seq)["new"]) == ["Ann"]
    pd.testing.assert_frame_equal(s.history(committed=s.load().seq), s.history())
    pd.testing.assert_frame_equal(s.history(committed=0), hist.empty())


def test_a_save_never_reads_the_history(tmp_path, fmt, monkeypatch):
    s = store(tmp_path, fmt)
    s.save({"P1.001": {"owner": "Ann"}}, None, by="a", source="cli")

    def refuse(*args, **kwargs):
        raise AssertionError("a save must not read the history: its cost would grow with it")

    monkeypatch.setattr(hist.CsvHistory, "read", refuse)
    monkeypatch.setattr(hist.ParquetHistory, "read", refuse)
    s.save({"P1.001": {"owner": "Bob"}}, None, by="b", source="cli")


def test_parquet_history_gains_one_part_per_save_and_compacts(tmp_path):
    s = store(tmp_path, "parquet")
    for i in range(5):
        s.save({"P1.001": {"percent": i + 1}}, None, by="a", source="cli")
    events = s.history()
    assert len(list((tmp_path / "history").glob("part-*.parquet"))) == 5
    assert s.compact() == 5
    assert [p.name for p in (tmp_path / "history").glob("part-*.parquet")] == ["part-000001.parquet"]
    pd.testing.assert_frame_equal(s.history(), events)
    s.save({"P1.001": {"percent": 50}}, None, by="a", source="cli")
    assert len(s.history()) == len(events) + 1


def test_a_compaction_interrupted_before_removing_parts_counts_no_row_twice(tmp_path):
    s = store(tmp_path, "parquet")
    for i in range(3):
        s.save({"P1.001": {"percent": i + 1}}, None, by="a", source="cli")
    events = s.history()
    merged = tmp_path / "merged.parquet"
    hist.write_parquet(events, tmp_path / "merged")
    (tmp_path / "merged" / "part-000001.parquet").replace(tmp_path / "history" / "part-000001.parquet")
    assert not merged.exists()
    pd.testing.assert_frame_equal(s.history(), events)


@pytest.mark.parametrize(
    "content, fragment",
    [
        (b"task_id,colour\nP1.001,red\n", "not a progress file of this tool"),
        (b"\x00\x01\x02garbage", "cannot be read|not a progress file"),
        (b"task_id,status,percent,owner,start,due,evidence,notes,updated_at,updated_by,revision,seq\nP1.001,done,100,,,,,,x,y,1,", "damaged"),
        (b"task_id,status,percent,owner,start,due,evidence,notes,updated_at,updated_by,revision,seq\nP1.001,finished,100,,,,,,x,y,1,1\n", "damaged"),
    ],
)  # fmt: skip
def test_a_corrupt_or_foreign_progress_file_is_named_and_never_overwritten(tmp_path, content, fragment):
    s = store(tmp_path)
    for i in range(2):
        s.save({"P1.001": {"percent": 10 + i}}, None, by="a", source="cli")
    (tmp_path / "progress.csv").write_bytes(content)
    with pytest.raises(StoreError, match=fragment) as caught:
        s.load()
    assert "progress.csv" in str(caught.value) and "backups: progress-" in str(caught.value)
    with pytest.raises(StoreError):
        s.save({"P1.001": {"owner": "x"}}, None, by="a", source="cli")
    assert (tmp_path / "progress.csv").read_bytes() == content


def test_a_corrupt_parquet_file_is_named(tmp_path):
    s = store(tmp_path, "parquet")
    s.save({"P1.001": {"percent": 10}}, None, by="a", source="cli")
    (tmp_path / "progress.parquet").write_bytes(b"PAR1 truncated")
    with pytest.raises(StoreError, match=r"progress\.parquet: cannot be read"):
        s.load()


def test_both_formats_at_once_is_an_error(tmp_path):
    s = store(tmp_path)
    s.save({"P1.001": {"percent": 10}}, None, by="a", source="cli")
    (tmp_path / "progress.parquet").write_bytes(b"")
    with pytest.raises(StoreError, match=r"both progress\.csv and progress\.parquet exist"):
        s.load()


def test_the_last_twenty_backups_are_kept_and_one_restores_as_a_save(tmp_path, fmt):
    s = store(tmp_path, fmt)
    for i in range(25):
        s.save(
            {"P1.001": {"percent": i + 1}}, None, by="a", source="cli", at=dt.datetime(2026, 1, 1, 9, i, tzinfo=dt.UTC)
        )
    names = s.backups()
    assert len(names) == 20 and names == sorted(names)
    oldest = names[0]
    result = s.restore(oldest, by="Ann")
    restored = rows(s).loc["P1.001"]
    assert restored["percent"] == 5 and restored["revision"] == 26
    last = s.history().iloc[-1]
    assert (last["source"], last["by"], last["seq"]) == (f"restore:{oldest}", "Ann", result.seq)


def test_restoring_an_unknown_backup_is_refused(tmp_path):
    with pytest.raises(StoreError, match="no backup named 'nope'"):
        store(tmp_path).restore("nope", by="a")


def test_progress_of_tasks_no_longer_in_the_plan_is_kept_and_reported(tmp_path):
    store(tmp_path).save({"P1.240": {"owner": "Ann"}}, None, by="a", source="cli")
    smaller = FileStore(tmp_path, TASKS[:10])
    snap = smaller.load()
    assert snap.orphans == ["P1.240"] and snap.progress.set_index("task_id").loc["P1.240", "orphaned"]
    smaller.save({"P1.001": {"owner": "Bob"}}, None, by="b", source="cli")
    assert FileStore(tmp_path, TASKS).load().progress.set_index("task_id").loc["P1.240", "owner"] == "Ann"


def test_the_version_token_changes_with_every_save(kind, new_store):
    s = new_store(kind, TASKS)
    seen = {s.version()}
    for i in range(3):
        s.save({"P1.001": {"percent": i + 1}}, None, by="a", source="cli")
        seen.add(s.version())
    assert len(seen) == 4


@pytest.mark.slow
def test_demo_is_deterministic_and_refuses_a_folder_with_progress(tmp_path, bundled_plan, demo_master):
    from rollout.demo import write_demo

    again = FileStore(tmp_path / "again", bundled_plan)
    write_demo(bundled_plan, again, dt.date(2026, 11, 28))
    first = FileStore(demo_master, bundled_plan)
    pd.testing.assert_frame_equal(again.load().progress, first.load().progress)
    pd.testing.assert_frame_equal(again.history(), first.history())
    with pytest.raises(StoreError, match="already holds progress"):
        write_demo(bundled_plan, again, dt.date(2026, 11, 28))


def test_demo_is_a_realistic_mid_rollout_state(bundled_plan, demo_master):
    snap = FileStore(demo_master, bundled_plan).load().progress
    stage = snap["task_id"].str[1].astype(int)
    done = snap["status"] == "done"
    assert done[stage == 0].all() and done[stage == 1].mean() > 0.7 and 0 < done[stage == 2].mean() < 0.6
    assert not done[stage >= 3].any()
    assert (snap["status"] == "blocked").sum() >= 2
    overdue = snap["due"].notna() & (snap["due"] < pd.Timestamp("2026-11-28")) & ~done
    assert overdue.sum() >= 2
    assert snap.loc[done, "evidence"].str.startswith("https://").mean() > 0.8
    events = FileStore(demo_master, bundled_plan).history()
    assert events["at"].min() < "2026-07-01" and events["at"].max() <= "2026-11-28T23:59:59Z"
    assert os.path.exists(demo_master / "backups")


def test_files_are_written_with_the_usual_permissions(tmp_path):
    from rollout.fileio import atomic_write_bytes

    old = os.umask(0o022)
    try:
        atomic_write_bytes(tmp_path / "pack.html", b"<p>")
        store(tmp_path / "data").save({"P1.001": {"owner": "Ann"}}, None, by="a", source="cli")
    finally:
        os.umask(old)
    assert (tmp_path / "pack.html").stat().st_mode & 0o777 == 0o644
    assert (tmp_path / "data" / "progress.csv").stat().st_mode & 0o777 == 0o644

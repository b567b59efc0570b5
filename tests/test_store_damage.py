"""The store against damaged folders: what it refuses before any write, and how restore repairs it."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pandas as pd
import pytest

from rollout.progress import Advice, StoreError
from rollout.stores.files import FileStore

TASKS = [f"P1.{i:03d}" for i in range(1, 41)]


def store(folder: Path, fmt: str = "csv", saves: int = 4) -> FileStore:
    """A store with ``saves`` saves, one task each, then one more on the first task."""
    s = FileStore(folder, TASKS)
    if fmt == "parquet":
        s.convert("parquet")
    for i in range(saves):
        s.save({TASKS[i]: {"owner": f"owner {i}", "percent": 10 + i}}, None, by="a", source="cli")
    s.save({TASKS[0]: {"notes": "last"}}, None, by="a", source="cli")
    return s


@pytest.fixture(params=["csv", "parquet"])
def fmt(request) -> str:
    return request.param


def snapshot_of(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def refused_untouched(s: FileStore, match: str) -> StoreError:
    """Load and save both refuse, naming ``match``; nothing in the folder changed."""
    before = snapshot_of(s.folder)
    with pytest.raises(StoreError, match=match):
        s.load()
    with pytest.raises(StoreError, match=match) as caught:
        s.save({TASKS[5]: {"owner": "x"}}, None, by="b", source="cli")
    assert snapshot_of(s.folder) == before
    return caught.value


def rewrite_progress(s: FileStore, change) -> None:
    """Rewrite the progress file as ``change(frame)`` returns it."""
    path = s.progress_path()
    if path.suffix == ".csv":
        change(pd.read_csv(path, dtype=str, keep_default_na=False)).to_csv(path, index=False, lineterminator="\n")
    else:
        change(pd.read_parquet(path)).to_parquet(path, index=False)


# accounting for the folder -------------------------------------------------------------
def test_a_progress_file_cut_at_a_line_boundary_is_refused_and_no_history_moves(tmp_path, fmt):
    s = store(tmp_path, fmt)
    events = s.history()
    rewrite_progress(s, lambda frame: frame.drop(index=[0]))  # the row of the last save
    error = refused_untouched(s, r"rows were lost or changed")
    assert error.advice == Advice("restore", s.backups()[-1])
    assert not list(tmp_path.glob("backups/history-uncommitted-*"))
    s.restore(error.advice.argument, by="Ann")
    pd.testing.assert_frame_equal(s.history().iloc[: len(events)], events)


def test_a_progress_file_that_lost_a_row_of_an_earlier_save_is_refused(tmp_path):
    s = store(tmp_path)
    lines = s.progress_path().read_bytes().splitlines(keepends=True)
    s.progress_path().write_bytes(b"".join(lines[:-1]))  # cut at a line boundary: a whole row gone
    refused_untouched(s, r"holds 3 rows up to change 5, but change 5, the last to write it, left 4 rows")


@pytest.mark.parametrize(
    "column, value, fragment",
    [
        ("percent", "150", "percent 150 with status in_progress, which takes 0 to 99"),
        ("status", "done", "percent 14 with status done, which takes 100 to 100"),
        ("revision", "-1", "revision -1 or seq 5 below 0"),
        ("revision", "0", "revision 0 with seq 5"),
        ("revision", "9", "revision 9 above seq 5"),
        ("due", "2020-01-01", "due 2020-01-01 before start 2026-01-01"),
    ],
)
def test_values_no_save_could_write_are_refused(tmp_path, column, value, fragment):
    s = store(tmp_path)
    s.save({TASKS[0]: {"start": "2026-01-01"}}, None, by="a", source="cli")

    def change(frame):
        frame.loc[frame["task_id"] == TASKS[0], [column, "seq"]] = [value, "5"]
        frame.loc[frame["task_id"] == TASKS[0], "percent"] = "14" if column != "percent" else value
        return frame

    rewrite_progress(s, change)
    (tmp_path / ".commit").unlink()  # as in a folder saved before the record existed: the values alone tell
    refused_untouched(s, fragment)


@pytest.mark.parametrize("with_record", [True, False])
def test_a_seq_beyond_the_history_is_refused(tmp_path, with_record):
    s = store(tmp_path)
    rewrite_progress(s, lambda frame: frame.assign(seq=frame["seq"].mask(frame["task_id"] == TASKS[1], "99")))
    if not with_record:
        (tmp_path / ".commit").unlink()
    refused_untouched(s, "up to change 99" if with_record else r"change 99 is beyond the history")


def test_a_crash_between_progress_and_its_record_is_recognised_as_committed(tmp_path, fmt):
    s = store(tmp_path, fmt)
    record = (tmp_path / ".commit").read_bytes()
    s.save({TASKS[20]: {"owner": "new task"}, TASKS[1]: {"owner": "changed"}}, None, by="a", source="cli")
    events = s.history()
    (tmp_path / ".commit").write_bytes(record)  # as if the save died after progress, before its record
    assert s.load().seq == 6 and len(s.history()) == len(events)
    s.save({TASKS[2]: {"owner": "after"}}, None, by="b", source="cli")
    assert list(s.history()["seq"].drop_duplicates()) == list(range(1, 8))
    assert json.loads((tmp_path / ".commit").read_text())["seq"] == 7


def test_a_history_cut_short_is_refused_with_its_backup_as_the_repair(tmp_path):
    s = store(tmp_path)
    path = tmp_path / "history.csv"
    path.write_bytes(path.read_bytes()[: path.read_bytes().rfind(b'\n"5","')])  # the last save's rows gone
    error = refused_untouched(s, r"history\.csv: ends at change 4, but changes up to 5 were committed")
    assert error.advice.action == "restore" and error.advice.argument.startswith("history-")


def test_a_history_cut_inside_the_last_save_is_refused(tmp_path):
    s = store(tmp_path)
    s.save({TASKS[9]: {"owner": "two", "notes": "fields"}}, None, by="a", source="cli")
    path = tmp_path / "history.csv"
    path.write_bytes(path.read_bytes()[: path.read_bytes().rfind(b'\n"6","') + 1])  # one of its two rows gone
    refused_untouched(s, r"change 6, committed, ends at byte .*the file was cut or changed")


def test_a_history_holding_more_than_one_uncommitted_save_is_refused(tmp_path, fmt):
    s = store(tmp_path, fmt)
    for seq in (6, 7):
        row = pd.DataFrame([[seq, "2026-01-01T00:00:00Z", "x", "cli", TASKS[0], "owner", "", "y"]], columns=COLUMNS)
        history = s._history(fmt)
        if fmt == "csv":
            with open(history.path, "a", encoding="utf-8") as f:
                f.write(row.to_csv(header=False, index=False, quoting=1, lineterminator="\n"))
        else:
            row.to_parquet(history.folder / f"part-{seq:06d}.parquet", index=False)
    before = snapshot_of(tmp_path)
    with pytest.raises(StoreError, match=r"holds changes 7 to 7, which no save committed"):
        s.save({TASKS[5]: {"owner": "x"}}, None, by="b", source="cli")
    assert snapshot_of(tmp_path) == before
    assert len(s.history()) == 13  # a reader ignores what was never committed


COLUMNS = ["seq", "at", "by", "source", "task_id", "field", "old", "new"]


# restore -------------------------------------------------------------------------------
@pytest.mark.parametrize("damage", [b"\x00garbage", b"task_id,status\n", b""])
def test_restore_repairs_a_damaged_progress_file_without_reading_it(tmp_path, fmt, damage):
    s = store(tmp_path, fmt)
    good, events = s.load().progress, s.history()
    s.progress_path().write_bytes(damage)
    error = refused_untouched(s, "progress")
    newest = s.backups()[-1]
    assert error.advice == Advice("restore", newest)
    result = s.restore(newest, by="Ann")
    after = s.load().progress.set_index("task_id")
    assert result.seq == 6 and after.loc[TASKS[0], "notes"] == "" and after.loc[TASKS[1], "owner"] == "owner 1"
    assert after.loc[TASKS[0], "revision"] == good.set_index("task_id").loc[TASKS[0], "revision"] + 1
    history = s.history()
    pd.testing.assert_frame_equal(history.iloc[: len(events)], events)
    assert list(history.iloc[len(events) :]["source"].unique()) == [f"restore:{newest}"]
    assert list(history.iloc[len(events) :][["field", "old", "new"]].itertuples(index=False, name=None)) == [
        ("notes", "last", "")
    ]
    assert [p.read_bytes() for p in tmp_path.glob("backups/progress-damaged-*")] == [damage]
    assert s.backups()[-1] == newest, "the damaged file is not offered as a backup"


def test_restore_repairs_a_damaged_csv_history_and_keeps_the_damaged_one(tmp_path):
    s = store(tmp_path)
    events, whole = s.history(), (tmp_path / "history.csv").read_bytes()
    (tmp_path / "history.csv").write_bytes(b"task_id,stage,title\nP1.001,1,exported over the history\n")
    error = refused_untouched(s, r"history\.csv: not a history file")
    result = s.restore(error.advice.argument, by="Ann")
    assert "history.csv restored from history-" in result.repaired and result.seq == 5
    assert (tmp_path / "history.csv").read_bytes() == whole
    pd.testing.assert_frame_equal(s.history(), events)
    assert [p.read_bytes()[:7] for p in tmp_path.glob("backups/history-damaged-*")] == [b"task_id"]
    s.save({TASKS[5]: {"owner": "x"}}, None, by="b", source="cli")
    assert list(s.history()["seq"].drop_duplicates()) == list(range(1, 7))


def test_restore_repairs_a_damaged_parquet_part(tmp_path):
    s = store(tmp_path, "parquet")
    events = s.history()
    part = sorted((tmp_path / "history").glob("part-*"))[1]
    part.write_bytes(part.read_bytes()[:40])
    with pytest.raises(StoreError, match=r"part-000002\.parquet: cannot be read") as caught:
        s.history()
    assert caught.value.advice.argument.startswith("history-")
    s.restore(caught.value.advice.argument, by="Ann")
    pd.testing.assert_frame_equal(s.history(), events)
    assert list(tmp_path.glob("backups/history-damaged-*/part-000002.parquet"))


def test_a_history_that_reads_whole_is_not_restored(tmp_path):
    s = store(tmp_path)
    (name,) = s.history_backups()
    with pytest.raises(StoreError, match="reads whole"):
        s.restore(name, by="Ann")


def test_the_history_backup_grows_with_each_save_without_a_full_copy(tmp_path, fmt, monkeypatch):
    s = store(tmp_path, fmt)
    (name,) = s.history_backups()

    def refuse(*args, **kwargs):
        raise AssertionError("a save must not copy the whole history")

    from rollout.stores import filehistory

    monkeypatch.setattr(filehistory.CsvHistory, "copy_to", refuse)
    monkeypatch.setattr(filehistory.ParquetHistory, "copy_to", refuse)
    for i in range(3):
        s.save({TASKS[i]: {"notes": f"more {i}"}}, None, by="a", source="cli")
    assert s.history_backups() == [name]
    backup = s._history_at(fmt, s.backup_dir / name).read(8)
    pd.testing.assert_frame_equal(backup, s.history())


def test_a_backup_cut_short_is_not_offered(tmp_path, fmt):
    s = store(tmp_path, fmt)
    names = s.backups()
    newest = s.backup_dir / names[-1]
    newest.write_bytes(newest.read_bytes()[: len(newest.read_bytes()) // 2])
    assert s.backups() == names[:-1]
    s.progress_path().write_bytes(b"\x00")
    with pytest.raises(StoreError) as caught:
        s.load()
    assert caught.value.advice == Advice("restore", names[-2])


KILLED_BACKUP = """
import os, shutil, signal
from rollout.stores import files as st

def half_then_die(source, target, *args, **kwargs):
    data = open(source, "rb").read()
    open(target, "wb").write(data[: len(data) // 2])
    os.kill(os.getpid(), signal.SIGKILL)

shutil.copyfile = shutil.copy2 = half_then_die
st.FileStore({folder!r}, {tasks!r}).save({{"P1.002": {{"owner": "killed"}}}}, None, by="x", source="cli")
"""


def test_a_backup_is_written_whole_or_not_at_all(tmp_path):
    s = store(tmp_path)
    names = s.backups()
    code = KILLED_BACKUP.format(folder=str(tmp_path), tasks=TASKS)
    assert subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True).returncode == -9
    assert sorted(p.name for p in s.backup_dir.glob("progress-*")) == names
    s.save({TASKS[1]: {"owner": "next"}}, None, by="b", source="cli")
    assert not list(tmp_path.rglob("*.tmp")) and len(s.backups()) == len(names) + 1


# the lock -------------------------------------------------------------------------------
def test_a_lock_kept_busy_by_other_saves_says_so(tmp_path):
    s = store(tmp_path)
    waiting = FileStore(tmp_path, TASKS, lock_timeout=0.5)
    held = s._lock()
    held.acquire()

    def others_commit():  # saves taking turns with the lock, as seen from the waiting side
        time.sleep(0.1)
        s._write_record(6, 4, "csv")

    thread = threading.Thread(target=others_commit)
    thread.start()
    try:
        with pytest.raises(
            StoreError, match=r"waited 0\.\d s for the lock while other saves kept it busy \(1 committed"
        ):
            waiting.save({TASKS[0]: {"owner": "x"}}, None, by="a", source="cli")
    finally:
        thread.join()
        held.release()


# symbolic links -----------------------------------------------------------------------
def test_a_symlinked_progress_file_is_refused_not_replaced(tmp_path):
    s = store(tmp_path / "data")
    elsewhere = tmp_path / "elsewhere.csv"
    shutil.move(s.progress_path(), elsewhere)
    s.progress_path().symlink_to(elsewhere)
    assert len(s.load().progress) == len(TASKS), "reading through the link is fine"
    with pytest.raises(StoreError, match=r"progress\.csv: a symbolic link; .*nothing was written"):
        s.save({TASKS[0]: {"owner": "x"}}, None, by="a", source="cli")
    assert s.progress_path().is_symlink()


# the store's own files ------------------------------------------------------------------
def test_the_store_knows_its_own_files_through_links_and_relative_paths(tmp_path, monkeypatch):
    s = store(tmp_path / "data")
    (tmp_path / "link.csv").symlink_to(tmp_path / "data" / "history.csv")
    (tmp_path / "data-link").symlink_to(tmp_path / "data")
    monkeypatch.chdir(tmp_path)
    own = ["data/progress.csv", "data/history.csv", "data/../data/./history.csv", "link.csv", "data-link/.lock",
           "data/backups", "data/backups/new.csv", "data/history", "data/mappings.yaml", "data/.commit",
           "data/findings.xlsx", "data/assessments.csv", "data/decisions.parquet", "data/Progress.CSV"]  # fmt: skip
    assert [p for p in own if not s.holds(p)] == []
    assert not any(s.holds(p) for p in ["data/report.html", "export.csv", "data", "data/samples/x.xlsx"])


def test_a_backup_holding_values_no_save_writes_is_refused_without_advising_itself(tmp_path):
    s = store(tmp_path)
    newest = s.backup_dir / s.backups()[-1]
    newest.write_text(newest.read_text().replace(",in_progress,10,", ",in_progress,150,"))
    with pytest.raises(StoreError, match=r"percent 150 with status in_progress.*choose another backup") as caught:
        s.restore(newest.name, by="Ann")
    assert caught.value.advice is None


def test_a_commit_record_a_power_cut_left_empty_reads_as_none(tmp_path):
    s = store(tmp_path)
    (tmp_path / ".commit").write_bytes(b"")
    assert s.load().seq == 5
    s.save({TASKS[5]: {"owner": "x"}}, None, by="b", source="cli")
    assert json.loads((tmp_path / ".commit").read_text())["seq"] == 6


def test_compact_refuses_a_damaged_history_and_merges_nothing(tmp_path):
    s = store(tmp_path, "parquet")
    part = sorted((tmp_path / "history").glob("part-*"))[2]
    part.unlink()
    before = snapshot_of(tmp_path)
    with pytest.raises(StoreError, match=r"change 3 is missing or out of place"):
        s.compact()
    assert snapshot_of(tmp_path) == before


def test_a_load_overtaken_by_saves_reads_the_earlier_save_not_damage(tmp_path, fmt):
    reader, writer = store(tmp_path, fmt), FileStore(tmp_path, TASKS)
    turns = iter(range(6, 100))

    def record_after_a_save():  # every time: a save commits between reading progress and reading the record
        writer.save({TASKS[next(turns) % 40]: {"owner": "meanwhile"}}, None, by="w", source="cli")
        return FileStore._record(reader)

    reader._record = record_after_a_save
    snapshot = reader.load()
    assert snapshot.seq == 5 and len(reader.history(committed=snapshot.seq)) == 13

"""Readers against a writer in another process: saves, compactions and conversions never look like damage."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
from concurrent.futures import ProcessPoolExecutor

import pytest

from rollout.stores.files import FileStore

TASKS = [f"P1.{i:03d}" for i in range(1, 41)]
WRITER = """
import sys, time
from rollout.stores.files import FileStore

store = FileStore(sys.argv[1], {tasks!r})
end, i = time.monotonic() + float(sys.argv[2]), 0
while time.monotonic() < end:
    store.save({{{tasks!r}[i % 40]: {{"notes": f"change {{i}}"}}}}, None, by="writer", source="cli")
    if i % 4 == 3:
        store.compact() if store.format() == "parquet" else None
    if i % 15 == 14:
        store.convert("csv" if store.format() == "parquet" else "parquet")
    i += 1
print(i)
"""


@pytest.mark.slow
def test_readers_never_see_damage_while_another_process_saves_compacts_and_converts(tmp_path):
    store = FileStore(tmp_path, TASKS)
    store.convert("parquet")
    store.save({TASKS[0]: {"owner": "first"}}, None, by="a", source="cli")
    writer = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(WRITER.format(tasks=TASKS)), str(tmp_path), "6"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    reads, end = 0, time.monotonic() + 5
    try:
        while time.monotonic() < end:
            snapshot = store.load()
            events = store.history(committed=snapshot.seq)
            assert events["seq"].max() == snapshot.seq
            assert len(store.history()) >= len(events)
            reads += 1
    finally:
        out, err = writer.communicate(timeout=60)
    assert writer.returncode == 0, err
    assert reads >= 3 and int(out) >= 5, "a machine this busy proves little: the loops barely overlapped"
    assert list(store.history()["seq"].drop_duplicates()) == list(range(1, int(out) + 2))


def _save_counting_overtakes(folder: str, worker: int) -> int:
    """Saves, each time counting the saves of others committed between asking for the lock and getting it."""
    store, worst = FileStore(folder, TASKS, lock_timeout=60), 0
    for i in range(30):
        before = store._record_seq()  # the commit record alone: reading more would widen the window measured
        result = store.save({TASKS[worker * 10 + i % 10]: {"notes": f"{worker} {i}"}}, None, by="w", source="cli")
        worst = max(worst, result.seq - before - 1)
    return worst


@pytest.mark.slow
def test_waiting_savers_take_turns(tmp_path):
    FileStore(tmp_path, TASKS).save({TASKS[0]: {"owner": "first"}}, None, by="a", source="cli")
    with ProcessPoolExecutor(4) as pool:
        worst = list(pool.map(_save_counting_overtakes, [str(tmp_path)] * 4, range(4)))
    assert max(worst) <= 4, f"a waiting save saw up to {max(worst)} others go first"

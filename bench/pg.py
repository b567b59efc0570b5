"""The SQL store's targets, on a throwaway PostgreSQL cluster (the one the tests start; Debian's postgresql).

- pg_load: the overview's reads (progress, records and the history) from a database of 10,000 tasks and
  1,000,000 history rows / psycopg's COPY of the same tables read by pandas.
- pg_save: one save next to 1,000,000 history rows / one next to 1,000.
- pg_writers: 8 processes saving at once, p95 of a save / p95 of one process saving alone; every save
  must be kept (saves queue on the counter's lock: the target is that they queue, not stall).
- pg_refresh: a save through one store until an open page of an app server on the same database shows
  it, in seconds / 1 s; the design's limit is 2 s.
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import importlib.util
import io
import itertools
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import generate
import pandas as pd

from rollout.plan import load_plan
from rollout.stores import sqlschema
from rollout.stores.base import Dump
from rollout.stores.files import FileStore
from rollout.stores.sql import SqlStore


def _tests_module(name: str):
    """A helper module of the tests (the throwaway cluster), loaded from its file."""
    spec = importlib.util.spec_from_file_location(name, generate.ROOT / "tests" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


pgcluster = _tests_module("pgcluster")
Cluster, PostgresUnavailable = pgcluster.Cluster, pgcluster.PostgresUnavailable

WRITERS = 8
TABLES = ("progress", "assessments", "findings", "decisions", "history")


class Skipped(Exception):
    """PostgreSQL cannot run on this machine."""


_started: list[Cluster] = []


def cluster() -> Cluster:
    """One server for every target of the run, stopped (by its PID) when the run ends."""
    if not _started:
        try:
            _started.append(Cluster().start())
        except PostgresUnavailable as exc:
            raise Skipped(str(exc)) from None
        atexit.register(_stop)
    return _started[0]


def _stop() -> None:
    sqlschema.dispose()
    _started.pop().stop()


def filled(server: Cluster, name: str, work: generate.Workload, history_rows: int | None = None) -> str:
    """A database holding a workload's data (its history cut to the last ``history_rows``); its URL."""
    plan = load_plan(work.phases)
    dump = FileStore(work.data, plan).dump()
    if history_rows is not None:
        dump = Dump(dump.seq, dump.progress, dump.records, dump.history.tail(history_rows))
    url = server.create(name)
    SqlStore(url, plan).fill(dump)
    return url


def copy_floor(url: str) -> None:
    """The least a load does: COPY each table out and let pandas read it."""
    import psycopg

    with psycopg.connect(sqlschema.libpq_url(url)) as connection:
        for table in TABLES:
            buffer = io.BytesIO()
            with connection.cursor().copy(f"COPY {table} TO STDOUT (FORMAT csv, HEADER)") as copy:
                while data := copy.read():
                    buffer.write(data)
            buffer.seek(0)
            pd.read_csv(buffer, dtype=str, keep_default_na=False)


def overview_reads(store: SqlStore) -> None:
    snapshot = store.load()
    store.history(committed=snapshot.seq)


def measure_pg_load(sizes, paired, Case, note) -> list:
    tasks, rows = sizes.load[-1]
    work = generate.workload(tasks, rows)
    note(f"pg_load: {tasks:,} tasks, {rows:,} history rows in PostgreSQL")
    server = cluster()
    url = filled(server, "load", work)
    store = SqlStore(url, load_plan(work.phases))
    measured, floor = paired(
        functools.partial(overview_reads, store), functools.partial(copy_floor, url), sizes.repeats
    )
    return [Case(f"{tasks:,} tasks, {rows:,} rows", measured, floor)]


def measure_pg_save(sizes, paired, Case, note) -> list:
    tasks, short, long = sizes.save
    work = generate.workload(tasks, long)
    ids, numbers = generate.task_ids(tasks), itertools.count()
    note(f"pg_save: {tasks:,} tasks, {short:,} vs {long:,} history rows in PostgreSQL")

    def save(store: SqlStore) -> None:
        number = next(numbers)
        store.save({ids[number % len(ids)]: {"notes": f"Benchmark save {number}"}}, None, by="Benchmark", source="cli")

    server = cluster()
    plan = load_plan(work.phases)
    near_long = SqlStore(filled(server, "long", work), plan)
    near_short = SqlStore(filled(server, "short", work, short), plan)
    measured, baseline = paired(functools.partial(save, near_long), functools.partial(save, near_short),
                                3 * sizes.repeats)  # fmt: skip
    return [Case(f"{tasks:,} tasks, {long:,} vs {short:,} rows", measured, baseline)]


def _writer(url: str, phases: str, saves: int, start: float, run: str, worker: int) -> list[float]:
    """One writer process: ``saves`` saves of its own tasks, each timed; waits for the common start."""
    store = SqlStore(url, load_plan(phases))
    mine = [t for i, t in enumerate(sorted(store.task_ids)) if i % WRITERS == worker]
    while time.time() < start:
        time.sleep(0.001)
    times = []
    for i in range(saves):
        began = time.perf_counter()
        store.save(
            {mine[i % len(mine)]: {"notes": f"{run}: writer {worker} save {i}"}}, None, by=f"w{worker}", source="cli"
        )
        times.append(time.perf_counter() - began)
    return times


def _p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1]


def _writers(url: str, phases: str, workers: range, saves: int, start: float, run: str) -> list[list[float]]:
    """Each writer in a process of its own, started as a script: a spawned pool would re-run whatever module
    is ``__main__`` by then (after AppTest, the app's script)."""
    command = [sys.executable, __file__, url, phases, str(saves), str(start), run]
    processes = [subprocess.Popen([*command, str(w)], stdout=subprocess.PIPE, text=True) for w in workers]
    times = []
    for process in processes:
        out, _ = process.communicate(timeout=600)
        if process.returncode:
            raise RuntimeError(f"writer process failed (exit {process.returncode})")
        times.append(json.loads(out))
    return times


def measure_pg_writers(sizes, paired, Case, note) -> list:
    tasks, rows = sizes.load[-1]
    saves = 50 if sizes.repeats > 1 else 10
    work = generate.workload(tasks, rows)
    note(f"pg_writers: {WRITERS} processes x {saves} saves against 1 process, {tasks:,} tasks")
    server = cluster()
    url = filled(server, "writers", work)
    first = SqlStore(url, load_plan(work.phases)).load().seq
    (alone,) = _writers(url, str(work.phases), range(1), saves, time.time(), "alone")
    start = time.time() + 3  # every process started, connected and waiting
    together = _writers(url, str(work.phases), range(WRITERS), saves, start, "together")
    kept = SqlStore(url, load_plan(work.phases)).load().seq - first - len(alone)
    if kept != WRITERS * saves:
        raise RuntimeError(f"{WRITERS * saves - kept} of {WRITERS * saves} concurrent saves were lost")
    every = [t for times in together for t in times]
    return [Case(f"p95 of {WRITERS} writers x {saves} saves vs 1 writer, none lost", _p95(every), _p95(alone))]


def measure_pg_refresh(sizes, paired, Case, note, serve, chromium) -> list:
    """Seconds from a save made elsewhere to an open page showing it, against one second."""
    from playwright.sync_api import sync_playwright

    tasks, rows = sizes.browser
    work = generate.workload(min(tasks, 1_000), min(rows, 10_000))
    note("pg_refresh: a save elsewhere until an open page of an app server shows it")
    server = cluster()
    with contextlib.ExitStack() as stack:
        url = filled(server, "refresh", work)
        logs = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-refresh-")))
        app_url = serve(stack, "app.py", {**work.env(), "ROLLOUT_DATA": url, "ROLLOUT_USER": "Benchmark"},
                        logs / "app.log")()  # fmt: skip
        browser = stack.enter_context(sync_playwright()).chromium.launch(**chromium)
        stack.callback(browser.close)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(f"{app_url}/Assurance")
        tab = page.get_by_role("tab", name="Findings")
        tab.wait_for(timeout=300_000)
        store = SqlStore(url, load_plan(work.phases))
        waits = []
        for i in range(max(3, sizes.repeats)):
            before = tab.inner_text()
            finding = {"clauses": sorted(store.rules.leaves)[0], "grade": "minor", "source": "self",
                       "description": f"Benchmark finding {i}"}  # fmt: skip
            began = time.perf_counter()
            store.save_records("findings", [finding], {}, None, by="Benchmark", source="cli")
            while tab.inner_text() == before and time.perf_counter() - began < 30:
                time.sleep(0.02)
            waits.append(time.perf_counter() - began)
            time.sleep(1)
    return [Case(f"worst of {len(waits)} saves elsewhere, seconds (limit 2 s)", max(waits), 1.0)]


if __name__ == "__main__":  # one writer of pg_writers: prints its save times as JSON
    url, phases, saves, start, run, worker = sys.argv[1:]
    print(json.dumps(_writer(url, phases, int(saves), float(start), run, int(worker))))

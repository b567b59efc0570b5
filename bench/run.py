"""Benchmarks at scale: ``python bench/run.py [--quick] [--json]``.

Every target is a ratio of two times measured the same way in the same run, so that it travels
between machines; each time is the median of several repetitions, and where a target covers
several sizes, formats or pages its ratio is the worst of them.

- load: the overview's figures from the files (plan, progress, the assurance records, history;
  readiness by clause and stage, conformity, gates, burn-up, forecast, attention lists) / pandas and
  yaml's C loader reading the same files; CSV and Parquet, 100 tasks with 1,000 history rows and
  10,000 with 1,000,000, each with half as many assessments and a fifth as many findings.
- save: one save next to 1,000,000 history rows / one next to 1,000, same 10,000-task plan.
- import: the preview of a 50,000-row workbook into a 50,000-task plan (read, map, normalise,
  validate, diff; plan and progress already loaded) / ``pandas.read_excel(engine="calamine")``.
- rerun: AppTest's warm rerun of each page at 10,000 tasks / the same page at 100 tasks.
- browser: chromium, warm cache: navigation until the script is done and the page's main element
  (its first chart, else its table, else its title) shows / the same for bench/baseline_app.py,
  whose home page stands against the app's and whose page in bench/pages/ against the app's pages
  (Streamlit takes about 0.1 s more to reach a page than the home page); the baseline is measured
  again before each page.

Load is timed in-process as the app gets it, from its disk cache in the user's cache folder (a cache
the app fills on first use and refreshes when a file changes), against the floor timed the same
way: a fresh subprocess would add the same second or two of imports to both sides and hide the
difference being measured. The load without that cache is printed for information. The OS file
cache is warm for both.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import functools
import gc
import itertools
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import generate
import pandas as pd
import pg
import yaml

from rollout import overview
from rollout.plan import load_plan
from rollout.stores.files import FORMATS, FileStore

ROOT = generate.ROOT
RESULTS = Path(os.environ.get("BENCH_RESULTS") or Path(__file__).resolve().parent / "results")  # git-ignored
TARGETS = {"load": 1.5, "save": 1.5, "import": 1.5, "rerun": 3.0, "browser": 2.0,
           "pg_load": 1.5, "pg_save": 1.5, "pg_writers": 8.0, "pg_refresh": 2.0}  # fmt: skip
BASELINES = {
    "load": "pandas + yaml reading the same files",
    "save": "the same save next to the short history",
    "import": "pandas.read_excel(engine='calamine')",
    "rerun": "the same page at the small plan",
    "browser": "bench/baseline_app.py (title + one chart; its home page or its page)",
    "pg_load": "psycopg COPY of the same tables read by pandas",
    "pg_save": "the same save next to the short history, in PostgreSQL",
    "pg_writers": "p95 of one writer alone",
    "pg_refresh": "one second",
}
CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
READY = '[data-testid="stApp"][data-test-script-state="notRunning"]'
ERROR = '[data-testid="stException"]'
# a page's main element: its container, and what of it shows once drawn (a chart, once plotly's svg is in);
# only visible ones count, not those in a collapsed expander or a hidden tab
MAIN_ELEMENTS = (
    ('[data-testid="stPlotlyChart"]', '[data-testid="stPlotlyChart"] .main-svg'),
    ('[data-testid="stDataFrame"]', '[data-testid="stDataFrame"]'),
    ("h1", "h1"),
)
VISIBLE = " >> visible=true"
# checked on every animation frame: a locator's wait polls ever more slowly (up to 0.5 s apart), which
# would time the poll, not the page
SHOWN = """([selector, ready]) => document.querySelector(ready) && [...document.querySelectorAll(selector)].some(
    (e) => { const box = e.getBoundingClientRect(); return box.width > 0 && box.height > 0; })"""
# at the end of a run, charts and tables may still be placeholders while their code loads
LOADED = '() => !document.querySelector(\'[data-testid="stMain"] [data-testid="stSkeleton"]\')'
BASELINE_PAGE = "Baseline_page"  # bench/pages/1_Baseline_page.py
PAGE_TIMEOUT_MS = 300_000  # the first visit of a page at 10,000 tasks fills the server's caches


@dataclass(frozen=True)
class Sizes:
    load: tuple[tuple[int, int], ...]  # (tasks, history rows)
    save: tuple[int, int, int]  # tasks, short history, long history
    import_rows: int
    rerun: tuple[tuple[int, int], tuple[int, int]]  # small and large (tasks, history rows)
    browser: tuple[int, int]
    repeats: int


FULL = Sizes(
    load=((100, 1_000), (10_000, 1_000_000)),
    save=(10_000, 1_000, 1_000_000),
    import_rows=50_000,
    rerun=((100, 1_000), (10_000, 1_000_000)),
    browser=(10_000, 1_000_000),
    repeats=5,
)
QUICK = Sizes(
    load=((50, 500), (200, 2_000)),
    save=(200, 100, 2_000),
    import_rows=200,
    rerun=((50, 500), (200, 2_000)),
    browser=(200, 2_000),
    repeats=1,
)


@dataclass(frozen=True)
class Case:
    """One size, format or page of a target: the measured time and the time it is compared with."""

    label: str
    measured: float
    baseline: float

    @property
    def ratio(self) -> float:
        return self.measured / self.baseline


class Skipped(Exception):
    """A target that cannot be measured on this machine; the message says why."""


# timing ----------------------------------------------------------------------------------
def timed(action: Callable[[], Any]) -> float:
    gc.collect()
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def paired(measured: Callable[[], Any], baseline: Callable[[], Any], repeats: int) -> tuple[float, float]:
    """Medians of both, alternated so that drift hits both alike, after one untimed warm-up each."""
    measured(), baseline()
    pairs = [(timed(measured), timed(baseline)) for _ in range(repeats)]
    return statistics.median(p[0] for p in pairs), statistics.median(p[1] for p in pairs)


def size_label(tasks: int, rows: int) -> str:
    return f"{tasks:,} tasks, {rows:,} rows"


def progress_note(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


@contextlib.contextmanager
def environment(values: dict[str, str]) -> Iterator[None]:
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


# load ------------------------------------------------------------------------------------
def overview_figures(work: generate.Workload) -> overview.Overview:
    """Everything the overview shows, from the files, the way the CLI and the app get it."""
    plan = load_plan(work.phases)
    return overview.load(plan, FileStore(work.data, plan), work.today)


def read_floor(work: generate.Workload) -> None:
    """The least any load does: parse the same files with pandas and the C YAML loader."""
    for path in sorted(work.phases.glob("*.yaml")):
        with open(path, "rb") as handle:
            yaml.load(handle, Loader=yaml.CSafeLoader)
    if work.fmt == "csv":
        for name in ("progress", "history", "assessments", "findings"):
            pd.read_csv(work.data / f"{name}.csv")
    else:
        for name in ("progress.parquet", "history", "assessments.parquet", "findings.parquet"):
            pd.read_parquet(work.data / name)


def measure_load(sizes: Sizes) -> list[Case]:
    """Warm (the files unchanged since the last look: the disk cache answers) is the target;
    cold (the cache off: parse, replay and compute everything) is kept beside it in COLD."""
    cases = []
    for fmt, (tasks, rows) in itertools.product(FORMATS, sizes.load):
        work = generate.workload(tasks, rows, fmt)
        progress_note(f"load: {fmt}, {size_label(tasks, rows)}")
        figures, floor = functools.partial(overview_figures, work), functools.partial(read_floor, work)
        with tempfile.TemporaryDirectory(prefix="bench-cache-") as private, environment({"ROLLOUT_CACHE": private}):
            cases.append(Case(f"{fmt}, {size_label(tasks, rows)}", *paired(figures, floor, sizes.repeats)))
        with environment({"ROLLOUT_CACHE": "off"}):
            COLD.append(Case(f"{fmt}, {size_label(tasks, rows)}, cold", *paired(figures, floor, sizes.repeats)))
    return cases


# save ------------------------------------------------------------------------------------
def measure_save(sizes: Sizes) -> list[Case]:
    tasks, short, long = sizes.save
    ids = generate.task_ids(tasks)
    numbers = itertools.count()

    def save(store: FileStore) -> None:
        number = next(numbers)
        change = {ids[number % len(ids)]: {"notes": f"Benchmark save {number}"}}
        store.save(change, None, by="Benchmark", source="cli")

    cases = []
    for fmt in FORMATS:
        full = generate.workload(tasks, long, fmt)
        brief = generate.short_history(full, short)
        progress_note(f"save: {fmt}, {tasks:,} tasks, {short:,} vs {long:,} history rows")
        with tempfile.TemporaryDirectory(prefix="bench-save-") as scratch:
            near_long, near_short = (
                FileStore(shutil.copytree(w.data, Path(scratch) / w.data.name), ids) for w in (full, brief)
            )
            measured, baseline = paired(
                functools.partial(save, near_long), functools.partial(save, near_short), 3 * sizes.repeats
            )
        cases.append(Case(f"{fmt}, {tasks:,} tasks, {long:,} vs {short:,} rows", measured, baseline))
    return cases


# import ----------------------------------------------------------------------------------
def measure_import(sizes: Sizes) -> list[Case]:
    from rollout.sheets import importer

    rows = sizes.import_rows
    work = generate.workload(rows, 8 * rows)
    book = generate.workbook(work)
    progress_note(f"import: {rows:,}-row workbook into {rows:,} tasks (loading the plan first)")
    plan = load_plan(work.phases)
    store = FileStore(work.data, plan)
    snapshot = store.load()
    preview = functools.partial(importer.preview_import, book, plan, store, snapshot=snapshot)
    check = preview()
    if check.rejected or not check.changed:
        raise RuntimeError(
            f"the workbook should import cleanly: {check.rejected} rows rejected, {check.changed} changed"
        )
    measured, floor = paired(preview, functools.partial(pd.read_excel, book, engine="calamine"), sizes.repeats)
    return [Case(f"{rows:,} rows, {check.changed:,} changed", measured, floor)]


# pages -----------------------------------------------------------------------------------
def page_files() -> list[str]:
    """app.py and the pages, in the sidebar's order."""
    return ["app.py", *(f"pages/{p.name}" for p in sorted((ROOT / "pages").glob("*.py")))]


def page_name(file: str) -> str:
    """The page's URL path as Streamlit derives it from the file name ("" for the home page)."""
    return "" if file == "app.py" else re.sub(r"^\d+_", "", Path(file).stem)


def page_reruns(work: generate.Workload, repeats: int) -> dict[str, float]:
    """Median warm rerun of each page in AppTest, after one cold run that fills the caches."""
    from streamlit.testing.v1 import AppTest

    times = {}
    with environment({**work.env(), "ROLLOUT_USER": "Benchmark"}):
        app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=PAGE_TIMEOUT_MS / 1000)
        app.run()
        for file in page_files():
            app.switch_page(file)
            app.run()
            times[file] = statistics.median(timed(app.run) for _ in range(repeats))
            if app.exception:
                raise RuntimeError(f"{file} failed at {work.tasks:,} tasks: {[e.value for e in app.exception]}")
    return times


def measure_rerun(sizes: Sizes) -> list[Case]:
    small, large = (generate.workload(tasks, rows) for tasks, rows in sizes.rerun)
    progress_note(f"rerun: AppTest at {small.tasks:,} and {large.tasks:,} tasks")
    before, after = page_reruns(small, sizes.repeats), page_reruns(large, sizes.repeats)
    return [Case(page_name(f) or "Overview", after[f], before[f]) for f in page_files()]


# browser ---------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_healthy(process: subprocess.Popen, url: str, log: Path) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and process.poll() is None:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as answer:
                if answer.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"streamlit did not start; its log:\n{log.read_text()}")


def serve(stack: contextlib.ExitStack, script: str, env: dict[str, str], log: Path) -> Callable[[], str]:
    """Start ``streamlit run script`` on a free port, ended by its PID when ``stack`` closes; returns a wait for its URL.

    Starting does not wait, so that two servers start side by side.
    """
    port = free_port()
    command = [sys.executable, "-m", "streamlit", "run", script, "--server.port", str(port),
               "--server.address", "127.0.0.1", "--server.headless", "true",
               "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"]  # fmt: skip
    handle = stack.enter_context(open(log, "w"))  # noqa: SIM115 - closed with the stack
    process = subprocess.Popen(command, cwd=ROOT, env={**os.environ, **env}, stdout=handle, stderr=subprocess.STDOUT)
    stack.callback(stop, process)
    url = f"http://127.0.0.1:{port}"

    def ready() -> str:
        wait_healthy(process, url, log)
        return url

    return ready


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def main_element(page: Any) -> str:
    """The page's first visible chart, else its table, else its title (probed once the page is fully shown)."""
    return next(shown for container, shown in MAIN_ELEMENTS if page.locator(container + VISIBLE).count())


def visitor(page: Any, url: str) -> Callable[[], None]:
    """A timed visit: navigation until the script is done and the page's main element is visible.

    The first, untimed visit fills the server's caches and finds the main element.
    """
    page.goto(url, timeout=PAGE_TIMEOUT_MS)
    page.locator("h1").first.wait_for(timeout=PAGE_TIMEOUT_MS)
    page.wait_for_selector(READY, timeout=PAGE_TIMEOUT_MS)  # after the title: the run is over, every element is in
    page.wait_for_function(LOADED, timeout=PAGE_TIMEOUT_MS)
    if page.locator(ERROR).count():
        raise RuntimeError(f"{url} shows an error: {page.locator(ERROR).first.inner_text()[:2000]}")
    element = main_element(page)

    def visit() -> None:
        page.goto(url)
        # the element only exists once this run has drawn it; ready, once the run is over
        page.wait_for_function(SHOWN, arg=[element, READY], polling="raf")

    return visit


def page_load(visit: Callable[[], None], repeats: int) -> float:
    """The median visit. Not alternated with another server's page: each visit would then pay for
    the other page's teardown (its session ending on its server, its elements unloading)."""
    return statistics.median(timed(visit) for _ in range(repeats))


def measure_browser(sizes: Sizes) -> list[Case]:
    if not CHROMIUM.exists():
        reason = f"{CHROMIUM} is missing (apt-get install chromium)"
        if os.environ.get("CI") == "true":
            raise RuntimeError(f"{reason}; under CI=true the browser target must run")
        raise Skipped(reason)
    from playwright.sync_api import sync_playwright

    work = generate.workload(*sizes.browser)
    progress_note(f"browser: every page at {size_label(*sizes.browser)} against bench/baseline_app.py")
    with contextlib.ExitStack() as stack:
        logs = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-browser-")))
        app = serve(stack, "app.py", {**work.env(), "ROLLOUT_USER": "Benchmark"}, logs / "app.log")
        base = serve(stack, "bench/baseline_app.py", {}, logs / "baseline.log")
        app_url, base_url = app(), base()
        browser = stack.enter_context(sync_playwright()).chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS
        )
        stack.callback(browser.close)
        page = browser.new_context(viewport={"width": 1440, "height": 1000}).new_page()
        page.set_default_timeout(PAGE_TIMEOUT_MS)  # a loaded machine is slow, not broken
        cases = []
        for file in page_files():
            name = page_name(file)
            # a page of the app against a page of the baseline, the home page against its home page
            baseline = f"{base_url}/{BASELINE_PAGE}" if name else base_url
            floor = page_load(visitor(page, baseline), sizes.repeats)
            cases.append(Case(name or "Overview", page_load(visitor(page, f"{app_url}/{name}"), sizes.repeats), floor))
        return cases


# report ----------------------------------------------------------------------------------
COLD: list[Case] = []  # the load without the disk cache: reported, not a target


def _on_postgresql(measure: Callable[..., list[Case]], *extra: Any) -> Callable[[Sizes], list[Case]]:
    """A target of bench/pg.py, given what it shares with the others; skipped where PostgreSQL cannot run."""

    def run(sizes: Sizes) -> list[Case]:
        try:
            return measure(sizes, paired, Case, progress_note, *extra)
        except pg.Skipped as exc:
            if os.environ.get("CI") == "true":
                raise RuntimeError(f"{exc}; under CI=true the PostgreSQL targets must run") from None
            raise Skipped(str(exc)) from None

    return run


MEASURES: dict[str, Callable[[Sizes], list[Case]]] = {
    "load": measure_load,
    "save": measure_save,
    "import": measure_import,
    "rerun": measure_rerun,
    "browser": measure_browser,
    "pg_load": _on_postgresql(pg.measure_pg_load),
    "pg_save": _on_postgresql(pg.measure_pg_save),
    "pg_writers": _on_postgresql(pg.measure_pg_writers),
    "pg_refresh": _on_postgresql(
        pg.measure_pg_refresh, serve, {"executable_path": str(CHROMIUM), "args": CHROMIUM_ARGS}
    ),
}


def run_all(sizes: Sizes) -> tuple[dict[str, list[Case]], dict[str, str]]:
    """Each target's cases, worst first; a target that cannot run gets its reason instead."""
    results, reasons = {}, {}
    for name, measure in MEASURES.items():
        try:
            results[name] = sorted(measure(sizes), key=lambda c: c.ratio, reverse=True)
        except Skipped as exc:
            reasons[name] = f"skipped: {exc}"
        except Exception as exc:
            traceback.print_exc()
            reasons[name] = f"failed: {type(exc).__name__}: {exc}"
        progress_note(f"{name}: {reasons.get(name) or f'ratio {results[name][0].ratio:.2f}'}")
    return results, reasons


def summary(results: dict[str, list[Case]], reasons: dict[str, str], sizes: Sizes) -> dict[str, Any]:
    return {
        "ratios": {t: round(results[t][0].ratio, 3) if t in results else None for t in TARGETS},
        "seconds": {
            t: {c.label: {"measured": round(c.measured, 4), "baseline": round(c.baseline, 4)} for c in results[t]}
            if t in results
            else None
            for t in TARGETS
        },
        "targets": TARGETS,
        "cold_load": {c.label: {"measured": round(c.measured, 4), "baseline": round(c.baseline, 4)} for c in COLD},
        "reasons": reasons,
        "quick": sizes is QUICK,
    }


def table(results: dict[str, list[Case]], reasons: dict[str, str]) -> str:
    """One table: each target's worst case first (its ratio), then its other cases."""
    head = f"{'target':8} {'limit':>5} {'ratio':>7} {'':4}  {'case':48} {'measured':>10} {'baseline':>10}"
    lines = [head, "-" * len(head)]
    for target, limit in TARGETS.items():
        if target not in results:
            lines.append(f"{target:8} {limit:5.1f} {'-':>7} {'-':4}  {reasons[target]}")
            continue
        for i, case in enumerate(results[target]):
            verdict = ("ok" if case.ratio <= limit else "MISS") if i == 0 else ""
            name, bound = (target, f"{limit:5.1f}") if i == 0 else ("", "")
            lines.append(
                f"{name:8} {bound:>5} {case.ratio:7.2f} {verdict:4}  {case.label:48} "
                f"{case.measured:9.3f}s {case.baseline:9.3f}s"
            )
        if target == "load":
            lines += [
                f"{'':8} {'':>5} {case.ratio:7.2f} {'info':4}  {case.label:48} {case.measured:9.3f}s {case.baseline:9.3f}s"
                for case in COLD
            ]
    lines.append("baselines: " + "; ".join(f"{t}: {b}" for t, b in BASELINES.items()))
    return "\n".join(lines)


def keep(report: dict[str, Any], text: str) -> Path:
    """The run's JSON and table under bench/results/ (git-ignored), to compare runs."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    path = RESULTS / f"{stamp}{'-quick' if report['quick'] else ''}.json"
    path.write_text(json.dumps({**report, "table": text}, indent=2), encoding="utf-8")
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Benchmarks at scale; prints one table of ratios with raw times.")
    parser.add_argument("--quick", action="store_true", help="tiny sizes, under a minute (CI's smoke test)")
    parser.add_argument("--json", action="store_true", help="print the results as JSON (the table goes to stderr)")
    args = parser.parse_args(argv)
    sizes = QUICK if args.quick else FULL
    start = time.monotonic()
    results, reasons = run_all(sizes)
    report = summary(results, reasons, sizes)
    text = table(results, reasons) + f"\n{time.monotonic() - start:.0f} s in all"
    saved = keep(report, text)
    print(text, file=sys.stderr if args.json else sys.stdout)
    print(f"kept in {saved}", file=sys.stderr)
    if args.json:
        print(json.dumps(report))
    return 1 if any(r.startswith("failed") for r in reasons.values()) else 0


if __name__ == "__main__":
    sys.exit(main())

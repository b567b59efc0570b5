"""Synthetic workloads in the tool's own file formats, for the benchmarks.

``workload(tasks, rows)`` gives a plan folder of ``tasks`` tasks over the five stages (the bundled
plan.yaml and clauses.yaml, so the clause tree and the correspondence are real) and a data folder
whose history of exactly ``rows`` rows replays into its progress: every task is planned (owner,
start, due), most move forward in saves of a few tasks each, some are blocked or not applicable.
The same arguments always give the same files. Both are cached under bench/.cache by size and
seed, so that reruns are fast.

``python bench/generate.py TASKS ROWS [--format parquet] [--seed N]`` prints the folders, to point
the app at them (ROLLOUT_PHASES, ROLLOUT_DATA and ROLLOUT_TODAY).
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import json
import os
import re
import shutil
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import yaml

from rollout import progress as rules
from rollout import records, values
from rollout.stores import fileformat, filerecords
from rollout.stores import filehistory as hist
from rollout.stores import files as store

ROOT = Path(__file__).resolve().parent.parent

CACHE = Path(os.environ.get("BENCH_CACHE") or Path(__file__).resolve().parent / ".cache")  # git-ignored
VERSION = 3  # part of every cache key: bump it when the generated files change
BUNDLED = ROOT / "phases"
STAGE_FILES = (
    "phase-0-initiation.yaml",
    "phase-1.yaml",
    "phase-2.yaml",
    "phase-3.yaml",
    "phase-4-post-implementation.yaml",
)
STAGE_SHARES = (0.09, 0.28, 0.34, 0.19, 0.10)
# the part of the time from the plan's start to today in which a stage's tasks move
STAGE_WINDOWS = ((0.0, 0.15), (0.08, 0.65), (0.3, 1.0), (0.6, 1.0), (0.75, 1.0))
TODAY = dt.date(2027, 2, 26)  # 38 weeks into the bundled plan (2026-06-01 to 2027-09-30)
EFFORTS = (0.5, 1, 1, 2, 2, 3, 5, 8)
VERBS = ("Draft", "Review", "Approve", "Publish", "Train the team on", "Audit", "Measure", "Improve")
SUBJECTS = (
    "the incident and request procedure",
    "the change management policy",
    "the supplier register",
    "the capacity plan",
    "the service catalogue",
    "the continuity and availability plan",
    "the configuration baseline",
    "the internal audit programme",
    "the problem records",
    "the release calendar",
    "the service level agreements",
    "the document register",
)
PEOPLE = ("Helen Marsh", "Priya Natarajan", "Tom Okafor", "Grace Lin", "Sam Whitfield", "Marta Kowalska")
PEOPLE += ("Daniel Reyes", "Aisha Khan", "Owen Price", "Lena Fischer", "Raj Patel", "Chloe Martin")
SOURCES = ("ui", "ui", "ui", "ui", "cli", "import:weekly-status.xlsx")
NOTES = ("Discussed at the weekly review", "Draft shared with the process owner", "Comments received")
NOTES += ("Waiting for sign-off", "Evidence collected", "Walkthrough held with the team")
STATUS_WORDS = {
    "not_started": "Not started",
    "in_progress": "In progress",
    "blocked": "On hold",
    "done": "Done",
    "not_applicable": "N/A",
}
WORKBOOK_COLUMNS = (
    "Task ID",
    "Task",
    "Status",
    "% Complete",
    "Owner",
    "Start date",
    "Due date",
    "Evidence",
    "Comments",
)
DAY = 86_400
NOT_STARTED, IN_PROGRESS, BLOCKED, DONE = "not_started", "in_progress", "blocked", "done"


@dataclass(frozen=True)
class Workload:
    """A plan folder and a data folder to point the tool at, with the day they are meant for."""

    phases: Path
    data: Path
    tasks: int
    rows: int
    fmt: str
    seed: int
    today: dt.date = TODAY

    def env(self) -> dict[str, str]:
        return {"ROLLOUT_PHASES": str(self.phases), "ROLLOUT_DATA": str(self.data), "ROLLOUT_TODAY": str(self.today)}


# caching -----------------------------------------------------------------------------
def cached(name: str, build: Callable[[Path], None]) -> Path:
    """``CACHE/name``, built by ``build(folder)`` into a temporary folder first, so a broken build is never reused."""
    target = CACHE / f"v{VERSION}-{name}"
    if target.exists():
        return target
    CACHE.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=CACHE))
    try:
        build(work)
        try:
            work.rename(target)
        except OSError:  # another run built it meanwhile
            if not target.exists():
                raise
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return target


def workload(tasks: int, rows: int, fmt: str = "csv", seed: int = 1) -> Workload:
    """The plan of ``tasks`` tasks and a data folder with ``rows`` history rows, in CSV or Parquet."""
    phases = cached(f"plan-{tasks}-s{seed}", lambda folder: write_plan(folder, plan_tasks(tasks, seed)))
    data = cached(
        f"data-{fmt}-{tasks}-{rows}-s{seed}",
        lambda folder: write_data(folder, *simulate(plan_tasks(tasks, seed), rows, seed), fmt, seed),
    )
    return Workload(phases, data, tasks, rows, fmt, seed)


def short_history(full: Workload, rows: int) -> Workload:
    """The same progress with only the last ``rows`` rows of its history (as if the older ones were archived)."""

    def build(folder: Path) -> None:
        progress = full.data / f"progress.{full.fmt}"
        shutil.copy2(progress, folder / progress.name)
        if full.fmt == "csv":
            frame = pd.read_csv(full.data / "history.csv", dtype=str, keep_default_na=False)
            hist.write_csv(frame.tail(rows), folder / "history.csv")
        else:
            frame = pd.read_parquet(full.data / "history")
            hist.write_parquet(frame.tail(rows), folder / "history")

    data = cached(f"{full.data.name.removeprefix(f'v{VERSION}-')}-last{rows}", build)
    return Workload(full.phases, data, full.tasks, rows, full.fmt, full.seed)


def workbook(source: Workload) -> Path:
    """A foreign progress workbook (.xlsx) with a row for every task of ``source``, about a third of them moved on."""
    name = f"book-{source.data.name.removeprefix(f'v{VERSION}-')}"
    folder = cached(name, lambda folder: write_workbook(folder / "progress.xlsx", source))
    return folder / "progress.xlsx"


# the plan ------------------------------------------------------------------------------
def _leaves(nodes: list[dict]) -> list[str]:
    out = []
    for node in nodes:
        out += _leaves(node["children"]) if node.get("children") else [node["id"]]
    return out


def _stage_sizes(count: int) -> list[int]:
    sizes = [max(1, round(count * share)) for share in STAGE_SHARES]
    sizes[2] += count - sum(sizes)
    return sizes


def plan_tasks(count: int, seed: int) -> pd.DataFrame:
    """The tasks of a plan of ``count`` tasks, in plan order, every leaf of both editions served by a mandatory sms task.

    Project work opens the plan and certification work closes it, as in the bundled plan; each
    sms task names 2018 leaves in turn and the 2011 leaves that correspond to them.
    """
    clauses = yaml.load((BUNDLED / "clauses.yaml").read_text(encoding="utf-8"), Loader=yaml.CSafeLoader)
    leaves = _leaves(clauses["editions"]["2018"])
    earlier: dict[str, list[str]] = {}
    for old, targets in clauses["correspondence"].items():
        for new in targets:
            earlier.setdefault(new, []).append(old)
    rng = np.random.default_rng(seed)
    roles = sorted({t["role"] for name in STAGE_FILES for t in _stage_file(name)["tasks"]})
    stage = np.repeat(np.arange(5), _stage_sizes(count))
    kinds = np.where(
        stage == 4, "certification", np.where((stage == 0) & (np.arange(count) % 3 == 0), "project", "sms")
    )
    sms_count = int((kinds == "sms").sum())
    records, served = [], 0
    for i in range(count):
        number = i - int(np.searchsorted(stage, stage[i]))
        width = max(2, len(str(int((stage == stage[i]).sum()))))
        subject, verb = SUBJECTS[i % len(SUBJECTS)], VERBS[(i // len(SUBJECTS)) % len(VERBS)]
        window = np.arange(max(0, i - 40), i)
        deps = rng.choice(window, size=min(len(window), rng.choice([0, 1, 1, 2])), replace=False)
        sms = kinds[i] == "sms"
        extra = rng.choice(len(leaves), size=rng.choice([0, 0, 1, 1, 2]), replace=False) if sms else []
        # the k-th sms task takes every leaf k, k + n, ... (n sms tasks): each leaf is served, however few tasks
        own = leaves[served::sms_count] or [leaves[served % len(leaves)]]
        new = list(dict.fromkeys([*own, *(leaves[e] for e in extra)])) if sms else []
        records.append(
            {
                "id": f"P{stage[i]}.{number + 1:0{width}d}",
                "stage": int(stage[i]),
                "title": f"{verb} {subject} ({i + 1})",
                "description": f"{verb} {subject} for the services in scope and record the outcome.",
                "kind": str(kinds[i]),
                "clauses_2018": new,
                "clauses_2011": list(dict.fromkeys(old for leaf in new for old in earlier.get(leaf, []))),
                "deliverable": f"{subject[4:].capitalize()}, version {i % 5 + 1}",
                "role": roles[int(rng.integers(len(roles)))],
                "effort": float(EFFORTS[int(rng.integers(len(EFFORTS)))]),
                "depends_on": sorted(int(d) for d in deps),
                # the first task on each leaf is mandatory: every leaf stays served
                "mandatory": bool(sms and served < len(leaves)) or bool(rng.random() < 0.9),
            }
        )
        served += sms
    tasks = pd.DataFrame(records)
    tasks["depends_on"] = [[tasks["id"][d] for d in deps] for deps in tasks["depends_on"]]
    return tasks


def task_ids(count: int, seed: int = 1) -> list[str]:
    return plan_tasks(count, seed)["id"].tolist()


def _stage_file(name: str) -> dict:
    return yaml.load((BUNDLED / name).read_text(encoding="utf-8"), Loader=yaml.CSafeLoader)


def _quoted(items: list[str]) -> str:
    return "[" + ", ".join(json.dumps(i) for i in items) + "]"


def _clause_yaml(task: dict) -> list[str]:
    tags = {e: task[f"clauses_{e}"] for e in ("2018", "2011") if task[f"clauses_{e}"]}
    return ["    clauses:", *(f'      "{e}": {_quoted(ids)}' for e, ids in tags.items())]


def _task_yaml(task: dict) -> str:
    lines = [
        f"  - id: {task['id']}",
        f"    title: {json.dumps(task['title'])}",
        f"    description: {json.dumps(task['description'])}",
        *([f"    kind: {task['kind']}"] if task["kind"] != "sms" else []),
        *(_clause_yaml(task) if task["kind"] == "sms" else []),
        f"    deliverable: {json.dumps(task['deliverable'])}",
        f"    role: {json.dumps(task['role'])}",
        f"    effort_days: {task['effort']:g}",
        *([f"    depends_on: [{', '.join(task['depends_on'])}]"] if task["depends_on"] else []),
        *(["    mandatory: false"] if not task["mandatory"] else []),
    ]
    return "\n".join(lines) + "\n\n"


def write_plan(folder: Path, tasks: pd.DataFrame) -> None:
    """plan.yaml and clauses.yaml as bundled; each stage file with the bundled header and the generated tasks."""
    for name in ("plan.yaml", "clauses.yaml"):
        shutil.copy(BUNDLED / name, folder / name)
    for number, name in enumerate(STAGE_FILES):
        header = _stage_file(name)
        head = [
            f"phase: {number}",
            f"name: {json.dumps(header['name'])}",
            f"objective: {json.dumps(header['objective'])}",
            "gate:",
            *(f"  - {json.dumps(g)}" for g in header["gate"]),
            "tasks:",
        ]
        body = "".join(_task_yaml(t) for t in tasks[tasks["stage"] == number].to_dict("records"))
        (folder / name).write_text("\n".join(head) + "\n" + body, encoding="utf-8")


# progress and history -------------------------------------------------------------------
def _final_percent(stage: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Where each task stands today: initiation done, phase 1 nearly, phase 2 under way, phase 3 begun."""
    draw = rng.random(len(stage))
    partial = rng.integers(5, 96, len(stage))
    done_share = np.array([0.95, 0.7, 0.2, 0.0, 0.0])[stage]
    started_share = np.array([1.0, 1.0, 0.9, 0.5, 0.0])[stage]
    return np.where(draw < done_share, 100, np.where(draw < started_share, partial, 0))


def _rows_per_task(updates: np.ndarray, final: np.ndarray, blocked: np.ndarray) -> np.ndarray:
    """History rows of a task's progress updates: a note each, a percent each time it moves, status and evidence."""
    status = np.where(updates > 1, 1 + ((final == 100) | blocked), 1)
    return np.where(updates > 0, updates + np.minimum(updates, final) + status + (final == 100), 0)


def _update_counts(final: np.ndarray, blocked: np.ndarray, budget: int, rng: np.random.Generator) -> np.ndarray:
    """Progress updates per task, so that their rows reach ``budget`` by as little as possible."""
    moving = final > 0
    weight = rng.gamma(2.0, 0.5, len(final))

    def counts(scale: float) -> np.ndarray:
        return np.where(moving, np.maximum(1, np.round(scale * weight)).astype(int), 0)

    low, high = 0.0, 1.0
    while _rows_per_task(counts(high), final, blocked).sum() < budget:
        low, high = high, high * 2
    for _ in range(60):
        middle = (low + high) / 2
        low, high = (middle, high) if _rows_per_task(counts(middle), final, blocked).sum() < budget else (low, middle)
    return counts(high)


def _frame(update: np.ndarray, field: str, new: np.ndarray | list) -> pd.DataFrame:
    return pd.DataFrame({"update": update, "field": field, "new": new})


def _progress_rows(
    tasks: pd.DataFrame, counts: np.ndarray, final: np.ndarray, blocked: np.ndarray, first: int
) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """The rows of every progress update (numbered from ``first``), with each update's task and step."""
    task = np.repeat(np.arange(len(tasks)), counts)
    step = np.arange(len(task)) - np.repeat(np.cumsum(counts) - counts, counts)
    total, goal = counts[task], final[task]
    percent, before = -(-goal * (step + 1) // total), -(-goal * step // total)
    status = np.where(percent == 100, DONE, IN_PROGRESS).astype(object)
    status[(step == total - 1) & blocked[task]] = BLOCKED
    previous = np.where(step == 0, NOT_STARTED, np.where(before == 100, DONE, IN_PROGRESS))
    update = first + np.arange(len(task))
    moved, became_done = status != previous, (status == DONE) & (previous != DONE)
    ids = tasks["id"].to_numpy()[task]
    rows = pd.concat(
        [
            _frame(update[moved], "status", status[moved]),
            _frame(update[percent != before], "percent", percent[percent != before].astype(str)),
            _frame(update[became_done], "evidence", [f"https://intranet.example/sms/{t}" for t in ids[became_done]]),
            _frame(update, "notes", [f"{NOTES[s % len(NOTES)]} ({s + 1})" for s in step]),
        ]
    )
    return rows, task, step


def _planning_rows(tasks: pd.DataFrame, start: np.ndarray, rng: np.random.Generator) -> pd.DataFrame:
    """Each task's first save: an owner, a start and a due date."""
    update = np.arange(len(tasks))
    begin = pd.to_datetime(start, unit="s").normalize() + pd.to_timedelta(rng.integers(0, 21, len(tasks)), unit="D")
    due = begin + pd.to_timedelta(7 * np.ceil(tasks["effort"].to_numpy()) + rng.integers(7, 60, len(tasks)), unit="D")
    owners = np.array(PEOPLE, dtype=object)[rng.integers(len(PEOPLE), size=len(tasks))]
    return pd.concat(
        [
            _frame(update, "owner", owners),
            _frame(update, "start", begin.strftime("%Y-%m-%d")),
            _frame(update, "due", due.strftime("%Y-%m-%d")),
        ]
    )


def _saves(update_task: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A save number for each update (in time order): a few updates a save, never one task twice in a save."""
    sizes = iter(rng.geometric(0.35, len(update_task) + 1).tolist())
    seq, current, members, left = np.empty(len(update_task), dtype=np.int64), 0, set(), 0
    for i, task in enumerate(update_task.tolist()):
        if left == 0 or task in members:
            current, members, left = current + 1, set(), next(sizes)
        members.add(task)
        left -= 1
        seq[i] = current
    return seq


def simulate(tasks: pd.DataFrame, rows: int, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(progress, history): ``rows`` history rows of saves from the plan's start to TODAY, and the progress they give."""
    rng = np.random.default_rng(seed + 1)
    count, stage = len(tasks), tasks["stage"].to_numpy()
    final = _final_percent(stage, rng)
    excluded = rng.random(count) < 0.02
    final[excluded] = 0
    blocked = (stage == 2) & (final > 0) & (final < 100) & (rng.random(count) < 0.15)
    start = _plan_start()
    begin = dt.datetime.combine(start, dt.time(8), dt.UTC).timestamp()
    window = begin + np.array(STAGE_WINDOWS)[stage] * (TODAY - start).days * DAY
    counts = _update_counts(final, blocked, rows - 3 * count - 2 * int(excluded.sum()), rng)
    moves, task, step = _progress_rows(tasks, counts, final, blocked, first=count)
    planned = window[:, 0] + rng.uniform(0, DAY / 2, count)
    moved = (
        window[task, 0]
        + DAY
        + (window[task, 1] - window[task, 0] - DAY) * (step + rng.random(len(task))) / counts[task]
    )
    skipped = np.flatnonzero(excluded)
    skip_update = count + len(task) + np.arange(len(skipped))
    updates = pd.DataFrame(
        {
            "task": np.concatenate([np.arange(count), task, skipped]),
            "time": np.concatenate([planned, moved, rng.uniform(window[skipped, 0] + DAY, window[skipped, 1])]),
        }
    )
    changes = pd.concat(
        [
            _planning_rows(tasks, planned, rng),
            moves,
            _frame(skip_update, "status", np.full(len(skipped), "not_applicable", dtype=object)),
            _frame(skip_update, "notes", np.full(len(skipped), "Not applicable: outside the scope", dtype=object)),
        ],
        ignore_index=True,
    )
    droppable = (changes["field"] == "notes") & changes["update"].between(count, count + len(task) - 1)
    history = _history(tasks, updates, changes, droppable, rows, rng)
    return _progress(tasks, history), history


def _plan_start() -> dt.date:
    return yaml.load((BUNDLED / "plan.yaml").read_text(encoding="utf-8"), Loader=yaml.CSafeLoader)["start_date"]


def _history(
    tasks: pd.DataFrame,
    updates: pd.DataFrame,
    changes: pd.DataFrame,
    droppable: pd.Series,
    rows: int,
    rng: np.random.Generator,
) -> pd.DataFrame:
    """The change log: updates in time order grouped into saves, cut to ``rows`` rows by dropping progress notes."""
    order = np.lexsort((updates["task"].to_numpy(), updates["time"].to_numpy()))
    position = np.empty(len(order), dtype=np.int64)
    position[order] = np.arange(len(order))
    seq = _saves(updates["task"].to_numpy()[order], rng)[position]  # by update number
    surplus = len(changes) - rows
    if surplus > droppable.sum():
        raise ValueError(f"{len(tasks)} tasks need at least {len(changes) - int(droppable.sum())} history rows")
    changes = changes.drop(index=rng.choice(np.flatnonzero(droppable), surplus, replace=False))
    field_rank = changes["field"].map({f: i for i, f in enumerate(values.FIELDS)}).to_numpy()
    changes = changes.iloc[np.lexsort((field_rank, position[changes["update"].to_numpy()]))]
    update = changes["update"].to_numpy()
    saves = pd.Series(updates["time"].to_numpy()).groupby(seq).max()
    at = pd.Series(pd.to_datetime(saves.to_numpy(), unit="s").strftime("%Y-%m-%dT%H:%M:%SZ"), index=saves.index)
    frame = pd.DataFrame(
        {
            "seq": seq[update],
            "at": at[seq[update]].to_numpy(),
            "by": np.array(PEOPLE, dtype=object)[seq[update] % len(PEOPLE)],
            "source": np.array(SOURCES, dtype=object)[rng.integers(len(SOURCES), size=seq.max() + 1)][seq[update]],
            "task_id": tasks["id"].to_numpy()[updates["task"].to_numpy()[update]],
            "field": changes["field"].to_numpy(),
            "new": changes["new"].astype(str).to_numpy(),
        }
    )
    first = frame["field"].map({"status": NOT_STARTED, "percent": "0"}).fillna("")
    frame.insert(6, "old", frame.groupby(["task_id", "field"])["new"].shift(1).fillna(first))
    frame["seq"] = pd.factorize(frame["seq"])[0] + 1  # saves left empty by the cut leave no gap
    frame["recorded_at"] = frame["at"]
    return frame.reset_index(drop=True)


def _progress(tasks: pd.DataFrame, history: pd.DataFrame) -> pd.DataFrame:
    """Each task's row as the saves of ``history`` leave it."""
    last = history.drop_duplicates(["task_id", "field"], keep="last").pivot(
        index="task_id", columns="field", values="new"
    )
    last = last.reindex(index=tasks["id"], columns=list(values.FIELDS))
    saves = history.groupby("task_id").agg(revision=("seq", "nunique"), seq=("seq", "max")).reindex(tasks["id"])
    latest = history.drop_duplicates("task_id", keep="last").set_index("task_id").reindex(tasks["id"])
    progress = pd.DataFrame({"task_id": tasks["id"].to_numpy()})
    progress["status"] = last["status"].fillna(NOT_STARTED).to_numpy()
    progress["percent"] = last["percent"].fillna("0").astype(int).to_numpy()
    for name in ("owner", "start", "due", "evidence", "notes"):
        progress[name] = last[name].fillna("").to_numpy()
    for name in ("start", "due"):
        progress[name] = [dt.date.fromisoformat(d) if d else None for d in progress[name]]
    progress["updated_at"] = latest["at"].fillna("").to_numpy()
    progress["updated_by"] = latest["by"].fillna("").to_numpy()
    progress["revision"] = saves["revision"].fillna(0).astype(int).to_numpy()
    progress["seq"] = saves["seq"].fillna(0).astype(int).to_numpy()
    progress["verified_by"] = progress["verified_at"] = ""
    return progress[rules.COLUMNS]


def write_data(folder: Path, progress: pd.DataFrame, history: pd.DataFrame, fmt: str, seed: int = 1) -> None:
    """progress, history and the assurance records as the store writes them: CSV (history fully quoted) or
    Parquet (history compacted)."""
    write_records(folder, len(progress), int(history["seq"].max()), fmt, seed)
    if fmt == "csv":
        text = progress.copy()
        for name in ("start", "due"):
            text[name] = text[name].map(rules.text_of)
        text.to_csv(folder / "progress.csv", index=False, encoding="utf-8", lineterminator="\n")
        hist.write_csv(history, folder / "history.csv")
    else:
        table = pa.Table.from_pandas(progress, schema=fileformat.ARROW_SCHEMA, preserve_index=False)
        pq.write_table(table, folder / "progress.parquet")
        hist.write_parquet(history, folder / "history")


def write_records(folder: Path, tasks: int, last_seq: int, fmt: str, seed: int) -> None:
    """Half as many assessments as tasks and a fifth as many findings (5,000 and 2,000 beside 10,000 tasks),
    dated over the rollout, each last written by one of the saves before the last."""
    rng = np.random.default_rng(seed)
    clauses = yaml.load((BUNDLED / "clauses.yaml").read_text(encoding="utf-8"), Loader=yaml.CSafeLoader)
    leaves = np.array(_leaves(clauses["editions"]["2018"]))
    start = dt.date(2026, 6, 1)

    def days(count: int) -> list[dt.date]:
        return [start + dt.timedelta(days=int(d)) for d in rng.integers(0, (TODAY - start).days, count)]

    def kept(count: int) -> dict[str, list]:
        return {"updated_at": [f"{d}T12:00:00Z" for d in days(count)], "updated_by": ["Benchmark"] * count,
                "revision": [1] * count, "seq": sorted(rng.integers(1, last_seq, count).tolist())}  # fmt: skip

    count = tasks // 2
    assessments = {
        "id": [f"A-{i + 1:04d}" for i in range(count)], "clause": rng.choice(leaves, count).tolist(),
        "result": rng.choice(records.RESULTS, count).tolist(), "source": rng.choice(records.ASSESSMENT_SOURCES, count).tolist(),
        "assessed_on": days(count), "assessor": ["Ines Auditor"] * count, "evidence": [""] * count, "notes": [""] * count,
    }  # fmt: skip
    count = tasks // 5
    status = rng.choice(["open", "action_planned", "closed"], count)
    findings = {
        "id": [f"F-{i + 1:04d}" for i in range(count)], "clauses": rng.choice(leaves, count).tolist(),
        "source": rng.choice(records.FINDING_SOURCES, count).tolist(), "grade": rng.choice(records.GRADES, count).tolist(),
        "description": [f"Finding {i + 1}" for i in range(count)], "cause": [""] * count,
        "action": ["Correct and check"] * count, "owner": ["Sam Owner"] * count, "due": days(count),
        "status": status.tolist(), "closed_on": [d if s == "closed" else None for d, s in zip(days(count), status, strict=True)],
        "verified_by": [""] * count, "verified_on": [None] * count,
    }  # fmt: skip
    for schema, columns in ((records.ASSESSMENTS, assessments), (records.FINDINGS, findings)):
        rows = pd.DataFrame({**columns, **kept(len(columns["id"]))}).to_dict("records")
        filerecords.write(rows, filerecords.path_of(folder, schema, fmt), fmt, schema)


# the import workbook -------------------------------------------------------------------
def write_workbook(path: Path, source: Workload) -> None:
    """Every task's saved progress as a team would keep it in Excel, a third of the open tasks moved on."""
    import openpyxl

    plan = plan_tasks(source.tasks, source.seed)
    progress = store.FileStore(source.data, plan["id"].tolist()).load().progress
    rng = np.random.default_rng(source.seed + 2)
    status, percent = progress["status"].to_numpy(dtype=object), progress["percent"].to_numpy()
    moving = ~np.isin(status, [DONE, "not_applicable"]) & (rng.random(len(status)) < 0.35)
    percent = np.where(moving, np.minimum(100, percent + rng.integers(5, 40, len(percent))), percent)
    status = np.where(moving, np.where(percent == 100, DONE, IN_PROGRESS), status)
    notes = np.where(moving, "Updated in the monthly review", progress["notes"].to_numpy(dtype=object))
    evidence = np.where(
        moving & (percent == 100), "https://intranet.example/sms/evidence", progress["evidence"].to_numpy(dtype=object)
    )
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("Progress")
    sheet.append(WORKBOOK_COLUMNS)
    columns = zip(
        progress["task_id"], plan["title"], status, percent, progress["owner"], progress["start"], progress["due"],
        evidence, notes, strict=True,
    )  # fmt: skip
    for task_id, title, code, pct, owner, begin, due, link, note in columns:
        day = [None if pd.isna(d) else d.date() for d in (begin, due)]
        sheet.append([task_id, title, STATUS_WORDS[code], int(pct), owner or None, *day, link or None, note or None])
    book.save(path)
    _saved_on(path, source.today)


def _saved_on(path: Path, day: dt.date) -> None:
    """Date the workbook as saved at the end of ``day``, as the team's file of that day is: openpyxl stamps the time
    of writing, before the synthetic history, and the import would list every value as changed since."""
    stamp = f"{day.isoformat()}T23:59:59Z".encode()
    out = io.BytesIO()
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            content = source.read(item.filename)
            if item.filename == "docProps/core.xml":
                content = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*", rb"\g<1>" + stamp, content)
            target.writestr(item, content)
    path.write_bytes(out.getvalue())


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Write (or find in the cache) a synthetic plan and data folder.")
    parser.add_argument("tasks", type=int)
    parser.add_argument("rows", type=int, help="history rows")
    parser.add_argument("--format", choices=store.FORMATS, default="csv")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    found = workload(args.tasks, args.rows, args.format, args.seed)
    for name, value in found.env().items():
        print(f"{name}={value}")


if __name__ == "__main__":
    main()

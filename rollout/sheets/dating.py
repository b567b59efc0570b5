"""When an import's changes happened, and which saved values the tool changed after a file was written.

Both are read from the history: an import dated in the past may not come before a task's last change
(replayed by date, it would rewrite the past out of order), and a value changed in the tool after
the file was saved is shown before the file overwrites it.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from rollout.progress import utc_stamp


def happened_at(day: dt.date, now: dt.datetime) -> dt.datetime:
    """The changes of a day are recorded at its last second (UTC), after whatever was done earlier that day;
    never after ``now``."""
    return min(dt.datetime.combine(day, dt.time(23, 59, 59), dt.UTC), now)


def _of(history: pd.DataFrame, tasks: set[str]) -> pd.DataFrame:
    return history[history["task_id"].astype(object).isin(tasks)]


def last_changed(history: pd.DataFrame, tasks: set[str]) -> dict[str, str]:
    """Each task's last change (the history's ``at``, ISO text), for the tasks that have one."""
    return _of(history, tasks).groupby("task_id", observed=True)["at"].max().to_dict()


def changed_after(
    history: pd.DataFrame, tasks: set[str], moment: dt.datetime
) -> dict[tuple[str, str], tuple[str, str]]:
    """(task, field) -> (at, by) of the last change made after ``moment``, for these tasks."""
    rows = _of(history, tasks)
    rows = rows[rows["at"].astype(object) > utc_stamp(moment)].drop_duplicates(["task_id", "field"], keep="last")
    return {(t, f): (a, b) for t, f, a, b in zip(rows["task_id"], rows["field"], rows["at"], rows["by"], strict=True)}

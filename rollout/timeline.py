"""Figures over time: burn-up, forecast, slipped tasks and the Gantt schedule.

Weeks end on ``today`` and every 7 days before it, so the last point is the current state
and each of the last 8 weeks is a whole week. A day is a UTC calendar day.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from rollout.plan import Plan
from rollout.readiness import overdue
from rollout.schedule import operating_floor
from rollout.values import DECIMALS, FINISHED, STATUSES
from rollout.words import agreeing, sentence

VELOCITY_WEEKS = 8
MIN_PROGRESS_WEEKS = 3
NO_LATEST = "the slowest weeks made no progress"
# What the forecast leaves out, said wherever a forecast date is shown: it counts effort, not the calendar
FORECAST_CAVEAT = (
    "An estimate from effort, not a promise: work that can only follow an operating period, such as the internal "
    "audit, the management review and the certification audits, can end later."
)
FORECAST_HELP = (
    f"The likely date the remaining effort is done, at the mean weekly pace of the last {VELOCITY_WEEKS} weeks; "
    f"never before the operating periods still to run (at least three months of records) can end. {FORECAST_CAVEAT}"
)
DayFormat = Callable[[dt.date], str]
REPLAYED_FIELDS = ("status", "percent")
STATUS_CODES = {status: float(code) for code, status in enumerate(STATUSES)}


def week_ends(first: dt.date, today: dt.date) -> pd.DatetimeIndex:
    """``today`` and every 7 days back, oldest first, down to the first end on or before ``first``."""
    weeks = max(0, math.ceil((today - first).days / 7))
    return pd.date_range(end=pd.Timestamp(today), periods=weeks + 1, freq="7D")


class _Changes(NamedTuple):
    """Status and percent changes of plan tasks, in ``seq`` order, as arrays of one row per change."""

    day: np.ndarray  # datetime64[D]
    task: np.ndarray  # position in the plan
    percent: np.ndarray  # True for a percent change, False for a status change
    value: np.ndarray  # the number (percent, or the status's code); NaN when it is neither


def _text(column: pd.Series) -> pa.ChunkedArray:
    """A column as arrow strings: free for pandas' own (arrow-backed) strings."""
    return pa.chunked_array(pa.array(column.astype("str")))


def _distinct(values: pa.ChunkedArray) -> tuple[pd.Series, np.ndarray]:
    """The distinct values, and each row's position among them (-1 for a null).

    A lookup array with one more item at its end (for -1) then spreads over the rows what was
    computed once per distinct value.
    """
    encoded = values.combine_chunks().dictionary_encode()
    distinct = encoded.dictionary.to_pandas(types_mapper=lambda _: pd.StringDtype(na_value=np.nan))
    return distinct, encoded.indices.fill_null(-1).to_numpy(zero_copy_only=False)


def _replayed_changes(plan: Plan, history: pd.DataFrame, last: pd.Timestamp) -> _Changes:
    """The status and percent changes of plan tasks made on or before the day ``last``.

    Only the rows and columns needed are taken from the log (a million rows of eight text
    columns), and each distinct task id, day and value is parsed once rather than once per row.
    """
    field = _text(history["field"])
    replayed = pc.is_in(field, pa.array(REPLAYED_FIELDS))
    ids, codes = _distinct(_text(history["task_id"]).filter(replayed))
    ids = ids.map(lambda t: plan.renames.get(t, t)) if plan.renames else ids  # a renamed task's history is its own
    task = np.append(pd.Index(list(plan.tasks)).get_indexer(ids), -1)[codes]
    rows = np.flatnonzero(replayed.to_numpy(zero_copy_only=False))[task >= 0]
    task = task[task >= 0]
    days, codes = _distinct(pc.utf8_slice_codeunits(_text(history["at"]).take(rows), 0, 10))
    day = np.append(pd.to_datetime(days, format="%Y-%m-%d").to_numpy("datetime64[D]"), np.datetime64("NaT"))[codes]
    news, codes = _distinct(_text(history["new"]).take(rows))
    numbers = np.append(pd.to_numeric(news, errors="coerce").to_numpy(float, na_value=np.nan), np.nan)[codes]
    statuses = np.append(news.map(STATUS_CODES).to_numpy(float, na_value=np.nan), np.nan)[codes]
    percent = pc.equal(field.take(rows), "percent").to_numpy(zero_copy_only=False)
    value = np.where(percent, numbers, statuses)
    seq = history["seq"].to_numpy()[rows]
    order = np.flatnonzero(day <= np.datetime64(last, "D"))
    if np.any(np.diff(seq[order]) < 0):  # a log is appended in seq order: sorting is rarely needed
        order = order[np.argsort(seq[order], kind="stable")]
    return _Changes(day[order], task[order], percent[order], value[order])


def _state(changes: _Changes, field_is_percent: bool, ends: pd.DatetimeIndex, tasks: int, initial: float) -> np.ndarray:
    """Days x tasks: a field's last value at each day's end; ``initial`` before its first change.

    A change whose value is not a number (or not a status) leaves the value as it was.
    """
    rows = np.flatnonzero((changes.percent == field_is_percent) & ~np.isnan(changes.value))
    end = ends.to_numpy().astype("datetime64[D]").searchsorted(changes.day[rows])
    latest = np.full(len(ends) * tasks, -1)
    np.maximum.at(latest, end * tasks + changes.task[rows], np.arange(len(rows)))  # the last change of each cell
    state = np.append(changes.value[rows], np.nan)[latest].reshape(len(ends), tasks)
    for week in range(1, len(ends)):
        np.copyto(state[week], state[week - 1], where=np.isnan(state[week]))
    return np.where(np.isnan(state), initial, state)


def _replay(changes: _Changes, ends: pd.DatetimeIndex, tasks: int) -> tuple[np.ndarray, np.ndarray]:
    percent = _state(changes, True, ends, tasks, 0.0)
    return percent, _state(changes, False, ends, tasks, STATUS_CODES["not_started"])


def replay(plan: Plan, history: pd.DataFrame, ends: pd.DatetimeIndex) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Every plan task's percent and status at the end of each day of ``ends`` (ascending), from the history.

    Rows are the days, columns the task ids in plan order; percent is 0..100 and status its
    position in ``values.STATUSES``. A task is not started at 0 % before its first change; its
    state at a day's end is the last change made on or before that day.
    """
    tasks = pd.Index(list(plan.tasks))
    percent, status = _replay(_replayed_changes(plan, history, ends[-1]), ends, len(tasks))
    return pd.DataFrame(percent, index=ends, columns=tasks), pd.DataFrame(status, index=ends, columns=tasks)


def burnup(plan: Plan, history: pd.DataFrame, today: dt.date) -> pd.DataFrame:
    """Done effort-days and the ceiling at the end of each week, replayed from the history.

    Each plan task starts not started at 0 %; its status and percent at a week end are the
    last ones the history gives on or before that day. Done = sum of effort x percent/100 over
    the tasks that are not ``not_applicable`` then; ceiling = their summed effort. A task set
    not applicable leaves both from that week on, and comes back if set applicable again.
    Columns: week_end (Timestamp), done, ceiling.
    """
    effort = np.array([t.effort_days for t in plan.tasks.values()], dtype=float)
    changes = _replayed_changes(plan, history, pd.Timestamp(today))
    first = min(plan.start_date, changes.day.min().item()) if len(changes.day) else plan.start_date
    ends = week_ends(first, today)
    percent, status = _replay(changes, ends, len(effort))
    applicable = (status != STATUS_CODES["not_applicable"]).astype(float)
    done = (percent / 100 * applicable * effort).sum(axis=1)
    ceiling = (applicable * effort).sum(axis=1)
    return pd.DataFrame({"week_end": ends, "done": done.round(DECIMALS), "ceiling": ceiling.round(DECIMALS)})


@dataclass(frozen=True)
class Forecast:
    """When the remaining effort is likely done, at the pace of the last weeks, and never before operating periods end."""

    today: dt.date
    target: dt.date
    done: float
    ceiling: float
    velocities: tuple[float, ...]
    likely: dt.date | None
    earliest: dt.date | None
    latest: dt.date | None
    reason: str | None
    floor: tuple[dt.date, str, dt.date] | None = None  # (end, task, start) of the longest-running operating period

    @property
    def remaining(self) -> float:
        return round(self.ceiling - self.done, DECIMALS)

    @property
    def on_track(self) -> bool | None:
        return None if self.likely is None else self.likely <= self.target

    @property
    def late(self) -> bool:
        return self.likely is not None and self.likely > self.target

    def verdict(self) -> str | None:
        return None if self.likely is None else "on track" if self.on_track else "after the target"

    def range_text(self, day: DayFormat = str) -> str:
        """'between 08 Mar 2027 and 20 May 2027', or with no latest date, why there is none; "" when no range."""
        if self.earliest == self.likely == self.latest:
            return ""
        if self.latest is None:
            return f"from {day(self.earliest)}, with no latest date: {NO_LATEST}"
        return f"between {day(self.earliest)} and {day(self.latest)}"

    def floor_text(self, day: DayFormat = str) -> str | None:
        """Why no date can come sooner: the operating period still to run, if it decides the dates."""
        if self.floor is None or self.likely is None or self.likely > self.floor[0]:
            return None
        end, task, start = self.floor
        weeks = (end - start).days // 7
        return f"not before {day(end)}, when the {weeks}-week operating period of {task} (from {day(start)}) ends"

    def sentence(self, day: DayFormat = str) -> str:
        """The forecast in one line, for the CLI."""
        if self.reason:
            return f"{self.reason}; target {day(self.target)}"
        floor, spread = self.floor_text(day), self.range_text(day)
        return (
            f"likely finish {day(self.likely)}{f' ({spread})' if spread else ''}; target {day(self.target)}: "
            f"{self.verdict()}" + (f"; {floor}" if floor else "")
        )

    def paragraph(self, day: DayFormat = str, strong: Callable[[str], str] = str) -> str:
        """The forecast as the pages and the pack tell it; ``strong`` marks what the reader should see first."""
        if self.reason:
            return f"{sentence(self.reason)} The certification target is {day(self.target)}."
        floor, spread = self.floor_text(day), self.range_text(day)
        return (
            f"At the pace of the last {VELOCITY_WEEKS} weeks the remaining {self.remaining:g} effort-days are likely "
            f"done by {strong(day(self.likely))}{f' ({spread})' if spread else ''}: {strong(str(self.verdict()))} "
            f"against the certification target {day(self.target)}."
            + (f" {sentence(floor)}" if floor else "")
            + f" {FORECAST_CAVEAT}"
        )

    def as_json(self) -> dict:
        """The `forecast --json` shape."""

        def iso(day: dt.date | None) -> str | None:
            return day.isoformat() if day else None

        return {
            "likely": iso(self.likely),
            "earliest": iso(self.earliest),
            "latest": iso(self.latest),
            "target": iso(self.target),
            "on_track": self.on_track,
            "reason": self.reason,
            "remaining_effort": self.remaining,
            "weekly_velocity": list(self.velocities),
            "not_before": iso(self.floor[0]) if self.floor else None,
            "not_before_task": self.floor[1] if self.floor else None,
        }


def _finish(today: dt.date, remaining: float, velocity: float) -> dt.date | None:
    """today + remaining / velocity weeks, rounded up to a whole day; None when it never ends."""
    if velocity <= 0:
        return None
    try:
        # rounded first so that float noise (114.00000000000001) does not add a day
        return today + dt.timedelta(days=math.ceil(round(7 * remaining / velocity, 6)))
    except OverflowError:
        return None


def velocities(weekly: pd.DataFrame, today: dt.date) -> np.ndarray:
    """Change of done effort-days in each of the last 8 weeks, oldest first; weeks before the burn-up are 0."""
    ends = pd.date_range(end=pd.Timestamp(today), periods=VELOCITY_WEEKS + 1, freq="7D")
    done = weekly.set_index("week_end")["done"].reindex(ends).fillna(0)
    return done.diff().iloc[1:].round(DECIMALS).to_numpy()


def forecast(plan: Plan, table: pd.DataFrame, weekly: pd.DataFrame, today: dt.date) -> Forecast:
    """Likely, earliest and latest end dates from the burn-up's last 8 weeks and the remaining effort.

    Likely uses the mean weekly velocity, earliest its 75th and latest its 25th percentile
    (numpy's linear interpolation). No forecast before 3 of the 8 weeks show progress. The mean
    can fall outside the two percentiles (one slow week pulls it below the 25th), so earliest and
    latest are clamped to keep earliest <= likely <= latest; a latest of None (never) stays None.
    No date is earlier than the end of the longest operating period still to run (``min_weeks``).
    """
    applicable = table["applicable"]  # two columns masked, not the whole table
    effort = table["effort"][applicable]
    done = _round_sum(effort * table["completion"][applicable])
    ceiling = _round_sum(effort)
    speed = velocities(weekly, today)
    likely, earliest, latest, reason = _dates(today, ceiling - done, speed)
    floor = operating_floor(plan, table, today)
    if floor is not None and likely is not None:  # no date before the longest operating period can end
        likely, earliest = max(likely, floor[0]), max(earliest, floor[0])
        latest = None if latest is None else max(latest, floor[0])
    return Forecast(
        today, plan.target_date, done, ceiling, tuple(speed.tolist()), likely, earliest, latest, reason, floor
    )


def plan_forecast(plan: Plan, table: pd.DataFrame, history: pd.DataFrame, today: dt.date) -> Forecast:
    """The forecast straight from the history: ``forecast`` over a fresh ``burnup``."""
    return forecast(plan, table, burnup(plan, history, today), today)


def _dates(
    today: dt.date, remaining: float, speed: np.ndarray
) -> tuple[dt.date | None, dt.date | None, dt.date | None, str | None]:
    """(likely, earliest, latest, reason): the dates, or none and why."""
    if remaining <= 0:
        return today, today, today, None
    progress_weeks = int((speed > 0).sum())
    if progress_weeks < MIN_PROGRESS_WEEKS:
        reason = (
            f"no forecast yet: {progress_weeks} of the last {VELOCITY_WEEKS} weeks "
            f"{agreeing(progress_weeks, 'shows', 'show')} progress; "
            f"at least {MIN_PROGRESS_WEEKS} are needed"
        )
        return None, None, None, reason
    likely = _finish(today, remaining, float(speed.mean()))
    if likely is None:
        return None, None, None, f"no forecast yet: at the pace of the last {VELOCITY_WEEKS} weeks the work never ends"
    fast, slow = np.percentile(speed, [75, 25])
    earliest, latest = _finish(today, remaining, float(fast)), _finish(today, remaining, float(slow))
    # the mean can fall outside the quartiles (one slow week pulls it below the 25th percentile)
    earliest = likely if earliest is None or earliest > likely else earliest
    latest = None if latest is None else max(latest, likely)
    return likely, earliest, latest, None


def _round_sum(values: pd.Series) -> float:
    return round(float(values.sum()), DECIMALS)


def slipped(plan: Plan, table: pd.DataFrame, history: pd.DataFrame, since: dt.date, today: dt.date) -> pd.DataFrame:
    """Tasks whose due date is later than it was on ``since``, or that became overdue since then.

    The state on ``since`` is the one before the first change made that day or later.
    Columns: task_id, stage, title, status, due_then, due_now, days_later, reason.
    """
    recent = history[history["at"] >= since.isoformat()]  # ISO times sort as text: no parsing of a million dates
    later = recent[recent["field"].isin(["due", "status"]) & recent["task_id"].isin(plan.tasks)]
    before = later.sort_values("seq", kind="stable").groupby(["task_id", "field"])["old"].first().unstack("field")
    before = before.reindex(index=table["task_id"], columns=["due", "status"])
    now = table.set_index("task_id")
    due_then = pd.to_datetime(before["due"].mask(before["due"] == ""), format="%Y-%m-%d").where(
        before["due"].notna(), now["due"]
    )
    status_then = before["status"].where(before["status"].notna(), now["status"])
    moved = (now["due"] > due_then).to_numpy()
    was_overdue = (~status_then.isin(FINISHED) & (due_then < pd.Timestamp(since))).to_numpy()
    became = overdue(table, today).to_numpy() & ~was_overdue
    reason = np.select(
        [moved & became, moved, became], ["due moved later; overdue", "due moved later", "became overdue"], default=""
    )
    rows = table.assign(due_then=due_then.to_numpy(), due_now=table["due"], reason=reason)
    rows = rows[reason != ""]
    rows["days_later"] = (rows["due_now"] - rows["due_then"]).dt.days.where(moved[reason != ""])
    columns = ["task_id", "stage", "title", "status", "due_then", "due_now", "days_later", "reason"]
    return rows[columns].reset_index(drop=True)

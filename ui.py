"""The one non-page module that imports streamlit: settings, cached loaders, the sidebar, saving.

Pages read everything through here. Loaded and computed tables are cached with
``st.cache_resource`` keyed on the files' modification times, so a rerun that changes
nothing re-reads and recomputes nothing, and a save (which changes the files) refreshes
every page. Cached values are shared: pages treat them as read-only.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import re
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import pandas as pd
import streamlit as st

from rollout import config, readiness, values
from rollout.demo import write_demo
from rollout.overview import Overview
from rollout.overview import load as load_overview
from rollout.plan import Plan, PlanError, load_plan
from rollout.progress import ChangeError, Conflict, ConflictError, SaveResult, Snapshot, StoreError
from rollout.stores.files import FileStore

T = TypeVar("T")
PAGES = [
    ("app.py", "Overview", ":material/dashboard:"),
    ("pages/1_Plan.py", "Plan", ":material/account_tree:"),
    ("pages/2_Progress.py", "Progress", ":material/edit_note:"),
    ("pages/3_Readiness.py", "Readiness", ":material/checklist:"),
    ("pages/4_Timeline.py", "Timeline", ":material/timeline:"),
    ("pages/5_Import.py", "Import", ":material/upload_file:"),
    ("pages/6_Steering_committee.py", "Steering committee", ":material/groups:"),
]
EDITIONS = {"2011": "ISO/IEC 20000-1:2011", "2018": "ISO/IEC 20000-1:2018"}
HELP = {
    "overall": "The effort-weighted mean completion of every applicable task: the sum of effort x percent "
    "over the sum of effort. Tasks marked not applicable are left out.",
    "forecast": "The likely date the remaining effort is done, at the mean weekly pace of the last 8 weeks.",
}
GATE_COLOURS = {"met": "green", "at risk": "orange", "not met": "gray"}
GATE_ICONS = {"met": ":material/check_circle:", "at risk": ":material/warning:", "not met": ":material/pending:"}
# Labels and formats of the task columns, shared by every table of the pages.
COLUMNS = {
    "task_id": st.column_config.TextColumn("Task", pinned=True),
    "title": st.column_config.TextColumn("Title", width="medium"),
    "stage": st.column_config.NumberColumn("Stage", width="small"),
    "status": st.column_config.TextColumn("Status"),
    "percent": st.column_config.NumberColumn("%", format="%d %%", width="small"),
    "owner": st.column_config.TextColumn("Owner"),
    "role": st.column_config.TextColumn("Role"),
    "deliverable": st.column_config.TextColumn("Deliverable", width="medium"),
    "start": st.column_config.DateColumn("Start", format="YYYY-MM-DD"),
    "due": st.column_config.DateColumn("Due", format="YYYY-MM-DD"),
    "next_due": st.column_config.DateColumn("Next due", format="YYYY-MM-DD"),
    "effort": st.column_config.NumberColumn("Effort (days)", format="%g"),
    "remaining": st.column_config.NumberColumn("Remaining (days)", format="%g"),
    "done_days": st.column_config.NumberColumn("Done (days)", format="%g"),
    "reason": st.column_config.TextColumn("Why the gate is shut"),
    "why": st.column_config.TextColumn("Why", width="medium"),
    "open": st.column_config.NumberColumn("Open"),
    "overdue": st.column_config.NumberColumn("Overdue"),
    "blocked": st.column_config.NumberColumn("Blocked"),
    "at": st.column_config.TextColumn("When (UTC)"),
    "by": st.column_config.TextColumn("By"),
    "source": st.column_config.TextColumn("Source"),
    "field": st.column_config.TextColumn("Field"),
    "old": st.column_config.TextColumn("Old value"),
    "new": st.column_config.TextColumn("New value"),
}
ALL_STAGES_LIMIT = 400  # above this many tasks, schedules show one stage at a time
PAGE_ROWS = 200  # a long table is shown a page of this many rows at a time
TOP_ROWS = 10  # short lists show the most urgent rows
GANTT_ROWS = 60  # bars a schedule shows at a time


@dataclass(frozen=True)
class State:
    """Progress as loaded, and the task table built from it (plan fields + progress)."""

    snapshot: Snapshot
    tasks: pd.DataFrame
    key: tuple


# settings ------------------------------------------------------------------------
def phases_dir() -> Path:
    return config.phases_dir()


def data_dir() -> Path:
    """The data folder in use: the demo's while exploring it, else ROLLOUT_DATA (or data/)."""
    return Path(st.session_state["demo_dir"]) if st.session_state.get("demo_dir") else config.data_dir()


def in_demo() -> bool:
    return bool(st.session_state.get("demo_dir"))


def today():
    return config.today()


def user() -> str:
    return st.session_state.get("user", "")


def edition() -> str:
    return st.session_state.get("edition", "2011")


# loading ---------------------------------------------------------------------------
def _mtimes(folder: Path) -> tuple:
    return tuple(sorted((p.name, p.stat().st_mtime_ns) for p in folder.glob("*.y*ml"))) if folder.is_dir() else ()


@st.cache_resource(show_spinner=False, max_entries=4)
def _plan(folder: str, stamp: tuple) -> Plan:
    return load_plan(folder)


def plan() -> Plan:
    """The plan of ROLLOUT_PHASES, reloaded when one of its files changes; a broken plan stops the page."""
    folder = phases_dir()
    try:
        return _plan(str(folder), _mtimes(folder))
    except PlanError as exc:
        st.error(f"The plan in `{folder}` has {len(exc.issues)} error(s). Fix them and reload the page.")
        st.code(str(exc), language=None)
        st.stop()


def store() -> FileStore:
    return FileStore(data_dir(), list(plan().tasks))


@st.cache_resource(show_spinner=False, max_entries=8)
def _state(folder: str, _store: FileStore, _plan_obj: Plan, key: tuple) -> State:
    snapshot = _store.load()
    return State(snapshot, readiness.task_table(_plan_obj, snapshot.progress), key)


def state() -> State:
    """Progress and the task table, reloaded only when a file changed; a folder the store refuses stops the page."""
    current, p = store(), plan()

    def load() -> State:
        current.require_folder()
        key = (str(current.folder), _mtimes(phases_dir()), current.version(), str(today()))
        return _state(str(current.folder), current, p, key)

    return or_stop(load)


def or_stop(read: Callable[[], T]) -> T:
    """``read()``; a StoreError is shown with the repair it advises, and the page stops there.

    Inside ``computed`` the error goes up to it and is shown there, outside the cache: a cached
    function may not draw a widget.
    """
    try:
        return read()
    except StoreError as exc:
        if _computing.get():
            raise
        show_store_error(exc)
        st.stop()


def show_store_error(exc: StoreError) -> None:
    """A store's refusal, and its advice as a control: a button that restores the backup named."""
    st.error(str(exc))
    advice = exc.advice
    if advice is None or advice.action != "restore":
        return
    name = user().strip()
    clicked = st.button(
        f"Restore {advice.argument}", type="primary", disabled=not name,
        help=None if name else "Enter your name in the sidebar first: a restore records who made it.",
    )  # fmt: skip
    if clicked:
        try:
            store().restore(advice.argument, by=name)
        except StoreError as failed:
            st.error(str(failed))
            return
        st.rerun()


@st.cache_resource(show_spinner=False, max_entries=64)
def _computed(name: str, key: tuple, _compute: Callable[[], Any]) -> Any:
    return _compute()


_computing = contextvars.ContextVar("computing", default=False)


def computed(name: str, compute: Callable[[], T], *extra: Any) -> T:
    """A figure or table computed once per state of the files (and the extra keys given)."""

    def marked() -> T:
        token = _computing.set(True)
        try:
            return compute()
        finally:
            _computing.reset(token)

    return or_stop(lambda: _computed(name, (state().key, *extra), marked))


@st.cache_resource(show_spinner=False, max_entries=4)
def _history(folder: str, _store: FileStore, key: tuple) -> pd.DataFrame:
    return _store.history()


def history() -> pd.DataFrame:
    """The committed change log (shared and read-only)."""
    current = store()
    return or_stop(lambda: _history(str(current.folder), current, state().key))


def overview() -> Overview:
    """The overview's figures, the same object the CLI's status, readiness and forecast print."""
    return computed("overview", lambda: load_overview(plan(), store(), today()))


def chart(figure, key: str, **options):
    """A plotly figure as drawn by rollout.charts: its own theme, not Streamlit's (which redraws it once more)."""
    return st.plotly_chart(figure, key=key, theme=None, **options)


def badge(gate: str) -> str:
    """A gate's state as a coloured Markdown badge, drawn inside the text around it (one element, not two)."""
    return f":{GATE_COLOURS[gate]}-badge[{GATE_ICONS[gate]} {gate}]"


def labelled(frame: pd.DataFrame) -> pd.DataFrame:
    """The rows with their status as the words people read ("In progress", not in_progress)."""
    return frame.assign(status=frame["status"].map(values.STATUS_LABELS))


def plain(text: str) -> str:
    """Text as typed, inside Markdown: every ASCII punctuation mark escaped (notes may hold * _ [ < : |)."""
    return re.sub(r"([!-/:-@\[-`{-~])", r"\\\1", " ".join(text.split()))


def cell(value: Any) -> str:
    """A value as a table cell shows it: dates as ISO days, blanks empty, numbers short, text as typed."""
    if pd.isna(value):
        return ""
    if isinstance(value, (pd.Timestamp, dt.date)):
        return f"{value:%Y-%m-%d}"
    if isinstance(value, float):
        return f"{value:g}"
    return plain(str(value))


def show_table(
    frame: pd.DataFrame, columns: list[str] | None = None, config: dict = COLUMNS, markdown: tuple[str, ...] = ()
) -> None:
    """A short list as one Markdown table: far lighter to draw than a data grid, or than st.table, which
    draws every cell as an element of its own. Columns named in ``markdown`` hold Markdown of ours (badges)."""
    columns = columns or list(frame.columns)
    labels = [config[c]["label"] if c in config else c for c in columns]
    kept = [c in markdown for c in columns]
    lines = ["| " + " | ".join(plain(label) for label in labels) + " |", "|" + " --- |" * len(columns)]
    lines += [
        "| " + " | ".join(v if raw else cell(v) for v, raw in zip(row, kept, strict=True)) + " |"
        for row in frame[columns].itertuples(index=False)
    ]
    st.markdown("\n".join(lines))


def has_progress() -> bool:
    return store().progress_path().exists()


def paged(frame: pd.DataFrame, key: str, size: int = PAGE_ROWS, disabled: bool = False) -> pd.DataFrame:
    """The rows of the page chosen below a long table (all of them when they fit on one page)."""
    if len(frame) <= size:
        return frame
    pages = -(-len(frame) // size)
    number = st.pagination(pages, key=key, disabled=disabled)
    number = min(number, pages)
    first = (number - 1) * size
    st.caption(f"Rows {first + 1:,} to {min(first + size, len(frame)):,} of {len(frame):,}.")
    return frame.iloc[first : first + size]


# formatting ------------------------------------------------------------------------
def date_text(day) -> str:
    return "not yet" if day is None else f"{day:%d %b %Y}"


def forecast_delta(forecast) -> str | None:
    """'62 days before the target' or '-14 days after the target', for a metric's delta."""
    if forecast.likely is None:
        return None
    days = (forecast.target - forecast.likely).days
    return f"{days} days early" if days >= 0 else f"{days} days late"


def ids_text(items: list[dict], shown: int = 6) -> str:
    ids = [i["task_id"] for i in items]
    return ", ".join(ids[:shown]) + (f" and {len(ids) - shown} more" if len(ids) > shown else "")


# demo ------------------------------------------------------------------------------
def demo_folder() -> Path:
    """The demo for today, made once into a folder of its own, never into the user's data."""
    day = today()
    target = Path(tempfile.gettempdir()) / "rollout-demo" / day.isoformat()
    if (target / "progress.csv").exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=".demo-", dir=target.parent))
    write_demo(plan(), FileStore(work, list(plan().tasks)), day)
    try:
        work.rename(target)
    except OSError:  # another session made it first
        shutil.rmtree(work, ignore_errors=True)
    return target


def enter_demo() -> None:
    with st.spinner("Writing six months of demo progress..."):
        st.session_state["demo_dir"] = str(demo_folder())


def leave_demo() -> None:
    st.session_state.pop("demo_dir", None)


# saving ----------------------------------------------------------------------------
@dataclass
class Outcome:
    """What became of a save, kept in the session until the page shows it."""

    changes: dict[str, dict[str, Any]]
    result: SaveResult | None = None
    problems: list[tuple[str, str, str]] | None = None
    conflicts: list[Conflict] | None = None
    error: str | None = None


def save(changes: dict[str, dict[str, Any]], revisions: dict[str, int] | None, source: str = "ui") -> Outcome:
    """Save through the store; refusals come back in the outcome, nothing half-done."""
    if not user().strip():
        return Outcome(changes, error="Enter your name in the sidebar first: every change records who made it.")
    try:
        return Outcome(changes, result=store().save(changes, revisions, by=user().strip(), source=source))
    except ConflictError as exc:
        return Outcome(changes, conflicts=exc.conflicts)
    except ChangeError as exc:
        return Outcome(changes, problems=exc.problems)
    except StoreError as exc:
        return Outcome(changes, error=str(exc))


def show_outcome(outcome: Outcome) -> None:
    if outcome.result is not None:
        tasks = outcome.result.tasks
        st.success(f"Saved {len(tasks)} task(s): {', '.join(tasks)}." if tasks else "Nothing had changed.")
    elif outcome.problems:
        st.error(f"Nothing was saved: {len(outcome.problems)} value(s) cannot be used.")
        st.dataframe(pd.DataFrame(outcome.problems, columns=["Task", "Field", "Problem"]), hide_index=True)
    elif outcome.conflicts:
        st.error(
            "Nothing was saved: someone else changed these tasks after you loaded them. "
            "Compare the values, then load the latest or save yours over theirs."
        )
        st.dataframe(conflict_table(outcome.conflicts), hide_index=True)
    elif outcome.error:
        st.error(outcome.error)


def conflict_table(conflicts: list[Conflict]) -> pd.DataFrame:
    rows = [
        {"Task": c.task_id, "Field": name, "Saved by them": c.theirs.get(name, ""), "Yours": mine,
         "Changed by": c.updated_by, "At (UTC)": c.updated_at}
        for c in conflicts
        for name, mine in c.yours.items()
    ]  # fmt: skip
    return pd.DataFrame(rows)


# page frame ------------------------------------------------------------------------
def page_setup(title: str) -> None:
    """Page config, session defaults and the shared sidebar; call first on every page."""
    st.set_page_config(
        page_title=f"{title} · ISO 20000 Rollout Tracker", page_icon=":material/verified:", layout="wide"
    )
    st.session_state.setdefault("user", config.user() if config.user() not in ("root", "unknown") else "")
    st.session_state.setdefault("edition", "2011")
    sidebar()


def _copy(widget: str, target: str) -> None:
    st.session_state[target] = st.session_state[widget]


def sidebar() -> None:
    with st.sidebar:
        st.markdown("**ISO 20000 Rollout Tracker**")
        for page, label, icon in PAGES:
            st.page_link(page, label=label, icon=icon)
        st.divider()
        st.session_state["sidebar_edition"] = edition()
        st.segmented_control(
            "Clauses of", list(EDITIONS), key="sidebar_edition", required=True,
            help="Which edition of ISO/IEC 20000-1 the readiness figures follow.",
            on_change=_copy, args=("sidebar_edition", "edition"),
        )  # fmt: skip
        st.session_state["sidebar_user"] = user()
        st.text_input(
            "Your name", key="sidebar_user", placeholder="who is making changes",
            on_change=_copy, args=("sidebar_user", "user"),
        )  # fmt: skip
        st.divider()
        _where()


def _where() -> None:
    current = store()
    try:
        fmt = current.format().upper()
    except StoreError:
        fmt = "unreadable"
    if in_demo():
        st.warning(f"Exploring the demo ({today():%d %b %Y}); your own data is untouched.", icon=":material/science:")
        st.button("Leave the demo", on_click=leave_demo, width="stretch")
    st.caption(f"Data: `{current.folder}` ({fmt})  \nPlan: `{phases_dir()}`")

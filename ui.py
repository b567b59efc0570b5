"""The one non-page module that imports streamlit: the guard every page calls first, cached loaders, saving.

Every page, app.py included, starts with ``page_setup``: with an ``[auth]`` section in the secrets
file, people sign in and see the pages of their roles; without one, the app runs in local mode
(the person's name typed in the sidebar, every action open). Loaded and computed objects are cached
with ``st.cache_resource`` on functions whose arguments are everything they depend on: a
``Source`` names the plan folder, the data location, the fingerprint of their files and the
day, so that a save (which changes the files) reloads every page and nothing is served for
another edition, day or folder. Cached values are shared between sessions: read-only.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import re
import shutil
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from rollout import access, cache, charts, committee, config, overview, readiness, report, schedule, values, views
from rollout.access import AccessConfigError, AccessError, Actor
from rollout.demo import write_demo
from rollout.fileio import atomic_write
from rollout.plan import EDITION_NAMES, Plan, PlanError, load_plan
from rollout.progress import ChangeError, Conflict, ConflictError, SaveResult, StoreError
from rollout.sheets import findings, importer
from rollout.sheets.spreadsheet import SpreadsheetError
from rollout.stores import Store, open_store
from rollout.stores.files import FileStore
from rollout.stores.live import Watcher
from rollout.words import counted, day_text, field_text, time_text

PAGES = [
    ("app.py", "Overview", ":material/dashboard:"),
    ("pages/1_Plan.py", "Plan", ":material/account_tree:"),
    ("pages/2_Progress.py", "Progress", ":material/edit_note:"),
    ("pages/3_Readiness.py", "Readiness", ":material/checklist:"),
    ("pages/4_Timeline.py", "Timeline", ":material/timeline:"),
    ("pages/5_Import.py", "Import", ":material/upload_file:"),
    ("pages/6_Steering_committee.py", "Steering committee", ":material/groups:"),
    ("pages/7_Assurance.py", "Assurance", ":material/fact_check:"),
]
PAGE_OF = {label: page for page, label, _ in PAGES}
HERE = Path(__file__).resolve().parent
GATE_COLOURS = {"met": "green", "waiting": "blue", "at risk": "orange", "not met": "gray"}
GATE_ICONS = {
    "met": ":material/check_circle:",
    "waiting": ":material/hourglass_top:",
    "at risk": ":material/warning:",
    "not met": ":material/pending:",
}
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
    "done_days": st.column_config.NumberColumn("Done (days)", format="%.4g"),
    "reason": st.column_config.TextColumn("Why the gate is shut"),
    "risk": st.column_config.TextColumn("At risk because"),
    "why": st.column_config.TextColumn("Why", width="medium"),
    "open": st.column_config.NumberColumn("Open"),
    "overdue": st.column_config.NumberColumn("Overdue"),
    "blocked": st.column_config.NumberColumn("Blocked"),
    "at": st.column_config.TextColumn("When"),
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
OWN_COMMIT_WAIT = 1.0  # seconds a save waits for the watcher to see it: a database announces it in milliseconds
LIVE_FOLDER = HERE / "static" / "live"  # served at app/static/live/ (server.enableStaticServing)
LIVE = st.components.v2.component("live_refresh", js=(HERE / "assets" / "live_refresh.js").read_text())
FAVICON = HERE / "assets" / "favicon.png"  # served by the app: no icon from the internet
NAME_NEEDED = "Enter your name under Your name in the sidebar first: every change records who made it."
AUTH_KEYS = ("redirect_uri", "cookie_secret", "client_id", "client_secret", "server_metadata_url")
MIN_COOKIE_SECRET = 32  # characters: anyone who knows the secret can sign cookies naming any person and role


class Source(NamedTuple):
    """Everything a page's figures depend on: the caches' key."""

    phases: str
    plan_stamp: tuple
    data: str
    data_stamp: tuple
    today: dt.date


# settings ------------------------------------------------------------------------
def data_dir() -> Path | str:
    """The data in use: the demo's folder while exploring it, else ROLLOUT_DATA (a folder or a database URL)."""
    return Path(st.session_state["demo_dir"]) if st.session_state.get("demo_dir") else config.data_dir()


def in_demo() -> bool:
    return bool(st.session_state.get("demo_dir"))


def today() -> dt.date:
    return config.today()


def user() -> str:
    """The name of who makes changes: the signed-in person's, else the one typed in the sidebar."""
    by = acting()
    return (by.name or by.email) if isinstance(by, Actor) else st.session_state.get("user", "")


# sign-in and roles ---------------------------------------------------------------
def _secrets(section: str) -> Mapping | None:
    try:
        return st.secrets.get(section)
    except FileNotFoundError:  # no secrets file at all
        return None


def signing_in() -> bool:
    """Whether people sign in: the secrets file has an [auth] section. Without one: local mode."""
    return _secrets("auth") is not None


def auth_problem() -> str | None:
    """What keeps sign-in from working as configured, in words for whoever keeps the secrets file."""
    auth = _secrets("auth")
    if not isinstance(auth, Mapping):
        return "The [auth] section of the secrets file is not a section of settings."
    missing = [key for key in AUTH_KEYS if not auth.get(key)]
    if missing:
        return f"The [auth] section of the secrets file lacks {', '.join(missing)}; add them and restart the app."
    if len(str(auth["cookie_secret"])) < MIN_COOKIE_SECRET:
        return (
            f"cookie_secret in the [auth] section of the secrets file has {len(str(auth['cookie_secret']))} "
            f"characters; it needs at least {MIN_COOKIE_SECRET}, because whoever guesses it can sign in as anyone. "
            "Set a long random one and restart the app."
        )
    try:
        access.role_settings(_secrets("rollout"))
    except AccessConfigError as exc:
        return f"{exc}; correct it in the secrets file and restart the app."
    return None


def acting() -> access.Acting:
    """Who makes a change, read afresh on every call, never from the session's own keys or the address:
    the signed-in person with the roles of their claims and the secrets file, else the name typed in the sidebar."""
    if not signing_in():
        return st.session_state.get("user", "").strip()
    if not st.user.get("is_logged_in", False):
        return Actor("", "")  # nobody: a viewer, whose every write the store refuses
    return access.actor_from(st.user, _secrets("rollout"))


def may(right: str) -> bool:
    """Whether the person acting now holds a right (access.TASKS, access.FINDINGS, ...); local mode: every one."""
    return access.may(acting(), right)


def may_open(page: str) -> bool:
    """Whether the person may open the page (local mode: every page)."""
    by = acting()
    return not isinstance(by, Actor) or page in access.pages_for(by.roles)


def edition() -> str:
    chosen = st.session_state.get("edition")
    return chosen if chosen in EDITION_NAMES else plan().edition


def _plan_state() -> tuple[str, tuple]:
    """The plan's folder and the stamps of its files (a glob and a few stat calls)."""
    phases = config.phases_dir()
    return str(phases), cache.stamp(sorted(phases.glob("*.y*ml")) if phases.is_dir() else [])


def source() -> Source:
    """The state of the files and data the pages show, read fresh on every call (on PostgreSQL, one query)."""
    location = data_dir()
    return Source(*_plan_state(), str(location), open_store(location, ()).version(), today())


# loading ---------------------------------------------------------------------------
@st.cache_resource(show_spinner=False, max_entries=4)
def _plan(phases: str, stamp: tuple) -> Plan:
    return load_plan(phases)


def plan() -> Plan:
    """The plan, reloaded when one of its files changes; a broken plan stops the page with every error.
    It looks at the plan's files only: the data's version is not needed here, and costs a query on PostgreSQL."""
    phases, stamp = _plan_state()
    try:
        return _plan(phases, stamp)
    except PlanError as exc:
        st.error(f"The plan in `{phases}` has {counted(len(exc.issues), 'error')}. Fix them and reload the page.")
        st.code(str(exc), language=None)
        st.stop()


def store() -> Store:
    return open_store(data_dir(), plan())


@st.cache_resource(show_spinner=False, max_entries=8)
def _overview(src: Source) -> overview.Overview:
    current = _plan(src.phases, src.plan_stamp)
    return overview.load(current, open_store(src.data, current), src.today)


def figures() -> overview.Overview:
    """Every figure of the pages, the same object the CLI's status, readiness and forecast print."""
    try:
        store().require_existing()
        return _overview(source())
    except StoreError as exc:
        show_store_error(exc)
        st.stop()


@st.cache_resource(show_spinner=False, max_entries=8)
def _history(src: Source) -> pd.DataFrame:
    current = _plan(src.phases, src.plan_stamp)
    return open_store(src.data, current).history(committed=_overview(src).snapshot.seq)


def history() -> pd.DataFrame:
    """The committed change log that matches the figures shown (shared and read-only)."""
    try:
        return _history(source())
    except StoreError as exc:
        show_store_error(exc)
        st.stop()


def show_store_error(exc: StoreError) -> None:
    """A store's refusal, and its advice as a control: a button that restores the backup named.
    Its words quote what the files hold (values, names): shown as typed, never as Markdown."""
    st.error(plain(str(exc)))
    advice = exc.advice
    if advice is None or advice.action != "restore":
        return
    name = user().strip()
    clicked = st.button(
        f"Restore {advice.argument}", type="primary", disabled=not name,
        help=None if name else NAME_NEEDED,
    )  # fmt: skip
    if clicked:
        try:
            store().restore(advice.argument, by=acting())
        except StoreError as failed:
            st.error(plain(str(failed)))
            return
        st.rerun()


# figures, built once per state of the files and per choice ---------------------------
@st.cache_resource(show_spinner=False, max_entries=32)
def clause_chart(src: Source, view: str, edition: str, depth: int | None) -> go.Figure:
    figures = _overview(src)
    current = _plan(src.phases, src.plan_stamp)
    if view == "heatmap":
        table = readiness.clause_stage_readiness(current, figures.tasks, edition)
        return charts.build_heatmap_figure(table, depth, edition=edition)
    if view == "radar":
        return charts.build_radar_figure(figures.clauses[edition], edition=edition)
    if view == "status":
        return charts.build_status_figure(readiness.status_counts(current, figures.tasks))
    return charts.build_clause_figure(figures.clauses[edition], depth, edition=edition)


@st.cache_resource(show_spinner=False, max_entries=8)
def burnup_chart(src: Source) -> go.Figure:
    figures = _overview(src)
    return charts.build_burnup_figure(figures.burnup, figures.forecast)


@st.cache_resource(show_spinner=False, max_entries=8)
def schedule_bars(src: Source) -> pd.DataFrame:
    return schedule.gantt_table(_plan(src.phases, src.plan_stamp), _overview(src).tasks, src.today)


@st.cache_resource(show_spinner=False, max_entries=8)
def critical_path(src: Source) -> pd.DataFrame:
    return readiness.critical_path(_plan(src.phases, src.plan_stamp), _overview(src).tasks)


@st.cache_resource(show_spinner=False, max_entries=16)
def committee_pack(src: Source, since: dt.date, edition: str) -> committee.Pack:
    current = _plan(src.phases, src.plan_stamp)
    figures = _overview(src)
    return committee.build_pack(
        current, figures.tasks, _history(src), src.today, since, edition, figures.snapshot.records
    )


@st.cache_resource(show_spinner=False, max_entries=16)
def committee_charts(src: Source, since: dt.date, edition: str) -> dict[str, go.Figure]:
    return report.pack_figures(committee_pack(src, since, edition))


def chart(figure: go.Figure, key: str, **options: Any):
    """A plotly figure as drawn by rollout.charts: its own theme, not Streamlit's (which redraws it once more)."""
    return st.plotly_chart(figure, key=key, theme=None, config={"displaylogo": False}, **options)


# showing ---------------------------------------------------------------------------
def badge(gate: str) -> str:
    """A gate's state as a coloured Markdown badge, drawn inside the text around it (one element, not two)."""
    return f":{GATE_COLOURS[gate]}-badge[{GATE_ICONS[gate]} {gate}]"


def labelled(frame: pd.DataFrame) -> pd.DataFrame:
    """The rows with their status as the words people read ("In progress", not in_progress)."""
    return frame.assign(status=frame["status"].map(values.STATUS_LABELS))


def plain(text: str) -> str:
    """Text as typed, inside Markdown: every ASCII punctuation mark escaped (notes may hold * _ [ < : |)."""
    return re.sub(r"([!-/:-@\[-`{-~])", r"\\\1", " ".join(str(text).split()))


ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


def cell(value: Any) -> str:
    """A value as a table cell shows it: dates as ISO days, blanks empty, numbers short, web addresses as links
    (a document reference such as DMS-0042 is no address: it stays text), other text as typed."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    if isinstance(value, (pd.Timestamp, dt.date)):
        value = f"{value:%Y-%m-%d}"
    if isinstance(value, float):
        return f"{value:g}"
    text = str(value)
    if ISO_DAY.fullmatch(text):  # non-breaking hyphens: a narrow column broke '2026-' from '11-21'
        return text.replace("-", "\u2011")
    return f"[{plain(text)}](<{text.strip()}>)" if values.web_address(text) else plain(text)


def grid(data: Any, **options: Any):
    """A table as a data grid, without the index and with empty cells left empty (Streamlit writes "None")."""
    return st.dataframe(data, hide_index=True, placeholder="", **options)


def show_table(
    frame: pd.DataFrame, columns: list[str] | None = None, config: dict = COLUMNS, markdown: tuple[str, ...] = ()
) -> None:
    """A short list as one Markdown table: far lighter to draw than a data grid, or than st.table, which
    draws every cell as an element of its own. Columns named in ``markdown`` hold Markdown of ours (badges).
    A table wider than the screen (a phone) scrolls sideways in a row of its own, not the whole page."""
    columns = columns or list(frame.columns)
    labels = [config[c]["label"] if c in config else c for c in columns]
    shown = [_shown_as(c, config, c in markdown) for c in columns]
    lines = ["| " + " | ".join(plain(label) for label in labels) + " |", "|" + " --- |" * len(columns)]
    lines += [
        "| " + " | ".join(show(v) for v, show in zip(row, shown, strict=True)) + " |"
        for row in frame[columns].itertuples(index=False)
    ]
    st.container(horizontal=True, wrap=False).markdown("\n".join(lines))


def _shown_as(column: str, config: dict, raw: bool):
    """How a light table shows a column's values: Markdown of ours as it is, numbers in the format the grids
    give them (a percent as "40 %"), everything else as a cell."""
    if raw:
        return str
    number_format = config.get(column, {}).get("type_config", {}).get("format") or ""
    if "%" not in number_format:
        return cell

    def formatted(value: Any) -> str:
        if isinstance(value, (int, float)) and not pd.isna(value):  # non-breaking: a narrow column broke "60" from "%"
            return (number_format % value).replace(" ", "\u00a0")
        return cell(value)

    return formatted


def has_progress() -> bool:
    """Whether anything was ever saved (a store that cannot be read holds something, and says so elsewhere)."""
    try:
        return _overview(source()).snapshot.seq > 0
    except StoreError:
        return True


def paged(frame: pd.DataFrame, key: str, size: int = PAGE_ROWS, disabled: bool = False) -> pd.DataFrame:
    """The rows of the page chosen below a long table (all of them when they fit on one page)."""
    if len(frame) <= size:
        return frame
    pages = -(-len(frame) // size)
    number = min(st.pagination(pages, key=key, disabled=disabled), pages)
    first = (number - 1) * size
    st.caption(f"Rows {first + 1:,} to {min(first + size, len(frame)):,} of {len(frame):,}.")
    return frame.iloc[first : first + size]


date_text = day_text  # a date as the pages show it; the caller says what a missing date means


def forecast_delta(forecast) -> str | None:
    """'62 days early' or '-14 days late', for a metric's delta."""
    if forecast.likely is None:
        return None
    days = (forecast.target - forecast.likely).days
    return f"{counted(days, 'day')} early" if days >= 0 else f"-{counted(-days, 'day')} late"


# demo ------------------------------------------------------------------------------
def demo_folder() -> Path:
    """The demo for today, made once into a folder of its own, never into the user's data."""
    day = today()
    target = Path(tempfile.gettempdir()) / "rollout-demo" / day.isoformat()
    if (target / "progress.csv").exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=".demo-", dir=target.parent))
    write_demo(plan(), FileStore(work, plan()), day)
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
    refused: list[tuple[str, str, str]] | None = None  # what the person's role does not allow
    conflicts: list[Conflict] | None = None
    error: str | None = None
    done: str = "Saved"  # what the success message says was done


def _outcome(changes: dict, call, done: str = "Saved") -> Outcome:
    """Run a write through the store as the person acting now; refusals come back in the outcome, nothing half-done."""
    try:
        by = acting()
        if not by:
            return Outcome(changes, error=NAME_NEEDED)
        watcher = _watcher(str(data_dir())) if config.refresh_seconds() else None
        seen = watcher.version if watcher else 0
        result = call(by)
        if watcher and result.history_rows:  # the redraw after a save is drawn at it, not again once it is seen
            watcher.look()
            watcher.wait_past(seen, OWN_COMMIT_WAIT)
        return Outcome(changes, result=result, done=done)
    except AccessError as exc:
        return Outcome(changes, refused=exc.problems)
    except ConflictError as exc:
        return Outcome(changes, conflicts=exc.conflicts)
    except ChangeError as exc:
        return Outcome(changes, problems=exc.problems)
    except (StoreError, SpreadsheetError, AccessConfigError) as exc:
        return Outcome(changes, error=str(exc))


def record(call, done: str = "Saved") -> Outcome:
    """A write to the assurance registers (``call(by)`` makes it), refusals kept for the page to show."""
    return _outcome({}, call, done)


def field(form: str, name: str) -> str:
    """The key of a field of ``form``. It changes once the form is saved: the browser then draws new, empty
    fields (with the same key, it keeps showing what was typed even when the key's state is dropped)."""
    return f"{form}.{st.session_state.get(f'{form}_saved', 0)}.{name}"


def record_form(form: str, target: str, call, done: str = "Recorded") -> None:
    """Record what ``form`` holds (``call(by)`` writes it) and show the outcome from ``target``: its fields
    (keyed with ``field``) are emptied once it is saved, and keep what was typed when it is refused."""
    outcome = st.session_state[target] = record(call, done)
    if outcome.result is not None:
        for key in [k for k in st.session_state if str(k).startswith(f"{form}.")]:
            del st.session_state[key]
        st.session_state[f"{form}_saved"] = st.session_state.get(f"{form}_saved", 0) + 1
    st.rerun()


def save(changes: dict[str, dict[str, Any]], revisions: dict[str, int] | None, source: str = "ui") -> Outcome:
    return _outcome(changes, lambda by: store().save(changes, revisions, by=by, source=source))


def verify(task_ids: list[str], revisions: dict[str, int] | None) -> Outcome:
    return _outcome(
        {t: {} for t in task_ids},
        lambda by: store().verify(task_ids, by=by, revisions=revisions, source="ui"),
        done="Verified",
    )


@st.cache_resource(show_spinner=False, max_entries=8)
def import_preview(src: Source, digest: str, name: str, records: str, choices: dict, _data: bytes):
    """The preview of a spreadsheet, by the fingerprint of its bytes (``digest``) and the choices made."""
    current = _plan(src.phases, src.plan_stamp)
    preview = findings.preview_findings if records == "findings" else importer.preview_import
    return preview(
        _data, current, open_store(src.data, current), name=name, snapshot=_overview(src).snapshot, **choices
    )


def apply_import(preview, valid_only: bool, overwrite_newer: bool = False) -> Outcome:
    if isinstance(preview, findings.FindingsPreview):
        return _outcome({}, lambda by: findings.apply_findings(preview, store(), by, valid_rows_only=valid_only))
    return _outcome(
        preview.payload,
        lambda by: importer.apply_import(
            preview, store(), by, valid_rows_only=valid_only, overwrite_newer=overwrite_newer
        ),
        done="Imported",
    )


def show_outcome(outcome: Outcome) -> None:
    if outcome.result is not None:
        ids = outcome.result.tasks
        what = counted(len(ids), "task" if not ids or ids[0].startswith("P") else "record")
        st.success(f"{outcome.done} {what}: {plain(', '.join(ids))}." if ids else "Nothing had changed.")
    elif outcome.problems:
        st.error(f"Nothing was saved: {counted(len(outcome.problems), 'value')} cannot be used.")
        grid(_problems(outcome.problems, "Problem"))
    elif outcome.refused:
        st.error(f"Nothing was saved: your role does not allow {len(outcome.refused)} of these changes.")
        grid(_problems(outcome.refused, "Why"))
    elif outcome.conflicts:
        st.error(
            "Nothing was saved: someone else changed these tasks after you loaded them. "
            "Compare the values, then load the latest or save yours over theirs."
        )
        grid(conflict_table(outcome.conflicts))
    elif outcome.error:  # may quote a typed name or a file's cell
        st.error(plain(outcome.error))


def _problems(rows: list[tuple[str, str, str]], what: str) -> pd.DataFrame:
    """(task, field, message) rows, the field named as a column header names it."""
    return pd.DataFrame([(t, field_text(f), m) for t, f, m in rows], columns=["Task", "Field", what])


def conflict_table(conflicts: list[Conflict]) -> pd.DataFrame:
    rows = [
        {"Task": c.task_id, "Field": field_text(name), "Saved by them": views.value_text(name, c.theirs.get(name, "")),
         "Yours": views.value_text(name, mine), "Changed by": c.updated_by, "At": time_text(c.updated_at)}
        for c in conflicts
        for name, mine in c.yours.items()
    ]  # fmt: skip
    return pd.DataFrame(rows)


# the guard every page calls first ------------------------------------------------
def page_setup(title: str) -> None:
    """Page config, sign-in and the page's role check, session defaults and the shared sidebar: the first
    statement of every page. ``title`` is the page's label in PAGES."""
    st.set_page_config(page_title=f"{title} · ISO 20000 Rollout Tracker", page_icon=str(FAVICON), layout="wide")
    if signing_in():
        _guard(title)
    else:
        st.session_state.setdefault("user", config.person())
    st.session_state.setdefault("edition", plan().edition)
    drawn = live_state()
    sidebar()
    if title == "Overview":
        _denied_notice()
    figures()  # a store that cannot be read stops every page here, with its repair, before any figure is drawn
    live_refresh(drawn)


@st.cache_resource(show_spinner=False, validate=lambda watcher: watcher.alive, on_release=lambda w: w.stop())
def _watcher(location: str) -> Watcher:
    """One watcher of the store's commits per server process and data location, shared by every session;
    it rewrites the location's small file under static/live/ whenever it sees a commit."""
    path = LIVE_FOLDER / f"{_live_name(location)}.txt"

    def publish(seen: str) -> None:
        try:  # a cache of what the watcher saw: not worth a flush to the disk
            atomic_write(path, lambda temp: temp.write_text(seen), durable=False)
        except OSError:  # a read-only app folder: pages then show changes made elsewhere on their next run
            logging.getLogger(__name__).warning("open pages cannot follow changes made elsewhere", exc_info=True)

    watcher = open_store(location, ()).watcher(publish).start()
    watcher.ready.wait(2)
    return watcher


def _live_name(location: str) -> str:
    """The file name of a data location's live state: a digest, never the location (a URL may hold a password)."""
    return hashlib.sha256(location.encode()).hexdigest()[:20]


def live_state() -> str:
    """The store's state as the watcher last saw it; read before the page loads its data, so that a commit
    meanwhile redraws the page again."""
    return _watcher(str(data_dir())).seen if config.refresh_seconds() else ""


def live_refresh(drawn: str) -> None:
    """Redraw the page when a change is committed elsewhere (another tab, person or server): the browser
    looks at a static file every config.refresh_seconds(), which costs the server no script run."""
    every = config.refresh_seconds()
    if not every:
        return
    url = f"app/static/live/{_live_name(str(data_dir()))}.txt"
    with st.sidebar:
        LIVE(data={"url": url, "drawn": drawn, "every": int(every * 1000)}, key="live_refresh",
             on_changed_change=lambda: None)  # fmt: skip


def _guard(title: str) -> None:
    """Nothing but a configuration error or the sign-in screen until the person signs in; then their pages only."""
    problem = auth_problem()
    if problem:
        st.error(f"Sign-in is not set up correctly. {problem}")
        st.stop()
    if not st.user.get("is_logged_in", False):
        st.title("ISO 20000 Rollout Tracker")
        st.write("Sign in with your organisation's account to see the rollout.")
        st.button("Sign in", key="sign_in", type="primary", icon=":material/login:", on_click=st.login)
        st.stop()
    if title != "Overview" and not may_open(PAGE_OF.get(title, "")):
        st.session_state["denied_page"] = title
        st.switch_page("app.py")


def _denied_notice() -> None:
    denied = st.session_state.pop("denied_page", None)
    by = acting()
    if denied and isinstance(by, Actor):
        st.warning(
            f"{plain(denied)} is not available to your role ({by.roles_text}); the sidebar lists the pages you can open.",
            icon=":material/lock:",
        )


def _copy(widget: str, target: str) -> None:
    value = st.session_state[widget]
    if value is not None:  # a control that shows nothing chosen must not unset the choice
        st.session_state[target] = value


def sidebar() -> None:
    with st.sidebar:
        st.markdown("**ISO 20000 Rollout Tracker**")
        for page, label, icon in PAGES:
            if may_open(page):
                st.page_link(page, label=label, icon=icon)
        st.divider()
        # widget keys are re-seeded from the session's own keys on every run: a widget's key is
        # dropped when the page that drew it is left, the session's keys are not
        st.session_state["sidebar_edition"] = edition()
        certified = plan().edition  # once: each plan() looks at the plan's files
        st.segmented_control(
            "Clauses of", list(EDITION_NAMES), key="sidebar_edition", required=True,
            format_func=lambda e: f"{e} (withdrawn)" if e != certified and e == "2011" else e,
            help=f"The edition the clause figures follow. The plan is certified against {EDITION_NAMES[certified]}; "
            "ISO/IEC 20000-1:2011 was withdrawn in 2021 and is kept to compare with an old gap analysis.",
            on_change=_copy, args=("sidebar_edition", "edition"),
        )  # fmt: skip
        _who()
        st.divider()
        _where()


def _who() -> None:
    """Who is making changes: the signed-in person, their roles and a way out; in local mode, the typed name."""
    by = acting()
    if isinstance(by, Actor):
        st.markdown(f"Signed in as **{plain(by.name or by.email)}**" + (f"  \n{plain(by.email)}" if by.name else ""))
        st.caption(f"Role{'s' if len(by.roles) > 1 else ''}: {by.roles_text}")
        st.button("Sign out", key="sign_out", on_click=st.logout, icon=":material/logout:", width="stretch")
        return
    st.session_state["sidebar_user"] = user()
    st.text_input(
        "Your name", key="sidebar_user", placeholder="who is making changes",
        on_change=_copy, args=("sidebar_user", "user"),
    )  # fmt: skip


def _where() -> None:
    current = store()
    try:
        fmt = current.format().upper()
    except StoreError:
        fmt = "unreadable"
    if in_demo():
        st.warning(f"Exploring the demo ({today():%d %b %Y}); your own data is untouched.", icon=":material/science:")
        st.button("Leave the demo", on_click=leave_demo, width="stretch")
    else:  # whenever: the demo is written to a folder of its own, never over this data
        st.button("Explore a demo rollout", on_click=enter_demo, width="stretch", icon=":material/science:")
    st.caption(f"Data: `{current.location}` ({fmt})  \nPlan: `{config.phases_dir()}`")

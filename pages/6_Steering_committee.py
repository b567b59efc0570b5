"""Steering committee: where the rollout stands, what changed since the last meeting, what needs a decision."""

import re

import streamlit as st

import ui
from rollout import committee, readiness, report, values

ui.page_setup("Steering committee")
plan, state, today, edition = ui.plan(), ui.state(), ui.today(), ui.edition()
FORMATS = {"pdf": "PDF, A4 landscape, to print or send", "html": "HTML, interactive, opens offline"}
MIME = {"pdf": "application/pdf", "html": "text/html"}
INDENT = "\u2003"  # an em space: the table trims leading spaces
COLUMNS = {
    **ui.COLUMNS,
    "decision": st.column_config.TextColumn("Decision"),
    "about": st.column_config.TextColumn("About", width="medium"),
    "why": st.column_config.TextColumn("Why", width="large"),
    "evidence": st.column_config.LinkColumn("Evidence"),
    "notes": st.column_config.TextColumn("Waiting for", width="large"),
    "days_overdue": st.column_config.NumberColumn("Days overdue"),
    "due_then": st.column_config.DateColumn("Due then", format="YYYY-MM-DD"),
    "due_now": st.column_config.DateColumn("Due now", format="YYYY-MM-DD"),
    "reason": st.column_config.TextColumn("What happened"),
    "clause": st.column_config.TextColumn("Clause", width="large"),
    "now": st.column_config.TextColumn("Now"),
    "change": st.column_config.TextColumn("Change"),
}


def sentence(text: str) -> str:
    return text[:1].upper() + text[1:] + "."


def plain(text: str) -> str:
    """Text as typed, in a Markdown cell: every ASCII punctuation mark escaped (notes may hold * _ [ < :)."""
    return re.sub(r"([!-/:-@\[-`{-~])", r"\\\1", text)


st.title("Steering committee")
st.caption(
    f"{plan.organisation} · {today:%A %d %B %Y} · certification target {plan.target_date:%d %B %Y} · "
    f"clauses of {ui.EDITIONS[edition]}"
)

with st.container(border=True):
    meeting, build = st.columns([1, 2], gap="large")
    since = meeting.date_input(
        "Last meeting", value=committee.default_since(today), max_value=today, format="YYYY-MM-DD",
        key="committee_since", help="What changed is counted from the start of this day to today.",
    )  # fmt: skip
pack = ui.computed(
    "committee", lambda: committee.build_pack(plan, state.tasks, ui.history(), today, since, edition), since, edition
)
figures = ui.computed("committee_figures", lambda: report.pack_figures(pack), since, edition)

with build:
    fmt = st.segmented_control(
        "The pack for the meeting's papers", list(FORMATS), format_func=FORMATS.get, default="pdf",
        required=True, key="committee_format", help="Everything on this page, as of today, with the changes since the last meeting.",
    )  # fmt: skip
    wanted = (state.key, since, edition, fmt)
    if st.button("Build the pack", icon=":material/description:"):
        with st.status(f"Building the {fmt.upper()} pack...", expanded=True) as progress:
            try:
                st.session_state["committee_pack"] = (wanted, report.render(pack, fmt, step=progress.write))
                progress.update(label="The pack is ready to download", state="complete", expanded=False)
            except report.ReportError as exc:
                progress.update(label="The pack could not be built", state="error")
                st.error(str(exc))
    built = st.session_state.get("committee_pack")
    if built and built[0] == wanted:
        name = report.file_name(pack, fmt)
        st.download_button(
            f"Download {name}", built[1], file_name=name, mime=MIME[fmt], type="primary",
            icon=":material/download:", on_click="ignore",
        )  # fmt: skip

st.subheader("Where the rollout stands")
summary, outlook, changes = pack.summary, pack.forecast, pack.changes
moved = committee.change_text(changes.overall_then, summary["overall"])
cards = st.columns([1, 1.3, 1, 1, 1])
cards[0].metric(
    "Overall readiness", readiness.percent_text(summary["overall"]), moved, border=True,
    delta_color="normal" if moved.startswith(("+", "-")) else "off",
    help=f"{ui.HELP['overall']} The change is since the last meeting, in percentage points.",
)  # fmt: skip
cards[1].metric(
    "Likely finish", ui.date_text(outlook.likely), ui.forecast_delta(outlook),
    help=outlook.reason or ui.HELP["forecast"], border=True,
)  # fmt: skip
met = sum(g["gate_met"] for g in pack.gates)
cards[2].metric("Stage gates met", f"{met} of {len(pack.gates)}", border=True)
cards[3].metric("Blocked tasks", len(pack.blocked), border=True)
cards[4].metric("Overdue tasks", len(pack.overdue), border=True)
if outlook.likely is None:
    st.info(sentence(outlook.reason or ""))
else:
    st.markdown(
        f"At the pace of the last 8 weeks the remaining {outlook.remaining:g} effort-days are likely done by "
        f"**{ui.date_text(outlook.likely)}** (between {ui.date_text(outlook.earliest)} and "
        f"{ui.date_text(outlook.latest) if outlook.latest else 'an open end, as the slowest weeks made no progress'}): **{'on track' if outlook.on_track else 'after'}** "
        f"{'for ' if outlook.on_track else ''}the certification target {ui.date_text(outlook.target)}."
    )
ui.chart(figures["burnup"], key="committee_burnup")

st.subheader(f"Decisions needed ({len(pack.decisions)})")
if pack.decisions.empty:
    st.success("Nothing to decide: no gate is met or at risk, and no mandatory task is blocked.")
else:
    listed = pack.decisions.head(report.LIST_LIMIT)
    st.table(
        {
            "Decision": listed["decision"].tolist(),
            "About": listed["about"].map(plain).tolist(),
            "Why": listed["why"].map(plain).tolist(),
            "Owner": listed["owner"].map(plain).tolist(),
        },
        border="horizontal",
    )
    if len(pack.decisions) > report.LIST_LIMIT:
        with st.expander(f"All {len(pack.decisions)} decisions"):
            st.dataframe(pack.decisions, hide_index=True, column_config=COLUMNS)

st.subheader("Stage gates")
st.caption(
    "A gate is met when every mandatory task of the stage is done with evidence, or not applicable with a note; "
    "at risk when a mandatory task is overdue or blocked, or the forecast is after the target."
)
for column, gate in zip(st.columns(len(pack.gates)), pack.gates, strict=True):
    with column.container(border=True, height="stretch"):
        st.markdown(f"**{gate['name']}**")
        st.badge(gate["gate"], color=ui.GATE_COLOURS[gate["gate"]], icon=ui.GATE_ICONS[gate["gate"]])
        st.caption(f"{readiness.percent_text(gate['readiness'])} ready · {gate['done']} of {gate['tasks']} done")
        st.caption(sentence(gate["why"]))

st.subheader(f"What changed since {since:%d %B %Y}")
counts = st.columns(3)
counts[0].metric("Completed", len(changes.completed), border=True)
counts[1].metric("Started", len(changes.started), border=True)
counts[2].metric(
    "Slipped", len(changes.slipped), help="The due date moved later, or the task became overdue.", border=True
)
done_tab, started_tab, slipped_tab, clause_tab = st.tabs(["Completed", "Started", "Slipped", "Readiness by clause"])
with done_tab:
    st.dataframe(
        ui.paged(changes.completed, "committee_completed"), hide_index=True, column_config=COLUMNS,
        column_order=["task_id", "title", "owner", "evidence"],
    )  # fmt: skip
with started_tab:
    started = ui.paged(changes.started, "committee_started")
    st.dataframe(
        started.assign(status=started["status"].map(values.STATUS_LABELS)), hide_index=True,
        column_config=COLUMNS, column_order=["task_id", "title", "owner", "status", "percent"],
    )  # fmt: skip
with slipped_tab:
    st.dataframe(
        ui.paged(changes.slipped, "committee_slipped"), hide_index=True, column_config=COLUMNS,
        column_order=["task_id", "title", "due_then", "due_now", "reason"],
    )  # fmt: skip
shown = changes.clauses[changes.clauses["depth"] <= report.CLAUSE_DEPTH]
clause_tab.dataframe(
    {
        "clause": [f"{INDENT * r.depth}{r.id} {r.title}" for r in shown.itertuples()],
        f"{since:%d %b %Y}": [readiness.percent_text(r.then) for r in shown.itertuples()],
        "now": [readiness.percent_text(r.now) for r in shown.itertuples()],
        "change": [committee.change_text(r.then, r.now) for r in shown.itertuples()],
    },
    hide_index=True,
    column_config=COLUMNS,
)

st.subheader("Top risks")
path = pack.critical_path
blocked_tab, overdue_tab, path_tab = st.tabs(
    [f"Blocked ({len(pack.blocked)})", f"Overdue ({len(pack.overdue)})", f"Critical path ({len(path)})"]
)
with blocked_tab:
    st.dataframe(
        ui.paged(pack.blocked, "committee_blocked"), hide_index=True, column_config=COLUMNS,
        column_order=["task_id", "title", "owner", "due", "notes"],
    )  # fmt: skip
with overdue_tab:
    overdue = ui.paged(pack.overdue, "committee_overdue")
    st.dataframe(
        overdue.assign(status=overdue["status"].map(values.STATUS_LABELS)), hide_index=True,
        column_config=COLUMNS, column_order=["task_id", "title", "owner", "status", "due", "days_overdue"],
    )  # fmt: skip
path_tab.caption(
    f"The chain of unfinished tasks, each waiting for the one before, with the most remaining effort: "
    f"{path['remaining'].sum():g} effort-days. A delay on any of them delays the finish."
)
path_tab.dataframe(path.assign(status=path["status"].map(values.STATUS_LABELS)), hide_index=True, column_config=COLUMNS)

st.subheader("Readiness by clause")
VIEWS = {"clauses": "Second-level clauses", "radar": "Main clauses", "status": "Tasks by status in each stage"}
view = st.segmented_control(
    "Chart", list(VIEWS), format_func=VIEWS.get, default="clauses", required=True, key="committee_view"
)
ui.chart(figures[view], key=f"committee_{view}")  # one at a time: each chart drawn slows the page

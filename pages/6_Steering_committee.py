"""Steering committee: where the rollout stands, what changed since the last meeting, what needs a decision."""

import pandas as pd
import streamlit as st

import ui
from rollout import access, assurance, committee, gates, readiness, registers, report, summary, timeline
from rollout.plan import EDITION_NAMES
from rollout.records import DECISIONS, WORDS

ui.page_setup("Steering committee")
plan, today, edition = ui.plan(), ui.today(), ui.edition()
src = ui.source()
FORMATS = {"pdf": "PDF, A4 landscape, to print or send", "html": "HTML, interactive, opens offline"}
MIME = {"pdf": "application/pdf", "html": "text/html"}
INDENT = "\u2003"  # an em space: the table trims leading spaces
COLUMNS = {
    **ui.COLUMNS,
    "decision": st.column_config.TextColumn("Decision"),
    "about": st.column_config.TextColumn("About", width="medium"),
    "why": st.column_config.TextColumn("Why", width="large"),
    "evidence": st.column_config.TextColumn("Evidence"),  # a reference such as DMS-0042 is no link
    "notes": st.column_config.TextColumn("Waiting for", width="large"),
    "days_overdue": st.column_config.NumberColumn("Days overdue"),
    "due_then": st.column_config.DateColumn("Due then", format="YYYY-MM-DD"),
    "due_now": st.column_config.DateColumn("Due now", format="YYYY-MM-DD"),
    "reason": st.column_config.TextColumn("What happened"),
    "clause": st.column_config.TextColumn("Clause", width="large"),
    "now": st.column_config.TextColumn("Now"),
    "change": st.column_config.TextColumn("Change"),
    "gate": st.column_config.TextColumn("Gate"),
    "ready": st.column_config.TextColumn("Work done"),
    "done": st.column_config.TextColumn("Tasks done"),
    "signed": st.column_config.TextColumn("Committee"),
    "id": st.column_config.TextColumn("Decision"),
    "decided_on": st.column_config.DateColumn("On", format="YYYY-MM-DD"),
    "conditions": st.column_config.TextColumn("Conditions", width="medium"),
    "minutes": st.column_config.TextColumn("Minutes"),
}


def listing(frame: pd.DataFrame, columns: list[str], key: str) -> None:
    """A list for the meeting: its first rows as a light table, all of a longer one in a grid drawn when opened."""
    if frame.empty:
        st.caption("None.")
        return
    ui.show_table(frame.head(report.LIST_LIMIT), columns, COLUMNS)
    if len(frame) > report.LIST_LIMIT:
        every = st.expander(f"All {len(frame)}", key=key, on_change="rerun")
        if every.open:
            with every:
                ui.grid(ui.paged(frame, f"{key}_page"), column_config=COLUMNS, column_order=columns)


st.title("Steering committee")
st.caption(
    f"{ui.plain(plan.organisation)} · {today:%A %d %B %Y} · certification target {plan.target_date:%d %B %Y} · "
    f"clauses of {EDITION_NAMES[edition]}"
)

meeting = st.container(horizontal=True, vertical_alignment="bottom", gap="large")
since = meeting.date_input(
    "Last meeting", value=committee.default_since(today), max_value=today, format="YYYY-MM-DD", width=220,
    key="committee_since", help="What changed is counted from the start of this day to today.",
)  # fmt: skip
pack = ui.committee_pack(src, since, edition)
figures = ui.committee_charts(src, since, edition)

# drawn when opened: the page comes up faster, and the meeting sees the figures first
packing = meeting.popover(
    "The pack for the meeting's papers", icon=":material/description:", key="committee_packing", on_change="rerun"
)
if packing.open:
    with packing:
        fmt = st.segmented_control(
            "Format", list(FORMATS), format_func=FORMATS.get, default="pdf",
            required=True, key="committee_format", help="Everything on this page, as of today, with the changes since the last meeting.",
        )  # fmt: skip
        wanted = (src, since, edition, fmt)
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
status, outlook, changes = pack.summary, pack.forecast, pack.changes
moved = committee.change_text(changes.overall_then, status["overall"])
met = sum(g["gate_met"] for g in pack.gates)
with st.container(horizontal=True):
    st.metric(
        summary.PROGRESS, readiness.percent_text(status["overall"]), moved, border=True, width="content",
        delta_color="normal" if moved.startswith(("+", "-")) else "off",
        help=f"{summary.PROGRESS_HELP} The change is since the last meeting, in percentage points.",
    )  # fmt: skip
    st.metric(
        summary.IMPLEMENTED,
        summary.implemented_text(status),
        help=summary.IMPLEMENTED_HELP,
        border=True,
        width="content",
    )
    st.metric(
        "Likely finish", ui.date_text(outlook.likely) or "no forecast yet", ui.forecast_delta(outlook),
        help=outlook.reason or timeline.FORECAST_HELP, border=True, width="content",
    )  # fmt: skip
    st.metric(
        assurance.CONFORMANT,
        summary.conformant_text(status),
        help=assurance.CONFORMANT_HELP,
        border=True,
        width="content",
    )
    st.metric("Stage gates met", f"{met} of {len(pack.gates)}", border=True, width="content")
    st.metric("Blocked tasks", len(pack.blocked), border=True, width="content")
    st.metric("Overdue tasks", len(pack.overdue), border=True, width="content")
paragraph = outlook.paragraph(ui.date_text, strong=lambda text: f"**{text}**")
(st.info if outlook.likely is None else st.markdown)(paragraph)
stage2 = pack.conformity
st.markdown(
    f"**{assurance.STAGE2}: {'yes' if stage2.ready else 'not yet'}.** "
    + (
        "; ".join(ui.plain(r) for r in stage2.reasons[:3])
        + ("; and more on the Assurance page." if len(stage2.reasons) > 3 else ".")
        if stage2.reasons
        else ""
    )
    + f" Open findings: {pack.findings_line}."
)
VIEWS = {"burnup": "Burn-up and forecast", "clauses": "Readiness by clause", "radar": "Main clauses",
         "status": "Tasks by status in each stage"}  # fmt: skip
view = st.segmented_control(
    "Chart", list(VIEWS), format_func=VIEWS.get, default="burnup", required=True, key="committee_view"
)
ui.chart(figures[view], key=f"committee_{view}")  # one at a time: each chart drawn slows the page

st.subheader(f"Decisions needed ({len(pack.decisions)})")
if pack.decisions.empty:
    st.success("Nothing to decide: no gate waits for sign-off or is at risk, and no mandatory task is blocked.")
else:
    listing(pack.decisions, ["decision", "about", "why", "owner"], "committee_decisions")
outcome = st.session_state.pop("committee_outcome", None)
if outcome is not None:
    ui.show_outcome(outcome)
decide = (
    st.expander("Record a gate decision", icon=":material/gavel:", key="committee_decide", on_change="rerun")
    if ui.may(access.DECISIONS)
    else None
)
if decide is not None and decide.open:  # drawn while open: its fields slowed every visit of the page
    with decide, st.form("decision"):
        left, right = st.columns(2)
        stage = left.selectbox(
            "Stage",
            [g["stage"] for g in pack.gates],
            format_func=lambda n: pack.gates[n]["name"],
            key=ui.field("decision", "stage"),
        )
        decision = right.selectbox("Decision", DECISIONS, format_func=WORDS.get, key=ui.field("decision", "decision"))
        conditions = st.text_area(
            "Conditions", help="Needed for go with conditions", key=ui.field("decision", "conditions")
        )
        left, right = st.columns(2)
        decided_on = left.date_input(
            "Decided on", today, max_value=today, format="YYYY-MM-DD", key=ui.field("decision", "on")
        )
        minutes = right.text_input("Minutes (a reference)", key=ui.field("decision", "minutes"))
        deciders = st.text_input(
            "Decided by", placeholder="the committee members present", key=ui.field("decision", "deciders")
        )
        st.caption("Go and go with conditions are recorded only for a gate that is met.")
        if st.form_submit_button("Record the decision", type="primary"):
            ui.record_form("decision", "committee_outcome", lambda by: registers.decide(
                ui.store(), plan, stage, decision, by=by, deciders=deciders, on=decided_on,
                conditions=conditions, minutes=minutes, today=today, origin="ui",
            ))  # fmt: skip
if len(pack.decided):
    st.markdown(f"**Decisions since {since:%d %B %Y}**")
    listing(pack.decided, ["id", "stage", "decision", "decided_on", "by", "conditions", "minutes"], "committee_decided")

st.subheader("Stage gates")
st.caption(gates.RULE)
rows = committee.gate_rows(pack).assign(gate=lambda f: f["gate"].map(ui.badge))
ui.show_table(rows, config=COLUMNS, markdown=("gate",))

st.subheader(f"What changed since {since:%d %B %Y}")
# tabs filled only while open, lists as light tables: every grid or element drawn slows the page
done_tab, started_tab, slipped_tab, clause_tab = st.tabs(
    [
        f"Completed ({len(changes.completed)})",
        f"Started ({len(changes.started)})",
        f"Slipped ({len(changes.slipped)})",
        "Readiness by clause",
    ],
    key="committee_changes",
    on_change="rerun",
)
if done_tab.open:
    with done_tab:
        listing(changes.completed, ["task_id", "title", "owner", "evidence"], "committee_completed")
if started_tab.open:
    with started_tab:
        listing(ui.labelled(changes.started), ["task_id", "title", "owner", "status", "percent"], "committee_started")
if slipped_tab.open:
    with slipped_tab:
        st.caption("A task slipped when its due date moved later, or when it became overdue.")
        listing(changes.slipped, ["task_id", "title", "due_then", "due_now", "reason"], "committee_slipped")
if clause_tab.open:
    shown = changes.clauses[changes.clauses["depth"] <= report.CLAUSE_DEPTH]
    clause_tab.dataframe(
        placeholder="",
        data={
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
    [f"Blocked ({len(pack.blocked)})", f"Overdue ({len(pack.overdue)})", f"Critical path ({len(path)})"],
    key="committee_risks",
    on_change="rerun",
)
if blocked_tab.open:
    with blocked_tab:
        listing(pack.blocked, ["task_id", "title", "owner", "due", "notes"], "committee_blocked")
if overdue_tab.open:
    with overdue_tab:
        listing(
            ui.labelled(pack.overdue),
            ["task_id", "title", "owner", "status", "due", "days_overdue"],
            "committee_overdue",
        )
if path_tab.open:
    with path_tab:
        st.caption(
            f"The chain of unfinished tasks, each waiting for the one before, with the most remaining effort: "
            f"{path['remaining'].sum():g} effort-days. A delay on any of them delays the finish."
        )
        listing(ui.labelled(path), ["task_id", "title", "owner", "due", "status", "remaining"], "committee_path")

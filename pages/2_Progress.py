"""Progress: update tasks in a table or one at a time, verify done work; saves are checked and never overwrite others."""

import pandas as pd
import streamlit as st

import ui
from rollout import access, values, views
from rollout.sheets import exporter
from rollout.words import counted

ui.page_setup("Progress")
plan, today = ui.plan(), ui.today()
figures = ui.figures()
ss = st.session_state
EDITOR = "progress_editor"
ALL_STAGES = "All stages"
COLUMNS = ["task_id", "title", "stage", *views.EDITABLE]
state_key = ui.source()
# what the person may do here decides which controls are drawn; the store checks every write again
by = ui.acting()
edits_any = access.may(by, access.TASKS)
edits = edits_any or access.may(by, access.OWN_TASKS)
sees_all = edits_any or access.may(by, access.VERIFICATION)  # others see the tasks they own


def pending_edits() -> dict:
    return {
        row: fields
        for row, fields in ss.get(EDITOR, {}).get("edited_rows", {}).items()
        if set(fields) - {"select"}  # ticking a row for verification is not an edit
    }


def ticked(ids: list[str]) -> list[str]:
    rows = ss.get(EDITOR, {}).get("edited_rows", {})
    return [ids[int(r)] for r, fields in rows.items() if fields.get("select")]


def reset_base() -> None:
    ss["progress_base"] = {
        "key": state_key,
        "frame": figures.tasks[COLUMNS],
        "revisions": figures.snapshot.revisions,
        "verified": figures.tasks.set_index("task_id")["verified_by"],
    }
    ss.pop(EDITOR, None)


def load_latest() -> None:
    reset_base()
    ss.pop("progress_outcome", None)


def finish(outcome: ui.Outcome) -> None:
    ss["progress_outcome"] = outcome
    if outcome.result is not None:
        ss.pop(EDITOR, None)
        ss.pop("progress_base", None)


def save_table(ids: list[str]) -> None:
    base = ss["progress_base"]
    finish(ui.save(views.changes_from_edits(base["frame"], pending_edits(), ids), base["revisions"]))


def verify_ticked(ids: list[str]) -> None:
    finish(ui.verify(ticked(ids), ss["progress_base"]["revisions"]))


def save_over_theirs() -> None:
    outcome = ss["progress_outcome"]
    finish(ui.save(outcome.changes, None))


if "progress_base" not in ss or (not pending_edits() and ss["progress_base"]["key"] != state_key):
    reset_base()
base = ss["progress_base"]
pending = bool(pending_edits())

st.title("Progress")
st.caption(
    "Change status, percent, owner, dates, evidence and notes in the table, then save. Done means 100 %; "
    "a task you start moves to in progress; not applicable needs a note. Every save records who changed what. "
    "Tick Select on done tasks to verify their evidence: a second person checks what the owner set done."
)
if not sees_all:
    st.info("You change and verify the tasks you own, listed here; the Plan page shows every task.")
elif not edits:
    st.info(
        f"Your role ({by.roles_text}) verifies evidence: tick done tasks, then verify them. The table is read-only."
    )
if base["key"] != state_key:
    st.info("Someone saved changes since you started editing. Your save is checked against them, task by task.")

outcome = ss.get("progress_outcome")
if outcome is not None and outcome.error == ui.NAME_NEEDED and ui.acting():
    del ss["progress_outcome"]  # the name has been given since: nothing left to ask
    outcome = None
if outcome is not None:
    ui.show_outcome(outcome)
    if outcome.conflicts:
        left, right = st.columns(2)
        left.button("Load the latest (drop my edits)", on_click=load_latest, width="stretch")
        right.button("Save mine over theirs", on_click=save_over_theirs, type="primary", width="stretch")

stages = {s.name: s.number for s in plan.stages}
with st.container(horizontal=True, vertical_alignment="bottom"):
    # a real option for every stage: a box whose value is None reads "Choose an option" while it is disabled
    stage_name = st.selectbox(
        "Stage", [ALL_STAGES, *stages], key="progress_stage", disabled=pending, bind="query-params"
    )
    show = st.selectbox(
        "Show", list(views.SHOW), format_func=views.SHOW.get, key="show", disabled=pending, bind="query-params"
    )
    statuses = st.multiselect(
        "Status",
        values.STATUSES,
        format_func=values.STATUS_LABELS.get,
        key="progress_status",
        disabled=pending,
        placeholder="All statuses",
    )
    mine = st.toggle("My tasks", key="progress_mine", disabled=pending or not ui.user(), help="Tasks owned by you")
    text = st.text_input("Search", key="progress_search", disabled=pending, placeholder="id or title")
if pending:
    st.caption("Save or discard your edits to change the filters.")

chosen = views.TaskFilter(
    stage=stages.get(stage_name), statuses=tuple(statuses), owner=ui.user() if mine else None, text=text, show=show
)
view = views.filter_tasks(plan, base["frame"], chosen, today)
if not sees_all:
    view = view[[access.owns(by, owner) for owner in view["owner"]]]
page = ui.paged(view, "progress_page", disabled=pending)
ids = page["task_id"].tolist()
# the rows as they will be saved (done shows 100 %), statuses in the words people read and screen readers say
st.data_editor(
    ui.labelled(views.as_edited(page, pending_edits())).assign(select=False),
    key=EDITOR,
    hide_index=True,
    placeholder="",
    height=min(38 + 35 * len(page), 640),
    disabled=["task_id", "title", "stage"] if edits else COLUMNS,
    column_order=["select", *COLUMNS],
    column_config={
        "select": st.column_config.CheckboxColumn("Select", width="small", help="Tick done tasks to verify them"),
        "task_id": st.column_config.TextColumn("Task", pinned=True, width="small"),
        "title": st.column_config.TextColumn("Title", width="medium"),
        "stage": st.column_config.NumberColumn("Stage", width="small"),
        "status": st.column_config.SelectboxColumn(
            "Status", options=list(values.STATUS_LABELS.values()), required=True
        ),
        "percent": st.column_config.NumberColumn("%", min_value=0, max_value=100, step=1, format="%d %%"),
        "owner": st.column_config.TextColumn("Owner"),
        "start": st.column_config.DateColumn("Start", format="YYYY-MM-DD"),
        "due": st.column_config.DateColumn("Due", format="YYYY-MM-DD"),
        # text, not a link column: its editor drops the first key typed into a selected cell, and many
        # organisations name evidence by document reference rather than by web address
        "evidence": st.column_config.TextColumn("Evidence", help="A link or reference to the document or record"),
        "notes": st.column_config.TextColumn("Notes", width="medium"),
    },
)
count = len(views.changes_from_edits(base["frame"], pending_edits(), ids))
chosen_for_check = ticked(ids)
st.caption(f"{len(view)} of {len(base['frame'])} tasks shown.")
with st.container(horizontal=True):
    if edits:
        st.button(
            f"Save {counted(count, 'changed task')}" if count else "Save", type="primary", disabled=not count,
            on_click=save_table, args=(ids,),
        )  # fmt: skip
        st.button("Discard my edits", disabled=not pending, on_click=load_latest)
    st.button(
        f"Verify {len(chosen_for_check)} selected" if chosen_for_check else "Verify the selected",
        icon=":material/verified:", disabled=not chosen_for_check or pending, on_click=verify_ticked, args=(ids,),
        help="Record that you checked the evidence of the ticked done tasks. Save or discard edits first.",
    )  # fmt: skip
    st.download_button(
        "Download as a workbook",
        lambda: exporter.export_bytes(plan, figures.snapshot.progress, records=figures.snapshot.records),
        file_name=f"rollout-progress-{today}.xlsx",
        on_click="ignore",
        icon=":material/download:",
        help="Edit it in a spreadsheet program and import it back: only the cells you change are applied.",
    )

choices = ids or (list(plan.tasks)[: ui.PAGE_ROWS] if sees_all else [])
if not (edits and choices):  # what is left is the form that changes one task
    st.stop()
one_task = st.expander("Update one task", key="progress_one_task", on_change="rerun")
if not one_task.open:  # its state is kept: it stays open after a save, for the next task
    st.stop()
with one_task:
    frame = base["frame"].set_index("task_id")
    task_id = st.selectbox("Task", choices, format_func=lambda t: f"{t} · {plan.tasks[t].title}")
    row = frame.loc[task_id]
    with st.form("one_task"):
        # a row of columns per pair: on a phone they stack pair by pair (status, then percent), not column by column
        left, right = st.columns(2)
        status = left.selectbox(
            "Status", values.STATUSES, index=values.STATUSES.index(row["status"]), format_func=values.STATUS_LABELS.get
        )
        percent = right.number_input("Percent", 0, 100, int(row["percent"]), step=5)
        left, right = st.columns(2)
        owner = left.text_input("Owner", row["owner"])
        evidence = right.text_input("Evidence (a link or reference)", row["evidence"])
        left, right = st.columns(2)
        start = left.date_input("Start", None if pd.isna(row["start"]) else row["start"], format="YYYY-MM-DD")
        due = right.date_input("Due", None if pd.isna(row["due"]) else row["due"], format="YYYY-MM-DD")
        notes = st.text_area("Notes", row["notes"])
        if st.form_submit_button("Save this task", type="primary"):
            edits = {"status": status, "percent": percent, "owner": owner, "start": start, "due": due,
                     "evidence": evidence, "notes": notes}  # fmt: skip
            changes = views.changes_from_edits(frame.reset_index(), {0: edits}, [task_id])
            finish(ui.save(changes, base["revisions"]) if changes else ui.Outcome({}, error="Nothing was changed."))
            st.rerun()

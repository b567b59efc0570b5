"""Import: read the spreadsheet people kept, show exactly what would change, apply it only when confirmed."""

import hashlib

import pandas as pd
import streamlit as st

import ui
from rollout import config, values
from rollout.sheets import exporter, mapping, spreadsheet

ui.page_setup("Import")
plan = ui.plan()
ss = st.session_state
SAMPLES = config.ROOT / "data" / "samples"
ORDERS = {None: "Not needed", "dayfirst": "Day first (31/12/2026)", "monthfirst": "Month first (12/31/2026)"}

st.title("Import")
st.caption(
    "Bring progress in from a spreadsheet (.xlsx, .xlsm, .xls, .ods or .csv). You see every change, cleared value, "
    "conflict and rejected row before anything is saved. A blank cell keeps the saved value, except in a workbook "
    "exported from this tool, where emptying a cell clears it."
)
left, right = st.columns([3, 2])
upload = left.file_uploader("Spreadsheet", type=[s.lstrip(".") for s in spreadsheet.SUFFIXES], key="import_file")
samples = sorted(p.name for p in SAMPLES.glob("*") if p.suffix in spreadsheet.SUFFIXES)
sample = right.selectbox(
    "Or try a sample", [None, *samples], format_func=lambda n: n or "Choose a sample spreadsheet", key="import_sample"
)
right.download_button(
    "Download a blank import template",
    lambda: exporter.template_bytes(plan),
    file_name="rollout-import-template.xlsx",
    on_click="ignore",
    icon=":material/download:",
)

if upload is not None:
    name, data = upload.name, upload.getvalue()
elif sample:
    name, data = sample, (SAMPLES / sample).read_bytes()
else:
    st.info("Choose a file to see what it would change. Nothing is saved until you confirm.")
    st.stop()

digest = hashlib.sha256(data).hexdigest()
if ss.get("import_digest") != digest:  # a new file starts from its own mapping and options
    for key in ("import_overrides", "import_done", "import_sheet", "import_dates", "import_mapping"):
        ss.pop(key, None)
    ss["import_digest"] = digest

try:
    book = spreadsheet.open_workbook(data, name)
except spreadsheet.SpreadsheetError as exc:
    st.error(str(exc))
    st.stop()
with st.container(horizontal=True):
    sheet = st.selectbox("Sheet", [None, *book.sheet_names], format_func=lambda s: s or "Detect", key="import_sheet")
    dates = st.selectbox("Dates written as text", list(ORDERS), format_func=ORDERS.get, key="import_dates")
overrides = ss.setdefault("import_overrides", {})


try:
    preview = ui.import_preview(ui.source(), digest, name, sheet, dates, tuple(sorted(overrides.items())), data)
except spreadsheet.SpreadsheetError as exc:
    st.error(str(exc))
    st.stop()

columns_box = st.expander(
    f"Columns: read from sheet {', '.join(preview.sheets)}",
    expanded=not preview.own_export,
    icon=":material/view_column:",
)
columns_box.caption("Change how a column is read if the guess is wrong; the choice is remembered for this layout.")
choices = [*mapping.MAP_FIELDS, mapping.IGNORE]
table = pd.DataFrame(
    {"column": preview.columns, "field": [preview.mapping.get(c, mapping.IGNORE) for c in preview.columns]}
)
edited = columns_box.data_editor(
    table,
    key="import_mapping",
    hide_index=True,
    disabled=["column"],
    column_config={
        "column": st.column_config.TextColumn("Column in the file"),
        "field": st.column_config.SelectboxColumn("Read as", options=choices, required=True),
    },
)
wanted = {
    c: f for c, f in zip(edited["column"], edited["field"], strict=True) if preview.mapping.get(c, mapping.IGNORE) != f
}
if wanted:
    ss["import_overrides"] = overrides | wanted
    ss.pop("import_mapping", None)
    st.rerun()
for note in preview.notes:
    columns_box.caption(note)

st.subheader("What would change")
counts = st.columns(4)
counts[0].metric("Rows unchanged", preview.unchanged)
counts[1].metric("Rows with changes", preview.changed)
counts[2].metric("Rows rejected", preview.rejected)
counts[3].metric("Tasks in conflict", preview.conflicted)
if len(preview.problems):
    st.error(f"{preview.rejected} row(s) cannot be imported as they are:")
    shown = preview.problems.assign(suggestions=preview.problems["suggestions"].map(", ".join))
    st.dataframe(shown.drop(columns="task_id"), hide_index=True)
if len(preview.conflicts):
    st.warning(
        "These tasks were changed in the tool after the workbook was exported; the file will not overwrite them."
    )
    st.dataframe(preview.conflicts, hide_index=True, column_config={"old": "Now in the tool", "new": "In the file"})
if len(preview.changes):
    st.dataframe(
        preview.changes,
        hide_index=True,
        column_config={"old": "Saved now", "new": "After the import", "kind": "Change or clear"} | ui.COLUMNS,
    )
elif not preview.refused:
    st.success("The file matches the saved progress: there is nothing to import.")

valid_only = preview.refused and st.checkbox(
    "Apply the valid rows only", key="import_valid_only", help="Rejected rows and conflicts are left out."
)
ready = len(preview.changes) and (not preview.refused or valid_only)
if st.button(f"Apply {len(preview.changes)} change(s)", type="primary", disabled=not ready or not ui.user().strip()):
    outcome = ui.apply_import(preview, valid_only=bool(valid_only))
    if outcome.result is not None:
        ss["import_done"] = (
            f"Saved {outcome.result.history_rows} field change(s) to {len(outcome.result.tasks)} task(s) from {name}."
        )
        st.rerun()
    ui.show_outcome(outcome)
if not ui.user().strip():
    st.caption(ui.NAME_NEEDED)
if ss.get("import_done"):
    st.success(ss["import_done"])
    st.page_link("pages/2_Progress.py", label="See the progress", icon=":material/arrow_forward:")
st.caption(
    f"Statuses are read from words such as {', '.join(w for ws in values.status_words().values() for w in ws[:2])}."
)

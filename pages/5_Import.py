"""Import: read the spreadsheet people kept (task progress or an audit report's findings), show exactly what
would change, apply it only when confirmed."""

import hashlib

import pandas as pd
import streamlit as st

import ui
from rollout import config, values
from rollout.records import FINDING_SOURCES, GRADES, WORDS, words_for
from rollout.sheets import exporter, mapping, readable, spreadsheet
from rollout.sheets.limits import Remedy
from rollout.sheets.targets import IGNORE, IGNORE_LABEL, TARGETS
from rollout.words import agreeing, counted

ui.page_setup("Import")
plan = ui.plan()
ss = st.session_state
SAMPLES = config.ROOT / "data" / "samples"
KINDS = {"progress": "Task progress", "findings": "Audit findings"}
ORDERS = {None: "Not needed", "dayfirst": "Day first (31/12/2026)", "monthfirst": "Month first (12/31/2026)"}
DATES, SHEET, HEADER, COLUMNS = "Dates written as text", "Sheet", "Header row", "Columns"
AS_OF, FOUND_IN, WHAT = "These changes happened on", "Findings from", "What the file holds"
VALID_ONLY, OVERWRITE = "Apply the valid rows only", "Overwrite them with the file's values"
# Every remedy an import message may carry, said as the control of this page that does it; one sentence each.
REMEDIES = {
    "sheet": lambda _: f"pick another sheet under '{SHEET}'",
    "header_row": lambda _: f"choose the row that names the columns under '{HEADER}'",
    "map_columns": lambda field: (
        f"say which column holds the {TARGETS['findings'].labels[field].lower()} under '{COLUMNS}'"
        if field
        else f"say what each column holds under '{COLUMNS}'"
    ),
    "map_key": lambda _: f"choose Task ID or Title for one of them under '{COLUMNS}'",
    "dates": lambda order: f"choose {ORDERS.get(order or None) if order else 'the order'} under '{DATES}'",
    "valid_rows_only": lambda _: f"tick '{VALID_ONLY}'",
    "overwrite_newer": lambda _: f"tick '{OVERWRITE}', or leave those rows out of the file",
    "as_of": lambda _: f"give the day under '{AS_OF}'",
    "records": lambda kind: f"choose {KINDS[kind]} under '{WHAT}'",
    "finding_source": lambda _: f"choose the audit under '{FOUND_IN}'",
}


def wording(remedy: Remedy) -> str:
    return REMEDIES[remedy.action](remedy.argument)


def start_over(*keys: str) -> None:
    """A new file, or another kind of record or sheet, starts from its own header and mapping."""
    for key in ("import_overrides", "import_header", "import_mapping", "import_done", *keys):
        ss.pop(key, None)


def row_label(head: list[list[str]], number: int | None) -> str:
    if number is None:
        return "Detect"
    cells = [c for c in head[number - 1] if c] if number <= len(head) else []
    return f"Row {number}: {' · '.join(cells[:4]) or '(empty)'}" + (" ..." if len(cells) > 4 else "")


st.title("Import")
kinds = spreadsheet.SUFFIXES
st.caption(
    f"Bring progress in from a spreadsheet ({', '.join(kinds[:-1])} or {kinds[-1]}), or the findings of an audit "
    "report. "
    "You see every change, cleared value, conflict and rejected row before anything is saved. A blank cell keeps "
    "the saved value, except in a workbook exported from this tool, where emptying a cell clears it."
)
records = st.segmented_control(
    WHAT, list(KINDS), format_func=KINDS.get, default="progress", required=True, key="import_records",
    on_change=start_over,
)  # fmt: skip
target = TARGETS[records]
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
if ss.get("import_digest") != digest:
    start_over("import_sheet", "import_dates", "import_as_of", "import_source")
    ss["import_digest"] = digest

try:
    book = spreadsheet.open_workbook(data, name)
except spreadsheet.SpreadsheetError as exc:
    st.error(ui.plain(exc.text(wording)))  # the messages quote the file: its name, sheets, columns, cells
    st.stop()

choices = {
    "sheet": ss.get("import_sheet"),
    "header": ss.get("import_header"),
    "overrides": ss.setdefault("import_overrides", {}),
    "dates": ss.get("import_dates"),
    **({"as_of": ss.get("import_as_of")} if records == "progress" else {"found_in": ss.get("import_source")}),
}
preview = needed = failed = None
try:
    preview = ui.import_preview(ui.source(), digest, name, records, choices, data)
except mapping.MappingNeeded as exc:
    needed = exc
except spreadsheet.SpreadsheetError as exc:
    failed = exc
head = preview.head if preview else needed.head if needed else []

with st.container(horizontal=True):
    st.selectbox(SHEET, [None, *book.sheet_names], format_func=lambda s: s or "Detect",
                 key="import_sheet", on_change=start_over)  # fmt: skip
    current = ss.get("import_header")
    rows = [None, *range(1, max(len(head), current or 0) + 1)]
    st.selectbox(HEADER, rows, format_func=lambda n: row_label(head, n), key="import_header",
                 help="The row that names the columns; the rows above it are titles.")  # fmt: skip
    st.selectbox(DATES, list(ORDERS), format_func=ORDERS.get, key="import_dates",
                 help="How dates typed as text, like 03/04/2026, are written. Real date cells need nothing.")  # fmt: skip
    if records == "progress":
        st.date_input(
            AS_OF, value=None, max_value=ui.today(), format="YYYY-MM-DD", key="import_as_of",
            help="When the file's progress was made, so that the burn-up and the forecast show it in its week. "
            "Leave it empty for today; a date column of the file wins for its rows.",
        )  # fmt: skip
    else:
        st.selectbox(FOUND_IN, [None, *FINDING_SOURCES], format_func=lambda s: WORDS[s] if s else "A column of the file",
                     key="import_source")  # fmt: skip

if failed is not None:
    st.error(ui.plain(failed.text(wording)))
    st.stop()
layout = preview or (needed.layout if needed else None)
if layout is None:  # no header row found: show the first rows to choose it from
    st.error(ui.plain(needed.text(wording)))
    first = pd.DataFrame(head, index=pd.RangeIndex(1, len(head) + 1, name="Row"))
    st.dataframe(first.set_axis([spreadsheet.column_letter(i) for i in range(first.shape[1])], axis=1))
    st.stop()

own = preview.own_export if preview else layout.own
sheets = preview.sheets if preview else [s.name for s in layout.sheets]
columns_box = st.expander(
    f"{COLUMNS}: read from sheet {ui.plain(', '.join(sheets))}",
    expanded=needed is not None or not own,
    icon=":material/view_column:",
)
columns_box.caption("Say what each column holds if the guess is wrong; the choice is remembered for this layout.")
labels = {**target.labels, IGNORE: IGNORE_LABEL}
table = pd.DataFrame(
    {
        "column": layout.columns,
        "field": [labels[layout.mapping.get(c, IGNORE)] for c in layout.columns],  # beside the name, even on a phone
        "example": mapping.examples(layout.head, layout.header, layout.columns),
    }
)
edited = columns_box.data_editor(
    table, key="import_mapping", hide_index=True, disabled=["column", "example"],
    column_config={
        "column": st.column_config.TextColumn("Column in the file"),
        "example": st.column_config.TextColumn("First value"),
        "field": st.column_config.SelectboxColumn("Read as", options=list(labels.values()), required=True),
    },
)  # fmt: skip
codes = {label: code for code, label in labels.items()}
wanted = {
    c: codes[f] for c, f in zip(edited["column"], edited["field"], strict=True)
    if layout.mapping.get(c, IGNORE) != codes[f]
}  # fmt: skip
if wanted:
    ss["import_overrides"] = ss["import_overrides"] | wanted
    ss.pop("import_mapping", None)
    st.rerun()
for note in layout.notes:
    columns_box.caption(ui.plain(note.words(wording)))
if needed is not None:
    st.error(ui.plain(needed.text(wording)))
    st.stop()


def apply_button(count: int, what: str, blocked: bool) -> None:
    valid_only = preview.refused and st.checkbox(VALID_ONLY, key="import_valid_only",
                                                 help="Rejected rows and conflicts are left out.")  # fmt: skip
    ready = count and (not preview.refused or valid_only) and not blocked
    if st.button(f"Apply {counted(count, what)}", type="primary", disabled=not ready or not ui.user().strip()):
        outcome = ui.apply_import(preview, valid_only=bool(valid_only), overwrite_newer=True)
        if outcome.result is not None:
            ss["import_done"] = (
                f"Saved {counted(outcome.result.history_rows, 'field change')} to "
                f"{counted(len(outcome.result.tasks), 'task' if records == 'progress' else 'finding')} from {name}."
            )
            st.rerun()
        ui.show_outcome(outcome)
    if not ui.user().strip():
        st.caption(ui.NAME_NEEDED)


def show_problems() -> None:
    if len(preview.problems):
        st.error(
            f"{counted(preview.rejected, 'row')} cannot be imported as "
            f"{agreeing(preview.rejected, 'it is', 'they are')}:"
        )
        st.dataframe(readable.problems(preview), hide_index=True)


st.subheader("What would change")
if records == "progress":
    with st.container(horizontal=True):
        for label, count in (("Rows unchanged", preview.unchanged), ("Rows with changes", preview.changed),
                             ("Rows rejected", preview.rejected), ("Rows in conflict", preview.in_conflict)):  # fmt: skip
            st.metric(label, count, border=True, width=170)
    show_problems()
    if len(preview.conflicts):
        st.warning(
            "These tasks were changed in the tool after the workbook was exported; the file will not overwrite them."
        )
        st.dataframe(readable.conflicts(preview, plan), hide_index=True)
    confirmed = True
    if len(preview.newer):
        st.warning(
            f"{counted(len(preview.newer), 'value')} {agreeing(len(preview.newer), 'was', 'were')} changed in the "
            "tool after the file was saved "
            f"({preview.saved_on:%d %b %Y %H:%M} UTC). Applying would put the file's older values back."
        )
        st.dataframe(readable.newer(preview, plan), hide_index=True)
        confirmed = st.checkbox(OVERWRITE, key="import_overwrite_newer")
    if len(preview.changes):
        st.dataframe(readable.changes(preview, plan), hide_index=True)
    elif not preview.refused:
        st.success("The file matches the saved progress: there is nothing to import.")
    if preview.happened:
        st.caption(
            f"{counted(len(preview.happened), 'task')} {agreeing(len(preview.happened), 'gets its', 'get their')} "
            "changes dated as the file says; "
            "the burn-up and the forecast show them in those weeks."
        )
    apply_button(len(preview.changes), "change", blocked=not confirmed)
    st.caption(
        f"Statuses are read from words such as {', '.join(w for ws in values.status_words().values() for w in ws[:2])}."
    )
else:
    with st.container(horizontal=True):
        for label, count in (("New findings", len(preview.added)), ("Findings changed", preview.changed),
                             ("Rows unchanged", preview.unchanged), ("Rows rejected", preview.rejected)):  # fmt: skip
            st.metric(label, count, border=True, width=170)
    show_problems()
    if len(preview.added):
        st.markdown("**New findings**")
        st.dataframe(readable.new_findings(preview), hide_index=True,
                     column_config={"Finding": st.column_config.TextColumn(width="large")})  # fmt: skip
    if len(preview.changes):
        st.markdown("**Changes to findings of the register**")
        st.dataframe(readable.finding_changes(preview), hide_index=True)
    if not len(preview.added) and not len(preview.changes) and not preview.refused:
        st.success("Every finding of the file is in the register as it stands: there is nothing to import.")
    apply_button(len(preview.added) + preview.changed, "finding", blocked=False)
    grades = [w.lower() for words in words_for(GRADES).values() for w in words[:2]]
    st.caption(f"Grades are read from words such as {', '.join(grades)}; a clause from a cell like "
               "'Clause 8.2.4 Service catalogue management'.")  # fmt: skip
if ss.get("import_done"):
    st.success(ui.plain(ss["import_done"]))
    target_page = ("pages/2_Progress.py", "See the progress") if records == "progress" else (
        "pages/7_Assurance.py", "See the findings register")  # fmt: skip
    st.page_link(target_page[0], label=target_page[1], icon=":material/arrow_forward:")

"""The import: the corpus of real and hostile spreadsheets, mapping, values, validation, preview and apply."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest
from spreadsheets import make_corpus

from rollout.cli.sheets import wording
from rollout.progress import ConflictError
from rollout.sheets import exporter, findings, importer, mapping, spreadsheet, zipcheck
from rollout.sheets.limits import Note, Remedy
from rollout.sheets.spreadsheet import SpreadsheetError
from rollout.stores.files import FileStore

SAMPLES = Path(__file__).resolve().parents[1] / "data" / "samples"


@pytest.fixture(scope="session")
def corpus(tmp_path_factory, bundled_plan) -> dict[str, Path]:
    return make_corpus.build(tmp_path_factory.mktemp("corpus"), bundled_plan)


def preview(path, plan, store, **options) -> importer.Preview:
    return importer.preview_import(path, plan, store, **options)


def changes(p: importer.Preview) -> dict[tuple[str, str], str]:
    return {(r.task_id, r.field): r.new for r in p.changes.itertuples()}


def saved(store: FileStore) -> pd.DataFrame:
    return store.load().progress.set_index("task_id")


def test_the_corpus_holds_a_file_for_every_case(corpus):
    assert len(corpus) >= 15
    assert {p.suffix for p in corpus.values()} >= {".xlsx", ".xlsm", ".xls", ".ods", ".csv"}


# hostile and broken files: refused with a clear message, nothing written ------------------
REFUSED = {
    "huge_dimension.xlsx": "declares the range A1:XFD1048576",
    "far_cell.xlsx": "reaches row 1048576",
    "rows_past_limit.xlsx": "reaches row 100001",
    "zip_bomb.xlsx": "like a zip bomb",
    "ods_bomb.ods": "repeats filled rows",
    "not_a_spreadsheet.xlsx": "is not a spreadsheet",
    "zip_without_workbook.xlsx": "a zip archive without a workbook",
    "binary.csv": "binary content",
    "empty.csv": "is empty (0 bytes)",
    "empty.xlsx": "is empty: no cells",
    "password.xlsx": "is password-protected",
    "too_many_rows.csv": "has more than 100,000 rows",
    "ambiguous_dates.csv": "could be day-first or month-first",
}


@pytest.mark.parametrize("name", REFUSED)
def test_a_hostile_or_broken_file_is_refused_with_a_clear_message(corpus, bundled_plan, store, name):
    with pytest.raises(SpreadsheetError) as caught:
        preview(corpus[name], bundled_plan, store)
    assert REFUSED[name] in str(caught.value)
    assert caught.value.file == name and str(caught.value).startswith(name)
    assert not store.folder.exists(), "nothing may be written"


def test_an_ambiguous_date_column_names_its_place_and_says_both_orders_fit(corpus, bundled_plan, store):
    with pytest.raises(SpreadsheetError) as caught:
        preview(corpus["ambiguous_dates.csv"], bundled_plan, store)
    error = caught.value
    assert (error.sheet, error.row, error.column) == ("ambiguous_dates", 2, "Due date")
    assert error.remedy == Remedy("dates") and "only" not in error.message


def test_a_day_first_column_gets_the_hint_that_only_day_first_fits(corpus, bundled_plan, store):
    with pytest.raises(SpreadsheetError) as caught:
        preview(corpus["dayfirst_cp1252.csv"], bundled_plan, store)
    assert caught.value.remedy == Remedy("dates", "dayfirst")
    assert "(only dayfirst reads every date of this column)" in caught.value.message


def test_limits_are_checked_before_parsing(tmp_path, bundled_plan, store, monkeypatch):
    big = tmp_path / "big.csv"
    big.write_bytes(b"Task ID,Status\n" + b"P1.01,done\n" * 10)
    monkeypatch.setattr(spreadsheet, "MAX_FILE_BYTES", 50)
    with pytest.raises(SpreadsheetError, match="the import reads files up to"):
        preview(big, bundled_plan, store)


def test_the_unpacked_size_of_a_workbook_is_limited(corpus, bundled_plan, store, monkeypatch):
    monkeypatch.setattr(zipcheck, "MAX_UNCOMPRESSED", 1000)
    with pytest.raises(SpreadsheetError, match="would unpack to"):
        preview(corpus["formulas.xlsx"], bundled_plan, store)


def test_an_unknown_file_type_is_refused(tmp_path, bundled_plan, store):
    path = tmp_path / "progress.pdf"
    path.write_bytes(b"%PDF-1.7")
    with pytest.raises(SpreadsheetError, match=r"not a spreadsheet this tool reads \(\.pdf\)"):
        preview(path, bundled_plan, store)


# spreadsheets as people keep them --------------------------------------------------------
def test_title_rows_are_skipped_and_a_fraction_column_is_read_as_percent(corpus, bundled_plan, store):
    p = preview(corpus["title_rows_fractions.xlsx"], bundled_plan, store)
    got = changes(p)
    assert got[("P0.01", "status")] == "done" and got[("P0.01", "percent")] == "100"
    assert got[("P0.01", "start")] == "2026-06-01" and got[("P0.01", "due")] == "2026-06-12"
    assert got[("P0.02", "status")] == "in_progress" and got[("P0.02", "percent")] == "40"  # " p0.02 " matched
    assert got[("P0.04", "status")] == "blocked" and got[("P0.04", "percent")] == "25"
    assert got[("P0.12", "status")] == "not_applicable" and ("P0.12", "percent") not in got
    assert (p.changed, p.unchanged, p.rejected) == (4, 1, 0)
    assert p.changes.iloc[0][["sheet", "row"]].tolist() == ["Tracker", 5]  # rows as the spreadsheet shows them
    assert p.mapping["% Complete"] == "percent" and p.mapping["Ref"] == "task_id"


def test_formulas_are_never_evaluated_only_their_cached_values_read(corpus, bundled_plan, store):
    got = changes(preview(corpus["formulas.xlsx"], bundled_plan, store))
    assert got[("P1.01", "status")] == "in_progress"  # cached, though the formula says "done"
    assert got[("P1.01", "notes")] == "see the link"
    assert ("P1.02", "notes") not in got  # a formula without a cached value is an empty cell


def test_a_cp1252_csv_with_semicolons_and_day_first_dates(corpus, bundled_plan, store):
    p = preview(corpus["dayfirst_cp1252.csv"], bundled_plan, store, dates="dayfirst")
    got = changes(p)
    assert got[("P1.04", "owner")] == "Zoë Müller" and got[("P1.04", "notes")] == "Revue prévue – comité"
    assert got[("P1.04", "start")] == "2026-07-13" and got[("P1.04", "due")] == "2026-09-25"
    assert got[("P1.05", "percent")] == "100" and p.rejected == 0


def test_month_first_reading_refuses_what_is_not_a_date(corpus, bundled_plan, store):
    p = preview(corpus["dayfirst_cp1252.csv"], bundled_plan, store, dates="monthfirst")
    assert p.refused and "is not a real date" in p.problems["message"].iloc[0]
    assert Note("only dayfirst reads every date of column 'Start date'", Remedy("dates", "dayfirst")) in p.notes


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("bom.csv", {("P2.04", "owner"): "Ana Lima", ("P2.05", "status"): "blocked"}),
        ("tab.csv", {("P2.06", "notes"): "Drafting, with comments; review next week"}),
        ("unicode_text.txt", {("P2.07", "status"): "done"}),
        ("tracker.ods", {("P3.01", "percent"): "50", ("P3.02", "due"): "2026-11-20"}),
        (
            "tracker.xls",
            {("P3.03", "percent"): "35", ("P3.03", "due"): "2026-12-15", ("P3.04", "status"): "not_applicable"},
        ),
        ("macros.xlsm", {("P3.05", "status"): "done"}),
        ("two_sheets.xlsx", {("P3.06", "owner"): "Chloe Martin"}),
    ],
)
def test_every_format_and_encoding_is_read(corpus, bundled_plan, store, name, expected):
    p = preview(corpus[name], bundled_plan, store)
    assert p.rejected == 0
    assert expected.items() <= changes(p).items()


def test_the_first_sheet_with_a_header_is_read_and_another_can_be_chosen(corpus, bundled_plan, store):
    p = preview(corpus["two_sheets.xlsx"], bundled_plan, store)
    assert p.sheets == ["Tracker"] and Note("sheet 'Old' not read", Remedy("sheet", "Old")) in p.notes
    chosen = preview(corpus["two_sheets.xlsx"], bundled_plan, store, sheet="Old")
    assert set(changes(chosen)) == {("P3.11", "status"), ("P3.11", "percent")}
    with pytest.raises(SpreadsheetError, match="has no sheet named 'Nope'"):
        preview(corpus["two_sheets.xlsx"], bundled_plan, store, sheet="Nope")


def test_titles_match_without_case_or_spaces_and_a_near_miss_is_only_suggested(corpus, bundled_plan, store):
    p = preview(corpus["titles_near_miss.xlsx"], bundled_plan, store)
    assert {t for t, _ in changes(p)} == {"P2.01", "P2.02"}
    problem = p.problems.iloc[0]
    assert (problem.sheet, problem.row, problem.column, problem.cell) == ("Checklist", 4, "Task", "A4")
    assert problem.suggestions == ["P2.03"] and "did you mean P2.03" in problem.message
    assert p.refused and len(p.suggestions) == 1


def test_two_rows_for_one_task_reject_both(corpus, bundled_plan, store):
    p = preview(corpus["duplicates.csv"], bundled_plan, store)
    assert p.problems["row"].tolist() == [2, 4] and p.rejected == 2
    assert "P1.08 is on several rows ('duplicates' row 2, 'duplicates' row 4)" in p.problems["message"].iloc[0]
    assert set(changes(p)) == {("P1.09", "status")}


def test_unknown_ids_are_rejected_with_close_ids_suggested(corpus, bundled_plan, store):
    p = preview(corpus["unknown_ids.csv"], bundled_plan, store)
    near, unknown = p.problems.itertuples()
    assert near.value == "P1.0" and "P1.10" in near.suggestions
    assert unknown.value == "X9.99" and unknown.suggestions == [] and "is not a task of the plan" in unknown.message


def test_contradictory_values_are_refused_by_the_stores_rule(corpus, bundled_plan, store):
    p = preview(corpus["contradictory.csv"], bundled_plan, store)
    (problem,) = p.problems.itertuples()
    assert (problem.row, problem.column, problem.value) == (2, "Status", "done")
    assert "status Done needs percent 100, but percent 40 was given with it" in problem.message


def test_done_at_40_is_refused_even_when_40_is_already_saved(tmp_path, bundled_plan, store):
    store.save({"P1.12": {"status": "in_progress", "percent": 40}}, None, by="t", source="cli")
    path = tmp_path / "p.csv"
    path.write_text("Task ID,Status,% complete\nP1.12,done,40\n")
    assert preview(path, bundled_plan, store).rejected == 1


def test_a_blank_cell_in_a_foreign_sheet_keeps_the_saved_value(corpus, demo_data, bundled_plan):
    store = FileStore(demo_data, bundled_plan)
    before = saved(store).loc["P2.01"]
    p = preview(corpus["blank_keeps.csv"], bundled_plan, store)
    assert set(changes(p)) == {("P2.01", "notes")} and before["owner"] != ""
    importer.apply_import(p, store, by="t")
    after = saved(store).loc["P2.01"]
    assert after["notes"] == "new note" and after[["status", "owner", "due"]].equals(before[["status", "owner", "due"]])


# preview and apply -----------------------------------------------------------------------
def test_nothing_is_written_until_applied_then_one_save_with_the_file_as_source(corpus, bundled_plan, store):
    p = preview(corpus["title_rows_fractions.xlsx"], bundled_plan, store)
    assert not store.folder.exists()
    result = importer.apply_import(p, store, by="Priya")
    history = store.history()
    assert set(history["seq"]) == {result.seq} and set(history["source"]) == {"import:title_rows_fractions.xlsx"}
    assert len(history) == len(p.changes)
    assert saved(store).loc["P0.04", ["status", "percent"]].tolist() == ["blocked", 25]


def test_a_refused_import_applies_nothing_unless_valid_rows_only(corpus, bundled_plan, store):
    p = preview(corpus["duplicates.csv"], bundled_plan, store)
    with pytest.raises(SpreadsheetError, match="refused: 2 rows rejected; nothing was saved") as caught:
        importer.apply_import(p, store, by="t")
    assert caught.value.remedy == Remedy("valid_rows_only")
    assert not (store.folder / "progress.csv").exists()
    importer.apply_import(p, store, by="t", valid_rows_only=True)
    assert saved(store).loc["P1.09", "status"] == "in_progress" and saved(store).loc["P1.08", "status"] == "not_started"


def test_a_preview_gone_stale_is_refused_at_apply(corpus, bundled_plan, store):
    p = preview(corpus["bom.csv"], bundled_plan, store)
    store.save({"P2.04": {"owner": "Someone else"}}, None, by="other", source="ui")
    with pytest.raises(ConflictError):
        importer.apply_import(p, store, by="t")
    assert saved(store).loc["P2.04", "owner"] == "Someone else"


def test_uploaded_bytes_are_read_like_the_file(corpus, bundled_plan, store):
    data = corpus["tracker.ods"].read_bytes()
    p = importer.preview_import(data, bundled_plan, store, name="upload.ods")
    assert p.source == "import:upload.ods" and p.changed == 2


def test_describe_lists_changes_problems_and_counts(corpus, bundled_plan, store):
    text = importer.describe(preview(corpus["duplicates.csv"], bundled_plan, store), wording)
    assert "changes (1):" in text and "rejected rows (2):" in text
    assert "'duplicates' row 2, column 'Task ID' (A2)" in text
    assert text.endswith("0 rows unchanged, 1 changed, 2 rejected")


# mapping ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("names", "expected"),
    [
        (["Task ID", "Title", "Status"], {"Task ID": "task_id", "Title": "title", "Status": "status"}),
        (["#", "Activity", "% complete", "Responsible"], {"#": "task_id", "Activity": "title", "% complete": "percent", "Responsible": "owner"}),
        (["REF", "Target-Date", "Evidence link", "Remarks"], {"REF": "task_id", "Target-Date": "due", "Evidence link": "evidence", "Remarks": "notes"}),
        (["task_id", "Progress (%)", "Start date", "Deadline"], {"task_id": "task_id", "Progress (%)": "percent", "Start date": "start", "Deadline": "due"}),
        (["ID", "Ref", "Budget"], {"ID": "task_id"}),
    ],
)  # fmt: skip
def test_columns_are_matched_by_their_many_names(names, expected):
    assert mapping.guess_mapping(names) == expected


def test_a_mapping_given_by_the_user_wins_and_is_remembered_once_applied(tmp_path, bundled_plan, store):
    path = tmp_path / "odd.csv"
    path.write_text("Code,Stand,Wer,Name\nP1.01,done,Ana,Not a title\n")
    with pytest.raises(SpreadsheetError, match="no header row"):
        preview(path, bundled_plan, store)
    overrides = {"Code": "task_id", "Stand": "status", "Wer": "owner", "Name": "ignore"}
    p = preview(path, bundled_plan, store, overrides=overrides)
    assert p.mapping == {"Code": "task_id", "Stand": "status", "Wer": "owner"} and p.remember
    importer.apply_import(p, store, by="t")
    assert (store.folder / "mappings.yaml").exists()
    path.write_text("Code,Stand,Wer,Name\nP1.02,wip,Bo,x\n")
    again = preview(path, bundled_plan, store)
    assert again.mapping == p.mapping and any("remembered" in n.text for n in again.notes)


def test_with_no_header_found_the_first_rows_are_given_to_choose_one_then_the_columns_to_map(
    tmp_path, bundled_plan, store
):
    path = tmp_path / "odd.csv"
    path.write_text("Team tracker\nFoo,Bar,Baz\nP1.01,done,Ann\n")
    with pytest.raises(mapping.MappingNeeded) as caught:
        preview(path, bundled_plan, store)
    assert caught.value.remedy == Remedy("header_row") and caught.value.layout is None
    assert caught.value.head == [["Team tracker", "", ""], ["Foo", "Bar", "Baz"], ["P1.01", "done", "Ann"]]
    with pytest.raises(mapping.MappingNeeded, match="has no task id or title column") as caught:
        preview(path, bundled_plan, store, header=2)
    assert caught.value.remedy == Remedy("map_key") and caught.value.layout.columns == ["Foo", "Bar", "Baz"]
    assert mapping.examples(caught.value.head, 2, ["Foo", "Baz", "Nope"]) == ["P1.01", "Ann", ""]
    p = preview(path, bundled_plan, store, header=2, overrides={"Foo": "task_id", "Bar": "status"})
    assert changes(p) == {("P1.01", "status"): "done", ("P1.01", "percent"): "100"} and p.header == 2
    with pytest.raises(SpreadsheetError, match="has no row 9"):
        preview(path, bundled_plan, store, header=9)


def test_a_mapping_naming_a_missing_column_or_no_key_is_refused(corpus, bundled_plan, store):
    with pytest.raises(SpreadsheetError, match="has no column 'Nope' to map"):
        preview(corpus["bom.csv"], bundled_plan, store, overrides={"Nope": "notes"})
    with pytest.raises(SpreadsheetError, match="has no task id or title column"):
        preview(corpus["bom.csv"], bundled_plan, store, overrides={"Task ID": "ignore"})


@pytest.mark.parametrize("damage", ["[unclosed", "- &a [x]\n- *a\n", "\xff not utf-8"])
def test_a_damaged_or_hostile_mappings_file_is_ignored(tmp_path, damage):
    (tmp_path / "mappings.yaml").write_bytes(damage.encode("latin-1"))
    kept = FileStore(tmp_path, [])
    assert mapping.load_mappings(kept) == []
    mapping.remember_mapping(kept, ["A", "B"], {"A": "task_id", "B": "status"})
    assert mapping.remembered_mapping(kept, ["b", "a "]) == {"a ": "task_id", "b": "status"}
    assert mapping.remembered_mapping(kept, ["A", "B", "C"]) is None


def test_mappings_are_remembered_in_a_database_too(new_store):
    kept = new_store("postgresql", [])
    mapping.remember_mapping(kept, ["A", "B"], {"A": "task_id", "B": "status"})
    assert mapping.remembered_mapping(kept, ["b", "a"]) == {"a": "task_id", "b": "status"}


# the tool's own workbook -------------------------------------------------------------------
@pytest.fixture
def demo(demo_data, bundled_plan) -> FileStore:
    return FileStore(demo_data, bundled_plan)


def export(store: FileStore, plan, path: Path) -> Path:
    snapshot = store.load()
    exporter.write_export(path, plan, snapshot.progress, snapshot.records)
    return path


def edit(path: Path, cells: dict[tuple[str, str], object]) -> None:
    from openpyxl import load_workbook

    book = load_workbook(path)
    for (sheet, ref), value in cells.items():
        book[sheet][ref] = value
    book.save(path)


def cell_of(store: FileStore, plan, task_id: str, field: str) -> str:
    """The sheet and cell reference of a task's field in the export."""
    stage = plan.tasks[task_id].stage
    row = list(plan.stage(stage).task_ids).index(task_id) + 2
    return exporter.stage_sheet(stage), f"{chr(65 + exporter.COLUMNS.index(field))}{row}"


def test_an_exported_workbook_imports_with_no_change(tmp_path, demo, bundled_plan):
    p = preview(export(demo, bundled_plan, tmp_path / "x.xlsx"), bundled_plan, demo)
    assert p.own_export and (p.changed, p.rejected, p.unchanged) == (0, 0, len(bundled_plan.tasks))
    assert p.sheets == [exporter.stage_sheet(s.number) for s in bundled_plan.stages]
    assert Note("skipped, not stage sheets: 'Summary', 'Assessments', 'Findings', 'Decisions'") in p.notes
    assert Note("'Findings' hold audit findings", Remedy("records", "findings")) in p.notes


def test_the_round_trip_changes_exactly_what_was_edited(tmp_path, demo, bundled_plan):
    path = export(demo, bundled_plan, tmp_path / "x.xlsx")
    before = saved(demo)
    owner = before.loc["P2.05", "owner"]
    assert owner and before.loc["P2.06", "notes"] != "=cmd|' /C calc'!A0"
    edit(
        path,
        {
            cell_of(demo, bundled_plan, "P2.05", "owner"): None,  # cleared
            cell_of(demo, bundled_plan, "P2.06", "notes"): "'=cmd|' /C calc'!A0",  # typed as text, defused
            cell_of(demo, bundled_plan, "P2.07", "due"): dt.date(2027, 1, 15),
        },
    )
    p = preview(path, bundled_plan, demo)
    assert changes(p) == {
        ("P2.05", "owner"): "",
        ("P2.06", "notes"): "=cmd|' /C calc'!A0",
        ("P2.07", "due"): "2027-01-15",
    }
    assert p.clears[["task_id", "field", "old"]].values.tolist() == [["P2.05", "owner", owner]]
    importer.apply_import(p, demo, by="t")
    after = saved(demo)
    assert after.loc["P2.06", "notes"] == "=cmd|' /C calc'!A0" and after.loc["P2.05", "owner"] == ""
    changed = (after[["status", "percent", "owner", "evidence", "notes"]] != before[["status", "percent", "owner", "evidence", "notes"]]).any(axis=1)  # fmt: skip
    assert set(after.index[changed]) == {"P2.05", "P2.06"}


def test_a_task_changed_in_the_tool_since_the_export_is_a_conflict_never_overwritten(tmp_path, demo, bundled_plan):
    path = export(demo, bundled_plan, tmp_path / "x.xlsx")
    demo.save({"P1.20": {"notes": "changed in the tool"}}, None, by="Grace", source="ui")
    edit(
        path,
        {cell_of(demo, bundled_plan, "P1.20", "notes"): "edited in Excel", cell_of(demo, bundled_plan, "P1.21", "owner"): "Ana"},
    )  # fmt: skip
    p = preview(path, bundled_plan, demo)
    (conflict,) = p.conflicts.itertuples()
    assert (conflict.task_id, conflict.field, conflict.old, conflict.new) == (
        "P1.20",
        "notes",
        "changed in the tool",
        "edited in Excel",
    )
    assert conflict.updated_by == "Grace" and conflict.revision == conflict.exported_revision + 1
    assert p.refused and p.changed == 1 and set(changes(p)) == {("P1.21", "owner")}
    assert (p.rejected, p.in_conflict) == (0, 1), "a conflict is counted once, not as a rejected row too"
    assert p.unchanged + p.changed + p.rejected + p.in_conflict == len(bundled_plan.tasks)
    importer.apply_import(p, demo, by="t", valid_rows_only=True)
    assert saved(demo).loc["P1.20", "notes"] == "changed in the tool"
    assert saved(demo).loc["P1.21", "owner"] == "Ana"


def test_a_task_changed_since_the_export_but_not_edited_in_the_file_is_no_conflict(tmp_path, demo, bundled_plan):
    path = export(demo, bundled_plan, tmp_path / "x.xlsx")
    demo.save({"P1.20": {"notes": "changed in the tool"}}, None, by="Grace", source="ui")
    p = preview(path, bundled_plan, demo)
    assert p.conflicts.empty and not p.refused and p.changed == 0


def test_a_conflict_lists_the_fields_edited_in_the_file(tmp_path, demo, bundled_plan):
    path = export(demo, bundled_plan, tmp_path / "x.xlsx")
    demo.save({"P1.22": {"owner": "Changed in the tool"}}, None, by="Grace", source="ui")
    edit(path, {cell_of(demo, bundled_plan, "P1.22", "notes"): "edited in the file"})
    p = preview(path, bundled_plan, demo)
    assert p.conflicts[["task_id", "field", "new"]].values.tolist() == [["P1.22", "notes", "edited in the file"]]


def test_an_emptied_percent_in_the_export_is_refused_by_the_store(tmp_path, demo, bundled_plan):
    path = export(demo, bundled_plan, tmp_path / "x.xlsx")
    edit(path, {cell_of(demo, bundled_plan, "P2.05", "percent"): None})
    p = preview(path, bundled_plan, demo)
    assert p.problems["message"].tolist() == ["percent cannot be empty; expected 0 to 100"]


def test_an_edited_revision_is_rejected(tmp_path, demo, bundled_plan):
    path = export(demo, bundled_plan, tmp_path / "x.xlsx")
    edit(path, {cell_of(demo, bundled_plan, "P2.05", "revision"): "latest"})
    p = preview(path, bundled_plan, demo)
    assert "leave this column as it is" in p.problems["message"].iloc[0]


def test_the_csv_export_round_trips_too(tmp_path, demo, bundled_plan):
    demo.save({"P2.08": {"notes": "-5 days, @team, =fine"}}, None, by="t", source="cli")
    path = export(demo, bundled_plan, tmp_path / "x.csv")
    assert "'-5 days, @team, =fine" in path.read_text(encoding="utf-8-sig")
    p = preview(path, bundled_plan, demo)
    assert p.own_export and p.changed == 0 and p.rejected == 0


def test_a_fifty_thousand_row_sheet_is_read_column_wise(tmp_path, bundled_plan, store):
    ids = list(bundled_plan.tasks)
    rows = "\n".join(f"{ids[i % len(ids)]},done" for i in range(50_000))
    path = tmp_path / "big.csv"
    path.write_text("Task ID,Status\n" + rows + "\n")
    p = preview(path, bundled_plan, store)
    assert p.rejected == 50_000 and p.problems["message"].str.contains("is on several rows").all()


def test_a_damaged_workbook_is_refused(tmp_path, corpus, bundled_plan, store):
    data = bytearray(corpus["formulas.xlsx"].read_bytes())
    name = data.rfind(b"xl/worksheets/sheet1.xml")  # in the central directory, 30 bytes after the CRC
    data[name - 30 : name - 26] = b"\0\0\0\0"
    path = tmp_path / "damaged.xlsx"
    path.write_bytes(bytes(data))
    with pytest.raises(SpreadsheetError, match="is damaged"):
        preview(path, bundled_plan, store)


# the committed samples -------------------------------------------------------------------
def _sample_flags() -> dict[str, dict[str, str]]:
    import importlib.util

    spec = importlib.util.spec_from_file_location("make_samples", SAMPLES / "make_samples.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.FLAGS


def test_the_samples_import_cleanly_into_an_empty_folder_with_their_documented_flags(bundled_plan, store):
    flags = _sample_flags()
    readme = (SAMPLES / "README.md").read_text()
    assert set(flags) == {p.name for p in SAMPLES.iterdir() if p.suffix in (".xlsx", ".csv")}
    for name, options in flags.items():
        assert f"import data/samples/{name}" + "".join(f" --{k} {v}" for k, v in options.items()) + "`" in readme
        if options.get("records") == "findings":
            p = findings.preview_findings(SAMPLES / name, bundled_plan, store, found_in=options["source"])
            assert p.rejected == 0 and len(p.added) > 0, findings.describe_findings(p, wording)
            findings.apply_findings(p, store, by="demo")
            continue
        p = preview(SAMPLES / name, bundled_plan, store, **options)
        assert p.rejected == 0 and p.changed > 0, importer.describe(p, wording)
        importer.apply_import(p, store, by="demo")
    assert len(store.history()["seq"].unique()) == len(flags)
